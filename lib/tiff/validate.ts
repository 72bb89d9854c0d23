/*
 * validate.ts: prove a fax TIFF is one spandsp will send whole, before it is queued. spandsp sends a
 * truncated file "successfully" as a 32-line page and refuses wrong widths/resolutions only at call time,
 * so we check every page here: 1728 wide, 1 bit, 1 sample, 204 dpi across, the chosen lines per inch, the
 * expected page count, and that every page decodes (libtiff's tiffinfo -D reads all image data).
 * Inputs: the file, what to expect, the tiffinfo binary. Fails with FaxError(code) — 'internal' by default,
 * because a bad file made by our own conversion is our bug — naming the first problem found.
 */
import { basename, dirname } from 'node:path';
import { runTool } from '../exec/run.js';
import type { Budget } from '../exec/budget.js';
import { readFile } from 'node:fs/promises';
import type { ErrorCode } from '../sysexits.js';
import { FaxError, isFaxError } from '../errors.js';
import { COMPRESSION, readTiff, type TiffPage } from './read.js';

export interface FaxExpectation {
  /** number of pages the file must have */
  pages: number;
  /** lines per inch: 98, 196 or 391 */
  ydpi: number;
  /** pixels per line (1728) */
  width?: number;
}

const RESOLUTION_UNIT_INCH = 2;
const BILEVEL_COMPRESSIONS = new Set<number>([COMPRESSION.none, COMPRESSION.ccittRle, COMPRESSION.g3, COMPRESSION.g4]);

/** Problems with one page's fields, as short phrases; empty when the page is fine. Pure. */
function checkFaxPage(page: TiffPage, expect: FaxExpectation): string[] {
  const width = expect.width ?? 1728;
  const problems: string[] = [];
  if (page.width !== width) problems.push(`width ${page.width} pixels, not ${width}`);
  if (page.bitsPerSample !== 1 || page.samplesPerPixel !== 1)
    problems.push(`${page.bitsPerSample} bits x ${page.samplesPerPixel} samples per pixel, not black and white`);
  if (!BILEVEL_COMPRESSIONS.has(page.compression))
    problems.push(`compression ${page.compression} is not a fax compression`);
  if (page.photometric !== 0 && page.photometric !== 1)
    problems.push(`photometric ${page.photometric} is not black and white`);
  if (page.resolutionUnit !== RESOLUTION_UNIT_INCH) problems.push(`resolution unit ${page.resolutionUnit}, not inches`);
  if (!(page.xResolution >= 203 && page.xResolution <= 205))
    problems.push(`horizontal resolution ${round(page.xResolution)} dpi, not 204`);
  // 1% either way: 196 is sometimes written as 195.58 (7.7 lines/mm).
  if (!(Math.abs(page.yResolution - expect.ydpi) <= expect.ydpi * 0.01))
    problems.push(`vertical resolution ${round(page.yResolution)} dpi, not ${expect.ydpi}`);
  if (page.height < 1 || page.height > 65535) problems.push(`height ${page.height} lines`);
  return problems;
}

