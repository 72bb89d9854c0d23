/*
 * documents.test.ts (black box): every kind of faxable document piped through the BUILT sendfax, as
 * Postfix does: A4, Letter, landscape and multi-page PDFs; JPEG, PNG, colour and multi-page TIFF; several
 * attachments in one mail. Each page of the test documents carries a mark (marked.ts), read back from the
 * fax TIFF, so page order and rotation are checked, not only page counts. The harness checks every fax
 * TIFF (readTiffFile + tiffinfo) and sends it through the line simulator after each test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { composeMail } from '../helpers/mail-fixtures.js';
import { markedImage, markedPdf, markedTiff } from './marked.js';
import {
  expectFaxTiff,
  expectQueued,
  lookAtPages,
  newEnv,
  pageHeight,
  pageMarks,
  useHarness,
  type Queued,
} from './harness.js';
import type { TestEnv } from '../helpers/sendfax-env.js';

useHarness(test);

let env: TestEnv;
test.before(() => {
  env = newEnv();
});

const TYPES = { pdf: 'application/pdf', jpeg: 'image/jpeg', png: 'image/png', tiff: 'image/tiff' } as const;

/** A mail from alice@example.org with the given files attached, in order. */
function mailWith(
  files: { name: string; path: string; type: keyof typeof TYPES }[],
  subject = 'Documents',
): Promise<Buffer> {
  return composeMail({
    from: 'Alice Example <alice@example.org>',
    to: 'fax+0312345678@fax.example.com',
    subject,
    text: 'Please fax the attached documents.\n',
    attachments: files.map((f) => ({ filename: f.name, content: readFileSync(f.path), contentType: TYPES[f.type] })),
  });
}

/** The one document of a single-attachment job: kind, pages, and the original stored byte for byte. */
function assertSingleDocument(q: Queued, name: string, kind: string, pages: number, original: string): void {
  assert.is(q.job.documents.length, 1);
  const d = q.job.documents[0]!;
  assert.is(d.name, name);
  assert.is(d.kind, kind);
  assert.is(d.pages, pages);
  assert.match(d.file, /^docs\/01-[A-Za-z0-9_-]+\.[a-z]+$/);
  assert.ok(
    readFileSync(join(q.dir, d.file)).equals(readFileSync(original)),
    'the original document is kept in the job directory',
  );
}

test('A4 PDF: one fine page, mark read back, original kept', async () => {
  const pdf = markedPdf([1]);
  const q = await expectQueued(env, await mailWith([{ name: 'a4.pdf', path: pdf, type: 'pdf' }]));
  assert.is(q.pages, 1);
  assert.is(q.job.resolution, 'fine', 'config default resolution');
  await expectFaxTiff(join(q.dir, 'fax.tif'), { resolution: 'fine', pages: 1 });
  assertSingleDocument(q, 'a4.pdf', 'pdf', 1, pdf);
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [1]);
});

test('Letter PDF on A4 paper: two pages, 1728 wide, A4 tall, in order', async () => {
  const pdf = markedPdf([2, 3], 'letter');
  const q = await expectQueued(env, await mailWith([{ name: 'letter.pdf', path: pdf, type: 'pdf' }]));
  assert.is(q.pages, 2);
  await expectFaxTiff(join(q.dir, 'fax.tif'), { resolution: 'fine', paper: 'a4', pages: 2 });
  assertSingleDocument(q, 'letter.pdf', 'pdf', 2, pdf);
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [2, 3]);
});

test('Letter PDF with paper = "letter": Letter-tall pages', async () => {
  const letterEnv = newEnv({ fax: 'paper = "letter"' });
  const pdf = markedPdf([2, 3], 'letter');
  const q = await expectQueued(letterEnv, await mailWith([{ name: 'letter.pdf', path: pdf, type: 'pdf' }]));
  assert.is(q.job.paper, 'letter');
  const pages = await expectFaxTiff(join(q.dir, 'fax.tif'), { resolution: 'fine', paper: 'letter', pages: 2 });
  assert.is(pages[0]!.height, pageHeight('fine', 'letter'));
  assert.is(pages[0]!.height, 2156);
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), letterEnv.root), [2, 3]);
});

