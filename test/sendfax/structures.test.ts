/*
 * structures.test.ts (black box): MIME structures real mail programs send, through the BUILT sendfax:
 * multipart/alternative inside mixed, multipart/related with a signature logo, forwarded mails
 * (message/rfc822, nested), and Japanese mail text as the first page (+body in the Subject). Page order is
 * read back from the marks on the pages (marked.ts); the harness checks and transmits every fax.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  attachmentNode,
  buildMime,
  encodeWord,
  forwardedMail,
  htmlNode,
  japaneseTextMail,
  mixedAlternativeMail,
  relatedLogoMail,
  textNode,
  JAPANESE_TEXT,
} from '../helpers/mail-fixtures.js';
import { bytesOf, encodePng } from '../helpers/documents.js';
import { markedImage, markedPdf } from './marked.js';
import { expectQueued, lookAtPages, newEnv, pageMarks, useHarness } from './harness.js';
import type { TestEnv } from '../helpers/sendfax-env.js';

useHarness(test);

let env: TestEnv;
test.before(() => {
  env = newEnv();
});

const pdfNode = (marks: number[], filename: string): ReturnType<typeof attachmentNode> =>
  attachmentNode(bytesOf(markedPdf(marks)), { type: 'application/pdf', filename });

test('multipart/mixed(alternative(text, html), PDF, JPEG): both attachments, text parts not faxed', async () => {
  const q = await expectQueued(env, mixedAlternativeMail());
  assert.equal(
    q.job.documents.map((d) => [d.name, d.kind, d.pages]),
    [
      ['first.pdf', 'pdf', 2],
      ['second.jpg', 'jpeg', 1],
    ],
  );
  assert.is(q.pages, 3);
  assert.equal(q.job.skipped, []);
});

test('multipart/related signature logo is left out quietly; the PDF is faxed', async () => {
  const q = await expectQueued(env, relatedLogoMail());
  assert.equal(
    q.job.documents.map((d) => d.name),
    ['invoice.pdf'],
  );
  assert.equal(q.job.skipped, [], 'a logo is not reported as skipped');
  assert.ok(!q.run.firstLine.includes('not faxed'), q.run.firstLine);
});

test('deep structure: alternative+related, a forwarded mail between attachments: MIME order kept', async () => {
  const inner = buildMime(
    { multipart: 'mixed', parts: [textNode('Original text.\n'), pdfNode([2, 3], 'inner.pdf')] },
    { subject: 'Original', from: 'Bob <bob@example.org>' },
  );
  const logo = encodePng({ width: 40, height: 20 });
  const mail = buildMime(
    {
      multipart: 'mixed',
      parts: [
        {
          multipart: 'related',
          parts: [
            {
              multipart: 'alternative',
              parts: [textNode('See below.\n'), htmlNode('<p>See below.</p><img src="cid:logo@x">')],
            },
            attachmentNode(logo, { type: 'image/png', filename: 'logo.png', disposition: 'inline', cid: 'logo@x' }),
          ],
        },
        pdfNode([1], 'before.pdf'),
        { message: inner, disposition: 'attachment; filename="Original.eml"' },
        attachmentNode(bytesOf(markedImage('jpeg', 4)), { type: 'image/jpeg', filename: 'after.jpg' }),
      ],
    },
    { from: 'Alice <alice@example.org>', subject: 'Fwd: Original' },
  );
  const q = await expectQueued(env, mail);
  assert.equal(
    q.job.documents.map((d) => [d.name, d.kind, d.pages]),
    [
      ['before.pdf', 'pdf', 1],
      ['inner.pdf', 'pdf', 2],
      ['after.jpg', 'jpeg', 1],
    ],
  );
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [1, 2, 3, 4]);
});

test('forwarded mail two levels deep: the innermost PDF is found', async () => {
  const q = await expectQueued(env, forwardedMail({ depth: 2 }));
  assert.equal(
    q.job.documents.map((d) => [d.name, d.kind, d.pages]),
    [['forwarded.pdf', 'pdf', 1]],
  );
  assert.is(q.job.subject, 'Fwd: Original');
});

test('Japanese text with +body: the mail text is an extra first page', async () => {
  const q = await expectQueued(env, japaneseTextMail(), { sender: 'yamada@example.jp' });
  assert.is(q.job.documents[0]!.kind, 'body');
  assert.is(q.job.documents.length, 1);
  assert.ok(q.pages >= 1);
  assert.is(q.job.subject, '請求書の送付', 'Subject without +body');
  assert.is(q.job.replyTo, 'yamada@example.jp');
  assert.is(q.job.replyName, '山田 太郎');
  const [page] = lookAtPages(join(q.dir, 'fax.tif'), env.root);
  // Text was drawn: a text page has some ink, but nowhere near a solid page.
  assert.ok(page!.black > 0.002 && page!.black < 0.2, `ink on the body page: ${page!.black}`);
  // The body page's PDF is kept with the job.
  const body = q.job.documents[0]!;
  assert.match(body.file, /^docs\/01-[A-Za-z0-9_-]+\.pdf$/);
  assert.ok(readFileSync(join(q.dir, body.file)).subarray(0, 5).equals(Buffer.from('%PDF-')));
});

test('Japanese text + attachment with +body: body page first, then the attachment', async () => {
  const mail = buildMime(
    {
      multipart: 'mixed',
      parts: [
        { type: 'text/plain; charset=UTF-8', body: Buffer.from(`${JAPANESE_TEXT}\n`), encoding: 'base64' },
        attachmentNode(bytesOf(markedPdf([3, 4])), {
          type: 'application/pdf',
          rawName: `"${encodeWord('見積書.pdf')}"`,
        }),
      ],
    },
    { subject: encodeWord('見積書 +body +standard'), from: `${encodeWord('山田 太郎')} <yamada@example.jp>` },
  );
  const q = await expectQueued(env, mail);
  assert.equal(
    q.job.documents.map((d) => d.kind),
    ['body', 'pdf'],
  );
  assert.is(q.job.documents[0]!.pages, 1);
  assert.is(q.job.documents[1]!.name, '見積書.pdf');
  assert.is(q.job.documents[1]!.pages, 2);
  assert.is(q.pages, 3);
  assert.is(q.job.resolution, 'standard');
  assert.is(q.job.subject, '見積書');
  const marks = pageMarks(join(q.dir, 'fax.tif'), env.root);
  assert.equal(marks.slice(1), [3, 4], 'the attachment follows the body page');
});

test('body_page = true in the config, +nobody in the Subject: no body page', async () => {
  const bodyEnv = newEnv({ fax: 'body_page = true' });
  const mail = buildMime(
    { multipart: 'mixed', parts: [textNode('Some text.\n'), pdfNode([5], 'x.pdf')] },
    { from: 'Alice <alice@example.org>', subject: 'Hello +nobody' },
  );
  const q = await expectQueued(bodyEnv, mail);
  assert.equal(
    q.job.documents.map((d) => d.kind),
    ['pdf'],
  );
  const withBody = await expectQueued(
    bodyEnv,
    buildMime(
      { multipart: 'mixed', parts: [textNode('Some text.\n'), pdfNode([5], 'x.pdf')] },
      { from: 'Alice <alice@example.org>', subject: 'Hello' },
    ),
  );
  assert.equal(
    withBody.job.documents.map((d) => d.kind),
    ['body', 'pdf'],
    'config default: body page',
  );
  assert.equal(pageMarks(join(withBody.dir, 'fax.tif'), bodyEnv.root).slice(1), [5]);
});

test.run();