/** Problems with a whole file's pages; empty when all is fine. Pure. */
export function checkFaxPages(pages: TiffPage[], expect: FaxExpectation): string[] {
  const problems: string[] = [];
  if (pages.length !== expect.pages) problems.push(`${pages.length} pages, expected ${expect.pages}`);
  pages.forEach((p, i) => {
    for (const why of checkFaxPage(p, expect)) problems.push(`page ${i + 1}: ${why}`);
  });
  return problems;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Problems with the structure of a fax TIFF that Ghostscript has just written and exited 0 for, found
 * without decoding it (issue 13: a second tool decoding every page cost more than the check is worth
 * when gs says all went well): the file parses (every IFD and every strip inside the file: read.ts), it
 * has `pages` pages, each page's strips cover its height with non-empty data, and each strip of a G4 page
 * ends with the end-of-facsimile-block code, which libtiff's encoder writes only after the last line: a
 * strip cut short, or never finished, lacks it. (libtiff ends a G3 strip with no such code, only the last
 * line and fill bits; G3 strips get the other checks.) Pure.
 */
export function structureProblems(buf: Uint8Array, pages: number): string[] {
  let parsed: TiffPage[];
  try {
    parsed = readTiff(buf);
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
  const problems: string[] = [];
  if (parsed.length !== pages) problems.push(`${parsed.length} pages, expected ${pages}`);
  parsed.forEach((p, i) => {
    const strips = p.stripOffsets.length;
    if (strips === 0 || strips !== p.stripByteCounts.length) problems.push(`page ${i + 1}: no image data`);
    else if (Math.min(p.rowsPerStrip, p.height) * strips < p.height)
      problems.push(`page ${i + 1}: strips cover fewer than ${p.height} lines`);
    p.stripOffsets.forEach((off, k) => {
      const n = p.stripByteCounts[k] ?? 0;
      if (n === 0) problems.push(`page ${i + 1}: strip ${k + 1} is empty`);
      else if (!endsWithEndCode(buf.subarray(off, off + n), p))
        problems.push(`page ${i + 1}: strip ${k + 1} does not end with the end-of-page code (cut short)`);
    });
  });
  return problems;
}

/** Two 12-bit EOLs (000000000001) in a row end a G4 strip (EOFB, T.6). */
const G4_END = /000000000001000000000001$/;

function endsWithEndCode(strip: Uint8Array, page: TiffPage): boolean {
  if (page.compression !== COMPRESSION.g4) return true;
  // The last 16 bytes as bits in the order written (FillOrder 2: least significant bit first), padding zeros cut.
  const tail = strip.subarray(Math.max(0, strip.length - 16));
  let bits = '';
  for (const byte of tail) {
    const b = byte.toString(2).padStart(8, '0');
    bits += page.fillOrder === 2 ? [...b].reverse().join('') : b;
  }
  return G4_END.test(bits.replace(/0+$/, ''));
}

/** Lines of tiffinfo's stderr that say nothing about the image data (harmless private tags). */
const HARMLESS = /unknown field with tag|ASCII value for tag .* does not end in null byte/i;

/**
 * Run `tiffinfo -D` (decodes every strip of every page) through the tool runner and return its
 * complaints; empty when the data decodes cleanly. Throws FaxError('temporary') if tiffinfo cannot be run
 * at all. `limits`: the run's Budget, or a timeout of its own (default 60 s).
 */
export async function decodeProblems(
  tiffinfo: string,
  file: string,
  limits: { budget?: Budget; timeoutMs?: number } = {},
): Promise<string[]> {
  const dir = dirname(file);
  const r = await runTool({
    tool: 'tiffinfo',
    program: tiffinfo,
    args: ['-D', basename(file)],
    cwd: dir,
    scratch: dir,
    stdout: 'ignore',
    ...(limits.budget ? { budget: limits.budget } : { timeoutMs: limits.timeoutMs ?? 60_000 }),
  });
  if (r.spawnError !== undefined) {
    throw new FaxError(
      'temporary',
      'The fax server could not check the converted fax (tiffinfo did not run); it will be tried again.',
      { detail: { tiffinfo, error: r.spawnError } },
    );
  }
  const complaints = r.stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !HARMLESS.test(l));
  if (r.killedBy !== undefined)
    complaints.unshift(`tiffinfo was stopped (${r.killedBy === 'timeout' ? 'took too long' : r.killedBy})`);
  else if (r.signal !== undefined) complaints.push(`tiffinfo ended with ${r.signal}`);
  else if (r.exitCode !== 0 && complaints.length === 0) complaints.push(`tiffinfo exited with status ${r.exitCode}`);
  return [...new Set(complaints)];
}

export interface ValidateOptions {
  tiffinfo: string;
  /** error code for a bad file (default 'internal': our own conversion made it) */
  code?: ErrorCode;
  /** sentence for the sender when the file is bad */
  sentence?: string;
}

/**
 * Check a fax TIFF completely; returns its pages. Throws FaxError(options.code) with the problems in
 * `detail.problems` when anything is wrong.
 */
export async function validateFaxTiff(
  file: string,
  expect: FaxExpectation,
  options: ValidateOptions,
): Promise<TiffPage[]> {
  const code = options.code ?? 'internal';
  const sentence =
    options.sentence ?? 'The converted fax failed its final check on the fax server; it will be tried again.';
  const fail = (problems: string[], cause?: unknown): FaxError =>
    new FaxError(code, sentence, { detail: { file, problems }, ...(cause ? { cause } : {}) });
  let pages: TiffPage[];
  try {
    pages = readTiff(await readFile(file));
  } catch (err) {
    if (isFaxError(err) && err.code === 'bad-document') throw fail([err.message], err);
    throw err;
  }
  const problems = checkFaxPages(pages, expect);
  if (problems.length > 0) throw fail(problems);
  const decode = await decodeProblems(options.tiffinfo, file);
  if (decode.length > 0) throw fail(decode.slice(0, 10));
  return pages;
}
