/*
 * queue-actions.ts: the admin's hands on the queue: `faxmail list`, `retry`, `hold`, `release`, `received`.
 * Ids may be given whole or by a unique prefix (resolveJobId). Every change takes the queue lock (the same
 * lock the dispatcher and the report application take), then the dispatcher runs so a freed or released
 * job dials at once if a channel is free.
 * Fails with FaxError('not-found') for no match, 'usage' for an ambiguous prefix or a state the action
 * does not apply to (the sentence says what to do instead).
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FaxError } from '../errors.js';
import { jobDir, listJobIds, readJob, spoolPaths, updateJob } from '../spool/jobs.js';
import { withLock } from '../spool/lock.js';
import { JOB_STATES, type Job, type JobState } from '../spool/types.js';
import { dispatchLocked, type StartedCall } from '../queue/apply.js';
import { queueLockPath, queueState } from '../queue/records.js';
import { listInboundIds, readInboundRecord, type InboundRecord } from '../inbound/record.js';

/** The job whose id is `given` or starts with it; at least 4 characters so a typo does not pick a job. */
export async function resolveJobId(config: Readonly<Config>, given: string): Promise<string> {
  const ids = await listJobIds(spoolPaths(config.paths.spool));
  if (ids.includes(given)) return given;
  if (given.length < 4 || !/^[0-9a-f-]+$/.test(given))
    throw new FaxError(
      'not-found',
      `No fax job "${given.slice(0, 60)}" (give the id or at least its first 4 characters).`,
    );
  const matches = ids.filter((id) => id.startsWith(given));
  if (matches.length === 0) throw new FaxError('not-found', `No fax job starts with "${given}".`);
  if (matches.length > 1)
    throw new FaxError(
      'usage',
      `"${given}" matches ${matches.length} jobs ` +
        `(${matches.slice(0, 3).join(', ')}${matches.length > 3 ? ', ...' : ''}); give more of the id.`,
    );
  return matches[0]!;
}

export interface ListedJob {
  id: string;
  state: JobState;
  number: string;
  sender: string;
  pages: number;
  attempts: number;
  created: string;
  updated: string;
  nextAttemptAt?: string;
  noticePending?: string;
}

