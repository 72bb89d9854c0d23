/*
 * status.ts: what the spool holds, for `faxmail status`: jobs by state (with the ones still dialling
 * listed), mails waiting in the outbox (however old: they are never dropped, so they are shown here),
 * and received faxes by state, and what needs the admin (`attention`: lost calls, jobs held too long, receipts
 * or notices stuck, call reports that cannot be matched or were not applied, unreadable records, a queue
 * that waits while `faxmail run` does not run): the
 * command exits 1 when that list is not empty, so monitoring can run `faxmail status`.
 * collectStatus reads; formatStatus is pure.
 * Fails with the underlying I/O error; a job record that cannot be read is listed, not fatal.
 */
import { localTime } from '../time.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { listInboundIds, readInboundRecord, type InboundState } from '../inbound/record.js';
import { listOutbox } from '../mail/outbox.js';
import { jobDir, listJobIds, readJob, spoolPaths } from '../spool/jobs.js';
import { JOB_STATES, type JobState } from '../spool/types.js';
import { queueState, runStampPath, RUN_STALE_MS } from '../queue/records.js';
import { listPendingReports, reportDirs } from '../queue/reports.js';
import { stat } from 'node:fs/promises';

export interface ActiveJob {
  id: string;
  state: JobState;
  number: string;
  pages: number;
  attempts: number;
  nextAttemptAt?: string;
  created: string;
  heldAt?: string;
  noticePending?: string;
  noticeError?: string;
  /**
   * Dialling, due for a while, yet its call file is no longer in Asterisk's outgoing dir and no result came:
   * the call ran but faxmail-notify never reported (dialplan not installed, notify failing), or the file
   * was removed by hand. `faxmail cancel` it and resend, after fixing the cause.
   */
  lost: boolean;
}

/** The default of queue.lost_after: how long a call may go without its call file and without a result. */
export const LOST_AFTER_MS = 3600 * 1000;

/** Pure: is a dialling job lost? (see ActiveJob.lost; `faxmail run` then records a lost attempt) */
export function isLost(
  job: { state: JobState; nextAttemptAt?: string; callFile?: string; dialledAt?: string; attempt?: number },
  callFilePresent: boolean,
  now: Date,
  lostAfterMs = LOST_AFTER_MS,
): boolean {
  const dialling =
    job.state === 'dialling' ||
    (job.state === 'queued' && job.callFile !== undefined && job.attempt === undefined && job.dialledAt === undefined);
  if (!dialling || callFilePresent) return false;
  const due = Date.parse(job.dialledAt ?? job.nextAttemptAt ?? '');
  return Number.isFinite(due) && now.getTime() - due > lostAfterMs;
}

export interface SpoolStatus {
  spool: string;
  jobs: { total: number; byState: Record<JobState, number>; active: ActiveJob[]; unreadable: string[] };
  outbox: {
    waiting: number;
    entries: {
      id: string;
      kind: string;
      job?: string;
      to: string[];
      subject: string;
      created: string;
      attempts: number;
      lastAttemptAt: string;
      lastError: string;
    }[];
    unreadable: string[];
  };
  inbound: { total: number; byState: Record<InboundState, number>; unhandled: string[]; noRecipient: string[] };
  reports: { pending: number; unmatched: string[] };
  /** one sentence per thing that needs the admin; non-empty: `faxmail status` exits 1 */
  attention: string[];
}

/** A report not applied after this long means faxmail-notify's application and `faxmail run` both failed. */
const REPORT_STALE_MS = 5 * 60_000;

