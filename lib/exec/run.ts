/*
 * run.ts: the ONE way faxmail runs an external program on content that came from outside (Ghostscript,
 * tiffinfo, tiff2pdf, tiff2rgba, tnef, LibreOffice).
 *   - argv only, never a shell; stdin closed;
 *   - a clean environment: PATH=/usr/bin:/bin, LC_ALL=C, and TMPDIR/TMP/TEMP/HOME pointing at a private,
 *     empty directory made for this run under `scratch` and removed afterwards (so a tool that is tricked
 *     into writing "temporary" files writes them there, and finds nobody else's files to read);
 *   - its own process group (session), so a time limit, a cancel or our own exit (killRunningTools, called by
 *     bin/) kills the whole tree with SIGKILL at once (a hostile file gets no grace period), and nothing it
 *     started outlives it;
 *   - limits: its own wall-clock timeout, the shared Budget's deadline and CPU allowance (lib/exec/budget.ts);
 *     CPU time is sampled from /proc every POLL_MS;
 *   - one result shape, success or failure; it never throws (a program that cannot be started is a result).
 * What a failure means (the document's fault or the server's) is decided by lib/exec/verdict.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cpuExhausted, type Budget } from './budget.js';
import { treeCpuMs } from './cpu.js';

export type ToolName = 'gs' | 'tiffinfo' | 'tiff2pdf' | 'tiff2rgba' | 'tnef' | 'soffice';

export interface ToolRun {
  tool: ToolName;
  /** absolute path of the program */
  program: string;
  args: readonly string[];
  /** working directory (our own directory: tools get our plain file names relative to it) */
  cwd: string;
  /** directory in which the private temp dir of this run is made (the job's scratch space, never /tmp) */
  scratch: string;
  /** wall-clock limit of this run alone, in ms */
  timeoutMs?: number;
  /** the limits the whole run shares */
  budget?: Budget;
  /** kill the tool when this fires (a sibling run failed) */
  cancel?: AbortSignal;
  /** more environment, e.g. HOME for LibreOffice (PATH, LC_ALL, TMPDIR, TMP, TEMP, HOME are ours) */
  env?: Readonly<Record<string, string>>;
  /** bytes kept of stdout and of stderr each (default 1 MiB); the rest is dropped, the tool is not stopped */
  maxOutput?: number;
  /** 'ignore' for tools whose stdout is bulky and unused */
  stdout?: 'pipe' | 'ignore';
}

/** Why we killed the tool: its own timeout, the run's deadline or CPU allowance, or a cancel. */
export type KilledBy = 'timeout' | 'deadline' | 'cpu' | 'cancel';

export interface ToolResult {
  tool: ToolName;
  /** exit status 0, no signal, not killed by us */
  ok: boolean;
  exitCode: number | undefined;
  /** the signal that ended it (ours or someone else's) */
  signal: NodeJS.Signals | undefined;
  killedBy: KilledBy | undefined;
  /** errno when the program could not be started at all (ENOENT, EACCES, ...) */
  spawnError: string | undefined;
  stdout: string;
  stderr: string;
  /** output beyond maxOutput was dropped */
  truncated: boolean;
  wallMs: number;
  /** CPU time of the tool's process tree, as last sampled */
  cpuMs: number;
}

/** How often a running tool's CPU time is sampled. */
const POLL_MS = 50;

const CLEAN_PATH = '/usr/bin:/bin';

/** Process groups of tools still running, for killRunningTools. */
const live = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Kill the process group of every tool still running (sync: bin/ calls it on exit; lib/cli/signals.ts). */
export function killRunningTools(): void {
  for (const pid of live) killGroup(pid);
}

let nextRunId = 1;

