import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readTiff, readTiffFile, stripBytes, TAG } from '../../lib/tiff/read.js';
import { FaxError } from '../../lib/errors.js';
import { GS, LETTER, markedPagesPs, psToPdf, scratchDir } from '../convert/pdfs.js';

const dir = scratchDir('tiff-read');
let pdf = '';
let g4 = '';

async function render(device: string, res: string, size: string, out: string): Promise<string> {
  const path = join(dir, out);
  await execa(GS, [
    '-q',
    '-dSAFER',
    '-dBATCH',
    '-dNOPAUSE',
    `-sDEVICE=${device}`,
    `-r${res}`,
    `-g${size}`,
    '-dFIXEDMEDIA',
    '-dPDFFitPage',
    `-sOutputFile=${path}`,
    pdf,
  ]);
  return path;
}

function badDocument(fn: () => unknown): FaxError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, 'bad-document');
    return err as FaxError;
  }
  throw new Error('expected a bad-document FaxError');
}

test.before(async () => {
  pdf = await psToPdf(dir, 'three.pdf', markedPagesPs(LETTER, 3));
  g4 = await render('tiffg4', '204x98', '1728x1078', 'g4.tif');
});

test('reads every page of a little-endian G4 TIFF written by Ghostscript', async () => {
  const pages = await readTiffFile(g4);
  assert.is(pages.length, 3);
  pages.forEach((p, i) => {
    assert.is(p.byteOrder, 'II');
    assert.is(p.width, 1728);
    assert.is(p.height, 1078);
    assert.is(p.bitsPerSample, 1);
    assert.is(p.samplesPerPixel, 1);
    assert.is(p.compression, 4);
    assert.is(p.photometric, 0);
    assert.is(p.fillOrder, 1);
    assert.is(p.xResolution, 204);
    assert.is(p.yResolution, 98);
    assert.is(p.resolutionUnit, 2);
    assert.is(p.t6Options, 0);
    assert.is(p.rowsPerStrip, 1078);
    assert.is(p.stripOffsets.length, p.stripByteCounts.length);
    assert.ok(p.stripByteCounts[0]! > 100);
    assert.equal(p.pageNumber, [i, 0]);
    assert.match(p.software ?? '', /Ghostscript/);
    assert.match(p.dateTime ?? '', /^\d{4}:\d\d:\d\d \d\d:\d\d:\d\d$/);
    assert.is(p.entries.get(TAG.ImageWidth)?.values[0], 1728);
    assert.equal(p.entries.get(TAG.XResolution)?.values, [204, 1]);
  });
});

test('a big-endian copy (tiffcp -B) reads the same fields', async () => {
  const be = join(dir, 'be.tif');
  await execa('/usr/bin/tiffcp', ['-B', '-c', 'g4', g4, be]);
  const buf = readFileSync(be);
  assert.is(String.fromCharCode(buf[0]!, buf[1]!), 'MM');
  const a = readTiff(readFileSync(g4));
  const b = readTiff(buf);
  assert.is(b.length, 3);
  for (let i = 0; i < 3; i++) {
    assert.is(b[i]!.byteOrder, 'MM');
    for (const k of [
      'width',
      'height',
      'bitsPerSample',
      'samplesPerPixel',
      'compression',
      'photometric',
      'xResolution',
      'yResolution',
      'resolutionUnit',
    ] as const) {
      assert.is(b[i]![k], a[i]![k], k);
    }
    // G4 coding is deterministic, so re-encoded strips are the same bytes.
    assert.equal(Buffer.from(stripBytes(buf, b[i]!, 0)), Buffer.from(stripBytes(readFileSync(g4), a[i]!, 0)));
  }
});

test('G3 2-D (tiffg32d) reports compression 3 with the 2-D bit in T4Options', async () => {
  const g3 = await render('tiffg32d', '204x196', '1728x2156', 'g3.tif');
  const [p] = await readTiffFile(g3);
  assert.is(p!.compression, 3);
  assert.is(p!.t4Options & 1, 1);
  assert.is(p!.yResolution, 196);
  assert.is(p!.height, 2156);
});

test('strips of several rows each (tiffcp -r 64) are all listed and lie inside the file', async () => {
  const multi = join(dir, 'rows.tif');
  await execa('/usr/bin/tiffcp', ['-r', '64', '-c', 'g4', g4, multi]);
  const buf = readFileSync(multi);
  const [p] = readTiff(buf);
  assert.is(p!.rowsPerStrip, 64);
  assert.is(p!.stripOffsets.length, Math.ceil(1078 / 64));
  for (let s = 0; s < p!.stripOffsets.length; s++) assert.is(stripBytes(buf, p!, s).length, p!.stripByteCounts[s]);
});

test('malformed files fail with bad-document', () => {
  const good = readFileSync(g4);
  badDocument(() => readTiff(new Uint8Array(0)));
  badDocument(() => readTiff(Buffer.from('%PDF-1.4 not a tiff')));
  // BigTIFF header
  badDocument(() => readTiff(Buffer.from([0x49, 0x49, 43, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
  // first IFD outside the file
  const far = Buffer.from(good);
  far.writeUInt32LE(good.length + 100, 4);
  assert.match(badDocument(() => readTiff(far)).message, /outside the file/);
  // no pages
  const none = Buffer.from(good);
  none.writeUInt32LE(0, 4);
  badDocument(() => readTiff(none));
});

test('an IFD chain that loops back is refused instead of read forever', () => {
  const buf = Buffer.from(readFileSync(g4));
  const [p0] = readTiff(buf);
  const n = buf.readUInt16LE(p0!.ifdOffset);
  buf.writeUInt32LE(p0!.ifdOffset, p0!.ifdOffset + 2 + n * 12); // page 1 -> page 1
  assert.match(badDocument(() => readTiff(buf)).message, /loops/);
});

test('a truncated file (cut inside the last page) is refused', () => {
  const good = readFileSync(g4);
  const pages = readTiff(good);
  const last = pages[2]!;
  const cut = good.subarray(0, last.stripOffsets[0]! + Math.floor(last.stripByteCounts[0]! / 2));
  assert.match(badDocument(() => readTiff(cut)).message, /outside the file/);
});

test('a strip pointing past the end of the file is refused', () => {
  const buf = Buffer.from(readFileSync(g4));
  const [p0] = readTiff(buf);
  const entry = p0!.entries.get(TAG.StripByteCounts)!;
  assert.is(entry.count, 1);
  // inline value; gs writes LONG, tiffcp may write SHORT
  if (entry.type === 3) buf.writeUInt16LE(0xffff, entry.valueOffset);
  else buf.writeUInt32LE(buf.length, entry.valueOffset);
  assert.ok(buf.length < 0xffff);
  badDocument(() => readTiff(buf));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
