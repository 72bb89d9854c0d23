/*
 * read.ts: a reader for classic TIFF (little and big endian, not BigTIFF). It walks the IFD chain and
 * returns, per page, the fields a fax needs (size, bit depth, compression, resolution, strips) plus every
 * raw entry, so callers can copy strips as-is (PDF embedding, merging) without decoding any image data.
 * Input: the whole file in memory. Fails with FaxError('bad-document') on anything malformed: bad header,
 * an IFD or a value outside the file, an IFD loop, strips missing or running past the end of the file.
 */
import { readFile } from 'node:fs/promises';
import { FaxError } from '../errors.js';

/** Tag numbers used in faxmail (TIFF 6.0 and TIFF Class F). */
export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  FillOrder: 266,
  ImageDescription: 270,
  StripOffsets: 273,
  Orientation: 274,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfig: 284,
  T4Options: 292,
  T6Options: 293,
  ResolutionUnit: 296,
  PageNumber: 297,
  Software: 305,
  DateTime: 306,
  TileOffsets: 324,
  TileByteCounts: 325,
  SubIFDs: 330,
} as const;

/** Compression values. */
export const COMPRESSION = { none: 1, ccittRle: 2, g3: 3, g4: 4, packBits: 32773 } as const;

/** Field types: byte size of one element. */
export const TYPE_SIZE: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
};

export interface TiffEntry {
  tag: number;
  /** field type (1 BYTE, 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL, 7 UNDEFINED, ...) */
  type: number;
  /** number of elements (a RATIONAL is one element) */
  count: number;
  /** byte offset of the value in the file (for a value stored inline: the entry's own value field) */
  valueOffset: number;
  /** decoded values; RATIONAL/SRATIONAL give numerator, denominator pairs; ASCII/BYTE/UNDEFINED give bytes */
  values: number[];
}

export interface TiffPage {
  width: number;
  height: number;
  bitsPerSample: number;
  samplesPerPixel: number;
  compression: number;
  photometric: number;
  fillOrder: number;
  xResolution: number;
  yResolution: number;
  resolutionUnit: number;
  t4Options: number;
  t6Options: number;
  rowsPerStrip: number;
  stripOffsets: number[];
  stripByteCounts: number[];
  pageNumber?: [number, number];
  imageDescription?: string;
  software?: string;
  dateTime?: string;
  /** byte offset of this page's IFD */
  ifdOffset: number;
  /** 'II' (little endian) or 'MM' (big endian), the byte order of the file */
  byteOrder: 'II' | 'MM';
  entries: Map<number, TiffEntry>;
}

/** Hard bound on pages so a hostile chain cannot make us loop or allocate without end. */
const MAX_PAGES = 100_000;

function malformed(why: string): FaxError {
  return new FaxError('bad-document', `The TIFF file is damaged (${why}).`, { detail: { why } });
}

class Cursor {
  readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    readonly le: boolean,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.buf.length) throw malformed(`${what} lies outside the file`);
  }
  u16(o: number): number {
    return this.view.getUint16(o, this.le);
  }
  u32(o: number): number {
    return this.view.getUint32(o, this.le);
  }
}

function readValues(c: Cursor, type: number, count: number, at: number): number[] {
  const out: number[] = [];
  const v = c.view;
  const le = c.le;
  for (let i = 0; i < count; i++) {
    switch (type) {
      case 1:
      case 2:
      case 7:
        out.push(v.getUint8(at + i));
        break;
      case 6:
        out.push(v.getInt8(at + i));
        break;
      case 3:
        out.push(v.getUint16(at + 2 * i, le));
        break;
      case 8:
        out.push(v.getInt16(at + 2 * i, le));
        break;
      case 4:
      case 13:
        out.push(v.getUint32(at + 4 * i, le));
        break;
      case 9:
        out.push(v.getInt32(at + 4 * i, le));
        break;
      case 5:
        out.push(v.getUint32(at + 8 * i, le), v.getUint32(at + 8 * i + 4, le));
        break;
      case 10:
        out.push(v.getInt32(at + 8 * i, le), v.getInt32(at + 8 * i + 4, le));
        break;
      case 11:
        out.push(v.getFloat32(at + 4 * i, le));
        break;
      case 12:
        out.push(v.getFloat64(at + 8 * i, le));
        break;
    }
  }
  return out;
}

/** Read one IFD's entries. Unknown field types are skipped (TIFF 6.0 says readers must ignore them). */
function readEntries(c: Cursor, ifd: number): { entries: Map<number, TiffEntry>; next: number } {
  c.need(ifd, 2, 'an image directory');
  const n = c.u16(ifd);
  c.need(ifd + 2, n * 12 + 4, 'an image directory');
  const entries = new Map<number, TiffEntry>();
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    const tag = c.u16(e);
    const type = c.u16(e + 2);
    const count = c.u32(e + 4);
    const size = TYPE_SIZE[type];
    if (size === undefined) continue;
    const bytes = size * count;
    const valueOffset = bytes <= 4 ? e + 8 : c.u32(e + 8);
    // A huge count on a tag we never look at must not cost memory: bound by the file size.
    c.need(valueOffset, bytes, `the value of tag ${tag}`);
    entries.set(tag, { tag, type, count, valueOffset, values: readValues(c, type, count, valueOffset) });
  }
  return { entries, next: c.u32(ifd + 2 + n * 12) };
}

