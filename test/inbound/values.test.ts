/*
 * values.test.ts: the values a received-fax mail shows: outside values cleaned and bounded, times,
 * durations, page counts, resolutions and caller names formatted per locale. Pure functions.
 * (The inbound templates themselves are tested in test/notify/template.test.ts and, end to end, in
 * receive.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cleanValue,
  formatCaller,
  formatDuration,
  formatPages,
  formatResolution,
  formatTime,
} from '../../lib/inbound/values.js';

test('outside values lose control, separator and direction characters, and are bounded', () => {
  assert.is(cleanValue('a\r\nb\u202ec\u0000d\u2028e\u0085f'), 'a b c d e f');
  assert.is(cleanValue('  a \t  b  '), 'a b');
  assert.is(cleanValue('x'.repeat(100), 10), 'xxxxxxxxx…');
});

test('durations, pages and times', () => {
  assert.is(formatDuration(65, 'en'), '1 min 5 s');
  assert.is(formatDuration(65, 'ja'), '1分5秒');
  assert.is(formatDuration(9, 'ja'), '9秒');
  assert.is(formatDuration(undefined, 'en'), '-');
  assert.is(formatDuration(Number.NaN, 'en'), '-');
  assert.is(formatPages(1, 'en'), '1 page');
  assert.is(formatPages(0, 'en'), '0 pages');
  assert.is(formatPages(3, 'ja'), '3枚');
  assert.match(formatTime(new Date(2024, 5, 3, 14, 5, 9)), /^2024-06-03 14:05:09 \([+-]\d\d:\d\d\)$/);
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
