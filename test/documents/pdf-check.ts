/* pdf-check.ts: look at PDFs the way a person would, with poppler: pages, sizes, fonts, text, ink. */
import { execFileSync } from 'node:child_process';

export interface PdfPage {
  width: number;
  height: number;
}

/** Page sizes in points, from pdfinfo. */
export function pdfPages(file: string): PdfPage[] {
  const out = execFileSync('pdfinfo', ['-f', '1', '-l', '10000', file], { encoding: 'utf8' });
  const pages: PdfPage[] = [];
  for (const m of out.matchAll(/^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/gm))
    pages.push({ width: Number(m[1]), height: Number(m[2]) });
  return pages;
}

export function pdfText(file: string): string {
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

export function pdfFonts(file: string): string {
  return execFileSync('pdffonts', [file], { encoding: 'utf8' });
}

export interface Gray {
  width: number;
  height: number;
  data: Buffer;
}

/** Render one page in grey at `dpi` (PGM from pdftoppm). */
export function renderGray(file: string, page = 1, dpi = 50): Gray {
  const pgm = execFileSync(
    'pdftoppm',
    ['-gray', '-r', String(dpi), '-f', String(page), '-l', String(page), '-singlefile', file],
    { maxBuffer: 200_000_000 },
  );
  const head = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 50).toString('latin1'));
  if (!head) throw new Error('pdftoppm did not write a PGM');
  const width = Number(head[1]);
  const height = Number(head[2]);
  return { width, height, data: pgm.subarray(head[0].length, head[0].length + width * height) };
}

/** Rows that hold at least one dark pixel (< 128). */
export function darkRows(img: Gray): number {
  let rows = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.data[y * img.width + x]! < 128) {
        rows++;
        break;
      }
    }
  }
  return rows;
}

/** Fraction of pixels that are dark. */
export function darkFraction(img: Gray): number {
  let n = 0;
  for (const v of img.data) if (v < 128) n++;
  return n / img.data.length;
}

/** Runs of consecutive dark rows separated by light rows: text lines on a page. */
export function textLineCount(img: Gray): number {
  let lines = 0;
  let inLine = false;
  for (let y = 0; y < img.height; y++) {
    let dark = false;
    for (let x = 0; x < img.width; x++)
      if (img.data[y * img.width + x]! < 128) {
        dark = true;
        break;
      }
    if (dark && !inLine) lines++;
    inLine = dark;
  }
  return lines;
}
