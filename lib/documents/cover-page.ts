/*
 * cover-page.ts: the fax cover page (+cover, fax.cover_page): who it is for, who sends it, when, how many
 * pages (the cover included), the subject, and the mail text as a note. One page, always: a note too long
 * for it is cut with "…" and `cut` tells the caller, who then faxes the whole text on pages of its own.
 *
 * Its words come from a template the admin can replace like the mail templates: cover.<locale>.txt, in
 * paths.templates first, else the built-in one in lib/mail/templates/ (same syntax, see template.ts).
 * Layout marks, read only from the template's own text, never from a value:
 *   "# text"          the title           "## text"   a subtitle
 *   "Label | value"   a row of the table  "---"       a rule
 *   any other line    text (consecutive lines form one block; an empty line is a gap)
 * Values are wrapped in private-use marks while the template renders, so a display name like "# URGENT"
 * or a note line "Total | 0" stays text: markup is recognised only outside the marks, which are then
 * removed. Values are cleaned first (no control or direction-override characters, bounded length).
 * Drawn with pdfkit in paths.body_font (IPA Gothic: Japanese prints), Helvetica when that is missing.
 * Inputs: CoverInfo (from a mail, or later from `faxmail send` arguments). Fails with FaxError('temporary')
 * on I/O errors; a broken admin template is logged and the built-in one used.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Locale, Paper } from '../config/schema.js';
import { toFaxError } from '../errors.js';
import { cleanLine } from '../text.js';
import { japaneseDate, localTime } from '../time.js';
import type { Logger } from '../log.js';
import { loadTemplate, renderTemplate } from '../mail/template.js';
import { prepareBodyText } from './body-page.js';
import { MM } from './page-geometry.js';
import { openOwnPage } from './page-font.js';

export interface CoverInfo {
  /** the recipient's name, e.g. the display name of the fax address ('' when none) */
  to: string;
  /** the number dialled */
  number: string;
  /** the sender, e.g. "Alice Example <alice@example.org>" */
  from: string;
  date: Date;
  /** pages of the whole fax, this cover included */
  pages: number;
  subject: string;
  /** the note (the mail text); '' for none */
  note: string;
  /** the note is not on the cover because it follows on pages of its own */
  noteFollows: boolean;
}

export interface CoverOptions {
  paper: Paper;
  fontPath: string;
  locale: Locale;
  /** the admin's template directory ('' for the built-in templates only) */
  templatesDir: string;
  log?: Logger;
}

/** One line of the laid-out cover. */
export type CoverLine =
  | { kind: 'title'; text: string }
  | { kind: 'subtitle'; text: string }
  | { kind: 'row'; label: string; value: string }
  | { kind: 'rule' }
  | { kind: 'text'; text: string }
  | { kind: 'gap' };

const OPEN = '\ue000';
const CLOSE = '\ue001';

/** One line of inert text: no control, line-separator or direction-override characters, bounded. Pure. */
export function coverText(value: string, max: number): string {
  // Private-use characters are our value marks (OPEN, CLOSE): a value cannot bring its own.
  return cleanLine(value.normalize('NFC').replace(/[\ue000-\uf8ff]+/g, ' '), { max, invisible: true });
}

/** The note: tidied like the body page (tabs, control characters), no direction overrides, bounded. Pure. */
function coverNote(text: string, max = 8000): string {
  return prepareBodyText(text.replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069\ue000-\uf8ff]/g, ''), max);
}

/** The values the cover template sees (listed in templates/README.md), each wrapped in value marks. Pure. */
export function coverValues(info: CoverInfo, locale: Locale): Record<string, string | boolean> {
  const wrap = (s: string): string => (s === '' ? '' : `${OPEN}${s}${CLOSE}`);
  return {
    to: wrap(coverText(info.to, 100)),
    number: wrap(coverText(info.number, 40)),
    from: wrap(coverText(info.from, 200)),
    date: wrap(locale === 'ja' ? japaneseDate(info.date) : localTime(info.date, { seconds: false })),
    pages: wrap(String(info.pages)),
    subject: wrap(coverText(info.subject, 200)),
    note: wrap(coverNote(info.note)),
    note_follows: info.noteFollows,
  };
}

