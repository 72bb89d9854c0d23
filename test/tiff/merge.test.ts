import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readTiff, stripBytes, TAG } from '../../lib/tiff/read.js';
import { mergeTiffFiles, mergeTiffs } from '../../lib/tiff/merge.js';
import { decodeProblems } from '../../lib/tiff/validate.js';
import { FaxError } from '../../lib/errors.js';
import { A4, GS, TIFFINFO, markedPagesPs, psToPdf, scratchDir } from '../convert/pdfs.js';
import { blackBox, decodePages } from '../convert/raster.js';

const dir = scratchDir('tiff-merge');
const parts: string[] = [];

async function render(pdf: string, first: number, last: number, out: string): Promise<string> {
  const path = join(dir, out);
  await execa(GS, [
    '-q',
    '-dSAFER',
    '-dBATCH',
    '-dNOPAUSE',
    '-sDEVICE=tiffg4',
    '-r204x98',
    '-g1728x1146',
    '-dFIXEDMEDIA',
    '-dPDFFitPage',
    `-dFirstPage=${first}`,
    `-dLastPage=${last}`,
    `-sOutputFile=${path}`,
    pdf,
  ]);
  return path;
}

test.before(async () => {
  const pdf = await psToPdf(dir, 'five.pdf', markedPagesPs(A4, 5));
  parts.push(await render(pdf, 1, 2, 'p1.tif'), await render(pdf, 3, 3, 'p2.tif'), await render(pdf, 4, 5, 'p3.tif'));
});

test('merging copies every strip byte for byte, in order, with PageNumber n/total', async () => {
  const out = join(dir, 'merged.tif');
  const r = await mergeTiffFiles(parts, out);
  assert.equal(r, { pages: 5, bytes: readFileSync(out).length });
  const merged = readFileSync(out);
  const pages = readTiff(merged);
  assert.is(pages.length, 5);
  const sources = parts.flatMap((p) => {
    const buf = readFileSync(p);
    return readTiff(buf).map((page) => ({ buf, page }));
  });
  pages.forEach((p, i) => {
    const src = sources[i]!;
    assert.equal(p.pageNumber, [i, 5]);
    for (const k of [
      'width',
      'height',
      'compression',
      'xResolution',
      'yResolution',
      'resolutionUnit',
      'photometric',
      'fillOrder',
      't6Options',
    ] as const)
      assert.is(p[k], src.page[k], k);
    assert.is(p.stripOffsets.length, src.page.stripOffsets.length);
    for (let s = 0; s < p.stripOffsets.length; s++) {
      assert.ok(
        Buffer.from(stripBytes(merged, p, s)).equals(Buffer.from(stripBytes(src.buf, src.page, s))),
        `page ${i + 1} strip ${s}`,
      );
    }
    // word-aligned directories, as TIFF 6.0 requires
    assert.is(p.ifdOffset % 2, 0);
  });
  // libtiff agrees: it decodes every page without a complaint
  assert.equal(await decodeProblems(TIFFINFO, out), []);
  const info = (await execa('/usr/bin/tiffinfo', [out])).stdout;
  assert.is(info.match(/Image Width: 1728 Image Length: 1146/g)?.length, 5);
  assert.match(info, /Page Number: 4-5/);
});

test('merged pages are the source pages in order (each page mark where it belongs)', async () => {
  const out = join(dir, 'order.tif');
  await mergeTiffFiles(parts, out, 5);
  const bitmaps = await decodePages(out, dir);
  bitmaps.forEach((b, i) => {
    // mark i: 20 pt square, left edge at 40 + 25 i pt (A4 at 98 dpi: height-limited scale ~1)
    const box = blackBox(b, { x0: 0, y0: 0, x1: b.width, y1: Math.round((100 / 72) * 98) });
    assert.ok(box, `page ${i + 1} has its mark`);
    const leftPt = (box!.minX / 204) * 72;
    const expected = 40 + 25 * i + (609.9 - 595) / 2;
    assert.ok(
      Math.abs(leftPt - expected) < 3,
      `page ${i + 1} mark at ${leftPt.toFixed(1)} pt, expected ${expected.toFixed(1)}`,
    );
  });
});

test('in-memory merge gives the same bytes as the file merge', async () => {
  const out = join(dir, 'same.tif');
  await mergeTiffFiles(parts, out);
  const mem = mergeTiffs(parts.map((p) => readFileSync(p)));
  assert.ok(Buffer.from(mem).equals(readFileSync(out)));
});

test('big-endian inputs merge into a valid little-endian file', async () => {
  const be = join(dir, 'be.tif');
  await execa('/usr/bin/tiffcp', ['-B', '-c', 'g4', parts[1]!, be]);
  const out = join(dir, 'mixed.tif');
  await mergeTiffFiles([parts[0]!, be], out);
  const buf = readFileSync(out);
  assert.is(String.fromCharCode(buf[0]!, buf[1]!), 'II');
  const pages = readTiff(buf);
  assert.is(pages.length, 3);
  assert.is(pages[2]!.xResolution, 204);
  assert.is(pages[2]!.yResolution, 98);
  assert.equal(await decodeProblems(TIFFINFO, out), []);
});

test('G3 with several strips per page survives a merge', async () => {
  const g3 = join(dir, 'g3.tif');
  await execa('/usr/bin/tiffcp', ['-c', 'g3:2d', '-r', '100', parts[0]!, g3]);
  const out = join(dir, 'g3merged.tif');
  await mergeTiffFiles([g3, parts[2]!], out);
  const pages = readTiff(readFileSync(out));
  assert.is(pages.length, 4);
  assert.is(pages[0]!.compression, 3);
  assert.ok(pages[0]!.stripOffsets.length > 5);
  assert.is(pages[0]!.entries.get(TAG.T4Options)?.values[0], readTiff(readFileSync(g3))[0]!.t4Options);
  assert.equal(await decodeProblems(TIFFINFO, out), []);
});

test('a wrong page total from the caller is caught', async () => {
  try {
    await mergeTiffFiles(parts, join(dir, 'wrong.tif'), 4);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, 'internal');
  }
});

test('a damaged input fails with bad-document', async () => {
  const cut = join(dir, 'cut.tif');
  const buf = readFileSync(parts[0]!);
  await import('node:fs/promises').then((fs) => fs.writeFile(cut, buf.subarray(0, buf.length - 200)));
  try {
    await mergeTiffFiles([parts[1]!, cut], join(dir, 'x.tif'));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, 'bad-document');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
