/*
 * line.ts: at most one job per destination number dials at a time (retry.one_call_per_number).
 * Each number has a small record, spool/lines/<number>.json, changed only under its lock:
 *   active   the job whose call file is in (or scheduled in) Asterisk's outgoing dir
 *   waiting  jobs held back, each with the earliest time it may dial
 * sendfax calls claimLine before dropping a call file; faxmail-notify calls releaseLine when an attempt
 * ends and drops the call file of the job it returns (possibly the same job, for a retry).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fsutil/atomic.js';
import { withLock } from './lock.js';
import type { SpoolPaths } from './jobs.js';

export interface LineRecord {
  number: string;
  active?: string;
  waiting: { job: string; notBefore: string }[];
}

export interface NextCall {
  job: string;
  notBefore: Date;
}

function linePath(paths: SpoolPaths, number: string): string {
  // number is validated digits with an optional +; keep the file name plain.
  return join(paths.lines, `${number.replace(/[^0-9]/g, '') || 'none'}${number.startsWith('+') ? 'p' : ''}.json`);
}

async function readLine(file: string, number: string): Promise<LineRecord> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LineRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { number, waiting: [] };
    throw err;
  }
}

async function changeLine<T>(paths: SpoolPaths, number: string, fn: (line: LineRecord) => T): Promise<T> {
  const file = linePath(paths, number);
  await mkdir(paths.lines, { recursive: true });
  return withLock(join(paths.locks, `line-${number.replace(/[^0-9+]/g, '')}.lock`), async () => {
    const line = await readLine(file, number);
    const result = fn(line);
    await writeFileAtomic(file, JSON.stringify(line) + '\n', { mode: 0o640 });
    return result;
  });
}

/** May `job` dial now? 'dial' makes it the active job; 'wait' queues it behind the active one. */
export async function claimLine(paths: SpoolPaths, number: string, job: string, notBefore: Date, serialize: boolean): Promise<'dial' | 'wait'> {
  if (!serialize) return 'dial';
  return changeLine(paths, number, (line) => {
    if (line.active === undefined || line.active === job) {
      line.active = job;
      line.waiting = line.waiting.filter((w) => w.job !== job);
      return 'dial' as const;
    }
    if (!line.waiting.some((w) => w.job === job)) line.waiting.push({ job, notBefore: notBefore.toISOString() });
    return 'wait' as const;
  });
}

/**
 * `job` finished an attempt. With `retryAt` it wants another try then. Returns the job that should dial
 * next on this number (and when), which the caller must queue; undefined if none.
 */
export async function releaseLine(paths: SpoolPaths, number: string, job: string, retryAt: Date | undefined, serialize: boolean): Promise<NextCall | undefined> {
  if (!serialize) return retryAt ? { job, notBefore: retryAt } : undefined;
  return changeLine(paths, number, (line) => {
    if (line.active !== undefined && line.active !== job) {
      // Another job holds the line (e.g. a duplicate notify): only record our retry.
      if (retryAt && !line.waiting.some((w) => w.job === job)) line.waiting.push({ job, notBefore: retryAt.toISOString() });
      return undefined;
    }
    delete line.active;
    line.waiting = line.waiting.filter((w) => w.job !== job);
    if (retryAt) line.waiting.push({ job, notBefore: retryAt.toISOString() });
    if (line.waiting.length === 0) return undefined;
    // Earliest eligible first; the sort is stable, so among equals the one that waited longest goes.
    line.waiting.sort((a, b) => Date.parse(a.notBefore) - Date.parse(b.notBefore));
    const next = line.waiting.shift()!;
    line.active = next.job;
    return { job: next.job, notBefore: new Date(next.notBefore) };
  });
}

/** Remove a job from its line entirely (cancelled by the admin). */
export async function forgetOnLine(paths: SpoolPaths, number: string, job: string): Promise<void> {
  await changeLine(paths, number, (line) => {
    if (line.active === job) delete line.active;
    line.waiting = line.waiting.filter((w) => w.job !== job);
  });
}

export async function readLineRecord(paths: SpoolPaths, number: string): Promise<LineRecord> {
  return readLine(linePath(paths, number), number);
}
