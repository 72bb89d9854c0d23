import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readTiff } from '../../lib/tiff/read.js';
import { checkFaxPages, decodeProblems, validateFaxTiff, type FaxExpectation } from '../../lib/tiff/validate.js';
import { FaxError } from '../../lib/errors.js';
import { A4, GS, TIFFINFO, markedPagesPs, psToPdf, scratchDir } from '../convert/pdfs.js';

const dir = scratchDir('tiff-validate');
let pdf = '';
let good = '';
const FINE: FaxExpectation = { pages: 3, ydpi: 196 };

async function render(out: string, ...opts: string[]): Promise<string> {
  const path = join(dir, out);
  await execa(GS, [
    '-q',
    '-dSAFER',
    '-dBATCH',
    '-dNOPAUSE',
    '-dFIXEDMEDIA',
    '-dPDFFitPage',
    ...opts,
    `-sOutputFile=${path}`,
    pdf,
  ]);
  return path;
}

async function problems(file: string, expect: FaxExpectation, code?: 'bad-document'): Promise<FaxError> {
  try {
    await validateFaxTiff(file, expect, { tiffinfo: TIFFINFO, ...(code ? { code } : {}) });
  } catch (err) {
    assert.instance(err, FaxError);
    return err as FaxError;
  }
  throw new Error(`${file} passed validation`);
}

function listed(err: FaxError): string {
  return ((err.detail?.['problems'] as string[]) ?? []).join('; ');
}

test.before(async () => {
  pdf = await psToPdf(dir, 'three.pdf', markedPagesPs(A4, 3));
  good = await render('good.tif', '-sDEVICE=tiffg4', '-r204x196', '-g1728x2292');
});

test('a fine A4 fax from Ghostscript passes and its pages are returned', async () => {
  const pages = await validateFaxTiff(good, FINE, { tiffinfo: TIFFINFO });
  assert.is(pages.length, 3);
  assert.equal(await decodeProblems(TIFFINFO, good), []);
});

test('a truncated fax (a real one cut short) fails', async () => {
  const buf = readFileSync(good);
  const cut = join(dir, 'cut.tif');
  writeFileSync(cut, buf.subarray(0, Math.floor(buf.length * 0.8)));
  const err = await problems(cut, FINE);
  assert.is(err.code, 'internal');
  assert.match(listed(err), /damaged|outside the file/);
  // the caller picks the code when the file came from outside
  assert.is((await problems(cut, FINE, 'bad-document')).code, 'bad-document');
});

test('a page whose image data is garbage (directories intact) fails in the decode check', async () => {
  const buf = Buffer.from(readFileSync(good));
  const page = readTiff(buf)[1]!;
  const start = page.stripOffsets[0]! + 40;
  for (let i = 0; i < 300 && start + i < page.stripOffsets[0]! + page.stripByteCounts[0]!; i++)
    buf[start + i] = (i * 37 + 11) & 0xff;
  const bad = join(dir, 'garbage.tif');
  writeFileSync(bad, buf);
  // the fields are all fine, so only decoding can tell
  assert.equal(checkFaxPages(readTiff(buf), FINE), []);
  const err = await problems(bad, FINE);
  assert.match(listed(err), /Fax4Decode|Bad code word|Line length mismatch/);
});

test('a 300 dpi TIFF fails on resolution and width', async () => {
  const tif = await render('r300.tif', '-sDEVICE=tiffg4', '-r300', '-g2480x3508');
  const err = await problems(tif, FINE);
  assert.match(listed(err), /width 2480 pixels, not 1728/);
  assert.match(listed(err), /horizontal resolution 300 dpi, not 204/);
  assert.match(listed(err), /vertical resolution 300 dpi, not 196/);
});

test('1728 wide but 300 lines per inch fails on the vertical resolution alone', async () => {
  const tif = await render('y300.tif', '-sDEVICE=tiffg4', '-r204x300', '-g1728x3508');
  const err = await problems(tif, FINE);
  assert.match(listed(err), /vertical resolution 300 dpi, not 196/);
  assert.not.match(listed(err), /width/);
});

test('a 1686-wide TIFF (true A4 at 204 dpi) fails', async () => {
  // gs pads fax widths to 1728 unless told not to
  const tif = await render('w1686.tif', '-sDEVICE=tiffg4', '-dAdjustWidth=0', '-r204x196', '-g1686x2292');
  assert.is(readTiff(readFileSync(tif))[0]!.width, 1686);
  const err = await problems(tif, FINE);
  assert.match(listed(err), /width 1686 pixels, not 1728/);
});

test('a standard-resolution fax fails when fine was expected, and passes when standard was', async () => {
  const tif = await render('std.tif', '-sDEVICE=tiffg4', '-r204x98', '-g1728x1146');
  assert.match(listed(await problems(tif, FINE)), /vertical resolution 98 dpi, not 196/);
  assert.is((await validateFaxTiff(tif, { pages: 3, ydpi: 98 }, { tiffinfo: TIFFINFO })).length, 3);
});

test('a grey TIFF fails as not black and white', async () => {
  const tif = await render('grey.tif', '-sDEVICE=tiffgray', '-r204x196', '-g1728x2292');
  assert.match(listed(await problems(tif, FINE)), /8 bits x 1 samples per pixel/);
});

test('the wrong number of pages fails', async () => {
  assert.match(listed(await problems(good, { pages: 4, ydpi: 196 })), /3 pages, expected 4/);
});

test('tiffinfo that cannot be started is a temporary failure', async () => {
  try {
    await validateFaxTiff(good, FINE, { tiffinfo: join(dir, 'no-such-tiffinfo') });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, 'temporary');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();

test(
  'structureProblems: a whole gs fax passes; a page whose strip was cut short is caught, and so is a file ' +
    'cut short',
  async () => {
    const { structureProblems } = await import('../../lib/tiff/validate.js');
    const buf = readFileSync(good);
    assert.equal(structureProblems(buf, 3), []);
    assert.equal(structureProblems(buf, 4), ['3 pages, expected 4']);
    // Page 2's strip loses its last bytes (the directory still points at the shorter strip): the end-of-block
    // code T.6 puts after the last line is gone.
    const pages = readTiff(buf);
    const p2 = pages[1]!;
    const entry = p2.entries.get(279)!;
    assert.is(p2.byteOrder, 'II', 'gs writes little-endian TIFFs');
    const cut = Buffer.from(buf);
    const shorter = p2.stripByteCounts[0]! - 7;
    if (entry.type === 3) cut.writeUInt16LE(shorter, entry.valueOffset);
    else cut.writeUInt32LE(shorter, entry.valueOffset);
    assert.equal(structureProblems(cut, 3), ['page 2: strip 1 does not end with the end-of-page code (cut short)']);
    // The file itself truncated inside page 3's data: that page's image data lies outside the file.
    const p3 = pages[2]!;
    const truncated = buf.subarray(0, p3.stripOffsets[0]! + 100);
    const found = structureProblems(truncated, 3);
    assert.ok(found.length > 0, 'a truncated file is caught');
  },
);
