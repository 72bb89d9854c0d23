/*
 * outbound.ts: what faxmail-notify does when the dialplan reports the end of an outbound attempt.
 *   reportSent        SendFAX finished (hangup handler of [faxmail-send]): FAXOPT results
 *   reportUnanswered  the call was never answered (the call file's `failed` extension): ${REASON}
 * Both: record the attempt in the job (under the job lock), decide retry or final (retry.ts), free the
 * number's line and start whichever job dials next on it (a new call file, possibly our own retry, with a
 * future mtime), and mail the final receipt (receipt.ts) once.
 * Idempotent: the attempt number is recorded; a report for an attempt already recorded (the `h` extension
 * and a hangup handler may both run), or for a job already sent/failed, changes nothing and returns
 * action 'duplicate'. Parallel reports are serialised by updateJob's lock, so exactly one of them acts.
 * Fails with FaxError('not-found') for an unknown job, 'usage' for impossible values, 'temporary' for I/O.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FaxError } from '../errors.js';
import { buildCallFile, callFileName, renderCallFile } from '../asterisk/callfile.js';
import { dropCallFile } from '../asterisk/queue.js';
import { isJobId } from '../spool/job-id.js';
import { jobDir, readJob, spoolPaths, updateJob, type SpoolPaths } from '../spool/jobs.js';
import { releaseLine, type NextCall } from '../spool/line.js';
import { parseFaxMode, type Attempt, type Job } from '../spool/types.js';
import { classifySent, classifyUnanswered, type Outcome } from './classify.js';
import { decideRetry, t38ForNextAttempt, type RetryDecision } from './retry.js';
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
}

export interface UnansweredReport {
  job: string;
  attempt: number;
  reason: number;
}

export interface StartedCall {
  job: string;
  attempt: number;
  callFile: string;
  at: string;
}

export interface NotifyResult {
  job: string;
  attempt: number;
  /** duplicate: nothing done; sent/failed: final; retry: another attempt is scheduled; cancelled: job was cancelled */
  action: 'duplicate' | 'sent' | 'failed' | 'retry' | 'cancelled';
  outcome?: Outcome;
  decision?: RetryDecision;
  /** call files dropped for this number (our retry, or the next job waiting for the line) */
  started: StartedCall[];
  receipt?: 'sent' | 'queued' | 'skipped';
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

/** Keep a remote-controlled text inert and short for the record: printable, no control characters. */
export function cleanStationId(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 40);
}

function checkIds(job: string, attempt: number): void {
  if (!isJobId(job)) throw new FaxError('usage', `"${job.slice(0, 60)}" is not a faxmail job id.`);
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > 1000) throw new FaxError('usage', `The attempt number must be a whole number from 1, not ${attempt}.`);
}

/** SendFAX finished: record, decide, and act. */
export async function reportSent(config: Readonly<Config>, report: SentReport, log: Logger, now: Date = new Date()): Promise<NotifyResult> {
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
    remoteStationId: cleanStationId(report.remoteId),
  };
  const mode = parseFaxMode(report.mode);
  if (mode) attempt.mode = mode;
  if (report.duration !== undefined && Number.isFinite(report.duration) && report.duration >= 0) attempt.duration = Math.floor(report.duration);
  return finishAttempt(config, report.job, attempt, outcome, log, now);
}

/** The call was not answered (busy, no answer, congestion, failure). */
export async function reportUnanswered(config: Readonly<Config>, report: UnansweredReport, log: Logger, now: Date = new Date()): Promise<NotifyResult> {
  checkIds(report.job, report.attempt);
  if (!Number.isInteger(report.reason) || report.reason < 0) throw new FaxError('usage', `The reason must be a whole number, not ${report.reason}.`);
  const outcome = classifyUnanswered(report.reason);
  const attempt: Attempt = {
    n: report.attempt,
    at: now.toISOString(),
    status: 'UNANSWERED',
    class: outcome.class,
    error: outcome.error,
    reason: report.reason,
    pages: 0,
    rate: 0,
    resolution: '',
    remoteStationId: '',
  };
  return finishAttempt(config, report.job, attempt, outcome, log, now);
}

const FINAL = new Set(['sent', 'failed', 'cancelled']);