test('landscape PDF: turned to a portrait page that it fills', async () => {
  const pdf = markedPdf([4], 'a4-landscape');
  const q = await expectQueued(env, await mailWith([{ name: 'wide.pdf', path: pdf, type: 'pdf' }]));
  assert.is(q.pages, 1);
  await expectFaxTiff(join(q.dir, 'fax.tif'), { resolution: 'fine', pages: 1 });
  const [look] = lookAtPages(join(q.dir, 'fax.tif'), env.root);
  // The bars were vertical on the landscape page: after a quarter turn they cross the middle column.
  assert.is(look!.colRuns, 4, `bars across the middle column: ${JSON.stringify(look)}`);
  assert.ok(look!.rowRuns <= 1, `at most one bar across the middle row: ${JSON.stringify(look)}`);
  // Full size: 4 bars, each 60 % of the short side long and 0.6 of a 1/9-of-80 % slot wide, as drawn.
  // A page fitted without turning would be shrunk to 71 % and cover half that area.
  const drawn = 4 * 0.6 * ((0.8 / 9) * 0.6);
  assert.ok(
    Math.abs(look!.black - drawn) < drawn * 0.15,
    `black area ${look!.black.toFixed(3)} ~ ${drawn.toFixed(3)}: the content fills the page`,
  );
});

test('multi-page PDF: six pages in order', async () => {
  const pdf = markedPdf([1, 2, 3, 4, 5, 6]);
  const q = await expectQueued(env, await mailWith([{ name: 'six.pdf', path: pdf, type: 'pdf' }]));
  assert.is(q.pages, 6);
  assert.ok(q.run.firstLine.includes('queued: 6 pages to 0312345678'), q.run.firstLine);
  assertSingleDocument(q, 'six.pdf', 'pdf', 6, pdf);
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [1, 2, 3, 4, 5, 6]);
});

test('JPEG picture: one page', async () => {
  const jpeg = markedImage('jpeg', 2);
  const q = await expectQueued(env, await mailWith([{ name: 'photo.jpg', path: jpeg, type: 'jpeg' }]));
  assert.ok(q.run.firstLine.endsWith('queued: 1 page to 0312345678'), q.run.firstLine);
  assertSingleDocument(q, 'photo.jpg', 'jpeg', 1, jpeg);
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [2]);
});

test('PNG pictures, colour and grey: one page each', async () => {
  for (const [kind, k] of [
    ['png', 3],
    ['png-gray', 5],
  ] as const) {
    const png = markedImage(kind, k);
    const q = await expectQueued(env, await mailWith([{ name: `${kind}.png`, path: png, type: 'png' }]));
    assertSingleDocument(q, `${kind}.png`, 'png', 1, png);
    assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [k]);
  }
});

