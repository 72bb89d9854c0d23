/*
 * send-files.ts: a fax from the shell (`faxmail send NUMBER FILE...`), the same road as a mail through
 * sendfax from the documents on: number rules -> the files into a staging job directory -> documents
 * (PDF, TIFF, JPEG, PNG, office files; lib/documents/prepare.ts, as mail attachments) -> cover page ->
 * fax image and job record (fax-image.ts) -> commitAndQueue(), the very function that commits and queues
 * sendfax's jobs. Who may call it is decided by the caller (lib/cli/send.ts); this module trusts its
 * `submitter`. Files arrive through `store`, which writes them into the directory it is given (copied
 * from descriptors opened before a switch of users, or from another user's request on standard input).
 * Differences from a mail: every file named must be faxed (one that cannot be is refused, 65, rather
 * than left out with a note), images are kept however small, and there is no mail text.
 * Fails with FaxError; a failure leaves nothing in the spool.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, Resolution } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FaxError } from '../errors.js';
import { resolveDestination } from '../policy/number.js';
import { isMailbox } from '../mailbox.js';
import { newJobId } from '../spool/job-id.js';
import { spoolPaths, ensureSpool, createStagingDir, discardStagingDir, writeStagedJob } from '../spool/jobs.js';
import { removeOnSignal } from '../fsutil/atomic.js';
import { fileAsPart, type ParsedMessage } from '../mime/parse.js';
import type { CoverInfo } from '../documents/cover-page.js';
import { prepareDocuments } from '../documents/prepare.js';
import { formatSkipped } from '../documents/select.js';
import { coverOptions, noteFits, senderText } from './cover.js';
import { makeFaxImage, newJobRecord } from './fax-image.js';
import { commitAndQueue } from './enter-job.js';
import { withBudget, type Budget } from '../exec/budget.js';
import type { QueueResult } from '../spool/types.js';

export interface SendFile {
  /** display name (the file's base name); never used as a path */
  name: string;
  bytes: number;
}

/** What `faxmail send` asks for, checked (lib/cli/send-request.ts checks and carries it). */
export interface SendRequest {
  v: 1;
  /** as typed: faxmail's number rules decide */
  number: string;
  /** where the receipt goes; absent: the submitter's local mailbox */
  notify?: string;
  subject: string;
  /** absent: fax.resolution */
  resolution?: Resolution;
  /** absent: fax.cover_page */
  cover?: boolean;
  /** recipient named on the cover page */
  to: string;
  /** note on the cover page */
  note: string;
  wait: boolean;
  files: SendFile[];
}

export interface StoredFile {
  name: string;
  path: string;
  size: number;
}

export interface Submitter {
  /** login name of the person who ran faxmail send */
  user: string;
  /** their full name (GECOS), '' when none */
  fullName: string;
}

/** Stores the request's files into `dir` and says where each went. */
export type StoreFiles = (dir: string) => Promise<StoredFile[]>;

/** Where the receipt goes: --notify, else the submitter's mailbox (send.notify_domain, else localhost). */
function receiptAddress(config: Readonly<Config>, request: Pick<SendRequest, 'notify'>, submitter: Submitter): string {
  return request.notify ?? `${submitter.user}@${config.send.notify_domain || 'localhost'}`;
}

/** The stored files as the parts of a mail with no text: attachments, so small images count too. */
function asMessage(subject: string, files: readonly StoredFile[]): ParsedMessage {
  const parts = files.map((f, i) => fileAsPart(f, i + 1, 0));
  return { subject, authors: { from: [], replyTo: [], repeated: [] }, messageId: '', parts, headerBytes: 0 };
}

export async function sendFiles(
  config: Readonly<Config>,
  request: SendRequest,
  submitter: Submitter,
  store: StoreFiles,
  log: Logger,
): Promise<QueueResult> {
  // The same limits as a sendfax run: one deadline and one CPU allowance for every converter together.
  return withBudget(config.fax.time_limit, config.fax.convert_timeout, (budget) =>
    send(config, request, submitter, store, budget, log),
  );
}

