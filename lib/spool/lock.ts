/*
 * lock.ts: a small advisory lock between processes (parallel faxmail-notify runs, the admin CLI).
 * A lock is a file created with O_EXCL holding the owner's pid; a lock whose owner no longer runs is stale
 * and taken over. Waits with short sleeps up to `timeoutMs`, then fails with a temporary error.
 */
import { open, readFile, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FaxError } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryAcquire(lockPath: string): Promise<boolean> {
  try {
    const fh = await open(lockPath, 'wx', 0o644);
    await fh.writeFile(String(process.pid));
    await fh.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    // An empty file may be a lock being written right now: only a dead pid makes it stale.
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      await unlink(lockPath).catch(() => undefined);
    }
    return false;
  }
}

/** Run `fn` while holding the lock at `lockPath`. */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  while (!(await tryAcquire(lockPath))) {
    if (Date.now() > deadline) throw new FaxError('temporary', `The fax spool is busy (lock ${lockPath} held too long); try again later.`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
