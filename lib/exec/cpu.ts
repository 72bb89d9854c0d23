/*
 * cpu.ts: CPU time of a running process tree, from Linux's /proc (utime + stime of the process and of
 * every descendant still running, plus cutime + cstime: what its children that already ended used).
 * Node cannot read a child's rusage, so lib/exec/run.ts samples this while a tool runs. Never throws: a
 * process that is gone (or a system without /proc) counts as 0.
 */
import { readFile, readdir } from 'node:fs/promises';

/** Clock ticks per second in /proc/<pid>/stat: USER_HZ, 100 on every Linux architecture's user ABI. */
const TICKS_PER_SECOND = 100;

/** utime+stime+cutime+cstime of one process in ticks, from the text of /proc/<pid>/stat; undefined if unreadable. */
export function parseStatTicks(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
  const nums = [11, 12, 13, 14].map((i) => Number(fields[i]));
  if (nums.some((n) => !Number.isFinite(n))) return undefined;
  return nums.reduce((a, b) => a + b, 0);
}

async function ticksOf(pid: number): Promise<number> {
  try {
    return parseStatTicks(await readFile(`/proc/${pid}/stat`, 'latin1')) ?? 0;
  } catch {
    return 0;
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'latin1');
      for (const c of text.trim().split(/\s+/)) if (/^\d+$/.test(c)) out.push(Number(c));
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

/** CPU milliseconds used so far by `pid` and all its descendants (bounded walk). */
export async function treeCpuMs(pid: number): Promise<number> {
  let ticks = 0;
  const seen = new Set<number>();
  const todo = [pid];
  while (todo.length > 0 && seen.size < 256) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    ticks += await ticksOf(p);
    todo.push(...(await childrenOf(p)));
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
