/*
 * merge.ts: join multi-page TIFFs into one without decoding or re-encoding any image: the compressed strip
 * bytes are copied as they are and only the directories are rewritten (new offsets, one IFD chain,
 * PageNumber n/total). The output is little-endian classic TIFF whatever the inputs were.
 * Inputs: TIFF files (or buffers) whose pages are striped (fax TIFFs always are). Fails with
 * FaxError('bad-document') on a malformed or tiled input, FaxError('too-large') past 4 GiB, and passes I/O
 * errors through.
 */
import { open, readFile } from 'node:fs/promises';
import { FaxError } from '../errors.js';
import { readTiff, TAG, TYPE_SIZE, type TiffEntry, type TiffPage } from './read.js';

/** Tags whose values point elsewhere in the file and that we do not relocate: dropped from the output. */
const DROPPED_TAGS = new Set([
  288, // FreeOffsets
  289, // FreeByteCounts
  TAG.SubIFDs,
  513, // JPEGInterchangeFormat
  514, // JPEGInterchangeFormatLength
  34665, // ExifIFD
  34853, // GPSIFD
  40965, // InteroperabilityIFD
]);

const MAX_FILE = 0xffff_ffff;

/** One output page laid out at a known file offset: directory + values, then the strips. */
interface PageLayout {
  /** the IFD and its out-of-line values, with StripOffsets and the next-IFD pointer filled in */
  head: Uint8Array;
  strips: Uint8Array[];
  /** total bytes (head + strips + padding to an even offset) */
  length: number;
}

function writeValue(view: DataView, at: number, type: number, values: number[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    switch (type) {
      case 1:
      case 2:
      case 7:
        view.setUint8(at + i, v);
        break;
      case 6:
        view.setInt8(at + i, v);
        break;
      case 3:
        view.setUint16(at + 2 * i, v, true);
        break;
      case 8:
        view.setInt16(at + 2 * i, v, true);
        break;
      case 4:
      case 13:
      case 5: // rational: values are numerator/denominator pairs, 4 bytes each
        view.setUint32(at + 4 * i, v, true);
        break;
      case 9:
      case 10:
        view.setInt32(at + 4 * i, v, true);
        break;
      case 11:
        view.setFloat32(at + 4 * i, v, true);
        break;
      case 12:
        view.setFloat64(at + 8 * i, v, true);
        break;
    }
  }
}

/** Entries of the output page: the input's entries, with strips, page number and dropped tags handled. */
function outputEntries(page: TiffPage, pageIndex: number, total: number, stripOffsets: number[]): TiffEntry[] {
  const out: TiffEntry[] = [];
  for (const e of page.entries.values()) {
    if (DROPPED_TAGS.has(e.tag) || e.type === 13) continue;
    if (e.tag === TAG.StripOffsets) {
      out.push({ tag: e.tag, type: 4, count: stripOffsets.length, valueOffset: 0, values: stripOffsets });
    } else if (e.tag === TAG.StripByteCounts) {
      out.push({
        tag: e.tag,
        type: 4,
        count: page.stripByteCounts.length,
        valueOffset: 0,
        values: page.stripByteCounts,
      });
    } else if (e.tag !== TAG.PageNumber) {
      // PageNumber is written below, with this page's place in the merged file.
      out.push(e);
    }
  }
  out.push({ tag: TAG.PageNumber, type: 3, count: 2, valueOffset: 0, values: [pageIndex, total] });
  return out.sort((a, b) => a.tag - b.tag);
}

/**
 * Lay out one page starting at file offset `at`: IFD, then out-of-line values, then strips. `last` pages get
 * a next-IFD pointer of 0, others point just past their own strips (where the next page's IFD goes).
 */
