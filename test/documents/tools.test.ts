import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
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

const cases: { colour: TiffColour; pages: number; dpi: [number, number]; compression?: string; size: [number, number] }[] = [
  { colour: 'rgb', pages: 3, dpi: [75, 75], size: [595, 842] },
  { colour: 'fax-g3', pages: 2, dpi: [204, 98], size: [610, 842] },
  { colour: 'bilevel', pages: 1, dpi: [300, 300], size: [595, 842] },
  { colour: 'gray', pages: 1, dpi: [150, 150], compression: 'jpeg', size: [595, 842] },
  { colour: 'cmyk', pages: 1, dpi: [97, 131], size: [595, 842] },
  { colour: 'rgb', pages: 2, dpi: [72, 72], compression: 'lzw', size: [595, 842] },
  { colour: 'rgb', pages: 2, dpi: [100, 100], compression: 'jpeg', size: [595, 842] },
];
for (const c of cases) {
  test(`TIFF ${c.colour} ${c.pages} page(s) at ${c.dpi.join('x')} dpi${c.compression ? ` (${c.compression})` : ''} -> PDF of the same pages and paper size`, async () => {
    const out = fresh();
    await tiffToPdf(TOOLS, makeTiff({ colour: c.colour, pages: c.pages, dpi: c.dpi, ...(c.compression ? { compression: c.compression } : {}) }), out, 'x.tif', 60);
    const pages = pdfPages(out);
    assert.is(pages.length, c.pages);
    for (const p of pages) {
      assert.ok(Math.abs(p.width - c.size[0]) < 4 && Math.abs(p.height - c.size[1]) < 4, `page ${p.width} x ${p.height}`);
    }
    assert.ok(darkFraction(renderGray(out, c.pages, 30)) > 0.005, 'last page has ink');
  });
}

test('truncated TIFFs (also the kind tiff2pdf would quietly shorten) are bad-document', async () => {
  for (const t of [makeTiff({ colour: 'rgb', pages: 3, dpi: [75, 75] }), makeTiff({ colour: 'fax-g3', pages: 2, dpi: [204, 98] })]) {
    try {
      await tiffToPdf(TOOLS, truncatedCopy(t, 0.5), fresh(), 'scan.tif', 60);
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
    await tiffToPdf({ tiff2pdf: '/nonexistent/tiff2pdf', tiffinfo: '/nonexistent/tiffinfo', tiff2rgba: '/nonexistent/tiff2rgba' }, makeTiff(), fresh(), 'x.tif', 10);
    assert.unreachable();
  } catch (err) {
    assert.is((err as FaxError).code, 'temporary');
  }
});

test('argument lists: our paths only, options first', () => {
  assert.equal(tiff2pdfArgs('/w/p1.bin', '/w/docs/01-doc.pdf'), ['-o', '/w/docs/01-doc.pdf', '/w/p1.bin']);
  assert.equal(tnefArgs('/w/p1.bin', '/w/tnef-1', 1000), ['-f', '/w/p1.bin', '-C', '/w/tnef-1', '--number-backups', '--maxsize', '1000']);
});

test('unpackTnef: every file, duplicates kept, paths inside ignored', async () => {
  const src = fresh('dat');
  const pdf = bytesOf(makePdf());
  writeFileSync(src, encodeTnef([{ name: 'report.pdf', data: pdf }, { name: 'report.pdf', data: bytesOf(makePng()) }, { name: '../../evil.pdf', data: pdf }]));
  const out = join(dir, 'tnef-out');
  const files = await unpackTnef('/usr/bin/tnef', src, out, 30);
  assert.is(files.length, 3);
  for (const f of files) assert.ok(f.path.startsWith(out + '/'), f.path);
  assert.ok(files.some((f) => f.name === 'report.pdf' && readFileSync(f.path).equals(pdf)));
  assert.ok(files.some((f) => f.name === 'report.pdf.1'));
  assert.ok(files.every((f) => !f.name.includes('/')));
});

test('unpackTnef: a file that is not TNEF gives no files', async () => {
  const src = fresh('dat');
  writeFileSync(src, 'not tnef at all');
  assert.equal(await unpackTnef('/usr/bin/tnef', src, join(dir, 'tnef-bad'), 30), []);
});

test.run();
