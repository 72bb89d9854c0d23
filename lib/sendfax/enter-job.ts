/*
 * enter-job.ts: the whole outbound path for one mail, as sendfax runs it.
 * Inputs: the message stream, the envelope (sender, recipient, extension) and the config.
 * Steps: destination -> parse (streaming, to files) -> sender -> documents -> Ghostscript -> cover page
 * (+cover: made last, since it counts the pages) -> job record -> queue. The job directory is built
 * under jobs/.new-<id>; once per mail (lib/queue/mailkey.ts) the dispatcher (lib/queue/apply.ts) takes it
 * under the queue lock and commits it (fsynced and renamed whole): already `dialling`, its call file then
 * handed to Asterisk, when a channel and the number are free; otherwise `queued`, to wait in the queue
 * (also when the queue lock is busy: the job is committed queued and the next dispatcher run starts it).
 * Any failure before the commit removes the staging directory: nothing half-made is left, and the FaxError
 * says what the sender should read. A dry run does every step up to the job record and then removes the
 * staging directory: it leaves nothing in the spool.
 */
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { resolveDestination } from '../policy/number.js';
import { authorizeSender, type Submission } from '../policy/sender.js';
import { checkSenderBacklog } from '../queue/limits.js';
import { findJobByMailKey, mailKeyTap } from '../queue/mailkey.js';
import { mailLockPath, queueLockPath, stagingLockPath } from '../queue/records.js';
import { tryLock, withLock } from '../spool/lock.js';
import { newJobId } from '../spool/job-id.js';
import {
  spoolPaths,
  ensureSpool,
  createStagingDir,
  commitStagingDir,
  syncStagingDir,
  discardStagingDir,
  writeStagedJob,
  jobDir,
  type SpoolPaths,
} from '../spool/jobs.js';
import { dispatchLocked, type DispatchRun, type StagedJob } from '../queue/apply.js';
import { removeOnSignal } from '../fsutil/atomic.js';
import { buildCallFile, renderCallFile, callFileName } from '../asterisk/callfile.js';
import { parseMessage } from '../mime/parse.js';
import { parseSubjectOptions } from '../mime/subject-options.js';
import type { CoverInfo } from '../documents/cover-page.js';
import { bodyTextOf, prepareDocuments } from '../documents/prepare.js';
import { coverOptions, noteFits, recipientName, senderText } from './cover.js';
import { makeFaxImage, newJobRecord } from './fax-image.js';
import { withBudget, type Budget } from '../exec/budget.js';
import { deadlineError } from '../exec/limits.js';
import type { Job, JobDocument, QueueResult } from './../spool/types.js';

export interface Envelope {
  /** Postfix ${sender} */
  sender: string;
  /** Postfix ${recipient} */
  recipient: string;
  /** Postfix ${extension}: the number part of fax+NUMBER@domain; taken from recipient when absent */
  extension?: string;
  /** Postfix ${sasl_username}: the SMTP AUTH login ('' none); absent when master.cf does not pass it */
  saslUser?: string;
  /** Postfix ${client_address}: the SMTP client ('' for local submission); absent when not passed */
  clientAddress?: string;
}

function submissionOf(envelope: Envelope): Submission {
  const s: Submission = {};
  if (envelope.saslUser !== undefined) s.login = envelope.saslUser;
  if (envelope.clientAddress !== undefined) s.client = envelope.clientAddress;
  return s;
}

export interface EnterOptions {
  /** check and convert everything, keep nothing: no job, no call file, the staging dir removed */
  dryRun: boolean;
  /** with dryRun: copy the fax TIFF here (a new file) so the admin can look at it */
  saveTiff?: string;
}

/** The extension of fax+NUMBER@domain when Postfix did not pass ${extension}. */
function extensionFromRecipient(recipient: string): string {
  const local = recipient.slice(0, Math.max(0, recipient.lastIndexOf('@'))) || recipient;
  const plus = local.indexOf('+');
  return plus >= 0 ? local.slice(plus + 1) : '';
}

