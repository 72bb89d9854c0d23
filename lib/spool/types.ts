/*
 * types.ts: the records that cross process boundaries through the spool. sendfax writes a Job;
 * faxmail-notify (run by Asterisk) reads and updates it; the admin CLI lists it. Bump `version` on any
 * incompatible change.
 */
import type { Resolution, Paper, RetryClass } from '../config/schema.js';

/*
 * A job's life (the queue sketch in /work/shared/notes/design.md; lib/queue/): sendfax builds it under
 * jobs/.new-<id> and commits it `queued` (durable, waiting in faxmail's spool for its turn, from
 * nextAttemptAt on). Only the dispatcher moves it to `dialling`, durably BEFORE its call file is renamed into
 * Asterisk's outgoing dir, so a result that comes back at once always finds the record it belongs to and
 * nothing overwrites what that result wrote. Only an applied call report (or `faxmail run`, for a call that
 * ended without one) moves it out of `dialling`: `queued` again for a retry, or final. `held`: stopped by the
 * admin (`faxmail hold`), not dialled until `faxmail release`.
 * Records written before the queue read as (lib/queue/records.ts): `queued` with a callFile but neither
 * `attempt` nor `dialledAt` = dialling (its call file was dropped at once); any other unknown state
 * (`waiting`, from the line model) = queued.
 */
export type JobState =
  | 'queued' // durable, waiting for its turn: its first call, a retry, a free channel or its number
  | 'dialling' // its call file for attempt `attempt` is in Asterisk's outgoing dir (or the call is on)
  | 'held' // stopped by the admin until `faxmail release`
  | 'sent' // FAXOPT(status)=SUCCESS
  | 'failed' // final failure, sender notified
  | 'cancelled'; // removed by the admin, sender notified

/** Every state, in the order of a job's life (how status and list show them). */
export const JOB_STATES: readonly JobState[] = ['queued', 'dialling', 'held', 'sent', 'failed', 'cancelled'];

const FINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['sent', 'failed', 'cancelled']);

/** A job in a final state is never dialled again; its sender has had, or will get, the last word. */
export function isFinalState(state: JobState): boolean {
  return FINAL_JOB_STATES.has(state);
}

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
  /** what the line carried: T.38 or G.711 audio (FAXMODE), when the dialplan reported it */
  mode?: FaxMode;
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

/** FAXMODE after SendFAX/ReceiveFAX: T38 (fax packets over UDPTL) or audio (G.711 or an analogue line). */
export type FaxMode = 'T38' | 'audio';

/** The dialplan's FAXMODE, FILTERed to letters and digits; anything else is not recorded. Pure. */
export function parseFaxMode(value: string | undefined): FaxMode | undefined {
  const v = (value ?? '').trim();
  if (/^t38$/i.test(v)) return 'T38';
  if (/^audio$/i.test(v)) return 'audio';
  return undefined;
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
  /** the local user who ran `faxmail send` (a fax from the shell: no mail, envelopeSender ''); absent for mail */
  submittedBy?: string;
  created: string;
  updated: string;
  state: JobState;
  attempts: Attempt[];
  /** ISO time the job may dial next (state queued): its first moment, or when its retry rule lets it */
  nextAttemptAt?: string;
  /** file name of the call file last dropped */
  callFile?: string;
  /**
   * number of the attempt whose call file was dropped last. The next attempt is numbered from the highest
   * of this and every recorded attempt, never from a count, so a lost report cannot make a call file name
   * (faxmail-<id>-<n>.call) come round again while Asterisk still holds the old file.
   */
  attempt?: number;
  /** set by `faxmail cancel` */
  cancelled?: {
    at: string;
    /** state before the cancel */
    previous: JobState;
    /** what happened to the call that was under way: see lib/admin/cancel.ts */
    call: 'none' | 'removed' | 'hung-up' | 'left-running';
  };
  /** ISO time the final receipt was handed to the mail spool */
  notifiedAt?: string;
  /** ISO time the current call started (state dialling) */
  dialledAt?: string;
  /** ISO time the admin put the job on hold (state held) */
  heldAt?: string;
  /** a final receipt or notice that could not be built or handed over yet; `faxmail run` tries again */
  noticePending?: 'success' | 'failure' | 'cancelled';
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
  /** dry run with --save-tiff: where the TIFF was copied */
  savedTiff?: string;
}
