/*
 * reports.ts: durable call reports. faxmail-notify first stores the report exactly as the dialplan gave it
 * (every flag a raw string) in <spool>/reports/<job>-<attempt>-<kind>.json, atomically, then applies it.
 * Applying reads the values leniently: a field that cannot be read (pages "99999999999", a resolution of
 * garbage) is kept raw on the attempt and shown as unknown; it never loses the report. Applying is
 * idempotent (the job records attempt numbers; a second report for one attempt changes nothing) and
 * resumable: the file moves to reports/applied/ only after the job has it, and `faxmail run` applies every
 * report still in reports/. A report whose job id or attempt cannot be read is stored under an
 * `unmatched-` name, never applied, and listed by `faxmail status` (which then exits 1).
 * Layout:  reports/<name>.json        stored, not yet applied
 *          reports/applied/<name>.json applied (kept for the record; `faxmail cleanup` ages them out)
 */
import { link, mkdir, readdir, readFile, rename, unlink, chmod, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FaxError } from '../errors.js';
import { fsyncDir, writeFileAtomic } from '../fsutil/atomic.js';
import { isJobId } from '../spool/job-id.js';
import type { SpoolPaths } from '../spool/jobs.js';
import type { NotifyResult, SentReport, UnansweredReport } from '../notify/outbound.js';

export type ReportKind = 'sent' | 'unanswered';

export interface StoredReport {
  version: 1;
  kind: ReportKind;
  /** ISO time faxmail-notify stored it */
  received: string;
  /** every flag as the dialplan passed it (without --config) */
  values: Record<string, string>;
}

export function reportDirs(paths: SpoolPaths): { pending: string; applied: string } {
  return { pending: paths.reports, applied: join(paths.reports, 'applied') };
}

const NAME = /^(?:[0-9]{8}-[0-9]{6}-[0-9a-f]{12}-[0-9]{1,4}|unmatched-[0-9a-z-]+)-(sent|unanswered)\.json$/;

/** The file name of a report: keyed by job and attempt, so the hangup handler and `h` store one file. */
function reportName(kind: ReportKind, values: Record<string, string>, now: Date = new Date()): string {
  const job = values['job'] ?? '';
  const attempt = (values['attempt'] ?? '').trim();
  if (isJobId(job) && /^[0-9]{1,4}$/.test(attempt) && Number(attempt) >= 1)
    return `${job}-${Number(attempt)}-${kind}.json`;
  return `unmatched-${now.getTime().toString(36)}-${randomBytes(4).toString('hex')}-${kind}.json`;
}

/**
 * Store a report whole. Returns its name and whether the same report (same job, attempt and kind) was
 * already stored or applied, in which case the first one stands.
 */
