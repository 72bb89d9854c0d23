/*
 * recover.ts: `faxmail run`, what the timer (every 30 s) does so that a crash at any instant blocks nothing:
 *   under the queue lock:
 *     1. remove call files a killed dispatcher left staged in paths.tmp for a job that is not dialling them
 *        (a dialling job's staged file is placed by the dispatcher itself, apply.ts);
 *     2. run the dispatcher with Asterisk's channel list (apply.ts): it applies every call report stored
 *        and not yet applied (a killed or lock-starved faxmail-notify), gives up calls that ended without a
 *        report (lost: retried by rule), counts received faxes and calls still hanging up, and starts
 *        queued jobs while a channel is free;
 *     3. once: remove the per-number records of the line model that came before the queue (lines/ and its
 *        line-*.lock files): the job records alone say who dials, so there is nothing in them to keep;
 *   then, without the lock:
 *     4. hand over receipts and notices still owed (noticePending) and flush the outbox; tell the admin
 *        about lost calls; touch <spool>/last-run (doctor and status check that the timer works);
 *     5. remove what killed processes left: a job staging dir (jobs/.new-<id>) as soon as the sendfax that
 *        built it is dead (its flock on locks/staging-<id>.lock is free); scratch files in paths.tmp and the
 *        spool and half-stored reports once older than ORPHAN_AGE_MS (younger ones may be in use).
 * A job left half-made by a killed sendfax is only ever a staging dir (removed here) or a whole job that
 * does not hold a number until the dispatcher starts it. Everything here is idempotent.
 * Fails with FaxError('temporary') when the queue lock stays busy (the next timer run tries again).
 */
import { readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { spoolPaths, ensureSpool, type SpoolPaths } from '../spool/jobs.js';
import { tryLock, withLock } from '../spool/lock.js';
import { isJobId } from '../spool/job-id.js';
import { isFinalState, type Job } from '../spool/types.js';
import { dispatchLocked, sendOwed, type DispatchOptions, type DispatchRun } from './apply.js';
import { loadJobs, queueLockPath, queueState, runStampPath, stagingLockPath } from './records.js';
import { reportDirs, type AppliedReport } from './reports.js';

/** Files and dirs a live process may still be writing are never this old (a conversion is capped lower). */
const ORPHAN_AGE_MS = 10 * 60_000;

export interface RecoveryResult {
  reports: AppliedReport[];
  reportErrors: { name: string; error: string }[];
  stagedRemoved: string[];
  /** the line model's records (lines/) removed: 0 or the number of files */
  linesRetired: number;
  dispatch: DispatchRun;
  notices: { job: string; result: string }[];
  orphans: string[];
  outbox?: { sent: number; failed: number; remaining: number };
}

export async function runRecovery(
  config: Readonly<Config>,
  log: Logger,
  opts: DispatchOptions & { flushMs?: number } = {},
): Promise<RecoveryResult> {
  const now = opts.now ?? new Date();
  const paths = spoolPaths(config.paths.spool);
  await ensureSpool(paths);
  const locked = await withLock(
    queueLockPath(paths),
    async () => {
      const stagedRemoved = await removeStrayStagedCallFiles(
        config,
        (await loadJobs(paths)).jobs.map((j) => j.job),
        log,
      );
      const dispatch = await dispatchLocked(config, paths, log, { channels: 'always', ...opts, now });
      const linesRetired = await retireLines(paths, log);
      return { reports: dispatch.reports, reportErrors: dispatch.reportErrors, stagedRemoved, linesRetired, dispatch };
    },
    opts.lockTimeoutMs ?? 30_000,
  );
  if (locked.dispatch.lost.length) {
    const { tellAdmin } = await import('../mail/admin-report.js');
    await tellAdmin(
      config,
      `${locked.dispatch.lost.length} fax call${locked.dispatch.lost.length === 1 ? '' : 's'} gave no result`,
      [
        locked.dispatch.channelsRead
          ? "These calls ended (their call files left Asterisk's outgoing directory and no channel of theirs " +
            'is left) without a result:'
          : `These calls left Asterisk's outgoing directory but no result came within queue.lost_after ` +
            `(${config.queue.lost_after} s):`,
        ...locked.dispatch.lost.map(
          (l) =>
            `  job ${l.job}, attempt ${l.attempt}: ` +
            `${l.outcome === 'retry' ? 'will be tried again' : 'given up; the sender gets a failure notice'}`,
        ),
        '',
        'Usual causes: the dialplan does not run faxmail-notify (check the Asterisk log for faxmail ' +
          'WARNINGs), faxmail-notify was killed before it could store the result, or a call file was ' +
          'removed by hand.',
      ],
      log,
    );
  }
  await sendOwed(config, locked.dispatch, log);
  const notices = await sendPendingNotices(config, paths, log);
  const orphans = await removeOrphans(config, paths, now, log);
  const result: RecoveryResult = { ...locked, notices, orphans };
  try {
    const { flushOutbox } = await import('../mail/deliver.js');
    result.outbox = await flushOutbox(config, log, { timeLimitMs: opts.flushMs ?? 20_000 });
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox flush failed');
  }
  // For doctor and status: the timer works (what the stamp says, not what it contains, is what counts).
  await writeFile(runStampPath(paths), `${new Date().toISOString()}\n`, { mode: 0o640 }).catch((err: Error) =>
    log.warn({ err: err.message }, 'could not touch the run stamp'),
  );
  log.info(
    {
      reports: result.reports.length,
      started: result.dispatch.started.length,
      lost: result.dispatch.lost.length,
      placed: result.dispatch.placed.length,
      finishing: result.dispatch.finishing.length,
      notices: notices.length,
      orphans: orphans.length,
      channels: result.dispatch.channelsRead,
    },
    'faxmail run',
  );
  return result;
}

/** Our call files (faxmail-<job>-<n>.call) in paths.tmp whose job is not dialling that very file. */
async function removeStrayStagedCallFiles(
  config: Readonly<Config>,
  jobs: readonly Job[],
  log: Logger,
): Promise<string[]> {
  const dialling = new Set(jobs.filter((j) => queueState(j) === 'dialling' && j.callFile).map((j) => j.callFile!));
  const removed: string[] = [];
  for (const name of await readdir(config.paths.tmp).catch(() => [] as string[])) {
    if (!/^faxmail-[0-9]{8}-[0-9]{6}-[0-9a-f]{12}-[0-9]+\.call$/.test(name) || dialling.has(name)) continue;
    await unlink(join(config.paths.tmp, name)).catch(() => undefined);
    removed.push(name);
    log.warn({ callfile: name }, 'removed a call file a crash left staged for a job that is not dialling it');
  }
  return removed;
}

/**
 * The line model (before the queue) kept spool/lines/<number>.json and locks/line-*.lock. The job records
 * say everything those said (a `waiting` job reads as queued, records.ts), so they are removed, once.
 */
async function retireLines(paths: SpoolPaths, log: Logger): Promise<number> {
  const dir = join(paths.root, 'lines');
  const files = await readdir(dir).catch(() => undefined);
  for (const name of await readdir(paths.locks).catch(() => [] as string[]))
    if (/^line-.*\.lock$/.test(name)) await unlink(join(paths.locks, name)).catch(() => undefined);
  if (files === undefined) return 0;
  await rm(dir, { recursive: true, force: true });
  log.warn(
    { dir, files: files.length },
    'removed the per-number records of the line model (the queue does without them)',
  );
  return files.length;
}

/** Receipts and notices owed by final jobs (noticePending): hand them over now. */
async function sendPendingNotices(
  config: Readonly<Config>,
  paths: SpoolPaths,
  log: Logger,
): Promise<{ job: string; result: string }[]> {
  const out: { job: string; result: string }[] = [];
  // Read under the queue lock: `faxmail cancel` owes its notice before it hangs up and records the call's fate
  // under that lock; read without it, the notice could go out with the before-the-call words.
  const { jobs } = await withLock(queueLockPath(paths), () => loadJobs(paths));
  const pending = jobs.filter((j) => j.job.noticePending && isFinalState(j.job.state));
  if (!pending.length) return out;
  const { sendReceipt } = await import('../notify/outbound.js');
  for (const { job } of pending)
    out.push({ job: job.id, result: await sendReceipt(config, paths, job.id, job.noticePending!, log) });
  return out;
}

async function olderThan(path: string, now: Date): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  return st !== undefined && now.getTime() - st.mtimeMs > ORPHAN_AGE_MS;
}

