/*
 * cover.ts: the cover page of an outbound fax, put in front of the converted documents.
 * The cover says how many pages the fax has, so it is made last: the documents are converted first (their
 * page count is then known), the cover is drawn with count + 1 and rendered on its own (one small gs run),
 * and its page is joined in front of the documents' pages without re-encoding them.
 * Also: the values a mail gives the cover (recipient's display name, sender, note), and whether the note
 * fits (when it does not, the mail text is faxed on pages of its own and the cover says so).
 * Fails with FaxError like convertToFax; 'internal' when the joined fax fails its check.
 */
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { convertToFax, type ConvertOptions } from '../convert/to-fax.js';
import { faxGeometry } from '../convert/geometry.js';
import { renderCoverPdf, type CoverInfo, type CoverOptions } from '../documents/cover-page.js';
import { FaxError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Address } from '../mime/parse.js';
import { mergeTiffFiles } from '../tiff/merge.js';
import { readTiff } from '../tiff/read.js';
import { checkFaxPages } from '../tiff/validate.js';

/** The display name the mail gives the fax address (To or Cc), '' when none. Pure. */
export function recipientName(recipients: readonly Address[] | undefined, faxAddress: string): string {
  const want = faxAddress.trim().toLowerCase();
  const hit = (recipients ?? []).find((a) => a.address.trim().toLowerCase() === want);
  return hit?.name.trim() ?? '';
}

/** "Name <address>" or the address alone. Pure. */
export function senderText(from: Address | undefined): string {
  if (!from) return '';
  return from.name.trim() ? `${from.name.trim()} <${from.address}>` : from.address;
}

export function coverOptions(config: Readonly<Config>, log?: Logger): CoverOptions {
  return {
    paper: config.fax.paper,
    fontPath: config.paths.body_font,
    locale: config.notify.locale,
    templatesDir: config.paths.templates,
    ...(log ? { log } : {}),
  };
}

/** Does the note fit on the cover page? (Drawn once without output.) */
export async function noteFits(info: CoverInfo, opts: CoverOptions): Promise<boolean> {
  // The page count is not known yet; a three-digit one takes the most room.
  return !(await renderCoverPdf({ ...info, pages: 999 }, undefined, opts)).cut;
}

export interface CoverMade {
  /** the cover page's PDF (kept with the job's documents) */
  pdf: string;
  bytes: number;
  /** pages of the whole fax */
  pages: number;
}

/**
 * Draw the cover for a fax of `docsPages` document pages (`docsTiff`, or none), render it, and write the
 * whole fax (cover first) to `outTiff`. Scratch files go to `work`.
 */
export async function addCoverPage(
  info: Omit<CoverInfo, 'pages'>,
  docsTiff: string | undefined,
  docsPages: number,
  outTiff: string,
  work: string,
  convert: ConvertOptions,
  opts: CoverOptions,
  log: Logger,
): Promise<CoverMade> {
  const pages = docsPages + 1;
  const pdf = join(work, 'cover.pdf');
  await rm(pdf, { force: true });
  const drawn = await renderCoverPdf({ ...info, pages }, pdf, opts);
  const coverTiff = join(work, 'cover.tif');
  await convertToFax([{ name: 'cover page', pdf }], coverTiff, { ...convert, maxPages: 1 }, log);
  if (docsTiff === undefined) {
    await rename(coverTiff, outTiff);
  } else {
    const joined = join(work, 'joined.tif');
    await mergeTiffFiles([coverTiff, docsTiff], joined, pages);
    const geometry = faxGeometry(convert.resolution, convert.paper);
    const problems = checkFaxPages(readTiff(await readFile(joined)), {
      pages,
      ydpi: geometry.ydpi,
      width: geometry.width,
    });
    if (problems.length > 0)
      throw new FaxError(
        'internal',
        'The fax with its cover page failed its final check on the fax server; it will be tried again.',
        { detail: { problems: problems.slice(0, 10) } },
      );
    await rename(joined, outTiff);
    await rm(coverTiff, { force: true });
  }
  log.info({ step: 'cover', pages, noteCut: drawn.cut, embeddedFont: drawn.embeddedFont }, 'cover page added');
  return { pdf, bytes: (await stat(pdf)).size, pages };
}
