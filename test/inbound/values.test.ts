/*
 * values.test.ts: the values a received-fax mail shows: page counts, resolutions and caller names formatted
 * per locale (times and durations: test/time.test.ts). Pure functions.
 * (The inbound templates themselves are tested in test/notify/template.test.ts and, end to end, in
 * receive.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatCaller, formatPages, formatResolution } from '../../lib/inbound/values.js';

test('pages', () => {
  assert.is(formatPages(1, 'en'), '1 page');
  assert.is(formatPages(0, 'en'), '0 pages');
  assert.is(formatPages(3, 'ja'), '3枚');
});

test('resolution from the TIFF, else from FAXOPT(resolution) in pixels per metre', () => {
  assert.is(formatResolution(undefined, '8031x3850', 'en'), '204x98 dpi (standard)');
  assert.is(formatResolution(undefined, '8031x7700', 'ja'), '204x196 dpi（ファイン）');
  assert.is(formatResolution({ x: 204, y: 391 }, '', 'en'), '204x391 dpi (superfine)');
  assert.is(formatResolution({ x: 204, y: 196 }, '8031x3850', 'en'), '204x196 dpi (fine)');
  assert.is(formatResolution(undefined, 'garbage', 'en'), '-');
});

test('caller: name and number, one of them, or unknown; cleaned and bounded', () => {
  assert.is(formatCaller('ACME', '0311112222', 'en'), 'ACME (0311112222)');
  assert.is(formatCaller('0311112222', '0311112222', 'en'), '0311112222');
  assert.is(formatCaller('ACME', '', 'en'), 'ACME');
  assert.is(formatCaller('', '', 'en'), 'an unknown number');
  assert.is(formatCaller('', '', 'ja'), '不明な番号');
  assert.is(formatCaller('A\r\nBcc: x@example.net', '03', 'en'), 'A Bcc: x@example.net (03)');
  assert.is(formatCaller('n'.repeat(100), '03', 'en'), `${'n'.repeat(59)}… (03)`);
});

test.run();