async function send(
  config: Readonly<Config>,
  request: SendRequest,
  submitter: Submitter,
  store: StoreFiles,
  budget: Budget,
  log: Logger,
): Promise<QueueResult> {
  // The cheapest check first: a number the rules refuse is refused before a byte is copied.
  const destination = resolveDestination(request.number, config.numbers);
  const replyTo = receiptAddress(config, request, submitter);
  if (!isMailbox(replyTo, { local: true }))
    throw new FaxError(
      'usage',
      `Receipts cannot be mailed to "${replyTo.slice(0, 80)}": name an address with --notify.`,
    );
  if (request.files.length > config.fax.max_documents)
    throw new FaxError(
      'too-large',
      `${request.files.length} files were named; at most ${config.fax.max_documents} can be faxed at once ` +
        `(fax.max_documents).`,
    );
  const paths = spoolPaths(config.paths.spool);
  await ensureSpool(paths);
  const id = newJobId();
  const jlog = log.child({ job: id });
  jlog.info(
    {
      step: 'received',
      via: 'faxmail send',
      user: submitter.user,
      replyTo,
      number: destination.number,
      requested: destination.requested,
      rule: destination.rule,
      files: request.files.length,
    },
    'files received for fax',
  );

  const staging = await createStagingDir(paths, id);
  const forget = removeOnSignal(staging);
  try {
    const partsDir = join(staging, 'parts');
    await mkdir(partsDir);
    const stored = await store(partsDir);
    const msg = asMessage(request.subject, stored);
    const resolution = request.resolution ?? config.fax.resolution;
    const wantCover = request.cover ?? config.fax.cover_page;
    const docsWork = join(staging, 'work');
    await mkdir(docsWork);

    // The note goes on the cover; one too long for it is faxed on pages of its own after the cover.
    let cover: Omit<CoverInfo, 'pages'> | undefined;
    let body = false;
    if (wantCover) {
      cover = {
        to: request.to,
        number: destination.number,
        from: senderText({ name: submitter.fullName, address: replyTo }),
        date: new Date(),
        subject: request.subject,
        note: request.note,
        noteFollows: false,
      };
      if (request.note !== '' && !(await noteFits({ ...cover, pages: 0 }, coverOptions(config, jlog)))) {
        body = true;
        cover = { ...cover, note: '', noteFollows: true };
        msg.text = request.note;
      }
    }
    const prepared = await prepareDocuments(msg, docsWork, config, { body, budget }, jlog);
    // A file named on the command line was chosen on purpose: faxing the others without it would surprise.
    if (prepared.skipped.length > 0)
      throw new FaxError(
        'no-document',
        `Not faxed: ${formatSkipped(prepared.skipped)}. faxmail send takes PDF, TIFF, JPEG and PNG ` +
          `files${config.paths.libreoffice ? ' and office documents' : ''}.`,
      );
    if (prepared.ignored.length > 0)
      throw new FaxError('no-document', `Not faxed: ${formatSkipped(prepared.ignored)}.`);
    jlog.info(
      {
        step: 'documents',
        documents: prepared.documents.map((d) => ({ name: d.name, kind: d.kind, bytes: d.bytes })),
        cover: cover !== undefined,
      },
      'documents selected',
    );

    const image = await makeFaxImage(config, staging, docsWork, prepared.documents, cover, resolution, budget, jlog);
    await rm(partsDir, { recursive: true, force: true });
    const job = newJobRecord(
      config,
      {
        id,
        envelopeSender: '',
        replyTo,
        replyName: submitter.fullName,
        subject: request.subject,
        requestedNumber: destination.requested,
        number: destination.number,
        resolution,
        messageId: '',
        skipped: [],
        submittedBy: submitter.user,
      },
      image,
    );
    await writeStagedJob(staging, job);
    // Exactly as sendfax hands its job on (lib/sendfax/enter-job.ts): the dispatcher commits it.
    const result = await commitAndQueue(config, job, staging, jlog);
    forget();
    return result;
  } catch (err) {
    forget();
    await discardStagingDir(staging).catch(() => undefined);
    throw err;
  }
}
