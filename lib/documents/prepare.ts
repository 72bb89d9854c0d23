/*
 * prepare.ts: from a parsed mail to the list of PDF files Ghostscript will rasterise, in fax order:
 * the optional mail-text page first, then every faxable attachment in MIME order. winmail.dat is
 * unpacked (when tnef is configured) and its files take its place; office files go through LibreOffice
 * (when configured); JPEG/PNG become one-page PDFs; TIFF goes through tiff2pdf; PDF stays as it is.
 * Inputs: the ParsedMessage (parse.ts), a work directory, the config. Output files: WORK/docs/NN-doc.pdf.
 * Fails with FaxError: 'no-document' (nothing to fax; the sentence names what was left out),
 * 'too-large' (more than fax.max_documents documents, or a huge picture), 'bad-document' (a damaged or
 * unconvertible document), 'temporary' (I/O, a converter missing).
 */
import { link, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { FaxError, toFaxError } from '../errors.js';
import type { Logger } from '../log.js';
import { extensionOf, sanitizeFilename } from '../mime/filename.js';
import { fileAsPart, type MimePart, type ParsedMessage } from '../mime/parse.js';
import { sniffFile, type DocKind } from '../mime/sniff.js';
import { parseSubjectOptions } from '../mime/subject-options.js';
import { renderBodyPdf } from './body-page.js';
import { htmlToText } from './html-text.js';
import { imageToPdf } from './image-pdf.js';
import { formatSkipped, isOfficeExtension, selectDocuments, type SkippedPart } from './select.js';
import { officeToPdf } from './office.js';
import { tiffToPdf, unpackTnef } from './tools.js';
import { createBudget, type Budget } from '../exec/budget.js';
import { checkDeadline } from '../exec/limits.js';

export interface PreparedDocument {
  /** name to show the sender ("mail text" for the body page) */
  name: string;
  kind: 'pdf' | 'tiff' | 'jpeg' | 'png' | 'office' | 'body';
  /** the stored original ('' for the body page) */
  source: string;
  /** the PDF to rasterise (for kind 'pdf' the stored original itself) */
  pdf: string;
  /** size of `pdf` in bytes */
  bytes: number;
}

export interface PreparedDocuments {
  documents: PreparedDocument[];
  /** parts to name in the reply to the sender */
  skipped: SkippedPart[];
  /** parts left out quietly (signature logos, signatures); for the log */
  ignored: SkippedPart[];
}

const BODY_DOCUMENT_NAME = 'mail text';

/** The text to print on the body page: the plain-text body, else the HTML body as text; '' when none. */
export function bodyTextOf(msg: Pick<ParsedMessage, 'text' | 'html'>): string {
  const text = (msg.text ?? '').trim();
  if (text) return msg.text!.replace(/^\s*\n/, '').trimEnd();
  return msg.html ? htmlToText(msg.html) : '';
}

/** Replace each winmail.dat part by the files it holds (tnef configured). */
async function expandTnef(
  parts: MimePart[],
  kinds: (DocKind | undefined)[],
  workDir: string,
  config: Readonly<Config>,
  budget: Budget,
  log: Logger,
): Promise<void> {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    // Only real TNEF bytes are unpacked; a "winmail.dat" that is not TNEF is named as not unpackable.
    if (kinds[i] !== 'tnef') continue;
    const dir = join(workDir, `tnef-${String(part.index).padStart(4, '0')}`);
    const files = await unpackTnef(config.paths.tnef, part.path, dir, part.filename || 'winmail.dat', { budget });
    log.info({ step: 'tnef', part: part.index, files: files.length }, 'winmail.dat unpacked');
    if (files.length === 0) continue; // left in place: select names it as not unpackable
    const inner = files.map((f) => fileAsPart({ ...f, name: sanitizeFilename(f.name) }, part.index, part.depth));
    const innerKinds = await Promise.all(inner.map((p) => sniffFile(p.path)));
    parts.splice(i, 1, ...inner);
    kinds.splice(i, 1, ...innerKinds);
    i += inner.length - 1;
  }
}

/** The sentence for a mail with nothing to fax. */
function noDocumentSentence(skipped: SkippedPart[], bodyWanted: boolean): string {
  if (skipped.length > 0) {
    return (
      `The mail has no attachment that can be faxed: ${formatSkipped(skipped)}. Please attach PDF, TIFF, ` +
      `JPEG or PNG files.`
    );
  }
  if (bodyWanted) return 'The mail has no attachment and no text to fax.';
  return (
    'The mail has no attachment to fax. Please attach a PDF, TIFF, JPEG or PNG file, or add +body to the ' +
    'subject to fax the text of the mail.'
  );
}

/** Turn a parsed mail into PDFs for Ghostscript (see the header comment). */
export async function prepareDocuments(
  msg: ParsedMessage,
  workDir: string,
  config: Readonly<Config>,
  opts: { body: boolean; allowNone?: boolean; budget?: Budget },
  log: Logger,
): Promise<PreparedDocuments> {
  // The run's limits; a caller without one (tests) gets the configured limits from now on.
  const own = opts.budget ? undefined : createBudget(config.fax.time_limit, config.fax.convert_timeout);
  try {
    return await prepare(
      msg,
      workDir,
      config,
      { body: opts.body, allowNone: opts.allowNone === true },
      (opts.budget ?? own)!,
      log,
    );
  } finally {
    own?.dispose();
  }
}

