/*
 * types.ts: the records that cross process boundaries through the spool. sendfax writes a Job;
 * faxmail-notify (run by Asterisk) reads and updates it; the admin CLI lists it. Bump `version` on any
 * incompatible change.
 */
import type { Resolution, Paper, RetryClass } from '../config/schema.js';

/*
 * A job's life (design.md, lib/queue/): `queued` (durable, waiting in faxmail's spool for its turn, from
 * nextAttemptAt on) -> `dialling` (the dispatcher made it so, then placed its call file) -> `queued` again for
 * a retry, or `sent` / `failed` / `cancelled`. `held`: stopped by the admin (`faxmail hold`), not dialled
 * until `faxmail release`. Only the dispatcher moves queued -> dialling; only an applied call report, or
 * `faxmail run` after queue.lost_after, moves a job out of dialling.
 * Records written before the queue (lib/queue/) read as: `queued` with a callFile but neither `attempt` nor
 * `dialledAt` = dialling (its call file was dropped at once), `waiting` = queued (lib/queue/records.ts).
 */
export type JobState =
  | 'queued'
  | 'dialling'
  | 'held'
  | 'waiting' // before lib/queue/: held back for the number's line (now: queued)
  | 'sent' // FAXOPT(status)=SUCCESS
  | 'failed' // final failure, sender notified
  | 'cancelled'; // removed by the admin

export interface JobDocument {
  /** original file name from the mail (sanitised, for display only) */
  name: string;
  kind: 'pdf' | 'tiff' | 'jpeg' | 'png' | 'office' | 'body' | 'cover';
  /** file inside the job directory (our own name, e.g. docs/01-invoice.pdf) */
  file: string;
  bytes: number;
  pages: number;
}

export interface SkippedDocument {
  name: string;
  contentType: string;
  reason: string;
}

/** One dialling attempt, as reported by the dialplan through faxmail-notify. */
export interface Attempt {
  /** 1-based attempt number */
  n: number;
  /** ISO time the result was recorded */
  at: string;
  /** SUCCESS, FAILED (answered, fax failed) or UNANSWERED (the call file's failed extension) */
  status: 'SUCCESS' | 'FAILED' | 'UNANSWERED';
  /** outcome class used by the retry rules ('' on success) */
  class: RetryClass | '';
  /** FAXOPT(error) or a text for ${REASON} */
  error: string;
  /** ${REASON} code for unanswered calls */
  reason?: number;
  pages: number;
  /** bits per second */
  rate: number;
  /** e.g. "204x196" */
  resolution: string;
  remoteStationId: string;
  /** seconds from answer to hangup, when known */
  duration?: number;
  /** ISO time the call of this attempt started (the dispatcher dropped its call file) */
  started?: string;
  /** report fields that could not be read (kept raw in `raw`); shown as unknown, never a reason to drop the report */
  unknown?: string[];
  raw?: Record<string, string>;
  /** the attempt was given up by `faxmail run`: no result came within queue.lost_after */
  lost?: boolean;
}

export interface Job {
  version: 1;
  id: string;
  /** envelope sender from Postfix (logged, not trusted for replies) */
  envelopeSender: string;
  /** where receipts go: Reply-To, else From */
  replyTo: string;
  /** sender display name, if any */
  replyName: string;
  /** Subject with the +options removed */
  subject: string;
  /** the number from the address extension, separators removed (before dial rules) */
  requestedNumber: string;
  /** the number dialled, after normalisation and dial rules */
  number: string;
  pages: number;
  resolution: Resolution;
  paper: Paper;
  documents: JobDocument[];
  skipped: SkippedDocument[];
  /** the fax image, relative to the job directory */
  tiff: string;
  messageId: string;
  created: string;
  updated: string;
  state: JobState;
  attempts: Attempt[];
  /** ISO time of the next scheduled call, when state is queued/waiting */
  nextAttemptAt?: string;
  /** file name of the call file last dropped */
  callFile?: string;
  /** ISO time the final receipt was handed to the mail spool */
  notifiedAt?: string;
  /** number of the attempt whose call file was dropped last (the `bed` stream writes it too; same meaning) */
  attempt?: number;
  /** ISO time the current call started (state dialling) */
  dialledAt?: string;
  /** ISO time the admin put the job on hold (state held) */
  heldAt?: string;
  /** a final receipt or notice that could not be built or handed over yet; `faxmail run` tries again */
  noticePending?: 'success' | 'failure';
  /** why the pending notice failed last time */
  noticeError?: string;
  /** sha256 of the raw mail and the recipient: a mail Postfix delivers again after a crash makes no second job */
  mailKey?: string;
}

/** The JSON that `sendfax --dry-run` prints, and what sendfax returns on success. */
export interface QueueResult {
  job: string;
  number: string;
  pages: number;
  tiff: string;
  callfile: string;
  callfilePath: string;
  documents: { name: string; kind: JobDocument['kind']; pages: number }[];
  skipped: SkippedDocument[];
  resolution: Resolution;
  dryRun: boolean;
}
