import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { parseMessage, MAX_BODY_CHARS, type ParsedMessage } from '../../lib/mime/parse.js';
import { FaxError } from '../../lib/errors.js';
import { bytesOf, makeJpeg, makePdf, makePng } from '../helpers/documents.js';
import {
  attachmentNode,
  buildMime,
  composeMail,
  encodeWord,
  forwardedMail,
  htmlOnlyMail,
  japaneseTextMail,
  JAPANESE_TEXT,
  mixedAlternativeMail,
  namesMail,
  relatedLogoMail,
  textNode,
  winmailMail,
} from '../helpers/mail-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'faxmail-parse-'));
process.once('exit', () => rmSync(root, { recursive: true, force: true }));
let n = 0;
const work = (): string => join(root, String(++n));
const parse = (mail: Buffer, limits?: { maxParts?: number; maxDepth?: number }): Promise<ParsedMessage> =>
  parseMessage(Readable.from([mail]), work(), limits);

test('multipart/mixed with multipart/alternative: bodies and attachments in order, bytes intact', async () => {
  const m = await parse(mixedAlternativeMail());
  assert.equal(
    m.parts.map((p) => [p.index, p.filename, p.contentType, p.disposition, p.depth]),
    [
      [1, 'first.pdf', 'application/pdf', 'attachment', 0],
      [2, 'second.jpg', 'image/jpeg', 'attachment', 0],
    ],
  );
  assert.ok(readFileSync(m.parts[0]!.path).equals(bytesOf(makePdf({ pages: 2 }))));
  assert.ok(readFileSync(m.parts[1]!.path).equals(bytesOf(makeJpeg())));
  assert.is(m.parts[1]!.size, bytesOf(makeJpeg()).length);
  assert.match(m.text ?? '', 'Please fax the attached.');
  assert.match(m.html ?? '', '<b>attached</b>');
  assert.is(m.from?.address, 'alice@example.com');
  assert.is(m.from?.name, 'Alice Sender');
  assert.is(m.subject, 'Test fax');
  assert.match(m.messageId, /^<.+@example\.com>$/);
  assert.is(m.date?.toISOString(), '2024-05-01T09:30:00.000Z');
  assert.ok(m.headerBytes > 150 && m.headerBytes < 400, String(m.headerBytes));
});

test("stored files have our own names, never the sender's", async () => {
  const mail = buildMime({
    multipart: 'mixed',
    parts: [attachmentNode(bytesOf(makePdf()), { type: 'application/pdf', filename: '../../../etc/evil\u0001.pdf' })],
  });
  const m = await parse(mail);
  assert.is(m.parts[0]!.filename, 'evil.pdf');
  assert.match(basename(m.parts[0]!.path), /^p\d{4}\.bin$/);
  assert.equal(readdirSync(dirname(m.parts[0]!.path)), ['p0001.bin']);
});

test('multipart/related logo: inline, cid and related are reported', async () => {
  const m = await parse(relatedLogoMail());
  const [logo, pdf] = m.parts;
  assert.is(logo?.disposition, 'inline');
  assert.is(logo?.cid, 'logo@example');
  assert.is(logo?.related, true);
  assert.ok((logo?.size ?? 0) < 1000);
  assert.is(pdf?.filename, 'invoice.pdf');
  assert.is(pdf?.related, false);
  assert.is(pdf?.cid, '');
});

test('forwarded message/rfc822: its attachments take its place in the order', async () => {
  const before = attachmentNode(bytesOf(makePng()), { type: 'image/png', filename: 'before.png' });
  const after = attachmentNode(bytesOf(makeJpeg()), { type: 'image/jpeg', filename: 'after.jpg' });
  const m = await parse(forwardedMail({ before: [before], after: [after] }));
  assert.equal(
    m.parts.map((p) => [p.index, p.filename, p.depth]),
    [
      [1, 'before.png', 0],
      [2, 'forwarded.pdf', 1],
      [3, 'after.jpg', 0],
    ],
  );
  assert.ok(readFileSync(m.parts[1]!.path).equals(bytesOf(makePdf({ title: 'forwarded' }))));
  // The forwarded mail's text is not mixed into the mail's own text.
  assert.not.match(m.text ?? '', 'Original message text');
  assert.is(m.subject, 'Fwd: Original');
});

test('forwarded mails are opened only to maxDepth', async () => {
  const deep = await parse(forwardedMail({ depth: 3 }));
  assert.equal(
    deep.parts.map((p) => [p.filename, p.depth]),
    [['forwarded.pdf', 3]],
  );
  const cut = await parse(forwardedMail({ depth: 3 }), { maxDepth: 2 });
  assert.equal(
    cut.parts.map((p) => [p.contentType, p.depth]),
    [['message/rfc822', 2]],
  );
});

