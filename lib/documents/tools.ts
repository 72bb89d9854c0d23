/*
 * tools.ts: the external converters for attachments: tiff2pdf, tiffinfo and tiff2rgba (libtiff-tools)
 * and tnef run through the one tool runner (lib/exec/run.ts: argv only, clean environment, private temp
 * dir, the run's deadline and CPU allowance, SIGKILL at the end), with our own file names as arguments
 * (never the sender's). LibreOffice: office.ts.
 * Argument building is pure and tested on its own; the runners turn failures into FaxErrors naming the
 * attachment, in the outcome class lib/exec/verdict.ts gives them: the document's fault 'bad-document'
 * (65), the server's 'temporary' (75). No path or tool output ever reaches the sentence.
 */
import { mkdir, readdir, lstat, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FaxError, oneLine } from '../errors.js';
import { runTool, type ToolName } from '../exec/run.js';
import type { Budget } from '../exec/budget.js';
import { judge } from '../exec/verdict.js';
import { cpuError, deadlineError } from '../exec/limits.js';

/** The limits a converter runs under: the run's Budget (sendfax), or a timeout of its own. */
export interface ToolLimits {
  budget?: Budget;
  timeoutMs?: number;
}

/**
 * Run one converter; resolve its stdout when it succeeded, else throw the FaxError its verdict calls for.
 * `damaged` is the sentence for a document the tool could not handle.
 */
async function convertWith(
  tool: ToolName,
  program: string,
  args: string[],
  workDir: string,
  what: string,
  name: string,
  limits: ToolLimits,
  damaged: (detail?: Record<string, unknown>) => FaxError,
): Promise<string> {
  const r = await runTool({
    tool,
    program,
    args,
    cwd: workDir,
    scratch: workDir,
    maxOutput: 10_000_000,
    ...(limits.budget ? { budget: limits.budget } : {}),
    ...(limits.timeoutMs !== undefined ? { timeoutMs: limits.timeoutMs } : {}),
  });
  const v = judge(r);
  const detail = { tool, exitCode: r.exitCode, signal: r.signal, killedBy: r.killedBy, output: oneLine(r.stderr, 400) };
  switch (v.kind) {
    case 'ok':
      return r.stdout;
    case 'not-started':
      throw new FaxError(
        'temporary',
        `The ${what} could not be started on the fax server (${v.errno}); the fax will be tried again.`,
        { detail },
      );
    case 'deadline':
      throw limits.budget
        ? deadlineError(limits.budget)
        : new FaxError('temporary', 'The fax server is too busy right now; the fax will be tried again.', { detail });
    case 'cpu':
      throw limits.budget ? cpuError(limits.budget, name) : damaged(detail);
    case 'timeout':
      throw new FaxError('bad-document', `The attachment "${name}" took too long to convert and cannot be faxed.`, {
        detail,
      });
    case 'cancelled':
      throw new FaxError('temporary', `The ${what} was stopped; the fax will be tried again.`, { detail });
    case 'signal':
    case 'exit':
      if (v.blame === 'system')
        throw new FaxError(
          'temporary',
          `The fax server ran out of memory or disk space while running its ${what}; the fax will be tried again.`,
          { detail },
        );
      throw damaged(detail);
  }
}

/** tiff2pdf's arguments: every page of `input` into the PDF `output`, page size from the TIFF's resolution. */
export function tiff2pdfArgs(input: string, output: string): string[] {
  return ['-o', output, input];
}

/** tiffinfo's arguments: decode every strip of every page (-D), printing only the directories. */
function tiffinfoArgs(input: string): string[] {
  return ['-D', input];
}

/** tiff2rgba's arguments: decode every page to plain RGB (zip-compressed), dropping alpha. */
function tiff2rgbaArgs(input: string, output: string): string[] {
  return ['-c', 'zip', '-n', input, output];
}

