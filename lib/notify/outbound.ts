/*
 * outbound.ts: what a call report does to its job (faxmail-notify stores the report, lib/queue/reports.ts
 * applies it through these under the queue lock).
 *   reportSent        SendFAX finished (hangup handler of [faxmail-send]): FAXOPT results
 *   reportUnanswered  the call was never answered (the call file's `failed` extension): ${REASON}
 * Both record the attempt in the job (under the job lock) and decide retry or final (retry.ts): a retry
 * goes back to `queued` with the time its rule gives, and the dispatcher (lib/queue/) starts it when that
 * time has come, a channel is free and no other call to its number is on; a final job owes its sender one
 * receipt or notice (noticePending), handed over by sendReceipt once.
 * Idempotent: the attempt number is recorded; a report for an attempt already recorded, or for a job
 * already sent/failed, changes nothing and returns action 'duplicate'. Parallel reports are serialised by
 * updateJob's lock (and the queue lock around it), so exactly one of them acts.
 * Fails with FaxError('not-found') for an unknown job, 'usage' for impossible values, 'temporary' for I/O.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FaxError } from '../errors.js';
import { isMailbox } from '../mailbox.js';
import { cleanLine } from '../text.js';
import { isJobId } from '../spool/job-id.js';
import { jobDir, readJob, spoolPaths, updateJob, type SpoolPaths } from '../spool/jobs.js';
import { isFinalState, parseFaxMode, type Attempt, type Job } from '../spool/types.js';
import { classifySent, classifyUnanswered, type Outcome } from '../fax-result/classify.js';
import { decideRetry, type RetryDecision } from './retry.js';
import type { ReceiptKind } from './receipt.js';

export interface SentReport {
  job: string;
  attempt: number;
  /** FAXOPT(status), FILTERed to A-Z */
  status: string;
  /** FAXOPT(error), FILTERed to A-Za-z0-9 */
  error: string;
  pages: number;
  rate: number;
  /** FAXOPT(resolution): pixels per metre "8031x7700" (or dpi "204x196") */
  resolution: string;
  remoteId: string;
  /** FAXMODE: T38 or audio */
  mode?: string;
  duration?: number;
  /** fields of the stored report that could not be read (lib/queue/reports.ts), kept raw */
  unknown?: string[];
  raw?: Record<string, string>;
}

export interface UnansweredReport {
  job: string;
  attempt: number;
  /** undefined: the report's reason could not be read (shown as unknown) */
  reason: number | undefined;
  unknown?: string[];
  raw?: Record<string, string>;
}

export interface NotifyResult {
  job: string;
  attempt: number;
  /**
   * duplicate: nothing done; sent/failed: final; retry: queued again until its rule's time; cancelled: job was
   * cancelled
   */
  action: 'duplicate' | 'sent' | 'failed' | 'retry' | 'cancelled';
  outcome?: Outcome;
  decision?: RetryDecision;
  receipt?: 'sent' | 'queued' | 'skipped' | 'pending';
}

/** FAXOPT(resolution) in pixels per metre -> "204x196" dpi; values that already look like dpi pass. */
export function resolutionToDpi(value: string): string {
  const m = /^([0-9]+)x([0-9]+)$/.exec(value);
  if (!m) return '';
  const x = Number(m[1]);
  const y = Number(m[2]);
  if (x < 1000 && y < 1000) return `${x}x${y}`;
  return `${Math.round(x * 0.0254)}x${Math.round(y * 0.0254)}`;
}

function checkIds(job: string, attempt: number): void {
  if (!isJobId(job)) throw new FaxError('usage', `"${job.slice(0, 60)}" is not a faxmail job id.`);
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > 1000)
    throw new FaxError('usage', `The attempt number must be a whole number from 1, not ${attempt}.`);
}