export async function collectStatus(config: Readonly<Config>, now: Date = new Date()): Promise<SpoolStatus> {
  const paths = spoolPaths(config.paths.spool);
  const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  const active: ActiveJob[] = [];
  const unreadable: string[] = [];
  const attention: string[] = [];
  const ids = await listJobIds(paths);
  for (const id of ids) {
    try {
      const job = await readJob(jobDir(paths, id));
      const q = queueState(job);
      const state: JobState = q === 'final' ? job.state : q;
      byState[state] = (byState[state] ?? 0) + 1;
      if (q !== 'final' || job.noticePending) {
        const present = job.callFile !== undefined && existsSync(join(config.paths.outgoing, job.callFile));
        const lost = isLost(job, present, now, config.queue.lost_after * 1000);
        active.push({
          id,
          state,
          number: job.number,
          pages: job.pages,
          attempts: job.attempts.length,
          ...(job.nextAttemptAt && state === 'queued' ? { nextAttemptAt: job.nextAttemptAt } : {}),
          created: job.created,
          ...(job.heldAt ? { heldAt: job.heldAt } : {}),
          ...(job.noticePending ? { noticePending: job.noticePending } : {}),
          ...(job.noticeError ? { noticeError: job.noticeError } : {}),
          lost,
        });
        if (lost)
          attention.push(
            `job ${id}: its call gave no result (call file gone); faxmail run records it as a lost attempt`,
          );
        if (
          state === 'held' &&
          now.getTime() - Date.parse(job.heldAt ?? job.updated) > config.queue.held_alert_after * 1000
        )
          attention.push(
            `job ${id}: on hold since ${localTime(job.heldAt ?? job.updated)} (faxmail release ${id}, or cancel it)`,
          );
        if (
          job.noticePending &&
          (job.noticeError || now.getTime() - Date.parse(job.updated) > config.queue.notice_alert_after * 1000)
        ) {
          attention.push(
            `job ${id}: its ` +
              ({ success: 'receipt', failure: 'failure notice', cancelled: 'cancel notice' }[job.noticePending] ??
                'notice') +
              ` could not be sent${job.noticeError ? `: ${job.noticeError.slice(0, 160)}` : ''}`,
          );
        }
      }
    } catch {
      unreadable.push(id);
      attention.push(`job ${id}: its record cannot be read`);
    }
  }
  // The timer: a queue that has waited a while without a `faxmail run` means nobody starts retries or
  // finds lost calls (the timer is stopped, or its runs fail).
  const waitingSince = Math.min(
    ...active
      .filter((j) => j.state === 'queued' || j.state === 'dialling')
      .map((j) => Date.parse(j.nextAttemptAt ?? j.created))
      .filter(Number.isFinite),
  );
  if (now.getTime() - waitingSince > RUN_STALE_MS) {
    const last = await stat(runStampPath(paths)).then(
      (st) => st.mtimeMs,
      () => undefined,
    );
    if (last === undefined || now.getTime() - last > RUN_STALE_MS)
      attention.push(
        `faxmail run ${last === undefined ? 'has never run' : `last ran ${localTime(new Date(last))}`} while ` +
          `jobs wait: is its timer active? (faxmail doctor says)`,
      );
  }
  const reports = await listPendingReports(paths);
  for (const name of reports.unmatched)
    attention.push(
      `call report ${name}: its job id or attempt cannot be read (see the file in ${reportDirs(paths).pending})`,
    );
  for (const name of reports.pending) {
    const st = await stat(join(reportDirs(paths).pending, name)).catch(() => undefined);
    if (st && now.getTime() - st.mtimeMs > REPORT_STALE_MS)
      attention.push(`call report ${name}: stored but not applied (is the faxmail run timer active?)`);
  }
  const out = await listOutbox(paths);
  const inboundByState: Record<InboundState, number> = { delivered: 0, queued: 0, empty: 0, 'no-recipient': 0 };
  const { recorded, unhandled } = await listInboundIds(paths);
  const noRecipient: string[] = [];
  for (const id of recorded) {
    const rec = await readInboundRecord(paths, id).catch(() => undefined);
    if (!rec) continue;
    inboundByState[rec.state] = (inboundByState[rec.state] ?? 0) + 1;
    if (rec.state === 'no-recipient') noRecipient.push(id);
  }
  for (const e of out.entries)
    if (now.getTime() - Date.parse(e.created) > config.queue.notice_alert_after * 1000)
      attention.push(`mail ${e.id} (${e.kind}) waiting in the outbox since ${localTime(e.created)}: ${e.lastError}`);
  for (const id of out.broken) attention.push(`outbox record ${id} cannot be read`);
  for (const id of noRecipient) attention.push(`received fax ${id}: no recipient configured for its number`);
  for (const id of unhandled)
    attention.push(`received fax ${id}: never reported (faxmail-notify received did not run)`);
  return {
    reports: { pending: reports.pending.length, unmatched: reports.unmatched },
    attention,
    spool: paths.root,
    jobs: { total: ids.length, byState, active, unreadable },
    outbox: {
      waiting: out.entries.length,
      entries: out.entries.map((e) => ({
        id: e.id,
        kind: e.kind,
        ...(e.jobId ? { job: e.jobId } : {}),
        to: e.envelope.to,
        subject: e.subject,
        created: e.created,
        attempts: e.attempts,
        lastAttemptAt: e.lastAttemptAt,
        lastError: e.lastError,
      })),
      unreadable: out.broken,
    },
    inbound: { total: recorded.length + unhandled.length, byState: inboundByState, unhandled, noRecipient },
  };
}

