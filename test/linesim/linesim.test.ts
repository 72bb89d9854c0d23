/*
 * linesim.test.ts: the fax line simulator sends real TIFFs between two spandsp 0.0.6 fax machines
 * over simulated G.711, and reports what SendFAX / ReceiveFAX would. The fault cases pin spandsp's
 * own error strings, which faxmail shows to people and bases retries on.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLineSim, lineSimArgs, lineSimPath, transmitFax } from '../helpers/linesim.js';
import { rasterizeFax, renderTestPdf } from '../helpers/received-fixtures.js';
import { assertRejects } from '../helpers/assert-rejects.js';
import { readTiffPages } from './tiffinfo.js';
import { figure } from '../helpers/figure.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-linesim-'));
const out = (name: string): string => join(dir, `${name}.tif`);
const pdf: Record<1 | 2 | 3, string> = { 1: '', 2: '', 3: '' };
const tif: Record<string, string> = {};

test.before(async () => {
  await buildLineSim();
  for (const n of [1, 2, 3] as const) pdf[n] = await renderTestPdf({ pages: n, dir });
  tif['fine1'] = await rasterizeFax(pdf[1], out('src-fine1'), { resolution: 'fine' });
  tif['fine2'] = await rasterizeFax(pdf[2], out('src-fine2'), { resolution: 'fine' });
  tif['fine3'] = await rasterizeFax(pdf[3], out('src-fine3'), { resolution: 'fine' });
  tif['std3'] = await rasterizeFax(pdf[3], out('src-std3'), { resolution: 'standard', device: 'tiffg3' });
  tif['superfine1'] = await rasterizeFax(pdf[1], out('src-superfine1'), {
    resolution: 'superfine',
    device: 'tiffg32d',
  });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('buildLineSim builds once and leaves an up-to-date binary alone', async () => {
  const path = await buildLineSim();
  assert.is(path, lineSimPath);
  assert.ok(statSync(path).mode & 0o100, 'binary is executable');
  const before = statSync(path).mtimeMs;
  assert.is(await buildLineSim(), path);
  assert.is(statSync(path).mtimeMs, before);
});

test('lineSimArgs passes values as --name=value so none can pass for an option', () => {
  const args = lineSimArgs('in.tif', 'out.tif', { senderIdent: '--no-answer', ecm: false, hangupAfterPages: 2 });
  assert.equal(args, [
    '--input=in.tif',
    '--output=out.tif',
    '--no-ecm',
    '--sender-ident=--no-answer',
    '--hangup-after-pages=2',
  ]);
});

test('a 1-page fine fax arrives as ReceiveFAX writes it', async () => {
  const r = await transmitFax(tif['fine1']!, out('rx-fine1'), {
    senderIdent: '+49 30 1234567',
    receiverIdent: 'FAXMAIL',
  });
  assert.is(r.status, 'SUCCESS');
  assert.is(r.error, 'OK');
  assert.is(r.code, 0);
  assert.is(r.pages, 1);
  assert.is(r.pages_sent, 1);
  assert.is(r.resolution, '204x196');
  assert.is(r.resolution_ppm, '8031x7700');
  assert.is(r.bit_rate, 14400);
  assert.is(r.remote_station_id, 'FAXMAIL');
  assert.is(r.local_station_id, '+49 30 1234567');
  assert.is(r.receiver?.status, 'SUCCESS');
  assert.is(r.receiver?.remote_station_id, '+49 30 1234567');
  assert.is(r.receiver?.file, true);
  const pages = await readTiffPages(out('rx-fine1'));
  assert.is(pages.length, 1);
  const p = pages[0]!;
  assert.is(p.width, 1728);
  assert.is(p.resolution, '204x196');
  assert.is(p.compression, 'CCITT Group 3');
  assert.is(p.fillOrder, 'lsb-to-msb');
  assert.is(p.pageNumber, '0-1');
  assert.is(p.description, '+49 30 1234567');
  assert.ok(p.oneStrip);
  assert.ok(p.length >= 2292, `page length ${p.length}`);
});

test('a 3-page fax arrives with 3 pages numbered n of 3', async () => {
  const r = await transmitFax(tif['fine3']!, out('rx-fine3'));
  assert.is(r.status, 'SUCCESS');
  assert.is(r.pages, 3);
  assert.is(r.sender.pages_in_file, 3);
  const pages = await readTiffPages(out('rx-fine3'));
  assert.equal(
    pages.map((p) => p.pageNumber),
    ['0-3', '1-3', '2-3'],
  );
  assert.ok(pages.every((p) => p.width === 1728 && p.resolution === '204x196'));
});

test('a 2-page fine fax takes plausible line time and little CPU', async () => {
  const started = process.cpuUsage();
  const wall = Date.now();
  const r = await transmitFax(tif['fine2']!, out('rx-fine2'));
  assert.is(r.status, 'SUCCESS');
  assert.is(r.pages, 2);
  assert.ok(r.line_time > 10 && r.line_time < 120, `line time ${r.line_time}`);
  // Simulated time: far faster than the line itself (24 s on a real line).
  figure('2 pages through the simulated line (wall)', Date.now() - wall);
  figure('2 pages through the simulated line (CPU of this process)', process.cpuUsage(started).user / 1000);
});

test('standard resolution (tiffg3 204x98) arrives at 204x98', async () => {
  const r = await transmitFax(tif['std3']!, out('rx-std3'));
  assert.is(r.status, 'SUCCESS');
  assert.is(r.pages, 3);
  assert.is(r.resolution, '204x98');
  assert.is(r.resolution_ppm, '8031x3850');
  const pages = await readTiffPages(out('rx-std3'));
  assert.is(pages.length, 3);
  assert.ok(pages.every((p) => p.width === 1728 && p.resolution === '204x98'));
});

test('superfine (tiffg32d 204x391) arrives at 204x391', async () => {
  const r = await transmitFax(tif['superfine1']!, out('rx-superfine1'));
  assert.is(r.status, 'SUCCESS');
  assert.is(r.resolution, '204x391');
  const pages = await readTiffPages(out('rx-superfine1'));
  assert.is(pages[0]?.resolution, '204x391');
  assert.ok((pages[0]?.length ?? 0) >= 4584);
});

test('with ECM the line uses T.6; without ECM T.4 2-D (T.6 needs ECM)', async () => {
  const withEcm = await transmitFax(tif['fine1']!, out('rx-ecm'), { ecm: true });
  assert.is(withEcm.status, 'SUCCESS');
  assert.is(withEcm.ecm, true);
  assert.is(withEcm.compression, 'T6');
  const noEcm = await transmitFax(tif['fine1']!, out('rx-noecm'), { ecm: false });
  assert.is(noEcm.status, 'SUCCESS');
  assert.is(noEcm.ecm, false);
  assert.is(noEcm.compression, 'T4_2D');
  assert.is((await readTiffPages(out('rx-noecm'))).length, 1);
});

test('T.4 1-D over u-law works too', async () => {
  const r = await transmitFax(tif['std3']!, out('rx-1d'), { ecm: false, compression: 't4-1d', law: 'ulaw' });
  assert.is(r.status, 'SUCCESS');
  assert.is(r.compression, 'T4_1D');
  assert.is(r.pages, 3);
});

test('a received TIFF can be sent on again unchanged', async () => {
  const r = await transmitFax(out('rx-fine3'), out('rx-again'));
  assert.is(r.status, 'SUCCESS');
  assert.is(r.pages, 3);
});

test('a header line makes each page taller by the header rows', async () => {
  const r = await transmitFax(tif['fine1']!, out('rx-header'), { header: 'ACME Ltd' });
  assert.is(r.status, 'SUCCESS');
  const withHeader = (await readTiffPages(out('rx-header')))[0]!.length;
  const plain = (await readTiffPages(out('rx-fine1')))[0]!.length;
  assert.ok(withHeader > plain, `${withHeader} > ${plain}`);
});

test('a 1686-wide page fails: "Far end cannot receive at the size of image"', async () => {
  const src = await rasterizeFax(pdf[1], out('src-1686'), { resolution: 'fine', width: 1686 });
  assert.is((await readTiffPages(src))[0]?.width, 1686);
  const r = await transmitFax(src, out('rx-1686'));
  assert.is(r.status, 'FAILED');
  assert.is(r.error, 'Far end cannot receive at the size of image');
  assert.is(r.pages, 0);
  assert.is(r.receiver?.status, 'FAILED');
  assert.is(r.receiver?.file, false);
  assert.not.ok(existsSync(out('rx-1686')));
});

test('a 300 dpi page fails: "Far end cannot receive at the resolution of the image"', async () => {
  const src = await rasterizeFax(pdf[1], out('src-300'), { dpi: '300', width: 2480, height: 3508 });
  const r = await transmitFax(src, out('rx-300'));
  assert.is(r.status, 'FAILED');
  assert.is(r.error, 'Far end cannot receive at the resolution of the image');
  assert.is(r.pages, 0);
});

test('grey and colour TIFFs fail: "TIFF/F file cannot be opened"', async () => {
  for (const device of ['tiffgray', 'tiff24nc'] as const) {
    const src = await rasterizeFax(pdf[1], out(`src-${device}`), { resolution: 'fine', device });
    const r = await transmitFax(src, out(`rx-${device}`));
    assert.is(r.status, 'FAILED', device);
    assert.is(r.error, 'TIFF/F file cannot be opened', device);
    assert.is(r.pages_sent, 0);
    assert.is(r.pages, 0);
  }
});

test('a receiver with standard resolution only refuses fine pages (spandsp 0.0.6 does not downgrade)', async () => {
  const fine = await transmitFax(tif['fine1']!, out('rx-stdonly-fine'), { standardOnly: true });
  assert.is(fine.status, 'FAILED');
  assert.is(fine.error, 'Far end cannot receive at the resolution of the image');
  const std = await transmitFax(tif['std3']!, out('rx-stdonly-std'), { standardOnly: true });
  assert.is(std.status, 'SUCCESS');
  assert.is(std.pages, 3);
});

test('hanging up mid-fax: FAILED, "The call dropped prematurely", fewer pages, the pages kept', async () => {
  const full = await transmitFax(tif['fine3']!, out('rx-full'));
  assert.is(full.status, 'SUCCESS');
  const r = await transmitFax(tif['fine3']!, out('rx-hangup'), { hangupAfter: full.line_time * 0.6 });
  assert.is(r.status, 'FAILED');
  assert.is(r.error, 'The call dropped prematurely');
  assert.is(r.receiver?.error, 'The call dropped prematurely');
  assert.ok(r.pages < 3, `pages ${r.pages}`);
  assert.ok(r.line_time <= full.line_time * 0.6 + 0.05);
  if (r.pages > 0) assert.is((await readTiffPages(out('rx-hangup'))).length, r.pages);
});

test('hanging up after page 1 of 3 leaves a 1-page TIFF', async () => {
  const r = await transmitFax(tif['fine3']!, out('rx-after1'), { hangupAfterPages: 1 });
  assert.is(r.status, 'FAILED');
  assert.is(r.receiver?.status, 'FAILED');
  assert.is(r.receiver?.error, 'The call dropped prematurely');
  assert.is(r.pages, 1);
  assert.is(r.receiver?.file, true);
  const pages = await readTiffPages(out('rx-after1'));
  assert.is(pages.length, 1);
  assert.is(pages[0]?.width, 1728);
});

test('nobody answers: FAILED after T0, "Timed out waiting for initial communication", no file', async () => {
  const r = await transmitFax(tif['fine1']!, out('rx-noanswer'), { noAnswer: true });
  assert.is(r.status, 'FAILED');
  assert.is(r.error, 'Timed out waiting for initial communication');
  assert.is(r.pages, 0);
  assert.is(r.receiver, null);
  assert.ok(r.line_time >= 35 && r.line_time <= 90, `line time ${r.line_time}`);
  assert.not.ok(existsSync(out('rx-noanswer')));
});

test('the simulated time limit ends the call', async () => {
  const r = await transmitFax(tif['fine3']!, out('rx-timeout'), { timeout: 10 });
  assert.is(r.status, 'FAILED');
  assert.is(r.timed_out, true);
  assert.is(r.line_time, 10);
});

test('an old output file is removed before the call, so it cannot pass for received pages', async () => {
  const stale = out('rx-fine1');
  utimesSync(stale, new Date(0), new Date(0));
  const r = await transmitFax(tif['fine1']!, stale, { noAnswer: true });
  assert.is(r.pages, 0);
  assert.not.ok(existsSync(stale));
});

test('usage and I/O errors reject instead of reporting a fax result', async () => {
  await assertRejects(() => transmitFax(join(dir, 'missing.tif'), out('x')), /exited 66.*cannot read/s);
  await assertRejects(() => transmitFax(tif['fine1']!, join(dir, 'no-such-dir', 'x.tif')), /exited 73/);
  await assertRejects(
    () => transmitFax(tif['fine1']!, out('x'), { senderIdent: 'x'.repeat(21) }),
    /exited 64.*longer than 20/s,
  );
  await assertRejects(() => transmitFax(tif['fine1']!, out('x'), { senderIdent: 'a\nb' }), /exited 64/);
});

test.run();
