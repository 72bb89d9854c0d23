/*
 * `faxmail send --wait` (lib/sendfax/follow.ts): what it says as a job goes through its states, from the
 * job records faxmail-notify would write: dialling, a busy attempt and its retry, then sent or failed in
 * the receipts' words; followJob ends on a final state or when told to stop.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { finalFailure, followJob, progressLines } from '../../lib/sendfax/follow.js';
import type { Attempt, Job } from '../../lib/spool/types.js';
import { attemptRecord, jobRecord } from '../helpers/job-record.js';

const id = '20261123-101500-0123456789ab';
const busy = attemptRecord(1);
const ok: Attempt = {
  n: 2,
  at: new Date().toISOString(),
  status: 'SUCCESS',
  class: '',
  error: '',
  pages: 2,
  rate: 14400,
  resolution: '204x196',
  remoteStationId: '+81 3 9876 5432',
  duration: 24,
};
const noFax: Attempt = {
  n: 1,
  at: new Date().toISOString(),
  status: 'FAILED',
  class: 'dropped',
  error: 'HANGUP',
  pages: 0,
  rate: 0,
  resolution: '',
  remoteStationId: '',
};

test('dialling, busy, retry, sent: one line for each step', () => {
  const queued = jobRecord(id);
  const dialling = jobRecord(id, { state: 'dialling', attempt: 1, nextAttemptAt: new Date().toISOString() });
  const retry = jobRecord(id, {
    state: 'queued',
    attempt: 1,
    attempts: [busy],
    nextAttemptAt: new Date(Date.now() + 180_000).toISOString(),
  });
  const again = jobRecord(id, {
    state: 'dialling',
    attempt: 2,
    attempts: [busy],
    nextAttemptAt: new Date().toISOString(),
  });
  const sent = jobRecord(id, { state: 'sent', attempt: 2, attempts: [busy, ok] });
  assert.equal(progressLines(undefined, queued, 'en'), []);
  assert.equal(progressLines(queued, dialling, 'en'), ['dialling 0312345678 (attempt 1)']);
  assert.equal(progressLines(dialling, dialling, 'en'), [], 'nothing new, nothing said');
  const r = progressLines(dialling, retry, 'en');
  assert.is(r.length, 2);
  assert.match(r[0]!, /^attempt 1 did not go through: .*busy/i);
  assert.match(r[1]!, /^waiting; next try \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/);
  assert.equal(progressLines(retry, again, 'en'), ['dialling 0312345678 (attempt 2)']);
  assert.equal(progressLines(again, sent, 'en'), ['sent: 2 pages to 0312345678 in 24 s to station "+81 3 9876 5432"']);
  // Seen only at the end (a fast fax between two looks): the failed attempt and the result both show.
  assert.is(progressLines(dialling, sent, 'en').length, 2);
});

test('failed: the last attempt explained with what to do; cancelled; Japanese too', () => {
  const failed = jobRecord(id, { state: 'failed', attempts: [noFax] });
  const line = progressLines(jobRecord(id, { state: 'dialling', attempt: 1 }), failed, 'en');
  assert.equal(line.slice(1), [finalFailure(failed, 'en')]);
  assert.match(
    finalFailure(failed, 'en'),
    /^not sent after 1 attempt: The number answered, but .+\. Check that the number is a fax number/,
  );
  assert.match(finalFailure(failed, 'ja'), /^not sent after 1 attempt: .*[\u3040-\u30ff]/);
  assert.equal(progressLines(jobRecord(id), jobRecord(id, { state: 'cancelled' }), 'en'), [
    'cancelled by the administrator (faxmail cancel); it was not sent',
  ]);
});

test('followJob reads until the job is final, and stops when told', async () => {
  const states: Job[] = [
    jobRecord(id),
    jobRecord(id, { state: 'dialling', attempt: 1 }),
    jobRecord(id, { state: 'sent', attempt: 1, attempts: [{ ...ok, n: 1 }] }),
  ];
  let i = 0;
  const said: string[] = [];
  const end = await followJob(
    async () => states[Math.min(i++, states.length - 1)]!,
    (l) => said.push(l),
    { locale: 'en', intervalMs: 5 },
  );
  assert.is(end.state, 'sent');
  assert.is(said.length, 2);
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 30);
  const t0 = Date.now();
  const left = await followJob(
    async () => jobRecord(id, { state: 'dialling', attempt: 1 }),
    () => undefined,
    { locale: 'en', intervalMs: 10_000, signal: stop.signal },
  );
  assert.is(left.state, 'dialling');
  assert.ok(Date.now() - t0 < 5000, 'the wait ends at once');
});

test.run();
