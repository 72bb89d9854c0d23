/*
 * retry.ts: should a failed attempt be tried again, and when? Pure.
 * Inputs: the job's attempts (the one just recorded last) and the [retry] rules of the config.
 * The rule, per outcome class C of the last attempt (see classify.ts):
 *   - incompatible and local_error are never retried (and have no [retry] rule): the far end cannot take
 *     this fax, or our own file is broken, and another call would fail the same way;
 *   - otherwise retry while the number of attempts that ended in class C is below retry.C.max_attempts
 *     ("total tries for this outcome, including the first"), after retry.C.after seconds.
 * Counting per class means a busy line does not use up the tries meant for line errors (FusionPBX habit).
 * So that a job alternating between classes (busy, line error, busy, ...) cannot go on for ever, there is
 * also a cap on all attempts together: twice the largest max_attempts of any class (12 with the defaults).
 */
import type { Config, RetryClass, RetryableClass } from '../config/schema.js';
import { RETRYABLE_CLASSES } from '../config/schema.js';
import type { Attempt } from '../spool/types.js';

export const NEVER_RETRY: ReadonlySet<RetryClass> = new Set<RetryClass>(['incompatible', 'local_error']);

export type RetryRules = Pick<Config['retry'], RetryableClass>;

export type RetryDecision =
  | { retry: true; at: Date; class: RetryClass; used: number; limit: number }
  | {
      retry: false;
      why: 'success' | 'never' | 'class-limit' | 'total-limit';
      class: RetryClass | '';
      used: number;
      limit: number;
    };

/** The cap on all attempts of one job together. */
export function maxTotalAttempts(rules: RetryRules): number {
  return 2 * Math.max(...RETRYABLE_CLASSES.map((c) => rules[c].max_attempts));
}

/**
 * May the next attempt use T.38? Not after an attempt that ended in T38_NEG_ERROR: the template runs
 * SendFAX with option f (fall back to audio in the same call when the far end never asks for T.38, or
 * refuses it), so that error means the call died while the switch to T.38 was being set up, which a
 * carrier with a broken T.38 path does every time. The rest of the job then goes as audio
 * (FAXMAIL_T38=no in the call file: SendFAX option F). Pure.
 */
export function t38ForNextAttempt(attempts: readonly Pick<Attempt, 'error'>[]): boolean {
  return !attempts.some((a) => a.error === 'T38_NEG_ERROR');
}

/** Decide after the last attempt in `attempts`. */
export function decideRetry(attempts: readonly Attempt[], rules: RetryRules, now: Date): RetryDecision {
  const last = attempts[attempts.length - 1];
  if (!last || last.status === 'SUCCESS' || last.class === '')
    return { retry: false, why: 'success', class: '', used: attempts.length, limit: 0 };
  const cls = last.class;
  const used = attempts.filter((a) => a.class === cls).length;
  if (NEVER_RETRY.has(cls)) return { retry: false, why: 'never', class: cls, used, limit: 1 };
  const rule = rules[cls as RetryableClass];
  if (used >= rule.max_attempts)
    return { retry: false, why: 'class-limit', class: cls, used, limit: rule.max_attempts };
  const cap = maxTotalAttempts(rules);
  if (attempts.length >= cap)
    return { retry: false, why: 'total-limit', class: cls, used: attempts.length, limit: cap };
  return { retry: true, at: new Date(now.getTime() + rule.after * 1000), class: cls, used, limit: rule.max_attempts };
}