function age(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

/** The status as text for a terminal. Pure. */
export function formatStatus(s: SpoolStatus, now: Date = new Date()): string {
  const lines: string[] = [];
  const states = JOB_STATES.map((st) => `${st} ${s.jobs.byState[st]}`).join(', ');
  lines.push(`jobs: ${s.jobs.total} (${states})`);
  for (const j of s.jobs.active) {
    const next = j.nextAttemptAt ? `, next try ${localTime(j.nextAttemptAt)}` : '';
    const held = j.heldAt ? `, held since ${localTime(j.heldAt)}` : '';
    const notice = j.noticePending
      ? ', ' +
        ({ success: 'receipt', failure: 'failure notice', cancelled: 'cancel notice' }[j.noticePending] ?? 'notice') +
        ` pending`
      : '';
    const lost = j.lost ? '  LOST: no call file in outgoing and no result (see README, Troubleshooting)' : '';
    lines.push(
      `  ${j.id}  ${j.state.padEnd(9)} ${j.number}  ${j.pages} p.  ${j.attempts} tries${next}${held}${notice}${lost}`,
    );
  }
  if (s.jobs.unreadable.length) lines.push(`  unreadable job records: ${s.jobs.unreadable.join(', ')}`);
  lines.push(`outbox: ${s.outbox.waiting} mail${s.outbox.waiting === 1 ? '' : 's'} waiting`);
  for (const e of s.outbox.entries) {
    lines.push(
      `  ${e.id}  ${e.kind} to ${e.to.join(', ')}  waiting ${age(e.created, now)}, ${e.attempts} tries; last ` +
        `error: ${e.lastError}`,
    );
  }
  if (s.outbox.unreadable.length) lines.push(`  unreadable outbox records: ${s.outbox.unreadable.join(', ')}`);
  const ib = s.inbound.byState;
  lines.push(
    `inbound: ${s.inbound.total} received (delivered ${ib.delivered}, queued for mail ${ib.queued}, without ` +
      `pages ${ib.empty}, no recipient ${ib['no-recipient']}, not handled ${s.inbound.unhandled.length})`,
  );
  for (const id of s.inbound.noRecipient) lines.push(`  ${id}: no recipient configured for its number`);
  for (const id of s.inbound.unhandled)
    lines.push(`  ${id}: received but never reported (faxmail-notify received did not run)`);
  lines.push(`call reports: ${s.reports.pending} waiting to be applied, ${s.reports.unmatched.length} unmatched`);
  if (s.attention.length) {
    lines.push(`needs attention (${s.attention.length}):`);
    for (const a of s.attention) lines.push(`  ${a}`);
  } else lines.push('nothing needs attention');
  return lines.join('\n');
}