export async function enterJob(
  config: Readonly<Config>,
  input: NodeJS.ReadableStream,
  envelope: Envelope,
  options: EnterOptions,
  log: Logger,
): Promise<QueueResult> {
  // One deadline for the whole run (parsing, every tool), below Postfix's time limit, and one CPU
  // allowance for all converters together (lib/exec/budget.ts).
  return withBudget(config.fax.time_limit, config.fax.convert_timeout, (budget) =>
    enter(config, input, envelope, options, budget, log),
  );
}

async function enter(
  config: Readonly<Config>,
  input: NodeJS.ReadableStream,
  envelope: Envelope,
  options: EnterOptions,
  budget: Budget,
  log: Logger,
): Promise<QueueResult> {
  // An empty ${extension} (no recipient_delimiter in main.cf) falls back to the recipient address.
  const extension = envelope.extension || extensionFromRecipient(envelope.recipient);
  // The cheapest check first: a bad number bounces before any parsing.
  const destination = resolveDestination(extension, config.numbers);
  const paths = spoolPaths(config.paths.spool);
  await ensureSpool(paths);
  const id = newJobId();
  const jlog = log.child({ job: id });
  jlog.info(
    {
      step: 'received',
      envelopeSender: envelope.sender,
      recipient: envelope.recipient,
      number: destination.number,
      requested: destination.requested,
      rule: destination.rule,
      saslUser: envelope.saslUser,
      client: envelope.clientAddress,
    },
    'mail received for fax',
  );

  // Held while this run builds the job: `faxmail run` removes a staging dir whose lock is free (its sendfax
  // died, even by SIGKILL) at once, and never one whose sendfax still works (lib/queue/recover.ts).
  const stagingLock = await tryLock(stagingLockPath(paths, id), 10_000);
  const staging = await createStagingDir(paths, id);
  const forget = removeOnSignal(staging);
  // One mail, one job (issue 9, lib/queue/mailkey.ts): the raw mail is hashed as it is read.
  const tap = mailKeyTap(envelope.recipient);
  input.pipe(tap.stream);
  input.once('error', (err) => tap.stream.destroy(err));
  try {
    const partsDir = join(staging, 'parts');
    await mkdir(partsDir);
    const msg = await parseMessage(tap.stream, partsDir, { maxParts: 200, maxDepth: 5, signal: budget.signal }).catch(
      (err: unknown) => {
        throw budget.signal.aborted ? deadlineError(budget) : err;
      },
    );
    jlog.info(
      {
        step: 'parsed',
        parts: msg.parts.length,
        messageId: msg.messageId,
        hasText: msg.text !== undefined,
        hasHtml: msg.html !== undefined,
      },
      'message parsed',
    );

    const sender = authorizeSender(
      { envelopeSender: envelope.sender, ...msg.authors },
      submissionOf(envelope),
      config.senders,
    );
    jlog.info({ step: 'sender-ok', replyTo: sender.replyTo }, 'sender allowed');
    // queue.sender_max_waiting (issue 9): too many unfinished faxes from this sender bounce here.
    await checkSenderBacklog(config, { envelopeSender: envelope.sender, replyTo: sender.replyTo });

    const opts = parseSubjectOptions(msg.subject);
    const resolution = opts.resolution ?? config.fax.resolution;
    let body = opts.body ?? config.fax.body_page;
    const wantCover = opts.cover ?? config.fax.cover_page;
    const docsWork = join(staging, 'work');
    await mkdir(docsWork);

    // The cover's note is the mail text; when it does not fit on the cover (or +body asks for it anyway),
    // the text is faxed on pages of its own after the cover, and the cover says so.
    let cover: Omit<CoverInfo, 'pages'> | undefined;
    if (wantCover) {
      const text = bodyTextOf(msg);
      cover = {
        to: recipientName(msg.recipients, envelope.recipient),
        number: destination.number,
        from: senderText(msg.from),
        date: new Date(),
        subject: opts.subject,
        note: body ? '' : text,
        noteFollows: body && text !== '',
      };
      if (!body && text !== '' && !(await noteFits({ ...cover, pages: 0 }, coverOptions(config, jlog)))) {
        body = true;
        cover = { ...cover, note: '', noteFollows: true };
      }
    }
    const prepared = await prepareDocuments(
      msg,
      docsWork,
      config,
      { body, allowNone: cover !== undefined, budget },
      jlog,
    );
    jlog.info(
      {
        step: 'documents',
        documents: prepared.documents.map((d) => ({ name: d.name, kind: d.kind, bytes: d.bytes })),
        skipped: prepared.skipped.length,
        cover: cover !== undefined,
      },
      'documents selected',
    );

    // Documents (and the cover) -> fax.tif; the originals kept under docs/ (shared with `faxmail send`).
    const image = await makeFaxImage(config, staging, docsWork, prepared.documents, cover, resolution, budget, jlog);
    const { pages, documents } = image;
    await rm(partsDir, { recursive: true, force: true });

    if (options.dryRun) {
      // Nothing stays: the result is described, the TIFF copied only where the admin asked, staging removed.
      const result = await describeDryRun(
        config,
        id,
        destination.number,
        staging,
        pages,
        documents,
        prepared.skipped,
        resolution,
        options,
        jlog,
      );
      forget();
      await discardStagingDir(staging);
      return result;
    }

    const job: Job = newJobRecord(
      config,
      {
        id,
        envelopeSender: envelope.sender,
        replyTo: sender.replyTo,
        replyName: sender.replyName,
        subject: opts.subject,
        requestedNumber: destination.requested,
        number: destination.number,
        resolution,
        messageId: msg.messageId,
        skipped: prepared.skipped,
      },
      image,
    );
    job.mailKey = tap.key();
    await writeStagedJob(staging, job);
    // Commit unless this very mail already made a job (a redelivery after a crash: then that job stands),
    // checked and done under a lock of the mail's own key, so no two runs of one mail both commit. From the
    // commit on the job is durable and belongs to the queue.
    const keyLock = mailLockPath(paths, job.mailKey);
    let result: QueueResult | undefined;
    const existing = await withLock(keyLock, async () => {
      const found = await findJobByMailKey(paths, job.mailKey!);
      if (!found) {
        result = await commitAndQueue(config, job, staging, jlog);
        forget();
      }
      // A run waiting for this lock file still gets it and then finds the job; a later one makes a new file.
      await unlink(keyLock).catch(() => undefined);
      return found;
    });
    if (existing) {
      forget();
      await discardStagingDir(staging).catch(() => undefined);
      jlog.warn(
        { step: 'redelivery', existing: existing.id },
        'this mail was already queued as a job (delivered again after a crash); that job stands',
      );
      return describeJob(config, existing, paths, existing.callFile);
    }
    return result!;
  } catch (err) {
    forget();
    // Let sendfax drain the rest of the mail straight from its input (bin/sendfax.ts).
    input.unpipe(tap.stream);
    await discardStagingDir(staging).catch(() => undefined);
    throw err;
  } finally {
    // The staging dir is committed or gone by now: nobody needs this lock file again.
    await stagingLock?.release();
    await unlink(stagingLockPath(paths, id)).catch(() => undefined);
  }
}

