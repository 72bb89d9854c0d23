import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../lib/config/load.js';
import { decideRetry, maxTotalAttempts, NEVER_RETRY, t38ForNextAttempt } from '../../lib/notify/retry.js';
import type { Attempt } from '../../lib/spool/types.js';
import type { RetryClass } from '../../lib/config/schema.js';
import type { RetryDecision } from '../../lib/notify/retry.js';

const why = (d: RetryDecision): string => (d.retry ? 'retry' : d.why);

const config = parseConfig('', 'defaults', { checkPaths: false });
const rules = config.retry;
const now = new Date('2025-01-01T00:00:00Z');

const attempt = (
  n: number,
  cls: RetryClass | '',
  status: Attempt['status'] = cls === '' ? 'SUCCESS' : 'FAILED',
): Attempt => ({
  n,
  at: now.toISOString(),
  status,
  class: cls,
  error: '',
  pages: 0,
  rate: 0,
  resolution: '',
  remoteStationId: '',
});
const history = (...classes: (RetryClass | '')[]): Attempt[] => classes.map((c, i) => attempt(i + 1, c));

test('success is never retried', () => {
  const d = decideRetry(history('busy', ''), rules, now);
  assert.is(d.retry, false);
  assert.is(why(d), 'success');
});

test('each retryable class is retried after its own delay', () => {
  for (const cls of ['busy', 'no_answer', 'congestion', 'line_error', 'dropped', 'unknown'] as const) {
    const d = decideRetry(history(cls), rules, now);
    assert.ok(d.retry, cls);
    if (d.retry) assert.is(d.at.getTime() - now.getTime(), rules[cls].after * 1000, `${cls} delay`);
  }
});

test('incompatible and local_error are never retried, even if the config allows more tries', () => {
  const generous = {
    ...rules,
    incompatible: { after: 10, max_attempts: 5 },
    local_error: { after: 10, max_attempts: 5 },
  };
  for (const cls of NEVER_RETRY) {
    const d = decideRetry(history(cls), generous, now);
    assert.is(d.retry, false);
    assert.is(why(d), 'never');
  }
});

test('the limit counts attempts of the same class: busy does not use up line-error tries', () => {
  // line_error allows 3 tries: two line errors so far plus busy ones in between -> still retried
  assert.ok(decideRetry(history('line_error', 'busy', 'busy', 'line_error'), rules, now).retry);
  const d = decideRetry(history('line_error', 'busy', 'line_error', 'line_error'), rules, now);
  assert.is(d.retry, false);
  assert.is(why(d), 'class-limit');
  assert.is(d.used, 3);
  assert.is(d.limit, 3);
  // busy allows 6 tries
  assert.ok(decideRetry(history('busy', 'busy', 'busy', 'busy', 'busy'), rules, now).retry);
  assert.is(decideRetry(history('busy', 'busy', 'busy', 'busy', 'busy', 'busy'), rules, now).retry, false);
});

test('a job alternating between classes stops at the total cap (twice the largest max_attempts)', () => {
  assert.is(maxTotalAttempts(rules), 12);
  const six = { after: 60, max_attempts: 6 };
  const wide = { ...rules, busy: six, no_answer: six, congestion: six, dropped: six };
  assert.is(maxTotalAttempts(wide), 12);
  const alternating: RetryClass[] = [];
  for (let i = 0; i < 12; i++) alternating.push((['busy', 'no_answer', 'congestion', 'dropped'] as const)[i % 4]!);
  // 12 attempts; per class: busy 3, no_answer 3, congestion 3, dropped 3 -> only the cap stops it
  const d = decideRetry(history(...alternating), wide, now);
  assert.is(d.retry, false);
  assert.is(why(d), 'total-limit');
  assert.ok(decideRetry(history(...alternating.slice(0, 11)), wide, now).retry);
});

test('T.38 stays allowed until an attempt ends in T38_NEG_ERROR, then never again for the job', () => {
  const a = (error: string): Pick<Attempt, 'error'> => ({ error });
  assert.is(t38ForNextAttempt([]), true);
  assert.is(t38ForNextAttempt([a('Failed to train with any of the compatible modems'), a('HANGUP')]), true);
  assert.is(t38ForNextAttempt([a('T38_NEG_ERROR')]), false);
  assert.is(t38ForNextAttempt([a('T38_NEG_ERROR'), a('Busy')]), false);
});

test.run();
