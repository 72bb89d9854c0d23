/*
 * raster.ts: look at the pixels of a fax TIFF in tests. libtiff's tiffcp decompresses it (-c none), and our
 * own reader finds the raw strips; a Bitmap answers "is (x, y) black" and measures black areas.
 */
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTiff } from '../../lib/tiff/read.js';

export interface Bitmap {
  width: number;
  height: number;
  xdpi: number;
  ydpi: number;
  black(x: number, y: number): boolean;
}

export interface Box {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
  /** black pixels inside the box */
  count: number;
}

/** Decode every page of a bilevel TIFF (any compression) via `tiffcp -c none`. */
export async function decodePages(tiff: string, scratch: string): Promise<Bitmap[]> {
  const raw = join(scratch, `raw-${Date.now()}-${Math.random().toString(16).slice(2)}.tif`);
  await execa('/usr/bin/tiffcp', ['-c', 'none', tiff, raw]);
  const buf = readFileSync(raw);
  return readTiff(buf).map((p) => {
    if (p.compression !== 1 || p.bitsPerSample !== 1) throw new Error('tiffcp did not give raw bilevel data');
    const rowBytes = Math.ceil(p.width / 8);
    const data = Buffer.concat(p.stripOffsets.map((o, i) => buf.subarray(o, o + p.stripByteCounts[i]!)));
    const lsbFirst = p.fillOrder === 2;
    const blackIsOne = p.photometric === 0; // min-is-white: a set bit is black
    return {
      width: p.width,
      height: p.height,
      xdpi: p.xResolution,
      ydpi: p.yResolution,
      black(x: number, y: number): boolean {
        const byte = data[y * rowBytes + (x >> 3)] ?? 0;
        const bit = lsbFirst ? (byte >> (x & 7)) & 1 : (byte >> (7 - (x & 7))) & 1;
        return (bit === 1) === blackIsOne;
      },
    };
  });
}

/** Bounding box of black pixels inside a region (default: the whole page); undefined if none. */
export function blackBox(b: Bitmap, region?: { x0: number; y0: number; x1: number; y1: number }): Box | undefined {
  const r = region ?? { x0: 0, y0: 0, x1: b.width, y1: b.height };
  let box: Box | undefined;
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++) {
      if (!b.black(x, y)) continue;
      if (!box) box = { minX: x, maxX: x, minY: y, maxY: y, count: 0 };
      box.minX = Math.min(box.minX, x);
      box.maxX = Math.max(box.maxX, x);
      box.minY = Math.min(box.minY, y);
      box.maxY = Math.max(box.maxY, y);
      box.count++;
    }
  }
  return box;
}

/** Share of black pixels in a region, 0..1. */
export function blackShare(b: Bitmap, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (b.black(x, y)) n++;
  return n / ((x1 - x0) * (y1 - y0));
}

/** How many rows of a region are not all the same colour (a threshold gives flat rows, a halftone does not). */
export function mixedRows(b: Bitmap, x0: number, y0: number, x1: number, y1: number): number {
  let mixed = 0;
  for (let y = y0; y < y1; y++) {
    const first = b.black(x0, y);
    for (let x = x0 + 1; x < x1; x++) {
      if (b.black(x, y) !== first) {
        mixed++;
        break;
      }
    }
  }
  return mixed;
}
