/*
 * pdfs.ts: small test PDFs made at test time by Ghostscript's pdfwrite from PostScript programs, so every
 * fixture is generated and its content (a square, a bar, a page mark) is known exactly.
 */
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GS = '/usr/bin/gs';
export const TIFFINFO = '/usr/bin/tiffinfo';

export const A4 = [595, 842] as const;
export const LETTER = [612, 792] as const;

/** A fresh temporary directory for one test file. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `faxmail-${prefix}-`));
}

/** Turn a PostScript program into a PDF at `dir/name`; returns the path. */
export async function psToPdf(dir: string, name: string, ps: string): Promise<string> {
  const src = join(dir, `${name}.ps`);
  const out = join(dir, name);
  writeFileSync(src, ps);
  await execa(GS, ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=pdfwrite', `-sOutputFile=${out}`, src]);
  return out;
}

function page(size: readonly [number, number], body: string): string {
  return `<< /PageSize [${size[0]} ${size[1]}] >> setpagedevice\n${body}\nshowpage\n`;
}

/** One page with a black square of `side` points centred on it. */
export function squarePs(size: readonly [number, number], side: number): string {
  const x = (size[0] - side) / 2;
  const y = (size[1] - side) / 2;
  return `%!PS\n${page(size, `0 setgray ${x} ${y} ${side} ${side} rectfill`)}`;
}

/** A landscape A4 page (842 x 595) with a bar `thick` points deep along its whole top edge. */
export function landscapeBarPs(thick: number): string {
  return `%!PS\n${page([842, 595], `0 setgray 0 ${595 - thick} 842 ${thick} rectfill`)}`;
}

/**
 * `n` pages; page i (1-based) carries a 20 x 20 pt mark whose left edge is at 40 + 25 * ((i - 1) mod 20)
 * points and whose top is 60 + 40 * floor((i - 1) / 20) points below the top edge, plus some text.
 */
export function markedPagesPs(size: readonly [number, number], n: number): string {
  let ps = '%!PS\n/Helvetica findfont 14 scalefont setfont\n';
  for (let i = 1; i <= n; i++) {
    const x = 40 + 25 * ((i - 1) % 20);
    const top = 60 + 40 * Math.floor((i - 1) / 20);
    ps += page(
      size,
      `0 setgray ${x} ${size[1] - top - 20} 20 20 rectfill 72 300 moveto (Page ${i} of ${n}: The quick brown ` +
        `fox jumps over the lazy dog.) show`,
    );
  }
  return ps;
}

/** Where markedPagesPs put page i's mark: left edge and top, in points from the top-left corner. */
export function markPosition(i: number): { left: number; top: number } {
  return { left: 40 + 25 * ((i - 1) % 20), top: 60 + 40 * Math.floor((i - 1) / 20) };
}

/** `n` pages of dense text (a realistic load for timing). */
export function textPagesPs(size: readonly [number, number], n: number): string {
  return `%!PS
<< /PageSize [${size[0]} ${size[1]}] >> setpagedevice
/Times-Roman findfont 11 scalefont setfont
1 1 ${n} { /p exch def
  0 1 55 { /l exch def 54 ${size[1] - 52} l 12 mul sub moveto
    (The quick brown fox jumps over the lazy dog. Page ) show p 5 string cvs show ( line ) show l 3 string cvs show
  } for
  showpage } for
`;
}

/**
 * One A4 page with two grey boxes drawn as 8-bit images (so they go through image scaling, like a photo):
 * 40% grey (left box) and 70% grey (right box), each 200 x 200 pt, top edges 100 pt below the page top.
 */
export function greyImagePs(): string {
  const img = (x: number, grey: number): string => {
    const byte = Math.round(grey * 255)
      .toString(16)
      .padStart(2, '0');
    return `gsave ${x} 542 translate 200 200 scale 16 16 8 [16 0 0 -16 0 16] {<${byte.repeat(16)}>} image grestore`;
  };
  return `%!PS\n${page(A4, `${img(60, 0.4)} ${img(335, 0.7)}`)}`;
}
export const GREY_BOXES = { top: 100, size: 200, left40: 60, left70: 335 } as const;

/** A PostScript program that never ends (saved with a .pdf name, it must be refused, not run). */
export const LOOPING_PS = '%!PS\n{ 1 pop } loop\n';

export function writeText(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