/**
 * Convert a TIFF (any page count, bit depth, compression, resolution) to PDF with tiff2pdf, after
 * tiffinfo has decoded every page: tiff2pdf quietly drops the pages after a damaged one. tiff2pdf passes
 * JPEG-compressed strips through into the PDF and the result prints blank (grey and colour alike), so
 * such TIFFs are first decoded to RGB with tiff2rgba (same package; resolution kept). Fax (CCITT) TIFFs
 * go through untouched, their strips embedded as they are.
 */
export async function tiffToPdf(
  tools: { tiff2pdf: string; tiffinfo: string; tiff2rgba: string },
  input: string,
  output: string,
  name: string,
  limits: ToolLimits,
): Promise<void> {
  const damaged = (detail?: Record<string, unknown>): FaxError =>
    new FaxError(
      'bad-document',
      `The attachment "${name}" is damaged and cannot be faxed.`,
      detail ? { detail } : undefined,
    );
  const work = dirname(output);
  const info = await convertWith('tiffinfo', tools.tiffinfo, [input], work, 'TIFF checker', name, limits, damaged);
  let source = input;
  if (/Compression Scheme: (?:JPEG|Old-style JPEG)/i.test(info)) {
    // tiffinfo -D cannot decode subsampled YCbCr JPEG strips; tiff2rgba decodes (and so checks) them.
    source = `${output}.rgb.tif`;
    await convertWith(
      'tiff2rgba',
      tools.tiff2rgba,
      tiff2rgbaArgs(input, source),
      work,
      'TIFF decoder',
      name,
      limits,
      damaged,
    );
  } else {
    await convertWith('tiffinfo', tools.tiffinfo, tiffinfoArgs(input), work, 'TIFF checker', name, limits, damaged);
  }
  await convertWith(
    'tiff2pdf',
    tools.tiff2pdf,
    tiff2pdfArgs(source, output),
    work,
    'TIFF converter',
    name,
    limits,
    damaged,
  );
  if (source !== input) await rm(source, { force: true });
  const s = await stat(output).catch(() => undefined);
  if (!s || s.size === 0) throw damaged();
}

/** tnef's arguments: unpack `input` into the (fresh, empty) directory `outDir`, paths inside ignored. */
export function tnefArgs(input: string, outDir: string, maxBytes: number): string[] {
  // --number-backups: two attachments with one name both survive (x.pdf, x.pdf.1). tnef ignores the
  // paths stored in the file by default; we never pass --use-paths.
  return ['-f', input, '-C', outDir, '--number-backups', '--maxsize', String(maxBytes)];
}

/**
 * Unpack a winmail.dat; returns the files it held (our paths, sender's names), sorted by name. A damaged
 * one (tnef exits non-zero or aborts, as Debian's tnef 1.4.18 does on any damage) is 'bad-document'
 * naming `name`; one that holds no file gives [] (the caller names it as not unpackable).
 */
export async function unpackTnef(
  tnef: string,
  input: string,
  outDir: string,
  name: string,
  limits: ToolLimits,
  maxBytes = 200_000_000,
): Promise<{ path: string; name: string; size: number }[]> {
  await mkdir(outDir, { recursive: true });
  // tnef's own temp dir goes beside outDir, so outDir holds only what tnef unpacked.
  await convertWith(
    'tnef',
    tnef,
    tnefArgs(input, outDir, maxBytes),
    dirname(outDir),
    'winmail.dat unpacker',
    name,
    limits,
    (detail) =>
      new FaxError(
        'bad-document',
        `The attachment "${name}" (Outlook's winmail.dat) is damaged and cannot be faxed.`,
        detail ? { detail } : undefined,
      ),
  );
  const out: { path: string; name: string; size: number }[] = [];
  for (const entry of (await readdir(outDir)).sort()) {
    const path = join(outDir, entry);
    const st = await lstat(path);
    if (st.isFile()) out.push({ path, name: entry, size: st.size });
  }
  return out;
}
