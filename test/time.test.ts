/*
 * time.test.ts: every printed form of a time and a duration (lib/time.ts), in a fixed zone (TZ is set
 * before the first Date is made): the admin's, a receipt's, a received fax's, a page header's, Japanese.
 */
process.env.TZ = 'Asia/Tokyo';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { formatDuration, japaneseDate, localTime } from '../lib/time.js';

const at = '2024-06-03T05:05:09.000Z'; // 14:05:09 in Tokyo (+09:00)

test('local times in each documented form', () => {
  assert.is(localTime(at), '2024-06-03 14:05:09 +0900');
  assert.is(localTime(new Date(at)), '2024-06-03 14:05:09 +0900');
  assert.is(localTime(at, { zone: 'colon' }), '2024-06-03 14:05:09 +09:00');
  assert.is(localTime(at, { zone: 'parenthesised' }), '2024-06-03 14:05:09 (+09:00)');
  assert.is(localTime(at, { seconds: false }), '2024-06-03 14:05 +0900');
  assert.is(japaneseDate(new Date(at)), '2024年6月3日 14:05');
});

test('no time, or text that is no time', () => {
  assert.is(localTime(undefined), '-');
  assert.is(localTime(''), '-');
  assert.is(localTime('soon'), 'soon');
});

test('durations: rounded to the second, minutes from 60 s, per locale; nothing when unknown', () => {
  assert.is(formatDuration(65, 'en'), '1 min 5 s');
  assert.is(formatDuration(65, 'ja'), '1分5秒');
  assert.is(formatDuration(9, 'ja'), '9秒');
  assert.is(formatDuration(0, 'en'), '0 s');
  // 119.6 s is 2 min 0 s, never "1 min 60 s"
  assert.is(formatDuration(119.6, 'en'), '2 min 0 s');
  assert.is(formatDuration(undefined, 'en'), '');
  assert.is(formatDuration(Number.NaN, 'en'), '');
  assert.is(formatDuration(-1, 'en'), '');
});

test('the zone comes from TZ: Tokyo +0900, New York -0500 in November, Kolkata +0530', () => {
  const mod = new URL('../lib/time.js', import.meta.url).href;
  const script = `import { localTime } from '${mod}';\nprocess.stdout.write(localTime('2026-11-23T10:15:00Z'));`;
  const inZone = (tz: string): string =>
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    });
  assert.is(inZone('Asia/Tokyo'), '2026-11-23 19:15:00 +0900');
  assert.is(inZone('America/New_York'), '2026-11-23 05:15:00 -0500');
  assert.is(inZone('Asia/Kolkata'), '2026-11-23 15:45:00 +0530');
});

test.run();
