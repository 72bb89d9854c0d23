/* time.ts: local times with their offset, as the admin reads them; text that is not a time passes through. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { localTime } from '../lib/time.js';

test('an ISO time in local time with its offset (this process: the machine zone)', () => {
  const d = new Date('2026-11-23T10:15:00Z');
  assert.match(localTime(d), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
  assert.is(localTime('2026-11-23T10:15:00Z'), localTime(d));
});

test('nothing is "-", and text that is not a time comes back as it is', () => {
  assert.is(localTime(undefined), '-');
  assert.is(localTime(''), '-');
  assert.is(localTime('soon'), 'soon');
});

test('the zone comes from TZ: Tokyo +0900, New York -0500 in November, Kolkata +0530', () => {
  const mod = new URL('../lib/time.js', import.meta.url).href;
  const script = `import { localTime } from '${mod}';\nprocess.stdout.write(localTime('2026-11-23T10:15:00Z'));`;
  const at = (tz: string): string =>
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    });
  assert.is(at('Asia/Tokyo'), '2026-11-23 19:15:00 +0900');
  assert.is(at('America/New_York'), '2026-11-23 05:15:00 -0500');
  assert.is(at('Asia/Kolkata'), '2026-11-23 15:45:00 +0530');
});

test.run();
