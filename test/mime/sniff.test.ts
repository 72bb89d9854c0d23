import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sniffBytes, sniffFile } from '../../lib/mime/sniff.js';
import {
  documentsDir,
  encodeDocx,
  encodePlainZip,
  makeGsPng,
  makeImage,
  makeJpeg,
  makePdf,
  makeTiff,
} from '../helpers/documents.js';
import { encodeTnef } from '../helpers/mail-fixtures.js';

const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

test('magic numbers', () => {
  assert.is(sniffBytes(Buffer.from('%PDF-1.7\n')), 'pdf');
  assert.is(sniffBytes(Buffer.concat([Buffer.alloc(300, 0x20), Buffer.from('%PDF-1.4')])), 'pdf');
  assert.is(sniffBytes(b(0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0)), 'tiff');
  assert.is(sniffBytes(b(0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8)), 'tiff');
  assert.is(sniffBytes(b(0x49, 0x49, 0x2b, 0x00)), 'tiff');
  assert.is(sniffBytes(b(0xff, 0xd8, 0xff, 0xe0)), 'jpeg');
  assert.is(sniffBytes(b(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)), 'png');
  assert.is(sniffBytes(b(0x78, 0x9f, 0x3e, 0x22, 1, 0)), 'tnef');
  assert.is(sniffBytes(b(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)), 'office');
  assert.is(sniffBytes(Buffer.from('{\\rtf1\\ansi')), 'office');
  assert.is(sniffBytes(encodeDocx()), 'office');
  assert.is(sniffBytes(encodePlainZip()), undefined);
  assert.is(sniffBytes(Buffer.from('GIF89a')), undefined);
  assert.is(sniffBytes(Buffer.from('MZ\x90\x00')), undefined);
  assert.is(sniffBytes(b()), undefined);
  assert.is(sniffBytes(b(0x89, 0x50)), undefined);
});

test('generated files are recognised from disk', async () => {
  assert.is(await sniffFile(makePdf()), 'pdf');
  assert.is(await sniffFile(makeJpeg()), 'jpeg');
  assert.is(await sniffFile(makeGsPng('pngalpha')), 'png');
  for (const k of ['png', 'png-alpha', 'png-gray', 'png-palette', 'png-interlaced', 'png-16bit'] as const)
    assert.is(await sniffFile(makeImage(k)), 'png', k);
  assert.is(await sniffFile(makeTiff({ colour: 'bilevel' })), 'tiff');
  const big = join(documentsDir(), 'bigendian.tif');
  execFileSync('tiffcp', ['-B', makeTiff({ colour: 'gray' }), big]);
  assert.is(await sniffFile(big), 'tiff');
  const tnef = join(documentsDir(), 'winmail.dat');
  writeFileSync(tnef, encodeTnef([{ name: 'a.pdf', data: Buffer.from('%PDF-1.4') }]));
  assert.is(await sniffFile(tnef), 'tnef');
  const empty = join(documentsDir(), 'empty.bin');
  writeFileSync(empty, '');
  assert.is(await sniffFile(empty), undefined);
});

test.run();
