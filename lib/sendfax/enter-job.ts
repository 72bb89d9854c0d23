/*
 * enter-job.ts: the whole outbound path for one mail, as sendfax runs it.
 * Inputs: the message stream, the envelope (sender, recipient, extension) and the config.
 * Steps: destination -> parse (streaming, to files) -> sender -> documents -> Ghostscript -> cover page
 * (+cover: made last, since it counts the pages) -> job record -> call file. The job directory is built
 * under jobs/.new-<id>, fsynced and renamed when complete (state `queued`); the record becomes `dialling`
 * durably, and only then is the call file renamed into Asterisk's outgoing dir, as the very last write.
 * Any failure removes the staging directory: nothing half-made is left, and the FaxError says what the
 * sender should read. A dry run does every step up to the job
 * record and then removes the staging directory: it leaves nothing in the spool.
 */
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FaxError } from '../errors.js';
import { resolveDestination } from '../policy/number.js';
import { authorizeSender, type Submission } from '../policy/sender.js';
import { newJobId } from '../spool/job-id.js';
import { spoolPaths, ensureSpool, createStagingDir, commitStagingDir, discardStagingDir, writeJob, jobDir, updateJob } from '../spool/jobs.js';
import { claimLine, forgetOnLine } from '../spool/line.js';
import { removeOnSignal } from '../fsutil/atomic.js';
import { buildCallFile, renderCallFile, callFileName } from '../asterisk/callfile.js';
import { dropCallFile } from '../asterisk/queue.js';
import { parseMessage } from '../mime/parse.js';
import { parseSubjectOptions } from '../mime/subject-options.js';
import type { CoverInfo } from '../documents/cover-page.js';
import { bodyTextOf, prepareDocuments } from '../documents/prepare.js';
import { coverOptions, noteFits, recipientName, senderText } from './cover.js';
import { makeFaxImage, newJobRecord } from './fax-image.js';
import { createBudget, type Budget } from '../exec/budget.js';
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
export function extensionFromRecipient(recipient: string): string {
  const local = recipient.slice(0, Math.max(0, recipient.lastIndexOf('@'))) || recipient;
  const plus = local.indexOf('+');
  return plus >= 0 ? local.slice(plus + 1) : '';
}

export async function enterJob(config: Readonly<Config>, input: NodeJS.ReadableStream, envelope: Envelope, options: EnterOptions, log: Logger): Promise<QueueResult> {
  // One deadline for the whole run (parsing, every tool), below Postfix's time limit, and one CPU
  // allowance for all converters together (lib/exec/budget.ts).
  const budget = createBudget(config.fax.time_limit, config.fax.convert_timeout);
  try {
    return await enter(config, input, envelope, options, budget, log);
  } finally {
    budget.dispose();
  }
}

