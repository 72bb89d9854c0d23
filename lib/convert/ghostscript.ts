/*
 * ghostscript.ts: the one place that runs Ghostscript. Pure argument builders (render a page range of one
 * or more PDFs to a fax TIFF; count a PDF's pages) and one runner that returns a structured result and
 * never throws: exit code, signal, whether our time limit or a cancel killed it, spawn errno, output.
 * File names are passed relative to the working directory `cwd` and are checked to be plain names, so
 * nothing from a mail (attachment names) ever reaches gs's command line; gs never runs through a shell.
 * gs runs through lib/exec/run.ts: -dSAFER, writes permitted only for its output file, a private empty
 * TMPDIR (-dSAFER alone still lets PostScript read and write gs's temp dir, /tmp by default), a clean
 * environment (no GS_OPTIONS, GS_LIB), SIGKILL when the run's limits are reached.
 */
import { runTool, type ToolResult } from '../exec/run.js';
import type { Budget } from '../exec/budget.js';
import type { Compression } from '../config/schema.js';
import type { FaxGeometry } from './geometry.js';

/** Ghostscript device for each compression. 'g3' is 2-D G3 (MR): smaller than 1-D, and spandsp reads both. */
const GS_DEVICE: Readonly<Record<Compression, string>> = Object.freeze({ g3: 'tiffg32d', g4: 'tiffg4' });

/** Threshold instead of halftone: a 1x1 threshold screen at 50% grey (PostScript that sets it). */
const THRESHOLD_PROC = '<< /HalftoneType 3 /Width 1 /Height 1 /Thresholds <80> >> sethalftone';

/**
 * Grey as a horizontal line screen at 35 lines per inch: the spot function depends on y only, so each scan
 * line of a grey area is all black or all white, which T.4/T.6 code in a few bits. bench/ (case 6) measured
 * it against Ghostscript's default halftone on text, a shaded form and a photo at fine resolution: 0.40 of
 * the line time, with tone no worse (1.8 % vs 2.7 % error on the form, 4.7 % vs 4.9 % on the photo).
 */
const LINE_PROC = '35 0 { exch pop } setscreen';

/**
 * The screen for a whole run, installed from the page device's Install procedure because Ghostscript sets
 * its default screen after -c code runs.
 */
export const THRESHOLD_SCREEN = `<< /Install { ${THRESHOLD_PROC} } >> setpagedevice`;
export const LINE_SCREEN = `<< /Install { ${LINE_PROC} } >> setpagedevice`;

/** How a run renders grey: threshold, the line screen, or per page of the run (true: line screen). */
export type Screens = 'threshold' | 'line' | readonly boolean[];

/**
 * A screen per page (fax.dither = "auto"): BeginPage runs at the start of every page with the number of
 * pages this run has output so far (also more than once per page, and once after the last), so it picks
 * the page's entry from a string of '0' (threshold) and '1' (line screen); past the end, threshold.
 */
function perPageScreens(pages: readonly boolean[]): string {
  const bits = pages.map((b) => (b ? '1' : '0')).join('');
  return (
    `<< /BeginPage { (${bits}) 2 copy length lt { exch get 49 eq } { pop pop false } ifelse { ` +
    `${LINE_PROC} } { ${THRESHOLD_PROC} } ifelse } >> setpagedevice`
  );
}

/** The -c program that installs `s`. */
function screenProgram(s: Screens): string {
  if (s === 'threshold' || (Array.isArray(s) && s.every((b) => !b))) return THRESHOLD_SCREEN;
  if (s === 'line' || (Array.isArray(s) && s.every((b) => b))) return LINE_SCREEN;
  return perPageScreens(s as readonly boolean[]);
}

const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** File names handed to gs must be plain names in the working directory (no '-', '%', ':', '/', spaces). */
function checkName(name: string): string {
  if (!PLAIN_NAME.test(name)) throw new RangeError(`not a plain file name for Ghostscript: ${JSON.stringify(name)}`);
  return name;
}

export interface RenderArgs {
  /** PDF file names in the working directory, rendered in order into one TIFF */
  inputs: string[];
  /** output TIFF name in the working directory */
  output: string;
  geometry: FaxGeometry;
  compression: Compression;
  /** how grey is rendered (see Screens) */
  screens: Screens;
  /** 1-based page range, applied to every input; omit for all pages */
  firstPage?: number;
  lastPage?: number;
}

/** argv for rendering PDFs to a multi-page fax TIFF. */
export function buildRenderArgs(a: RenderArgs): string[] {
  if (a.inputs.length === 0) throw new RangeError('no input for Ghostscript');
  const { width, height, xdpi, ydpi } = a.geometry;
  const args = [
    '-dSAFER',
    '-dBATCH',
    '-dNOPAUSE',
    '-dNOPROMPT',
    `-sDEVICE=${GS_DEVICE[a.compression]}`,
    `-r${xdpi}x${ydpi}`,
    `-g${width}x${height}`,
    // Fixed media + fit: every page becomes exactly width x height, content scaled with its aspect ratio kept
    // and landscape pages turned to portrait (gs 10 rotates when that makes the page larger).
    '-dFIXEDMEDIA',
    '-dPDFFitPage',
    // Fit what a viewer shows (the crop box), not the whole media box.
    '-dUseCropBox',
  ];
  if (a.firstPage !== undefined) args.push(`-dFirstPage=${positive(a.firstPage)}`);
  if (a.lastPage !== undefined) args.push(`-dLastPage=${positive(a.lastPage)}`);
  // gs may write its output and nothing else (besides its private TMPDIR, which lib/exec/run.ts makes).
  args.push(`--permit-file-write=${checkName(a.output)}`);
  args.push(`-sOutputFile=${checkName(a.output)}`);
  args.push('-c', screenProgram(a.screens));
  args.push('-f', ...a.inputs.map(checkName));
  return args;
}

