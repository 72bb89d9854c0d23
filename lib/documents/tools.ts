/*
 * tools.ts: the external converters tiff2pdf and tnef (LibreOffice: office.ts), each run with an argv array (never a
 * shell), a timeout, and our own file names as arguments (never the sender's). Argument building is
 * pure and tested on its own; the runners turn failures into FaxErrors naming the attachment.
 */
import { mkdir, readdir, lstat, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { FaxError, oneLine } from '../errors.js';

/** tiff2pdf's arguments: every page of `input` into the PDF `output`, page size from the TIFF's resolution. */
export function tiff2pdfArgs(input: string, output: string): string[] {
  return ['-o', output, input];
}

/** tiffinfo's arguments: decode every strip of every page (-D), printing only the directories. */
export function tiffinfoArgs(input: string): string[] {
  return ['-D', input];
}

/** tiff2rgba's arguments: decode every page to plain RGB (zip-compressed), dropping alpha. */
export function tiff2rgbaArgs(input: string, output: string): string[] {
  return ['-c', 'zip', '-n', input, output];
}

/**
 * Convert a TIFF (any page count, bit depth, compression, resolution) to PDF with tiff2pdf, after
 * tiffinfo has decoded every page: tiff2pdf quietly drops the pages after a damaged one. tiff2pdf passes
 * JPEG-compressed strips through into the PDF and the result prints blank (grey and colour alike), so
 * such TIFFs are first decoded to RGB with tiff2rgba (same package; resolution kept). Fax (CCITT) TIFFs
 * go through untouched, their strips embedded as they are.
 */
export async function tiffToPdf(tools: { tiff2pdf: string; tiffinfo: string; tiff2rgba: string }, input: string, output: string, name: string, timeoutSeconds: number): Promise<void> {
  const damaged = (tool: string, out: string): FaxError => new FaxError('bad-document', `The attachment "${name}" is damaged and cannot be faxed.`, { detail: { tool, output: oneLine(out, 400) } });
  const opts = { reject: false, timeout: timeoutSeconds * 1000, stdin: 'ignore', maxBuffer: 10_000_000 } as const;
  const run = async (tool: string, what: string, args: string[]): Promise<{ stdout: string; stderr: string }> => {
    const r = await execa(tool, args, opts);
    if (r.exitCode === undefined && !r.timedOut) throw new FaxError('temporary', `The ${what} could not be started (${oneLine(r.shortMessage ?? '', 200)}); the fax will be tried again.`);
    if (r.timedOut) throw new FaxError('bad-document', `The TIFF attachment "${name}" took too long to convert and cannot be faxed.`);
    if (r.exitCode !== 0) throw damaged(tool, String(r.stderr ?? ''));
    return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  };
  const info = await run(tools.tiffinfo, 'TIFF checker', [input]);
  let source = input;
  if (/Compression Scheme: (?:JPEG|Old-style JPEG)/i.test(info.stdout)) {
    // tiffinfo -D cannot decode subsampled YCbCr JPEG strips; tiff2rgba decodes (and so checks) them.
    source = `${output}.rgb.tif`;
    await run(tools.tiff2rgba, 'TIFF decoder', tiff2rgbaArgs(input, source));
  } else {
    await run(tools.tiffinfo, 'TIFF checker', tiffinfoArgs(input));
  }
  await run(tools.tiff2pdf, 'TIFF converter', tiff2pdfArgs(source, output));
  if (source !== input) await rm(source, { force: true });
  const s = await stat(output).catch(() => undefined);
  if (!s || s.size === 0) throw damaged('tiff2pdf', 'no output');
}

/** tnef's arguments: unpack `input` into the (fresh, empty) directory `outDir`, paths inside ignored. */
export function tnefArgs(input: string, outDir: string, maxBytes: number): string[] {
  // --number-backups: two attachments with one name both survive (x.pdf, x.pdf.1). tnef ignores the
  // paths stored in the file by default; we never pass --use-paths.
  return ['-f', input, '-C', outDir, '--number-backups', '--maxsize', String(maxBytes)];
}

/** Unpack a winmail.dat; returns the files it held (our paths, sender's names), sorted by name. */
export async function unpackTnef(tnef: string, input: string, outDir: string, timeoutSeconds: number, maxBytes = 200_000_000): Promise<{ path: string; name: string; size: number }[]> {
  await mkdir(outDir, { recursive: true });
  const r = await execa(tnef, tnefArgs(input, outDir, maxBytes), { reject: false, timeout: timeoutSeconds * 1000, stdin: 'ignore', all: true, maxBuffer: 1_000_000 });
  if (r.exitCode === undefined) throw new FaxError('temporary', `The winmail.dat unpacker could not be started (${oneLine(r.shortMessage ?? '', 200)}); the fax will be tried again.`);
  if (r.failed) return [];
  const out: { path: string; name: string; size: number }[] = [];
  for (const entry of (await readdir(outDir)).sort()) {
    const path = join(outDir, entry);
    const st = await lstat(path);
    if (st.isFile()) out.push({ path, name: entry, size: st.size });
  }
  return out;
}
