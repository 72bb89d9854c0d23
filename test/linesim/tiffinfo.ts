/*
 * tiffinfo.ts: read the page tags of a TIFF with libtiff's tiffinfo, for assertions in tests.
 * Rejects when tiffinfo fails (not a TIFF, missing file).
 */
import { execa } from 'execa';

export interface TiffPage {
  width: number;
  length: number;
  /** "204x196" (dpi, rounded) */
  resolution: string;
  compression: string;
  /** "0-3": page index and total, as tiffinfo prints the PageNumber tag */
  pageNumber: string | undefined;
  description: string | undefined;
  fillOrder: string | undefined;
  bitsPerSample: number | undefined;
  /** true when the page is one strip (tiffinfo prints "Rows/Strip: (infinite)" or the page length) */
  oneStrip: boolean;
}

function field(block: string, name: string): string | undefined {
  const m = new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(block);
  return m?.[1]?.trim();
}

/** The pages of a TIFF file, in file order. */
export async function readTiffPages(path: string): Promise<TiffPage[]> {
  const { stdout } = await execa('tiffinfo', [path], { timeout: 30_000 });
  return stdout
    .split(/^=== TIFF directory \d+ ===$/m)
    .filter((b) => /Image Width/.test(b))
    .map((block) => {
      const size = /Image Width: (\d+) Image Length: (\d+)/.exec(block);
      const res = /Resolution: ([\d.]+), ([\d.]+)/.exec(block);
      const length = Number(size?.[2] ?? NaN);
      const rows = field(block, 'Rows/Strip');
      const bits = field(block, 'Bits/Sample');
      return {
        width: Number(size?.[1] ?? NaN),
        length,
        resolution: res ? `${Math.round(Number(res[1]))}x${Math.round(Number(res[2]))}` : '',
        compression: field(block, 'Compression Scheme') ?? '',
        pageNumber: field(block, 'Page Number'),
        description: field(block, 'ImageDescription'),
        fillOrder: field(block, 'FillOrder'),
        bitsPerSample: bits === undefined ? undefined : Number(bits),
        oneStrip: rows === '(infinite)' || Number(rows) >= length,
      };
    });
}