/** "2h", "3d", "45m" or an ISO date -> a time. */
export function parseSince(text: string, now: Date = new Date()): Date {
  const m = /^([0-9]+)\s*([mhd])$/.exec(text.trim());
  if (m)
    return new Date(now.getTime() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']);
  const t = Date.parse(text);
  if (!Number.isFinite(t))
    throw new FaxError('usage', `--since takes a time like 2h, 3d, 45m or 2026-12-01, not "${text.slice(0, 40)}".`);
  return new Date(t);
}

export async function listJobs(
  config: Readonly<Config>,
  opts: { state?: string; since?: Date } = {},
): Promise<ListedJob[]> {
  if (opts.state !== undefined && !JOB_STATES.includes(opts.state as JobState))
    throw new FaxError('usage', `--state is one of ${JOB_STATES.join(', ')}, not "${opts.state.slice(0, 20)}".`);
  const paths = spoolPaths(config.paths.spool);
  const out: ListedJob[] = [];
  for (const id of await listJobIds(paths)) {
    const job = await readJob(jobDir(paths, id)).catch(() => undefined);
    if (!job) continue;
    const q = queueState(job);
    const state: JobState = q === 'final' ? job.state : q;
    if (opts.state && state !== opts.state) continue;
    if (opts.since && !(Date.parse(job.updated) >= opts.since.getTime())) continue;
    out.push({
      id,
      state,
      number: job.number,
      sender: job.replyTo,
      pages: job.pages,
      attempts: job.attempts.length,
      created: job.created,
      updated: job.updated,
      ...(job.nextAttemptAt && state === 'queued' ? { nextAttemptAt: job.nextAttemptAt } : {}),
      ...(job.noticePending ? { noticePending: job.noticePending } : {}),
    });
  }
  return out;
}

export function formatList(jobs: readonly ListedJob[]): string {
  if (jobs.length === 0) return 'no jobs';
  return jobs
    .map((j) => {
      const extra = [j.nextAttemptAt ? `next ${j.nextAttemptAt}` : '', j.noticePending ? `notice pending` : '']
        .filter(Boolean)
        .join(', ');
      return (
        `${j.id}  ${j.state.padEnd(9)} ${j.number.padEnd(14)} ${String(j.pages).padStart(3)} p.  ` +
        `${j.attempts} tries  ${j.sender}${extra ? `  (${extra})` : ''}`
      );
    })
    .join('\n');
}

export interface ActionResult {
  job: string;
  previous: JobState;
  state: JobState;
  started: StartedCall[];
}

async function change(
  config: Readonly<Config>,
  given: string,
  log: Logger,
  verb: string,
  fn: (job: Job, now: Date) => void,
): Promise<ActionResult> {
  const id = await resolveJobId(config, given);
  const paths = spoolPaths(config.paths.spool);
  return withLock(queueLockPath(paths), async () => {
    const now = new Date();
    let previous: JobState = 'queued';
    const job = await updateJob(paths, id, (j) => {
      const q = queueState(j);
      previous = q === 'final' ? j.state : q;
      fn(j, now);
      return j;
    });
    log.info({ job: id, previous, state: job.state, action: verb }, `job ${verb} by the admin`);
    const run = await dispatchLocked(config, paths, log, { now });
    return { job: id, previous, state: job.state, started: run.started };
  });
}

/** Dial again now: a queued or held job at once, a failed job once more (its sender is told again after). */
export function retryJob(config: Readonly<Config>, given: string, log: Logger): Promise<ActionResult> {
  return change(config, given, log, 'retried', (j, now) => {
    const q = queueState(j);
    if (q === 'dialling')
      throw new FaxError('usage', `Job ${j.id} is dialling now; wait for the result (faxmail show ${j.id}).`);
    if (j.state === 'sent') throw new FaxError('usage', `Job ${j.id} was sent already; nothing to retry.`);
    if (j.state === 'cancelled')
      throw new FaxError('usage', `Job ${j.id} was cancelled; ask the sender to send the mail again.`);
    j.state = 'queued';
    delete j.callFile;
    delete j.heldAt;
    delete j.noticePending;
    delete j.noticeError;
    delete j.notifiedAt;
    j.nextAttemptAt = now.toISOString();
  });
}

/** Stop a queued job from dialling until released. */
export function holdJob(config: Readonly<Config>, given: string, log: Logger): Promise<ActionResult> {
  return change(config, given, log, 'held', (j, now) => {
    const q = queueState(j);
    if (q === 'held') return;
    if (q === 'dialling')
      throw new FaxError('usage', `Job ${j.id} is dialling now; hold it once this call has ended, or cancel it.`);
    if (q === 'final') throw new FaxError('usage', `Job ${j.id} has ended (${j.state}); there is nothing to hold.`);
    j.state = 'held';
    j.heldAt = now.toISOString();
  });
}

/** Let a held job dial again (at once, if its retry time has passed). */
export function releaseJob(config: Readonly<Config>, given: string, log: Logger): Promise<ActionResult> {
  return change(config, given, log, 'released', (j) => {
    if (j.state !== 'held')
      throw new FaxError(
        'usage',
        `Job ${j.id} is not on hold (${queueState(j) === 'final' ? j.state : queueState(j)}).`,
      );
    j.state = 'queued';
    delete j.heldAt;
  });
}

export async function listReceived(
  config: Readonly<Config>,
): Promise<{ records: InboundRecord[]; unhandled: string[] }> {
  const paths = spoolPaths(config.paths.spool);
  const { recorded, unhandled } = await listInboundIds(paths);
  const records: InboundRecord[] = [];
  for (const id of recorded) {
    const r = await readInboundRecord(paths, id).catch(() => undefined);
    if (r) records.push(r);
  }
  records.sort((a, b) => a.received.localeCompare(b.received));
  return { records, unhandled };
}

export function formatReceived(r: { records: InboundRecord[]; unhandled: string[] }): string {
  const lines = r.records.map(
    (x) =>
      `${x.id}  ${x.received}  to ${x.did}  from ${x.callerNum || '-'}${x.remoteId ? ` "${x.remoteId}"` : ''} ` +
      ` ${x.pages} p.${x.partial ? ' (partial)' : ''}  ` +
      `${x.state}${x.recipients.length ? ` -> ${x.recipients.join(', ')}` : ''}`,
  );
  for (const id of r.unhandled) lines.push(`${id}  received but never reported (faxmail-notify received did not run)`);
  return lines.length ? lines.join('\n') : 'no received faxes';
}