/** SendFAX finished: record, decide, and act. */
export async function reportSent(
  config: Readonly<Config>,
  report: SentReport,
  log: Logger,
  now: Date = new Date(),
  opts: ApplyOptions = {},
): Promise<NotifyResult> {
  checkIds(report.job, report.attempt);
  const outcome = classifySent(report.status, report.error);
  const attempt: Attempt = {
    n: report.attempt,
    at: now.toISOString(),
    status: outcome.success ? 'SUCCESS' : 'FAILED',
    class: outcome.class,
    error: outcome.error,
    pages: Number.isFinite(report.pages) && report.pages >= 0 ? Math.floor(report.pages) : 0,
    rate: Number.isFinite(report.rate) && report.rate >= 0 ? Math.floor(report.rate) : 0,
    resolution: resolutionToDpi(report.resolution),
    remoteStationId: cleanLine(report.remoteId, { max: 40, invisible: true }),
  };
  const mode = parseFaxMode(report.mode);
  if (mode) attempt.mode = mode;
  if (report.duration !== undefined && Number.isFinite(report.duration) && report.duration >= 0)
    attempt.duration = Math.floor(report.duration);
  keepUnknown(attempt, report);
  return finishAttempt(config, report.job, attempt, outcome, log, now, opts);
}

/** The call was not answered (busy, no answer, congestion, failure). */
export async function reportUnanswered(
  config: Readonly<Config>,
  report: UnansweredReport,
  log: Logger,
  now: Date = new Date(),
  opts: ApplyOptions = {},
): Promise<NotifyResult> {
  checkIds(report.job, report.attempt);
  if (report.reason !== undefined && (!Number.isInteger(report.reason) || report.reason < 0))
    throw new FaxError('usage', `The reason must be a whole number, not ${report.reason}.`);
  const outcome =
    report.reason === undefined
      ? { ...classifyUnanswered(-1), error: 'Call not answered (reason unknown)' }
      : classifyUnanswered(report.reason);
  const attempt: Attempt = {
    n: report.attempt,
    at: now.toISOString(),
    status: 'UNANSWERED',
    class: outcome.class,
    error: outcome.error,
    pages: 0,
    rate: 0,
    resolution: '',
    remoteStationId: '',
  };
  if (report.reason !== undefined) attempt.reason = report.reason;
  keepUnknown(attempt, report);
  return finishAttempt(config, report.job, attempt, outcome, log, now, opts);
}

/** Fields a stored report could not give are kept raw on the attempt and shown as unknown. */
function keepUnknown(attempt: Attempt, report: { unknown?: string[]; raw?: Record<string, string> }): void {
  if (report.unknown?.length) {
    attempt.unknown = [...report.unknown];
    if (report.raw) attempt.raw = { ...report.raw };
  }
}

export interface ApplyOptions {
  /**
   * false: leave the receipt pending (noticePending) for the caller to send once it has let go of the queue
   * lock (lib/queue/reports.ts), so no mail server holds up the queue. Default true.
   */
  sendReceipt?: boolean;
}

