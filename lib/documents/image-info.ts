/*
 * image-info.ts: read and check JPEG and PNG files before they are put into a PDF: pixel size,
 * resolution metadata, EXIF orientation, and whether the file is complete. pdfkit reads only the header,
 * so a truncated photo would otherwise be faxed as a grey smear.
 * Pure functions over a Buffer (checkPng inflates the pixel data as a stream, so memory stays small).
 * They throw ImageDamaged with a reason for the log; callers turn that into FaxError('bad-document').
 */
import { createInflate, crc32 } from 'node:zlib';

export class ImageDamaged extends Error {
  override name = 'ImageDamaged';
}

export interface ImageInfo {
  /** pixel size as stored */
  width: number;
  height: number;
  /** resolution metadata in dots per inch, when the file has any */
  dpi?: { x: number; y: number };
  /** EXIF orientation 1..8 of the first Exif block (JPEG), 1 when none; 5..8: shown turned by 90 degrees */
  orientation: number;
}

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Parse a JPEG: markers up to the scan, then the entropy-coded data up to the end marker. */
export function readJpegInfo(buf: Buffer): ImageInfo {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) throw new ImageDamaged('no JPEG start marker');
  let pos = 2;
  let info: ImageInfo | undefined;
  let dpi: { x: number; y: number } | undefined;
  let orientation = 1;
  let exifSeen = false;
  for (;;) {
    // Markers may be padded with extra 0xFF bytes.
    while (pos < buf.length && buf[pos] === 0xff && buf[pos + 1] === 0xff) pos++;
    if (pos + 4 > buf.length) throw new ImageDamaged('the file ends inside the JPEG header');
    if (buf[pos] !== 0xff) throw new ImageDamaged(`bad JPEG marker at byte ${pos}`);
    const marker = buf[pos + 1]!;
    if (marker === 0xd9) throw new ImageDamaged('the JPEG has no image data');
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    const len = buf.readUInt16BE(pos + 2);
    if (len < 2 || pos + 2 + len > buf.length) throw new ImageDamaged('the file ends inside a JPEG header segment');
    const seg = buf.subarray(pos + 4, pos + 2 + len);
    if (marker === 0xe0 && seg.length >= 12 && seg.toString('latin1', 0, 5) === 'JFIF\0') {
      const units = seg[7];
      const x = seg.readUInt16BE(8);
      const y = seg.readUInt16BE(10);
      if (units === 1 && x > 0 && y > 0) dpi = { x, y };
      else if (units === 2 && x > 0 && y > 0) dpi = { x: x * 2.54, y: y * 2.54 };
    } else if (marker === 0xe1 && seg.length > 14 && seg.toString('latin1', 0, 6) === 'Exif\0\0' && !exifSeen) {
      // Only the first Exif block counts (the EXIF standard has one, right after SOI; editors that append a
      // second one leave the first in force for viewers). image-pdf.ts draws with this value itself, so the
      // picture's shape and its turn always come from the same block.
      exifSeen = true;
      orientation = exifOrientation(seg.subarray(6)) ?? 1;
    } else if (SOF.has(marker)) {
      if (seg.length < 6) throw new ImageDamaged('short JPEG frame header');
      const height = seg.readUInt16BE(1);
      const width = seg.readUInt16BE(3);
      if (width === 0 || height === 0) throw new ImageDamaged('the JPEG has no size');
      info = { width, height, orientation: 1 };
    }
    pos += 2 + len;
    if (marker === 0xda) break;
  }
  if (!info) throw new ImageDamaged('the JPEG has no frame header');
  // Entropy-coded data: 0xFF is followed by 0x00 (stuffing) or a restart marker; anything else is a
  // marker. Progressive files have several scans, each with its own headers.
  for (;;) {
    const ff = buf.indexOf(0xff, pos);
    if (ff < 0 || ff + 1 >= buf.length) throw new ImageDamaged('the JPEG is cut off (no end marker)');
    const m = buf[ff + 1]!;
    if (m === 0x00 || m === 0xff || (m >= 0xd0 && m <= 0xd7)) {
      pos = ff + 1;
      continue;
    }
    if (m === 0xd9) break;
    if (ff + 4 > buf.length) throw new ImageDamaged('the JPEG is cut off');
    const len = buf.readUInt16BE(ff + 2);
    pos = ff + 2 + len;
    if (pos > buf.length) throw new ImageDamaged('the JPEG is cut off');
  }
  info.orientation = orientation;
  if (dpi) info.dpi = dpi;
  return info;
}

