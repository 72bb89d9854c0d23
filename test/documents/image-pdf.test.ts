import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageToPdf, planImage } from '../../lib/documents/image-pdf.js';
import { checkPng, readJpegInfo, readPngInfo, ImageDamaged } from '../../lib/documents/image-info.js';
import { placeImage, PAPER_POINTS } from '../../lib/documents/page-geometry.js';
import { FaxError } from '../../lib/errors.js';
import {
  encodePng,
  makeGsPng,
  makeImage,
  makeJpeg,
  makePng,
  truncatedCopy,
  type ImageKind,
} from '../helpers/documents.js';
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
  const tiff = Buffer.from([
    0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
  ]);
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

/** An APP1 Exif segment whose one IFD entry is Orientation = `o`. */
function exifSegment(o: number): Buffer {
  const tiff = Buffer.from([
    0x4d,
    0x4d,
    0x00,
    0x2a,
    0,
    0,
    0,
    8,
    0,
    1,
    0x01,
    0x12,
    0,
    3,
    0,
    0,
    0,
    1,
    0,
    o,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xffe1, 0);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** A 400 x 200 grey JPEG: left half black, right half mid grey (so its outline and its turn both show). */
function halvesJpeg(): Buffer {
  const file = join(dir, 'halves.jpg');
  execFileSync(
    'gs',
    ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=jpeggray', '-r72', '-g400x200', `-sOutputFile=${file}`, '-'],
    {
      input: '0 setgray 0 0 200 200 rectfill 0.5 setgray 200 0 200 200 rectfill showpage\n',
    },
  );
  return readFileSync(file);
}

/** The picture's outline on a rendered page (non-white pixels) and how dark its top and bottom halves are. */
function drawnShape(pdf: string): {
  width: number;
  height: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
} {
  const img = renderGray(pdf, 1, 30);
  let x0 = img.width,
    x1 = -1,
    y0 = img.height,
    y1 = -1;
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      if (img.data[y * img.width + x]! < 240) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  const mean = (xa: number, xb: number, ya: number, yb: number): number => {
    let sum = 0,
      n = 0;
    for (let y = ya; y < yb; y++)
      for (let x = xa; x < xb; x++) {
        sum += img.data[y * img.width + x]!;
        n++;
      }
    return sum / n;
  };
  const mx = (x0 + x1) >> 1,
    my = (y0 + y1) >> 1;
  return {
    width: x1 - x0 + 1,
    height: y1 - y0 + 1,
    top: mean(x0, x1, y0, my),
    bottom: mean(x0, x1, my, y1),
    left: mean(x0, mx, y0, y1),
    right: mean(mx, x1, y0, y1),
  };
}

test('two EXIF blocks: the first one turns the picture and gives it its shape (not one block each)', async () => {
  const jpeg = halvesJpeg();
  // First block: orientation 6 (turned 90 degrees clockwise: shown 200 x 400); second block: 1.
  const twice = Buffer.concat([jpeg.subarray(0, 2), exifSegment(6), exifSegment(1), jpeg.subarray(2)]);
  assert.is(readJpegInfo(twice).orientation, 6);
  const src = join(dir, 'twice.jpg');
  writeFileSync(src, twice);
  const file = out();
  await imageToPdf(src, file, 'jpeg', 'twice.jpg', 'a4');
  const page = pdfPages(file)[0]!;
  assert.ok(page.height > page.width, 'a portrait page');
  const s = drawnShape(file);
  // Drawn 1:2 (portrait), not squeezed into the other block's 2:1 box.
  assert.ok(Math.abs(s.width / s.height - 0.5) < 0.04, `drawn ${s.width} x ${s.height}`);
  // Turned clockwise: the stored left (black) half is now on top.
  assert.ok(s.top < 40 && s.bottom > 90, `top ${s.top.toFixed(0)}, bottom ${s.bottom.toFixed(0)}`);
  // The other order of the blocks: orientation 1, drawn as stored (2:1, black on the left).
  const other = Buffer.concat([jpeg.subarray(0, 2), exifSegment(1), exifSegment(6), jpeg.subarray(2)]);
  const src2 = join(dir, 'other.jpg');
  writeFileSync(src2, other);
  const file2 = out();
  await imageToPdf(src2, file2, 'jpeg', 'other.jpg', 'a4');
  const t = drawnShape(file2);
  assert.ok(Math.abs(t.width / t.height - 2) < 0.15, `drawn ${t.width} x ${t.height}`);
  assert.ok(t.left < 40 && t.right > 90, `left ${t.left.toFixed(0)}, right ${t.right.toFixed(0)}`);
});

test(
  'every EXIF orientation: the drawn picture shows the stored left-black picture turned or mirrored as ' + 'EXIF says',
  async () => {
    const jpeg = halvesJpeg();
    // Where the black half ends up, as EXIF defines each orientation (stored: black on the left).
    const expected: Record<number, 'left' | 'right' | 'top' | 'bottom'> = {
      1: 'left',
      2: 'right',
      3: 'right',
      4: 'left',
      5: 'top',
      6: 'top',
      7: 'bottom',
      8: 'bottom',
    };
    for (let o = 1; o <= 8; o++) {
      const src = join(dir, `o${o}.jpg`);
      writeFileSync(src, Buffer.concat([jpeg.subarray(0, 2), exifSegment(o), jpeg.subarray(2)]));
      const file = out();
      await imageToPdf(src, file, 'jpeg', `o${o}.jpg`, 'a4');
      const s = drawnShape(file);
      const ratio = s.width / s.height;
      assert.ok(
        o > 4 ? Math.abs(ratio - 0.5) < 0.04 : Math.abs(ratio - 2) < 0.15,
        `orientation ${o}: drawn ${s.width} x ${s.height}`,
      );
      const dark = { left: s.left, right: s.right, top: s.top, bottom: s.bottom }[expected[o]!];
      assert.ok(dark < 40, `orientation ${o}: black half on the ${expected[o]} (${JSON.stringify(s)})`);
    }
  },
);

test('truncated or damaged JPEG/PNG: bad-document naming the attachment', async () => {
  await expectFaxError(
    imageToPdf(truncatedCopy(makeJpeg(), 0.6), out(), 'jpeg', 'photo.jpg', 'a4'),
    'bad-document',
    'The attachment "photo.jpg" is damaged and cannot be faxed.',
  );
  await expectFaxError(
    imageToPdf(truncatedCopy(makePng(), 0.6), out(), 'png', 'x.png', 'a4'),
    'bad-document',
    'The attachment "x.png" is damaged and cannot be faxed.',
  );
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
  await expectFaxError(
    planImage(png, 'png', 'huge.png', 'a4'),
    'too-large',
    '"huge.png" is too large (20000 x 20000 pixels)',
  );
});

test.run();
