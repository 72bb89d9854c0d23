/*
 * apply.ts: the thin part of the dispatcher. Under the queue lock it looks at what Asterisk holds, applies
 * every stored call report, asks dispatch() who may dial, and carries the answer out:
 *   look   1. finish placements a crash interrupted (a dialling job whose call file is still staged in tmp)
 *          2. note faxmail's call files in outgoing (and, for `faxmail run`, Asterisk's channel list) BEFORE
 *             listing the reports: Asterisk removes a call file only after the dialplan has reported the
 *             call (the report is stored before faxmail-notify even waits for this lock), so a dialling job
 *             whose file was already gone then, and whose report is not among the ones applied next, has
 *             lost its report for good (dispatch.ts, rule 1)
 *          3. apply every stored report (reports.ts; idempotent), so the dispatcher sees the true states
 *          4. look at outgoing again: a call file whose job is no longer dialling it belongs to a call that
 *             has reported and is hanging up (faxmail-notify runs inside the call): it still holds its
 *             channel and its number (`finishing`); faxmail-notify starts a follower that dispatches once
 *             Asterisk has removed the file (bin/faxmail-notify.ts, `next`)
 *   start  1. write the call file whole in paths.tmp under its final name (not visible to Asterisk)
 *          2. make the job `dialling` durably (attempt number, call file name, dialledAt)
 *          3. rename the call file into Asterisk's outgoing dir
 *          A crash after 1 leaves a staged file of a job that is not dialling: `faxmail run` removes it.
 *          A crash after 2 leaves a dialling job whose call file is still staged: the next run places it.
 *          So a call file never exists without its job saying `dialling`, and never the other way round
 *          for longer than until the next run. A new job still in its staging directory (StagedJob) is
 *          made `dialling` there and committed whole in step 2.
 *   lost   record the attempt as lost (class unknown, retried by that rule); the admin is told (recover.ts).
 * It runs at the end of sendfax, of every faxmail-notify report and of its follower, after every admin
 * change of the queue, and from `faxmail run`. Receipts the applied reports (or lost calls) owe are NOT sent
 * here: the caller sends them after letting go of the lock (sendOwed), so a slow mail server never holds
 * up the queue.
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
import { isJobId } from '../spool/job-id.js';
import {
  jobDir,
  publishStagingDir,
  readJob,
  spoolPaths,
  updateJob,
  writeStagedJob,
  type SpoolPaths,
} from '../spool/jobs.js';
import { withLock } from '../spool/lock.js';
import type { Attempt, Job } from '../spool/types.js';
import { decideRetry, t38ForNextAttempt } from '../notify/retry.js';
import { dispatch, type DispatchInput, type FinishingCall, type Wait } from './dispatch.js';
import {
  CALL_FILE,
  callFilesPresent,
  loadJobs,
  nextAttemptNumber,
  queueLockPath,
  queueSettings,
  queueState,
  recentStarts,
  toEntry,
  type CallView,
} from './records.js';
import { applyStoredReport, listPendingReports, type AppliedReport } from './reports.js';

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

/** A receipt or notice a job owes its sender after this run (sent by the caller, outside the lock). */
export interface OwedNotice {
  job: string;
  kind: 'success' | 'failure';
  /** the report that made it owed (undefined: a lost call given up) */
  report?: AppliedReport;
}

export interface DispatchRun {
  /** call reports applied in this run */
  reports: AppliedReport[];
  /** reports that could not be applied (they stay for the next run) */
  reportErrors: { name: string; error: string }[];
  started: StartedCall[];
  lost: LostCall[];
  /** interrupted placements finished (a dialling job's call file moved from tmp to outgoing) */
  placed: string[];
  failed: { job: string; error: string }[];
  waits: Wait[];
  wakeAt?: Date;
  inFlight: number;
  /** calls that have reported but are still hanging up on Asterisk (their call files are still in outgoing) */
  finishing: FinishingCall[];
  /** Asterisk's channel list was read (lost calls found at once, received faxes counted) */
  channelsRead: boolean;
  owed: OwedNotice[];
}

