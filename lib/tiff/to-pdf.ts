/*
 * to-pdf.ts: a received fax TIFF becomes a PDF without losing a pixel.
 *
 * Two engines:
 *   embed     (this file) copies each page's CCITT data into the PDF as it is: one image XObject per page
 *             with /Filter /CCITTFaxDecode and DecodeParms taken from the TIFF tags. Nothing is decoded or
 *             re-encoded; FillOrder 2 (LSB first, what spandsp writes) is turned into PDF's MSB-first order
 *             by reversing the bits of each byte, which is a change of bit order, not of coding.
 *   tiff2pdf  libtiff's tool (config.paths.tiff2pdf). It decodes G3 pages and codes them again as G4 (also
 *             lossless, 0.25-0.6x the size, but slower) and handles every TIFF libtiff reads.
 * The page size comes from the resolution (points = pixels / dpi * 72), so a 204x98 page is not squashed.
 *
 * Which pages `embed` takes: 1 bit, 1 sample, Compression 3 (G3, 1-D or 2-D, any number of strips) or
 * Compression 4 (G4) with ONE strip. G3 strips may be concatenated: in TIFF every strip decodes on its own,
 * so a G3 strip starts with an EOL and a 1-D coded line, and the decoder resynchronises on each EOL.
 * G4 strips may not: the first line of strip 2 is coded against a white reference line, but a decoder
 * reading the joined data would use the last line of strip 1. Such files (and uncompressed or other
 * compressions, or the uncompressed-mode option) go to tiff2pdf instead.
 *
 * Inputs: the TIFF path, the PDF path, options. The PDF is written atomically. Fails with
 * FaxError('bad-document') when neither engine can convert the file.
 */
import { readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runTool } from '../exec/run.js';
import { FaxError, oneLine } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic.js';
import { readTiff, stripBytes, COMPRESSION, type TiffPage } from './read.js';

export type PdfEngine = 'embed' | 'tiff2pdf';

export interface TiffToPdfOptions {
  /** 'auto' (default): the default engine, then the other one if it cannot do this file */
  engine?: PdfEngine | 'auto';
  /** tiff2pdf binary (config.paths.tiff2pdf) */
  tiff2pdf?: string;
  /** PDF /Title (embed engine only); control characters are removed */
  title?: string;
  /** time limit for tiff2pdf */
  timeoutMs?: number;
}

export interface TiffToPdfResult {
  pages: number;
  engine: PdfEngine;
  /** size of the PDF written */
  bytes: number;
  /** page sizes in points, as written (embed engine); tiff2pdf reports none */
  pageSizes?: { width: number; height: number }[];
}

/**
 * The default engine. Measured on a 36-page fine fax received through the spandsp line simulator
 * (test/tiff/to-pdf.test.ts prints the numbers): embed about 10 ms, tiff2pdf about 75 ms (it
 * decodes every G3 page and codes it again as G4); the PDF is 1.01x the TIFF with embed, 0.56x with
 * tiff2pdf. Both render pixel for pixel like the TIFF. embed is faster, runs no process and keeps the
 * received data byte for byte, so it is the default; tiff2pdf takes the files embed cannot (G4 in several
 * strips, uncompressed, ...).
 */
export const DEFAULT_ENGINE: PdfEngine = 'embed';

