/*
 * status.ts: what the spool holds, for `faxmail status`: jobs by state (with the ones still dialling
 * listed), mails waiting in the outbox (however old: they are never dropped, so they are shown here),
 * and received faxes by state. collectStatus reads; formatStatus is pure.
 * Fails with the underlying I/O error; a job record that cannot be read is listed, not fatal.
 */
import { localTime } from '../cli/time.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { listInboundIds, readInboundRecord, type InboundState } from '../inbound/record.js';
import { listOutbox } from '../mail/outbox.js';
import { jobDir, listJobIds, readJob, spoolPaths } from '../spool/jobs.js';
import type { JobState } from '../spool/types.js';

export interface ActiveJob {
  id: string;
  state: JobState;
  number: string;
  pages: number;
  attempts: number;
  nextAttemptAt?: string;
  created: string;
  /**
   * Dialling, due for a while, yet its call file is no longer in Asterisk's outgoing dir and no result came:
   * the call ran but faxmail-notify never reported (dialplan not installed, notify failing), or the file
   * was removed by hand. `faxmail cancel` it and resend, after fixing the cause.
   */
  lost: boolean;
}

/** How long a due job may be without its call file before it counts as lost (a call and its fax take minutes). */
export const LOST_AFTER_MS = 30 * 60 * 1000;

/** Pure: is a dialling job lost? (see ActiveJob.lost) */
export function isLost(job: { state: JobState; nextAttemptAt?: string; callFile?: string }, callFilePresent: boolean, now: Date): boolean {
  if (job.state !== 'dialling' || callFilePresent) return false;
  const due = Date.parse(job.nextAttemptAt ?? '');
  return Number.isFinite(due) && now.getTime() - due > LOST_AFTER_MS;
}

export interface SpoolStatus {
  spool: string;
  jobs: { total: number; byState: Record<JobState, number>; active: ActiveJob[]; unreadable: string[] };
  outbox: {
    waiting: number;
    entries: { id: string; kind: string; job?: string; to: string[]; subject: string; created: string; attempts: number; lastAttemptAt: string; lastError: string }[];
    unreadable: string[];
  };
  inbound: { total: number; byState: Record<InboundState, number>; unhandled: string[]; noRecipient: string[] };
}

const JOB_STATES: JobState[] = ['queued', 'dialling', 'sent', 'failed', 'cancelled'];

export async function collectStatus(config: Readonly<Config>, now: Date = new Date()): Promise<SpoolStatus> {
  const paths = spoolPaths(config.paths.spool);
  const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  const active: ActiveJob[] = [];
  const unreadable: string[] = [];
  const ids = await listJobIds(paths);
  for (const id of ids) {
    try {
      const job = await readJob(jobDir(paths, id));
      byState[job.state] = (byState[job.state] ?? 0) + 1;
      if (job.state === 'queued' || job.state === 'dialling') {
        const present = job.callFile !== undefined && existsSync(join(config.paths.outgoing, job.callFile));
        const lost = isLost(job, present, now);
        active.push({ id, state: job.state, number: job.number, pages: job.pages, attempts: job.attempts.length, ...(job.nextAttemptAt ? { nextAttemptAt: job.nextAttemptAt } : {}), created: job.created, lost });
      }
    } catch {
      unreadable.push(id);
    }
  }
  const out = await listOutbox(paths);
  const inboundByState: Record<InboundState, number> = { delivered: 0, queued: 0, empty: 0, 'no-recipient': 0 };
  const { recorded, unhandled } = await listInboundIds(paths);
  const noRecipient: string[] = [];
  for (const id of recorded) {
    const rec = await readInboundRecord(paths, id).catch(() => undefined);
    if (!rec) continue;
    inboundByState[rec.state] = (inboundByState[rec.state] ?? 0) + 1;
    if (rec.state === 'no-recipient') noRecipient.push(id);
  }
  return {
    spool: paths.root,
    jobs: { total: ids.length, byState, active, unreadable },
    outbox: {
      waiting: out.entries.length,
      entries: out.entries.map((e) => ({ id: e.id, kind: e.kind, ...(e.jobId ? { job: e.jobId } : {}), to: e.envelope.to, subject: e.subject, created: e.created, attempts: e.attempts, lastAttemptAt: e.lastAttemptAt, lastError: e.lastError })),
      unreadable: out.broken,
    },
    inbound: { total: recorded.length + unhandled.length, byState: inboundByState, unhandled, noRecipient },
  };
}

function age(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

/** The status as text for a terminal. Pure. */
export function formatStatus(s: SpoolStatus, now: Date = new Date()): string {
  const lines: string[] = [];
  const states = JOB_STATES.map((st) => `${st} ${s.jobs.byState[st]}`).join(', ');
  lines.push(`jobs: ${s.jobs.total} (${states})`);
  for (const j of s.jobs.active) {
    const next = j.nextAttemptAt ? `, next try ${localTime(j.nextAttemptAt)}` : '';
    const lost = j.lost ? '  LOST: no call file in outgoing and no result (see README, Troubleshooting)' : '';
    lines.push(`  ${j.id}  ${j.state.padEnd(8)} ${j.number}  ${j.pages} p.  ${j.attempts} tries${next}${lost}`);
  }
  if (s.jobs.unreadable.length) lines.push(`  unreadable job records: ${s.jobs.unreadable.join(', ')}`);
  lines.push(`outbox: ${s.outbox.waiting} mail${s.outbox.waiting === 1 ? '' : 's'} waiting`);
  for (const e of s.outbox.entries) {
    lines.push(`  ${e.id}  ${e.kind} to ${e.to.join(', ')}  waiting ${age(e.created, now)}, ${e.attempts} tries; last error: ${e.lastError}`);
  }
  if (s.outbox.unreadable.length) lines.push(`  unreadable outbox records: ${s.outbox.unreadable.join(', ')}`);
  const ib = s.inbound.byState;
  lines.push(`inbound: ${s.inbound.total} received (delivered ${ib.delivered}, queued for mail ${ib.queued}, without pages ${ib.empty}, no recipient ${ib['no-recipient']}, not handled ${s.inbound.unhandled.length})`);
  for (const id of s.inbound.noRecipient) lines.push(`  ${id}: no recipient configured for its number`);
  for (const id of s.inbound.unhandled) lines.push(`  ${id}: received but never reported (faxmail-notify received did not run)`);
  return lines.join('\n');
}
