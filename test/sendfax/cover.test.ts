/*
 * cover.test.ts (black box): the cover page and office documents through the BUILT sendfax. The cover is
 * read back from the stored cover PDF (pdftotext) and from the fax itself (its page count, every page a
 * valid 1728-wide fax page; the harness sends every fax through the line simulator).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachmentNode, buildMime, textNode, type MimeNode } from '../helpers/mail-fixtures.js';
import { bytesOf } from '../helpers/documents.js';
import { makeOfficeDoc } from '../helpers/office-docs.js';
import { markedPdf } from './marked.js';
import {
  expectFaxTiff,
  expectQueued,
  expectRejected,
  newEnv,
  patchSection,
  useHarness,
  type Queued,
} from './harness.js';
import type { TestEnv } from '../helpers/sendfax-env.js';

useHarness(test);

let env: TestEnv;
test.before(() => {
  env = newEnv();
});

const TO = '"Dr. Tanaka" <fax+0312345678@fax.example.com>';

function mail(
  parts: MimeNode[],
  subject: string,
  text = 'Dear Dr. Tanaka,\nthe results are attached.\nAlice\n',
): Buffer {
  return buildMime(
    { multipart: 'mixed', parts: [textNode(text), ...parts] },
    { from: 'Alice Example <alice@example.org>', to: TO, subject },
  );
}

const coverText = (q: Queued): string =>
  execFileSync('pdftotext', ['-raw', join(q.dir, 'docs', '00-cover.pdf'), '-'], { encoding: 'utf8' }).replace(
    /\s+/g,
    ' ',
  );

test(
  '+cover: the cover comes first and counts itself; recipient from the display name; the note is the mail ' + 'text',
  async () => {
    const q = await expectQueued(
      env,
      mail(
        [attachmentNode(bytesOf(markedPdf([1, 2])), { type: 'application/pdf', filename: 'results.pdf' })],
        'Results +cover',
      ),
    );
    assert.is(q.pages, 3);
    assert.equal(
      q.job.documents.map((d) => [d.name, d.kind, d.pages]),
      [
        ['cover page', 'cover', 1],
        ['results.pdf', 'pdf', 2],
      ],
    );
    assert.is(q.job.subject, 'Results');
    await expectFaxTiff(join(q.dir, 'fax.tif'), { resolution: 'fine', pages: 3 });
    const text = coverText(q);
    for (const want of [
      'To Dr. Tanaka',
      'Fax number 0312345678',
      'From Alice Example <alice@example.org>',
      'Pages 3 (including this page)',
      'Subject Results',
      'the results are attached.',
    ])
      assert.match(text, want);
  },
);

test('a cover with only the mail text is a one-page fax', async () => {
  const q = await expectQueued(env, mail([], 'Short note +cover', 'Please call me back today.\n'));
  assert.is(q.pages, 1);
  await expectFaxTiff(join(q.dir, 'fax.tif'), { resolution: 'fine', pages: 1 });
  assert.match(coverText(q), 'Please call me back today.');
  assert.match(coverText(q), 'Pages 1 (including this page)');
});

test(
  'fax.cover_page = true; a note too long for the cover follows on pages of its ' + 'own; +nocover turns it off',
  async () => {
    const covered = newEnv();
    patchSection(covered, 'fax', 'cover_page = true');
    const long = Array.from({ length: 120 }, (_, i) => `Line ${i + 1} of a long letter.`).join('\n') + '\n';
    const q = await expectQueued(
      covered,
      mail(
        [attachmentNode(bytesOf(markedPdf([1])), { type: 'application/pdf', filename: 'a.pdf' })],
        'Long letter',
        long,
      ),
    );
    assert.equal(
      q.job.documents.map((d) => d.kind),
      ['cover', 'body', 'pdf'],
    );
    assert.is(q.pages, 1 + q.job.documents[1]!.pages + 1);
    assert.ok(q.job.documents[1]!.pages >= 2);
    const text = coverText(q);
    assert.match(text, 'The message follows on the next page.');
    assert.not.match(text, 'Line 1 of');
    assert.match(text, `Pages ${q.pages} (including this page)`);
    const off = await expectQueued(
      covered,
      mail(
        [attachmentNode(bytesOf(markedPdf([1])), { type: 'application/pdf', filename: 'a.pdf' })],
        'No cover +nocover',
      ),
    );
    assert.is(off.pages, 1);
    assert.equal(
      off.job.documents.map((d) => d.kind),
      ['pdf'],
    );
  },
);

test('a Word document made by LibreOffice and a cover: 1 + 3 pages, every one a fax page', async () => {
  const docx = readFileSync(makeOfficeDoc('docx', { pages: 3, paper: 'a4', title: 'Docx Quarterly Letter' }));
  const q = await expectQueued(
    env,
    mail(
      [
        attachmentNode(docx, {
          type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
          filename: 'letter.docx',
        }),
      ],
      'Letter +cover',
    ),
  );
  assert.is(q.pages, 4);
  assert.equal(
    q.job.documents.map((d) => [d.kind, d.pages]),
    [
      ['cover', 1],
      ['office', 3],
    ],
  );
  await expectFaxTiff(join(q.dir, 'fax.tif'), { resolution: 'fine', pages: 4 });
});

test('a damaged Word document: 65 5.6.0 naming it', async () => {
  const docx = readFileSync(makeOfficeDoc('docx', { pages: 3, paper: 'a4', title: 'Docx Quarterly Letter' }));
  await expectRejected(
    env,
    mail(
      [
        attachmentNode(docx.subarray(0, docx.length >> 1), {
          type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
          filename: 'broken.docx',
        }),
      ],
      'Broken',
    ),
    { status: 65, code: '5.6.0', says: ['"broken.docx"'] },
  );
});

test.run();
