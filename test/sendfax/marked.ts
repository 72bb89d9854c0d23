/*
 * marked.ts: documents whose every page carries a machine-readable mark, so a test can tell which page of
 * which document ended up where in the fax. Page mark k = k solid black vertical bars across the middle of
 * the page (nothing else is drawn across the middle row or column). Counting the black runs along the
 * middle row of a fax page reads the mark back; counting along the middle column reads it back when the
 * converter turned a landscape page to portrait.
 * PDF, JPEG, PNG and TIFF are all drawn by Ghostscript from the same PostScript; files are cached per
 * process in test/helpers/documents.ts's temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { documentsDir } from '../helpers/documents.js';

/** Most bars a page can carry and still be read back. */
const MAX_MARK = 9;

const SIZES = {
  a4: [595, 842],
  letter: [612, 792],
  'a4-landscape': [842, 595],
  'letter-landscape': [792, 612],
} as const;
export type MarkedSize = keyof typeof SIZES;

/** PostScript for pages with marks `marks[i]` on page i, w x h points; `colour` adds a red block in a corner. */
export function markedPs(marks: number[], w: number, h: number, colour = false): string {
  let ps = `%!PS\n<< /PageSize [${w} ${h}] >> setpagedevice\n`;
  const slot = (w * 0.8) / MAX_MARK;
  for (const k of marks) {
    if (!Number.isInteger(k) || k < 1 || k > MAX_MARK) throw new Error(`mark ${k} out of range 1..${MAX_MARK}`);
    for (let i = 0; i < k; i++)
      ps +=
        `0 setgray ${(w * 0.1 + i * slot).toFixed(1)} ${(h * 0.2).toFixed(1)} ${(slot * 0.6).toFixed(1)} ` +
        `${(h * 0.6).toFixed(1)} rectfill\n`;
    // A small caption near the top (never on the middle row or column) so pages are not all alike.
    ps +=
      `/Helvetica findfont 10 scalefont setfont ${(w * 0.1).toFixed(1)} ${(h * 0.9).toFixed(1)} moveto ` +
      `(mark ${k}) show\n`;
    if (colour)
      ps +=
        `1 0 0 setrgbcolor ${(w * 0.05).toFixed(1)} ${(h * 0.05).toFixed(1)} ${(w * 0.1).toFixed(1)} ` +
        `${(h * 0.08).toFixed(1)} rectfill 0 setgray\n`;
    ps += 'showpage\n';
  }
  return ps;
}

function cachedFile(key: string, ext: string, make: (out: string) => void): string {
  const out = join(documentsDir(), `marked-${key.replace(/[^a-z0-9]+/gi, '_')}.${ext}`);
  if (!existsSync(out)) {
    try {
      make(out);
    } catch (err) {
      rmSync(out, { force: true });
      throw err;
    }
  }
  return out;
}

function gs(args: string[], ps: string): void {
  execFileSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', ...args, '-'], {
    input: ps,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
}

/** A PDF whose page i carries mark marks[i]. */
export function markedPdf(marks: number[], size: MarkedSize = 'a4'): string {
  const [w, h] = SIZES[size];
  return cachedFile(`pdf-${size}-${marks.join('_')}`, 'pdf', (out) =>
    gs(['-sDEVICE=pdfwrite', '-o', out], markedPs(marks, w, h)),
  );
}

/** A one-page picture (A4 proportions, `dpi` pixels per inch) with mark k. */
export function markedImage(kind: 'jpeg' | 'png' | 'png-gray', k: number, dpi = 60): string {
  const [w, h] = SIZES.a4;
  const device = kind === 'jpeg' ? 'jpeg' : kind === 'png' ? 'png16m' : 'pnggray';
  return cachedFile(`${kind}-${k}-${dpi}`, kind === 'jpeg' ? 'jpg' : 'png', (out) =>
    gs([`-sDEVICE=${device}`, `-r${dpi}`, '-o', out], markedPs([k], w, h, kind !== 'png-gray')),
  );
}

/** A TIFF (all pages in one file): 'rgb' colour (tiff24nc), 'gray', or 'bilevel' (G4), at dpi. */
export function markedTiff(marks: number[], colour: 'rgb' | 'gray' | 'bilevel' = 'rgb', dpi = 72): string {
  const [w, h] = SIZES.a4;
  const device = { rgb: 'tiff24nc', gray: 'tiffgray', bilevel: 'tiffg4' }[colour];
  return cachedFile(`tiff-${colour}-${dpi}-${marks.join('_')}`, 'tif', (out) =>
    gs([`-sDEVICE=${device}`, `-r${dpi}`, '-o', out], markedPs(marks, w, h, colour === 'rgb')),
  );
}
