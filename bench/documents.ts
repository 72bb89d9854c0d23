/*
 * documents.ts: the benchmark's documents and mails, generated on the spot into a directory (no
 * downloads). PDFs of the fax tests come from test/helpers/documents.ts (Ghostscript pdfwrite from the
 * project's own PostScript drawing); the big "scanned" PDF and the mixed line-time set are written by
 * bench/pdf.ts; mails are composed with test/helpers/mail-fixtures.ts (nodemailer's MailComposer).
 * Every generator returns a path and reuses a file that is already there (same name, same content).
 */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { makePdf } from '../test/helpers/documents.js';
import { composeMail } from '../test/helpers/mail-fixtures.js';
import { pdfString, writePdf, type PdfPage } from './pdf.js';

const LETTER: [number, number] = [612, 792];
const A4: [number, number] = [595, 842];

/** A small, seeded pseudo-random generator (xorshift32): the same document on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

function once(path: string, make: (path: string) => void): string {
  if (!existsSync(path)) make(path);
  return path;
}

/** An office letter PDF with `pages` pages (title, 12 text lines, boxes, a grey and a red block each). */
export function officePdf(dir: string, pages: number, size: 'a4' | 'letter'): string {
  return once(join(dir, `office-${pages}-${size}.pdf`), (out) =>
    copyFileSync(makePdf({ pages, size, title: 'faxmail bench' }), out),
  );
}

/**
 * A "scanned" PDF of about `megabytes` MB: pages of 8-bit grey image data stored unfiltered (noise in the
 * light range 176-255, like paper grain: incompressible, and white once thresholded) with a text line.
 */
export function scannedPdf(dir: string, megabytes: number): string {
  return once(join(dir, `scanned-${megabytes}mb.pdf`), (out) => {
    const [w, h] = A4;
    const iw = 1700;
    const ih = 1500;
    const pages = Math.max(1, Math.round((megabytes * 1024 * 1024) / (iw * ih)));
    const rnd = random(25);
    const list: PdfPage[] = [];
    for (let p = 0; p < pages; p++) {
      const samples = new Uint8Array(iw * ih);
      for (let i = 0; i < samples.length; i++) samples[i] = 176 + Math.floor(rnd() * 80);
      list.push({
        width: w,
        height: h,
        images: [{ width: iw, height: ih, samples }],
        content:
          `q ${w - 60} 0 0 ${h - 120} 30 30 cm /Im0 Do Q BT /F1 18 Tf 40 ${h - 60} Td ` +
          `${pdfString(`Scanned page ${p + 1} of ${pages}`)} Tj ET`,
      });
    }
    writeFileSync(out, writePdf(list));
  });
}

function textLines(h: number, from: number, count: number, size = 11): string {
  const words = 'the quick brown fox jumps over the lazy dog invoice order delivery payment terms account'.split(' ');
  const rnd = random(7);
  let s = `BT /F1 ${size} Tf`;
  for (let l = 0; l < count; l++) {
    const line = Array.from({ length: 12 }, () => words[Math.floor(rnd() * words.length)]).join(' ');
    s += ` 1 0 0 1 60 ${h - from - l * (size + 5)} Tm ${pdfString(line)} Tj`;
  }
  return `${s} ET`;
}

/**
 * A long report on Letter paper: `pages` pages of dense text (a heading, 46 lines of 10 pt text), a ruled
 * table and a light-grey box per page, like a contract or a statement: what a big fax usually is.
 */
export function reportPdf(dir: string, pages: number): string {
  return once(join(dir, `report-${pages}-letter.pdf`), (out) => {
    const [w, h] = LETTER;
    const list: PdfPage[] = [];
    for (let p = 1; p <= pages; p++) {
      let c =
        `BT /F1 18 Tf 60 ${h - 60} Td ${pdfString(`Statement of account, page ${p} of ${pages}`)} Tj ET ` +
        `${textLines(h, 90, 46, 10)}`;
      c += ` 0.9 g 60 60 ${w - 120} 60 re f 0 g 0.6 w`;
      for (let r = 0; r <= 4; r++) c += ` 60 ${60 + r * 15} m ${w - 60} ${60 + r * 15} l S`;
      for (let k = 0; k <= 4; k++) c += ` ${60 + (k * (w - 120)) / 4} 60 m ${60 + (k * (w - 120)) / 4} 120 l S`;
      list.push({ width: w, height: h, content: c });
    }
    writeFileSync(out, writePdf(list));
  });
}

