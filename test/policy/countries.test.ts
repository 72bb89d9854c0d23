/*
 * countries.test.ts: numbers.country. Each built-in plan, applied by the config loader, is tried on real
 * numbers of its country: ordinary numbers (geographic, mobile where the plan allows it, freephone, numbers
 * given in +CC form) pass and are dialled in national form; premium-rate, charged-service and international
 * numbers are refused (77) until the admin sets the key. Keys set in the file win, whole.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config/load.js';
import { resolveDestination } from '../../lib/policy/number.js';
import { COUNTRY_PLANS, countryPlan, describeNumberPolicy } from '../../lib/policy/countries.js';
import { FaxError } from '../../lib/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-country-'));
for (const d of ['spool', 'outgoing', 'tmp']) mkdirSync(join(dir, d));
const base = `[paths]\nspool = "${dir}/spool"\noutgoing = "${dir}/outgoing"\ntmp = "${dir}/tmp"\nlog = "-"\n`;
const numbersOf = (section: string): ReturnType<typeof parseConfig>['numbers'] =>
  parseConfig(`${base}[numbers]\n${section}\n`, 'test.toml').numbers;

/** 'dial NUMBER' (allowed, dialled as NUMBER) or 'refused' (77) or 'bad' (67). */
function outcome(extension: string, numbers: ReturnType<typeof numbersOf>): string {
  try {
    return `dial ${resolveDestination(extension, numbers).number}`;
  } catch (err) {
    assert.instance(err, FaxError);
    const code = (err as FaxError).code;
    return code === 'number-refused' ? 'refused' : code === 'bad-number' ? 'bad' : code;
  }
}

const CASES: Record<string, [string, string][]> = {
  JP: [
    ['03-1234-5678', 'dial 0312345678'],
    ['+81 3 1234 5678', 'dial 0312345678'],
    ['0742-12-3456', 'dial 0742123456'],
    ['0120-123-456', 'dial 0120123456'],
    ['050-1234-5678', 'dial 05012345678'],
    ['0990-123-456', 'refused'],
    ['0570-123-456', 'refused'],
    ['0180-123-456', 'refused'],
    ['090-1234-5678', 'refused'],
    ['010-1-212-555-0123', 'refused'],
    ['0033-1-212-555-0123', 'refused'],
    ['+1 212 555 0123', 'refused'],
    ['110', 'refused'],
  ],
  US: [
    ['212-555-0123', 'dial 2125550123'],
    ['1 (212) 555-0123', 'dial 12125550123'],
    ['+1 212 555 0123', 'dial 12125550123'],
    ['1-800-555-0123', 'dial 18005550123'],
    ['1-900-555-0123', 'refused'],
    ['212-976-1234', 'refused'],
    ['1-809-555-0123', 'refused'],
    ['876-555-0123', 'refused'],
    ['011-44-20-7946-0000', 'refused'],
    ['+44 20 7946 0000', 'refused'],
    ['0', 'bad'],
  ],
  GB: [
    ['020 7946 0000', 'dial 02079460000'],
    ['+44 20 7946 0000', 'dial 02079460000'],
    ['0113 496 0000', 'dial 01134960000'],
    ['07700 900123', 'dial 07700900123'],
    ['07624 123456', 'dial 07624123456'],
    ['0800 123 4567', 'dial 08001234567'],
    ['0909 879 0000', 'refused'],
    ['0871 234 5678', 'refused'],
    ['0845 123 4567', 'refused'],
    ['070 1234 5678', 'refused'],
    ['07612 345678', 'refused'],
    ['00 33 1 42 34 56 78', 'refused'],
  ],
  DE: [
    ['030 12345678', 'dial 03012345678'],
    ['+49 30 12345678', 'dial 03012345678'],
    ['0170 1234567', 'dial 01701234567'],
    ['0800 1234567', 'dial 08001234567'],
    ['0900 1234567', 'refused'],
    ['0137 1234567', 'refused'],
    ['01805 123456', 'refused'],
    ['01088 030 12345678', 'refused'],
    ['0700 12345678', 'refused'],
    ['0041 44 123 45 67', 'refused'],
  ],
  FR: [
    ['01 42 34 56 78', 'dial 0142345678'],
    ['+33 1 42 34 56 78', 'dial 0142345678'],
    ['06 12 34 56 78', 'dial 0612345678'],
    ['0806 12 34 56', 'dial 0806123456'],
    ['09 12 34 56 78', 'dial 0912345678'],
    ['0892 12 34 56', 'refused'],
    ['0812 34 56 78', 'refused'],
    ['0825 12 34 56', 'refused'],
    ['00 44 20 7946 0000', 'refused'],
    ['3617', 'refused'],
  ],
};

