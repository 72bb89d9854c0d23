/*
 * record.ts: <spool>/inbound/<id>.json, what became of one received fax. It makes handleReceived
 * idempotent (the dialplan's h extension and hangup handler may both report a call) and lets
 * `faxmail status` and `faxmail cleanup` see the received faxes. Replaced atomically.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FaxError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic.js';
import type { SpoolPaths } from '../spool/jobs.js';
import type { FaxMode } from '../spool/types.js';

/** delivered/queued/empty are final; no-recipient waits for the admin (a new run tries again). */
export type InboundState = 'delivered' | 'queued' | 'empty' | 'no-recipient';
export const FINAL_INBOUND_STATES: ReadonlySet<InboundState> = new Set(['delivered', 'queued', 'empty']);

export interface InboundRecord {
  version: 1;
  id: string;
  state: InboundState;
  did: string;
  callerNum: string;
  callerName: string;
  remoteId: string;
  status: string;
  error: string;
  /** pages in the received TIFF (0: none) */
  pages: number;
  partial: boolean;
  /** what the line carried (FAXMODE), when the dialplan reported it */
  mode?: FaxMode;
  recipients: string[];
  /** file names inside <spool>/inbound */
  tiff?: string;
  pdf?: string;
  /** ISO time the call ended (TIFF mtime, else the report time) */
  received: string;
  /** ISO time this record was written */
  handled: string;
  /** the empty-receive report went to the admin */
  reported?: boolean;
}

/** [0-9A-Za-z.-], as the dialplan makes it; no leading dot, no "..". */
const INBOUND_ID = /^[0-9A-Za-z][0-9A-Za-z.-]{0,99}$/;

function isInboundId(id: string): boolean {
  return INBOUND_ID.test(id) && !id.includes('..');
}

export function checkInboundId(id: string): string {
  if (!isInboundId(id))
    throw new FaxError(
      'usage',
      `"${id.slice(0, 60)}" is not a received fax id (letters, digits, dots and dashes only).`,
    );
  return id;
}

export const inboundFile = (paths: SpoolPaths, id: string, ext: 'tif' | 'pdf' | 'json'): string =>
  join(paths.inbound, `${id}.${ext}`);

export async function readInboundRecord(paths: SpoolPaths, id: string): Promise<InboundRecord | undefined> {
  try {
    return JSON.parse(await readFile(inboundFile(paths, id, 'json'), 'utf8')) as InboundRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writeInboundRecord(paths: SpoolPaths, rec: InboundRecord): Promise<void> {
  await writeFileAtomic(inboundFile(paths, rec.id, 'json'), JSON.stringify(rec, null, 2) + '\n', { mode: 0o640 });
}

/** Ids of every received fax in the spool: records and TIFFs without a record. */
export async function listInboundIds(paths: SpoolPaths): Promise<{ recorded: string[]; unhandled: string[] }> {
  let names: string[];
  try {
    names = await readdir(paths.inbound);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { recorded: [], unhandled: [] };
    throw err;
  }
  const stem = (n: string, ext: string): string | undefined => (n.endsWith(ext) ? n.slice(0, -ext.length) : undefined);
  const recorded = new Set(
    names.map((n) => stem(n, '.json')).filter((s): s is string => s !== undefined && isInboundId(s)),
  );
  const unhandled = names
    .map((n) => stem(n, '.tif'))
    .filter((s): s is string => s !== undefined && isInboundId(s) && !recorded.has(s));
  return { recorded: [...recorded].sort(), unhandled: unhandled.sort() };
}
