/*
 * cancel.ts: `faxmail cancel JOB`. Marks the job cancelled (under its lock, so a parallel faxmail-notify
 * sees it), stops its call, frees its number's line when no call is left, and tells the sender.
 *
 * The call of a `dialling` job is in one of three places:
 *   - its call file waits in Asterisk's outgoing dir, not started (scheduled for later, no StartRetry line
 *     yet): the file is taken back, no call is made, no report will come;                      -> removed
 *   - Asterisk has started it: the job's live channel (accountcode = job id, from the call file's
 *     Account:) is hung up through Asterisk's CLI ([asterisk] in faxmail.toml);               -> hung-up
 *   - it cannot be stopped (the CLI cannot be reached) or it is just ending;              -> left-running
 * In the last two cases a report for that call still comes (the hangup handler or the `failed`
 * extension): the number stays held until then, and that report frees it and starts the next job
 * (lib/notify/outbound.ts), so two calls to one number never overlap.
 * The sender gets a notice saying which of these happened (the failure template, lib/notify/receipt.ts).
 * Fails with FaxError('not-found') for an unknown job.
 */
import { readFile, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { forgetOnLine, releaseLine } from '../spool/line.js';
import { jobDir, readJob, spoolPaths, updateJob } from '../spool/jobs.js';
import type { Job, JobState } from '../spool/types.js';

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
  notice?: 'sent' | 'queued' | 'skipped';
}

const FINAL: ReadonlySet<JobState> = new Set(['sent', 'failed', 'cancelled']);

export async function cancelJob(config: Readonly<Config>, id: string, log: Logger): Promise<CancelResult> {
  const paths = spoolPaths(config.paths.spool);
  await readJob(jobDir(paths, id)); // not-found before taking any lock
  let previous = 'queued' as JobState;
  let callFile = undefined as string | undefined;
  const job = await updateJob(paths, id, (j) => {
    previous = j.state;
    if (FINAL.has(j.state)) return j;
    callFile = j.callFile;
    j.state = 'cancelled';
    j.cancelled = { at: new Date().toISOString(), previous, call: 'none' };
    delete j.nextAttemptAt;
    return j;
  });
  if (FINAL.has(previous)) return { job: id, previous, alreadyFinal: true };
  log.info({ job: id, previous }, 'job cancelled by the admin');
  const result: CancelResult = { job: id, previous, alreadyFinal: false, call: 'none' };

  if (previous === 'dialling' && callFile) result.call = await stopCall(config, id, callFile, result, log);
  if (result.call !== 'none') {
    await updateJob(paths, id, (j) => {
      if (j.cancelled) j.cancelled.call = result.call!;
      return j;
    });
  }

  // No call left: the line is free now. Otherwise the report of that call frees it.
  if (config.retry.one_call_per_number && (result.call === 'none' || result.call === 'removed')) {
    const next = await releaseLine(paths, job.number, id, undefined, true);
    await forgetOnLine(paths, job.number, id);
    if (next) {
      const { startCall } = await import('../notify/outbound.js');
      const started = await startCall(config, paths, next, log);
      if (started) result.started = started.job;
    }
  }

  const { sendReceipt } = await import('../notify/outbound.js');
  result.notice = await sendReceipt(config, paths, id, 'cancelled', log);
  return result;
}

/** Stop the call of a dialling job (see the header); fills in result.callFileRemoved / hungUp / problem. */
async function stopCall(config: Readonly<Config>, id: string, callFile: string, result: CancelResult, log: Logger): Promise<CancelledCall> {
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
  log.warn({ job: id, problem: result.problem }, 'the call of a cancelled job could not be hung up; its number stays held until the call ends');
  return 'left-running';
}
