/*
 * job-id.ts: job ids that are unique across parallel sendfax runs and safe everywhere they go
 * (file names, call files, dialplan variables, System() arguments): [0-9a-z-] only, fixed shape.
 * Shape: YYYYMMDD-HHMMSS-<12 hex random>. 48 random bits make a collision within one second
 * practically impossible; the job directory is also created with mkdir (which fails on a clash).
 */
import { randomBytes } from 'node:crypto';

const JOB_ID_PATTERN = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{12}$/;

export function newJobId(now: Date = new Date(), random: Uint8Array = randomBytes(6)): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp =
    `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${Buffer.from(random).toString('hex')}`;
}

export function isJobId(value: string): boolean {
  return JOB_ID_PATTERN.test(value);
}
