import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/schema.js';
import type { FaxError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { parseMessage } from '../../lib/mime/parse.js';
import { bodyTextOf, prepareDocuments, type PreparedDocuments } from '../../lib/documents/prepare.js';
import {
  bytesOf,
  copyAs,
  encodePlainZip,
  makeJpeg,
  makePdf,
  makePng,
  makeTiff,
  truncatedCopy,
} from '../helpers/documents.js';
import {
  attachmentNode,
  buildMime,
  forwardedMail,
  htmlOnlyMail,
  japaneseTextMail,
  JAPANESE_TEXT,
  mixedAlternativeMail,
  namesMail,
  relatedLogoMail,
  textNode,
  unsupportedMail,
  winmailMail,
} from '../helpers/mail-fixtures.js';
import { expectFaxError } from '../helpers/assert-rejects.js';
import { pdfPages, pdfText } from './pdf-check.js';

const root = mkdtempSync(join(tmpdir(), 'faxmail-prepare-'));
process.once('exit', () => rmSync(root, { recursive: true, force: true }));
let n = 0;

function config(extra = ''): Readonly<Config> {
  return parseConfig(
    `[paths]\nspool = "${root}"\noutgoing = "${root}"\ntmp = "${root}"\nlog = "-"\n${extra}`,
    'test.toml',
    { checkPaths: false },
  );
}

async function prepare(
  mail: Buffer,
  opts: { body?: boolean; cfg?: Readonly<Config> } = {},
): Promise<PreparedDocuments> {
  const work = join(root, String(++n));
  const msg = await parseMessage(Readable.from([mail]), work);
  return prepareDocuments(msg, work, opts.cfg ?? config(), { body: opts.body ?? false }, silentLogger());
}

const failure = (p: Promise<unknown>): Promise<FaxError> => expectFaxError(p, 'expected a FaxError');

test('documents in MIME order, each as a PDF; PDF attachments stay as they are', async () => {
  const r = await prepare(mixedAlternativeMail());
  assert.equal(
    r.documents.map((d) => [d.name, d.kind]),
    [
      ['first.pdf', 'pdf'],
      ['second.jpg', 'jpeg'],
    ],
  );
  assert.is(r.documents[0]!.pdf, r.documents[0]!.source);
  assert.match(r.documents[1]!.pdf, /docs\/02-doc\.pdf$/);
  assert.is(pdfPages(r.documents[0]!.pdf).length, 2);
  assert.is(pdfPages(r.documents[1]!.pdf).length, 1);
  assert.ok(r.documents.every((d) => d.bytes > 0));
});

test('every faxable type, including octet-stream by content and a JPEG named .pdf', async () => {
  const mail = buildMime({
    multipart: 'mixed',
    parts: [
      textNode('all kinds\n'),
      attachmentNode(bytesOf(makeTiff({ pages: 2, colour: 'fax-g3', dpi: [204, 98] })), {
        type: 'image/tiff',
        filename: 'fax.tif',
      }),
      attachmentNode(bytesOf(makePng({ colorType: 6 })), { type: 'image/png', filename: 'alpha.png' }),
      attachmentNode(bytesOf(makePdf({ pages: 3, size: 'letter' })), { type: 'application/octet-stream' }),
      attachmentNode(bytesOf(copyAs(makeJpeg(), 'pdf')), { type: 'application/pdf', filename: 'scan.pdf' }),
    ],
  });
  const r = await prepare(mail);
  assert.equal(
    r.documents.map((d) => d.kind),
    ['tiff', 'png', 'pdf', 'jpeg'],
  );
  assert.equal(
    r.documents.map((d) => pdfPages(d.pdf).length),
    [2, 1, 3, 1],
  );
  assert.is(r.documents[2]!.name, 'attachment 3.pdf');
});

test('a signature logo is left out quietly, the PDF is faxed', async () => {
  const r = await prepare(relatedLogoMail());
  assert.equal(
    r.documents.map((d) => d.name),
    ['invoice.pdf'],
  );
  assert.equal(r.skipped, []);
  assert.equal(
    r.ignored.map((s) => s.name),
    ['logo.png'],
  );
});

test("a forwarded mail's PDF takes its place", async () => {
  const r = await prepare(
    forwardedMail({ after: [attachmentNode(bytesOf(makePng()), { type: 'image/png', filename: 'after.png' })] }),
  );
  assert.equal(
    r.documents.map((d) => d.name),
    ['forwarded.pdf', 'after.png'],
  );
});

test('decoded names are the names shown', async () => {
  const r = await prepare(namesMail());
  assert.equal(
    r.documents.map((d) => d.name),
    ['請求書.pdf', 'über uns.pdf', '見積書（2024年度）最終版.pdf', 'scan.PDF', 'attachment 5.pdf'],
  );
});

test('nothing faxable: no-document naming every skipped part', async () => {
  // Without LibreOffice (it is installed here, and would convert letter.docx).
  const e = await failure(prepare(unsupportedMail(), { cfg: config('libreoffice = ""\n') }));
  assert.is(e.code, 'no-document');
  for (const name of ['letter.docx', 'files.zip', 'setup.exe', 'picture.gif']) assert.match(e.message, `"${name}"`);
  assert.match(e.message, 'Please attach PDF, TIFF, JPEG or PNG files.');
  const empty = await failure(prepare(buildMime(textNode('no attachment\n'))));
  assert.is(empty.code, 'no-document');
  assert.match(empty.message, '+body');
});

test('unsupported parts beside a document are returned as skipped', async () => {
  const mail = buildMime({
    multipart: 'mixed',
    parts: [
      attachmentNode(bytesOf(makePdf()), { type: 'application/pdf', filename: 'ok.pdf' }),
      attachmentNode(encodePlainZip(), { type: 'application/zip', filename: 'x.zip' }),
    ],
  });
  const r = await prepare(mail);
  assert.equal(
    r.documents.map((d) => d.name),
    ['ok.pdf'],
  );
  assert.equal(
    r.skipped.map((s) => s.name),
    ['x.zip'],
  );
});

test('damaged attachments: bad-document with the sentence for the sender', async () => {
  const notPdf = buildMime({
    multipart: 'mixed',
    parts: [attachmentNode(Buffer.from('this is not a PDF'), { type: 'application/pdf', filename: 'x.pdf' })],
  });
  const e1 = await failure(prepare(notPdf));
  assert.is(e1.code, 'bad-document');
  assert.is(e1.message, 'The attachment "x.pdf" is damaged and cannot be faxed.');
  const cutPng = buildMime({
    multipart: 'mixed',
    parts: [attachmentNode(bytesOf(truncatedCopy(makePng(), 0.5)), { type: 'image/png', filename: 'x.png' })],
  });
  assert.is((await failure(prepare(cutPng))).message, 'The attachment "x.png" is damaged and cannot be faxed.');
  const cutTiff = buildMime({
    multipart: 'mixed',
    parts: [
      attachmentNode(bytesOf(truncatedCopy(makeTiff({ pages: 2, colour: 'fax-g3', dpi: [204, 98] }), 0.5)), {
        type: 'image/tiff',
        filename: 'fax.tif',
      }),
    ],
  });
  assert.is((await failure(prepare(cutTiff))).message, 'The attachment "fax.tif" is damaged and cannot be faxed.');
});

test('more documents than fax.max_documents: too-large', async () => {
  const parts = Array.from({ length: 3 }, (_, i) =>
    attachmentNode(bytesOf(makePdf()), { type: 'application/pdf', filename: `${i}.pdf` }),
  );
  const e = await failure(
    prepare(buildMime({ multipart: 'mixed', parts }), { cfg: config('[fax]\nmax_documents = 2\n') }),
  );
  assert.is(e.code, 'too-large');
  assert.match(e.message, 'has 3 documents to fax; at most 2');
});

test('body page first: Japanese text with header, cleaned subject', async () => {
  const mail = buildMime(
    {
      multipart: 'mixed',
      parts: [
        { type: 'text/plain; charset=UTF-8', body: Buffer.from(JAPANESE_TEXT), encoding: 'base64' },
        attachmentNode(bytesOf(makePdf()), { type: 'application/pdf', filename: 'a.pdf' }),
      ],
    },
    { subject: '=?UTF-8?B?6KuL5rGC5pu4?= +body +fine' },
  );
  const r = await prepare(mail, { body: true });
  assert.equal(
    r.documents.map((d) => [d.name, d.kind]),
    [
      ['mail text', 'body'],
      ['a.pdf', 'pdf'],
    ],
  );
  const text = pdfText(r.documents[0]!.pdf);
  assert.match(text.replace(/\s+/g, ''), JAPANESE_TEXT.replace(/\s+/g, ''));
  assert.match(text, 'Subject: 請求書');
  assert.not.match(text, '+body');
  assert.match(text, 'From: Alice Sender <alice@example.com>');
});

test('a body page alone is a fax; an HTML-only body is turned into text', async () => {
  const r = await prepare(japaneseTextMail(), { body: true });
  assert.equal(
    r.documents.map((d) => d.kind),
    ['body'],
  );
  const h = await prepare(htmlOnlyMail(), { body: true });
  const t = pdfText(h.documents[0]!.pdf);
  assert.match(t, 'Item 1 & item 2');
  assert.match(t, 'あ');
  assert.not.match(t, 'alert');
  assert.not.match(t, 'color:red');
});

test('body requested but the mail has no text and no attachment: no-document', async () => {
  const e = await failure(prepare(buildMime(textNode('   \n')), { body: true }));
  assert.is(e.code, 'no-document');
});

test('winmail.dat is unpacked when tnef is configured, named as skipped when not', async () => {
  const r = await prepare(winmailMail(), { cfg: config('tnef = "/usr/bin/tnef"\n') });
  assert.equal(r.documents.map((d) => [d.name, d.kind]).sort(), [
    ['photo.png', 'png'],
    ['report.pdf', 'pdf'],
  ]);
  const e = await failure(prepare(winmailMail(), { cfg: config('tnef = ""\n') }));
  assert.is(e.code, 'no-document');
  assert.match(e.message, '"winmail.dat" (Outlook\'s winmail.dat cannot be unpacked');
});

test('office documents are skipped with a note when LibreOffice is not configured', async () => {
  const e = await failure(prepare(unsupportedMail(), { cfg: config('libreoffice = ""\n') }));
  assert.match(
    e.message,
    '"letter.docx" (office documents (Word, Excel, ...) cannot be converted on this fax server; please send a PDF)',
  );
});

test('bodyTextOf prefers plain text, falls back to HTML', () => {
  assert.is(bodyTextOf({ text: '\n\nHello\n', html: '<p>x</p>' }), 'Hello');
  assert.is(bodyTextOf({ text: '  ', html: '<p>From <b>HTML</b></p>' }), 'From HTML');
  assert.is(bodyTextOf({}), '');
});

test.run();
