/*
 * follow.ts: `faxmail send --wait`: watch one job until it is sent, failed or cancelled, and say what
 * happens on the way (each call, each failed attempt and when the next comes) in the words the receipts use.
 * The job record is the only source: faxmail-notify and the queue write it, this only reads it (a poll,
 * about once a second, of one small JSON file). progressLines() is pure; followJob() is the loop.
 */
import type { Locale } from '../config/schema.js';
import { entryForAttempt, explain } from '../fax-result/classify.js';
import { isFinalState, type Attempt, type Job } from '../spool/types.js';
import { localTime } from '../time.js';

function attemptWords(a: Attempt, locale: Locale): string {
  const e = explain(entryForAttempt(a), locale);
  return e.explain;
}

/** What changed from `before` to `now`, one line each (no job id: the caller prefixes it). Pure. */
export function progressLines(before: Job | undefined, now: Job, locale: Locale): string[] {
  const out: string[] = [];
  const seen = before?.attempts.length ?? 0;
  for (const a of now.attempts.slice(seen)) {
    if (a.status === 'SUCCESS') continue;
    out.push(`attempt ${a.n} did not go through: ${attemptWords(a, locale)}`);
  }
  const moved =
    before === undefined ||
    before.state !== now.state ||
    before.attempt !== now.attempt ||
    now.attempts.length !== seen;
  if (!moved) return out;
  switch (now.state) {
    case 'queued':
      if (now.attempts.length > 0 || before !== undefined)
        out.push(`waiting; next try ${localTime(now.nextAttemptAt)}`);
      break;
    case 'dialling':
      // The dispatcher makes a job `dialling` only as it hands the call file over (lib/queue/apply.ts).
      out.push(`dialling ${now.number} (attempt ${now.attempt ?? now.attempts.length + 1})`);
      break;
    case 'sent': {
      const a = now.attempts[now.attempts.length - 1];
      const details = [
        a?.duration !== undefined ? `in ${a.duration} s` : '',
        a?.remoteStationId ? `to station "${a.remoteStationId}"` : '',
      ]
        .filter(Boolean)
        .join(' ');
      out.push(`sent: ${now.pages} page${now.pages === 1 ? '' : 's'} to ${now.number}${details ? ` ${details}` : ''}`);
      break;
    }
    case 'failed':
      out.push(finalFailure(now, locale));
      break;
    case 'cancelled':
      out.push('cancelled by the administrator (faxmail cancel); it was not sent');
      break;
  }
  return out;
}

/** The last word on a job that was not sent: what happened and what to do. Pure. */
export function finalFailure(job: Job, locale: Locale): string {
  const last = job.attempts[job.attempts.length - 1];
  if (!last) return `not sent after ${job.attempts.length} attempts`;
  const e = explain(entryForAttempt(last), locale);
  return (
    `not sent after ${job.attempts.length} attempt${job.attempts.length === 1 ? '' : 's'}: ${e.explain} ` +
    `${e.action}`
  );
}

export interface FollowOptions {
  locale: Locale;
  /** ms between looks at the record */
  intervalMs?: number;
  /** stop early (e.g. Ctrl-C); resolves with the job as last seen */
  signal?: AbortSignal;
}

/** Watch job `id` through `read` until it is final (or `signal` aborts); `print` gets each progress line. */
export async function followJob(
  read: () => Promise<Job>,
  print: (line: string) => void,
  options: FollowOptions,
): Promise<Job> {
  let last: Job | undefined;
  for (;;) {
    const now = await read();
    for (const line of progressLines(last, now, options.locale)) print(line);
    last = now;
    if (isFinalState(now.state) || options.signal?.aborted) return now;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        options.signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, options.intervalMs ?? 1000);
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