async function enter(config: Readonly<Config>, input: NodeJS.ReadableStream, envelope: Envelope, options: EnterOptions, budget: Budget, log: Logger): Promise<QueueResult> {
  // An empty ${extension} (no recipient_delimiter in main.cf) falls back to the recipient address.
  const extension = envelope.extension || extensionFromRecipient(envelope.recipient);
  // The cheapest check first: a bad number bounces before any parsing.
  const destination = resolveDestination(extension, config.numbers);
  const paths = spoolPaths(config.paths.spool);
  await ensureSpool(paths);
  const id = newJobId();
  const jlog = log.child({ job: id });
  jlog.info({ step: 'received', envelopeSender: envelope.sender, recipient: envelope.recipient, number: destination.number, requested: destination.requested, rule: destination.rule, saslUser: envelope.saslUser, client: envelope.clientAddress }, 'mail received for fax');

  const staging = await createStagingDir(paths, id);
  const forget = removeOnSignal(staging);
  try {
    const partsDir = join(staging, 'parts');
    await mkdir(partsDir);
    const msg = await parseMessage(input, partsDir, { maxParts: 200, maxDepth: 5, signal: budget.signal }).catch((err: unknown) => {
      throw budget.signal.aborted ? deadlineError(budget) : err;
    });
    jlog.info({ step: 'parsed', parts: msg.parts.length, messageId: msg.messageId, hasText: msg.text !== undefined, hasHtml: msg.html !== undefined }, 'message parsed');

    const sender = authorizeSender({ envelopeSender: envelope.sender, ...msg.authors }, submissionOf(envelope), config.senders);
    jlog.info({ step: 'sender-ok', replyTo: sender.replyTo }, 'sender allowed');

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
      cover = { to: recipientName(msg.recipients, envelope.recipient), number: destination.number, from: senderText(msg.from), date: new Date(), subject: opts.subject, note: body ? '' : text, noteFollows: body && text !== '' };
      if (!body && text !== '' && !(await noteFits({ ...cover, pages: 0 }, coverOptions(config, jlog)))) {
        body = true;
        cover = { ...cover, note: '', noteFollows: true };
      }
    }
    const prepared = await prepareDocuments(msg, docsWork, config, { body, allowNone: cover !== undefined, budget }, jlog);
    jlog.info({ step: 'documents', documents: prepared.documents.map((d) => ({ name: d.name, kind: d.kind, bytes: d.bytes })), skipped: prepared.skipped.length, cover: cover !== undefined }, 'documents selected');

    // Documents (and the cover) -> fax.tif; the originals kept under docs/ (shared with `faxmail send`).
    const image = await makeFaxImage(config, staging, docsWork, prepared.documents, cover, resolution, budget, jlog);
    const { pages, documents } = image;
    await rm(partsDir, { recursive: true, force: true });

    if (options.dryRun) {
      // Nothing stays: the result is described, the TIFF copied only where the admin asked, staging removed.
      const result = await describeDryRun(config, id, destination.number, staging, pages, documents, prepared.skipped, resolution, options, jlog);
      forget();
      await discardStagingDir(staging);
      return result;
    }

    const job: Job = newJobRecord(
      config,
      { id, envelopeSender: envelope.sender, replyTo: sender.replyTo, replyName: sender.replyName, subject: opts.subject, requestedNumber: destination.requested, number: destination.number, resolution, messageId: msg.messageId, skipped: prepared.skipped },
      image,
    );
    await writeJob(staging, job);
    const dir = await commitStagingDir(paths, staging, id);
    forget();
    try {
      return await queueCommitted(config, job, dir, options, jlog);
    } catch (err) {
      // The mail will be retried by Postfix (or bounced): this job must not linger or hold the line.
      await forgetOnLine(paths, destination.number, id).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  } catch (err) {
    forget();
    await discardStagingDir(staging).catch(() => undefined);
    throw err;
  }
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
  const text = renderCallFile(buildCallFile(config.callfile, { id, number, tiffPath, attempt: 1, configPath: config.source }));
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

/**
 * Hand a committed job to Asterisk, or leave it queued behind the job that holds its number's line.
 * The record says `dialling` durably BEFORE the call file is renamed into the outgoing dir, and sendfax
 * writes nothing to the job after that rename: from then on the record belongs to faxmail-notify, whose
 * report may come back (a busy line) before this process has even returned.
 * `faxmail send` hands its jobs to this same function (lib/sendfax/send-files.ts).
 */
export async function queueCommitted(config: Readonly<Config>, job: Job, dir: string, _options: EnterOptions, jlog: Logger): Promise<QueueResult> {
  const paths = spoolPaths(config.paths.spool);
  const tiffPath = join(dir, job.tiff);
  const attempt = 1;
  const text = renderCallFile(buildCallFile(config.callfile, { id: job.id, number: job.number, tiffPath, attempt, configPath: config.source }));
  const name = callFileName(job.id, attempt);
  let callfilePath = join(config.paths.outgoing, name);
  const decision = await claimLine(paths, job.number, job.id, new Date(), config.retry.one_call_per_number);
  if (decision === 'dial') {
    await updateJob(paths, job.id, (j) => {
      j.state = 'dialling';
      j.attempt = attempt;
      j.callFile = name;
      j.nextAttemptAt = new Date().toISOString();
      return j;
    });
    callfilePath = await dropCallFile(name, text, { outgoing: config.paths.outgoing, tmp: config.paths.tmp, owner: config.callfile.owner, group: config.callfile.group });
    jlog.info({ step: 'dialling', callFile: callfilePath, attempt }, 'call file handed to Asterisk');
  } else {
    // Still `queued`, as committed: the report that frees the line starts this job (lib/notify/outbound.ts).
    jlog.info({ step: 'queued', number: job.number }, 'another fax is dialling this number; job waits');
  }
  return {
    job: job.id,
    number: job.number,
    pages: job.pages,
    tiff: tiffPath,
    callfile: text,
    callfilePath,
    documents: job.documents.map((d) => ({ name: d.name, kind: d.kind, pages: d.pages })),
    skipped: job.skipped,
    resolution: job.resolution,
    dryRun: false,
  };
}
