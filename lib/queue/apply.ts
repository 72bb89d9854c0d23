/*
 * apply.ts: the thin part of the dispatcher. Under the queue lock it reads the spool, asks dispatch() who
 * may dial, and carries the answer out:
 *   start  1. write the call file whole in paths.tmp under its final name (not visible to Asterisk)
 *          2. make the job `dialling` durably (attempt number, call file name, dialledAt)
 *          3. rename the call file into Asterisk's outgoing dir
 *          A crash after 1 leaves a staged file of a job that is not dialling: `faxmail run` removes it.
 *          A crash after 2 leaves a dialling job whose call file is still staged: the next run places it.
 *          So a call file never exists without its job saying `dialling`, and never the other way round
 *          for longer than until the next run.
 *   lost   record the attempt as lost (class unknown, retried by that rule), the admin is told.
 * It runs at the end of sendfax and of every applied call report, and from `faxmail run`.
 * Fails with FaxError('temporary') when the queue lock stays busy; a call file that cannot be written
 * leaves its job queued for a minute later and is reported in the result, never thrown.
 */
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { buildCallFile, callFileName, renderCallFile } from '../asterisk/callfile.js';
import { placeStagedCallFile, stageCallFile } from '../asterisk/queue.js';
import { jobDir, readJob, spoolPaths, updateJob, type SpoolPaths } from '../spool/jobs.js';
import { withLock } from '../spool/lock.js';
import type { Attempt, Job } from '../spool/types.js';
import { decideRetry } from '../notify/retry.js';
import { dispatch, type Wait } from './dispatch.js';
import { loadJobs, nextAttemptNumber, queueLockPath, queueSettings, queueState, recentStarts, toEntry } from './records.js';

export interface StartedCall {
  job: string;
  attempt: number;
  callFile: string;
}

export interface LostCall {
  job: string;
  attempt: number;
  /** retry: queued again; failed: given up (a failure notice is pending) */
  outcome: 'retry' | 'failed';
}

export interface DispatchRun {
  started: StartedCall[];
  lost: LostCall[];
  /** interrupted placements finished (a dialling job's call file moved from tmp to outgoing) */
  placed: string[];
  failed: { job: string; error: string }[];
  waits: Wait[];
  wakeAt?: Date;
  inFlight: number;
}

export interface DispatchOptions {
  now?: Date;
  /** numbers and call count Asterisk shows outside the spool (e.g. from its channel list) */
  busyNumbers?: ReadonlySet<string>;
  extraCalls?: number;
  lockTimeoutMs?: number;
}

/** The attempt number of a dialling job's current call (from its call file name). */
export function currentAttempt(job: Job): number {
  if (job.attempt !== undefined) return job.attempt;
  const m = /-([0-9]+)\.call$/.exec(job.callFile ?? '');
  return m ? Number(m[1]) : nextAttemptNumber(job);
}

/** Run the dispatcher once, under the queue lock. */
export async function runDispatcher(config: Readonly<Config>, log: Logger, opts: DispatchOptions = {}): Promise<DispatchRun> {
  const paths = spoolPaths(config.paths.spool);
  return withLock(queueLockPath(paths), () => dispatchLocked(config, paths, log, opts), opts.lockTimeoutMs ?? 30_000);
}