async function finishAttempt(config: Readonly<Config>, id: string, attempt: Attempt, outcome: Outcome, log: Logger, now: Date): Promise<NotifyResult> {
  const paths = spoolPaths(config.paths.spool);
  let action: NotifyResult['action'] = 'duplicate';
  let decision: RetryDecision | undefined;
  // 1. Record the attempt and the new state, under the job lock. Only the first report acts.
  const job = await updateJob(paths, id, (j) => {
    if (j.attempts.some((a) => a.n >= attempt.n)) return j;
    if (j.state === 'cancelled') {
      // The call that was under way when the admin cancelled (lib/admin/cancel.ts) has ended: keep its
      // record and free the line. A fax that got through before the hang-up was sent, and is reported so.
      j.attempts.push(attempt);
      action = outcome.success ? 'sent' : 'cancelled';
      if (outcome.success) j.state = 'sent';
      return j;
    }
    if (FINAL.has(j.state)) return j;
    j.attempts.push(attempt);
    decision = decideRetry(j.attempts, config.retry, now);
    if (outcome.success) {
      j.state = 'sent';
      action = 'sent';
    } else if (decision.retry) {
      // queued until its time and its line (releaseLine below decides who dials next).
      j.state = 'queued';
      j.nextAttemptAt = decision.at.toISOString();
      action = 'retry';
    } else {
      j.state = 'failed';
      action = 'failed';
    }
    if (action !== 'retry') delete j.nextAttemptAt;
    return j;
  });
  const result: NotifyResult = { job: id, attempt: attempt.n, action, outcome, started: [] };
  if (decision) result.decision = decision;
  if (action === 'duplicate') {
    log.info({ job: id, attempt: attempt.n, state: job.state }, 'duplicate report ignored');
    return result;
  }
  if (action === 'cancelled') log.info({ job: id, attempt: attempt.n, status: attempt.status, error: attempt.error, pages: attempt.pages }, 'the call of a cancelled job ended; freeing its line');
  else log.info({ job: id, attempt: attempt.n, status: attempt.status, class: attempt.class, error: attempt.error, pages: attempt.pages, action }, 'attempt recorded');

  // 2. Free the line; start whoever dials next on this number (maybe our own retry).
  const retryAt = action === 'retry' && decision?.retry ? decision.at : undefined;
  const next = await releaseLine(paths, job.number, id, retryAt, config.retry.one_call_per_number);
  result.started = await startNextCalls(config, paths, job.number, next, log, now);

  // 3. The final receipt, once: only the run that made the job final gets here.
  if (action === 'sent' || action === 'failed') result.receipt = await sendReceipt(config, paths, id, action === 'sent' ? 'success' : 'failure', log);
  // 4. The archive copy, after the receipt: its failure is logged and costs nothing else.
  if (action === 'sent' && config.archive.directory !== '') await archiveSent(config, paths, id, log);
  return result;
}

/** Drop the call file for `next`, skipping (and releasing) jobs that no longer want to dial. */
async function startNextCalls(config: Readonly<Config>, paths: SpoolPaths, number: string, next: NextCall | undefined, log: Logger, now: Date): Promise<StartedCall[]> {
  const started: StartedCall[] = [];
  const seen = new Set<string>();
  while (next && !seen.has(next.job)) {
    seen.add(next.job);
    const call = await startCall(config, paths, next, log, now);
    if (call) {
      started.push(call);
      // Without line serialisation every job dials on its own; with it, one call at a time.
      break;
    }
    next = await releaseLine(paths, number, next.job, undefined, config.retry.one_call_per_number);
  }
  return started;
}

/** The number of a job's next attempt: one above the highest recorded or dropped, never a count. */
export function nextAttemptNumber(job: Pick<Job, 'attempts' | 'attempt'>): number {
  return Math.max(job.attempt ?? 0, ...job.attempts.map((a) => a.n), 0) + 1;
}

/**
 * Hand a queued job's next attempt to Asterisk: the record says `dialling` durably, then the call file is
 * renamed in (never the other way round). undefined if the job no longer wants to dial (final, or already
 * dialling: never two call files for one job).
 */
