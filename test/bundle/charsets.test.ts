/*
 * The bundled sendfax decodes Asian charsets with Node's own TextDecoder (full ICU; lib/mime/charset.ts), no
 * code tables of its own: a mail in Shift_JIS and ISO-2022-JP parses through the real bundle, the Subject's
 * "+fine" option is read from a Shift_JIS encoded word and the ISO-2022-JP body does not fail the run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { makeTestEnv, runSendfax } from '../helpers/sendfax-env.js';
import { makePdf } from '../helpers/documents.js';

test('a Shift_JIS subject and an ISO-2022-JP body through the bundled sendfax (--dry-run)', async () => {
  const env = makeTestEnv();
  const pdf = readFileSync(makePdf({ pages: 1, size: 'a4', title: 'charsets' }));
  // 請求書 +fine in Shift_JIS; こんにちは in ISO-2022-JP (escape sequences, 7 bit)
  const subject = Buffer.from([0x90, 0xbf, 0x8b, 0x81, 0x8f, 0x91, 0x20, 0x2b, 0x66, 0x69, 0x6e, 0x65]).toString(
    'base64',
  );
  const body = Buffer.from([
    0x1b, 0x24, 0x42, 0x24, 0x33, 0x24, 0x73, 0x24, 0x4b, 0x24, 0x41, 0x24, 0x4f, 0x1b, 0x28, 0x42,
  ]).toString('latin1');
  const mail = [
    'From: alice@example.org',
    'To: fax+0312345678@fax.example.com',
    `Subject: =?Shift_JIS?B?${subject}?=`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=ISO-2022-JP',
    '',
    body,
    '--b1',
    'Content-Type: application/pdf; name="a.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    pdf.toString('base64').replace(/.{76}/g, '$&\n'),
    '--b1--',
    '',
  ].join('\n');
  const r = await runSendfax(env, mail, { extra: ['--dry-run'] });
  assert.is(r.status, 0, r.stdout + r.stderr);
  const result = JSON.parse(r.firstLine) as { pages: number; resolution: string };
  assert.is(result.pages, 1);
  assert.is(result.resolution, 'fine', 'the +fine option was read from the Shift_JIS subject');
});

test.run();
