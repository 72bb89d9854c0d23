/*
 * polyglot.test.ts (black box): files that call themselves PDF but start as PostScript, piped through the
 * BUILT sendfax. Ghostscript picks its interpreter from a file's first bytes, not its name, so each of
 * these would run as a PostScript program if it reached gs as it is. Each payload tries to write a marker
 * file in /tmp, in the job's own directory and beside the spool, and then loops forever.
 * Proved: every shape is refused with 65 5.6.0 naming the attachment, at once (no loop until a limit),
 * nothing written anywhere (no marker, nothing left in the spool, outgoing or tmp); a PDF with harmless
 * junk before its header is faxed (gs reads it from the header on); a file whose "%PDF-" is at byte 0 but
 * whose body is PostScript is read by the PDF interpreter only and refused as unreadable.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachmentNode, buildMime, textNode } from '../helpers/mail-fixtures.js';
import { bytesOf } from '../helpers/documents.js';
import { markedPdf } from './marked.js';
import { expectQueued, expectRejected, newEnv, pageMarks, useHarness } from './harness.js';
import type { TestEnv } from '../helpers/sendfax-env.js';
import { figure } from '../helpers/figure.js';

useHarness(test);

// A generous CPU allowance: if any payload ran, its endless loop would take a minute to be stopped.
const env: TestEnv = newEnv({ fax: 'convert_timeout = 60' });

const MARK = `faxmail-polyglot-${process.pid}`;
/** Where the payloads try to write: /tmp (gs's default temp dir), gs's working dir, the spool's parent. */
const markers = (): string[] => [join(tmpdir(), MARK), join(env.root, MARK)];

/** PostScript that writes the markers (absolute and relative), lists /tmp, and never ends. */
function payload(): string {
  const writes = [...markers(), MARK]
    .map((m) => `{ (${m}) (w) file dup (owned) writestring closefile } stopped pop`)
    .join('\n');
  return `${writes}\n(/tmp/*) { = } 1000 string filenameforall\n{ } loop\n`;
}

const mail = (file: Buffer, filename = 'invoice.pdf'): Buffer =>
  buildMime(
    {
      multipart: 'mixed',
      parts: [textNode('Please fax this.\n'), attachmentNode(file, { type: 'application/pdf', filename })],
    },
    { from: 'Alice <alice@example.org>', subject: 'Invoice' },
  );

/** How many Ghostscript steps (page counts, renders) the installation's log shows. */
function gsSteps(): number {
  if (!existsSync(env.log)) return 0;
  return readFileSync(env.log, 'utf8')
    .split('\n')
    .filter((l) => /"step":"(?:count-pages|render)"/.test(l)).length;
}

function assertNoMarkers(): void {
  for (const m of markers()) assert.not.ok(existsSync(m), `${m} was written`);
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (name === MARK) found.push(p);
      try {
        walk(p);
      } catch {
        /* a file */
      }
    }
  };
  walk(env.root);
  assert.equal(found, [], 'no marker anywhere under the installation');
}

const SHAPES: [string, Buffer][] = [
  [
    '"%!PS" first, "%PDF-" in a comment',
    Buffer.from(`%!PS-Adobe-3.0\n% %PDF-1.4 looks like a PDF to a sniffer\n${payload()}`),
  ],
  [
    '"%%" first (a DSC comment), "%PDF-" on the next line',
    Buffer.from(`%%BoundingBox: 0 0 595 842\n%PDF-1.7\n${payload()}`),
  ],
  ['white space and control characters before "%!"', Buffer.from(`\r\n\t \u0004%!PS\n%PDF-1.5\n${payload()}`)],
  [
    'a DOS EPS binary header',
    Buffer.concat([
      Buffer.from([0xc5, 0xd0, 0xd3, 0xc6]),
      Buffer.alloc(26, 0),
      Buffer.from(`%!PS-Adobe-3.0 EPSF-3.0\n% %PDF-1.4\n${payload()}`),
    ]),
  ],
  [
    'a PJL language switch to PostScript',
    Buffer.from(`\u001b%-12345X@PJL ENTER LANGUAGE = POSTSCRIPT\r\n%!PS\n% %PDF-1.4\n${payload()}`),
  ],
];

for (const [shape, bytes] of SHAPES) {
  test(`polyglot (${shape}): 65 5.6.0 at once, nothing written, PostScript never run`, async () => {
    const t = performance.now();
    const before = gsSteps();
    await expectRejected(env, mail(bytes), { status: 65, code: '5.6.0', says: ['"invoice.pdf"', 'PostScript'] });
    // A loop would need 60 CPU seconds to hit the limit, so at least 60 s of wall time.
    figure('polyglot refused after', performance.now() - t);
    assert.is(gsSteps(), before, 'Ghostscript never ran');
    assertNoMarkers();
  });
}

test('"%PDF-" at byte 0 with a PostScript body: only the PDF interpreter reads it, refused as unreadable', async () => {
  const t = performance.now();
  await expectRejected(env, mail(Buffer.from(`%PDF-1.4\n%!PS\n${payload()}`)), {
    status: 65,
    code: '5.6.0',
    says: ['"invoice.pdf"'],
  });
  figure('PostScript body refused after', performance.now() - t);
  assertNoMarkers();
});

test('harmless junk before the PDF header (not PostScript): faxed, gs reads it from the header on', async () => {
  const pdf = bytesOf(markedPdf([3]));
  const junk = Buffer.concat([Buffer.from('X-Generator: scanner firmware 1.0\r\n\r\n'), pdf]);
  const q = await expectQueued(env, mail(junk, 'scan.pdf'));
  assert.is(q.pages, 1);
  assert.equal(pageMarks(join(q.dir, 'fax.tif'), env.root), [3]);
  // The stored original is what the sender sent, byte for byte.
  assert.ok(readFileSync(join(q.dir, q.job.documents[0]!.file)).equals(junk));
  assertNoMarkers();
});

test.after(() => {
  for (const m of markers()) rmSync(m, { force: true });
});

test.run();