/** Split rendered template text (with value marks) into layout lines. Pure. */
export function layoutCover(rendered: string): CoverLine[] {
  const out: CoverLine[] = [];
  let inValue = false;
  for (const raw of rendered.split('\n')) {
    // The line's text, and its literal prefix: the part before the first value mark, if the line did not
    // start inside a value.
    const startsInValue = inValue;
    let text = '';
    let literalPrefix = '';
    let prefixOpen = !startsInValue;
    let literalBar = -1;
    for (const ch of raw) {
      if (ch === OPEN) {
        inValue = true;
        prefixOpen = false;
        continue;
      }
      if (ch === CLOSE) {
        inValue = false;
        continue;
      }
      if (ch === '|' && !inValue && literalBar < 0) literalBar = text.length;
      if (prefixOpen) literalPrefix += ch;
      text += ch;
    }
    const whole = !startsInValue && prefixOpen; // the line has no value at all
    if (literalPrefix.startsWith('## ')) out.push({ kind: 'subtitle', text: text.slice(3).trim() });
    else if (literalPrefix.startsWith('# ')) out.push({ kind: 'title', text: text.slice(2).trim() });
    else if (whole && text.trim() === '---') out.push({ kind: 'rule' });
    else if (literalBar >= 0)
      out.push({ kind: 'row', label: text.slice(0, literalBar).trim(), value: text.slice(literalBar + 1).trim() });
    else if (text.trim() === '') out.push({ kind: 'gap' });
    else out.push({ kind: 'text', text: text.replace(/\s+$/, '') });
  }
  // No gaps at the top or the bottom.
  while (out[0]?.kind === 'gap') out.shift();
  while (out[out.length - 1]?.kind === 'gap') out.pop();
  return out;
}

/** Render the cover template for `info` into layout lines. */
async function coverLines(info: CoverInfo, opts: CoverOptions): Promise<CoverLine[]> {
  const template = await loadTemplate(`cover.${opts.locale}.txt`, opts.templatesDir, opts.log);
  return layoutCover(renderTemplate(template, coverValues(info, opts.locale)));
}

export interface CoverResult {
  /** a text block (the note) did not fit and was cut */
  cut: boolean;
  embeddedFont: boolean;
}

const SIZES = { title: 26, subtitle: 14, row: 12, text: 11 };

/**
 * Draw the cover page; with `out` undefined nothing is written (to learn whether the note fits).
 * Always exactly one page.
 */
export async function renderCoverPdf(
  info: CoverInfo,
  out: string | undefined,
  opts: CoverOptions,
): Promise<CoverResult> {
  const lines = await coverLines(info, opts);
  const {
    doc,
    font: { embedded: embeddedFont, printable },
    size: paper,
    margin,
  } = await openOwnPage(opts.paper, 'Fax cover page', opts.fontPath);
  const sink = out ? createWriteStream(out, { flags: 'wx', mode: 0o600 }) : undefined;
  if (sink) doc.pipe(sink);
  const width = paper.width - 2 * margin;
  const bottom = paper.height - margin;
  const labelWidth = Math.min(45 * MM, width / 3);
  let y = margin;
  let cut = false;
  doc.fillColor('black').strokeColor('black');

  for (const line of lines) {
    if (y >= bottom) {
      cut = cut || line.kind !== 'gap';
      continue;
    }
    switch (line.kind) {
      case 'title':
      case 'subtitle': {
        const size = SIZES[line.kind];
        doc.fontSize(size);
        const h = doc.heightOfString(printable(line.text), { width });
        doc.text(printable(line.text), margin, y, { width, height: bottom - y, ellipsis: true });
        y += Math.min(h, bottom - y) + size * 0.5;
        break;
      }
      case 'row': {
        doc.fontSize(SIZES.row);
        const label = printable(line.label);
        const value = printable(line.value);
        const h = Math.max(
          doc.heightOfString(label, { width: labelWidth - 6 }),
          doc.heightOfString(value || ' ', { width: width - labelWidth }),
        );
        const room = bottom - y;
        if (h > room) cut = true;
        doc.text(label, margin, y, { width: labelWidth - 6, height: room, ellipsis: true });
        doc.text(value || ' ', margin + labelWidth, y, { width: width - labelWidth, height: room, ellipsis: true });
        y += Math.min(h, room) + 6;
        break;
      }
      case 'rule':
        y += 4;
        doc
          .moveTo(margin, y)
          .lineTo(margin + width, y)
          .lineWidth(0.8)
          .stroke();
        y += 12;
        break;
      case 'gap':
        y += SIZES.text;
        break;
      case 'text': {
        doc.fontSize(SIZES.text);
        const text = printable(line.text);
        const h = doc.heightOfString(text, { width, lineGap: 2 });
        const room = bottom - y;
        if (h > room) cut = true;
        doc.text(text, margin, y, { width, lineGap: 2, height: room, ellipsis: true });
        y += Math.min(h, room);
        break;
      }
    }
  }
  doc.end();
  if (sink) {
    try {
      await finished(sink);
    } catch (err) {
      throw toFaxError(err, 'making the cover page');
    }
  }
  return { cut, embeddedFont };
}
