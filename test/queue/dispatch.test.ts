/*
 * dispatch.test.ts: the dispatcher's rules one by one, then a simulated day on a fake clock.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dispatch, type QueueEntry, type QueueSettings } from '../../lib/queue/dispatch.js';
import { parseWindow, isOpen } from '../../lib/policy/hours.js';
import { parseConfig } from '../../lib/config/load.js';
import { simulate, type SimJob } from '../helpers/queue-sim.js';

const T0 = Date.parse('2026-12-07T09:00:00Z'); // a Monday
const MIN = 60_000;
const settings = (over: Partial<QueueSettings> = {}): QueueSettings => ({
  maxCalls: 2,
  oneCallPerNumber: true,
  lostAfter: 3600_000,
  window: undefined,
  senderFaxesPerHour: 0,
  senderPagesPerHour: 0,
  ...over,
});
let seq = 0;
const job = (over: Partial<QueueEntry> = {}): QueueEntry => {
  seq++;
  return {
    id: `j${String(seq).padStart(3, '0')}`,
    number: `03000000${String(seq).padStart(2, '0')}`,
    sender: 'a@example.com',
    pages: 1,
    state: 'queued',
    notBefore: T0,
    created: T0 + seq,
    ...over,
  };
};
const defaults = parseConfig('[paths]\nspool = "/tmp"\n', 't.toml', { checkPaths: false });

test('never more calls than max_calls, counting calls already dialling and calls outside the spool', () => {
  const jobs = [job({ state: 'dialling', callFilePresent: true }), job(), job(), job()];
  const p = dispatch({ jobs, recent: [], settings: settings({ maxCalls: 3 }), now: T0 });
  assert.equal(p.start, [jobs[1]!.id, jobs[2]!.id]);
  assert.is(p.inFlight, 3);
  assert.equal(p.waits, [{ job: jobs[3]!.id, reason: 'channels' }]);
  const q = dispatch({ jobs, recent: [], settings: settings({ maxCalls: 3 }), now: T0, extraCalls: 2 });
  assert.equal(q.start, []);
});

test('one call per number: a second job for a dialling number waits, another number goes', () => {
  const a = job({ state: 'dialling', number: '0311111111', callFilePresent: true });
  const b = job({ number: '0311111111' });
  const c = job({ number: '0311111111' });
  const d = job({ number: '0322222222' });
  const p = dispatch({ jobs: [a, b, c, d], recent: [], settings: settings({ maxCalls: 4 }), now: T0 });
  assert.equal(p.start, [d.id]);
  assert.equal(
    p.waits
      .filter((w) => w.reason === 'number')
      .map((w) => w.job)
      .sort(),
    [b.id, c.id],
  );
  // Two queued jobs to one free number: only the older one.
  const e = dispatch({ jobs: [b, c], recent: [], settings: settings({ maxCalls: 4 }), now: T0 });
  assert.equal(e.start, [b.id]);
  // Off: both go.
  assert.equal(
    dispatch({ jobs: [b, c], recent: [], settings: settings({ maxCalls: 4, oneCallPerNumber: false }), now: T0 }).start
      .length,
    2,
  );
  // A number Asterisk shows busy outside the spool waits too.
  assert.equal(
    dispatch({ jobs: [d], recent: [], settings: settings(), now: T0, busyNumbers: new Set(['0322222222']) }).start,
    [],
  );
});

test('retries wait until due; held jobs never dial; wakeAt is the earliest due time', () => {
  const r = job({ notBefore: T0 + 3 * MIN });
  const h = job({ state: 'held' });
  const n = job();
  const p = dispatch({ jobs: [r, h, n], recent: [], settings: settings(), now: T0 });
  assert.equal(p.start, [n.id]);
  assert.equal(
    p.waits.find((w) => w.job === r.id),
    { job: r.id, reason: 'not-due', until: T0 + 3 * MIN },
  );
  assert.equal(
    p.waits.find((w) => w.job === h.id),
    { job: h.id, reason: 'held' },
  );
  assert.is(p.wakeAt, T0 + 3 * MIN);
  assert.equal(dispatch({ jobs: [r], recent: [], settings: settings(), now: T0 + 3 * MIN }).start, [r.id]);
});

test(
  'lost: a dialling job whose call file is gone and that has not reported after lost_after frees its ' +
    'channel and number',
  () => {
    const a = job({ state: 'dialling', number: '0311111111', notBefore: T0, callFilePresent: false });
    const b = job({ number: '0311111111' });
    const early = dispatch({ jobs: [a, b], recent: [], settings: settings({ maxCalls: 1 }), now: T0 + 59 * MIN });
    assert.equal(early.lost, []);
    assert.equal(early.start, []);
    const late = dispatch({ jobs: [a, b], recent: [], settings: settings({ maxCalls: 1 }), now: T0 + 60 * MIN });
    assert.equal(late.lost, [a.id]);
    assert.equal(late.start, [b.id]);
    // A call file still in outgoing is never lost (Asterisk has not taken it yet).
    const waitingFile = { ...a, callFilePresent: true };
    assert.equal(dispatch({ jobs: [waitingFile], recent: [], settings: settings(), now: T0 + 600 * MIN }).lost, []);
  },
);

test('fair turns: a sender with one urgent fax goes before the 40th fax of a mailing', () => {
  const mailing = Array.from({ length: 40 }, (_, i) => job({ sender: 'bulk@example.com', created: T0 + i }));
  const urgent = job({ sender: 'clinic@example.com', created: T0 + 1000 });
  const recent = [
    { sender: 'bulk@example.com', pages: 1, at: T0 - 10 * MIN },
    { sender: 'bulk@example.com', pages: 1, at: T0 - 5 * MIN },
  ];
  const p = dispatch({ jobs: [...mailing, urgent], recent, settings: settings({ maxCalls: 1 }), now: T0 });
  assert.equal(p.start, [urgent.id]);
  // Two channels, nobody has called yet: the oldest job of each sender.
  const q = dispatch({ jobs: [...mailing, urgent], recent: [], settings: settings({ maxCalls: 2 }), now: T0 });
  assert.equal(q.start.sort(), [mailing[0]!.id, urgent.id].sort());
});

test('senders alternate while both have work (simulated)', () => {
  const jobs: SimJob[] = [];
  for (let i = 0; i < 10; i++)
    jobs.push({ id: `a${i}`, number: `031000000${i}`, sender: 'a', pages: 1, arrival: T0, lineTime: 60 });
  for (let i = 0; i < 10; i++)
    jobs.push({ id: `b${i}`, number: `032000000${i}`, sender: 'b', pages: 1, arrival: T0 + 1000, lineTime: 60 });
  const r = simulate(jobs, T0, { settings: settings({ maxCalls: 1 }), rules: defaults.retry, until: T0 + 86_400_000 });
  const order = r.starts.map((s) => s.sender).join('');
  assert.is(order, 'a' + 'ba'.repeat(9) + 'b');
});

test('sender limits: over the hourly count or pages the job waits until the hour frees, others go', () => {
  const recent = [0, 10, 20].map((m) => ({ sender: 'a', pages: 2, at: T0 - 60 * MIN + (m + 5) * MIN }));
  const a = job({ sender: 'a', pages: 2 });
  const b = job({ sender: 'b' });
  const p = dispatch({ jobs: [a, b], recent, settings: settings({ senderFaxesPerHour: 3 }), now: T0 });
  assert.equal(p.start, [b.id]);
  assert.equal(p.waits, [{ job: a.id, reason: 'sender-limit', until: T0 + 5 * MIN }]);
  assert.equal(
    dispatch({ jobs: [a], recent, settings: settings({ senderFaxesPerHour: 3 }), now: T0 + 5 * MIN }).start,
    [a.id],
  );
  // Pages: 6 in the hour, limit 7, a 2-page fax waits until the first start leaves the hour.
  const q = dispatch({ jobs: [a], recent, settings: settings({ senderPagesPerHour: 7 }), now: T0 });
  assert.equal(q.waits, [{ job: a.id, reason: 'sender-limit', until: T0 + 5 * MIN }]);
  // A fax bigger than the limit still goes, alone in its hour.
  const big = job({ sender: 'c', pages: 50 });
  assert.equal(dispatch({ jobs: [big], recent: [], settings: settings({ senderPagesPerHour: 7 }), now: T0 }).start, [
    big.id,
  ]);
  // Limits count the calls this pass starts: two channels free, limit 1, one call.
  const two = [job({ sender: 'd' }), job({ sender: 'd' })];
  assert.is(
    dispatch({ jobs: two, recent: [], settings: settings({ senderFaxesPerHour: 1 }), now: T0 }).start.length,
    1,
  );
});

test('sending hours: outside them nothing starts, and the wait ends at the next opening', () => {
  const w = parseWindow('08:00-18:00', 'mon-fri', 'Asia/Tokyo');
  const friEvening = Date.parse('2026-12-04T19:00:00+09:00');
  const a = job({ notBefore: Date.parse('2026-12-04T12:00:00+09:00') });
  const p = dispatch({ jobs: [a], recent: [], settings: settings({ window: w }), now: friEvening });
  assert.equal(p.start, []);
  assert.equal(p.waits, [{ job: a.id, reason: 'hours', until: Date.parse('2026-12-07T08:00:00+09:00') }]);
  assert.is(p.wakeAt, Date.parse('2026-12-07T08:00:00+09:00'));
  // A retry due at 17:59 Friday: due, and can start.
  assert.equal(
    dispatch({ jobs: [a], recent: [], settings: settings({ window: w }), now: Date.parse('2026-12-04T17:59:00+09:00') })
      .start,
    [a.id],
  );
});

/** A small deterministic PRNG, so the simulated day is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test(
  'a simulated day: channels never idle while work may dial (utilisation >= 0.95), hours hold, every job ' + 'ends',
  () => {
    const rand = rng(9);
    const window = parseWindow('08:00-19:00', 'mon-fri', 'Asia/Tokyo');
    const day = Date.parse('2026-12-07T00:00:00+09:00');
    const jobs: SimJob[] = [];
    const senders = ['clinic', 'law', 'logistics', 'office1', 'office2', 'office3'];
    const numbers = Array.from({ length: 40 }, (_, i) => `06${String(10000000 + i * 7919)}`);
    // Scattered faxes from 06:00 (before the window opens) to 18:30, plus a 60-fax mailing at 10:00.
    for (let i = 0; i < 160; i++) {
      const pages = 1 + Math.floor(rand() * 6);
      jobs.push({
        id: `s${i}`,
        number: numbers[Math.floor(rand() * numbers.length)]!,
        sender: senders[Math.floor(rand() * senders.length)]!,
        pages,
        arrival: day + Math.floor((6 + rand() * 12.5) * 3600) * 1000,
        lineTime: 15 + pages * (20 + rand() * 20),
      });
    }
    for (let i = 0; i < 60; i++)
      jobs.push({
        id: `m${i}`,
        number: numbers[i % numbers.length]!,
        sender: 'mailing',
        pages: 2,
        arrival: day + 10 * 3600_000,
        lineTime: 70 + rand() * 30,
      });
    // Eight numbers answer busy through most of the morning.
    const busyUntil = new Map(numbers.slice(0, 8).map((n) => [n, day + (9 + rand() * 3) * 3600_000] as const));
    const r = simulate(jobs, day, {
      settings: settings({ window }),
      rules: defaults.retry,
      busyUntil,
      until: day + 3 * 86_400_000,
    });
    assert.ok(r.maxInFlight <= 2, `at most 2 calls (saw ${r.maxInFlight})`);
    for (const s of r.starts)
      assert.ok(isOpen(window, s.at), `start at ${new Date(s.at).toISOString()} is inside the sending hours`);
    assert.is(r.finished.size, jobs.length, 'every job ended');
    assert.ok(
      r.starts.some((s) => s.busy),
      'some calls met a busy number and were retried',
    );
    // No two calls to one number at once.
    for (const a of r.starts)
      for (const b of r.starts)
        if (a !== b && a.number === b.number)
          assert.ok(a.end <= b.at || b.end <= a.at, `${a.job} and ${b.job} overlap on ${a.number}`);
    assert.ok(
      r.utilisation >= 0.95,
      `utilisation ${r.utilisation.toFixed(4)} (${r.usedSeconds} of ${r.demandSeconds} channel-seconds)`,
    );
    console.log(
      `simulated day: ${jobs.length} jobs, ${r.starts.length} calls, utilisation ${r.utilisation.toFixed(4)}`,
    );
  },
);

test.run();