test('RFC 2047, RFC 2231 (plain and continued) names decode; octet-stream recognised by name', async () => {
  const m = await parse(namesMail());
  assert.equal(
    m.parts.map((p) => p.filename),
    ['請求書.pdf', 'über uns.pdf', '見積書（2024年度）最終版.pdf', 'scan.PDF', ''],
  );
  assert.is(m.parts[3]!.contentType, 'application/pdf');
  assert.is(m.parts[4]!.contentType, 'application/octet-stream');
});

test('nodemailer-composed mail: Japanese attachment name, inline cid image, Japanese subject', async () => {
  const mail = await composeMail({
    subject: '見積書 +fine',
    text: JAPANESE_TEXT,
    html: '<p>見積書</p><img src="cid:sig">',
    attachments: [
      { filename: '見積書.pdf', content: bytesOf(makePdf()) },
      { filename: 'sig.png', content: bytesOf(makePng({ width: 30, height: 10 })), cid: 'sig' },
    ],
  });
  const m = await parse(mail);
  assert.is(m.subject, '見積書 +fine');
  const pdf = m.parts.find((p) => p.filename === '見積書.pdf');
  const sig = m.parts.find((p) => p.filename === 'sig.png');
  assert.ok(pdf && sig);
  assert.is(pdf.contentType, 'application/pdf');
  assert.is(sig.cid, 'sig');
  assert.is(sig.related, true);
  assert.match(m.text ?? '', '請求書を送付');
});

test('Japanese UTF-8 text body and encoded From name', async () => {
  const m = await parse(japaneseTextMail());
  assert.is(m.subject, '請求書の送付 +body');
  assert.is(m.from?.name, '山田 太郎');
  assert.match(m.text ?? '', JAPANESE_TEXT);
  assert.equal(m.parts, []);
});

test('HTML-only mail: html kept, no text invented', async () => {
  const m = await parse(htmlOnlyMail());
  assert.match(m.html ?? '', '<h1>Order</h1>');
  assert.ok(!m.text || m.text.trim() === '');
});

test('winmail.dat arrives as one application/ms-tnef part', async () => {
  const m = await parse(winmailMail());
  assert.equal(
    m.parts.map((p) => [p.filename, p.contentType]),
    [['winmail.dat', 'application/ms-tnef']],
  );
});

test('bodies are cut at MAX_BODY_CHARS', async () => {
  const m = await parse(buildMime(textNode('x'.repeat(MAX_BODY_CHARS + 5000))));
  assert.is(m.text?.length, MAX_BODY_CHARS);
});

test('more attachments than maxParts: too-large', async () => {
  const parts = Array.from({ length: 5 }, (_, i) =>
    attachmentNode(Buffer.from(`%PDF-1.4 ${i}`), { type: 'application/pdf', filename: `${i}.pdf` }),
  );
  try {
    await parse(buildMime({ multipart: 'mixed', parts }), { maxParts: 3 });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, 'too-large');
    assert.match((err as FaxError).message, 'more than 3 attachments');
  }
  const ok = await parse(buildMime({ multipart: 'mixed', parts }), { maxParts: 5 });
  assert.is(ok.parts.length, 5);
});

test('a failing input stream is a temporary error', async () => {
  const input = new Readable({
    read() {
      this.destroy(Object.assign(new Error('read failed'), { code: 'EIO' }));
    },
  });
  try {
    await parseMessage(input, work());
    assert.unreachable();
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, 'temporary');
  }
});

test('a mail without MIME structure is just text; an RFC 2047 subject decodes', async () => {
  const m = await parse(Buffer.from(`Subject: ${encodeWord('こんにちは')}\r\nFrom: x@example.com\r\n\r\nhello\r\n`));
  assert.is(m.subject, 'こんにちは');
  assert.match(m.text ?? '', 'hello');
  assert.equal(m.parts, []);
});

test('the same mail fed one byte at a time: the same parts, bytes and text', async () => {
  const mail = mixedAlternativeMail();
  const whole = await parse(mail);
  const bytes = (function* () {
    for (let i = 0; i < mail.length; i++) yield mail.subarray(i, i + 1);
  })();
  const slow = await parseMessage(Readable.from(bytes), work());
  assert.equal(
    slow.parts.map((p) => [p.filename, p.contentType, p.size]),
    whole.parts.map((p) => [p.filename, p.contentType, p.size]),
  );
  assert.ok(readFileSync(slow.parts[0]!.path).equals(readFileSync(whole.parts[0]!.path)));
  assert.is(slow.text, whole.text);
  assert.is(slow.html, whole.html);
  assert.is(slow.headerBytes, whole.headerBytes);
});

