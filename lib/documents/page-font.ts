/*
 * page-font.ts: the font of the pages faxmail writes itself (body page, cover page): paths.body_font when
 * it can be read and pdfkit takes it, else Helvetica, which draws WinAnsi only. Never fails.
 */
import { access, constants } from 'node:fs/promises';
import type PDFKit from 'pdfkit';

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
export async function choosePageFont(doc: PDFKit.PDFDocument, fontPath: string): Promise<PageFont> {
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