function layoutPage(
  buf: Uint8Array,
  page: TiffPage,
  pageIndex: number,
  total: number,
  at: number,
  last: boolean,
): PageLayout {
  if (page.entries.has(TAG.TileOffsets))
    throw new FaxError('bad-document', 'The TIFF file uses tiles, which a fax cannot carry.');
  const stripCount = page.stripOffsets.length;
  // First pass with placeholder offsets to learn the sizes.
  const probe = outputEntries(page, pageIndex, total, new Array<number>(stripCount).fill(0));
  const ifdSize = 2 + probe.length * 12 + 4;
  let valuesSize = 0;
  for (const e of probe) {
    const bytes = TYPE_SIZE[e.type]! * e.count;
    if (bytes > 4) valuesSize += bytes + (bytes & 1);
  }
  const headSize = ifdSize + valuesSize;
  const stripsSize = page.stripByteCounts.reduce((a, b) => a + b, 0);
  const stripOffsets: number[] = [];
  let p = at + headSize;
  for (const n of page.stripByteCounts) {
    stripOffsets.push(p);
    p += n;
  }
  const length = headSize + stripsSize + (stripsSize & 1);
  if (at + length > MAX_FILE) throw new FaxError('too-large', 'The fax is too large (more than 4 GB).');
  const entries = outputEntries(page, pageIndex, total, stripOffsets);

  const head = new Uint8Array(headSize);
  const view = new DataView(head.buffer);
  view.setUint16(0, entries.length, true);
  let valueAt = ifdSize;
  entries.forEach((e, i) => {
    const slot = 2 + i * 12;
    view.setUint16(slot, e.tag, true);
    view.setUint16(slot + 2, e.type, true);
    view.setUint32(slot + 4, e.count, true);
    const bytes = TYPE_SIZE[e.type]! * e.count;
    if (bytes <= 4) {
      writeValue(view, slot + 8, e.type, e.values);
    } else {
      view.setUint32(slot + 8, at + valueAt, true);
      writeValue(view, valueAt, e.type, e.values);
      valueAt += bytes + (bytes & 1);
    }
  });
  view.setUint32(2 + entries.length * 12, last ? 0 : at + length, true);

  const strips: Uint8Array[] = [];
  for (let s = 0; s < stripCount; s++) {
    const off = page.stripOffsets[s]!;
    strips.push(buf.subarray(off, off + page.stripByteCounts[s]!));
  }
  if (stripsSize & 1) strips.push(new Uint8Array(1));
  return { head, strips, length };
}

function header(firstIfd: number): Uint8Array {
  const h = new Uint8Array(8);
  const v = new DataView(h.buffer);
  h[0] = 0x49;
  h[1] = 0x49;
  v.setUint16(2, 42, true);
  v.setUint32(4, firstIfd, true);
  return h;
}

/** Merge TIFFs held in memory; returns the new file. Pure. */
export function mergeTiffs(inputs: Uint8Array[]): Uint8Array {
  const parsed = inputs.map((buf) => ({ buf, pages: readTiff(buf) }));
  const total = parsed.reduce((a, p) => a + p.pages.length, 0);
  const chunks: Uint8Array[] = [header(8)];
  let at = 8;
  let index = 0;
  for (const { buf, pages } of parsed) {
    for (const page of pages) {
      const l = layoutPage(buf, page, index, total, at, index === total - 1);
      chunks.push(l.head, ...l.strips);
      at += l.length;
      index++;
    }
  }
  const out = new Uint8Array(at);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

async function countPages(paths: string[]): Promise<number> {
  let total = 0;
  for (const p of paths) total += readTiff(await readFile(p)).length;
  return total;
}

/**
 * Merge TIFF files into `output` (created or truncated; the caller makes it atomic and durable: the fax is
 * always written into a job's staging directory, which commitStagingDir fsyncs whole). Holds one input in
 * memory at a time. `totalPages`, when the caller knows it, saves a first pass over the inputs (the total
 * goes into every page's PageNumber); a wrong value fails with FaxError('internal').
 */
export async function mergeTiffFiles(
  inputs: string[],
  output: string,
  totalPages?: number,
): Promise<{ pages: number; bytes: number }> {
  if (inputs.length === 0) throw new RangeError('nothing to merge');
  const total = totalPages ?? (await countPages(inputs));
  const fh = await open(output, 'w', 0o644);
  try {
    await fh.write(header(8), 0, 8, 0);
    let at = 8;
    let index = 0;
    for (const path of inputs) {
      const buf = await readFile(path);
      for (const page of readTiff(buf)) {
        const l = layoutPage(buf, page, index, total, at, index === total - 1);
        await fh.writev([l.head, ...l.strips], at);
        at += l.length;
        index++;
      }
    }
    if (index !== total)
      throw new FaxError(
        'internal',
        'The fax pages could not be put together on the fax server; it will be tried again.',
        { detail: { expected: total, got: index } },
      );
    return { pages: total, bytes: at };
  } finally {
    await fh.close();
  }
}
