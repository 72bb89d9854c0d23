import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tiff2pdfArgs, tiffToPdf, tnefArgs, unpackTnef } from '../../lib/documents/tools.js';
import { FaxError } from '../../lib/errors.js';
import { bytesOf, makePdf, makePng, makeTiff, truncatedCopy, type TiffColour } from '../helpers/documents.js';
import { encodeTnef } from '../helpers/mail-fixtures.js';
import { darkFraction, pdfPages, renderGray } from './pdf-check.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-tools-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (ext = 'pdf'): string => join(dir, `${++n}.${ext}`);
const TOOLS = { tiff2pdf: '/usr/bin/tiff2pdf', tiffinfo: '/usr/bin/tiffinfo', tiff2rgba: '/usr/bin/tiff2rgba' };

const cases: {
  colour: TiffColour;
  pages: number;
  dpi: [number, number];
  compression?: string;
  size: [number, number];
}[] = [
  { colour: 'rgb', pages: 3, dpi: [75, 75], size: [595, 842] },
  { colour: 'fax-g3', pages: 2, dpi: [204, 98], size: [610, 842] },
  { colour: 'bilevel', pages: 1, dpi: [300, 300], size: [595, 842] },
  { colour: 'gray', pages: 1, dpi: [150, 150], compression: 'jpeg', size: [595, 842] },
  { colour: 'cmyk', pages: 1, dpi: [97, 131], size: [595, 842] },
  { colour: 'rgb', pages: 2, dpi: [72, 72], compression: 'lzw', size: [595, 842] },
  { colour: 'rgb', pages: 2, dpi: [100, 100], compression: 'jpeg', size: [595, 842] },
];
for (const c of cases) {
  test(
    `TIFF ${c.colour} ${c.pages} page(s) at ${c.dpi.join('x')} ` +
      `dpi${c.compression ? ` (${c.compression})` : ''} -> PDF of the same pages and paper size`,
    async () => {
      const out = fresh();
      await tiffToPdf(
        TOOLS,
        makeTiff({
          colour: c.colour,
          pages: c.pages,
          dpi: c.dpi,
          ...(c.compression ? { compression: c.compression } : {}),
        }),
        out,
        'x.tif',
        { timeoutMs: 60_000 },
      );
      const pages = pdfPages(out);
      assert.is(pages.length, c.pages);
      for (const p of pages) {
        assert.ok(
          Math.abs(p.width - c.size[0]) < 4 && Math.abs(p.height - c.size[1]) < 4,
          `page ${p.width} x ${p.height}`,
        );
      }
      assert.ok(darkFraction(renderGray(out, c.pages, 30)) > 0.005, 'last page has ink');
    },
  );
}

test('truncated TIFFs (also the kind tiff2pdf would quietly shorten) are bad-document', async () => {
  for (const t of [
    makeTiff({ colour: 'rgb', pages: 3, dpi: [75, 75] }),
    makeTiff({ colour: 'fax-g3', pages: 2, dpi: [204, 98] }),
  ]) {
    try {
      await tiffToPdf(TOOLS, truncatedCopy(t, 0.5), fresh(), 'scan.tif', { timeoutMs: 60_000 });
      assert.unreachable();
    } catch (err) {
      assert.instance(err, FaxError);
      assert.is((err as FaxError).code, 'bad-document');
      assert.is((err as FaxError).message, 'The attachment "scan.tif" is damaged and cannot be faxed.');
    }
  }
});

test('a missing converter is a temporary error', async () => {
  try {
    await tiffToPdf(
      { tiff2pdf: '/nonexistent/tiff2pdf', tiffinfo: '/nonexistent/tiffinfo', tiff2rgba: '/nonexistent/tiff2rgba' },
      makeTiff(),
      fresh(),
      'x.tif',
      { timeoutMs: 10_000 },
    );
    assert.unreachable();
  } catch (err) {
    assert.is((err as FaxError).code, 'temporary');
  }
});

test('argument lists: our paths only, options first', () => {
  assert.equal(tiff2pdfArgs('/w/p1.bin', '/w/docs/01-doc.pdf'), ['-o', '/w/docs/01-doc.pdf', '/w/p1.bin']);
  assert.equal(tnefArgs('/w/p1.bin', '/w/tnef-1', 1000), [
    '-f',
    '/w/p1.bin',
    '-C',
    '/w/tnef-1',
    '--number-backups',
    '--maxsize',
    '1000',
  ]);
});

