/*
 * text.test.ts: cleanLine, the one way a value from outside becomes one printable line (lib/text.ts):
 * Subjects and header values, caller names and station ids, cover-page values, error sentences.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanLine } from '../lib/text.js';

test('control characters, CR/LF, NEL and Unicode line separators become one space; spaces collapse', () => {
  assert.is(cleanLine('a\r\nBcc: x@example.net\u0085\u2028b\u0000c  '), 'a Bcc: x@example.net b c');
  assert.is(cleanLine('a\r\nb\u2028c\u0085d\te\u2029f\u007fg'), 'a b c d e f g');
  assert.is(cleanLine('  a \t  b  '), 'a b');
});

test('invisible: direction overrides, zero-width characters and the BOM go too', () => {
  const text = 'a\u202eb\u200bc\u2066d\ufeffe\u200ff';
  assert.is(cleanLine(text, { invisible: true }), 'a b c d e f');
  assert.is(cleanLine('a\u202eb\u200bc'), 'a\u202eb\u200bc');
});

test('bounded in characters, with an ellipsis; a character outside the BMP is never split', () => {
  assert.is(cleanLine('x'.repeat(100), { max: 10 }), 'xxxxxxxxx…');
  assert.is(cleanLine('x'.repeat(300), { max: 200 }).length, 200);
  assert.is(cleanLine('x'.repeat(10), { max: 10 }), 'x'.repeat(10));
  assert.is(cleanLine('😀'.repeat(5), { max: 3 }), '😀😀…');
  assert.is(cleanLine('😀'.repeat(3), { max: 3 }), '😀😀😀');
});

test.run();