async function finishAttempt(
  config: Readonly<Config>,
  id: string,
  attempt: Attempt,
  outcome: Outcome,
  log: Logger,
  now: Date,
  opts: ApplyOptions = {},
): Promise<NotifyResult> {
  const paths = spoolPaths(config.paths.spool);
  let action: NotifyResult['action'] = 'duplicate';
  let decision: RetryDecision | undefined;
  // 1. Record the attempt and the new state, under the job lock. Only the first report acts.
  const job = await updateJob(paths, id, (j) => {
    if (j.attempts.some((a) => a.n >= attempt.n)) return j;
    if (j.state === 'cancelled') {
      // The call that was under way when the admin cancelled (lib/admin/cancel.ts) has ended: keep its
      // record. A fax that got through before the hang-up was sent, and is reported so.
      if (j.dialledAt) attempt.started = j.dialledAt;
      delete j.dialledAt;
      j.attempts.push(attempt);
      action = outcome.success ? 'sent' : 'cancelled';
      if (outcome.success) {
        j.state = 'sent';
        j.noticePending = 'success';
      }
      return j;
    }
    if (isFinalState(j.state)) return j;
    // When the call started (the dispatcher's dialledAt) stays with its attempt, for fair turns and limits.
    if (j.dialledAt) attempt.started = j.dialledAt;
    delete j.dialledAt;
    j.attempts.push(attempt);
    decision = decideRetry(j.attempts, config.retry, now);
    if (outcome.success) {
      j.state = 'sent';
      action = 'sent';
    } else if (decision.retry) {
      // queued until its time; the dispatcher starts it then, when a channel and its number are free.
      j.state = 'queued';
      j.nextAttemptAt = decision.at.toISOString();
      action = 'retry';
    } else {
      j.state = 'failed';
      action = 'failed';
    }
    if (action !== 'retry') delete j.nextAttemptAt;
    // The receipt is owed from now on: if building or handing it over fails, `faxmail run` tries again.
    if (action === 'sent') j.noticePending = 'success';
    if (action === 'failed') j.noticePending = 'failure';
    return j;
  });
  const result: NotifyResult = { job: id, attempt: attempt.n, action, outcome };
  if (decision) result.decision = decision;
  if (action === 'duplicate') {
    log.info({ job: id, attempt: attempt.n, state: job.state }, 'duplicate report ignored');
    return result;
  }
  if (action === 'cancelled')
    log.info(
      { job: id, attempt: attempt.n, status: attempt.status, error: attempt.error, pages: attempt.pages },
      'the call of a cancelled job ended',
    );
  else
    log.info(
      {
        job: id,
        attempt: attempt.n,
        status: attempt.status,
        class: attempt.class,
        error: attempt.error,
        pages: attempt.pages,
        action,
      },
      'attempt recorded',
    );

  // The final receipt, once: only the run that made the job final gets here. Under the queue lock
  // (sendReceipt: false) it is left pending for the caller to send after the lock.
  if (action === 'sent' || action === 'failed') {
    if (opts.sendReceipt === false) result.receipt = 'pending';
    else {
      result.receipt = await sendReceipt(config, paths, id, action === 'sent' ? 'success' : 'failure', log);
      // The archive copy, after the receipt: its failure is logged and costs nothing else.
      if (action === 'sent' && config.archive.directory !== '') await archiveSent(config, paths, id, log);
    }
  }
  return result;
}

/** What the admin reads for each kind of mail to the sender. */
const NOTICE_NAMES: Record<ReceiptKind, string> = {
  success: 'receipt',
  failure: 'failure notice',
  cancelled: 'cancel notice',
};

/**
 * Mail the receipt for a final job (or the notice of a cancel) and remember that it was handed over. A receipt that
 * cannot be built or handed over (a template error, a bad notify.from, no outbox space) is not lost: the job keeps
 * noticePending with the error, `faxmail status` shows it and exits 1, `faxmail run` tries again.
 */
export async function sendReceipt(
  config: Readonly<Config>,
  paths: SpoolPaths,
  id: string,
  kind: ReceiptKind,
  log: Logger,
): Promise<'sent' | 'queued' | 'skipped' | 'pending'> {
  // One sender at a time (faxmail-notify after its report, `faxmail cancel`, `faxmail run` for pending ones):
  // never two mails. The other one is waited for (it is handing the mail over), so the answer is true.
  const { tryLock } = await import('../spool/lock.js');
  const lock = await tryLock(join(paths.locks, `notice-${id}.lock`), 30_000);
  if (!lock) return 'pending';
  try {
    const job = await readJob(jobDir(paths, id));
    // Handed over by another process since our caller looked.
    if (job.noticePending === undefined && job.notifiedAt !== undefined) return 'sent';
    return await sendReceiptOnce(config, paths, id, kind, log);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log.error(
      { job: id, kind, err: error, admin: true },
      'receipt could not be built or handed over; it stays pending for faxmail run',
    );
    let first = false;
    await updateJob(paths, id, (j) => {
      first = j.noticeError === undefined;
      j.noticeError = error.slice(0, 500);
      return j;
    }).catch(() => undefined);
    // Once per job, not on every retry of `faxmail run`.
    if (first) {
      const { tellAdmin } = await import('../mail/admin-report.js');
      const what = NOTICE_NAMES[kind];
      await tellAdmin(
        config,
        `a ${what} could not be sent (job ${id})`,
        [
          `The ${what} for fax job ${id} could not be built or handed to the mail server:`,
          `  ${error}`,
          '',
          `It stays pending; faxmail run tries again every 30 s. Fix the cause, then check: faxmail show ${id}`,
        ],
        log,
        id,
      );
    }
    return 'pending';
  } finally {
    await lock.release();
  }
}