test('unpackTnef: every file, duplicates kept, paths inside ignored', async () => {
  const src = fresh('dat');
  const pdf = bytesOf(makePdf());
  writeFileSync(
    src,
    encodeTnef([
      { name: 'report.pdf', data: pdf },
      { name: 'report.pdf', data: bytesOf(makePng()) },
      { name: '../../evil.pdf', data: pdf },
    ]),
  );
  const out = join(dir, 'tnef-out');
  const files = await unpackTnef('/usr/bin/tnef', src, out, 'winmail.dat', { timeoutMs: 30_000 });
  assert.is(files.length, 3);
  for (const f of files) assert.ok(f.path.startsWith(out + '/'), f.path);
  assert.ok(files.some((f) => f.name === 'report.pdf' && readFileSync(f.path).equals(pdf)));
  assert.ok(files.some((f) => f.name === 'report.pdf.1'));
  assert.ok(files.every((f) => !f.name.includes('/')));
});

test(
  'unpackTnef: a damaged winmail.dat (tnef aborts with SIGABRT, or exits 1) is bad-document naming it, ' +
    'without a path',
  async () => {
    const good = encodeTnef([{ name: 'report.pdf', data: bytesOf(makePdf()) }]);
    const aborting = Buffer.from(good);
    aborting[6] = aborting[6]! ^ 0xff; // the first attribute's level: tnef 1.4.18 asserts in attr.c
    const truncated = good.subarray(0, 15);
    for (const [i, bytes] of [aborting, truncated, Buffer.from('not tnef at all')].entries()) {
      const src = fresh('dat');
      writeFileSync(src, bytes);
      try {
        await unpackTnef('/usr/bin/tnef', src, join(dir, `tnef-bad-${i}`), 'winmail.dat', { timeoutMs: 30_000 });
        assert.unreachable('a damaged winmail.dat must be refused');
      } catch (err) {
        assert.instance(err, FaxError);
        assert.is((err as FaxError).code, 'bad-document');
        assert.is(
          (err as FaxError).message,
          'The attachment "winmail.dat" (Outlook\'s winmail.dat) is damaged and cannot be faxed.',
        );
        if (i === 0) assert.is((err as FaxError).detail?.['signal'], 'SIGABRT');
      }
    }
  },
);

test('libtiff tools and tnef crashing (fake binaries): bad-document; killed by the system: temporary', async () => {
  const fake = (name: string, body: string): string => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };
  const segv = fake('segv-tool', 'kill -SEGV $$');
  const killed = fake('killed-tool', 'kill -KILL $$');
  const ok = fake('ok-tool', 'exit 0');
  const cases: [string, () => Promise<unknown>][] = [
    [
      'tiffinfo',
      (): Promise<unknown> =>
        tiffToPdf({ ...TOOLS, tiffinfo: segv }, makeTiff(), fresh(), 'scan.tif', { timeoutMs: 10_000 }),
    ],
    [
      'tiff2pdf',
      (): Promise<unknown> =>
        tiffToPdf({ ...TOOLS, tiff2pdf: segv }, makeTiff(), fresh(), 'scan.tif', { timeoutMs: 10_000 }),
    ],
    [
      'tiff2rgba',
      (): Promise<unknown> =>
        tiffToPdf(
          { ...TOOLS, tiffinfo: fake('jpeg-info', 'echo "Compression Scheme: JPEG"'), tiff2rgba: segv },
          makeTiff(),
          fresh(),
          'scan.tif',
          { timeoutMs: 10_000 },
        ),
    ],
    [
      'tnef',
      (): Promise<unknown> =>
        unpackTnef(segv, fresh('dat'), join(dir, `tnef-segv-${++n}`), 'winmail.dat', { timeoutMs: 10_000 }),
    ],
  ];
  for (const [tool, run] of cases) {
    const err = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(err, FaxError, tool);
    assert.is((err as FaxError).code, 'bad-document', `${tool} SIGSEGV`);
    assert.not.match((err as FaxError).message, /\//, 'no path in the sentence');
  }
  const sys = await tiffToPdf({ ...TOOLS, tiff2pdf: killed }, makeTiff(), fresh(), 'scan.tif', {
    timeoutMs: 10_000,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.is((sys as FaxError).code, 'temporary');
  const tnefSys = await unpackTnef(killed, fresh('dat'), join(dir, 'tnef-kill'), 'winmail.dat', {
    timeoutMs: 10_000,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.is((tnefSys as FaxError).code, 'temporary');
  // A tnef that succeeds without unpacking anything: no files (the caller names winmail.dat as not unpackable).
  assert.equal(await unpackTnef(ok, fresh('dat'), join(dir, 'tnef-empty'), 'winmail.dat', { timeoutMs: 10_000 }), []);
});

test.run();
