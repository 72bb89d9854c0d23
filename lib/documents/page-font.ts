/*
 * page-font.ts: the pages faxmail writes itself (body page, cover page): a pdfkit document of the fax's
 * paper with 20 mm margins, and its font: paths.body_font when it can be read and pdfkit takes it, else
 * Helvetica, which draws WinAnsi only. Never fails.
 */
import { access, constants } from 'node:fs/promises';
import type PDFKit from 'pdfkit';
import type { Paper } from '../config/schema.js';
import { MM, PAPER_POINTS } from './page-geometry.js';

export interface PageFont {
  /** paths.body_font is embedded (false: Helvetica) */
  embedded: boolean;
  /** the text as the font can draw it: with Helvetica, what it cannot draw is '?' rather than wrong letters */
  printable: (text: string) => string;
}

/** Can this font file be read? (pdfkit would throw later, mid-document.) */
async function usableFont(path: string): Promise<boolean> {
  if (!path) return false;
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Set the document's font: the file at `fontPath` if usable, else Helvetica. */
async function choosePageFont(doc: PDFKit.PDFDocument, fontPath: string): Promise<PageFont> {
  if (await usableFont(fontPath)) {
    try {
      doc.registerFont('page', fontPath);
      doc.font('page');
      return { embedded: true, printable: (s) => s };
    } catch {
      // not a font pdfkit can read: Helvetica below
    }
  }
  doc.font('Helvetica');
  return {
    embedded: false,
    printable: (s) => s.replace(/[^\u0000-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]/gu, '?'),
  };
}

export interface OwnPage {
  doc: PDFKit.PDFDocument;
  font: PageFont;
  /** the paper in points */
  size: { width: number; height: number };
  /** the margin on every side, in points */
  margin: number;
}

/** A new compressed pdfkit document on `paper`, titled `title`, with 20 mm margins and its font chosen. */
export async function openOwnPage(paper: Paper, title: string, fontPath: string): Promise<OwnPage> {
  const size = PAPER_POINTS[paper];
  const margin = 20 * MM;
  // pdfkit is loaded only by a mail that needs one of our own pages.
  const { default: PDFDocument } = (await import('pdfkit')) as { default: typeof PDFKit };
  const doc = new PDFDocument({
    size: [size.width, size.height],
    margins: { top: margin, bottom: margin, left: margin, right: margin },
    info: { Title: title, Producer: 'faxmail', Creator: 'faxmail' },
    compress: true,
  });
  return { doc, font: await choosePageFont(doc, fontPath), size, margin };
}
