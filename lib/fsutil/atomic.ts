/*
 * atomic.ts: files appear whole or not at all. Write under a unique name in a scratch directory on the
 * same filesystem, fsync, set owner/mode/mtime, rename(2) into place, fsync the directory. On any failure the
 * scratch file is removed. Scratch files and directories being built are tracked, so that a program told to
 * stop can remove them (removeScratchFiles, called from the handlers bin/ installs: lib/cli/signals.ts).
 */
import { open, rename, unlink, chown, utimes, mkdir, readdir } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

const pending = new Set<string>();

/** Remove every scratch file and registered path now (sync: it runs in a signal handler, just before exit). */
export function removeScratchFiles(): void {
  for (const f of pending) rmSync(f, { recursive: true, force: true });
  pending.clear();
}

export interface AtomicWriteOptions {
  /** directory for the scratch file; must be on dest's filesystem (default: dest's directory) */
  tmpDir?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** modification time to set before the rename (future = scheduled call) */
  mtime?: Date;
}

/** Write `data` to `dest` atomically. */
export async function writeFileAtomic(
  dest: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = options.tmpDir ?? join(dest, '..');
  await mkdir(dir, { recursive: true });
  const scratch = join(dir, `.${basename(dest)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  pending.add(scratch);
  try {
    const fh = await open(scratch, 'wx', options.mode ?? 0o644);
    try {
      // Postfix runs pipe commands with umask 077: set the mode we asked for explicitly.
      await fh.chmod(options.mode ?? 0o644);
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (options.uid !== undefined && options.gid !== undefined && process.getuid?.() === 0) {
      await chown(scratch, options.uid, options.gid);
    }
    if (options.mtime) await utimes(scratch, options.mtime, options.mtime);
    await rename(scratch, dest);
    pending.delete(scratch);
    // The rename is durable only once the directory is: a crash must not bring back the old file.
    await fsyncDir(dirname(dest));
  } catch (err) {
    pending.delete(scratch);
    await unlink(scratch).catch(() => undefined);
    throw err;
  }
}

/** fsync a directory, so the names created, renamed or removed in it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync every file and directory under `dir` (and `dir` itself): before a rename publishes it. */
export async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(p);
    else if (entry.isFile()) {
      const fh = await open(p, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }
  await fsyncDir(dir);
}

/** Register a path for removeScratchFiles (e.g. a job directory being built); returns the way to forget it. */
export function removeOnSignal(path: string): () => void {
  pending.add(path);
  return () => pending.delete(path);
}
