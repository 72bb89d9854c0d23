/*
 * queue.ts: hand a call file to Asterisk. Written in paths.tmp (same filesystem as outgoing), fsynced,
 * chowned to callfile.owner/group, mtime set (a future mtime schedules the call), then renamed into the
 * outgoing dir, where Asterisk's inotify watch sees it whole (IN_MOVED_TO).
 */
import { join } from 'node:path';
import { FaxError } from '../errors.js';
import { rename, utimes } from 'node:fs/promises';
import { fsyncDir, writeFileAtomic } from '../fsutil/atomic.js';
import { lookup, type Database } from '../accounts.js';

/** uid or gid of a name (lib/accounts.ts: the local file, or getent for LDAP etc.); numeric names pass through. */
function resolveId(kind: Database, name: string): number {
  if (/^[0-9]+$/.test(name)) return Number(name);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name))
    throw new FaxError(
      'config',
      `Setting "callfile.${kind === 'passwd' ? 'owner' : 'group'}": "${name.slice(0, 40)}" is not a valid name.`,
    );
  const id = lookup(kind, name)?.[2] ?? '';
  if (/^[0-9]+$/.test(id)) return Number(id);
  throw new FaxError(
    'config',
    `Setting "callfile.${kind === 'passwd' ? 'owner' : 'group'}": there is no ` +
      `${kind === 'passwd' ? 'user' : 'group'} "${name}" on this machine.`,
  );
}

export interface DropOptions {
  outgoing: string;
  tmp: string;
  owner: string;
  group: string;
  /** when the call should be made (default now) */
  at?: Date;
}

/*
 * Two steps for the dispatcher (lib/queue/apply.ts), so a crash at any instant leaves a state `faxmail run`
 * can finish: the call file is first made whole in paths.tmp under its final name (stageCallFile), then the
 * job is made `dialling` durably, then the file is renamed into outgoing (placeStagedCallFile). A dialling
 * job whose call file is still in tmp was interrupted between the last two steps: placing it finishes the job.
 */

/** Write the call file whole as tmp/<name> (owner, mode, fsync), not yet visible to Asterisk. */
export async function stageCallFile(
  name: string,
  text: string,
  options: Omit<DropOptions, 'outgoing'>,
): Promise<string> {
  const staged = join(options.tmp, name);
  const asRoot = process.getuid?.() === 0;
  const writeOptions: Parameters<typeof writeFileAtomic>[2] = { tmpDir: options.tmp, mode: 0o660 };
  if (asRoot) {
    writeOptions.uid = resolveId('passwd', options.owner);
    writeOptions.gid = resolveId('group', options.group);
  }
  if (options.at) writeOptions.mtime = options.at;
  await writeFileAtomic(staged, text, writeOptions);
  return staged;
}

/** Hand a staged call file to Asterisk (rename into outgoing, on the same filesystem); returns its path. */
export async function placeStagedCallFile(
  name: string,
  options: { tmp: string; outgoing: string; at?: Date },
): Promise<string> {
  const staged = join(options.tmp, name);
  const dest = join(options.outgoing, name);
  // The mtime is when Asterisk dials: a file staged before a crash and placed later must not wait.
  const at = options.at ?? new Date();
  await utimes(staged, at, at);
  await rename(staged, dest);
  await fsyncDir(options.outgoing);
  return dest;
}