/**
 * A whole job in its staging directory goes to the dispatcher, which commits it (apply.ts StagedJob): already
 * dialling when a channel and its number are free, so it dials at once, else queued. A queue lock that stays
 * busy (another dispatcher at work, which may not have seen this job) does not hold the mail up: the job is
 * committed queued and the next dispatcher run (a call's end, another mail, `faxmail run` within 30 s) starts
 * it. Whatever the dispatcher does or fails to do, the job is committed: this throws only when the commit
 * itself fails (the staging directory is then the caller's to remove).
 * `faxmail send` hands its jobs to this same function (lib/sendfax/send-files.ts).
 */
export async function commitAndQueue(
  config: Readonly<Config>,
  job: Job,
  staging: string,
  jlog: Logger,
): Promise<QueueResult> {
  const paths = spoolPaths(config.paths.spool);
  // The fax's own fsync before the queue lock: under it, only the record's (apply.ts StagedJob).
  await syncStagingDir(staging);
  const staged: StagedJob = { job, dir: staging, committed: false };
  let dispatched: DispatchRun | undefined;
  const queueLock = await tryLock(queueLockPath(paths), 5_000).catch(() => undefined);
  if (queueLock) {
    try {
      dispatched = await dispatchLocked(config, paths, jlog, { channels: 'when-starting', staged });
    } catch (err) {
      jlog.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'the dispatcher failed; the job waits for faxmail run',
      );
    } finally {
      await queueLock.release();
    }
  } else jlog.info({ step: 'queue-busy' }, 'the queue is busy; the next dispatcher run starts this job');
  if (!staged.committed) await commitStagingDir(paths, staging, job.id);
  const started = dispatched?.started.find((c) => c.job === job.id);
  const wait = dispatched?.waits.find((w) => w.job === job.id);
  if (started)
    jlog.info(
      { step: 'dialling', callFile: started.callFile, attempt: started.attempt },
      'call file handed to Asterisk',
    );
  else
    jlog.info(
      { step: 'queued', waits: wait?.reason ?? 'dispatcher not run' },
      'job queued; it dials when a channel and its number are free',
    );
  return describeJob(config, job, paths, started?.callFile);
}