for (const [country, cases] of Object.entries(CASES)) {
  test(
    `numbers.country = "${country}": ordinary numbers dialled in national form; premium and international ` + `refused`,
    () => {
      const numbers = numbersOf(`country = "${country}"`);
      for (const [ext, expected] of cases) assert.is(outcome(ext, numbers), expected, `${country} ${ext}`);
    },
  );
}

test('CA shares the NANP plan with US; UK is GB', () => {
  assert.equal(numbersOf('country = "CA"').deny, numbersOf('country = "US"').deny);
  assert.equal(numbersOf('country = "UK"').deny, numbersOf('country = "GB"').deny);
  assert.is(countryPlan('uk')?.name, 'United Kingdom');
  assert.is(outcome('+1 416 555 0123', numbersOf('country = "CA"')), 'dial 14165550123');
});

test('a key set in the file wins whole: the admin allows what the plan denies', () => {
  // Premium rate allowed again by a deny list of the admin's own; the plan's allow and dial rules stay.
  const n = numbersOf('country = "JP"\ndeny = ["^010"]');
  assert.is(outcome('0990-123-456', n), 'dial 0990123456');
  assert.is(outcome('+81 3 1234 5678', n), 'dial 0312345678');
  assert.is(outcome('010 1 212 555 0123', n), 'refused');
  const mine = numbersOf('country = "FR"\nallow = ["^0[1-5][0-9]{8}$"]');
  assert.is(outcome('06 12 34 56 78', mine), 'refused', 'mobiles not in my allow list');
});

test('no country: the generic patterns, which now refuse 0990 (Japanese premium rate) too', () => {
  const n = numbersOf('');
  assert.is(n.country, '');
  assert.is(outcome('0990123456', n), 'refused');
  assert.is(outcome('0312345678', n), 'dial 0312345678');
});

test('an unknown country is a configuration error naming the key', () => {
  try {
    numbersOf('country = "XX"');
    assert.unreachable();
  } catch (err) {
    assert.match((err as FaxError).message, 'numbers.country: must be one of');
  }
});

test('every plan: patterns compile, denied prefixes say what they are, dial rules end in national form', () => {
  for (const [code, plan] of Object.entries(COUNTRY_PLANS)) {
    for (const p of [...plan.allow, ...plan.deny.map((d) => d.pattern), ...plan.rewrite.map((r) => r.match)])
      assert.ok(new RegExp(p), `${code} ${p}`);
    for (const d of plan.deny) assert.ok(d.what.length > 8, `${code} ${d.pattern} is described`);
    assert.ok(
      plan.deny.some((d) => /international/i.test(d.what)),
      `${code} denies international calls`,
    );
    assert.ok(
      plan.deny.some((d) => /premium/i.test(d.what)),
      `${code} denies premium rate`,
    );
  }
});

test('describeNumberPolicy: what check-config prints', () => {
  const lines = describeNumberPolicy(numbersOf('country = "JP"'));
  assert.is(lines[0], 'numbers: country JP (Japan)');
  assert.ok(lines.includes('  deny (JP default):'));
  assert.ok(lines.some((l) => l.includes('^0990') && l.includes('premium rate')));
  assert.ok(lines.includes('    ^\\+81 -> 0'));
  const own = describeNumberPolicy(numbersOf('country = "JP"\ndeny = ["^010"]'));
  assert.ok(own.includes('  deny (your setting or the generic default):'));
  assert.match(describeNumberPolicy(numbersOf(''))[0]!, 'no country set');
});

test.run();
