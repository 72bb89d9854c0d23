/*
 * mailkey.ts: one mail, one job. Postfix delivers a mail again when sendfax did not exit 0, and a sendfax
 * killed after its job became durable never did: without a check, the second delivery would queue the same
 * fax again. sendfax hashes the raw mail and the recipient while it reads (mailKeyTap) and commits its job
 * only if no job from the last MAIL_KEY_DAYS has the same key (findJobByMailKey, under the mail's own
 * lock, records.ts mailLockPath);
 * otherwise it reports the job that exists and exits 0. A mail sent again on purpose differs in its
 * Message-ID and Date header, so it is never taken for a redelivery.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { SpoolPaths } from '../spool/jobs.js';
import type { Job } from '../spool/types.js';
import { loadJobs, ms } from './records.js';

/** Postfix's maximal_queue_lifetime default: a redelivery comes within it. */
const MAIL_KEY_DAYS = 5;

/** A pass-through stream that hashes what flows through it; key() once the stream has been read to its end. */
export function mailKeyTap(recipient: string): { stream: Transform; key: () => string } {
  const hash = createHash('sha256').update(`${recipient.toLowerCase()}\n`);
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  let digest: string | undefined;
  return { stream, key: () => (digest ??= hash.digest('hex')) };
}

/** A job made from the same mail for the same recipient recently, if any. The caller holds the queue lock. */
export async function findJobByMailKey(
  paths: SpoolPaths,
  key: string,
  now: Date = new Date(),
): Promise<Job | undefined> {
  const { jobs } = await loadJobs(paths);
  return jobs
    .map((j) => j.job)
    .find((j) => j.mailKey === key && now.getTime() - ms(j.created, 0) < MAIL_KEY_DAYS * 86_400_000);
}
