/*
 * measure.ts: run a whole process under bench/runmax (built here with gcc on first use) and return its wall
 * time and peak RSS; plus the statistics the table needs (median, min, max of paired ratios).
 * "Peak RSS of a whole process" is the largest resident set any member of the process tree reached (the
 * command itself, or a gs/tiffinfo/tiff2pdf it ran and waited for): wait4's rusage of the child, which on
 * Linux includes its waited-for descendants, the same number getrusage(RUSAGE_CHILDREN) gives. It is a
 * maximum over the members, not a sum of processes that ran at the same time.
 * Commands run with the environment a mail or call gives them (SERVICE_ENV), not the shell's of whoever runs
 * the bench: Postfix's pipe(8) passes only a few variables (export_environment) and Asterisk's System() its own,
 * and a developer's NODE_* variables change what is measured (this machine's NODE_EXTRA_CA_CERTS made every
 * node start read the CA bundle: `node -e 0` 0.11 s instead of 0.07 s).
 * Fails (rejects) when runmax cannot be built or the command exits non-zero, with its output.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../test/helpers/paths.js';

const benchDir = join(repoRoot, 'bench');
export const outDir = join(benchDir, 'out');
const runmaxSrc = join(benchDir, 'runmax.c');
const runmaxBin = join(outDir, 'runmax');

export interface Sample {
  /** seconds */
  wall: number;
  /** peak RSS over the process tree, MiB */
  rssMb: number;
  /** CPU seconds (user + system) of the process tree: steadier than wall time on a loaded machine */
  cpu: number;
  stdout: string;
}

/** Build bench/out/runmax when missing or older than its source. */
async function buildRunmax(): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  if (!existsSync(runmaxBin) || statSync(runmaxBin).mtimeMs < statSync(runmaxSrc).mtimeMs) {
    await promisify(execFile)('gcc', ['-O2', '-Wall', '-o', runmaxBin, runmaxSrc]);
  }
  return runmaxBin;
}

/** What a command started by Postfix or Asterisk sees: a plain PATH, a UTF-8 locale, the time zone if set. */
const SERVICE_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
  LANG: 'C.UTF-8',
  ...(process.env['TZ'] ? { TZ: process.env['TZ'] } : {}),
};

let seq = 0;

/** Run argv (no shell) with stdin from a file; resolves with what it cost. */
export async function measure(
  argv: string[],
  o: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv; okStatus?: number[] } = {},
): Promise<Sample> {
  const bin = await buildRunmax();
  const report = join(outDir, `.report-${process.pid}-${++seq}.json`);
  const child = spawn(bin, [report, o.stdin ?? '/dev/null', ...argv], {
    cwd: o.cwd ?? outDir,
    env: o.env ?? SERVICE_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`runmax failed (${code}): ${stderr}`);
  const r = JSON.parse(readFileSync(report, 'utf8')) as {
    wall: number;
    status: number;
    signal: number;
    maxrss_kb: number;
    tree_maxrss_kb: number;
    user: number;
    sys: number;
  };
  const ok = o.okStatus ?? [0];
  if (r.signal !== 0 || !ok.includes(r.status)) {
    throw new Error(
      `${argv.slice(0, 3).join(' ')} ... exited ${r.status} (signal ` +
        `${r.signal}):\n${stdout.slice(0, 800)}\n${stderr.slice(0, 800)}`,
    );
  }
  return { wall: r.wall, rssMb: Math.max(r.maxrss_kb, r.tree_maxrss_kb) / 1024, cpu: r.user + r.sys, stdout };
}

/** Two samples run one after the other, as one: wall times add up, the peak is the larger one. */
export function sequence(a: Sample, b: Sample): Sample {
  return { wall: a.wall + b.wall, rssMb: Math.max(a.rssMb, b.rssMb), cpu: a.cpu + b.cpu, stdout: a.stdout + b.stdout };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
