import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizeNumber, resolveDestination, rewriteNumber } from '../../lib/policy/number.js';
import { FaxError } from '../../lib/errors.js';
import { exitStatusFor } from '../../lib/sysexits.js';

const policy = {
  rewrite: [
    { match: '^\\+81', replace: '0' },
    { match: '^\\+', replace: '00' },
  ],
  allow: ['^0[1-9][0-9]{5,13}$', '^001[0-9]{10}$'],
  deny: ['^0(90|120)', '^00(?!1)'],
  min_digits: 6,
  max_digits: 20,
};

function failure(ext: string): FaxError {
  try {
    resolveDestination(ext, policy);
  } catch (err) {
    assert.instance(err, FaxError);
    return err as FaxError;
  }
  throw new Error(`expected ${ext} to be refused`);
}

test('separators are stripped and a leading + is kept', () => {
  assert.is(normalizeNumber('03-1234.5678'), '0312345678');
  assert.is(normalizeNumber('(03) 1234 5678'), '0312345678');
  assert.is(normalizeNumber('[03]1234-5678'), '0312345678');
  assert.is(normalizeNumber('+81-3-1234-5678'), '+81312345678');
});

test('dial rules rewrite prefixes, first match wins', () => {
  assert.equal(rewriteNumber('+81312345678', policy.rewrite), { number: '0312345678', rule: '^\\+81' });
  assert.equal(rewriteNumber('+15551234567', policy.rewrite), { number: '0015551234567', rule: '^\\+' });
  assert.equal(rewriteNumber('0312345678', policy.rewrite), { number: '0312345678' });
});

test('a national number passes; +81 becomes 0', () => {
  assert.equal(resolveDestination('0312345678', policy), { requested: '0312345678', number: '0312345678' });
  assert.is(resolveDestination('+81-3-1234-5678', policy).number, '0312345678');
  assert.is(resolveDestination('+1 555 123 4567', policy).number, '0015551234567');
});

test('letters, symbols and injection attempts are bad numbers (67)', () => {
  for (const ext of ['12ab', '0312345678;Application: System', '03\n12345678', '*67', '0312#', '++81', '']) {
    const e = failure(ext);
    assert.is(e.code, 'bad-number', ext);
    assert.is(exitStatusFor(e.code, 'pipe'), 67);
    assert.not.match(e.message, '\n');
  }
});

test('too short and too long are bad numbers', () => {
  assert.match(failure('0312').message, 'too short');
  assert.match(failure('031234567890123456789012').message, 'too long');
});

test('deny patterns are checked after rewriting and refuse with 77', () => {
  const e = failure('+81-90-1234-5678'); // becomes 09012345678, denied
  assert.is(e.code, 'number-refused');
  assert.is(exitStatusFor(e.code, 'pipe'), 77);
  assert.is(failure('+44 20 7946 0000').code, 'number-refused'); // 0044..., denied international
});

test('numbers outside the allow list are refused', () => {
  assert.is(failure('1234567').code, 'number-refused');
});

test.run();