export interface DispatchOptions {
  now?: Date;
  lockTimeoutMs?: number;
  /**
   * Asterisk's channel list (lib/asterisk/cli.ts): 'always' reads it before the reports, so a call that
   * ended without a report is found at once (faxmail run, the follower); 'when-starting' reads it only when
   * calls would start, to count received faxes (sendfax, faxmail-notify, admin changes); 'never' (tests).
   */
  channels?: 'always' | 'when-starting' | 'never';
  /** a new job still in its staging directory, committed by this run (see StagedJob) */
  staged?: StagedJob;
}

/**
 * A new job still in its staging directory (sendfax, faxmail send), synced whole by the caller
 * (syncStagingDir). The dispatcher plans with it as a queued job and commits it (publishStagingDir) either
 * way: when it may dial now, already `dialling` with its call file staged, so the new job and its call
 * become durable in one step (no job lock: no other process knows the job yet, and no second write of its
 * record); otherwise `queued`. `committed` says whether that happened.
 */
export interface StagedJob {
  job: Job;
  dir: string;
  committed: boolean;
}

/** The attempt number of a dialling job's current call (from its call file name). */
function currentAttempt(job: Job): number {
  if (job.attempt !== undefined) return job.attempt;
  const m = /-([0-9]+)\.call$/.exec(job.callFile ?? '');
  return m ? Number(m[1]) : nextAttemptNumber(job);
}

/** Run the dispatcher once, under the queue lock. */
export async function runDispatcher(
  config: Readonly<Config>,
  log: Logger,
  opts: DispatchOptions = {},
): Promise<DispatchRun> {
  const paths = spoolPaths(config.paths.spool);
  return withLock(queueLockPath(paths), () => dispatchLocked(config, paths, log, opts), opts.lockTimeoutMs ?? 30_000);
}

/** Asterisk's view of its channels: jobs with a live channel, received faxes on; undefined if unreadable. */
export async function readChannels(
  config: Readonly<Config>,
  log: Logger,
): Promise<Pick<CallView, 'liveJobs' | 'receiving'> | undefined> {
  if (config.asterisk.binary === '') return undefined;
  const { parseConcise, runCli } = await import('../asterisk/cli.js');
  try {
    // Short: the queue lock is held while we ask.
    const settings = { ...config.asterisk, cli_timeout: Math.min(config.asterisk.cli_timeout, 3) };
    const channels = parseConcise(await runCli(settings, 'core show channels concise'));
    const liveJobs = new Set(channels.map((c) => c.accountCode).filter(isJobId));
    const receiving = config.queue.count_received
      ? channels.filter((c) => c.accountCode === '' && /^faxmail-receive/.test(c.context)).length
      : 0;
    return { liveJobs, receiving };
  } catch (err) {
    log.debug(
      { err: err instanceof Error ? err.message : String(err) },
      "Asterisk's channel list could not be read; the queue goes by its own records",
    );
    return undefined;
  }
}