/** EXIF orientation tag from a TIFF-structured EXIF block, or undefined. */
function exifOrientation(tiff: Buffer): number | undefined {
  if (tiff.length < 8) return undefined;
  const le = tiff.toString('latin1', 0, 2) === 'II';
  if (!le && tiff.toString('latin1', 0, 2) !== 'MM') return undefined;
  const u16 = (o: number): number => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number): number => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const n = u16(ifd);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > tiff.length) return undefined;
    if (u16(e) === 0x0112) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : undefined;
    }
  }
  return undefined;
}

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

/** Bytes the inflated PNG data must have: one filter byte per row plus the packed pixels, per pass. */
function expectedPngBytes(h: PngHeader): number {
  const bpp = CHANNELS[h.colorType]! * h.bitDepth;
  const rowBytes = (w: number): number => (w === 0 ? 0 : 1 + Math.ceil((w * bpp) / 8));
  if (h.interlace === 0) return h.height * rowBytes(h.width);
  // Adam7 passes: start x, start y, step x, step y.
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ] as const;
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.max(0, Math.ceil((h.width - x0) / dx));
    const rows = Math.max(0, Math.ceil((h.height - y0) / dy));
    if (w > 0) total += rows * rowBytes(w);
  }
  return total;
}

/** Walk a PNG's chunks (checking every CRC) and return its header, resolution and compressed data. */
export function readPngInfo(buf: Buffer): ImageInfo & { header: PngHeader; idat: Buffer[] } {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIG)) throw new ImageDamaged('no PNG signature');
  let pos = 8;
  let header: PngHeader | undefined;
  let dpi: { x: number; y: number } | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (!ended) {
    if (pos + 12 > buf.length) throw new ImageDamaged('the PNG is cut off');
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (pos + 12 + len > buf.length) throw new ImageDamaged(`the PNG is cut off inside its ${type} chunk`);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (crc32(buf.subarray(pos + 4, pos + 8 + len)) !== buf.readUInt32BE(pos + 8 + len))
      throw new ImageDamaged(`the PNG's ${type} chunk is damaged (CRC)`);
    if (type === 'IHDR') {
      if (len < 13) throw new ImageDamaged('short PNG header');
      header = {
        width: data.readUInt32BE(0),
        height: data.readUInt32BE(4),
        bitDepth: data[8]!,
        colorType: data[9]!,
        interlace: data[12]!,
      };
      if (header.width === 0 || header.height === 0 || !(header.colorType in CHANNELS) || header.interlace > 1)
        throw new ImageDamaged('invalid PNG header');
    } else if (type === 'pHYs' && len >= 9 && data[8] === 1) {
      dpi = { x: data.readUInt32BE(0) * 0.0254, y: data.readUInt32BE(4) * 0.0254 };
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
    }
    pos += 12 + len;
  }
  if (!header) throw new ImageDamaged('the PNG has no header');
  if (idat.length === 0) throw new ImageDamaged('the PNG has no image data');
  const info: ImageInfo & { header: PngHeader; idat: Buffer[] } = {
    width: header.width,
    height: header.height,
    orientation: 1,
    header,
    idat,
  };
  if (dpi) info.dpi = dpi;
  return info;
}

/** Check a PNG completely: chunks, CRCs, and that the pixel data inflates to exactly the right size. */
export async function checkPng(buf: Buffer): Promise<ImageInfo> {
  const info = readPngInfo(buf);
  const expected = expectedPngBytes(info.header);
  const got = await new Promise<number>((resolve, reject) => {
    let n = 0;
    const inflate = createInflate();
    inflate.on('data', (c: Buffer) => (n += c.length));
    inflate.on('end', () => resolve(n));
    inflate.on('error', (err) => reject(new ImageDamaged(`the PNG's pixel data is damaged (${err.message})`)));
    for (const d of info.idat) inflate.write(d);
    inflate.end();
  });
  if (got < expected) throw new ImageDamaged(`the PNG's pixel data is incomplete (${got} of ${expected} bytes)`);
  const { header: _h, idat: _i, ...rest } = info;
  return rest;
}
