/*
 * outbox.ts: mails that could not be delivered yet, in <spool>/outbox/:
 *   <id>.eml   the rendered message, exactly as it will be sent
 *   <id>.json  an OutboxRecord: envelope, attempts, last error, created
 * The .eml is written first and the .json second, both atomically: an entry exists once its .json does,
 * so a crash in between leaves only an orphan .eml (removed by `faxmail cleanup`). Ids sort by creation.
 * Fails with the underlying I/O error; callers decide what that means.
 */
import { readdir, readFile, unlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../fsutil/atomic.js';
import type { SpoolPaths } from '../spool/jobs.js';
import type { OutboxRecord } from './types.js';

const OUTBOX_ID = /^[0-9]{8}T[0-9]{9}-[0-9a-f]{12}$/;

let lastMs = 0;

/** YYYYMMDDTHHMMSSmmm-<random>: sorts by creation; strictly increasing within one process. */
export function newOutboxId(now: Date = new Date()): string {
  const ms = Math.max(now.getTime(), lastMs + 1);
  lastMs = ms;
  const stamp = new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d+)Z$/, '$1');
  return `${stamp}-${randomBytes(6).toString('hex')}`;
}

function isOutboxId(id: string): boolean {
  return OUTBOX_ID.test(id);
}

const emlPath = (paths: SpoolPaths, id: string): string => join(paths.outbox, `${id}.eml`);
const recordPath = (paths: SpoolPaths, id: string): string => join(paths.outbox, `${id}.json`);

/** Store a rendered message and its record. */
export async function putInOutbox(paths: SpoolPaths, record: OutboxRecord, raw: Buffer): Promise<void> {
  await writeFileAtomic(emlPath(paths, record.id), raw, { mode: 0o640 });
  await writeFileAtomic(recordPath(paths, record.id), JSON.stringify(record, null, 2) + '\n', { mode: 0o640 });
}

export async function writeOutboxRecord(paths: SpoolPaths, record: OutboxRecord): Promise<void> {
  await writeFileAtomic(recordPath(paths, record.id), JSON.stringify(record, null, 2) + '\n', { mode: 0o640 });
}

export async function readOutboxMessage(paths: SpoolPaths, id: string): Promise<Buffer> {
  return readFile(emlPath(paths, id));
}

/** Remove an entry: the record first, so a half-removed entry is an orphan .eml, never a record without mail. */
export async function removeFromOutbox(paths: SpoolPaths, id: string): Promise<void> {
  await unlink(recordPath(paths, id)).catch(ignoreMissing);
  await unlink(emlPath(paths, id)).catch(ignoreMissing);
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}

async function names(paths: SpoolPaths): Promise<string[]> {
  try {
    return await readdir(paths.outbox);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every waiting entry, oldest first. Records that cannot be read are reported in `broken`. */
export async function listOutbox(paths: SpoolPaths): Promise<{ entries: OutboxRecord[]; broken: string[] }> {
  const ids = (await names(paths))
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -5))
    .filter(isOutboxId)
    .sort();
  const entries: OutboxRecord[] = [];
  const broken: string[] = [];
  for (const id of ids) {
    try {
      const rec = JSON.parse(await readFile(recordPath(paths, id), 'utf8')) as OutboxRecord;
      if (rec.version !== 1 || rec.id !== id || !Array.isArray(rec.envelope?.to)) throw new Error('unknown format');
      entries.push(rec);
    } catch (err) {
      // Removed by a parallel flusher between readdir and read: not broken, just gone.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      broken.push(id);
    }
  }
  return { entries, broken };
}

/** .eml files without a record, older than `olderThanMs` (left by a crash between the two writes). */
export async function findOrphanMessages(
  paths: SpoolPaths,
  olderThanMs: number,
  now: Date = new Date(),
): Promise<string[]> {
  const all = await names(paths);
  const records = new Set(all.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
  const out: string[] = [];
  for (const n of all) {
    if (!n.endsWith('.eml')) continue;
    const id = n.slice(0, -4);
    if (!isOutboxId(id) || records.has(id)) continue;
    const st = await stat(join(paths.outbox, n)).catch(() => undefined);
    if (st && now.getTime() - st.mtimeMs > olderThanMs) out.push(id);
  }
  return out;
}
