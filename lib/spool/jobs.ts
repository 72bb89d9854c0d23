/*
 * jobs.ts: the job spool on disk. Layout under config.paths.spool:
 *   jobs/<id>/job.json, jobs/<id>/fax.tif, jobs/<id>/docs/NN-name.ext   one directory per outbound fax
 *   jobs/.new-<id>/                                                     a job being built (never read)
 *   inbound/                                                            ReceiveFAX writes here
 *   outbox/                                                             mails waiting for delivery
 *   reports/, reports/applied/                                          call reports (lib/queue/reports.ts)
 *   locks/                                                              lock files (lock.ts)
 * A job directory appears whole: it is built under .new-<id> and renamed. job.json is replaced atomically.
 */
import { mkdir, open, readFile, rename, rm, readdir, chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaxError } from '../errors.js';
import { fsyncDir, fsyncTree, writeFileAtomic } from '../fsutil/atomic.js';
import { isJobId } from './job-id.js';
import { withLock } from './lock.js';
import type { Job } from './types.js';

export interface SpoolPaths {
  root: string;
  jobs: string;
  inbound: string;
  outbox: string;
  locks: string;
  /** call reports stored by faxmail-notify, not yet applied (lib/queue/reports.ts); applied/ below it */
  reports: string;
}

export function spoolPaths(spool: string): SpoolPaths {
  return {
    root: spool,
    jobs: join(spool, 'jobs'),
    inbound: join(spool, 'inbound'),
    outbox: join(spool, 'outbox'),
    locks: join(spool, 'locks'),
    reports: join(spool, 'reports'),
  };
}

/** The spool's subdirectories: scripts/install.sh makes the same list (test/install checks). */
export function spoolDirs(paths: SpoolPaths): string[] {
  return [paths.jobs, paths.inbound, paths.outbox, paths.locks, paths.reports, join(paths.reports, 'applied')];
}

/** Create the spool's subdirectories (idempotent). */
export async function ensureSpool(paths: SpoolPaths): Promise<void> {
  for (const d of spoolDirs(paths)) {
    // mkdir's mode is filtered by the umask (077 under Postfix pipe); only a directory we create gets chmod.
    if ((await mkdir(d, { recursive: true, mode: 0o750 })) !== undefined) await chmod(d, 0o750);
  }
}

export function jobDir(paths: SpoolPaths, id: string): string {
  if (!isJobId(id)) throw new FaxError('not-found', `"${id.slice(0, 60)}" is not a faxmail job id.`);
  return join(paths.jobs, id);
}

/** Make the staging directory for a new job; mkdir fails if the id was somehow taken. */
export async function createStagingDir(paths: SpoolPaths, id: string): Promise<string> {
  const dir = join(paths.jobs, `.new-${id}`);
  await mkdir(dir, { recursive: false, mode: 0o750 });
  await chmod(dir, 0o750);
  return dir;
}

/** Move a complete staging directory to its final name, durably (its files, then the rename). */
export async function commitStagingDir(paths: SpoolPaths, staging: string, id: string): Promise<string> {
  await syncStagingDir(staging);
  return publishStagingDir(paths, staging, id);
}

/** The first half of commitStagingDir: fsync every file and directory of a complete staging directory. */
export async function syncStagingDir(staging: string): Promise<void> {
  await fsyncTree(staging);
}

/**
 * The second half of commitStagingDir, for a staging directory synced whole already (syncStagingDir, done
 * before the queue lock is taken, so the lock is not held over the fax's own fsync): its job.json, which
 * writeStagedJob may have replaced since, and the directory are synced again, then it is renamed, durably.
 */
export async function publishStagingDir(paths: SpoolPaths, staging: string, id: string): Promise<string> {
  const fh = await open(join(staging, 'job.json'), 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDir(staging);
  const dir = jobDir(paths, id);
  await rename(staging, dir);
  await fsyncDir(paths.jobs);
  return dir;
}

export async function discardStagingDir(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}

export async function writeJob(dir: string, job: Job): Promise<void> {
  await writeFileAtomic(join(dir, 'job.json'), JSON.stringify(job, null, 2) + '\n', { mode: 0o640 });
}

/**
 * job.json of a job being built in its staging directory: written beside and renamed (whole or not at all),
 * not fsynced, since nobody reads it before commitStagingDir fsyncs the directory whole and renames it.
 */
export async function writeStagedJob(staging: string, job: Job): Promise<void> {
  const scratch = join(staging, '.job.json.new');
  await writeFile(scratch, JSON.stringify(job, null, 2) + '\n', { mode: 0o640 });
  // Postfix runs sendfax with umask 077: the mode asked for, explicitly (as writeFileAtomic does).
  await chmod(scratch, 0o640);
  await rename(scratch, join(staging, 'job.json'));
}

export async function readJob(dir: string): Promise<Job> {
  let text: string;
  try {
    text = await readFile(join(dir, 'job.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FaxError('not-found', `No fax job at ${dir}.`);
    throw err;
  }
  const job = JSON.parse(text) as Job;
  if (job.version !== 1 || !isJobId(job.id))
    throw new FaxError('internal', `The job record ${dir}/job.json has an unknown format.`);
  return job;
}

/** Read-modify-write a job under its lock, so parallel notify runs never lose an update. */
export async function updateJob(paths: SpoolPaths, id: string, change: (job: Job) => Job | Promise<Job>): Promise<Job> {
  const dir = jobDir(paths, id);
  return withLock(join(paths.locks, `job-${id}.lock`), async () => {
    const before = await readJob(dir);
    const after = await change(structuredClone(before));
    after.updated = new Date().toISOString();
    await writeJob(dir, after);
    return after;
  });
}

/** Ids of all committed jobs, oldest first. */
export async function listJobIds(paths: SpoolPaths): Promise<string[]> {
  const names = await readdir(paths.jobs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.filter(isJobId).sort();
}
