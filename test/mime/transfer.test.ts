import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { transferDecoder } from '../../lib/mime/transfer.js';

/** Decode `input` fed in pieces of `size` bytes. */
function decode(encoding: string, input: Buffer, size: number): Buffer {
  const d = transferDecoder(encoding);
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) out.push(d.write(input.subarray(i, i + size)));
  out.push(d.end());
  return Buffer.concat(out);
}

test('base64 in any split, one byte at a time too; line breaks and junk skipped', () => {
  const data = randomBytes(1000);
  const text = Buffer.from(data.toString('base64').replace(/.{76}/g, '$&\r\n'));
  for (const size of [1, 2, 3, 5, 77, 4096]) assert.ok(decode('base64', text, size).equals(data), `size ${size}`);
  assert.is(decode('base64', Buffer.from('aGVs\r\n*bG8=\r\n'), 3).toString(), 'hello');
});

test('base64 cut short: what is there is decoded', () => {
  assert.is(decode('base64', Buffer.from('aGVsbG8gd29y'), 5).toString(), 'hello wor');
  assert.is(decode('base64', Buffer.from('aGVsbG8gd29yb'), 5).toString(), 'hello wor');
});

test('quoted-printable: =XX bytes, soft line breaks (CRLF, LF, trailing blanks), at every split', () => {
  const input = Buffer.from('caf=C3=A9 au lait=\r\n, long =  \r\nline=\nend\r\n2 + 2 =3D 4');
  const want = 'café au lait, long line' + 'end\r\n2 + 2 = 4';
  for (const size of [1, 2, 3, 4, 7, 1000])
    assert.is(decode('quoted-printable', input, size).toString(), want, `size ${size}`);
});

test('quoted-printable: a bad escape and a lone = at the end stay as they are', () => {
  assert.is(decode('quoted-printable', Buffer.from('a=ZZb=4'), 1).toString(), 'a=ZZb=4');
  assert.is(decode('quoted-printable', Buffer.from('x='), 1).toString(), 'x=');
});

test('7bit, 8bit, binary and unknown encodings pass through', () => {
  const data = randomBytes(300);
  for (const e of ['7bit', '8bit', 'binary', '', 'x-uuencode']) assert.ok(decode(e, data, 7).equals(data), e);
});

test.run();