/** The same, for a caller that already holds the queue lock. */
export async function dispatchLocked(
  config: Readonly<Config>,
  paths: SpoolPaths,
  log: Logger,
  opts: DispatchOptions = {},
): Promise<DispatchRun> {
  const now = opts.now ?? new Date();
  const mode = opts.channels ?? 'when-starting';
  const run: DispatchRun = {
    reports: [],
    reportErrors: [],
    started: [],
    lost: [],
    placed: [],
    failed: [],
    waits: [],
    inFlight: 0,
    finishing: [],
    channelsRead: false,
    owed: [],
  };

  // look 1: placements a crash interrupted, before anyone counts call files.
  for (const { job } of (await loadJobs(paths)).jobs) {
    if (queueState(job) !== 'dialling' || !job.callFile) continue;
    if (!existsSync(join(config.paths.tmp, job.callFile))) continue;
    await placeStagedCallFile(job.callFile, { tmp: config.paths.tmp, outgoing: config.paths.outgoing, at: now });
    run.placed.push(job.id);
    log.warn({ job: job.id, callfile: job.callFile }, 'call file placed after an interrupted dispatch');
  }

  // look 2: what Asterisk holds, before the reports are listed.
  const view: CallView = { files: await callFilesPresent(config.paths.outgoing) };
  if (mode === 'always') {
    const ch = await readChannels(config, log);
    if (ch) Object.assign(view, ch);
  }

  // look 3: every stored report (ours, and any a busy lock or a crash left).
  for (const name of (await listPendingReports(paths)).pending) {
    try {
      const applied = await applyStoredReport(config, paths, name, log, now);
      run.reports.push(applied);
      const r = applied.result;
      if (r && r.receipt === 'pending' && (r.action === 'sent' || r.action === 'failed'))
        run.owed.push({ job: r.job, kind: r.action === 'sent' ? 'success' : 'failure', report: applied });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      run.reportErrors.push({ name, error });
      log.error({ report: name, err: error }, 'report could not be applied; it stays for faxmail run');
    }
  }

  // look 4: calls that have reported and are hanging up still hold their channel and number.
  const { jobs } = await loadJobs(paths);
  if (opts.staged) jobs.push({ job: opts.staged.job, dir: opts.staged.dir });
  const byId = new Map(jobs.map(({ job }) => [job.id, job]));
  for (const name of await callFilesPresent(config.paths.outgoing)) {
    const id = CALL_FILE.exec(name)![1]!;
    const job = byId.get(id);
    if (job && queueState(job) === 'dialling' && job.callFile === name) continue;
    run.finishing.push({ job: id, number: job?.number ?? `unknown:${id}` });
  }

  const entries = jobs.map(({ job }) => toEntry(job, view)).filter((e) => e !== undefined);
  const input: DispatchInput = {
    jobs: entries,
    recent: recentStarts(
      jobs.map((j) => j.job),
      now.getTime(),
    ),
    settings: queueSettings(config),
    now: now.getTime(),
    finishing: run.finishing,
  };
  if (view.receiving) input.extraCalls = view.receiving;
  if (view.liveJobs) addLiveFinishing(run.finishing, view.liveJobs, entries, byId);
  let plan = dispatch(input);
  if (mode === 'when-starting' && plan.start.length > 0) {
    // Received faxes take channels too: ask Asterisk only now that a call would start. Read after the
    // reports, so it only adds live channels (never makes a call lost) and counts received faxes.
    const ch = await readChannels(config, log);
    if (ch) {
      run.channelsRead = true;
      const live = ch.liveJobs ?? new Set<string>();
      for (const e of entries) if (e.state === 'dialling' && live.has(e.id)) e.live = true;
      addLiveFinishing(run.finishing, live, entries, byId);
      if (ch.receiving) input.extraCalls = ch.receiving;
      plan = dispatch(input);
    }
  } else if (mode === 'always') run.channelsRead = view.liveJobs !== undefined;
  run.waits = plan.waits;
  run.inFlight = plan.inFlight;
  if (plan.wakeAt !== undefined) run.wakeAt = new Date(plan.wakeAt);

  for (const id of plan.lost) {
    const lost = await recordLost(config, paths, id, log, now, view.liveJobs !== undefined);
    run.lost.push(lost);
    if (lost.outcome === 'failed') run.owed.push({ job: id, kind: 'failure' });
  }
  for (const id of plan.start) {
    try {
      if (opts.staged?.job.id === id) run.started.push(await startStaged(config, paths, opts.staged, log, now));
      else run.started.push(await startCall(config, paths, id, log, now));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      run.failed.push({ job: id, error });
      run.inFlight--;
      log.error({ job: id, err: error }, 'could not hand the call file to Asterisk; the job tries again in a minute');
      if (opts.staged?.job.id === id) {
        // Committed queued below, a minute from now (committed already: dialling, its call file placed later).
        if (!opts.staged.committed) {
          opts.staged.job.nextAttemptAt = new Date(now.getTime() + 60_000).toISOString();
          await writeStagedJob(opts.staged.dir, opts.staged.job);
        }
        continue;
      }
      await updateJob(paths, id, (j) => {
        if (j.state === 'queued') j.nextAttemptAt = new Date(now.getTime() + 60_000).toISOString();
        return j;
      }).catch(() => undefined);
    }
  }
  if (opts.staged && !opts.staged.committed) await commitStaged(paths, opts.staged);
  if (run.started.length || run.lost.length)
    log.info(
      {
        started: run.started.map((s) => s.job),
        lost: run.lost.map((l) => l.job),
        inFlight: run.inFlight,
        finishing: run.finishing.length,
      },
      'dispatcher',
    );
  return run;
}