/** The three pages of the line-time set, one PDF each: a text letter, a form with grey shading, a photo. */
export function lineTimeSet(dir: string): { name: string; pdf: string }[] {
  const [w, h] = A4;
  const text = once(join(dir, 'line-text.pdf'), (out) =>
    writeFileSync(
      out,
      writePdf([
        {
          width: w,
          height: h,
          content: `BT /F1 22 Tf 60 ${h - 80} Td (Quarterly letter) Tj ET ${textLines(h, 120, 40)}`,
        },
      ]),
    ),
  );
  const form = once(join(dir, 'line-form.pdf'), (out) => {
    // A typical order form: a dark header bar, light-grey field backgrounds, a mid-grey total row.
    let c = `0.35 g 40 ${h - 100} ${w - 80} 50 re f 1 g BT /F1 20 Tf 55 ${h - 82} Td (ORDER FORM) Tj ET 0 g`;
    for (let r = 0; r < 14; r++) {
      const y = h - 160 - r * 40;
      c +=
        ` 0 g BT /F1 11 Tf 50 ${y + 10} Td ${pdfString(`Field ${r + 1}`)} Tj ET 0.88 g 160 ${y} ${w - 210} ` +
        `28 re f 0 g 0.5 w 160 ${y} ${w - 210} 28 re S`;
    }
    c += ` 0.7 g 40 90 ${w - 80} 40 re f 0 g BT /F1 14 Tf 55 104 Td (TOTAL) Tj ET`;
    writeFileSync(out, writePdf([{ width: w, height: h, content: c }]));
  });
  const photo = once(join(dir, 'line-photo.pdf'), (out) => {
    // A photo-like continuous-tone image: smooth light, a few round shapes, fine grain.
    const iw = 900;
    const ih = 1200;
    const rnd = random(3);
    const samples = new Uint8Array(iw * ih);
    for (let y = 0; y < ih; y++) {
      for (let x = 0; x < iw; x++) {
        let v = 70 + (150 * (x + y)) / (iw + ih) + 35 * Math.sin(x / 47) * Math.cos(y / 61);
        for (const [cx, cy, r, tone] of [
          [300, 400, 160, 40],
          [620, 800, 220, 200],
          [450, 1000, 90, 20],
        ] as const) {
          if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) v = v * 0.4 + tone * 0.6;
        }
        samples[y * iw + x] = Math.max(0, Math.min(255, Math.round(v + (rnd() - 0.5) * 16)));
      }
    }
    writeFileSync(
      out,
      writePdf([
        {
          width: w,
          height: h,
          images: [{ width: iw, height: ih, samples, deflate: true }],
          content: `q ${w - 100} 0 0 ${h - 140} 50 50 cm /Im0 Do Q BT /F1 16 Tf 50 ${h - 60} Td (Site photo) Tj ET`,
        },
      ]),
    );
  });
  return [
    { name: 'text', pdf: text },
    { name: 'form (grey shading)', pdf: form },
    { name: 'photo', pdf: photo },
  ];
}

/**
 * Two pages where the line screen costs line time for nothing, the reason fax.dither = "auto" exists: a
 * scanned letter (text on paper tinted 8-12 % grey with grain) and a page of coloured text and thin grey
 * rules (links, headings, table lines).
 */
export function screenlessSet(dir: string): { name: string; pdf: string }[] {
  const [w, h] = A4;
  const scan = once(join(dir, 'line-scan.pdf'), (out) => {
    const iw = 850;
    const ih = 1200;
    const rnd = random(11);
    const samples = new Uint8Array(iw * ih);
    for (let i = 0; i < samples.length; i++) samples[i] = 225 + Math.floor(rnd() * 10);
    // Text lines as dark bars of "ink" (a scanned letter seen from afar: what matters is the paper tone).
    for (let l = 0; l < 40; l++) {
      const y0 = 120 + l * 26;
      for (let y = y0; y < y0 + 9; y++)
        for (let x = 80; x < 80 + 560 + ((l * 37) % 130); x++)
          if (rnd() < 0.55) samples[y * iw + x] = 30 + Math.floor(rnd() * 40);
    }
    writeFileSync(
      out,
      writePdf([
        {
          width: w,
          height: h,
          images: [{ width: iw, height: ih, samples, deflate: true }],
          content: `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`,
        },
      ]),
    );
  });
  const coloured = once(join(dir, 'line-coloured.pdf'), (out) => {
    let c =
      `1 0 0 rg BT /F1 22 Tf 60 ${h - 80} Td (Offer: valid until the end of the month) Tj ET 0 0 0.8 rg ` +
      `${textLines(h, 120, 36)}`;
    for (let r = 0; r < 12; r++) c += ` 0.5 G 0.4 w 60 ${h - 130 - r * 50} m ${w - 60} ${h - 130 - r * 50} l S`;
    writeFileSync(out, writePdf([{ width: w, height: h, content: c }]));
  });
  return [
    { name: 'scanned letter (tinted paper)', pdf: scan },
    { name: 'coloured text and grey rules', pdf: coloured },
  ];
}

/** A mail with the PDFs attached, as a file (written once). */
export async function mailWith(
  dir: string,
  name: string,
  pdfs: string[],
  contentType = 'application/pdf',
): Promise<string> {
  const out = join(dir, `${name}.eml`);
  if (existsSync(out)) return out;
  const attachments = await Promise.all(
    pdfs.map(async (p) => ({ filename: basename(p), content: await readFile(p), contentType })),
  );
  const mail = await composeMail({
    from: 'alice@example.org',
    to: 'fax+0312345678@fax.example.com',
    subject: `bench ${name}`,
    text: 'Please find the document attached.',
    attachments,
  });
  writeFileSync(out, mail);
  return out;
}
