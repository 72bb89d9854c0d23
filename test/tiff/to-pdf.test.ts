/*
 * to-pdf.test.ts: received faxes (real spandsp output from the line simulator) become PDFs whose
 * pages are exactly as large as the paper (pixels / dpi * 72) and render pixel for pixel like the TIFF.
 * Also: the layouts embed cannot take go to tiff2pdf, and the 36-page measurement behind DEFAULT_ENGINE.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { tiffToPdf, embedProblem, ccittDecodeParms, DEFAULT_ENGINE, type PdfEngine } from '../../lib/tiff/to-pdf.js';
import { readTiff, TAG } from '../../lib/tiff/read.js';
import { FaxError } from '../../lib/errors.js';
import { makeReceivedFax } from '../helpers/received-fixtures.js';
import { assertFaithful, pdfPageSizes } from '../inbound/pixels.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-t2p-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const pdfPath = (): string => join(dir, `out-${++n}.pdf`);

test('a standard-resolution received fax (204x98) keeps its height and every dot, both engines', async () => {
  const fax = await makeReceivedFax({ pages: 2, resolution: 'standard', dir });
  const page = readTiff(readFileSync(fax.tiff))[0]!;
  assert.is(page.fillOrder, 2, 'spandsp writes LSB-first');
  assert.is(page.compression, 3);
  assert.is(Math.round(page.yResolution), 98);
  for (const engine of ['embed', 'tiff2pdf'] as PdfEngine[]) {
    const pdf = pdfPath();
    const r = await tiffToPdf(fax.tiff, pdf, { engine });
    assert.is(r.engine, engine);
    assert.is(r.pages, 2);
    await assertFaithful(fax.tiff, pdf, dir);
  }
  // 1728 x 1146 dots at 204x98: 609.9 x 842.0 pt, not half as tall.
  const sizes = await pdfPageSizes(join(dir, `out-${n - 1}.pdf`));
  assert.ok(sizes[0]!.height > 800, `height ${sizes[0]!.height}`);
});

test('a fine received fax (204x196) converts losslessly with the default engine', async () => {
  const fax = await makeReceivedFax({ pages: 1, resolution: 'fine', dir });
  const pdf = pdfPath();
  const r = await tiffToPdf(fax.tiff, pdf);
  assert.is(r.engine, DEFAULT_ENGINE);
  assert.is(r.pages, 1);
  await assertFaithful(fax.tiff, pdf, dir);
  // the CCITT bytes are the TIFF's own, bit order reversed: the PDF is about as large as the TIFF
  const ratio = r.bytes / readFileSync(fax.tiff).length;
  assert.ok(ratio > 0.9 && ratio < 1.2, `embed PDF/TIFF ratio ${ratio}`);
});

test('decode parameters follow the TIFF tags', () => {
  const base = readTiff(readFileSync(join(dir, readdirTif()[0]!)))[0]!;
  assert.equal(ccittDecodeParms({ ...base, compression: 3, t4Options: 5, photometric: 0 }), {
    K: 4,
    Columns: base.width,
    Rows: base.height,
    BlackIs1: false,
    EncodedByteAlign: true,
  });
  assert.equal(ccittDecodeParms({ ...base, compression: 3, t4Options: 0, photometric: 1 }), {
    K: 0,
    Columns: base.width,
    Rows: base.height,
    BlackIs1: true,
    EncodedByteAlign: false,
  });
  assert.is(ccittDecodeParms({ ...base, compression: 4, t4Options: 0 }).K, -1);
  assert.is(
    embedProblem({ ...base, compression: 4, stripOffsets: [1, 2], stripByteCounts: [1, 1] }),
    'G4 in several strips',
  );
  assert.is(embedProblem({ ...base, compression: 1 }), 'compression 1');
  assert.is(embedProblem({ ...base, compression: 3, t4Options: 2 }), 'G3 with uncompressed mode');
  assert.is(embedProblem({ ...base, compression: 3 }), undefined);
});

function readdirTif(): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('received-') && f.endsWith('.tif'));
}

test('G3 in many strips (1-D without fill, 2-D with fill) is embedded strip after strip, dot for dot', async () => {
  const fax = await makeReceivedFax({ pages: 1, resolution: 'fine', dir });
  for (const codec of ['g3:1d', 'g3:2d:fill']) {
    const tif = join(dir, `strips-${codec.replace(/:/g, '-')}.tif`);
    await execa('tiffcp', ['-c', codec, '-f', 'lsb2msb', '-r', '64', fax.tiff, tif]);
    const page = readTiff(readFileSync(tif))[0]!;
    assert.ok(page.stripOffsets.length > 30, `${codec}: ${page.stripOffsets.length} strips`);
    const pdf = pdfPath();
    const r = await tiffToPdf(tif, pdf, { engine: 'embed' });
    assert.is(r.engine, 'embed');
    await assertFaithful(tif, pdf, dir);
  }
});

test('G4 in several strips goes to tiff2pdf; embed alone refuses it', async () => {
  const fax = await makeReceivedFax({ pages: 1, resolution: 'standard', dir });
  const tif = join(dir, 'g4-strips.tif');
  await execa('tiffcp', ['-c', 'g4', '-r', '100', fax.tiff, tif]);
  try {
    await tiffToPdf(tif, pdfPath(), { engine: 'embed' });
    assert.unreachable('embed must refuse');
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, 'bad-document');
  }
  const pdf = pdfPath();
  const r = await tiffToPdf(tif, pdf);
  assert.is(r.engine, 'tiff2pdf');
  await assertFaithful(tif, pdf, dir);
});

test('a BlackIsZero G3 page renders with its own polarity (BlackIs1)', async () => {
  const fax = await makeReceivedFax({ pages: 1, resolution: 'standard', dir });
  const buf = readFileSync(fax.tiff);
  const entry = readTiff(buf)[0]!.entries.get(TAG.Photometric)!;
  const le = buf[0] === 0x49;
  if (le) buf.writeUInt16LE(1, entry.valueOffset);
  else buf.writeUInt16BE(1, entry.valueOffset);
  const tif = join(dir, 'black-is-zero.tif');
  writeFileSync(tif, buf);
  assert.is(readTiff(buf)[0]!.photometric, 1);
  const pdf = pdfPath();
  await tiffToPdf(tif, pdf, { engine: 'embed' });
  await assertFaithful(tif, pdf, dir);
});

test('a damaged TIFF is a bad-document error from both engines', async () => {
  const tif = join(dir, 'broken.tif');
  writeFileSync(tif, Buffer.from('II*\0\x08\0\0\0garbage'));
  try {
    await tiffToPdf(tif, pdfPath());
    assert.unreachable();
  } catch (err) {
    assert.is((err as FaxError).code, 'bad-document');
    assert.is(((err as FaxError).detail?.['problems'] as string[] | undefined)?.length, 2);
  }
});

test('measurement: 36-page fine fax, embed vs tiff2pdf (time, PDF/TIFF size)', async () => {
  const fax = await makeReceivedFax({ pages: 36, resolution: 'fine', dir });
  const tiffBytes = readFileSync(fax.tiff).length;
  const rows: string[] = [];
  const result: Record<string, { ms: number; ratio: number; pdf: string }> = {};
  for (const engine of ['embed', 'tiff2pdf'] as PdfEngine[]) {
    const times: number[] = [];
    let pdf = '';
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      pdf = pdfPath();
      const t0 = process.hrtime.bigint();
      const r = await tiffToPdf(fax.tiff, pdf, { engine });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      bytes = r.bytes;
      assert.is(r.pages, 36);
    }
    times.sort((a, b) => a - b);
    const ms = times[2]!;
    result[engine] = { ms, ratio: bytes / tiffBytes, pdf };
    rows.push(
      `${engine}: median ${ms.toFixed(1)} ms, PDF ${bytes} bytes = ${(bytes / tiffBytes).toFixed(2)}x the ` +
        `TIFF (${tiffBytes} bytes)`,
    );
  }
  process.stdout.write(`\n36-page fine fax:\n  ${rows.join('\n  ')}\n`);
  // both correct on the first, a middle and the last page
  await assertFaithful(fax.tiff, result['embed']!.pdf, dir, [1, 18, 36]);
  await assertFaithful(fax.tiff, result['tiff2pdf']!.pdf, dir, [1, 36]);
  assert.ok(result['embed']!.ratio > 0.95 && result['embed']!.ratio < 1.1);
});

test.run();