export async function startCall(config: Readonly<Config>, paths: SpoolPaths, next: NextCall, log: Logger, now: Date = new Date()): Promise<StartedCall | undefined> {
  const at = next.notBefore.getTime() > now.getTime() ? next.notBefore : now;
  let attemptNo = 0;
  let skip: string | undefined;
  const job = await updateJob(paths, next.job, (j) => {
    if (FINAL.has(j.state) || j.state === 'dialling') {
      skip = j.state;
      return j;
    }
    attemptNo = nextAttemptNumber(j);
    j.state = 'dialling';
    j.attempt = attemptNo;
    j.nextAttemptAt = at.toISOString();
    j.callFile = callFileName(j.id, attemptNo);
    return j;
  }).catch((err: unknown) => {
    if (err instanceof FaxError && err.code === 'not-found') {
      skip = 'gone';
      return undefined;
    }
    throw err;
  });
  if (skip !== undefined || !job) {
    log.info({ job: next.job, state: skip }, 'next job on the line does not want to dial; skipped');
    return undefined;
  }
  const dir = jobDir(paths, job.id);
  const name = callFileName(job.id, attemptNo);
  const dropOptions: Parameters<typeof dropCallFile>[2] = { outgoing: config.paths.outgoing, tmp: config.paths.tmp, owner: config.callfile.owner, group: config.callfile.group };
  if (at.getTime() > now.getTime()) dropOptions.at = at;
  try {
    const callFile = buildCallFile(config.callfile, {
      id: job.id,
      number: job.number,
      tiffPath: join(dir, job.tiff),
      attempt: attemptNo,
      ...(config.source ? { configPath: config.source } : {}),
      ...(t38ForNextAttempt(job.attempts) ? {} : { t38: false }),
    });
    await dropCallFile(name, renderCallFile(callFile), dropOptions);
  } catch (err) {
    // No call file went out: the job waits again (its attempt number stays used, so no name is reused).
    await updateJob(paths, job.id, (j) => {
      if (j.state === 'dialling' && j.attempt === attemptNo) j.state = 'queued';
      return j;
    }).catch(() => undefined);
    throw err;
  }
  log.info({ job: job.id, attempt: attemptNo, callfile: name, at: at.toISOString() }, 'call file dropped');
  return { job: job.id, attempt: attemptNo, callFile: name, at: at.toISOString() };
}

/** Mail the receipt for a final job (or the notice of a cancel) and remember that it was handed over. */
export async function sendReceipt(config: Readonly<Config>, paths: SpoolPaths, id: string, kind: ReceiptKind, log: Logger): Promise<'sent' | 'queued' | 'skipped'> {
  const dir = jobDir(paths, id);
  const job: Job = await readJob(dir);
  if (!/^[^\s@<>",;]+@[^\s@<>",;]+$/.test(job.replyTo)) {
    log.warn({ job: id }, 'no usable reply address; receipt not sent');
    return 'skipped';
  }
  // Mail code is loaded only here: most notify runs (retries, duplicates) never need it.
  const [{ buildReceiptMail }, { sendOrQueue }] = await Promise.all([import('./receipt.js'), import('../mail/deliver.js')]);
  const mail = await buildReceiptMail(config, job, dir, kind, log);
  const how = await sendOrQueue(config, mail, log);
  await updateJob(paths, id, (j) => {
    j.notifiedAt = new Date().toISOString();
    return j;
  });
  log.info({ job: id, kind, delivery: how }, 'receipt handed over');
  return how;
}

/** Keep a sent fax in the archive as PDF (made from the sent TIFF unless the receipt made it already). */
async function archiveSent(config: Readonly<Config>, paths: SpoolPaths, id: string, log: Logger): Promise<void> {
  const [{ archiveFax }, { tiffToPdf }] = await Promise.all([import('../archive/archive.js'), import('../inbound/tiff-to-pdf.js')]);
  try {
    const dir = jobDir(paths, id);
    const job = await readJob(dir);
    const pdf = join(dir, 'fax.pdf');
    const made = await stat(pdf).then((s) => s.size > 0).catch(() => false);
    if (!made) await tiffToPdf(join(dir, job.tiff), pdf, { tiff2pdf: config.paths.tiff2pdf, title: `Fax to ${job.number}`, timeoutMs: 60_000 });
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

/** One line for the command's output. */
export function describeResult(r: NotifyResult): string {
  const head = `job ${r.job} attempt ${r.attempt}`;
  const started = r.started.map((c) => (c.job === r.job ? `retry ${c.attempt} at ${c.at}` : `next job ${c.job} dials at ${c.at}`));
  switch (r.action) {
    case 'duplicate':
      return `${head}: already recorded, nothing to do`;
    case 'cancelled':
      return [`${head}: job was cancelled`, ...started].join('; ');
    case 'sent':
      return [`${head}: sent`, `receipt ${r.receipt ?? 'skipped'}`, ...started].join('; ');
    case 'failed':
      return [`${head}: failed (${r.outcome?.class || 'unknown'}), given up`, `failure notice ${r.receipt ?? 'skipped'}`, ...started].join('; ');
    case 'retry':
      return [`${head}: failed (${r.outcome?.class || 'unknown'})`, ...(started.length ? started : [`waiting for the line until ${r.decision?.retry ? r.decision.at.toISOString() : '?'}`])].join('; ');
  }
}
