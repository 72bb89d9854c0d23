/*
 * office.ts: an office document (.docx, .xlsx, .pptx, .odt, .doc, .rtf, ...) to PDF with LibreOffice
 * headless, one fresh LibreOffice per document.
 *   - Its own profile, HOME and TMPDIR in the caller's work directory: two conversions at once never share a
 *     profile (a shared one makes the second soffice hand its work to the first, or hang on the lock).
 *   - Macros never run: LibreOffice's --convert-to loads documents without macro execution, and the fresh
 *     profile also sets the macro security level to "very high" and switches macro execution off, so a
 *     future LibreOffice that changed the first rule would still not run a document's auto-run macro.
 *   - It runs through the one tool runner (lib/exec/run.ts): argv only, clean environment, private empty
 *     TMPDIR, its own process group killed with SIGKILL at the end (soffice is a launcher whose soffice.bin
 *     child would survive a kill of the launcher alone), and the run's limits: in sendfax the Budget's
 *     wall-clock deadline and CPU allowance, which LibreOffice shares with the other converters.
 *   - Only our own file names reach LibreOffice: the input is a hard link named doc.<ext>.
 * Fails with FaxError in the class lib/exec/verdict.ts gives: 'bad-document' (LibreOffice could not read
 * it, gave no PDF, crashed, used up the CPU allowance or its own time limit; the sentence names the
 * attachment), 'temporary' (LibreOffice could not be started, the run's deadline passed, the system killed
 * it or ran out of memory or disk).
 */
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { FaxError, oneLine } from '../errors.js';
import { runTool, type ToolResult } from '../exec/run.js';
import { judge } from '../exec/verdict.js';
import { cpuError, deadlineError } from '../exec/limits.js';
import type { ToolLimits } from './tools.js';

/** LibreOffice's arguments: convert `input` to PDF in `outDir` with the profile in `profileDir`. */
export function sofficeArgs(input: string, outDir: string, profileDir: string): string[] {
  return [
    '--headless',
    '--norestore',
    '--nolockcheck',
    '--nodefault',
    `-env:UserInstallation=file://${encodeURI(profileDir)}`,
    '--convert-to',
    'pdf',
    '--outdir',
    outDir,
    input,
  ];
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
  const items = PROFILE_SETTINGS.map(
    (s) =>
      `<item oor:path="${s.path}"><prop oor:name="${s.name}" oor:op="fuse"><value>${s.value}</value></prop></item>`,
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" ' +
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
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
 * directory of this conversion: the profile, HOME, TMPDIR and the output go there. `limits`: the run's
 * Budget (sendfax), or a wall-clock limit of its own in seconds. Returns the PDF's path.
 */
export async function officeToPdf(
  soffice: string,
  input: string,
  workDir: string,
  name: string,
  limits: number | ToolLimits,
): Promise<OfficeRun> {
  const own: ToolLimits = typeof limits === 'number' ? { timeoutMs: limits * 1000 } : limits;
  const outDir = join(workDir, 'out');
  const profile = join(workDir, 'profile');
  const home = join(workDir, 'home');
  await mkdir(join(profile, 'user'), { recursive: true, mode: 0o700 });
  await mkdir(outDir, { recursive: true });
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(join(profile, 'user', 'registrymodifications.xcu'), profileXcu(), { mode: 0o600 });
  const result = await runTool({
    tool: 'soffice',
    program: soffice,
    args: sofficeArgs(input, outDir, profile),
    env: { HOME: home },
    cwd: workDir,
    scratch: workDir,
    ...(own.budget ? { budget: own.budget } : {}),
    ...(own.timeoutMs !== undefined ? { timeoutMs: own.timeoutMs } : {}),
  });
  const v = judge(result);
  const detail = {
    tool: 'soffice',
    exit: result.exitCode,
    signal: result.signal,
    killedBy: result.killedBy,
    ms: result.wallMs,
    cpuMs: result.cpuMs,
    output: oneLine(`${result.stdout} ${result.stderr}`, 400),
  };
  switch (v.kind) {
    case 'ok':
      break;
    case 'not-started':
      throw new FaxError(
        'temporary',
        `LibreOffice could not be started (${oneLine(v.errno, 100)}); the fax will be tried again.`,
        { detail },
      );
    case 'deadline':
      throw own.budget
        ? deadlineError(own.budget)
        : new FaxError('temporary', 'The fax server is too busy right now; the fax will be tried again.', { detail });
    case 'cpu':
      if (own.budget) throw cpuError(own.budget, name);
      throw new FaxError(
        'bad-document',
        `The document "${name}" needs too much computing time to convert and cannot be faxed; please send it as a PDF.`,
        { detail },
      );
    case 'timeout':
      throw new FaxError(
        'bad-document',
        `The document "${name}" took longer than ${Math.round((own.timeoutMs ?? 0) / 1000)} seconds to ` +
          `convert and cannot be faxed; please send it as a PDF.`,
        { detail },
      );
    case 'cancelled':
      throw new FaxError('temporary', 'LibreOffice was stopped; the fax will be tried again.', { detail });
    case 'signal':
    case 'exit':
      if (v.blame === 'system')
        throw new FaxError(
          'temporary',
          'The fax server ran out of memory or disk space while converting an office document; the fax will ' +
            'be tried again.',
          { detail },
        );
      throw damaged(name, detail);
  }
  const pdf = sofficeOutput(input, outDir);
  const s = await stat(pdf).catch(() => undefined);
  // LibreOffice exits 0 when it cannot read a file ("Error: source file could not be loaded"): the missing
  // PDF is the sign.
  if (!s || s.size === 0 || !(await isPdf(pdf))) throw damaged(name, detail);
  return { pdf, result };
}

function damaged(name: string, detail: Record<string, unknown>): FaxError {
  return new FaxError(
    'bad-document',
    `The document "${name}" could not be converted for faxing; it may be damaged. Please send it as a PDF.`,
    { detail },
  );
}