/** argv that prints a PDF's page count on stdout (the PDF interpreter only: a PostScript file is not run). */
export function buildPageCountArgs(input: string): string[] {
  const name = checkName(input);
  return [
    '-q',
    '-dSAFER',
    '-dNODISPLAY',
    '-dBATCH',
    '-dNOPAUSE',
    '-dNOPROMPT',
    `--permit-file-read=${name}`,
    `-sFile=${name}`,
    '-c',
    'File (r) file runpdfbegin pdfpagecount = quit',
  ];
}

/** The analysis render is the fax page scaled down by this: 1728 / 6 = 288 pixels across at 34 dpi (0.75 mm). */
const ANALYSIS_DIVISOR = 6;

/**
 * argv that prints a PDF's page count on stdout (like buildPageCountArgs) and then, unless it has more than
 * `maxPages` pages, renders every page small in 8-bit grey into `output` (one PGM per page, fitted like the
 * fax: lib/convert/grey.ts decides per page whether it has grey areas). One gs start for both. A page that
 * fails to render is skipped (the caller sees fewer images than pages).
 */
export function buildAnalysisArgs(input: string, output: string, geometry: FaxGeometry, maxPages: number): string[] {
  const name = checkName(input);
  const out = checkName(output);
  const dpi = geometry.xdpi / ANALYSIS_DIVISOR;
  const width = Math.round(geometry.width / ANALYSIS_DIVISOR);
  const height = Math.round((geometry.height / geometry.ydpi) * dpi);
  const program =
    `File (r) file runpdfbegin pdfpagecount dup = flush dup ${positive(maxPages)} le { 1 1 3 -1 ` +
    `roll { /faxmail_p exch def { faxmail_p pdfgetpage pdfshowpage } stopped pop } for } { pop } ifelse ` +
    `quit`;
  return [
    '-q',
    '-dSAFER',
    '-dBATCH',
    '-dNOPAUSE',
    '-dNOPROMPT',
    '-sDEVICE=pgmraw',
    `-r${dpi}`,
    `-g${width}x${height}`,
    '-dFIXEDMEDIA',
    '-dPDFFitPage',
    '-dUseCropBox',
    `--permit-file-read=${name}`,
    `--permit-file-write=${out}`,
    `-sOutputFile=${out}`,
    `-sFile=${name}`,
    '-c',
    program,
  ];
}

function positive(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`bad page number ${n}`);
  return n;
}

export interface RunOptions {
  /** working directory: the inputs and the output are plain names in it; gs's private TMPDIR is made in it */
  cwd: string;
  /** the limits of the whole run (wall deadline, CPU allowance) */
  budget?: Budget;
  /** kill gs when this fires (a sibling run failed) */
  cancel?: AbortSignal;
  /** a wall-clock limit of this run alone (callers without a budget: tests, bench) */
  timeoutMs?: number;
}

/** Run gs with argv through the one tool runner (lib/exec/run.ts): never throws. */
export function runGhostscript(gs: string, args: string[], o: RunOptions): Promise<ToolResult> {
  return runTool({
    tool: 'gs',
    program: gs,
    args,
    cwd: o.cwd,
    scratch: o.cwd,
    ...(o.budget ? { budget: o.budget } : {}),
    ...(o.cancel ? { cancel: o.cancel } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    // gs is chatty with big documents ("Page N" per page); what locateTrouble needs comes first.
    maxOutput: 4 * 1024 * 1024,
  });
}

/** Parse `pdfpagecount` output: the last line that is a whole number, or undefined. */
export function parsePageCount(stdout: string): number | undefined {
  const lines = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /^\d+$/.test(l));
  const last = lines.at(-1);
  return last === undefined ? undefined : Number(last);
}

/**
 * Which input of a multi-file render run gs was working on when it first complained (or, with no
 * complaint, when it stopped), from its stdout: gs prints "Processing pages x through y." for each file,
 * "Page n" for each page and "**** Error" lines in between. 0-based; -1 if gs never started a file.
 */
export function locateTrouble(stdout: string): { fileIndex: number; errorSeen: boolean } {
  let file = -1;
  for (const line of stdout.split(/\r?\n/)) {
    if (/^Processing pages \d+ through \d+\.$/.test(line)) file++;
    else if (/\*\*\*\* Error|^Error:/.test(line)) return { fileIndex: file, errorSeen: true };
  }
  return { fileIndex: file, errorSeen: false };
}

/** A short, printable excerpt of gs's complaints for logs (never shown to the sender). */
export function summariseGsOutput(stdout: string, stderr: string, max = 600): string {
  const lines = `${stderr}\n${stdout}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(
      (l) =>
        l && !/^(Page \d+|Processing pages|Loading font|GPL Ghostscript|Copyright|This software|see the file)/.test(l),
    );
  const text = [...new Set(lines)].join(' | ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const IO_TROUBLE = new RegExp(
  [
    'No space left',
    'Disk quota',
    'Could not open the file',
    'I/O Error',
    'Write error',
    'Read-only file system',
    'Cannot allocate memory',
    'Too many open files',
  ].join('|'),
  'i',
);

/** Output that says gs could not write or read a file (disk full, permissions): our trouble, not the document's. */
export function looksLikeIoTrouble(stdout: string, stderr: string): boolean {
  // Only the operating system's words: PostScript-level errors (ioerror, VMerror) come from bad documents too.
  return IO_TROUBLE.test(`${stderr}\n${stdout}`);
}