/**
 * A live channel of a job that is not dialling is a call still hanging up whose call file is already gone
 * (removed behind faxmail's back, or a report applied by faxmail-notify from inside its own call after
 * that): it holds its channel and its number like any other finishing call. Channels are read after the
 * reports are applied, so a call shown here has either reported or is a job's only live call.
 */
function addLiveFinishing(
  finishing: FinishingCall[],
  live: ReadonlySet<string>,
  entries: readonly { id: string; state: string }[],
  byId: ReadonlyMap<string, Job>,
): void {
  const dialling = new Set(entries.filter((e) => e.state === 'dialling').map((e) => e.id));
  for (const id of live) {
    if (dialling.has(id) || finishing.some((f) => f.job === id)) continue;
    finishing.push({ job: id, number: byId.get(id)?.number ?? `unknown:${id}` });
  }
}

/**
 * After the queue lock is released: hand over the receipts and notices this run made owed (and archive a
 * sent fax). Each is sent once (sendReceipt's own lock); one that fails stays pending for `faxmail run`.
 */
export async function sendOwed(config: Readonly<Config>, run: DispatchRun, log: Logger): Promise<void> {
  const { sendOwedNotice } = await import('./reports.js');
  for (const o of run.owed) await sendOwedNotice(config, spoolPaths(config.paths.spool), o.job, o.kind, log, o.report);
}

/** A job's call file for `attempt`: its name and text. */
function callFileFor(
  config: Readonly<Config>,
  paths: SpoolPaths,
  job: Job,
  attempt: number,
): { name: string; text: string } {
  const text = renderCallFile(
    buildCallFile(config.callfile, {
      id: job.id,
      number: job.number,
      tiffPath: join(paths.jobs, job.id, job.tiff),
      attempt,
      ...(config.source ? { configPath: config.source } : {}),
      // After a T.38 negotiation failure the next try goes as audio (lib/notify/retry.ts).
      ...(t38ForNextAttempt(job.attempts) ? {} : { t38: false }),
    }),
  );
  return { name: callFileName(job.id, attempt), text };
}

/** Record in `j` that it dials `attempt` with call file `name` from `now`. */
function markDialling(j: Job, attempt: number, name: string, now: Date): Job {
  j.state = 'dialling';
  j.attempt = attempt;
  j.callFile = name;
  j.dialledAt = now.toISOString();
  delete j.nextAttemptAt;
  return j;
}

function stageOptions(config: Readonly<Config>): Omit<Parameters<typeof stageCallFile>[2], 'at'> {
  return { tmp: config.paths.tmp, owner: config.callfile.owner, group: config.callfile.group };
}

