/*
 * fax-image.ts: the part of an outbound fax that does not care where the documents came from (a mail through
 * sendfax, or files through `faxmail send`): prepared documents (and a cover page) -> one fax TIFF in the
 * staging directory -> the originals kept under the job's own names -> the job record.
 * The cover says how many pages the fax has, so it is made after the documents are converted (cover.ts).
 * Fails with FaxError like convertToFax; the caller owns the staging directory and removes it on failure.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Config, Resolution } from '../config/schema.js';
import type { Logger } from '../log.js';
import { convertToFax, type ConvertOptions, type ConvertResult } from '../convert/to-fax.js';
import type { CoverInfo } from '../documents/cover-page.js';
import type { PreparedDocument } from '../documents/prepare.js';
import { addCoverPage, coverOptions, type CoverMade } from './cover.js';
import { cpuUsedMs, type Budget } from '../exec/budget.js';
import { checkDeadline } from '../exec/limits.js';
import type { Job, JobDocument } from '../spool/types.js';

/** Our own file name for a document: NN-<safe name>.<ext>. */
function storedName(index: number, name: string, kind: string): string {
  const ext =
    kind === 'jpeg'
      ? '.jpg'
      : kind === 'body'
        ? '.pdf'
        : kind === 'office'
          ? extname(name)
              .toLowerCase()
              .replace(/[^.a-z0-9]/g, '') || '.bin'
          : `.${kind === 'tiff' ? 'tif' : kind}`;
  const stem = name
    .replace(/\.[^.]*$/, '')
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  return `${String(index + 1).padStart(2, '0')}-${stem || 'document'}${ext}`;
}

export interface FaxImage {
  /** pages of the whole fax, the cover included */
  pages: number;
  /** the documents as the job keeps them (docs/...), the cover first */
  documents: JobDocument[];
}

/**
 * Convert `documents` (and the cover, when given) into `<staging>/fax.tif`, move each original into
 * `<staging>/docs/` under our own name, and remove the scratch directory `work`.
 */
export async function makeFaxImage(
  config: Readonly<Config>,
  staging: string,
  work: string,
  documents: readonly PreparedDocument[],
  cover: Omit<CoverInfo, 'pages'> | undefined,
  resolution: Resolution,
  budget: Budget,
  jlog: Logger,
): Promise<FaxImage> {
  const tiff = join(staging, 'fax.tif');
  const convertOptions: ConvertOptions = {
    gs: config.paths.gs,
    tiffinfo: config.paths.tiffinfo,
    resolution,
    paper: config.fax.paper,
    compression: config.fax.compression,
    // The cover takes one of the pages allowed.
    maxPages: cover ? Math.max(1, config.fax.max_pages - 1) : config.fax.max_pages,
    budget,
    parallel: config.fax.parallel,
    dither: config.fax.dither,
  };
  const docsTiff = cover ? join(work, 'documents.tif') : tiff;
  const converted: ConvertResult =
    documents.length > 0
      ? await convertToFax(
          documents.map((d) => ({ name: d.name, pdf: d.pdf })),
          docsTiff,
          convertOptions,
          jlog,
        )
      : { pages: 0, perDocument: [], bytes: 0 };
  let pages = converted.pages;
  let coverMade: CoverMade | undefined;
  if (cover) {
    coverMade = await addCoverPage(
      cover,
      documents.length > 0 ? docsTiff : undefined,
      converted.pages,
      tiff,
      work,
      convertOptions,
      coverOptions(config, jlog),
      jlog,
    );
    pages = coverMade.pages;
  }
  jlog.info(
    { step: 'converted', pages, bytes: converted.bytes, resolution, cpuMs: Math.round(cpuUsedMs(budget)) },
    'fax image made',
  );
  // Past this point only our own quick steps remain; the deadline is checked once more before the commit.
  checkDeadline(budget);

  // Keep the original documents under our own names; drop the scratch space.
  const docsDir = join(staging, 'docs');
  await mkdir(docsDir);
  const kept: JobDocument[] = [];
  if (coverMade) {
    await rename(coverMade.pdf, join(docsDir, '00-cover.pdf'));
    kept.push({
      name: 'cover page',
      kind: 'cover',
      file: join('docs', '00-cover.pdf'),
      bytes: coverMade.bytes,
      pages: 1,
    });
  }
  for (const [i, d] of documents.entries()) {
    const file = join('docs', storedName(i, d.name, d.kind));
    await rename(d.source || d.pdf, join(staging, file));
    kept.push({ name: d.name, kind: d.kind, file, bytes: d.bytes, pages: converted.perDocument[i]?.pages ?? 0 });
  }
  await rm(work, { recursive: true, force: true });
  return { pages, documents: kept };
}

/** What a job record says about who sent it and what; the rest is the same for every new job. The field
 * meanings are those of `Job` (submittedBy is absent for mail, envelopeSender '' for a fax from the shell). */
export type JobFields = Pick<
  Job,
  | 'id'
  | 'envelopeSender'
  | 'replyTo'
  | 'replyName'
  | 'subject'
  | 'requestedNumber'
  | 'number'
  | 'resolution'
  | 'messageId'
  | 'skipped'
  | 'submittedBy'
>;

/** A new job record, `queued` from now. Pure apart from the clock. */
export function newJobRecord(config: Readonly<Config>, f: JobFields, image: FaxImage, now = new Date()): Job {
  const at = now.toISOString();
  return {
    version: 1,
    id: f.id,
    envelopeSender: f.envelopeSender,
    replyTo: f.replyTo,
    replyName: f.replyName,
    subject: f.subject,
    requestedNumber: f.requestedNumber,
    number: f.number,
    pages: image.pages,
    resolution: f.resolution,
    paper: config.fax.paper,
    documents: image.documents,
    skipped: f.skipped,
    tiff: 'fax.tif',
    messageId: f.messageId,
    ...(f.submittedBy !== undefined ? { submittedBy: f.submittedBy } : {}),
    created: at,
    updated: at,
    state: 'queued',
    attempts: [],
    nextAttemptAt: at,
  };
}
