/*
 * cancel.ts: `faxmail cancel JOB`. Under the queue lock (so no dispatcher, report or admin change runs
 * meanwhile): marks the job cancelled, stops its call, runs the dispatcher (a number or channel freed now
 * goes to the next job), then, after the lock, tells the sender.
 *
 * The call of a `dialling` job is in one of three places:
 *   - its call file waits in Asterisk's outgoing dir, not started (no StartRetry line yet, e.g. Asterisk
 *     is down): the file is taken back, no call is made, no report will come;                  -> removed
 *   - Asterisk has started it: the job's live channel (accountcode = job id, from the call file's
 *     Account:) is hung up through Asterisk's CLI ([asterisk] in faxmail.toml);               -> hung-up
 *   - it cannot be stopped (the CLI cannot be reached) or it is just ending;              -> left-running
 * In the last two cases the call file stays in outgoing until the call has ended, and the dispatcher counts
 * it as holding its channel and its number (lib/queue/apply.ts, finishing), so two calls to one number
 * never overlap; the call's own report (the hangup handler or the `failed` extension) is recorded on the
 * cancelled job, and its follower starts the next job once the call has ended.
 * The sender gets a notice saying which of these happened (the failure template, lib/notify/receipt.ts);
 * a notice that cannot be sent stays pending (noticePending) for `faxmail run`.
 * Fails with FaxError('not-found') for an unknown job, 'temporary' when the queue lock stays busy.
 */
import { readFile, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { jobDir, readJob, spoolPaths, updateJob } from '../spool/jobs.js';
import { withLock } from '../spool/lock.js';
import type { Job, JobState } from '../spool/types.js';
import { dispatchLocked, sendOwed, type DispatchRun } from '../queue/apply.js';
import { queueLockPath, queueState } from '../queue/records.js';

export type CancelledCall = NonNullable<Job['cancelled']>['call'];

export interface CancelResult {
  job: string;
  /** state before the cancel */
  previous: JobState;
  /** the job had already ended (sent, failed, cancelled): nothing changed */
  alreadyFinal: boolean;
  /** what became of the call that was under way ('none': there was none) */
  call?: CancelledCall;
  callFileRemoved?: string;
  /** channels Asterisk was asked to hang up */
  hungUp?: string[];
  /** why the call could not be stopped */
  problem?: string;
  /** the job that dials next on the same number, if one was started now */
  started?: string;
  /** the notice to the sender */
  notice?: 'sent' | 'queued' | 'skipped' | 'pending';
}

export async function cancelJob(config: Readonly<Config>, id: string, log: Logger): Promise<CancelResult> {
  const paths = spoolPaths(config.paths.spool);
  await readJob(jobDir(paths, id)); // not-found before taking any lock
  let run: DispatchRun | undefined;
  const result = await withLock(queueLockPath(paths), async (): Promise<CancelResult> => {
    let previous = 'queued' as JobState;
    let callFile = undefined as string | undefined;
    let changed = false;
    await updateJob(paths, id, (j) => {
      const q = queueState(j);
      previous = q === 'final' ? j.state : q;
      if (q === 'final') return j;
      changed = true;
      callFile = q === 'dialling' ? j.callFile : undefined;
      j.state = 'cancelled';
      j.cancelled = { at: new Date().toISOString(), previous, call: 'none' };
      delete j.nextAttemptAt;
      delete j.heldAt;
      // The notice is owed from now on: if it cannot be built or handed over, `faxmail run` tries again.
      j.noticePending = 'cancelled';
      return j;
    });
    if (!changed) return { job: id, previous, alreadyFinal: true };
    log.info({ job: id, previous }, 'job cancelled by the admin');
    const r: CancelResult = { job: id, previous, alreadyFinal: false, call: 'none' };
    if (previous === 'dialling' && callFile) r.call = await stopCall(config, id, callFile, r, log);
    if (r.call !== 'none') {
      await updateJob(paths, id, (j) => {
        if (j.cancelled) j.cancelled.call = r.call!;
        return j;
      });
    }
    // A number or channel freed now goes to the next job; one still on the line is `finishing` until it ends.
    run = await dispatchLocked(config, paths, log, { channels: 'when-starting' });
    const next = run.started.find((c) => c.job !== id);
    if (next) r.started = next.job;
    return r;
  });
  if (result.alreadyFinal) return result;
  if (run) await sendOwed(config, run, log);
  const { sendReceipt } = await import('../notify/outbound.js');
  result.notice = await sendReceipt(config, paths, id, 'cancelled', log);
  return result;
}

/** Stop the call of a dialling job (see the header); fills in result.callFileRemoved / hungUp / problem. */
async function stopCall(
  config: Readonly<Config>,
  id: string,
  callFile: string,
  result: CancelResult,
  log: Logger,
): Promise<CancelledCall> {
  // Our own name (faxmail-<id>-<n>.call); checked anyway so nothing outside outgoing/ is touched.
  if (/^[A-Za-z0-9._-]+$/.test(callFile) && !callFile.startsWith('.')) {
    const file = join(config.paths.outgoing, callFile);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    // pbx_spool appends "StartRetry:" the moment it starts a call; without it the file only waits.
    if (text !== undefined && !/^StartRetry:/m.test(text)) {
      const removed = await unlink(file).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return false;
          throw err;
        },
      );
      // Asterisk appends to a file it has just read: if it started the call as we took the file, the file is back.
      await new Promise((r) => setTimeout(r, 100));
      if (removed && !existsSync(file)) {
        result.callFileRemoved = callFile;
        log.info({ job: id, callfile: callFile }, 'call file taken back before Asterisk started the call');
        return 'removed';
      }
    }
  }
  const { hangupJob } = await import('../asterisk/cli.js');
  try {
    const channels = await hangupJob(config.asterisk, id);
    result.hungUp = channels;
    if (channels.length > 0) {
      log.info({ job: id, channels }, 'live call hung up');
      return 'hung-up';
    }
    result.problem = 'no live channel of this job was found: its call is ending, and its report will free the number';
  } catch (err) {
    result.problem = err instanceof Error ? err.message : String(err);
  }
  log.warn(
    { job: id, problem: result.problem },
    'the call of a cancelled job could not be hung up; its number stays held until the call ends',
  );
  return 'left-running';
}
