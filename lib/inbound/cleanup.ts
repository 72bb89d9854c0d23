/*
 * cleanup.ts: remove received faxes (TIFF, PDF, record) whose mail was handed over more than
 * retention.received_days ago. Faxes that were never handled (a TIFF without a record) or wait for a recipient
 * are kept whatever their age and counted, so `faxmail status` can point at them.
 * Fails with the underlying I/O error.
 */
import { rm } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { spoolPaths } from '../spool/jobs.js';
import { FINAL_INBOUND_STATES, inboundFile, listInboundIds, readInboundRecord } from './record.js';

export interface InboundCleanup {
  removed: string[];
  /** kept although old: not handled, or no recipient */
  keptUnhandled: string[];
}

export async function cleanupInbound(
  config: Readonly<Config>,
  log: Logger,
  opts: { now?: Date; dryRun?: boolean } = {},
): Promise<InboundCleanup> {
  const now = opts.now ?? new Date();
  const cutoff = now.getTime() - config.retention.received_days * 86_400_000;
  const paths = spoolPaths(config.paths.spool);
  const { recorded, unhandled } = await listInboundIds(paths);
  const removed: string[] = [];
  const keptUnhandled = [...unhandled];
  for (const id of recorded) {
    const rec = await readInboundRecord(paths, id).catch(() => undefined);
    if (!rec || !FINAL_INBOUND_STATES.has(rec.state)) {
      keptUnhandled.push(id);
      continue;
    }
    const handled = Date.parse(rec.handled);
    if (!(handled <= cutoff)) continue;
    if (!opts.dryRun) {
      // The record last: a crash midway leaves a record that the next cleanup finishes.
      for (const ext of ['tif', 'pdf', 'json'] as const) await rm(inboundFile(paths, id, ext), { force: true });
    }
    removed.push(id);
  }
  if (removed.length) log.info({ removed: removed.length, dryRun: !!opts.dryRun }, 'cleanup: received faxes removed');
  return { removed, keptUnhandled: keptUnhandled.sort() };
}