export async function storeReport(
  paths: SpoolPaths,
  kind: ReportKind,
  values: Record<string, string>,
  now: Date = new Date(),
): Promise<{ name: string; duplicate: boolean }> {
  const dirs = reportDirs(paths);
  for (const d of [dirs.pending, dirs.applied])
    if ((await mkdir(d, { recursive: true, mode: 0o750 })) !== undefined) await chmod(d, 0o750);
  const name = reportName(kind, values, now);
  if (existsSync(join(dirs.applied, name))) return { name, duplicate: true };
  const record: StoredReport = { version: 1, kind, received: now.toISOString(), values };
  // Written whole under a private name, then linked to its own name: link(2) never replaces a file, so a
  // second report for the same attempt cannot overwrite the first.
  const scratch = join(dirs.pending, `.in-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeFileAtomic(scratch, JSON.stringify(record) + '\n', { mode: 0o640 });
  try {
    await link(scratch, join(dirs.pending, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { name, duplicate: true };
  } finally {
    await unlink(scratch).catch(() => undefined);
  }
  await fsyncDir(dirs.pending);
  return { name, duplicate: false };
}

async function readStoredReport(file: string): Promise<StoredReport> {
  const r = JSON.parse(await readFile(file, 'utf8')) as StoredReport;
  if (r.version !== 1 || (r.kind !== 'sent' && r.kind !== 'unanswered') || typeof r.values !== 'object')
    throw new FaxError('internal', `The report ${file} has an unknown format.`);
  return r;
}

/** Reports stored and not yet applied, oldest first; unmatched ones separately. */
export async function listPendingReports(paths: SpoolPaths): Promise<{ pending: string[]; unmatched: string[] }> {
  const names = await readdir(reportDirs(paths).pending).catch(() => [] as string[]);
  const valid = names.filter((n) => NAME.test(n)).sort();
  return {
    pending: valid.filter((n) => !n.startsWith('unmatched-')),
    unmatched: valid.filter((n) => n.startsWith('unmatched-')),
  };
}

/** A whole number from a raw field, or undefined when it cannot be read. */
function readInt(raw: string | undefined, max: number): number | undefined {
  const t = (raw ?? '').trim();
  if (!/^[0-9]{1,9}$/.test(t)) return undefined;
  const n = Number(t);
  return n <= max ? n : undefined;
}

/** Read a stored report's values leniently into the shape lib/notify applies. Pure. */
function interpretReport(
  r: StoredReport,
): { kind: 'sent'; report: SentReport } | { kind: 'unanswered'; report: UnansweredReport } {
  const v = r.values;
  const unknown: string[] = [];
  const raw: Record<string, string> = {};
  const num = (name: string, max: number, empty: number | undefined): number | undefined => {
    const value = v[name];
    if ((value ?? '').trim() === '' && empty !== undefined) return empty;
    const n = readInt(value, max);
    if (n === undefined) {
      unknown.push(name);
      raw[name] = String(value ?? '(missing)').slice(0, 80);
    }
    return n;
  };
  const job = v['job'] ?? '';
  const attempt = Number(v['attempt']);
  if (r.kind === 'unanswered') {
    const reason = num('reason', 1000, undefined);
    const report: UnansweredReport = { job, attempt, reason };
    if (unknown.length) Object.assign(report, { unknown, raw });
    return { kind: 'unanswered', report };
  }
  const status = (v['status'] ?? '').trim();
  if (!/^[A-Z]*$/.test(status) || status === '') {
    unknown.push('status');
    raw['status'] = String(v['status'] ?? '(missing)').slice(0, 80);
  }
  const resolution = (v['resolution'] ?? '').trim();
  if (resolution !== '' && !/^[0-9]{1,6}x[0-9]{1,6}$/.test(resolution)) {
    unknown.push('resolution');
    raw['resolution'] = resolution.slice(0, 80);
  }
  const report: SentReport = {
    job,
    attempt,
    status: /^[A-Z]+$/.test(status) ? status : 'UNKNOWN',
    error: (v['error'] ?? '').slice(0, 200),
    pages: num('pages', 100_000, 0) ?? 0,
    rate: num('rate', 1_000_000, 0) ?? 0,
    resolution: /^[0-9]{1,6}x[0-9]{1,6}$/.test(resolution) ? resolution : '',
    remoteId: v['remote-id'] ?? '',
    ...((v['mode'] ?? '').trim() !== '' ? { mode: v['mode']!.trim() } : {}),
  };
  if ((v['duration'] ?? '').trim() !== '') {
    const d = num('duration', 10 * 86400, undefined);
    if (d !== undefined) report.duration = d;
  }
  if (unknown.length) Object.assign(report, { unknown, raw });
  return { kind: 'sent', report };
}

export interface AppliedReport {
  name: string;
  result?: NotifyResult;
  /** the job is gone (cleaned up or never existed): the report is filed as applied, nothing to do */
  orphan?: boolean;
}

/**
 * Apply one stored report (idempotent) and file it under applied/. The caller holds the queue lock, and
 * afterwards sends the receipt it leaves pending (apply.ts, sendOwed). Throws on I/O trouble: the report stays
 * and the next run tries again.
 */
export async function applyStoredReport(
  config: Readonly<Config>,
  paths: SpoolPaths,
  name: string,
  log: Logger,
  now: Date = new Date(),
): Promise<AppliedReport> {
  const dirs = reportDirs(paths);
  const file = join(dirs.pending, name);
  const stored = await readStoredReport(file);
  const { reportSent, reportUnanswered } = await import('../notify/outbound.js');
  const it = interpretReport(stored);
  let out: AppliedReport = { name };
  try {
    // The receipt stays pending (noticePending): the caller sends it after letting go of the queue lock.
    const result =
      it.kind === 'sent'
        ? await reportSent(config, it.report, log, now, { sendReceipt: false })
        : await reportUnanswered(config, it.report, log, now, { sendReceipt: false });
    out = { name, result };
  } catch (err) {
    if (!(err instanceof FaxError && err.code === 'not-found')) throw err;
    log.warn({ report: name }, 'report for a job that is not in the spool; filed as applied');
    out = { name, orphan: true };
  }
  await rename(file, join(dirs.applied, name));
  await fsyncDir(dirs.pending);
  return out;
}

/**
 * After the queue lock is released: hand over a receipt or notice a job owes (a just-applied report, a lost
 * call given up), then keep a sent fax in the archive. Fills in the report's result for the caller's output.
 */
export async function sendOwedNotice(
  config: Readonly<Config>,
  paths: SpoolPaths,
  job: string,
  kind: 'success' | 'failure',
  log: Logger,
  report?: AppliedReport,
): Promise<void> {
  const { archiveSent, sendReceipt } = await import('../notify/outbound.js');
  const how = await sendReceipt(config, paths, job, kind, log);
  if (report?.result) report.result.receipt = how;
  // The archive copy, after the receipt (which may have made the PDF already): its failure costs nothing else.
  if (kind === 'success' && config.archive.directory !== '') await archiveSent(config, paths, job, log);
}

/** Applied reports older than `days`, removed by `faxmail cleanup`. */
export async function oldAppliedReports(paths: SpoolPaths, days: number, now: Date = new Date()): Promise<string[]> {
  const dir = reportDirs(paths).applied;
  const out: string[] = [];
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    const st = await stat(join(dir, n)).catch(() => undefined);
    if (st && now.getTime() - st.mtimeMs > days * 86_400_000) out.push(join(dir, n));
  }
  return out;
}
