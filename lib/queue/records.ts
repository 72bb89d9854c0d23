/*
 * records.ts: the spool's jobs as the dispatcher sees them. Reads every job record once (unreadable ones are
 * listed, never fatal), maps each unfinished job to a QueueEntry, and collects the call starts of the last
 * hour for fair turns and sender limits. Also the spool lock that every change of "who dials" takes, and
 * the settings the dispatcher reads from the config.
 * Lock order everywhere: the queue lock first, then a job's lock (updateJob), never the other way round.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { jobDir, listJobIds, readJob, type SpoolPaths } from '../spool/jobs.js';
import { isFinalState, type Job } from '../spool/types.js';
import type { QueueEntry, QueueSettings, RecentStart } from './dispatch.js';
import { parseWindow } from '../policy/hours.js';

export function queueLockPath(paths: SpoolPaths): string {
  return join(paths.locks, 'queue.lock');
}

/** Touched by every `faxmail run` that finished: doctor and status tell from it whether the timer works. */
export function runStampPath(paths: SpoolPaths): string {
  return join(paths.root, 'last-run');
}

/**
 * How long a waiting queue may go without a `faxmail run` before status and doctor say so (the timer is every 30 s).
 */
export const RUN_STALE_MS = 5 * 60_000;

/**
 * Held by the sendfax run that checks whether its mail already made a job and commits it if not
 * (lib/queue/mailkey.ts): one run at a time per mail, without waiting for the queue. Removed after use.
 */
export function mailLockPath(paths: SpoolPaths, key: string): string {
  return join(paths.locks, `mail-${key.replace(/[^0-9a-f]/g, '').slice(0, 32)}.lock`);
}

/** Held by the sendfax run that builds jobs/.new-<id> (see recover.ts). */
export function stagingLockPath(paths: SpoolPaths, id: string): string {
  return join(paths.locks, `staging-${id}.lock`);
}

export function queueSettings(config: Readonly<Config>): QueueSettings {
  return {
    maxCalls: config.queue.max_calls,
    oneCallPerNumber: config.retry.one_call_per_number,
    lostAfter: config.queue.lost_after * 1000,
    window: parseWindow(config.queue.sending_hours, config.queue.sending_days, config.queue.time_zone),
    senderFaxesPerHour: config.queue.sender_faxes_per_hour,
    senderPagesPerHour: config.queue.sender_pages_per_hour,
  };
}

/** Who fair turns and limits count by: the envelope sender Postfix checked, else the reply address. */
export function senderKey(job: Pick<Job, 'envelopeSender' | 'replyTo'>): string {
  return (job.envelopeSender || job.replyTo || '').toLowerCase();
}

/** The state in the queue's terms, for records written before lib/queue/ too (see types.ts). */
export function queueState(job: Job): QueueEntry['state'] | 'final' {
  if (isFinalState(job.state)) return 'final';
  // A record from before the queue said `queued` once its call file was out; those never carry `attempt`
  // or `dialledAt`, which every later writer sets when it drops a call file.
  if (
    job.state === 'dialling' ||
    (job.state === 'queued' && job.callFile !== undefined && job.attempt === undefined && job.dialledAt === undefined)
  )
    return 'dialling';
  if (job.state === 'held') return 'held';
  return 'queued';
}

export function ms(iso: string | undefined, fallback: number): number {
  const t = Date.parse(iso ?? '');
  return Number.isFinite(t) ? t : fallback;
}

export interface LoadedJob {
  job: Job;
  dir: string;
}

export async function loadJobs(paths: SpoolPaths): Promise<{ jobs: LoadedJob[]; unreadable: string[] }> {
  const jobs: LoadedJob[] = [];
  const unreadable: string[] = [];
  for (const id of await listJobIds(paths)) {
    const dir = jobDir(paths, id);
    try {
      jobs.push({ job: await readJob(dir), dir });
    } catch {
      unreadable.push(id);
    }
  }
  return { jobs, unreadable };
}

/**
 * What Asterisk holds at one moment: faxmail's call files in its outgoing dir, and (when its channel list
 * could be read) the jobs that have a live channel (accountcode = job id) and how many received faxes are on.
 */
export interface CallView {
  files: ReadonlySet<string>;
  /** undefined: Asterisk's channel list was not read */
  liveJobs?: ReadonlySet<string>;
  /** received faxes on Asterisk's channels (calls faxmail did not place) */
  receiving?: number;
}

/** faxmail's call files (faxmail-<job>-<n>.call) in the outgoing dir now. */
export async function callFilesPresent(outgoing: string): Promise<Set<string>> {
  const names = await readdir(outgoing).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return new Set(names.filter((n) => CALL_FILE.test(n)));
}

/** Our call-file names: faxmail-<job id>-<attempt>.call (asterisk/callfile.ts callFileName). */
export const CALL_FILE = /^faxmail-([0-9]{8}-[0-9]{6}-[0-9a-f]{12})-([0-9]+)\.call$/;

/** One job as the dispatcher's entry; undefined for a final job. */
export function toEntry(job: Job, view: CallView): QueueEntry | undefined {
  const state = queueState(job);
  if (state === 'final') return undefined;
  const created = ms(job.created, 0);
  const entry: QueueEntry = {
    id: job.id,
    number: job.number,
    sender: senderKey(job),
    pages: job.pages,
    state,
    notBefore: created,
    created,
  };
  if (state === 'dialling') {
    entry.notBefore = ms(job.dialledAt ?? job.nextAttemptAt, ms(job.updated, created));
    entry.callFilePresent = job.callFile !== undefined && view.files.has(job.callFile);
    if (view.liveJobs) entry.live = view.liveJobs.has(job.id);
  } else {
    entry.notBefore = ms(job.nextAttemptAt, created);
  }
  return entry;
}

/** Call starts of every job (finished ones too) within the hour before `now`. */
export function recentStarts(jobs: readonly Job[], now: number): RecentStart[] {
  const out: RecentStart[] = [];
  for (const job of jobs) {
    const sender = senderKey(job);
    const starts = job.attempts.map((a) => ms(a.started ?? a.at, NaN));
    if (queueState(job) === 'dialling') starts.push(ms(job.dialledAt ?? job.nextAttemptAt, NaN));
    for (const at of starts)
      if (Number.isFinite(at) && now - at < 3_600_000 && at <= now) out.push({ sender, pages: job.pages, at });
  }
  return out;
}

/** The next attempt number: one above the highest recorded (never a count, which a lost record breaks). */
export function nextAttemptNumber(job: Job): number {
  return Math.max(0, job.attempt ?? 0, ...job.attempts.map((a) => a.n)) + 1;
}
