/*
 * records.test.ts: how job records read as queue entries (records from before the queue, from the bed
 * stream's model, and the queue's own), the last hour's call starts, and the held-too-long alert.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { queueState, recentStarts, senderKey, toEntry, nextAttemptNumber } from '../../lib/queue/records.js';
import { attemptRecord, jobRecord } from '../helpers/job-record.js';
import { makeNotifyEnv, makeJob } from '../notify/env.js';
import { collectStatus } from '../../lib/admin/status.js';
import type { Attempt, JobState } from '../../lib/spool/types.js';

const id = '20261201-120000-0123456789ab';
const attempt = (n: number, at: string, over: Partial<Attempt> = {}): Attempt => attemptRecord(n, { at, ...over });

test('states: older records, the bed model, the queue model', () => {
  // Before the queue: `queued` once the call file was out; `waiting` for the line.
  assert.is(queueState(jobRecord(id, { state: 'queued', callFile: `faxmail-${id}-1.call` })), 'dialling');
  assert.is(queueState(jobRecord(id, { state: 'waiting' as JobState })), 'queued');
  // The bed model: a retry waits `queued` with its last call file and `attempt` set.
  assert.is(queueState(jobRecord(id, { state: 'queued', callFile: `faxmail-${id}-1.call`, attempt: 1 })), 'queued');
  assert.is(queueState(jobRecord(id, { state: 'dialling', callFile: `faxmail-${id}-2.call`, attempt: 2 })), 'dialling');
  // The queue's own.
  assert.is(queueState(jobRecord(id, { state: 'queued' })), 'queued');
  assert.is(queueState(jobRecord(id, { state: 'held' })), 'held');
  for (const s of ['sent', 'failed', 'cancelled'] as const) assert.is(queueState(jobRecord(id, { state: s })), 'final');
});

test('entries: a queued job is due at nextAttemptAt, a dialling one counts from when its call started', () => {
  const none = { files: new Set<string>() };
  const q = toEntry(
    jobRecord(id, { nextAttemptAt: '2026-12-01T12:05:00.000Z', created: '2026-12-01T12:00:00.000Z' }),
    none,
  )!;
  assert.is(q.state, 'queued');
  assert.is(q.notBefore, Date.parse('2026-12-01T12:05:00.000Z'));
  const dialling = jobRecord(id, {
    state: 'dialling',
    callFile: 'x.call',
    attempt: 1,
    dialledAt: '2026-12-01T12:07:00.000Z',
  });
  const d = toEntry(dialling, none)!;
  assert.is(d.notBefore, Date.parse('2026-12-01T12:07:00.000Z'));
  assert.is(d.callFilePresent, false);
  assert.is(d.live, undefined, 'no channel list read');
  const seen = toEntry(dialling, { files: new Set(['x.call']), liveJobs: new Set([id]) })!;
  assert.is(seen.callFilePresent, true);
  assert.is(seen.live, true);
  assert.is(toEntry(dialling, { files: new Set(), liveJobs: new Set() })!.live, false);
  assert.is(toEntry(jobRecord(id, { state: 'sent' }), none), undefined);
  assert.is(senderKey({ envelopeSender: 'Alice@Example.ORG', replyTo: 'x@y.z' }), 'alice@example.org');
});

test('attempt numbers go on from the highest recorded or dropped, never from a count', () => {
  assert.is(nextAttemptNumber(jobRecord(id, { attempts: [attempt(1, 'x'), attempt(3, 'y')] })), 4);
  assert.is(nextAttemptNumber(jobRecord(id, { attempts: [attempt(1, 'x')], attempt: 5 })), 6);
  assert.is(nextAttemptNumber(jobRecord(id)), 1);
});

test('recent starts: the last hour of every job, finished ones too, by sender', () => {
  const now = Date.parse('2026-12-01T13:00:00.000Z');
  const a = jobRecord(id, {
    state: 'sent',
    pages: 3,
    attempts: [
      attempt(1, '2026-12-01T12:10:00.000Z', { started: '2026-12-01T12:09:00.000Z' }),
      attempt(2, '2026-12-01T11:30:00.000Z'),
    ],
  });
  const b = jobRecord('20261201-120000-0123456789ac', {
    state: 'dialling',
    callFile: 'x.call',
    attempt: 1,
    dialledAt: '2026-12-01T12:59:00.000Z',
    envelopeSender: 'bob@example.org',
  });
  assert.equal(recentStarts([a, b], now), [
    { sender: 'alice@example.com', pages: 3, at: Date.parse('2026-12-01T12:09:00.000Z') },
    { sender: 'bob@example.org', pages: 2, at: Date.parse('2026-12-01T12:59:00.000Z') },
  ]);
});

test('status: a job on hold longer than queue.held_alert_after needs the admin', async () => {
  const env = await makeNotifyEnv({ toml: '[queue]\nheld_alert_after = 3600\n' });
  const old = await makeJob(env, {
    state: 'held',
    heldAt: new Date(Date.now() - 7200_000).toISOString(),
    callFile: undefined,
  } as never);
  await makeJob(env, { state: 'held', heldAt: new Date().toISOString(), callFile: undefined } as never);
  const s = await collectStatus(env.config);
  assert.is(s.jobs.byState.held, 2);
  assert.equal(s.attention.length, 1);
  assert.match(s.attention[0]!, `job ${old.id}: on hold since`);
});

test.run();
