import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareBodyText, renderBodyPdf } from '../../lib/documents/body-page.js';
import { JAPANESE_TEXT } from '../helpers/mail-fixtures.js';
import { darkRows, pdfFonts, pdfPages, pdfText, renderGray, textLineCount } from './pdf-check.js';

const FONT = '/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf';
const dir = mkdtempSync(join(tmpdir(), 'faxmail-body-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const out = (): string => join(dir, `${++n}.pdf`);
const squash = (s: string): string => s.replace(/\s+/g, '');

test('Japanese text renders with the embedded IPAGothic font and comes back out as text', async () => {
  const file = out();
  const r = await renderBodyPdf(
    JAPANESE_TEXT,
    { from: '山田 太郎 <yamada@example.jp>', subject: '請求書の送付', date: new Date('2024-05-01T09:30:00Z') },
    file,
    { paper: 'a4', fontPath: FONT },
  );
  assert.is(r.pages, 1);
  assert.ok(r.embeddedFont);
  assert.match(pdfFonts(file), /IPAGothic\s+CID TrueType\s+Identity-H\s+yes\s+yes/);
  const text = pdfText(file);
  assert.match(squash(text), squash(JAPANESE_TEXT));
  assert.match(text, 'Subject: 請求書の送付');
  assert.match(text, 'From: 山田 太郎 <yamada@example.jp>');
  const pages = pdfPages(file);
  assert.equal(
    pages.map((p) => [Math.round(p.width), Math.round(p.height)]),
    [[595, 842]],
  );
  // The page is ink on paper: several text lines of dark pixels (header 3 lines, rule, wrapped body).
  const img = renderGray(file, 1, 72);
  assert.ok(textLineCount(img) >= 5, `text lines: ${textLineCount(img)}`);
  assert.ok(darkRows(img) > 20);
});

test('unspaced Japanese wraps inside the margins (no line runs off the page)', async () => {
  const file = out();
  await renderBodyPdf(JAPANESE_TEXT.repeat(10), {}, file, { paper: 'letter', fontPath: FONT });
  const lines = pdfText(file)
    .split('\n')
    .filter((l) => l.trim() !== '');
  assert.ok(lines.length >= 10, `lines: ${lines.length}`);
  // Letter width minus 2 x 20 mm at 11 pt: about 40 full-width characters per line.
  for (const l of lines) assert.ok(Array.from(l).length <= 48, `line too long: ${l}`);
  assert.equal(
    pdfPages(file).map((p) => [p.width, p.height]),
    [[612, 792]],
  );
  // Ink stays within the page's 20 mm margins (50 dpi: 20 mm is 39 px; allow 5 px).
  const img = renderGray(file, 1, 50);
  for (let y = 0; y < img.height; y++) {
    for (const x of [0, 20, 34, img.width - 35, img.width - 21, img.width - 1])
      assert.ok(img.data[y * img.width + x]! >= 128, `ink at ${x},${y}`);
  }
});

test('long text flows onto more pages; a long word is broken', async () => {
  const file = out();
  const text =
    Array.from({ length: 150 }, (_, i) => `Line ${i + 1} of a long mail`).join('\n') +
    '\nhttps://example.com/' +
    'a'.repeat(400);
  const r = await renderBodyPdf(text, {}, file, { paper: 'a4', fontPath: FONT });
  assert.ok(r.pages >= 3, `pages: ${r.pages}`);
  assert.is(pdfPages(file).length, r.pages);
  const t = pdfText(file);
  assert.match(t, 'Line 150 of a long mail');
  assert.match(squash(t), 'a'.repeat(400));
});

test('without a font file Helvetica is used and unknown characters become ?', async () => {
  const file = out();
  const r = await renderBodyPdf('Grüße 日本', {}, file, { paper: 'a4', fontPath: '' });
  assert.not.ok(r.embeddedFont);
  assert.match(pdfText(file), 'Grüße ??');
  const r2 = await renderBodyPdf('x', {}, out(), { paper: 'a4', fontPath: join(dir, 'missing.ttf') });
  assert.not.ok(r2.embeddedFont);
});

test('prepareBodyText: line ends, tabs, control characters, length bound', () => {
  assert.is(prepareBodyText('a\r\nb\rc'), 'a\nb\nc');
  assert.is(prepareBodyText('a\tb\n\tc'), 'a       b\n        c');
  assert.is(prepareBodyText('a\u0000\u0007b\u200b \n\n'), 'ab');
  const cut = prepareBodyText('x'.repeat(100), 10);
  assert.match(cut, /^x{10}\n\n\[… the rest of the mail text \(90 characters\) was cut …\]$/);
});

test.run();
