/*
 * received-fixtures.test.ts: the inbound fixtures other tests build on are real received faxes with
 * the properties notes/asterisk.md lists for ReceiveFAX output.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePartialReceivedFax, makeReceivedFax } from '../helpers/received-fixtures.js';
import { assertRejects } from '../helpers/assert-rejects.js';
import { readTiffPages } from './tiffinfo.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-rxfix-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('makeReceivedFax: 2 fine pages, G3 2-D, 1728 wide, station id in ImageDescription', async () => {
  const { tiff, result } = await makeReceivedFax({ pages: 2, resolution: 'fine', dir, remoteIdent: '+33 1 23456789' });
  assert.is(result.receiver?.status, 'SUCCESS');
  assert.is(result.receiver?.remote_station_id, '+33 1 23456789');
  assert.is(result.receiver?.resolution_ppm, '8031x7700');
  const pages = await readTiffPages(tiff);
  assert.is(pages.length, 2);
  for (const p of pages) {
    assert.is(p.width, 1728);
    assert.is(p.resolution, '204x196');
    assert.is(p.compression, 'CCITT Group 3');
    assert.is(p.bitsPerSample, 1);
    assert.is(p.description, '+33 1 23456789');
    assert.ok(p.oneStrip);
  }
  assert.equal(
    pages.map((p) => p.pageNumber),
    ['0-2', '1-2'],
  );
});

test('makeReceivedFax: standard pages are 204x98 (pixels twice as tall as wide)', async () => {
  const { tiff, result } = await makeReceivedFax({ pages: 1, resolution: 'standard', dir });
  assert.is(result.receiver?.resolution, '204x98');
  assert.is(result.receiver?.remote_station_id, '+1 555 0100');
  const [p] = await readTiffPages(tiff);
  assert.is(p?.resolution, '204x98');
  assert.ok((p?.length ?? 0) >= 1146 && (p?.length ?? 0) < 1300, `length ${p?.length}`);
});

test('makePartialReceivedFax: line dropped after 2 of 3 pages leaves a 2-page TIFF and FAILED', async () => {
  const { tiff, result } = await makePartialReceivedFax({
    pages: 3,
    receivedPages: 2,
    resolution: 'fine',
    dir,
    remoteIdent: '5550100',
  });
  assert.is(result.receiver?.status, 'FAILED');
  assert.is(result.receiver?.error, 'The call dropped prematurely');
  assert.is(result.receiver?.pages, 2);
  const pages = await readTiffPages(tiff);
  assert.is(pages.length, 2);
  assert.ok(pages.every((p) => p.width === 1728 && p.description === '5550100'));
});

test('makePartialReceivedFax refuses a page count that is not partial', async () => {
  await assertRejects(
    () => makePartialReceivedFax({ pages: 2, receivedPages: 2, resolution: 'fine', dir }),
    /between 1 and 1/,
  );
});

test.run();
