import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageToPdf, planImage } from '../../lib/documents/image-pdf.js';
import { checkPng, readJpegInfo, readPngInfo, ImageDamaged } from '../../lib/documents/image-info.js';
import { placeImage, PAPER_POINTS } from '../../lib/documents/page-geometry.js';
import { FaxError } from '../../lib/errors.js';
import { encodePng, makeGsPng, makeImage, makeJpeg, makePng, truncatedCopy, type ImageKind } from '../helpers/documents.js';
import { darkFraction, pdfPages, renderGray } from './pdf-check.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-img-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const out = (): string => join(dir, `${++n}.pdf`);

async function expectFaxError(p: Promise<unknown>, code: string, text: string): Promise<void> {
  try {
    await p;
    assert.unreachable('expected a FaxError');
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, code);
    assert.match((err as FaxError).message, text);
  }
}

const kinds: ImageKind[] = ['jpeg', 'png', 'png-alpha', 'png-gray', 'png-palette', 'png-interlaced', 'png-16bit'];
for (const kind of kinds) {
  test(`${kind} becomes a one-page PDF with the picture on it`, async () => {
    const file = out();
    await imageToPdf(makeImage(kind), file, kind === 'jpeg' ? 'jpeg' : 'png', `x.${kind}`, 'a4');
    const pages = pdfPages(file);
    assert.is(pages.length, 1);
    const img = renderGray(file, 1, 30);
    const dark = darkFraction(img);
    // The pattern has a frame and bars: some ink, mostly white (transparent areas print white).
    assert.ok(dark > 0.01 && dark < 0.5, `dark fraction ${dark}`);
  });
}

for (const device of ['png16m', 'pngalpha', 'pnggray', 'png256', 'pngmono'] as const) {
  test(`Ghostscript ${device} PNG converts`, async () => {
    const file = out();
    await imageToPdf(makeGsPng(device), file, 'png', 'gs.png', 'letter');
    assert.ok(darkFraction(renderGray(file, 1, 30)) > 0.005);
  });
}

test('page geometry: no resolution fills the page, landscape stays landscape, real resolution keeps size', () => {
  const a4 = PAPER_POINTS.a4;
  const fill = placeImage(1000, 1000, undefined, 'a4');
  assert.is(Math.round(fill.width), Math.round(a4.width));
  assert.is(Math.round(fill.y * 2 + fill.height), Math.round(a4.height));
  const land = placeImage(2000, 1000, undefined, 'a4');
  assert.is(land.pageWidth, a4.height);
  assert.is(Math.round(land.width), Math.round(a4.height));
  // 300 x 150 px at 150 dpi: 2 x 1 inch, printed at that size, centred.
  const small = placeImage(300, 300, { x: 150, y: 150 }, 'letter');
  assert.is(Math.round(small.width), 144);
  assert.is(Math.round(small.x), Math.round((612 - 144) / 2));
  // A fax-resolution scan (204 x 98 dpi) keeps its aspect from the resolution.
  const fax = placeImage(1728, 1100, { x: 204, y: 98 }, 'a4');
  assert.ok(fax.height > fax.width, 'tall page from a wide pixel grid');
  // 72 dpi screenshots bigger than the page are fitted to it.
  const big = placeImage(2000, 3000, { x: 72, y: 72 }, 'a4');
  assert.ok(big.width <= a4.width + 0.01 && big.height <= a4.height + 0.01);
  // Absurd resolution metadata is ignored.
  assert.equal(placeImage(100, 100, { x: 1, y: 1 }, 'a4'), placeImage(100, 100, undefined, 'a4'));
});

test('JPEG and PNG resolution metadata is read', () => {
  assert.equal(readJpegInfo(readFileSync(makeJpeg({ dpi: 150, width: 300, height: 150 }))).dpi, { x: 150, y: 150 });
  const png = readPngInfo(encodePng({ width: 10, height: 10, dpi: 300 }));
  assert.ok(Math.abs(png.dpi!.x - 300) < 0.1);
  assert.is(readPngInfo(encodePng({ width: 10, height: 10 })).dpi, undefined);
});

test('a small picture with a resolution is printed at its size, not blown up', async () => {
  const file = out();
  await imageToPdf(makeJpeg({ dpi: 150, width: 300, height: 150 }), file, 'jpeg', 'small.jpg', 'a4');
  const img = renderGray(file, 1, 72);
  const f = darkFraction(img);
  assert.ok(f < 0.05, `small picture covers ${f} of the page`);
});

test('EXIF orientation 6 (phone held upright) turns the page', async () => {
  const jpeg = readFileSync(makeJpeg({ width: 400, height: 300 }));
  // APP1 Exif with one IFD entry: Orientation (0x0112) = 6.
  const tiff = Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const seg = Buffer.alloc(4);
  seg.writeUInt16BE(0xffe1, 0);
  seg.writeUInt16BE(payload.length + 2, 2);
  const rotated = Buffer.concat([jpeg.subarray(0, 2), seg, payload, jpeg.subarray(2)]);
  assert.is(readJpegInfo(rotated).orientation, 6);
  const src = join(dir, 'rotated.jpg');
  writeFileSync(src, rotated);
  const plan = await planImage(rotated, 'jpeg', 'r.jpg', 'a4');
  assert.ok(plan.placement.pageHeight > plan.placement.pageWidth, 'portrait page for a turned landscape photo');
  const file = out();
  await imageToPdf(src, file, 'jpeg', 'r.jpg', 'a4');
  const p = pdfPages(file)[0]!;
  assert.ok(p.height > p.width);
});

test('truncated or damaged JPEG/PNG: bad-document naming the attachment', async () => {
  await expectFaxError(imageToPdf(truncatedCopy(makeJpeg(), 0.6), out(), 'jpeg', 'photo.jpg', 'a4'), 'bad-document', 'The attachment "photo.jpg" is damaged and cannot be faxed.');
  await expectFaxError(imageToPdf(truncatedCopy(makePng(), 0.6), out(), 'png', 'x.png', 'a4'), 'bad-document', 'The attachment "x.png" is damaged and cannot be faxed.');
  const flipped = Buffer.from(readFileSync(makePng()));
  flipped[flipped.length - 30] = flipped[flipped.length - 30]! ^ 0xff;
  const f = join(dir, 'flipped.png');
  writeFileSync(f, flipped);
  await expectFaxError(imageToPdf(f, out(), 'png', 'flipped.png', 'a4'), 'bad-document', '"flipped.png" is damaged');
});

test('checkPng finds incomplete pixel data even when the chunks are intact', async () => {
  const good = encodePng({ width: 50, height: 50 });
  await checkPng(good);
  // Re-encode with half the rows: valid chunks and CRCs, too little data.
  const { deflateSync, crc32 } = await import('node:zlib');
  const rows = Buffer.alloc(25 * (1 + 150));
  const idat = deflateSync(rows);
  const head = good.subarray(0, 33);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(idat.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from('IDAT'), idat])));
  const iend = good.subarray(good.length - 12);
  const short = Buffer.concat([head, len, Buffer.from('IDAT'), idat, crc, iend]);
  try {
    await checkPng(short);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, ImageDamaged);
    assert.match((err as Error).message, 'incomplete');
  }
});

test('a picture with too many pixels is too-large', async () => {
  const png = encodePng({ width: 10, height: 10 });
  png.writeUInt32BE(20000, 16);
  png.writeUInt32BE(20000, 20);
  const { crc32 } = await import('node:zlib');
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  await expectFaxError(planImage(png, 'png', 'huge.png', 'a4'), 'too-large', '"huge.png" is too large (20000 x 20000 pixels)');
});

test.run();