test(
  'photos readable by default (fax.dither = "auto"): text PDF threshold, photo JPEG line screen, in one ' + 'mail',
  async () => {
    const dir = env.root;
    const photo = join(dir, 'photo-gradient.jpg');
    // A continuous-tone picture: a grey ramp from black to white across, 600 x 450 pixels.
    execFileSync(
      'gs',
      ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=jpeggray', '-r72', '-g600x450', `-sOutputFile=${photo}`, '-'],
      {
        input:
          '/s 256 string def 0 1 255 { s exch dup put } for 600 450 scale 256 1 8 [256 0 0 1 0 0] { s } image ' +
          'showpage\n',
      },
    );
    const letter = join(dir, 'plain-letter.pdf');
    execFileSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=pdfwrite', `-sOutputFile=${letter}`, '-'], {
      input:
        '/Helvetica findfont 14 scalefont setfont 72 700 moveto (Dear customer, the invoice is attached.) show ' +
        'showpage\n',
    });
    const q = await expectQueued(
      env,
      await mailWith([
        { name: 'letter.pdf', path: letter, type: 'pdf' },
        { name: 'photo.jpg', path: photo, type: 'jpeg' },
      ]),
    );
    assert.is(q.pages, 2);
    const screens = readFileSync(env.log, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`"job":"${q.id}"`) && l.includes('"step":"screens"'))
      .map((l) => JSON.parse(l) as { document: string; pages: string });
    // Documents are counted in parallel: look them up by name.
    assert.is(screens.find((l) => l.document === 'letter.pdf')?.pages, '-', 'the letter has no grey');
    assert.is(screens.find((l) => l.document === 'photo.jpg')?.pages, 'L', 'the photo gets the line screen');
    // The ramp keeps its tones: black share falls from left to right instead of jumping from black to white.
    const [, ramp] = lookAtPages(join(q.dir, 'fax.tif'), env.root);
    assert.ok(ramp!.black > 0.2 && ramp!.black < 0.8, `photo page black share ${ramp!.black.toFixed(2)}`);
  },
);

test('colour TIFF: one page, made bilevel', async () => {
  const tif = markedTiff([5], 'rgb');
  const q = await expectQueued(env, await mailWith([{ name: 'colour.tif', path: tif, type: 'tiff' }]));
  assertSingleDocument(q, 'colour.tif', 'tiff', 1, tif);
  await expectFaxTiff(join(q.dir, 'fax.tif'), { resolution: 'fine', pages: 1 });
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [5]);
});

test('multi-page TIFFs (colour and bilevel G4): every page, in order', async () => {
  const rgb = markedTiff([1, 2, 3], 'rgb', 60);
  const q = await expectQueued(env, await mailWith([{ name: 'scan.tiff', path: rgb, type: 'tiff' }]));
  assertSingleDocument(q, 'scan.tiff', 'tiff', 3, rgb);
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [1, 2, 3]);

  const g4 = markedTiff([7, 8], 'bilevel', 204);
  const q2 = await expectQueued(env, await mailWith([{ name: 'fax.tif', path: g4, type: 'tiff' }]));
  assertSingleDocument(q2, 'fax.tif', 'tiff', 2, g4);
  assert.equal(pageMarks(join(q2.dir, 'fax.tif'), env.root), [7, 8]);
});

test('several attachments: faxed in MIME order (not name order), per-document pages in job.json', async () => {
  const files = [
    { name: 'zeta.pdf', path: markedPdf([1]), type: 'pdf' as const },
    { name: 'alpha.png', path: markedImage('png', 2), type: 'png' as const },
    { name: 'middle.pdf', path: markedPdf([3, 4, 5], 'letter'), type: 'pdf' as const },
    { name: 'beta.jpg', path: markedImage('jpeg', 6), type: 'jpeg' as const },
    { name: 'aardvark.tif', path: markedTiff([7, 8], 'gray'), type: 'tiff' as const },
  ];
  const q = await expectQueued(env, await mailWith(files));
  assert.is(q.pages, 8);
  assert.equal(
    q.job.documents.map((d) => [d.name, d.kind, d.pages]),
    [
      ['zeta.pdf', 'pdf', 1],
      ['alpha.png', 'png', 1],
      ['middle.pdf', 'pdf', 3],
      ['beta.jpg', 'jpeg', 1],
      ['aardvark.tif', 'tiff', 2],
    ],
  );
  for (const [i, d] of q.job.documents.entries()) {
    assert.ok(d.file.startsWith(`docs/0${i + 1}-`), `stored in order: ${d.file}`);
    assert.ok(readFileSync(join(q.dir, d.file)).equals(readFileSync(files[i]!.path)), `${d.name} kept byte for byte`);
  }
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test.run();
