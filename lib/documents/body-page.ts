/*
 * body-page.ts: the mail text as PDF pages, faxed before the attachments (+body). A small header (From,
 * Subject, Date) and the text in black, 11 pt, 20 mm margins, on the configured paper. The TrueType font
 * (paths.body_font, IPAGothic by default) is embedded as a subset, so Japanese prints; without it the
 * built-in Helvetica is used and characters it lacks become '?'.
 * Japanese has no spaces: pdfkit breaks lines by Unicode line-breaking rules (UAX #14), which allow a
 * break between ideographs and kana, and cuts any word longer than a line.
 * Fails with FaxError('temporary') on I/O errors only.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Paper } from '../config/schema.js';
import { toFaxError } from '../errors.js';
import { localTime } from '../time.js';
import { openOwnPage } from './page-font.js';

export interface BodyHeader {
  from?: string;
  subject?: string;
  date?: Date;
}

export interface BodyPageOptions {
  paper: Paper;
  /** TrueType/OpenType font file; '' for the built-in Helvetica */
  fontPath: string;
}

/** Text beyond this many characters is cut with a note: a fax of hundreds of pages of mail text helps nobody. */
const MAX_RENDER_CHARS = 200_000;

const BODY_SIZE = 11;
const HEADER_SIZE = 9.5;

/** Tidy mail text for printing: LF line ends, tabs to spaces, no control characters, bounded length. */
export function prepareBodyText(text: string, max = MAX_RENDER_CHARS): string {
  let s = text.replace(/\r\n?/g, '\n');
  if (s.length > max)
    s = `${s.slice(0, max)}\n\n[… the rest of the mail text (${s.length - max} characters) was cut …]`;
  s = s
    .split('\n')
    .map((line) => {
      let col = 0;
      return line.replace(/\t|[\s\S]/g, (ch) => {
        if (ch === '\t') {
          const n = 8 - (col % 8);
          col += n;
          return ' '.repeat(n);
        }
        col += 1;
        return ch;
      });
    })
    .join('\n');
  return s.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b\ufeff]/g, '').replace(/\s+$/, '');
}

/** Render `text` (and the header) to a PDF file at `out`. Returns the number of pages. */
export async function renderBodyPdf(
  text: string,
  header: BodyHeader,
  out: string,
  opts: BodyPageOptions,
): Promise<{ pages: number; embeddedFont: boolean }> {
  const {
    doc,
    font: { embedded: embeddedFont, printable },
    size: paper,
    margin,
  } = await openOwnPage(opts.paper, header.subject ? header.subject.slice(0, 200) : 'Mail text', opts.fontPath);
  let pages = 1;
  doc.on('pageAdded', () => (pages += 1));
  const sink = createWriteStream(out, { flags: 'wx', mode: 0o600 });
  doc.pipe(sink);
  const width = paper.width - 2 * margin;

  const lines: [string, string][] = [];
  if (header.from) lines.push(['From', header.from]);
  if (header.subject) lines.push(['Subject', header.subject]);
  if (header.date) lines.push(['Date', localTime(header.date, { seconds: false })]);
  if (lines.length > 0) {
    doc.fontSize(HEADER_SIZE).fillColor('black');
    for (const [k, v] of lines) doc.text(printable(`${k}: ${prepareBodyText(v, 500).replace(/\n/g, ' ')}`), { width });
    const y = doc.y + 4;
    doc
      .moveTo(margin, y)
      .lineTo(paper.width - margin, y)
      .lineWidth(0.8)
      .strokeColor('black')
      .stroke();
    doc.x = margin;
    doc.y = y + 10;
  }
  doc.fontSize(BODY_SIZE).fillColor('black');
  const body = prepareBodyText(text);
  doc.text(printable(body.length > 0 ? body : ' '), { width, lineGap: 2 });
  doc.end();
  try {
    await finished(sink);
  } catch (err) {
    throw toFaxError(err, 'printing the mail text');
  }
  return { pages, embeddedFont };
}
