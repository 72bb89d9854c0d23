/* process.ts: what tests ask about processes by pid, read from /proc. */
import { readFileSync } from 'node:fs';
import { waitUntil } from './wait.js';

/**
 * Is `pid` a live process? A zombie (exited, not yet reaped) is not alive; a process of another user is
 * (kill(pid, 0) answers EPERM, /proc still shows it).
 */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the state letter follows the command name, which is in parentheses and may itself hold ") "
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** Wait until `pid` is gone (a kill takes a moment to land); fail after `timeoutMs` naming `what`. */
export async function waitGone(pid: number, what: string, timeoutMs = 10_000): Promise<void> {
  await waitUntil(() => !alive(pid), timeoutMs, `${what} (pid ${pid}) to be gone`, 20);
}