async function sendReceiptOnce(
  config: Readonly<Config>,
  paths: SpoolPaths,
  id: string,
  kind: ReceiptKind,
  log: Logger,
): Promise<'sent' | 'queued' | 'skipped'> {
  const dir = jobDir(paths, id);
  const job: Job = await readJob(dir);
  if (!isMailbox(job.replyTo, { local: true })) {
    log.warn({ job: id }, 'no usable reply address; receipt not sent');
    await updateJob(paths, id, (j) => {
      delete j.noticePending;
      delete j.noticeError;
      return j;
    });
    return 'skipped';
  }
  // Mail code is loaded only here: most notify runs (retries, duplicates) never need it.
  const [{ buildReceiptMail }, { sendOrQueue }] = await Promise.all([
    import('./receipt.js'),
    import('../mail/deliver.js'),
  ]);
  const mail = await buildReceiptMail(config, job, dir, kind, log);
  const how = await sendOrQueue(config, mail, log);
  await updateJob(paths, id, (j) => {
    j.notifiedAt = new Date().toISOString();
    delete j.noticePending;
    delete j.noticeError;
    return j;
  });
  log.info({ job: id, kind, delivery: how }, 'receipt handed over');
  return how;
}

/** Keep a sent fax in the archive as PDF (made from the sent TIFF unless the receipt made it already). */
export async function archiveSent(config: Readonly<Config>, paths: SpoolPaths, id: string, log: Logger): Promise<void> {
  const [{ archiveFax }, { tiffToPdf }] = await Promise.all([
    import('../archive/archive.js'),
    import('../tiff/to-pdf.js'),
  ]);
  try {
    const dir = jobDir(paths, id);
    const job = await readJob(dir);
    const pdf = join(dir, 'fax.pdf');
    const made = await stat(pdf)
      .then((s) => s.size > 0)
      .catch(() => false);
    if (!made)
      await tiffToPdf(join(dir, job.tiff), pdf, {
        tiff2pdf: config.paths.tiff2pdf,
        title: `Fax to ${job.number}`,
        timeoutMs: 60_000,
      });
    const last = job.attempts[job.attempts.length - 1];
    await archiveFax(
      config,
      {
        kind: 'sent',
        id: job.id,
        at: last?.at ?? job.updated,
        number: job.number,
        pages: job.pages,
        remoteStationId: last?.remoteStationId ?? '',
        status: 'SUCCESS',
        sender: job.replyTo,
        subject: job.subject,
        documents: job.documents.map((d) => ({ name: d.name, pages: d.pages })),
      },
      pdf,
      log,
    );
  } catch (err) {
    log.error({ job: id, err: err instanceof Error ? err.message : String(err) }, 'archive failed');
  }
}

/** One line for the command's output; `started`: the calls the dispatcher started in the same run. */
export function describeResult(r: NotifyResult, started: readonly { job: string; attempt: number }[] = []): string {
  const head = `job ${r.job} attempt ${r.attempt}`;
  const calls = started.map((c) =>
    c.job === r.job ? `attempt ${c.attempt} dialling now` : `job ${c.job} dialling now`,
  );
  switch (r.action) {
    case 'duplicate':
      return [`${head}: already recorded, nothing to do`, ...calls].join('; ');
    case 'cancelled':
      return [`${head}: job was cancelled`, ...calls].join('; ');
    case 'sent':
      return [`${head}: sent`, `receipt ${r.receipt ?? 'skipped'}`, ...calls].join('; ');
    case 'failed':
      return [
        `${head}: failed (${r.outcome?.class || 'unknown'}), given up`,
        `failure notice ${r.receipt ?? 'skipped'}`,
        ...calls,
      ].join('; ');
    case 'retry':
      return [
        `${head}: failed (${r.outcome?.class || 'unknown'})`,
        `queued for a retry from ${r.decision?.retry ? r.decision.at.toISOString() : '?'}`,
        ...calls,
      ].join('; ');
  }
}
