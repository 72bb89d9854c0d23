/*
 * archive.ts: the admin's archive of every sent and received fax ([archive] directory): one PDF per fax
 * and a JSON sidecar beside it, by year and month of the call (local time):
 *   <directory>/2026/12/sent-20261202-093000-0123456789ab.pdf   + .json
 *   <directory>/2026/12/received-1764662400.42.pdf              + .json
 * Both files appear whole or not at all (scratch file in the same directory, fsync, rename); the PDF first,
 * the sidecar last, so a sidecar always has its PDF. Archiving again (a repeated report) replaces both.
 * `faxmail cleanup` removes entries older than archive.keep_days (0: never), by the sidecar's time.
 * archiveFax never throws: a full disk or a missing directory must not cost a receipt or a received fax, so
 * the failure is logged (error level, "archive failed") and the caller goes on.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { oneLine } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic.js';
import type { Logger } from '../log.js';

export interface ArchiveRecord {
  version: 1;
  kind: 'sent' | 'received';
  /** the job id (sent) or the received fax id */
  id: string;
  /** ISO time of the call's end */
  at: string;
  /** sent: the number dialled; received: the number that was dialled (the DID) */
  number: string;
  pages: number;
  /** the far end's fax station id ('' when unknown) */
  remoteStationId: string;
  /** sent: SUCCESS; received: SUCCESS or FAILED (a partial fax) */
  status: string;
  /** sent: who asked for the fax (the reply address) */
  sender?: string;
  subject?: string;
  documents?: { name: string; pages: number }[];
  /** received: the caller's number and name; to whom the fax was mailed */
  callerNum?: string;
  callerName?: string;
  recipients?: string[];
  /** the PDF's file name beside this sidecar, its size and SHA-256 */
  pdf: string;
  bytes: number;
  sha256: string;
}

const SAFE_ID = /^[0-9A-Za-z][0-9A-Za-z.-]{0,99}$/;

/** <directory>/<YYYY>/<MM> for a time (server's local time). Pure. */
export function archiveMonthDir(directory: string, at: Date): string {
  return join(directory, String(at.getFullYear()), String(at.getMonth() + 1).padStart(2, '0'));
}

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Copy `src` to `dest` atomically (scratch file beside dest, fsync, rename). */
async function copyAtomic(src: string, dest: string, dir: string): Promise<void> {
  const scratch = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await copyFile(src, scratch);
    const fh = await open(scratch, 'r+');
    try {
      await fh.chmod(0o640);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(scratch, dest);
  } catch (err) {
    await unlink(scratch).catch(() => undefined);
    throw err;
  }
}

/**
 * Archive one fax (see the header comment). Returns the sidecar's path, or undefined when the archive is
 * off or failed (logged).
 */
export async function archiveFax(
  config: Readonly<Config>,
  record: Omit<ArchiveRecord, 'version' | 'pdf' | 'bytes' | 'sha256'>,
  pdf: string,
  log: Logger,
): Promise<string | undefined> {
  const directory = config.archive.directory;
  if (directory === '') return undefined;
  try {
    if (!SAFE_ID.test(record.id) || record.id.includes('..'))
      throw new Error(`unusable id ${JSON.stringify(record.id.slice(0, 40))}`);
    const at = new Date(record.at);
    const dir = archiveMonthDir(directory, Number.isNaN(at.getTime()) ? new Date() : at);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const stem = `${record.kind}-${record.id}`;
    await copyAtomic(pdf, join(dir, `${stem}.pdf`), dir);
    const full: ArchiveRecord = {
      version: 1,
      ...record,
      pdf: `${stem}.pdf`,
      bytes: (await stat(pdf)).size,
      sha256: await sha256Of(pdf),
    };
    const sidecar = join(dir, `${stem}.json`);
    await writeFileAtomic(sidecar, JSON.stringify(full, null, 2) + '\n', { mode: 0o640 });
    log.info({ job: record.id, kind: record.kind, archive: sidecar }, 'fax archived');
    return sidecar;
  } catch (err) {
    log.error(
      { job: record.id, kind: record.kind, directory, err: oneLine(err instanceof Error ? err.message : String(err)) },
      'archive failed',
    );
    return undefined;
  }
}

export interface ArchiveCleanup {
  /** sidecar stems removed (with their PDFs) */
  removed: string[];
}

const DAY = 86_400_000;

/** Remove archived faxes older than archive.keep_days (nothing when the archive is off or keep_days is 0). */
export async function cleanupArchive(
  config: Readonly<Config>,
  log: Logger,
  opts: { now?: Date; dryRun?: boolean } = {},
): Promise<ArchiveCleanup> {
  const { directory, keep_days: keepDays } = config.archive;
  const removed: string[] = [];
  if (directory === '' || keepDays === 0) return { removed };
  const now = (opts.now ?? new Date()).getTime();
  const cutoff = now - keepDays * DAY;
  const list = async (d: string): Promise<string[]> => readdir(d).catch(() => [] as string[]);
  for (const year of (await list(directory)).filter((n) => /^\d{4}$/.test(n))) {
    for (const month of (await list(join(directory, year))).filter((n) => /^\d{2}$/.test(n))) {
      const dir = join(directory, year, month);
      const names = await list(dir);
      for (const name of names) {
        const path = join(dir, name);
        if (name.endsWith('.json')) {
          const rec = await readFile(path, 'utf8')
            .then((t) => JSON.parse(t) as Partial<ArchiveRecord>)
            .catch(() => undefined);
          const st = await stat(path).catch(() => undefined);
          const when =
            rec && typeof rec.at === 'string' && !Number.isNaN(Date.parse(rec.at))
              ? Date.parse(rec.at)
              : (st?.mtimeMs ?? now);
          if (when > cutoff) continue;
          if (!opts.dryRun) {
            // The PDF first: a crash in between leaves a sidecar that the next cleanup finishes.
            await rm(join(dir, `${name.slice(0, -5)}.pdf`), { force: true });
            await rm(path, { force: true });
          }
          removed.push(name.slice(0, -5));
        } else if (name.endsWith('.pdf') && !names.includes(`${name.slice(0, -4)}.json`)) {
          // A PDF whose sidecar was never written (a crash in between): removed once it is old.
          const st = await stat(path).catch(() => undefined);
          if (st && st.mtimeMs <= cutoff && !opts.dryRun) await rm(path, { force: true });
        } else if (name.endsWith('.tmp')) {
          const st = await stat(path).catch(() => undefined);
          if (st && now - st.mtimeMs > DAY && !opts.dryRun) await rm(path, { force: true });
        }
      }
      if (!opts.dryRun) await rmdir(dir).catch(() => undefined); // only when empty
    }
    if (!opts.dryRun) await rmdir(join(directory, year)).catch(() => undefined);
  }
  if (removed.length) log.info({ removed: removed.length, dryRun: !!opts.dryRun }, 'cleanup: archived faxes removed');
  return { removed };
}
