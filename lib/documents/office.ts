/*
 * office.ts: an office document (.docx, .xlsx, .pptx, .odt, .doc, .rtf, ...) to PDF with LibreOffice
 * headless, one fresh LibreOffice per document.
 *   - Its own profile, HOME and TMPDIR in the caller's work directory: two conversions at once never share a
 *     profile (a shared one makes the second soffice hand its work to the first, or hang on the lock).
 *   - Macros never run: LibreOffice's --convert-to loads documents without macro execution, and the fresh
 *     profile also sets the macro security level to "very high" and switches macro execution off, so a
 *     future LibreOffice that changed the first rule would still not run a document's auto-run macro.
 *   - argv only, clean environment, time limit, SIGKILL to the whole process group (run-tool.ts).
 *   - Only our own file names reach LibreOffice: the input is a hard link named doc.<ext>.
 * Fails with FaxError: 'bad-document' (LibreOffice could not read it, gave no PDF, crashed or ran out of
 * time; the sentence names the attachment), 'temporary' (LibreOffice could not be started).
 */
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { FaxError, oneLine } from '../errors.js';
import { runTool, type ToolResult } from './run-tool.js';

/** LibreOffice's arguments: convert `input` to PDF in `outDir` with the profile in `profileDir`. */
export function sofficeArgs(input: string, outDir: string, profileDir: string): string[] {
  return ['--headless', '--norestore', '--nolockcheck', '--nodefault', `-env:UserInstallation=file://${encodeURI(profileDir)}`, '--convert-to', 'pdf', '--outdir', outDir, input];
}

/** Where LibreOffice writes the PDF for `input`. */
export function sofficeOutput(input: string, outDir: string): string {
  return join(outDir, `${basename(input, extname(input))}.pdf`);
}

/**
 * The settings a fresh profile starts with (user/registrymodifications.xcu). LibreOffice drops entries
 * that are not in its configuration schema when it rewrites this file, so a test can check that these
 * names are real: they survive a run.
 */
export const PROFILE_SETTINGS: readonly { path: string; name: string; value: string }[] = [
  // 3 = "very high": only macros from trusted locations (there are none in a fresh profile).
  { path: '/org.openoffice.Office.Common/Security/Scripting', name: 'MacroSecurityLevel', value: '3' },
  { path: '/org.openoffice.Office.Common/Security/Scripting', name: 'DisableMacrosExecution', value: 'true' },
];

/** The text of the profile's registrymodifications.xcu. Pure. */
export function profileXcu(): string {
  const items = PROFILE_SETTINGS.map((s) => `<item oor:path="${s.path}"><prop oor:name="${s.name}" oor:op="fuse"><value>${s.value}</value></prop></item>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
    ...items,
    '</oor:items>',
    '',
  ].join('\n');
}

export interface OfficeRun {
  pdf: string;
  result: ToolResult;
}

/** Does the file start with %PDF-? */
async function isPdf(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(5);
      const { bytesRead } = await fh.read(buf, 0, 5, 0);
      return bytesRead === 5 && buf.toString('latin1') === '%PDF-';
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

/**
 * Convert `input` (our own name, the sender's extension) to PDF with LibreOffice. `workDir` must be a fresh
 * directory of this conversion: the profile, HOME, TMPDIR and the output go there. Returns the PDF's path.
 */
export async function officeToPdf(soffice: string, input: string, workDir: string, name: string, timeoutSeconds: number): Promise<OfficeRun> {
  const outDir = join(workDir, 'out');
  const profile = join(workDir, 'profile');
  const home = join(workDir, 'home');
  await mkdir(join(profile, 'user'), { recursive: true, mode: 0o700 });
  await mkdir(outDir, { recursive: true });
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(join(profile, 'user', 'registrymodifications.xcu'), profileXcu(), { mode: 0o600 });
  const result = await runTool({
    argv: [soffice, ...sofficeArgs(input, outDir, profile)],
    env: { HOME: home, LANG: 'C.UTF-8' },
    tmpDir: join(workDir, 'tmp'),
    cwd: workDir,
    timeoutMs: timeoutSeconds * 1000,
  });
  if (result.startError) {
    throw new FaxError('temporary', `LibreOffice could not be started (${oneLine(result.startError, 100)}); the fax will be tried again.`, { detail: { tool: soffice } });
  }
  const detail = { tool: 'soffice', exit: result.exitCode, signal: result.signal, ms: result.ms, output: oneLine(result.output, 400) };
  if (result.timedOut) {
    throw new FaxError('bad-document', `The document "${name}" took longer than ${timeoutSeconds} seconds to convert and cannot be faxed; please send it as a PDF.`, { detail });
  }
  const pdf = sofficeOutput(input, outDir);
  const s = await stat(pdf).catch(() => undefined);
  // LibreOffice exits 0 when it cannot read a file ("Error: source file could not be loaded"): the missing
  // PDF is the sign.
  if (result.exitCode !== 0 || !s || s.size === 0 || !(await isPdf(pdf))) {
    throw new FaxError('bad-document', `The document "${name}" could not be converted for faxing; it may be damaged. Please send it as a PDF.`, { detail });
  }
  return { pdf, result };
}