/** What killed processes left behind, once it is old enough that nobody can be writing it. */
async function removeOrphans(config: Readonly<Config>, paths: SpoolPaths, now: Date, log: Logger): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (dir: string, match: (name: string) => boolean): Promise<void> => {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const p = join(dir, name);
      if (!match(name) || !(await olderThan(p, now))) continue;
      await rm(p, { recursive: true, force: true });
      removed.push(p);
    }
  };
  // sendfax's job staging dirs: at once when the run that built it is dead (its staging lock is free).
  for (const name of await readdir(paths.jobs).catch(() => [] as string[])) {
    const id = name.startsWith('.new-') ? name.slice(5) : '';
    if (!isJobId(id) || !existsSync(stagingLockPath(paths, id))) continue;
    const lock = await tryLock(stagingLockPath(paths, id), 0);
    if (!lock) continue; // its sendfax is still at work
    try {
      await rm(join(paths.jobs, name), { recursive: true, force: true });
      await unlink(stagingLockPath(paths, id)).catch(() => undefined);
      removed.push(join(paths.jobs, name));
    } finally {
      await lock.release();
    }
  }
  // Staging locks of runs killed before their dir existed or after it was committed.
  for (const name of await readdir(paths.locks).catch(() => [] as string[])) {
    const m = /^staging-(.+)\.lock$/.exec(name);
    if (!m || !isJobId(m[1]!) || existsSync(join(paths.jobs, `.new-${m[1]}`))) continue;
    const lock = await tryLock(join(paths.locks, name), 0);
    if (!lock) continue;
    try {
      await unlink(join(paths.locks, name)).catch(() => undefined);
      removed.push(join(paths.locks, name));
    } finally {
      await lock.release();
    }
  }
  // Without a lock file (a run of an older version), by age; atomic-write scratch files
  // (".<name>.<pid>.<rand>.tmp") wherever they live, by age.
  const scratch = (n: string): boolean => n.startsWith('.') && n.endsWith('.tmp');
  await sweep(paths.jobs, (n) => n.startsWith('.new-') || scratch(n));
  await sweep(config.paths.tmp, scratch);
  await sweep(paths.outbox, scratch);
  await sweep(reportDirs(paths).pending, (n) => n.startsWith('.in-') || scratch(n));
  for (const id of (await readdir(paths.jobs).catch(() => [] as string[])).filter((n) => !n.startsWith('.')))
    await sweep(join(paths.jobs, id), scratch);
  if (removed.length) log.warn({ removed }, 'removed files left by interrupted runs');
  return removed;
}