/** Run one tool under the rules in the header. Never throws. */
export async function runTool(r: ToolRun): Promise<ToolResult> {
  const started = performance.now();
  const base = {
    tool: r.tool,
    exitCode: undefined,
    signal: undefined,
    spawnError: undefined,
    stdout: '',
    stderr: '',
    truncated: false,
    cpuMs: 0,
  };
  const early = (killedBy: KilledBy): ToolResult => ({ ...base, ok: false, killedBy, wallMs: 0 });
  if (r.cancel?.aborted) return early('cancel');
  if (r.budget?.signal.aborted) return early('deadline');
  if (r.budget && cpuExhausted(r.budget)) return early('cpu');

  let tmp: string;
  try {
    tmp = await mkdtemp(join(r.scratch, '.tool-tmp-'));
  } catch (err) {
    // Our own scratch space is not writable: the server's trouble, reported like a failed start.
    return { ...base, ok: false, killedBy: undefined, spawnError: errnoOf(err), wallMs: 0 };
  }
  try {
    return await spawnAndWait(r, tmp, started);
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

function spawnAndWait(r: ToolRun, tmp: string, started: number): Promise<ToolResult> {
  const id = nextRunId++;
  const max = r.maxOutput ?? 1024 * 1024;
  return new Promise<ToolResult>((resolve) => {
    let killedBy: KilledBy | undefined;
    let spawnError: string | undefined;
    let cpuMs = 0;
    let truncated = false;
    let settled = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;

    const child = spawn(r.program, [...r.args], {
      cwd: r.cwd,
      // A new session: the tool and everything it starts form one process group we can kill at once.
      detached: true,
      stdio: ['ignore', r.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
      env: {
        ...(r.env ?? {}),
        PATH: CLEAN_PATH,
        LC_ALL: 'C',
        TMPDIR: tmp,
        TMP: tmp,
        TEMP: tmp,
        HOME: r.env?.['HOME'] ?? tmp,
      },
    });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);

    const keep = (sink: Buffer[], chunk: Buffer, used: number): number => {
      const room = max - used;
      if (room <= 0) {
        truncated = true;
        return used;
      }
      if (chunk.length > room) truncated = true;
      sink.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      return used + Math.min(room, chunk.length);
    };
    child.stdout?.on('data', (c: Buffer) => (outBytes = keep(out, c, outBytes)));
    child.stderr?.on('data', (c: Buffer) => (errBytes = keep(err, c, errBytes)));

    const stop = (why: KilledBy): void => {
      if (killedBy !== undefined || pid === undefined) return;
      killedBy = why;
      killGroup(pid);
    };
    const timers: NodeJS.Timeout[] = [];
    if (r.timeoutMs !== undefined) timers.push(setTimeout(() => stop('timeout'), Math.max(1, r.timeoutMs)));
    const onDeadline = (): void => stop('deadline');
    const onCancel = (): void => stop('cancel');
    r.budget?.signal.addEventListener('abort', onDeadline, { once: true });
    r.cancel?.addEventListener('abort', onCancel, { once: true });

    let sampling = false;
    const sample = async (): Promise<void> => {
      if (sampling || pid === undefined || settled) return;
      sampling = true;
      try {
        const ms = await treeCpuMs(pid);
        // A process that has just ended reads as 0: keep the last real sample.
        if (ms > cpuMs) cpuMs = ms;
        if (r.budget && !settled) {
          r.budget.cpuLive.set(id, cpuMs);
          if (cpuExhausted(r.budget)) stop('cpu');
        }
      } finally {
        sampling = false;
      }
    };
    const poll = setInterval(() => void sample(), POLL_MS);

    const finish = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      for (const t of timers) clearTimeout(t);
      r.budget?.signal.removeEventListener('abort', onDeadline);
      r.cancel?.removeEventListener('abort', onCancel);
      if (pid !== undefined) {
        // Anything the tool left running in its group goes with it.
        killGroup(pid);
        live.delete(pid);
      }
      if (r.budget) {
        r.budget.cpuLive.delete(id);
        r.budget.cpuDoneMs += cpuMs;
      }
      const code = exitCode ?? undefined;
      const sig = signal ?? undefined;
      resolve({
        tool: r.tool,
        ok: spawnError === undefined && killedBy === undefined && code === 0 && sig === undefined,
        exitCode: spawnError === undefined ? code : undefined,
        signal: sig,
        killedBy,
        spawnError,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        truncated,
        wallMs: Math.round(performance.now() - started),
        cpuMs: Math.round(cpuMs),
      });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      // Failed to start (ENOENT, EACCES): there is no process, and 'close' may or may not follow.
      if (pid !== undefined) return;
      spawnError = e.code ?? 'EUNKNOWN';
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function errnoOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : 'EUNKNOWN';
}
