/*
 * resolution.test.ts (black box): the Subject options +standard / +fine / +superfine choose the fax's
 * vertical resolution (YResolution 98/196/391 and the page height in lines); without one, fax.resolution
 * from the config decides. Checked in the TIFF (readTiffFile and tiffinfo), in job.json, in --dry-run's
 * output, and on the simulated line (the harness transmits every fax and checks the line resolution).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMime, attachmentNode, encodeWord, textNode } from '../helpers/mail-fixtures.js';
import { markedPdf } from './marked.js';
import {
  expectFaxTiff,
  expectQueued,
  newEnv,
  pageHeight,
  pageMarks,
  runAs,
  tiffinfoPages,
  useHarness,
  type Resolution,
} from './harness.js';
import type { TestEnv } from '../helpers/sendfax-env.js';

useHarness(test);

function mail(subject: string, marks: number[] = [3]): Buffer {
  return buildMime(
    {
      multipart: 'mixed',
      parts: [
        textNode('Fax this.\n'),
        attachmentNode(readFileSync(markedPdf(marks)), { type: 'application/pdf', filename: 'doc.pdf' }),
      ],
    },
    { from: 'Alice <alice@example.org>', subject },
  );
}

async function expectResolution(
  env: TestEnv,
  subject: string,
  resolution: Resolution,
  cleanSubject: string,
): Promise<void> {
  const q = await expectQueued(env, mail(subject, [2, 3]));
  assert.is(q.job.resolution, resolution, `job.json resolution for "${subject}"`);
  assert.is(q.job.subject, cleanSubject);
  const tiff = join(q.dir, 'fax.tif');
  const pages = await expectFaxTiff(tiff, { resolution, pages: 2 });
  assert.is(pages[0]!.height, pageHeight(resolution, 'a4'));
  assert.is(Math.round(pages[0]!.yResolution), { standard: 98, fine: 196, superfine: 391 }[resolution]);
  assert.is(tiffinfoPages(tiff)[1]!.height, pageHeight(resolution, 'a4'));
  assert.equal(pageMarks(tiff, env.root), [2, 3], 'content survives at this resolution');
}

test('+standard, +fine, +superfine: 98, 196, 391 lines per inch; A4 1146, 2292, 4572 lines', async () => {
  const env = newEnv();
  assert.equal(
    [pageHeight('standard', 'a4'), pageHeight('fine', 'a4'), pageHeight('superfine', 'a4')],
    [1146, 2292, 4572],
  );
  await expectResolution(env, 'Report +standard', 'standard', 'Report');
  await expectResolution(env, 'Report +fine', 'fine', 'Report');
  await expectResolution(env, '+superfine Report', 'superfine', 'Report');
});

test('no option: the config default decides (standard, superfine)', async () => {
  await expectResolution(newEnv({ fax: 'resolution = "standard"' }), 'Report', 'standard', 'Report');
  await expectResolution(newEnv({ fax: 'resolution = "superfine"' }), 'Report', 'superfine', 'Report');
});

test('the Subject option beats the config; the last option wins; full-width forms count', async () => {
  const env = newEnv({ fax: 'resolution = "superfine"' });
  await expectResolution(env, 'Report +fine', 'fine', 'Report');
  await expectResolution(env, 'Report +superfine +standard', 'standard', 'Report');
  await expectResolution(env, encodeWord('報告書 ＋ｆｉｎｅ'), 'fine', '報告書');
});

test('--dry-run reports the chosen resolution and its TIFF has it', async () => {
  const env = newEnv();
  const saved = join(env.root, 'dry.tif');
  const r = await runAs(env, mail('Report +standard'), { extra: ['--dry-run', '--save-tiff', saved] });
  assert.is(r.status, 0, r.stdout);
  const out = JSON.parse(r.stdout) as { resolution: string; savedTiff: string; pages: number };
  assert.is(out.resolution, 'standard');
  await expectFaxTiff(out.savedTiff, { resolution: 'standard', pages: out.pages });
});

test.run();
