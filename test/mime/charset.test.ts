import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBytes, decoderFor } from '../../lib/mime/charset.js';

// 請求書 in each charset
const SEIKYUSHO = {
  shift_jis: [0x90, 0xbf, 0x8b, 0x81, 0x8f, 0x91],
  'euc-jp': [0xc0, 0xc1, 0xb5, 0xe1, 0xbd, 0xf1],
  'iso-2022-jp': [0x1b, 0x24, 0x42, 0x40, 0x41, 0x35, 0x61, 0x3d, 0x71, 0x1b, 0x28, 0x42],
};

test('Japanese charsets, and aliases mail programs write (cp932, quoted, upper case)', () => {
  for (const [charset, bytes] of Object.entries(SEIKYUSHO))
    assert.is(decodeBytes(Buffer.from(bytes), charset), '請求書');
  assert.is(decodeBytes(Buffer.from(SEIKYUSHO.shift_jis), 'CP932'), '請求書');
  assert.is(decodeBytes(Buffer.from(SEIKYUSHO['iso-2022-jp']), '"ISO-2022-JP"'), '請求書');
  assert.is(decodeBytes(Buffer.from(SEIKYUSHO['iso-2022-jp']), 'iso-2022-jp-2'), '請求書');
});

test('other charsets: latin, cyrillic, Korean, Chinese', () => {
  assert.is(decodeBytes(Buffer.from([0xfc, 0x62, 0x65, 0x72]), 'iso-8859-1'), 'über');
  // Node 20's own windows-1252 decoder reads 0x80-0x9f as ISO-8859-1 control characters.
  for (const label of ['windows-1252', 'iso-8859-1', 'latin1'])
    assert.is(decodeBytes(Buffer.from([0x93, 0x80, 0x35, 0x94, 0xe9]), label), '“€5”é', label);
  assert.is(decodeBytes(Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]), 'koi8-r'), 'Привет');
  assert.is(decodeBytes(Buffer.from([0xc7, 0xd1]), 'ks_c_5601-1987'), '한');
  assert.is(decodeBytes(Buffer.from([0xd6, 0xd0]), 'gb2312'), '中');
});

test('unknown, refused or missing charset: UTF-8 with U+FFFD, never a throw', () => {
  assert.is(decodeBytes(Buffer.from('héllo'), 'x-no-such-charset'), 'héllo');
  assert.is(decodeBytes(Buffer.from([0x61, 0xff]), 'x-no-such-charset'), 'a\ufffd');
  assert.is(decodeBytes(Buffer.from('+ADw-script+AD4-'), 'utf-7'), '+ADw-script+AD4-');
  assert.is(decodeBytes(Buffer.from('hé'), undefined), 'hé');
  assert.is(decodeBytes(Buffer.from('hé'), 'us-ascii'), 'hé');
  assert.is(decodeBytes(Buffer.from('x'), 'iso-2022-kr'), 'x');
});

test('a streaming decoder keeps a character split across chunks', () => {
  const d = decoderFor('iso-2022-jp');
  const s = SEIKYUSHO['iso-2022-jp'].map((b) => d.decode(Buffer.from([b]), { stream: true })).join('') + d.decode();
  assert.is(s, '請求書');
});

test.run();