test(
  'body or attachment as mail readers decide: text with a name stays text, text ' + 'marked attachment is a file',
  async () => {
    const mail = buildMime({
      multipart: 'mixed',
      parts: [
        { type: 'text/plain; charset=utf-8; name="note.txt"', body: 'inline note', encoding: '8bit' },
        {
          type: 'text/plain; charset=utf-8',
          disposition: 'attachment; filename="a.txt"',
          body: 'a file',
          encoding: '8bit',
        },
        { type: 'text/html; charset=utf-8', disposition: 'form-data', body: '<p>x</p>', encoding: '8bit' },
        { type: 'message/delivery-status', body: 'Status: 5.0.0', encoding: '7bit' },
      ],
    });
    const m = await parse(mail);
    assert.equal(m.text?.split('\n').filter(Boolean), ['inline note', 'Status: 5.0.0']);
    assert.is(m.html, undefined);
    assert.equal(
      m.parts.map((p) => [p.filename, p.contentType, p.disposition]),
      [
        ['a.txt', 'text/plain', 'attachment'],
        ['', 'text/html', ''],
      ],
    );
    assert.is(
      readFileSync(m.parts[0]!.path, 'utf8'),
      'a file\r\n',
      'the line break before the boundary is not content',
    );
  },
);

test('charsets of bodies: ISO-2022-JP, windows-1252, an unknown one; format=flowed joined', async () => {
  const jis = Buffer.from([0x1b, 0x24, 0x42, 0x40, 0x41, 0x35, 0x61, 0x3d, 0x71, 0x1b, 0x28, 0x42]);
  const mail = buildMime({
    multipart: 'mixed',
    parts: [
      { type: 'text/plain; charset=ISO-2022-JP', body: jis, encoding: '7bit' },
      { type: 'text/plain; charset=windows-1252', body: Buffer.from([0x93, 0x68, 0x69, 0x94]), encoding: 'base64' },
      { type: 'text/plain; charset=x-made-up', body: Buffer.from('caf\u00e9'), encoding: '8bit' },
      { type: 'text/plain; charset=utf-8; format=flowed', body: 'one \r\ntwo', encoding: '8bit' },
    ],
  });
  const m = await parse(mail);
  assert.equal(m.text?.split('\n').filter(Boolean), ['請求書', '“hi”', 'café', 'one two']);
});

test('missing closing boundary: the last attachment is whole up to the end of the mail', async () => {
  const pdf = bytesOf(makePdf());
  const full = buildMime({
    multipart: 'mixed',
    parts: [textNode('hi'), attachmentNode(pdf, { type: 'application/pdf', filename: 'a.pdf' })],
  });
  const cut = Buffer.from(full.toString('latin1').replace(/\r\n--[^\r\n]+--\r\n$/, '\r\n'), 'latin1');
  assert.ok(cut.length < full.length);
  const m = await parse(cut);
  assert.ok(readFileSync(m.parts[0]!.path).equals(pdf));
  assert.match(m.text ?? '', 'hi');
});

test('hostile structure: a header block over 1 MB is bad-document, nothing written', async () => {
  const mail = Buffer.from(`Subject: x\r\nX-Junk: ${'a'.repeat(1024 * 1024)}\r\n\r\nbody`);
  const dir = work();
  try {
    await parseMessage(Readable.from([mail]), dir);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, 'bad-document');
  }
  assert.equal(readdirSync(join(dir, 'parts')), []);
});

test('the abort of the run is passed on as it is, also while the input waits', async () => {
  const controller = new AbortController();
  const input = new Readable({ read() {} });
  input.push('Subject: slow\r\n\r\n');
  const parsing = parseMessage(input, work(), { signal: controller.signal });
  setImmediate(() => controller.abort());
  try {
    await parsing;
    assert.unreachable();
  } catch (err) {
    assert.not.instance(err, FaxError);
    assert.is((err as Error).name, 'AbortError');
  }
});

test('unreadable Date is left out; Message-ID gets its brackets; repeated author headers are named', async () => {
  const mail = Buffer.from(
    'From: a@example.com\r\nFrom: b@example.com\r\nSender: s@example.com, t@example.com\r\nDate: not a date\r\n' +
      'Message-ID: abc@example.com\r\nTo: x@example.com, Team: y@example.com;\r\nCc: z@example.com\r\n\r\nhi',
  );
  const m = await parse(mail);
  assert.is(m.date, undefined);
  assert.is(m.messageId, '<abc@example.com>');
  assert.equal(m.authors.repeated, ['from', 'sender']);
  assert.equal(m.authors.from, [{ address: 'a@example.com', name: '' }]);
  assert.equal(m.authors.sender, { address: 's@example.com', name: '' });
  assert.equal(
    m.recipients?.map((r) => r.address),
    ['x@example.com', 'y@example.com', 'z@example.com'],
  );
});

test.run();
