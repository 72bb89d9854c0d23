/*
 * harness.test.ts: the checks the sendfax black-box tests rely on can fail. A job directory planted in a
 * test spool with a wrong fax TIFF (1686 wide, 300 dpi, a page count job.json does not match, truncated
 * data) must be refused by expectFaxTiff / verifyProducedFaxes; a correct one passes and crosses the line
 * simulator. The page-mark reader is checked against a page whose marks are known.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { markedPs } from './marked.js';
import { expectFaxTiff, faxesTransmitted, newEnv, pageMarks, useHarness, verifyProducedFaxes } from './harness.js';
import type { TestEnv } from '../helpers/sendfax-env.js';

useHarness(test);

let env: TestEnv;
test.before(() => {
  env = newEnv();
});

/**
 * A G4 TIFF of `marks.length` pages, w x h pixels at xdpi x ydpi, drawn from marked pages (AdjustWidth=0: gs would
 * silently widen 1686 to 1728).
 */
function drawTiff(name: string, marks: number[], w: number, h: number, xdpi: number, ydpi: number): string {
  const out = join(env.root, name);
  execFileSync(
    'gs',
    [
      '-q',
      '-dSAFER',
      '-dBATCH',
      '-dNOPAUSE',
      '-sDEVICE=tiffg4',
      '-dAdjustWidth=0',
      `-g${w}x${h}`,
      `-r${xdpi}x${ydpi}`,
      '-dFIXEDMEDIA',
      '-dPDFFitPage',
      '-o',
      out,
      '-',
    ],
    {
      input: markedPs(marks, (w / xdpi) * 72, (h / ydpi) * 72),
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  return out;
}

let idCounter = 0;
/** Plant a job directory with this TIFF and a job.json claiming `pages` fine A4 pages. */
function plantJob(tiff: string, pages: number): string {
  const id = `20240101-120000-${(++idCounter).toString(16).padStart(12, '0')}`;
  const dir = join(env.spool, 'jobs', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'fax.tif'), readFileSync(tiff));
  writeFileSync(
    join(dir, 'job.json'),
    JSON.stringify({ version: 1, id, resolution: 'fine', paper: 'a4', pages, tiff: 'fax.tif' }),
  );
  return id;
}

async function rejects(fn: () => Promise<unknown>, why: RegExp): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.match((err as Error).message, why);
    return;
  }
  assert.unreachable(`expected a failure matching ${why}`);
}

test('expectFaxTiff refuses 1686-wide pages, 300 dpi, a wrong page count and truncated data', async () => {
  const good = drawTiff('good.tif', [1, 2], 1728, 2292, 204, 196);
  await expectFaxTiff(good, { resolution: 'fine', pages: 2 });
  await rejects(
    () => expectFaxTiff(drawTiff('narrow.tif', [1], 1686, 2292, 204, 196), { resolution: 'fine' }),
    /width/,
  );
  await rejects(
    () => expectFaxTiff(drawTiff('300.tif', [1], 1728, 3508, 204, 300), { resolution: 'fine' }),
    /height|YResolution/,
  );
  await rejects(() => expectFaxTiff(good, { resolution: 'fine', pages: 3 }), /page count/);
  await rejects(() => expectFaxTiff(good, { resolution: 'standard' }), /height|YResolution/);
  // Cut in the middle of the last page's data: our reader or tiffinfo -D must complain.
  const data = readFileSync(good);
  const cut = join(env.root, 'cut.tif');
  writeFileSync(cut, data.subarray(0, Math.floor(data.length * 0.9)));
  await rejects(() => expectFaxTiff(cut, { resolution: 'fine', pages: 2 }), /.+/);
});

test('verifyProducedFaxes transmits good faxes and reports bad ones', async () => {
  const before = faxesTransmitted();
  plantJob(drawTiff('ok.tif', [3], 1728, 2292, 204, 196), 1);
  await verifyProducedFaxes();
  assert.is(faxesTransmitted(), before + 1, 'the good fax crossed the line simulator');
  const lying = plantJob(drawTiff('two.tif', [1, 2], 1728, 2292, 204, 196), 3);
  await rejects(() => verifyProducedFaxes(), new RegExp(`job ${lying}: .*page count`));
  plantJob(drawTiff('narrow2.tif', [1], 1686, 2292, 204, 196), 1);
  await rejects(() => verifyProducedFaxes(), /width/);
  // Seen jobs are not checked twice (uvu runs after.each again after a failure).
  await verifyProducedFaxes();
});

test('pageMarks reads the bars back', () => {
  assert.equal(pageMarks(drawTiff('marks.tif', [1, 5, 9, 2], 1728, 2292, 204, 196), env.root), [1, 5, 9, 2]);
  assert.equal(pageMarks(drawTiff('marks98.tif', [7], 1728, 1146, 204, 98), env.root), [7]);
});

test.run();
