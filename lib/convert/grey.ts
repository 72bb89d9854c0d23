/*
 * grey.ts: does a rendered page have grey AREAS (a photo, shading, a tinted box) or only black and white
 * and thin coloured strokes (text, line art)? Decided per page from the page itself, rendered small in 8-bit
 * grey (ghostscript.ts buildAnalysisArgs, 34 dpi: one pixel is 0.75 mm), not from the file type.
 *   - a pixel is "mid-grey" when its black share lies in [MID_LOW, MID_HIGH]: paper tint and the grain of a
 *     scanned letter (lighter) and near-black (darker) do not count;
 *   - an AREA pixel is a mid-grey pixel whose 8 neighbours are mid-grey too (3 x 3 pixels, 2.2 mm): text in
 *     colour or grey, thin rules and hairlines are strokes, not areas;
 *   - a page gets the line screen when its area pixels cover at least MIN_AREA of it.
 * A page with no pixel other than black and white (anyTone false) renders the same under any screen.
 * Pure: Buffers in, numbers out.
 */

/** Black share (0 white .. 1 black) range that counts as grey. */
const MID_LOW = 0.15;
const MID_HIGH = 0.85;
/** Share of the page that grey areas must cover for the line screen (0.5 %: about 5 x 6 cm on A4). */
export const MIN_AREA = 0.005;

export interface PageGrey {
  /** share of the page covered by grey areas (eroded mid-grey) */
  area: number;
  /** any mid-grey pixel at all */
  anyGrey: boolean;
  /** any pixel that is neither black nor white (a light tint too): without one, the page renders the same
   * under any screen */
  anyTone: boolean;
}

/** Per-page grey statistics of a file of concatenated binary PGMs (Ghostscript's pgmraw, one image a page). */
export function analysePgms(buf: Buffer): PageGrey[] {
  const pages: PageGrey[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const head = readPgmHeader(buf, pos);
    if (!head) break;
    const { width, height, max, dataAt } = head;
    const end = dataAt + width * height;
    if (end > buf.length) break;
    pages.push(analysePixels(buf.subarray(dataAt, end), width, height, max));
    pos = end;
  }
  return pages;
}

interface PgmHeader {
  width: number;
  height: number;
  max: number;
  dataAt: number;
}

/** "P5", then width, height and maxval as decimal tokens separated by white space and # comments. */
function readPgmHeader(buf: Buffer, at: number): PgmHeader | undefined {
  if (buf[at] !== 0x50 || buf[at + 1] !== 0x35) return undefined;
  let p = at + 2;
  const nums: number[] = [];
  while (nums.length < 3) {
    while (p < buf.length) {
      const c = buf[p]!;
      if (c === 0x23) while (p < buf.length && buf[p] !== 0x0a) p++;
      else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    let n = 0;
    let digits = 0;
    while (p < buf.length && buf[p]! >= 0x30 && buf[p]! <= 0x39) {
      n = n * 10 + (buf[p]! - 0x30);
      p++;
      digits++;
    }
    if (digits === 0) return undefined;
    nums.push(n);
  }
  // Exactly one white-space byte separates maxval from the pixels.
  const [width, height, max] = nums as [number, number, number];
  if (width === 0 || height === 0 || max === 0 || max > 255) return undefined;
  return { width, height, max, dataAt: p + 1 };
}

function analysePixels(data: Buffer, width: number, height: number, max: number): PageGrey {
  // value v (0 black .. max white): black share 1 - v/max within [MID_LOW, MID_HIGH]
  const lo = Math.ceil((1 - MID_HIGH) * max);
  const hi = Math.floor((1 - MID_LOW) * max);
  // One cheap pass first: most pages (text) have no mid-grey pixel, and then no neighbourhood is looked at.
  const n = width * height;
  let anyGrey = false;
  let anyTone = false;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (v !== 0 && v !== max) {
      anyTone = true;
      if (v >= lo && v <= hi) {
        anyGrey = true;
        break;
      }
    }
  }
  const mid = new Uint8Array(anyGrey ? n : 0);
  if (anyGrey) for (let i = 0; i < n; i++) mid[i] = data[i]! >= lo && data[i]! <= hi ? 1 : 0;
  let area = 0;
  if (anyGrey) {
    for (let y = 1; y < height - 1; y++) {
      const row = y * width;
      for (let x = 1; x < width - 1; x++) {
        const i = row + x;
        if (
          mid[i] &&
          mid[i - 1] &&
          mid[i + 1] &&
          mid[i - width] &&
          mid[i + width] &&
          mid[i - width - 1] &&
          mid[i - width + 1] &&
          mid[i + width - 1] &&
          mid[i + width + 1]
        ) {
          area++;
        }
      }
    }
  }
  return { area: area / (width * height), anyGrey, anyTone };
}

/** Should this page get the line screen? */
export function wantsScreen(page: PageGrey): boolean {
  return page.area >= MIN_AREA;
}
