import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWindow, isOpen, nextOpen, localClock } from '../../lib/policy/hours.js';
import { parseConfig } from '../../lib/config/load.js';

const base = '[paths]\nspool = "/tmp"\n';
const tokyo = (iso: string): number => Date.parse(`${iso}+09:00`);

test('no hours and every day: no window at all', () => {
  assert.is(parseWindow('', 'mon-sun', ''), undefined);
  assert.is(parseWindow('', '', ''), undefined);
  assert.ok(isOpen(undefined, Date.now()));
});

test('office hours on weekdays, in a named zone', () => {
  const w = parseWindow('08:00-20:00', 'mon-fri', 'Asia/Tokyo')!;
  // 2026-12-04 is a Friday.
  assert.ok(isOpen(w, tokyo('2026-12-04T08:00:00')));
  assert.ok(isOpen(w, tokyo('2026-12-04T19:59:00')));
  assert.not.ok(isOpen(w, tokyo('2026-12-04T20:00:00')));
  assert.not.ok(isOpen(w, tokyo('2026-12-04T07:59:00')));
  assert.not.ok(isOpen(w, tokyo('2026-12-05T10:00:00')), 'Saturday');
  // Friday evening -> Monday 08:00.
  assert.is(nextOpen(w, tokyo('2026-12-04T20:30:00')), tokyo('2026-12-07T08:00:00'));
  assert.is(nextOpen(w, tokyo('2026-12-07T07:01:30')), tokyo('2026-12-07T08:00:00'));
  const open = tokyo('2026-12-07T09:13:27');
  assert.is(nextOpen(w, open), open, 'open now: now');
});

test('a window past midnight belongs to the day it starts', () => {
  const w = parseWindow('22:00-06:00', 'fri', 'Asia/Tokyo')!;
  assert.ok(isOpen(w, tokyo('2026-12-04T23:00:00')), 'Friday night');
  assert.ok(isOpen(w, tokyo('2026-12-05T05:59:00')), 'Saturday early is still Friday night');
  assert.not.ok(isOpen(w, tokyo('2026-12-05T06:00:00')));
  assert.not.ok(isOpen(w, tokyo('2026-12-04T05:00:00')), 'Friday early belongs to Thursday night');
  assert.is(nextOpen(w, tokyo('2026-12-05T07:00:00')), tokyo('2026-12-11T22:00:00'));
});

test('day lists and wrapping ranges', () => {
  assert.equal([...parseWindow('09:00-17:00', 'mon-wed,sat', '')!.days].sort(), [1, 2, 3, 6]);
  assert.equal([...parseWindow('09:00-17:00', 'fri-mon', '')!.days].sort(), [0, 1, 5, 6]);
  assert.equal([...parseWindow('', 'sun', '')!.days], [0]);
});

test('across a DST change the local clock is kept', () => {
  const w = parseWindow('08:00-09:00', 'mon-sun', 'Europe/Berlin')!;
  // 2026-03-29 02:00 CET -> 03:00 CEST. At 01:00 UTC on the 29th it is 03:00 CEST.
  const t = nextOpen(w, Date.parse('2026-03-29T01:00:00Z'))!;
  assert.is(new Date(t).toISOString(), '2026-03-29T06:00:00.000Z');
  assert.equal(localClock(t, 'Europe/Berlin'), { day: 0, minute: 480 });
});

test('a short window is not stepped over', () => {
  const w = parseWindow('12:05-12:07', 'mon-sun', 'UTC')!;
  assert.is(new Date(nextOpen(w, Date.parse('2026-12-04T12:08:00Z'))!).toISOString(), '2026-12-05T12:05:00.000Z');
});

test('bad settings are refused at load, naming the key and its line', () => {
  assert.throws(
    () => parseConfig(base + '[queue]\nsending_hours = "8-20"\n', 't.toml', { checkPaths: false }),
    /t\.toml:4:1: queue\.sending_hours: must be a span of local time like "08:00-20:00"/,
  );
  assert.throws(
    () => parseConfig(base + '[queue]\nsending_days = "weekdays"\n', 't.toml', { checkPaths: false }),
    /queue\.sending_days/,
  );
  assert.throws(
    () => parseConfig(base + '[queue]\ntime_zone = "Mars/Olympus"\n', 't.toml', { checkPaths: false }),
    /queue\.time_zone/,
  );
  assert.throws(
    () => parseConfig(base + '[queue]\nmax_calls = 0\n', 't.toml', { checkPaths: false }),
    /queue\.max_calls/,
  );
  const c = parseConfig(
    base +
      '[queue]\nmax_calls = 4\nsending_hours = "07:30-19:00"\nsending_days = "mon-fri"\ntime_zone = "Asia/Tokyo"\n',
    't.toml',
    { checkPaths: false },
  );
  assert.is(c.queue.max_calls, 4);
  assert.is(c.queue.lost_after, 3600);
});

test.run();
