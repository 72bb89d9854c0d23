/*
 * cover-page.test.ts: the cover page read back the way a person (or pdftotext) reads it: every value in
 * English and Japanese, one page always, hostile names and subjects shown as text, a note that cannot
 * fake the layout, the admin's own template, a broken one replaced by the built-in one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  coverText,
  coverValues,
  layoutCover,
  renderCoverPdf,
  type CoverInfo,
  type CoverOptions,
} from '../../lib/documents/cover-page.js';
import { pdfFonts, pdfPages } from './pdf-check.js';

const root = mkdtempSync(join(tmpdir(), 'faxmail-cover-'));
process.once('exit', () => rmSync(root, { recursive: true, force: true }));
let n = 0;
const out = (): string => join(root, `c${++n}.pdf`);

const EN: CoverOptions = {
  paper: 'a4',
  fontPath: '/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf',
  locale: 'en',
  templatesDir: '',
};
const JA: CoverOptions = { ...EN, locale: 'ja' };

function info(over: Partial<CoverInfo> = {}): CoverInfo {
  return {
    to: 'Dr. Tanaka',
    number: '0312345678',
    from: 'Alice Example <alice@example.org>',
    date: new Date(2026, 11, 2, 9, 30),
    pages: 3,
    subject: 'Test results',
    note: 'Dear Dr. Tanaka,\nplease find the results attached.\nRegards, Alice',
    noteFollows: false,
    ...over,
  };
}

const flat = (s: string): string => s.replace(/\s+/g, ' ');

/** The text in drawing order (pdftotext -raw): a table row reads "label value". */
function pdfText(pdf: string): string {
  return execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' });
}

/** Words with their box heights in points (pdftotext -bbox). */
function wordHeights(pdf: string): { word: string; height: number }[] {
  const html = execFileSync('pdftotext', ['-bbox', pdf, '-'], { encoding: 'utf8' });
  return [...html.matchAll(/<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<\/word>/g)].map(
    (m) => ({ word: m[3]!, height: Number(m[2]) - Number(m[1]) }),
  );
}

test('English: every value on one page, read back by pdftotext', async () => {
  const pdf = out();
  const r = await renderCoverPdf(info(), pdf, EN);
  assert.is(r.cut, false);
  assert.ok(r.embeddedFont);
  assert.is(pdfPages(pdf).length, 1);
  const text = flat(pdfText(pdf));
  for (const want of [
    'FAX',
    'To Dr. Tanaka',
    'Fax number 0312345678',
    'From Alice Example <alice@example.org>',
    'Date 2026-12-02 09:30',
    'Pages 3 (including this page)',
    'Subject Test results',
    'please find the results attached.',
  ]) {
    assert.match(text, want);
  }
});

test('Japanese: the IPA font is embedded and the Japanese words come back', async () => {
  const pdf = out();
  await renderCoverPdf(
    info({
      to: '田中先生',
      subject: '検査結果のご送付',
      note: '田中先生\nいつもお世話になっております。検査結果をお送りします。',
    }),
    pdf,
    JA,
  );
  assert.match(pdfFonts(pdf), 'IPAGothic');
  const text = flat(pdfText(pdf));
  for (const want of [
    'FAX 送付状',
    '宛先 田中先生 様',
    'FAX番号 0312345678',
    '日時 2026年12月2日 09:30',
    '枚数 本紙を含め 3 枚',
    '件名 検査結果のご送付',
    '検査結果をお送りします。',
  ]) {
    assert.match(text, want);
  }
});

test('no recipient name and no subject: those rows are left out; a note that follows is announced', async () => {
  const pdf = out();
  await renderCoverPdf(info({ to: '', subject: '', note: '', noteFollows: true }), pdf, EN);
  const text = flat(pdfText(pdf));
  assert.not.match(text, 'To ');
  assert.not.match(text, 'Subject');
  assert.match(text, 'The message follows on the next page.');
});

