/*
 * cleanup.ts: `faxmail cleanup`. Removes what is done and by the [retention] settings:
 *   received faxes whose mail was handed over more than retention.received_days ago (lib/inbound/cleanup.ts),
 *   finished jobs (sent, failed, cancelled) last updated more than retention.sent_days ago,
 *   outbox messages left without a record by a crash (older than a day),
 *   job staging directories (jobs/.new-*) left by a crashed sendfax (older than a day),
 *   applied call reports (reports/applied/, lib/queue/reports.ts) older than retention.sent_days,
 *   lock files (locks/job-*, notice-*, staging-*, inbound-*) of jobs and received faxes that are gone, and
 *   mail-key locks (mail-*) a killed sendfax left,
 *   archived faxes older than archive.keep_days (its own setting; 0 keeps them for ever).
 * Jobs still queued or waiting, and mails still waiting in the outbox, are never removed.
 * Fails with the underlying I/O error.
 */
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { cleanupArchive } from '../archive/archive.js';
import { cleanupInbound } from '../inbound/cleanup.js';
import { findOrphanMessages } from '../mail/outbox.js';
import { jobDir, listJobIds, readJob, spoolPaths } from '../spool/jobs.js';
import { withLock } from '../spool/lock.js';
import { isFinalState } from '../spool/types.js';

export interface CleanupResult {
  inbound: string[];
  inboundKept: string[];
  jobs: string[];
  outboxOrphans: string[];
  staging: string[];
  /** archived faxes older than archive.keep_days */
  archive: string[];
  dryRun: boolean;
}

const DAY = 86_400_000;

export async function cleanupSpool(
  config: Readonly<Config>,
  log: Logger,
  opts: { now?: Date; dryRun?: boolean } = {},
): Promise<CleanupResult> {
  const now = opts.now ?? new Date();
  const dryRun = !!opts.dryRun;
  const paths = spoolPaths(config.paths.spool);
  const cutoff = now.getTime() - config.retention.sent_days * DAY;
  const inbound = await cleanupInbound(config, log, { now, dryRun });

  const jobs: string[] = [];
  for (const id of await listJobIds(paths)) {
    const dir = jobDir(paths, id);
    const job = await readJob(dir).catch(() => undefined);
    if (!job || !isFinalState(job.state)) continue;
    if (!(Date.parse(job.updated) <= cutoff)) continue;
    if (!dryRun) {
      await withLock(join(paths.locks, `job-${id}.lock`), async () => {
        // Re-read under the lock: a late notify may have touched it.
        const again = await readJob(dir).catch(() => undefined);
        if (again && Date.parse(again.updated) <= cutoff) await rm(dir, { recursive: true, force: true });
      });
    }
    jobs.push(id);
  }

  const outboxOrphans = await findOrphanMessages(paths, DAY, now);
  if (!dryRun) for (const id of outboxOrphans) await unlink(join(paths.outbox, `${id}.eml`)).catch(() => undefined);

  const staging: string[] = [];
  for (const name of await readdir(paths.jobs).catch(() => [] as string[])) {
    if (!name.startsWith('.new-')) continue;
    const st = await stat(join(paths.jobs, name)).catch(() => undefined);
    if (!st || now.getTime() - st.mtimeMs <= DAY) continue;
    if (!dryRun) await rm(join(paths.jobs, name), { recursive: true, force: true });
    staging.push(name);
  }
  const archive = (await cleanupArchive(config, log, { now, dryRun })).removed;
  // flock files (lib/spool/lock.ts) stay after use; those of jobs and received faxes now gone can go.
  const { tryLock } = await import('../spool/lock.js');
  for (const name of await readdir(paths.locks).catch(() => [] as string[])) {
    const m = /^(job|notice|staging|inbound|mail)-(.+)\.lock$/.exec(name);
    if (!m) continue;
    // A mail-key lock is removed by its sendfax after use; one left by a killed run can go once it is free.
    const gone =
      m[1] === 'mail'
        ? true
        : m[1] === 'inbound'
          ? !existsSync(join(paths.inbound, `${m[2]}.json`)) && !existsSync(join(paths.inbound, `${m[2]}.tif`))
          : !existsSync(join(paths.jobs, m[2]!)) && !existsSync(join(paths.jobs, `.new-${m[2]}`));
    if (!gone || dryRun) continue;
    const lock = await tryLock(join(paths.locks, name), 0);
    if (!lock) continue;
    await unlink(join(paths.locks, name)).catch(() => undefined);
    await lock.release();
  }
  const { oldAppliedReports } = await import('../queue/reports.js');
  // Applied call reports are kept as long as the jobs they belong to.
  const reports = await oldAppliedReports(paths, config.retention.sent_days, now);
  if (!dryRun) for (const f of reports) await unlink(f).catch(() => undefined);
  log.info(
    {
      reports: reports.length,
      inbound: inbound.removed.length,
      jobs: jobs.length,
      outboxOrphans: outboxOrphans.length,
      staging: staging.length,
      archive: archive.length,
      dryRun,
    },
    'cleanup done',
  );
  return {
    inbound: inbound.removed,
    inboundKept: inbound.keptUnhandled,
    jobs,
    outboxOrphans,
    staging,
    archive,
    dryRun,
  };
}
