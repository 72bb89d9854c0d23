import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spoolPaths, ensureSpool } from '../../lib/spool/jobs.js';
import { claimLine, releaseLine, readLineRecord, forgetOnLine } from '../../lib/spool/line.js';
import { withLock } from '../../lib/spool/lock.js';
import { newJobId, isJobId } from '../../lib/spool/job-id.js';

const paths = spoolPaths(mkdtempSync(join(tmpdir(), 'faxmail-line-')));
await ensureSpool(paths);
const now = new Date();

test('job ids are well-formed and distinct', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newJobId()));
  assert.is(ids.size, 1000);
  for (const id of ids) assert.ok(isJobId(id));
  assert.not.ok(isJobId('20261123-093000-0123456789ab; rm'));
});

test('one call per number: the second job waits, then dials when the first ends', async () => {
  assert.is(await claimLine(paths, '0311111111', 'A', now, true), 'dial');
  assert.is(await claimLine(paths, '0311111111', 'B', now, true), 'wait');
  assert.is(await claimLine(paths, '0322222222', 'C', now, true), 'dial');
  const next = await releaseLine(paths, '0311111111', 'A', undefined, true);
  assert.is(next?.job, 'B');
  assert.is((await readLineRecord(paths, '0311111111')).active, 'B');
  assert.is(await releaseLine(paths, '0311111111', 'B', undefined, true), undefined);
  assert.is((await readLineRecord(paths, '0311111111')).active, undefined);
});

test('a retrying job yields to a job that may dial sooner', async () => {
  await claimLine(paths, '0333333333', 'A', now, true);
  await claimLine(paths, '0333333333', 'B', now, true);
  const later = new Date(Date.now() + 180_000);
  const next = await releaseLine(paths, '0333333333', 'A', later, true);
  assert.is(next?.job, 'B');
  const after = await releaseLine(paths, '0333333333', 'B', undefined, true);
  assert.is(after?.job, 'A');
  assert.is(after?.notBefore.getTime(), later.getTime());
});

test('without serialisation every job dials and a retry comes back to itself', async () => {
  assert.is(await claimLine(paths, '0344444444', 'A', now, false), 'dial');
  assert.is(await claimLine(paths, '0344444444', 'B', now, false), 'dial');
  const t = new Date(Date.now() + 1000);
  assert.equal(await releaseLine(paths, '0344444444', 'A', t, false), { job: 'A', notBefore: t });
});

test('a cancelled job leaves the line', async () => {
  await claimLine(paths, '0355555555', 'A', now, true);
  await forgetOnLine(paths, '0355555555', 'A');
  assert.is(await claimLine(paths, '0355555555', 'B', now, true), 'dial');
});

test('parallel claims: exactly one job dials', async () => {
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claimLine(paths, '0366666666', `J${i}`, now, true)));
  assert.is(results.filter((r) => r === 'dial').length, 1);
  assert.is((await readLineRecord(paths, '0366666666')).waiting.length, 19);
});

test('withLock serialises critical sections', async () => {
  let inside = 0;
  let max = 0;
  await Promise.all(
    Array.from({ length: 10 }, () =>
      withLock(join(paths.locks, 't.lock'), async () => {
        inside++;
        max = Math.max(max, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
      }),
    ),
  );
  assert.is(max, 1);
});

test.run();
