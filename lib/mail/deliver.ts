/*
 * deliver.ts: send a mail now, or keep it in the outbox until the mail server takes it.
 *
 * sendOrQueue renders the mail once (compose.ts) and tries the configured transport. On ANY delivery
 * failure the rendered bytes go to <spool>/outbox and the call resolves 'queued': a mail server that is
 * down loses nothing. It throws only when the mail cannot be built (no usable recipient: 'config';
 * an attachment missing) or when even the outbox cannot be written ('temporary').
 *
 * flushOutbox sends what waits, oldest first, under one lock (only one flusher at a time; a second one
 * returns at once). An entry is removed only after its delivery succeeded; a failure bumps its attempts
 * and lastError and it stays, however old: `faxmail status` reports it. A failure that concerns the
 * server (unreachable, sendmail missing) ends the run, since every other entry would wait out the same
 * timeout. Bounded by timeLimitMs.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { FaxError, oneLine } from '../errors.js';
import type { Logger } from '../log.js';
import { cleanLine } from '../text.js';
import { ensureSpool, spoolPaths } from '../spool/jobs.js';
import { withLock } from '../spool/lock.js';
import { composeMail } from './compose.js';
import {
  listOutbox,
  newOutboxId,
  putInOutbox,
  readOutboxMessage,
  removeFromOutbox,
  writeOutboxRecord,
} from './outbox.js';
import { DeliveryError, deliverRaw } from './transport.js';
import type { OutboxRecord, OutgoingMail } from './types.js';

export type { OutgoingMail, OutgoingAttachment } from './types.js';

/** How long sendOrQueue may spend trying before it queues (beyond this the SMTP timeouts decide). */
const SEND_LIMIT_MS = 60_000;

function describe(err: unknown): string {
  if (err instanceof DeliveryError) return err.message;
  return oneLine(err instanceof Error ? err.message : String(err), 300);
}

/** Deliver now, or store in the outbox. */
export async function sendOrQueue(
  config: Readonly<Config>,
  mail: OutgoingMail,
  log: Logger,
): Promise<'sent' | 'queued'> {
  const now = new Date();
  const rendered = await composeMail(config, mail, now);
  const job = mail.jobId;
  if (rendered.refused.length > 0)
    log.warn({ job, kind: mail.kind, refused: rendered.refused }, 'mail: addresses refused (not plain mailboxes)');
  try {
    const note = await deliverRaw(config, rendered.envelope, rendered.raw, { limitMs: SEND_LIMIT_MS });
    log.info(
      {
        job,
        kind: mail.kind,
        to: rendered.envelope.to,
        messageId: rendered.messageId,
        bytes: rendered.raw.length,
        note,
      },
      'mail: sent',
    );
    return 'sent';
  } catch (err) {
    const paths = spoolPaths(config.paths.spool);
    const record: OutboxRecord = {
      version: 1,
      id: newOutboxId(now),
      kind: mail.kind,
      ...(job ? { jobId: job } : {}),
      envelope: rendered.envelope,
      subject: cleanLine(mail.subject, { max: 120 }),
      messageId: rendered.messageId,
      created: now.toISOString(),
      attempts: 1,
      lastAttemptAt: new Date().toISOString(),
      lastError: describe(err),
    };
    try {
      await ensureSpool(paths);
      await putInOutbox(paths, record, rendered.raw);
    } catch (ioErr) {
      log.error(
        { job, kind: mail.kind, err: describe(ioErr), deliveryError: record.lastError },
        'mail: cannot write the outbox',
      );
      throw new FaxError(
        'temporary',
        'The mail could not be sent and could not be kept for later either; it will be tried again.',
        { cause: ioErr },
      );
    }
    log.warn(
      { job, kind: mail.kind, to: rendered.envelope.to, outbox: record.id, err: record.lastError },
      'mail: delivery failed, queued in the outbox',
    );
    return 'queued';
  }
}

export interface FlushResult {
  sent: number;
  failed: number;
  remaining: number;
}

/** Send what waits in the outbox. Never throws for delivery problems. */
export async function flushOutbox(
  config: Readonly<Config>,
  log: Logger,
  opts: { timeLimitMs?: number } = {},
): Promise<FlushResult> {
  const limit = opts.timeLimitMs ?? 120_000;
  const deadline = Date.now() + limit;
  const paths = spoolPaths(config.paths.spool);
  // Nothing waiting, the usual case (faxmail-notify flushes on every call): no lock to take, no flock(1) to
  // start. A mail another process queues meanwhile is sent by that process's own flush or by `faxmail run`.
  const waiting = await listOutbox(paths).catch(() => undefined);
  if (waiting?.entries.length === 0 && waiting.broken.length === 0) return { sent: 0, failed: 0, remaining: 0 };
  let entered = false;
  try {
    // A short wait: if another process is flushing, it will send these too.
    return await withLock(
      join(paths.locks, 'outbox.lock'),
      async () => {
        entered = true;
        return flushLocked(config, log, deadline);
      },
      Math.min(2_000, limit),
    );
  } catch (err) {
    if (entered) throw err;
    const remaining = (await listOutbox(paths).catch(() => ({ entries: [] }))).entries.length;
    log.info({ remaining }, 'mail: another process is flushing the outbox');
    return { sent: 0, failed: 0, remaining };
  }
}

async function flushLocked(config: Readonly<Config>, log: Logger, deadline: number): Promise<FlushResult> {
  const paths = spoolPaths(config.paths.spool);
  const { entries, broken } = await listOutbox(paths);
  if (broken.length) log.error({ broken }, 'mail: outbox records that cannot be read (left in place)');
  let sent = 0;
  let failed = 0;
  for (let i = 0; i < entries.length; i++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const rec = entries[i]!;
    let raw: Buffer;
    try {
      raw = await readOutboxMessage(paths, rec.id);
    } catch (err) {
      // The record outlived its message (removed by hand?): nothing left to send.
      log.error({ job: rec.jobId, outbox: rec.id, err: describe(err) }, 'mail: outbox message missing, record removed');
      await removeFromOutbox(paths, rec.id);
      failed++;
      continue;
    }
    try {
      const note = await deliverRaw(config, rec.envelope, raw, { limitMs: left });
      await removeFromOutbox(paths, rec.id);
      sent++;
      log.info(
        { job: rec.jobId, kind: rec.kind, outbox: rec.id, to: rec.envelope.to, attempts: rec.attempts + 1, note },
        'mail: sent from the outbox',
      );
    } catch (err) {
      failed++;
      const updated: OutboxRecord = {
        ...rec,
        attempts: rec.attempts + 1,
        lastAttemptAt: new Date().toISOString(),
        lastError: describe(err),
      };
      await writeOutboxRecord(paths, updated).catch((e: unknown) =>
        log.error({ outbox: rec.id, err: describe(e) }, 'mail: cannot update an outbox record'),
      );
      log.warn(
        { job: rec.jobId, kind: rec.kind, outbox: rec.id, attempts: updated.attempts, err: updated.lastError },
        'mail: outbox delivery failed',
      );
      if (err instanceof DeliveryError && err.serverWide) break;
    }
  }
  // Counted afresh: sendOrQueue in another process may have added entries meanwhile.
  const remaining = (await listOutbox(paths)).entries.length;
  if (sent || failed) log.info({ sent, failed, remaining }, 'mail: outbox flushed');
  return { sent, failed, remaining };
}