test('hostile display names and subjects stay inert text', async () => {
  const pdf = out();
  const evil = info({
    to: '{{subject}} <script>alert(1)</script> \u202egnp.exe\n# BIG',
    subject: '{{#each x}}{{/each}} | --- \r\nBcc: x@example.com',
    from: '"=?utf-8?b?QQ==?=" <a@example.org>\u0000\u0007',
  });
  await renderCoverPdf(evil, pdf, EN);
  const text = flat(pdfText(pdf));
  // Template tags in values are shown as written, never evaluated; control and override characters are gone.
  assert.match(text, '{{subject}} <script>alert(1)</script> gnp.exe # BIG');
  assert.match(text, '{{#each x}}{{/each}} | --- Bcc: x@example.com');
  assert.not.match(pdfText(pdf), '\u202e');
  // "# BIG" inside the name is not a title: it is as small as the other row text.
  const big = wordHeights(pdf).find((w) => w.word === 'BIG');
  const title = wordHeights(pdf).find((w) => w.word === 'FAX');
  assert.ok(big && title && big.height < title.height * 0.6, `BIG ${big?.height} vs FAX ${title?.height}`);
});

test('the note cannot fake the layout: "# ...", "a | b" and "---" lines in it are plain text', () => {
  const values = coverValues(info({ note: '# INJECTED TITLE\nTotal | 0\n---\n## sub' }), 'en');
  const lines = layoutCover(`# FAX\nTo | ${values['to']}\n---\n${values['note']}\n`);
  assert.equal(
    lines.map((l) => l.kind),
    ['title', 'row', 'rule', 'text', 'text', 'text', 'text'],
  );
  assert.equal(
    lines.slice(3).map((l) => (l.kind === 'text' ? l.text : '')),
    ['# INJECTED TITLE', 'Total | 0', '---', '## sub'],
  );
  // A value at the start of a line cannot become a title either.
  assert.equal(layoutCover(`${coverValues(info({ to: '# X' }), 'en')['to']}\n`), [{ kind: 'text', text: '# X' }]);
  assert.is(coverText('a\u0000b\u202ec\n\td', 100), 'a b c d');
  assert.is(coverText('x'.repeat(300), 10), `${'x'.repeat(9)}…`);
});

test('a note too long for the page is cut (one page still) and reported', async () => {
  const pdf = out();
  const long = Array.from({ length: 200 }, (_, i) => `Line ${i + 1} of a very long letter that goes on and on.`).join(
    '\n',
  );
  const r = await renderCoverPdf(info({ note: long }), pdf, EN);
  assert.is(r.cut, true);
  assert.is(pdfPages(pdf).length, 1);
  assert.match(pdfText(pdf), 'Line 1 of a very long letter');
  assert.not.match(pdfText(pdf), 'Line 200 of');
  // Measuring only (no file) says the same.
  assert.is((await renderCoverPdf(info({ note: long }), undefined, EN)).cut, true);
});

test("the admin's own template wins; a broken one is logged and the built-in one used", async () => {
  const dir = join(root, 'templates');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cover.en.txt'), '# ACME CLINIC\n## Facsimile\nFor | {{to}}\nSheets | {{pages}}\n');
  const pdf = out();
  await renderCoverPdf(info(), pdf, { ...EN, templatesDir: dir });
  const text = flat(pdfText(pdf));
  assert.match(text, 'ACME CLINIC Facsimile For Dr. Tanaka Sheets 3');
  writeFileSync(join(dir, 'cover.ja.txt'), '# {{#if to}} never closed\n');
  const warnings: string[] = [];
  const log = { warn: (o: { template: string }) => warnings.push(o.template) } as unknown as NonNullable<
    CoverOptions['log']
  >;
  const pdf2 = out();
  await renderCoverPdf(info(), pdf2, { ...JA, templatesDir: dir, log });
  assert.match(flat(pdfText(pdf2)), 'FAX 送付状');
  assert.equal(warnings, [join(dir, 'cover.ja.txt')]);
});

test('Letter paper, and Helvetica when the font is missing', async () => {
  const pdf = out();
  const r = await renderCoverPdf(info({ to: '田中 Tanaka' }), pdf, {
    ...EN,
    paper: 'letter',
    fontPath: '/nonexistent.ttf',
  });
  assert.is(r.embeddedFont, false);
  const [p] = pdfPages(pdf);
  assert.ok(p && Math.abs(p.width - 612) < 1 && Math.abs(p.height - 792) < 1);
  assert.match(flat(pdfText(pdf)), 'To ?? Tanaka');
});

test.run();
