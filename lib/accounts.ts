/*
 * accounts.ts: users and groups by name or id, as getent(1) would answer, without starting getent where the
 * answer is local. When /etc/nsswitch.conf has `files` first for the database (Debian's default,
 * "passwd: files systemd") and /etc/passwd or /etc/group holds the entry, that line is the answer getent
 * would give; otherwise (LDAP, sssd, systemd's dynamic users, a name that is not in the file) getent is
 * asked, so every NSS source still works. A getent process costs 20-40 ms; sendfax and faxmail-notify ask
 * for the call file's owner and group on every call they start as root. The files are read once a process.
 * lookupUser adds the user's groups (`id -G`), lookupGroup the id of a group: the config check, the switch
 * to the spool owner and `faxmail send` use them.
 * Returns undefined for an entry nobody knows; never throws.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export type Database = 'passwd' | 'group';

/** One entry: its fields split at ':' (passwd: name, x, uid, gid, gecos, home, shell; group: name, x, gid, members). */
export type Entry = readonly string[];

const files: Record<Database, string> = { passwd: '/etc/passwd', group: '/etc/group' };

/** Does NSS look in the local file first for `db`? Pure: the text of nsswitch.conf in. */
export function filesFirst(nsswitch: string, db: Database): boolean {
  for (const line of nsswitch.split('\n')) {
    const m = /^\s*([a-z]+)\s*:\s*([^#\s]*)/.exec(line);
    if (m?.[1] === db) return m[2] === 'files';
  }
  // No line for the database: glibc's default is "files" first too.
  return true;
}

/** The entry whose name (or id, field 2) is `key`, in the lines of a passwd or group file. Pure. */
export function findEntry(text: string, key: string): Entry | undefined {
  const byId = /^[0-9]+$/.test(key);
  for (const line of text.split('\n')) {
    // '+' and '-' lines are NIS compat entries, not accounts.
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    if (byId ? f[2] === key : f[0] === key) return f;
  }
  return undefined;
}

function readLocal(db: Database): string | undefined {
  try {
    if (!filesFirst(readFileSync('/etc/nsswitch.conf', 'utf8'), db)) return undefined;
  } catch {
    // No nsswitch.conf: glibc looks in the files.
  }
  try {
    return readFileSync(files[db], 'utf8');
  } catch {
    return undefined;
  }
}

const texts = new Map<Database, string | undefined>();
const asked = new Map<string, Entry | undefined>();

/** The entry for a name or numeric id in `db`: from the local file where it is authoritative, else getent. */
export function lookup(db: Database, key: string | number): Entry | undefined {
  const k = String(key);
  if (!texts.has(db)) texts.set(db, readLocal(db));
  const text = texts.get(db);
  const found = text === undefined ? undefined : findEntry(text, k);
  if (found) return found;
  const cacheKey = `${db}:${k}`;
  if (!asked.has(cacheKey)) asked.set(cacheKey, getent(db, k));
  return asked.get(cacheKey);
}

function getent(db: Database, key: string): Entry | undefined {
  try {
    const line = execFileSync('getent', [db, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const f = line.split('\n')[0]!.split(':');
    return f.length >= 4 ? f : undefined;
  } catch {
    return undefined;
  }
}

export interface Account {
  name: string;
  uid: number;
  gid: number;
  /** every group id the account is in, primary included */
  groups: number[];
}

/** A user from the system's user database (lookup above, so LDAP users work too), or undefined. */
export function lookupUser(nameOrUid: string | number): Account | undefined {
  const pw = lookup('passwd', nameOrUid);
  if (!pw) return undefined;
  const name = pw[0]!;
  const uid = Number(pw[2]);
  const gid = Number(pw[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  const groups = new Set<number>([gid]);
  try {
    const ids = execFileSync('id', ['-G', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split(/\s+/);
    for (const g of ids) if (/^[0-9]+$/.test(g)) groups.add(Number(g));
  } catch {
    // primary group only
  }
  return { name, uid, gid, groups: [...groups] };
}

/** A group's id by name or id, or undefined. */
export function lookupGroup(nameOrGid: string | number): number | undefined {
  const gid = Number(lookup('group', nameOrGid)?.[2]);
  return Number.isInteger(gid) ? gid : undefined;
}