function num(entries: Map<number, TiffEntry>, tag: number, fallback: number): number {
  const v = entries.get(tag)?.values[0];
  return v === undefined ? fallback : v;
}

function rational(entries: Map<number, TiffEntry>, tag: number): number {
  const e = entries.get(tag);
  if (!e) return 0;
  if (e.type === 5 || e.type === 10) {
    const [n, d] = e.values;
    return n !== undefined && d ? n / d : 0;
  }
  return e.values[0] ?? 0;
}

function text(entries: Map<number, TiffEntry>, tag: number): string | undefined {
  const e = entries.get(tag);
  if (e?.type !== 2) return undefined;
  const end = e.values.indexOf(0);
  return Buffer.from(end < 0 ? e.values : e.values.slice(0, end)).toString('latin1');
}

function toPage(c: Cursor, ifdOffset: number, entries: Map<number, TiffEntry>, index: number): TiffPage {
  const width = num(entries, TAG.ImageWidth, 0);
  const height = num(entries, TAG.ImageLength, 0);
  if (!width || !height) throw malformed(`page ${index + 1} has no image size`);
  const stripOffsets = entries.get(TAG.StripOffsets)?.values ?? [];
  const stripByteCounts = entries.get(TAG.StripByteCounts)?.values ?? [];
  if (stripOffsets.length === 0 || stripOffsets.length !== stripByteCounts.length) {
    throw malformed(`page ${index + 1} has no usable image strips`);
  }
  for (let i = 0; i < stripOffsets.length; i++) {
    c.need(stripOffsets[i]!, stripByteCounts[i]!, `image data of page ${index + 1}`);
  }
  const pn = entries.get(TAG.PageNumber)?.values;
  const page: TiffPage = {
    width,
    height,
    bitsPerSample: num(entries, TAG.BitsPerSample, 1),
    samplesPerPixel: num(entries, TAG.SamplesPerPixel, 1),
    compression: num(entries, TAG.Compression, 1),
    photometric: num(entries, TAG.Photometric, 0),
    fillOrder: num(entries, TAG.FillOrder, 1),
    xResolution: rational(entries, TAG.XResolution),
    yResolution: rational(entries, TAG.YResolution),
    resolutionUnit: num(entries, TAG.ResolutionUnit, 2),
    t4Options: num(entries, TAG.T4Options, 0),
    t6Options: num(entries, TAG.T6Options, 0),
    rowsPerStrip: Math.min(num(entries, TAG.RowsPerStrip, height), height),
    stripOffsets,
    stripByteCounts,
    ifdOffset,
    byteOrder: c.le ? 'II' : 'MM',
    entries,
  };
  if (pn && pn.length >= 2) page.pageNumber = [pn[0]!, pn[1]!];
  const desc = text(entries, TAG.ImageDescription);
  if (desc !== undefined) page.imageDescription = desc;
  const sw = text(entries, TAG.Software);
  if (sw !== undefined) page.software = sw;
  const dt = text(entries, TAG.DateTime);
  if (dt !== undefined) page.dateTime = dt;
  return page;
}

/** Parse a classic TIFF held in memory into its pages, in file order. */
export function readTiff(buf: Uint8Array): TiffPage[] {
  if (buf.length < 8) throw malformed('too short to be a TIFF file');
  const b0 = buf[0];
  const b1 = buf[1];
  let le: boolean;
  if (b0 === 0x49 && b1 === 0x49) le = true;
  else if (b0 === 0x4d && b1 === 0x4d) le = false;
  else throw malformed('not a TIFF file');
  const c = new Cursor(buf, le);
  const magic = c.u16(2);
  if (magic === 43) throw malformed('BigTIFF is not supported');
  if (magic !== 42) throw malformed('not a TIFF file');
  const pages: TiffPage[] = [];
  const seen = new Set<number>();
  let ifd = c.u32(4);
  if (ifd === 0) throw malformed('the file has no pages');
  while (ifd !== 0) {
    if (seen.has(ifd)) throw malformed('the page chain loops');
    if (pages.length >= MAX_PAGES) throw malformed('too many pages');
    seen.add(ifd);
    const { entries, next } = readEntries(c, ifd);
    pages.push(toPage(c, ifd, entries, pages.length));
    ifd = next;
  }
  return pages;
}

/** Read and parse a TIFF file. I/O errors are passed through unchanged (the caller knows the context). */
export async function readTiffFile(path: string): Promise<TiffPage[]> {
  return readTiff(await readFile(path));
}

/** The compressed bytes of one strip (a view into buf, no copy). */
export function stripBytes(buf: Uint8Array, page: TiffPage, strip: number): Uint8Array {
  const off = page.stripOffsets[strip];
  const len = page.stripByteCounts[strip];
  if (off === undefined || len === undefined) throw new RangeError(`no strip ${strip}`);
  return buf.subarray(off, off + len);
}
