/*
 * The one waiting helper: returns the first answer, treats a throw as "not yet", and a timeout names what
 * never came.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitUntil, withDeadline } from './wait.js';

test('waitUntil returns the first answer that is not undefined, null or false', async () => {
  let n = 0;
  const answers = [undefined, null, false, 0, 7];
  assert.is(await waitUntil(() => answers[n++], 5_000, 'an answer', 1), 0, '0 is an answer');
  assert.is(n, 4);
});

test('a throwing check is asked again; past the deadline the error names what and the last error', async () => {
  let calls = 0;
  const got = await waitUntil(
    () => {
      if (++calls < 3) throw new Error('half-written');
      return 'whole';
    },
    5_000,
    'a whole file',
    1,
  );
  assert.is(got, 'whole');
  try {
    await waitUntil(
      () => {
        throw new Error('ENOENT: no such file');
      },
      30,
      'the report file',
      5,
    );
    assert.unreachable('it should time out');
  } catch (err) {
    assert.match((err as Error).message, /timed out after 30 ms waiting for the report file \(last error: ENOENT/);
  }
});

test('withDeadline passes a result through and fails a hang naming it', async () => {
  assert.is(await withDeadline(Promise.resolve(3), 1_000, 'a quick thing'), 3);
  try {
    await withDeadline(new Promise(() => undefined), 20, 'a send to a silent server');
    assert.unreachable('it should fail');
  } catch (err) {
    assert.is((err as Error).message, 'a send to a silent server did not end within 20 ms');
  }
});

test.run();