async function startCall(
  config: Readonly<Config>,
  paths: SpoolPaths,
  id: string,
  log: Logger,
  now: Date,
): Promise<StartedCall> {
  // 1. The call file, whole, in tmp. Every writer of a job's state holds the queue lock, as we do.
  const job = await readJob(jobDir(paths, id));
  if (queueState(job) !== 'queued') throw new Error(`job ${id} is ${job.state}, not queued`);
  const attempt = nextAttemptNumber(job);
  const { name, text } = callFileFor(config, paths, job, attempt);
  await stageCallFile(name, text, stageOptions(config));
  // 2. Durable: the job is dialling this attempt.
  try {
    await updateJob(paths, id, (j) => markDialling(j, attempt, name, now));
  } catch (err) {
    await unlink(join(config.paths.tmp, name)).catch(() => undefined);
    throw err;
  }
  // 3. Visible to Asterisk.
  await placeStagedCallFile(name, { tmp: config.paths.tmp, outgoing: config.paths.outgoing, at: now });
  log.info({ job: id, attempt, callfile: name }, 'call file handed to Asterisk');
  return { job: id, attempt, callFile: name };
}

/**
 * startCall for a job still in its staging directory: the call file staged, the record made `dialling` in
 * the staging directory, then one commit makes both the job and its call durable, then the call file goes
 * to Asterisk. A crash before the commit leaves a staging dir and a staged call file of no dialling job
 * (faxmail run removes both); after it, a dialling job whose call file is still staged (the next dispatcher
 * run places it), as for startCall.
 */
async function startStaged(
  config: Readonly<Config>,
  paths: SpoolPaths,
  staged: StagedJob,
  log: Logger,
  now: Date,
): Promise<StartedCall> {
  const attempt = nextAttemptNumber(staged.job);
  const { name, text } = callFileFor(config, paths, staged.job, attempt);
  await stageCallFile(name, text, stageOptions(config));
  try {
    await writeStagedJob(staged.dir, markDialling(structuredClone(staged.job), attempt, name, now));
    await commitStaged(paths, staged);
  } catch (err) {
    // The caller writes the queued record again and commits that.
    await unlink(join(config.paths.tmp, name)).catch(() => undefined);
    throw err;
  }
  await placeStagedCallFile(name, { tmp: config.paths.tmp, outgoing: config.paths.outgoing, at: now });
  log.info({ job: staged.job.id, attempt, callfile: name }, 'call file handed to Asterisk');
  return { job: staged.job.id, attempt, callFile: name };
}

/** Commit a staged job as its record in the staging directory says (see StagedJob; the caller synced the rest). */
async function commitStaged(paths: SpoolPaths, staged: StagedJob): Promise<void> {
  await publishStagingDir(paths, staged.dir, staged.job.id);
  staged.committed = true;
}

/** A dialling job's call ended without a result: record a lost attempt and retry by rule. */
async function recordLost(
  config: Readonly<Config>,
  paths: SpoolPaths,
  id: string,
  log: Logger,
  now: Date,
  sawChannels: boolean,
): Promise<LostCall> {
  let result: LostCall = { job: id, attempt: 0, outcome: 'retry' };
  await updateJob(paths, id, (j) => {
    if (queueState(j) !== 'dialling') return j;
    const n = currentAttempt(j);
    const attempt: Attempt = {
      n,
      at: now.toISOString(),
      status: 'UNANSWERED',
      class: 'unknown',
      error: sawChannels
        ? 'no result from Asterisk: the call ended (its call file is gone, no channel is left) without a report'
        : `no result from Asterisk within ${config.queue.lost_after} s (call file gone, no report)`,
      pages: 0,
      rate: 0,
      resolution: '',
      remoteStationId: '',
      lost: true,
      ...(j.dialledAt ? { started: j.dialledAt } : {}),
    };
    j.attempts.push(attempt);
    j.attempt = n;
    const decision = decideRetry(j.attempts, config.retry, now);
    delete j.dialledAt;
    if (decision.retry) {
      j.state = 'queued';
      j.nextAttemptAt = decision.at.toISOString();
    } else {
      j.state = 'failed';
      j.noticePending = 'failure';
      delete j.nextAttemptAt;
    }
    result = { job: id, attempt: n, outcome: decision.retry ? 'retry' : 'failed' };
    return j;
  });
  log.warn(
    { job: id, attempt: result.attempt, outcome: result.outcome, admin: true },
    'call lost: no result from Asterisk and its call file is gone',
  );
  return result;
}
