/*
 * assert-rejects.ts: rejection assertions uvu lacks. assertRejects fails the test unless `fn` rejects
 * with a message matching `pattern`; expectFaxError fails it unless the promise rejects with a FaxError,
 * and hands that error back for checks of its code and sentence.
 */
import * as assert from 'uvu/assert';
import { FaxError } from '../../lib/errors.js';

/** uvu has no assert.rejects: await fn and check the rejection's message. */
export async function assertRejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  const outcome = await fn().then(
    () => undefined,
    (err: unknown) => err,
  );
  if (outcome === undefined) assert.unreachable(`expected a rejection matching ${pattern}`);
  assert.match((outcome as Error).message, pattern);
}

/** The FaxError `p` rejects with; throws `unmet` when it resolves. */
export async function expectFaxError(p: Promise<unknown>, unmet: string): Promise<FaxError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, FaxError);
    return err as FaxError;
  }
  throw new Error(unmet);
}
