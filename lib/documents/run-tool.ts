/*
 * run-tool.ts: run one external program the way contract 3 asks (until the shared runner lands in the
 * ground layer, when this file goes): argv only (never a shell), a clean environment (only what the caller
 * names, plus a fixed PATH), a private empty TMPDIR, stdin closed, output kept bounded, a time limit, and
 * SIGKILL to the program's whole process group at the end. The group matters for LibreOffice: `soffice` is a
 * launcher whose soffice.bin child would survive a kill of the launcher alone, holding its profile and the
 * CPU. The group is also killed after a normal exit, so nothing the tool left behind keeps running.
 * One result shape for every outcome; this function never throws (a program that cannot be started is
 * `startError`).
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';

export interface ToolRun {
  /** the program (absolute path) and its arguments */
  argv: readonly string[];
  /** the environment besides PATH and TMPDIR (e.g. HOME); nothing else from ours is passed on */
  env?: Readonly<Record<string, string>>;
  /** a private directory for TMPDIR (created if missing); the caller removes it */
  tmpDir: string;
  /** working directory (default: tmpDir) */
  cwd?: string;
  /** wall-clock limit in milliseconds */
  timeoutMs: number;
  /** stdout and stderr kept, together (default 200 kB); the rest is dropped */
  maxOutput?: number;
}

export interface ToolResult {
  /** exit status, undefined when killed by a signal or never started */
  exitCode: number | undefined;
  /** the signal that ended it (SIGKILL after a timeout) */
  signal: string | undefined;
  timedOut: boolean;
  /** stdout and stderr interleaved, bounded */
  output: string;
  /** why the program could not be started (ENOENT, EACCES), else undefined */
  startError: string | undefined;
  ms: number;
}

const PATH = '/usr/local/bin:/usr/bin:/bin';

/** Kill a process group, ignoring "no such process". */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Run a tool (see the header comment). */
export async function runTool(run: ToolRun): Promise<ToolResult> {
  const started = performance.now();
  const max = run.maxOutput ?? 200_000;
  await mkdir(run.tmpDir, { recursive: true, mode: 0o700 });
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(run.argv[0]!, run.argv.slice(1), {
      cwd: run.cwd ?? run.tmpDir,
      env: { PATH, TMPDIR: run.tmpDir, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own, so the timeout reaches every process the tool starts.
      detached: true,
    });
    const keep = (d: Buffer): void => {
      if (output.length < max) output += d.toString('utf8').slice(0, max - output.length);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, run.timeoutMs);
    const finish = (r: Omit<ToolResult, 'output' | 'timedOut' | 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup(child.pid);
      resolve({ ...r, output, timedOut, ms: Math.round(performance.now() - started) });
    };
    child.on('error', (err: NodeJS.ErrnoException) => finish({ exitCode: undefined, signal: undefined, startError: err.code ?? err.message }));
    // 'close' waits for the pipes: a daemonised grandchild holding them would keep us here until the timeout
    // kills the group, which is what we want.
    child.on('close', (code, signal) => finish({ exitCode: code ?? undefined, signal: signal ?? undefined, startError: undefined }));
  });
}
