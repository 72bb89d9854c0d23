/*
 * cancel.ts: `faxmail cancel JOB`. Marks the job cancelled (under its lock, so a parallel faxmail-notify
 * sees it), removes its call file from Asterisk's outgoing directory if it is still there, and frees its
 * place on the number's line: if it held the line, the next waiting job is started (its call file
 * dropped, through lib/notify's startCall) so it does not wait for a result that will never come.
 * A call already in progress cannot be stopped; its result arrives later and is ignored by notify.
 * Fails with FaxError('not-found') for an unknown job.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { forgetOnLine, releaseLine } from '../spool/line.js';
import { jobDir, readJob, spoolPaths, updateJob } from '../spool/jobs.js';
import type { JobState } from '../spool/types.js';

export interface CancelResult {
  job: string;
  /** state before the cancel */
  previous: JobState;
  /** the job had already ended (sent, failed, cancelled): nothing changed */
  alreadyFinal: boolean;
  callFileRemoved?: string;
  /** the job that dials next on the same number, if one was started */
  started?: string;
}

const FINAL: ReadonlySet<JobState> = new Set(['sent', 'failed', 'cancelled']);

export async function cancelJob(config: Readonly<Config>, id: string, log: Logger): Promise<CancelResult> {
  const paths = spoolPaths(config.paths.spool);
  await readJob(jobDir(paths, id)); // not-found before taking any lock
  let previous: JobState = 'queued';
  let callFile: string | undefined;
  const job = await updateJob(paths, id, (j) => {
    previous = j.state;
    if (FINAL.has(j.state)) return j;
    j.state = 'cancelled';
    delete j.nextAttemptAt;
    callFile = j.callFile;
    return j;
  });
  if (FINAL.has(previous)) return { job: id, previous, alreadyFinal: true };
  log.info({ job: id, previous }, 'job cancelled by the admin');
  const result: CancelResult = { job: id, previous, alreadyFinal: false };
  // Our own name (faxmail-<id>-<n>.call); checked anyway so nothing outside outgoing/ is touched.
  if (callFile && /^[A-Za-z0-9._-]+$/.test(callFile) && !callFile.startsWith('.')) {
    try {
      await unlink(join(config.paths.outgoing, callFile));
      result.callFileRemoved = callFile;
      log.info({ job: id, callfile: callFile }, 'call file removed');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  if (config.retry.one_call_per_number) {
    const next = await releaseLine(paths, job.number, id, undefined, true);
    await forgetOnLine(paths, job.number, id);
    if (next) {
      const { startCall } = await import('../notify/outbound.js');
      const started = await startCall(config, paths, next, log);
      if (started) result.started = started.job;
    }
  }
  return result;
}
