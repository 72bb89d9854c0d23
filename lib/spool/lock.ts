/*
 * lock.ts: locks between processes (sendfax, faxmail-notify, `faxmail run`, the admin CLI) that hold through
 * crashes and reboots: the kernel's flock(2) on a file in the spool's locks/ directory.
 *
 * Why flock and why this way: a lock the kernel holds for an open file is released the instant its holder
 * dies (SIGKILL, OOM, power loss and reboot included), so there is no stale lock to detect and no race in
 * taking one over; pid files (what this module did before) and mtime-refreshed lock dirs (proper-lockfile)
 * both have to guess that an owner is dead, and two waiters can both "take over". Node has no flock(), and the
 * npm bindings (fs-ext, os-lock) are native addons built with node-gyp at install, without prebuilt binaries:
 * a compiler on every gateway. util-linux's flock(1) is on every Debian system (it is Essential) and does
 * the one system call for us: we open the lock file, hand that descriptor to `flock -x N` as its fd 3, and
 * flock(1) locks the open file description that our process shares; when flock(1) exits, our descriptor
 * still holds the lock until we close it or die. Cost: one short child process per lock (~2 ms).
 * Node opens files with O_CLOEXEC, so no other child inherits the descriptor and keeps the lock alive.
 * Waits up to `timeoutMs`, then fails with a temporary error (exit 75 for sendfax: Postfix retries).
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { constants, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { FaxError } from '../errors.js';

/** flock(1) from util-linux: /usr/bin on Debian 12 and 13, /bin on older unmerged systems. */
const FLOCK_PATHS = ['/usr/bin/flock', '/bin/flock'];

let flockPath: string | undefined;
function flockBinary(): string {
  flockPath ??= FLOCK_PATHS.find((p) => existsSync(p));
  if (!flockPath)
    throw new FaxError('internal', `flock(1) is missing (looked for ${FLOCK_PATHS.join(', ')}); install util-linux.`);
  return flockPath;
}

/** Lock the open file `fh` with flock(1); resolves true when held, false when `timeoutMs` passed first. */
function flockFd(fh: FileHandle, timeoutMs: number): Promise<boolean> {
  const wait = timeoutMs <= 0 ? ['-n'] : ['-w', (timeoutMs / 1000).toFixed(3)];
  return new Promise((resolve, reject) => {
    // fd 3 of the child is a dup of our descriptor: same open file description, same lock.
    const child = spawn(flockBinary(), ['-x', '-E', '75', ...wait, '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fh.fd],
      env: {},
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) =>
      reject(new FaxError('internal', `Could not run flock(1): ${err.message}`, { cause: err })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve(true);
      else if (code === 75) resolve(false);
      else
        reject(
          new FaxError('temporary', `Locking failed (flock exit ${code ?? signal}): ${stderr.trim().slice(0, 200)}`),
        );
    });
  });
}

/** A held lock; release() closes the descriptor, which drops the lock. */
export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

/**
 * Take the lock at `lockPath`, waiting up to `timeoutMs` (0: only if free now). Resolves undefined when it
 * stayed busy. The file is created if missing (mode 0664: the Asterisk user and root share these locks)
 * and is never removed: removing a lock file while another process waits on it would give two holders.
 */
export async function tryLock(lockPath: string, timeoutMs: number): Promise<HeldLock | undefined> {
  await mkdir(dirname(lockPath), { recursive: true });
  // O_RDONLY is enough for flock(2); O_CREAT makes the file on first use.
  const fh = await open(lockPath, constants.O_RDONLY | constants.O_CREAT, 0o664);
  let held = false;
  try {
    // Postfix runs sendfax with umask 077: make a new lock file readable for the other users of the spool
    // (the spool directory itself keeps strangers out). Not our file: its owner already set the mode.
    await fh.chmod(0o664).catch(() => undefined);
    held = await flockFd(fh, timeoutMs);
  } finally {
    if (!held) await fh.close().catch(() => undefined);
  }
  if (!held) return undefined;
  let open_ = true;
  return {
    path: lockPath,
    release: async () => {
      if (!open_) return;
      open_ = false;
      await fh.close();
    },
  };
}

/** Run `fn` while holding the lock at `lockPath`. */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const lock = await tryLock(lockPath, timeoutMs);
  if (!lock)
    throw new FaxError('temporary', `The fax spool is busy (lock ${lockPath} held too long); try again later.`);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