/** The same, for a caller that already holds the queue lock. */
export async function dispatchLocked(config: Readonly<Config>, paths: SpoolPaths, log: Logger, opts: DispatchOptions = {}): Promise<DispatchRun> {
  const now = opts.now ?? new Date();
  const { jobs } = await loadJobs(paths);
  const run: DispatchRun = { started: [], lost: [], placed: [], failed: [], waits: [], inFlight: 0 };

  // Finish placements a crash interrupted (step 3 above), before anyone counts call files.
  for (const { job } of jobs) {
    if (queueState(job) !== 'dialling' || !job.callFile) continue;
    if (!existsSync(join(config.paths.tmp, job.callFile))) continue;
    await placeStagedCallFile(job.callFile, { tmp: config.paths.tmp, outgoing: config.paths.outgoing, at: now });
    run.placed.push(job.id);
    log.warn({ job: job.id, callfile: job.callFile }, 'call file placed after an interrupted dispatch');
  }

  const entries = jobs.map(({ job }) => toEntry(job, config.paths.outgoing)).filter((e) => e !== undefined);
  const input: Parameters<typeof dispatch>[0] = { jobs: entries, recent: recentStarts(jobs.map((j) => j.job), now.getTime()), settings: queueSettings(config), now: now.getTime() };
  if (opts.busyNumbers) input.busyNumbers = opts.busyNumbers;
  if (opts.extraCalls) input.extraCalls = opts.extraCalls;
  const plan = dispatch(input);
  run.waits = plan.waits;
  run.inFlight = plan.inFlight;
  if (plan.wakeAt !== undefined) run.wakeAt = new Date(plan.wakeAt);

  for (const id of plan.lost) run.lost.push(await recordLost(config, paths, id, log, now));
  for (const id of plan.start) {
    try {
      run.started.push(await startCall(config, paths, id, log, now));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      run.failed.push({ job: id, error });
      run.inFlight--;
      log.error({ job: id, err: error }, 'could not hand the call file to Asterisk; the job tries again in a minute');
      await updateJob(paths, id, (j) => {
        if (j.state === 'queued') j.nextAttemptAt = new Date(now.getTime() + 60_000).toISOString();
        return j;
      }).catch(() => undefined);
    }
  }
  if (run.started.length || run.lost.length) log.info({ started: run.started.map((s) => s.job), lost: run.lost.map((l) => l.job), inFlight: run.inFlight }, 'dispatcher');
  return run;
}

async function startCall(config: Readonly<Config>, paths: SpoolPaths, id: string, log: Logger, now: Date): Promise<StartedCall> {
  let attempt = 0;
  let name = '';
  // 1. The call file, whole, in tmp. Every writer of a job's state holds the queue lock, as we do.
  const job = await readJob(jobDir(paths, id));
  if (queueState(job) !== 'queued') throw new Error(`job ${id} is ${job.state}, not queued`);
  attempt = nextAttemptNumber(job);
  name = callFileName(id, attempt);
  const text = renderCallFile(
    buildCallFile(config.callfile, { id, number: job.number, tiffPath: join(paths.jobs, id, job.tiff), attempt, ...(config.source ? { configPath: config.source } : {}) }),
  );
  const drop = { tmp: config.paths.tmp, owner: config.callfile.owner, group: config.callfile.group };
  await stageCallFile(name, text, drop);
  // 2. Durable: the job is dialling this attempt.
  try {
    await updateJob(paths, id, (j) => {
      j.state = 'dialling';
      j.attempt = attempt;
      j.callFile = name;
      j.dialledAt = now.toISOString();
      delete j.nextAttemptAt;
      return j;
    });
  } catch (err) {
    await unlink(join(config.paths.tmp, name)).catch(() => undefined);
    throw err;
  }
  // 3. Visible to Asterisk.
  await placeStagedCallFile(name, { tmp: config.paths.tmp, outgoing: config.paths.outgoing, at: now });
  log.info({ job: id, attempt, callfile: name }, 'call file handed to Asterisk');
  return { job: id, attempt, callFile: name };
}

/** A dialling job gave no result within lost_after: record a lost attempt and retry by rule. */
async function recordLost(config: Readonly<Config>, paths: SpoolPaths, id: string, log: Logger, now: Date): Promise<LostCall> {
  let result: LostCall = { job: id, attempt: 0, outcome: 'retry' };
  await updateJob(paths, id, (j) => {
    if (queueState(j) !== 'dialling') return j;
    const n = currentAttempt(j);
    const attempt: Attempt = {
      n,
      at: now.toISOString(),
      status: 'UNANSWERED',
      class: 'unknown',
      error: `no result from Asterisk within ${config.queue.lost_after} s (call file gone, no report)`,
      pages: 0,
      rate: 0,
      resolution: '',
      remoteStationId: '',
      lost: true,
      ...(j.dialledAt ? { started: j.dialledAt } : {}),
    };
    j.attempts.push(attempt);
    const decision = decideRetry(j.attempts, config.retry, now);
    delete j.callFile;
    delete j.dialledAt;
    if (decision.retry) {
      j.state = 'queued';
      j.nextAttemptAt = decision.at.toISOString();
    } else {
      j.state = 'failed';
      j.noticePending = 'failure';
    }
    result = { job: id, attempt: n, outcome: decision.retry ? 'retry' : 'failed' };
    return j;
  });
  log.warn({ job: id, attempt: result.attempt, outcome: result.outcome, admin: true }, 'call lost: no result from Asterisk and its call file is gone');
  return result;
}
