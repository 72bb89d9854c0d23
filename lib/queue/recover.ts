/*
 * recover.ts: `faxmail run`, what the timer (every 30 s) does so that a crash at any instant blocks nothing:
 *   under the queue lock:
 *     1. apply every call report stored and not yet applied (a killed or lock-starved faxmail-notify);
 *     2. finish or undo call files a killed dispatcher left in paths.tmp: a dialling job's staged file is
 *        placed (apply.ts), a staged file of a job that is not dialling it is removed;
 *     3. repair the per-number records of the older line model (lib/spool/line.ts): an active job that is
 *        no longer dialling, a waiting job that no longer waits;
 *     4. run the dispatcher: lost calls (dialling, call file gone, no report for queue.lost_after) become a
 *        lost attempt retried by rule, and free channels start queued jobs;
 *   then, without the lock:
 *     5. hand over receipts and notices still pending (noticePending) and flush the outbox;
 *     6. remove what killed processes left: a job staging dir (jobs/.new-<id>) as soon as the sendfax that
 *        built it is dead (its flock on locks/staging-<id>.lock is free); scratch files in paths.tmp and the
 *        spool and half-stored reports once older than ORPHAN_AGE_MS (younger ones may be in use).
 * A job left half-made by a killed sendfax is only ever a staging dir (removed here) or a whole job that
 * does not hold a number until the dispatcher starts it. Everything here is idempotent.
 * Fails with FaxError('temporary') when the queue lock stays busy (the next timer run tries again).
 */
import { readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { writeFileAtomic } from '../fsutil/atomic.js';
import { spoolPaths, ensureSpool, type SpoolPaths } from '../spool/jobs.js';
import { withLock } from '../spool/lock.js';
import type { LineRecord } from '../spool/line.js';
import type { Job } from '../spool/types.js';
import { dispatchLocked, type DispatchOptions, type DispatchRun } from './apply.js';
import { loadJobs, queueLockPath, queueState, stagingLockPath } from './records.js';
import { isJobId } from '../spool/job-id.js';
import { tryLock } from '../spool/lock.js';
import { existsSync } from 'node:fs';
import { applyStoredReport, listPendingReports, reportDirs, type AppliedReport } from './reports.js';

/** Files and dirs a live process may still be writing are never this old (a conversion is capped lower). */
export const ORPHAN_AGE_MS = 10 * 60_000;

export interface RecoveryResult {
  reports: AppliedReport[];
  reportErrors: { name: string; error: string }[];
  stagedRemoved: string[];
  linesRepaired: string[];
  dispatch: DispatchRun;
  notices: { job: string; result: string }[];
  orphans: string[];
  outbox?: { sent: number; failed: number; remaining: number };
}

export async function runRecovery(config: Readonly<Config>, log: Logger, opts: DispatchOptions & { flushMs?: number } = {}): Promise<RecoveryResult> {
  const now = opts.now ?? new Date();
  const paths = spoolPaths(config.paths.spool);
  await ensureSpool(paths);
  const locked = await withLock(
    queueLockPath(paths),
    async () => {
      const reports: AppliedReport[] = [];
      const reportErrors: { name: string; error: string }[] = [];
      for (const name of (await listPendingReports(paths)).pending) {
        try {
          reports.push(await applyStoredReport(config, paths, name, log, now));
        } catch (err) {
          reportErrors.push({ name, error: err instanceof Error ? err.message : String(err) });
        }
      }
      const { jobs } = await loadJobs(paths);
      const stagedRemoved = await removeStrayStagedCallFiles(config, jobs.map((j) => j.job), log);
      const linesRepaired = await repairLines(paths, jobs.map((j) => j.job), log);
      const dispatch = await dispatchLocked(config, paths, log, { ...opts, now });
      return { reports, reportErrors, stagedRemoved, linesRepaired, dispatch };
    },
    opts.lockTimeoutMs ?? 30_000,
  );
  if (locked.dispatch.lost.length) {
    const { tellAdmin } = await import('./admin-report.js');
    await tellAdmin(
      config,
      `${locked.dispatch.lost.length} fax call${locked.dispatch.lost.length === 1 ? '' : 's'} gave no result`,
      [
        `These calls left Asterisk's outgoing directory but no result came within queue.lost_after (${config.queue.lost_after} s):`,
        ...locked.dispatch.lost.map((l) => `  job ${l.job}, attempt ${l.attempt}: ${l.outcome === 'retry' ? 'will be tried again' : 'given up; the sender gets a failure notice'}`),
        '',
        'Usual causes: the dialplan does not run faxmail-notify (check the Asterisk log for faxmail WARNINGs), or a call file was removed by hand.',
      ],
      log,
    );
  }
  const notices = await sendPendingNotices(config, paths, log);
  const orphans = await removeOrphans(config, paths, now, log);
  const result: RecoveryResult = { ...locked, notices, orphans };
  try {
    const { flushOutbox } = await import('../mail/deliver.js');
    result.outbox = await flushOutbox(config, log, { timeLimitMs: opts.flushMs ?? 20_000 });
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox flush failed');
  }
  log.info(
    { reports: result.reports.length, started: result.dispatch.started.length, lost: result.dispatch.lost.length, placed: result.dispatch.placed.length, notices: notices.length, orphans: orphans.length, lines: result.linesRepaired.length },
    'faxmail run',
  );
  return result;
}

/** Our call files (faxmail-<job>-<n>.call) in paths.tmp whose job is not dialling that very file. */
async function removeStrayStagedCallFiles(config: Readonly<Config>, jobs: readonly Job[], log: Logger): Promise<string[]> {
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

/** The older line model's records: clear an active job that is not dialling, drop waiters that do not wait. */
async function repairLines(paths: SpoolPaths, jobs: readonly Job[], log: Logger): Promise<string[]> {
  const dir = join(paths.root, 'lines');
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const repaired: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    // The lock is named by the number (as line.ts names it), which the record holds.
    const number = await readFile(file, 'utf8').then((t) => String((JSON.parse(t) as LineRecord).number ?? ''), () => undefined);
    if (number === undefined) continue;
    await withLock(join(paths.locks, `line-${number.replace(/[^0-9+]/g, '')}.lock`), async () => {
      let line: LineRecord;
      try {
        line = JSON.parse(await readFile(file, 'utf8')) as LineRecord;
      } catch {
        return;
      }
      const before = JSON.stringify(line);
      const active = line.active !== undefined ? byId.get(line.active) : undefined;
      if (line.active !== undefined && (!active || queueState(active) !== 'dialling')) delete line.active;
      line.waiting = (line.waiting ?? []).filter((w) => byId.get(w.job)?.state === 'waiting');
      if (JSON.stringify(line) === before) return;
      await writeFileAtomic(file, JSON.stringify(line) + '\n', { mode: 0o640 });
      repaired.push(line.number);
      log.warn({ number: line.number }, 'repaired the line record of a number (its job had ended or was gone)');
    });
  }
  return repaired;
}

/** Receipts and notices owed by final jobs (noticePending): hand them over now. */
async function sendPendingNotices(config: Readonly<Config>, paths: SpoolPaths, log: Logger): Promise<{ job: string; result: string }[]> {
  const out: { job: string; result: string }[] = [];
  const { jobs } = await loadJobs(paths);
  const pending = jobs.filter((j) => j.job.noticePending && ['sent', 'failed'].includes(j.job.state));
  if (!pending.length) return out;
  const { sendReceipt } = await import('../notify/outbound.js');
  for (const { job } of pending) out.push({ job: job.id, result: await sendReceipt(config, paths, job.id, job.noticePending!, log) });
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
  await sweep(join(paths.root, 'lines'), scratch);
  await sweep(reportDirs(paths).pending, (n) => n.startsWith('.in-') || scratch(n));
  for (const id of (await readdir(paths.jobs).catch(() => [] as string[])).filter((n) => !n.startsWith('.'))) await sweep(join(paths.jobs, id), scratch);
  if (removed.length) log.warn({ removed }, 'removed files left by interrupted runs');
  return removed;
}
