/*
 * verdict.ts: what a tool's failure means, so every caller puts it in the same outcome class.
 * Postfix retries a deferred mail (75) for days and bounces everything else at once, so the question is
 * always: is this the document's fault (bounce: the sender must send something else) or the server's
 * (defer: the same mail will work once the server is well)?
 *   - could not be started, our deadline passed, killed by someone else's SIGKILL (the kernel's OOM killer)
 *     or a stop signal, or its output names a system fault (no memory, no disk space, no file descriptors):
 *     the server's ('system');
 *   - crashed on the input (SIGSEGV, SIGABRT, ...), ran out of its CPU allowance, or exited non-zero
 *     without naming a system fault: the document's ('data').
 * Pure.
 */
import type { ToolName, ToolResult } from './run.js';

export type Blame = 'data' | 'system';

export type Verdict =
  | { kind: 'ok' }
  /** we stopped it: a sibling failed first */
  | { kind: 'cancelled' }
  /** the whole run's wall-clock deadline passed (the server is slow or overloaded) */
  | { kind: 'deadline' }
  /** the run's CPU allowance for converters is used up (the document is too costly) */
  | { kind: 'cpu' }
  /** its own per-run timeout (callers without a budget) */
  | { kind: 'timeout' }
  /** it could not be started at all */
  | { kind: 'not-started'; errno: string }
  /** it ended with a signal we did not send */
  | { kind: 'signal'; signal: string; blame: Blame }
  /** it exited with a non-zero status */
  | { kind: 'exit'; exitCode: number; blame: Blame };

/**
 * Signals that end a tool, and whose fault they are, per tool. Every one of these tools parses the
 * sender's bytes in C, so a crash signal means the input hit a bug: the document's fault. SIGKILL we did
 * not send comes from the kernel's OOM killer (or an admin), stop signals from a shutdown, SIGXCPU/SIGXFSZ
 * from this host's resource limits, SIGPIPE from us: the server's.
 *   gs         crashes (SIGSEGV, SIGABRT, SIGFPE, SIGBUS) on damaged PDFs and hostile fonts: data.
 *   tiffinfo,
 *   tiff2pdf,
 *   tiff2rgba  libtiff aborts or faults on crafted directories and strips: data. (They read our own files
 *              in our own directory, so a SIGBUS cannot come from a file shrinking under a mapping.)
 *   tnef       Debian's tnef 1.4.18 asserts (SIGABRT) on any damaged winmail.dat: data.
 *   soffice    LibreOffice crashes on broken office files: data.
 */
const CRASH_SIGNALS = ['SIGSEGV', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGSYS'] as const;
const SYSTEM_SIGNALS = [
  'SIGKILL',
  'SIGTERM',
  'SIGINT',
  'SIGHUP',
  'SIGQUIT',
  'SIGPIPE',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGUSR1',
  'SIGUSR2',
  'SIGALRM',
] as const;

function table(): Readonly<Record<string, Blame>> {
  const t: Record<string, Blame> = {};
  for (const s of CRASH_SIGNALS) t[s] = 'data';
  for (const s of SYSTEM_SIGNALS) t[s] = 'system';
  return Object.freeze(t);
}

export const SIGNAL_BLAME: Readonly<Record<ToolName, Readonly<Record<string, Blame>>>> = Object.freeze({
  gs: table(),
  tiffinfo: table(),
  tiff2pdf: table(),
  tiff2rgba: table(),
  tnef: table(),
  soffice: table(),
});

/**
 * The operating system's own words for "this machine is out of something" (strerror of ENOMEM, ENOSPC, EMFILE, ...).
 */
const SYSTEM_FAULT = new RegExp(
  [
    'No space left on device',
    'Disk quota exceeded',
    'Cannot allocate memory',
    'Too many open files',
    'Read-only file system',
    'Input/output error',
  ].join('|'),
  'i',
);

/** Does the tool's output name a fault of this machine rather than of the document? */
function namesSystemFault(stdout: string, stderr: string): boolean {
  return SYSTEM_FAULT.test(`${stderr}\n${stdout}`);
}

/** The verdict on a finished run; `diskLow` says the disk the tool wrote to is (nearly) full. */
export function judge(r: ToolResult, diskLow = false): Verdict {
  if (r.ok) return { kind: 'ok' };
  if (r.spawnError !== undefined) return { kind: 'not-started', errno: r.spawnError };
  switch (r.killedBy) {
    case 'cancel':
      return { kind: 'cancelled' };
    case 'deadline':
      return { kind: 'deadline' };
    case 'cpu':
      return { kind: 'cpu' };
    case 'timeout':
      return { kind: 'timeout' };
    case undefined:
      break;
  }
  const system = diskLow || namesSystemFault(r.stdout, r.stderr);
  if (r.signal !== undefined) {
    const blame = system ? 'system' : (SIGNAL_BLAME[r.tool][r.signal] ?? 'system');
    return { kind: 'signal', signal: r.signal, blame };
  }
  return { kind: 'exit', exitCode: r.exitCode ?? -1, blame: system ? 'system' : 'data' };
}
