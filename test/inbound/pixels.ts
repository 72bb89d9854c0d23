/*
 * pixels.ts: compare a PDF page with the TIFF page it came from, pixel by pixel, for tests.
 *
 * The TIFF side: `tiffcp -c none -f msb2lsb` decodes every page with libtiff into uncompressed MSB-first
 * data, which lib/tiff/read.ts then reads strip by strip (no decoder of our own is involved).
 * The PDF side: poppler's pdftoppm renders the page at the TIFF's own resolution (-rx/-ry) in mono PBM,
 * so one PDF pixel is one fax dot. Both are normalised to 1 = black.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { readTiff, stripBytes } from '../../lib/tiff/read.js';

export interface Bitmap {
  width: number;
  height: number;
  /** bytes per row; rows are MSB-first, 1 = black */
  stride: number;
  bits: Uint8Array;
}

let seq = 0;

/** Every page of a TIFF as a bitmap (1 = black). */
async function decodeTiff(tiff: string, dir: string): Promise<Bitmap[]> {
  const plain = join(dir, `plain-${process.pid}-${++seq}.tif`);
  await execa('tiffcp', ['-c', 'none', '-f', 'msb2lsb', '-r', '1000000', tiff, plain]);
  const buf = await readFile(plain);
  return readTiff(buf).map((page) => {
    if (page.compression !== 1 || page.bitsPerSample !== 1)
      throw new Error('tiffcp did not write bilevel uncompressed data');
    const stride = Math.ceil(page.width / 8);
    const bits = new Uint8Array(stride * page.height);
    let at = 0;
    for (let s = 0; s < page.stripOffsets.length; s++) {
      const strip = stripBytes(buf, page, s);
      bits.set(strip.subarray(0, Math.min(strip.length, bits.length - at)), at);
      at += strip.length;
    }
    // photometric 0 (WhiteIsZero): 1 is black already; 1 (BlackIsZero): invert.
    if (page.photometric === 1) for (let i = 0; i < bits.length; i++) bits[i] = ~bits[i]! & 0xff;
    return { width: page.width, height: page.height, stride, bits };
  });
}

/** Parse a binary PBM (P4); 1 = black. */
function parsePbm(buf: Uint8Array): Bitmap {
  const head = Buffer.from(buf.subarray(0, 64)).toString('latin1');
  const m = /^P4\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s/.exec(head);
  if (!m) throw new Error('not a P4 PBM');
  const width = Number(m[1]);
  const height = Number(m[2]);
  const stride = Math.ceil(width / 8);
  return { width, height, stride, bits: buf.subarray(m[0].length, m[0].length + stride * height) };
}

/** Render one PDF page with pdftoppm at the given resolution. */
async function renderPdfPage(pdf: string, page: number, dpiX: number, dpiY: number, dir: string): Promise<Bitmap> {
  const stem = join(dir, `render-${process.pid}-${++seq}`);
  await execa('pdftoppm', [
    '-f',
    String(page),
    '-l',
    String(page),
    '-rx',
    String(dpiX),
    '-ry',
    String(dpiY),
    '-mono',
    '-singlefile',
    pdf,
    stem,
  ]);
  return parsePbm(await readFile(`${stem}.pbm`));
}

/** The image of one PDF page as poppler's pdfimages decodes it (no scaling; PBM for 1-bit images). */
async function extractPdfImage(pdf: string, page: number, dir: string): Promise<Bitmap> {
  const stem = join(dir, `image-${process.pid}-${++seq}`);
  await execa('pdfimages', ['-f', String(page), '-l', String(page), pdf, stem]);
  return parsePbm(await readFile(`${stem}-000.pbm`));
}

function bit(b: Bitmap, x: number, y: number): number {
  return (b.bits[y * b.stride + (x >> 3)]! >> (7 - (x & 7))) & 1;
}

/** Pixels that differ, over the common area; plus the black pixel count of `a` (so a blank page cannot pass). */
function diffBitmaps(a: Bitmap, b: Bitmap): { differing: number; blackA: number; blackB: number } {
  const w = Math.min(a.width, b.width);
  const h = Math.min(a.height, b.height);
  let differing = 0;
  let blackA = 0;
  let blackB = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const pa = bit(a, x, y);
      const pb = bit(b, x, y);
      blackA += pa;
      blackB += pb;
      if (pa !== pb) differing++;
    }
  }
  return { differing, blackA, blackB };
}

export async function pdfPageSizes(pdf: string): Promise<{ width: number; height: number }[]> {
  const { stdout } = await execa('pdfinfo', ['-f', '1', '-l', '10000', pdf]);
  return [...stdout.matchAll(/^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/gm)].map((m) => ({
    width: Number(m[1]),
    height: Number(m[2]),
  }));
}

/** Every page of pdf renders like the TIFF page, and has the exact paper size. */
export async function assertFaithful(tiff: string, pdf: string, dir: string, pagesToCheck?: number[]): Promise<void> {
  // tiff2pdf rounds its MediaBox up by a hair, which poppler turns into one blank extra row or column.
  const slack = (await execa('pdfinfo', [pdf])).stdout.includes('faxmail') ? 0 : 1;
  const pages = readTiff(readFileSync(tiff));
  const bitmaps = await decodeTiff(tiff, dir);
  const sizes = await pdfPageSizes(pdf);
  assert.is(sizes.length, pages.length, 'page count');
  for (const [i, page] of pages.entries()) {
    const dpiX = page.xResolution * (page.resolutionUnit === 3 ? 2.54 : 1);
    const dpiY = page.yResolution * (page.resolutionUnit === 3 ? 2.54 : 1);
    assert.ok(Math.abs(sizes[i]!.width - (page.width / dpiX) * 72) < 0.1, `page ${i + 1} width ${sizes[i]!.width}`);
    assert.ok(Math.abs(sizes[i]!.height - (page.height / dpiY) * 72) < 0.1, `page ${i + 1} height ${sizes[i]!.height}`);
    if (pagesToCheck && !pagesToCheck.includes(i + 1)) continue;
    const rendered = await renderPdfPage(pdf, i + 1, dpiX, dpiY, dir);
    assert.ok(
      rendered.width >= page.width && rendered.width <= page.width + slack,
      `page ${i + 1} rendered width ${rendered.width}`,
    );
    assert.ok(
      rendered.height >= page.height && rendered.height <= page.height + slack,
      `page ${i + 1} rendered height ${rendered.height}`,
    );
    const d = diffBitmaps(bitmaps[i]!, rendered);
    assert.ok(d.blackA > 1000, `page ${i + 1} has content (${d.blackA} black dots)`);
    // With a MediaBox a hair too large the renderer scales by 1.00005 and a few edge dots move.
    const allowed = slack ? (page.width * page.height) / 200 : 0;
    assert.ok(
      d.differing <= allowed,
      `page ${i + 1}: ${d.differing} of ${page.width * page.height} rendered dots differ`,
    );
    // The image itself, decoded without scaling, is the TIFF dot for dot.
    const image = await extractPdfImage(pdf, i + 1, dir);
    assert.is(image.width, page.width);
    assert.is(image.height, page.height);
    assert.is(diffBitmaps(bitmaps[i]!, image).differing, 0, `page ${i + 1}: decoded image differs`);
  }
}