async function prepare(
  msg: ParsedMessage,
  workDir: string,
  config: Readonly<Config>,
  opts: { body: boolean; allowNone: boolean },
  budget: Budget,
  log: Logger,
): Promise<PreparedDocuments> {
  const docsDir = join(workDir, 'docs');
  try {
    await mkdir(docsDir, { recursive: true });
  } catch (err) {
    throw toFaxError(err, 'preparing the documents');
  }
  const parts = [...msg.parts];
  const kinds = await Promise.all(
    parts.map((p) =>
      sniffFile(p.path).catch((err: unknown) => Promise.reject(toFaxError(err, 'reading an attachment'))),
    ),
  );
  if (config.paths.tnef) await expandTnef(parts, kinds, workDir, config, budget, log);

  const sel = selectDocuments(parts, kinds, {
    minImageBytes: config.fax.min_image_bytes,
    officeAvailable: config.paths.libreoffice !== '',
    tnefAvailable: config.paths.tnef !== '',
  });
  for (const s of sel.ignored)
    log.info({ step: 'select', name: s.name.slice(0, 80), type: s.contentType, reason: s.reason }, 'part ignored');
  for (const s of sel.skipped)
    log.info({ step: 'select', name: s.name.slice(0, 80), type: s.contentType, reason: s.reason }, 'part skipped');
  const damaged = sel.damaged[0];
  if (damaged) {
    log.info(
      { step: 'select', name: damaged.name.slice(0, 80), type: damaged.contentType, reason: damaged.reason },
      'damaged document',
    );
    throw new FaxError('bad-document', `The attachment "${damaged.name}" is damaged and cannot be faxed.`, {
      detail: { reason: damaged.reason },
    });
  }
  if (sel.documents.length > config.fax.max_documents) {
    throw new FaxError(
      'too-large',
      `The mail has ${sel.documents.length} documents to fax; at most ${config.fax.max_documents} are allowed ` +
        `in one mail.`,
    );
  }
  const bodyText = opts.body ? bodyTextOf(msg) : '';
  // allowNone: a cover page with the mail text as its note is a fax on its own.
  if (sel.documents.length === 0 && bodyText === '' && !opts.allowNone)
    throw new FaxError('no-document', noDocumentSentence(sel.skipped, opts.body));

  const documents: PreparedDocument[] = [];
  const pdfPath = (n: number): string => join(docsDir, `${String(n).padStart(2, '0')}-doc.pdf`);
  if (bodyText !== '') {
    const pdf = pdfPath(0);
    const from = msg.from ? (msg.from.name ? `${msg.from.name} <${msg.from.address}>` : msg.from.address) : '';
    const header: { from?: string; subject?: string; date?: Date } = {
      subject: parseSubjectOptions(msg.subject).subject,
    };
    if (from) header.from = from;
    if (msg.date) header.date = msg.date;
    const r = await renderBodyPdf(bodyText, header, pdf, { paper: config.fax.paper, fontPath: config.paths.body_font });
    const bytes = (await stat(pdf)).size;
    log.info({ step: 'body', pages: r.pages, embeddedFont: r.embeddedFont, bytes }, 'mail text rendered');
    documents.push({ name: BODY_DOCUMENT_NAME, kind: 'body', source: '', pdf, bytes });
  }
  let n = 0;
  for (const d of sel.documents) {
    n += 1;
    checkDeadline(budget);
    const t0 = Date.now();
    let pdf: string;
    try {
      switch (d.kind) {
        case 'pdf':
          pdf = d.part.path;
          break;
        case 'jpeg':
        case 'png':
          pdf = pdfPath(n);
          await imageToPdf(d.part.path, pdf, d.kind, d.name, config.fax.paper);
          break;
        case 'tiff':
          pdf = pdfPath(n);
          await tiffToPdf(tiffTools(config), d.part.path, pdf, d.name, { budget });
          break;
        case 'office': {
          // LibreOffice names its output after the input and guesses the format partly from the
          // extension, so give it a hard link with our own name and the sender's extension.
          const dir = join(workDir, `office-${String(n).padStart(2, '0')}`);
          // LibreOffice shares the run's deadline (75) and CPU allowance (65) with the other converters.
          const r = await officeToPdf(config.paths.libreoffice, await officeInput(d.part, dir), dir, d.name, {
            budget,
          });
          pdf = r.pdf;
          log.info({ step: 'office', n, ms: r.result.wallMs, cpuMs: r.result.cpuMs }, 'office document converted');
          break;
        }
      }
    } catch (err) {
      throw toFaxError(err, `converting "${d.name}"`);
    }
    const bytes = (await stat(pdf)).size;
    log.info(
      { step: 'document', n, kind: d.kind, name: d.name.slice(0, 80), bytes, ms: Date.now() - t0 },
      'document prepared',
    );
    documents.push({ name: d.name, kind: d.kind, source: d.part.path, pdf, bytes });
  }
  return { documents, skipped: sel.skipped, ignored: sel.ignored };
}

/** tiff2rgba has no config key: it ships with tiff2pdf (libtiff-tools), so it is looked for beside it. */
function tiffTools(config: Readonly<Config>): { tiff2pdf: string; tiffinfo: string; tiff2rgba: string } {
  return {
    tiff2pdf: config.paths.tiff2pdf,
    tiffinfo: config.paths.tiffinfo,
    tiff2rgba: join(dirname(config.paths.tiff2pdf), 'tiff2rgba'),
  };
}

/**
 * A hard link to the stored office file named doc.<ext>: our name, with the sender's extension when it is
 * an office one (LibreOffice partly goes by it), else none (LibreOffice then goes by the content alone).
 */
async function officeInput(part: MimePart, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const ext = extensionOf(part.filename);
  const input = join(dir, isOfficeExtension(ext) ? `doc.${ext}` : 'doc');
  await link(part.path, input);
  return input;
}