/** Convert a fax TIFF to a PDF. */
export async function tiffToPdf(
  tiffPath: string,
  pdfPath: string,
  opts: TiffToPdfOptions = {},
): Promise<TiffToPdfResult> {
  const choice = opts.engine ?? 'auto';
  const order: PdfEngine[] =
    choice === 'auto' ? (DEFAULT_ENGINE === 'embed' ? ['embed', 'tiff2pdf'] : ['tiff2pdf', 'embed']) : [choice];
  const problems: string[] = [];
  for (const engine of order) {
    try {
      return engine === 'embed'
        ? await embedTiffInPdf(tiffPath, pdfPath, opts)
        : await runTiff2pdf(tiffPath, pdfPath, opts);
    } catch (err) {
      problems.push(`${engine}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new FaxError('bad-document', 'The received fax image could not be converted to PDF.', {
    detail: { tiff: tiffPath, problems },
  });
}

// ---------------------------------------------------------------------------------------------------
// embed engine

/** Why `embed` cannot take this page, or undefined if it can. Pure. */
export function embedProblem(page: TiffPage): string | undefined {
  if (page.bitsPerSample !== 1 || page.samplesPerPixel !== 1) return 'not a black-and-white image';
  if (page.photometric !== 0 && page.photometric !== 1) return `photometric ${page.photometric}`;
  if (page.compression === COMPRESSION.g3) {
    if (page.t4Options & 2) return 'G3 with uncompressed mode';
    return undefined;
  }
  if (page.compression === COMPRESSION.g4) {
    if (page.t6Options & 2) return 'G4 with uncompressed mode';
    if (page.stripOffsets.length !== 1) return 'G4 in several strips';
    return undefined;
  }
  return `compression ${page.compression}`;
}

/** Dots per inch of a page; a fax page with no usable resolution is taken as 204 dpi across. Pure. */
export function pageDpi(page: TiffPage): { x: number; y: number } {
  const perInch = page.resolutionUnit === 3 ? 2.54 : 1;
  let x = page.xResolution * perInch;
  let y = page.yResolution * perInch;
  // ResolutionUnit 1 (none) or missing values: fax geometry is the only sane guess. A4 at 98 lines/inch
  // is wider than tall (1728x1143), at 196 taller than wide.
  if (page.resolutionUnit === 1 || !(x > 0) || !(y > 0)) {
    x = 204;
    y = page.height < page.width ? 98 : 196;
  }
  return { x, y };
}

/** Page size in PDF points: pixels / dpi * 72. Pure. */
function pageSizePoints(page: TiffPage): { width: number; height: number } {
  const dpi = pageDpi(page);
  return { width: (page.width / dpi.x) * 72, height: (page.height / dpi.y) * 72 };
}

/** DecodeParms for the page's CCITT data. Pure. */
export function ccittDecodeParms(page: TiffPage): {
  K: number;
  Columns: number;
  Rows: number;
  BlackIs1: boolean;
  EncodedByteAlign: boolean;
} {
  const g4 = page.compression === COMPRESSION.g4;
  // T4Options bit 0: 2-D coding; bit 2: fill bits so that each EOL ends on a byte boundary.
  const K = g4 ? -1 : page.t4Options & 1 ? 4 : 0;
  // A decoded CCITT "black" run is black for WhiteIsZero (photometric 0), white for BlackIsZero.
  return {
    K,
    Columns: page.width,
    Rows: page.height,
    BlackIs1: page.photometric === 1,
    EncodedByteAlign: !g4 && (page.t4Options & 4) !== 0,
  };
}

const REVERSED = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let r = 0;
    for (let b = 0; b < 8; b++) if (i & (1 << b)) r |= 0x80 >> b;
    t[i] = r;
  }
  return t;
})();

/** The page's CCITT data as PDF wants it: strips joined, MSB-first bit order. */
function pageImageData(buf: Uint8Array, page: TiffPage): Uint8Array {
  const total = page.stripByteCounts.reduce((a, n) => a + n, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (let s = 0; s < page.stripOffsets.length; s++) {
    const strip = stripBytes(buf, page, s);
    out.set(strip, at);
    at += strip.length;
  }
  if (page.fillOrder === 2) for (let i = 0; i < out.length; i++) out[i] = REVERSED[out[i]!]!;
  return out;
}

function num(n: number): string {
  // Four decimals are far below a pixel. Rounded DOWN: renderers size their bitmap with ceil(), and a
  // page 0.00005 pt too large would gain a blank row or column (1729 instead of 1728 dots).
  return (Math.floor(n * 10_000) / 10_000).toFixed(4).replace(/\.?0+$/, '');
}

/** A PDF literal string with only printable ASCII (anything else becomes '?'). */
function pdfString(text: string): string {
  const safe = text.replace(/[^\x20-\x7e]/g, '?').replace(/[\\()]/g, (c) => `\\${c}`);
  return `(${safe})`;
}

function pdfDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
  );
}

/** Build the PDF bytes for pages that embedProblem() accepted. Pure. */
function buildFaxPdf(
  buf: Uint8Array,
  pages: readonly TiffPage[],
  info: { title?: string; created?: Date } = {},
): { pdf: Buffer; sizes: { width: number; height: number }[] } {
  const chunks: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (b: Buffer | string): void => {
    const bb = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    chunks.push(bb);
    length += bb.length;
  };
  const begin = (id: number): void => {
    offsets[id] = length;
    push(`${id} 0 obj\n`);
  };
  // Object numbers: 1 catalog, 2 pages, 3 info, then three per page (page, contents, image).
  const pageId = (i: number): number => 4 + i * 3;
  push('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
  begin(1);
  push('<< /Type /Catalog /Pages 2 0 R >>\nendobj\n');
  begin(2);
  push(
    `<< /Type /Pages /Count ${pages.length} /Kids [${pages.map((_, i) => `${pageId(i)} 0 R`).join(' ')}] >>\nendobj\n`,
  );
  begin(3);
  const title = info.title ? ` /Title ${pdfString(info.title.slice(0, 200))}` : '';
  push(`<< /Producer (faxmail)${title} /CreationDate (${pdfDate(info.created ?? new Date())}) >>\nendobj\n`);
  const sizes: { width: number; height: number }[] = [];
  pages.forEach((page, i) => {
    const size = pageSizePoints(page);
    sizes.push(size);
    const w = num(size.width);
    const h = num(size.height);
    const id = pageId(i);
    begin(id);
    push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /Im0 ${id + 2} 0 R >> ` +
        `>> /Contents ${id + 1} 0 R >>\nendobj\n`,
    );
    const content = `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q\n`;
    begin(id + 1);
    push(`<< /Length ${content.length} >>\nstream\n${content}endstream\nendobj\n`);
    const p = ccittDecodeParms(page);
    const data = pageImageData(buf, page);
    begin(id + 2);
    push(
      `<< /Type /XObject /Subtype /Image /Width ${page.width} /Height ${page.height} /ColorSpace /DeviceGray ` +
        `/BitsPerComponent 1` +
        ` /Filter /CCITTFaxDecode /DecodeParms << /K ${p.K} /Columns ${p.Columns} /Rows ${p.Rows} /BlackIs1 ` +
        `${p.BlackIs1} /EncodedByteAlign ${p.EncodedByteAlign} >>` +
        ` /Length ${data.length} >>\nstream\n`,
    );
    push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    push('\nendstream\nendobj\n');
  });
  const count = pageId(pages.length);
  const xref = length;
  push(`xref\n0 ${count}\n0000000000 65535 f \n`);
  for (let id = 1; id < count; id++) push(`${String(offsets[id]).padStart(10, '0')} 00000 n \n`);
  push(`trailer\n<< /Size ${count} /Root 1 0 R /Info 3 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return { pdf: Buffer.concat(chunks, length), sizes };
}

async function embedTiffInPdf(tiffPath: string, pdfPath: string, opts: TiffToPdfOptions): Promise<TiffToPdfResult> {
  const buf = await readFile(tiffPath);
  const pages = readTiff(buf);
  pages.forEach((page, i) => {
    const why = embedProblem(page);
    if (why) throw new Error(`page ${i + 1}: ${why}`);
  });
  const mtime = (await stat(tiffPath)).mtime;
  const { pdf, sizes } = buildFaxPdf(buf, pages, { ...(opts.title ? { title: opts.title } : {}), created: mtime });
  await writeFileAtomic(pdfPath, pdf, { mode: 0o640 });
  return { pages: pages.length, engine: 'embed', bytes: pdf.length, pageSizes: sizes };
}

// ---------------------------------------------------------------------------------------------------
// tiff2pdf engine

async function runTiff2pdf(tiffPath: string, pdfPath: string, opts: TiffToPdfOptions): Promise<TiffToPdfResult> {
  const bin = opts.tiff2pdf || '/usr/bin/tiff2pdf';
  // Our own paths (absolute, under the spool), never a value from outside; written beside the target
  // and renamed so the PDF appears whole.
  const scratch = join(dirname(pdfPath), `.${basename(pdfPath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const dir = dirname(pdfPath);
    const r = await runTool({
      tool: 'tiff2pdf',
      program: bin,
      args: ['-o', scratch, tiffPath],
      cwd: dir,
      scratch: dir,
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
    if (!r.ok) {
      const why =
        r.spawnError ??
        (r.killedBy ? `stopped (${r.killedBy})` : r.signal ? `ended by ${r.signal}` : `exit ${r.exitCode}`);
      throw new Error(`tiff2pdf ${why}: ${oneLine(r.stderr, 300)}`);
    }
    const pages = readTiff(await readFile(tiffPath)).length;
    await rename(scratch, pdfPath);
    const bytes = (await stat(pdfPath)).size;
    return { pages, engine: 'tiff2pdf', bytes };
  } finally {
    await unlink(scratch).catch(() => undefined);
  }
}
