import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeWords, unescapeHex } from '../../lib/mime/encoded-words.js';

const b64 = (bytes: number[] | string): string => Buffer.from(bytes as never).toString('base64');

test('B and Q words; text around them kept', () => {
  assert.is(decodeWords('=?UTF-8?B?44GT44KT44Gr44Gh44Gv?='), 'こんにちは');
  assert.is(decodeWords('Re: =?iso-8859-1?Q?=FCber_uns?= (2)'), 'Re: über uns (2)');
  assert.is(decodeWords('plain text'), 'plain text');
});

test('adjacent words are one text: the whitespace and folding between them go', () => {
  assert.is(decodeWords('=?utf-8?q?a?= =?utf-8?q?b?=\r\n =?utf-8?q?c?='), 'abc');
  assert.is(decodeWords('=?utf-8?q?a?= x =?utf-8?q?b?='), 'a x b');
});

test('a UTF-8 character split across two words comes out whole', () => {
  const bytes = Buffer.from('見積書');
  const word = (b: Buffer): string => `=?UTF-8?B?${b.toString('base64')}?=`;
  assert.is(decodeWords(`${word(bytes.subarray(0, 4))} ${word(bytes.subarray(4))}`), '見積書');
});

test('ISO-2022-JP split across words (escape in the first, characters in the next)', () => {
  const first = [0x1b, 0x24, 0x42, 0x38, 0x2b];
  const second = [0x40, 0x51, 0x3d, 0x71, 0x1b, 0x28, 0x42];
  assert.is(decodeWords(`=?ISO-2022-JP?B?${b64(first)}?=\r\n =?ISO-2022-JP?B?${b64(second)}?=`), '見積書');
});

test('words in different charsets, a language suffix, an unknown charset', () => {
  assert.is(decodeWords('=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?='), 'éé');
  assert.is(decodeWords('=?utf-8*ja?B?5pel?='), '日');
  assert.is(decodeWords('=?x-unknown?q?abc?='), 'abc');
});

test('unescapeHex: %XX and =XX bytes, a bad escape kept', () => {
  assert.equal([...unescapeHex('%41%zz%4', 0x25)], [...Buffer.from('A%zz%4')]);
  assert.equal([...unescapeHex('=C3=A9', 0x3d)], [0xc3, 0xa9]);
});

test.run();