/** What sendfax reports for a committed job: its first call file (in outgoing once the dispatcher starts it). */
function describeJob(config: Readonly<Config>, job: Job, paths: SpoolPaths, callFile: string | undefined): QueueResult {
  const tiffPath = join(jobDir(paths, job.id), job.tiff);
  return {
    job: job.id,
    number: job.number,
    pages: job.pages,
    tiff: tiffPath,
    callfile: renderCallFile(
      buildCallFile(config.callfile, {
        id: job.id,
        number: job.number,
        tiffPath,
        attempt: 1,
        configPath: config.source,
      }),
    ),
    callfilePath: join(config.paths.outgoing, callFile ?? callFileName(job.id, 1)),
    documents: job.documents.map((d) => ({ name: d.name, kind: d.kind, pages: d.pages })),
    skipped: job.skipped,
    resolution: job.resolution,
    dryRun: false,
  };
}

/** What a dry run found, with the call file the job would get (its TIFF path is where the job would keep it). */
async function describeDryRun(
  config: Readonly<Config>,
  id: string,
  number: string,
  staging: string,
  pages: number,
  documents: JobDocument[],
  skipped: Job['skipped'],
  resolution: Job['resolution'],
  options: EnterOptions,
  jlog: Logger,
): Promise<QueueResult> {
  const paths = spoolPaths(config.paths.spool);
  const tiffPath = join(jobDir(paths, id), 'fax.tif');
  const text = renderCallFile(
    buildCallFile(config.callfile, { id, number, tiffPath, attempt: 1, configPath: config.source }),
  );
  if (options.saveTiff) await copyFile(join(staging, 'fax.tif'), options.saveTiff, fsConstants.COPYFILE_EXCL);
  jlog.info({ step: 'dry-run', savedTiff: options.saveTiff }, 'dry run: nothing kept');
  return {
    job: id,
    number,
    pages,
    tiff: tiffPath,
    ...(options.saveTiff ? { savedTiff: options.saveTiff } : {}),
    callfile: text,
    callfilePath: join(config.paths.outgoing, callFileName(id, 1)),
    documents: documents.map((d) => ({ name: d.name, kind: d.kind, pages: d.pages })),
    skipped,
    resolution,
    dryRun: true,
  };
}
