/*
 * parallel.test.ts (black box): many BUILT sendfax runs at once, as Postfix starts them for a burst of
 * mail. A watcher on Asterisk's outgoing directory reads every call file the moment it appears (as
 * Asterisk's inotify watch would) and must never see a partial one. With one_call_per_number on, parallel
 * faxes to one number must still leave exactly one call file, the rest queued in the spool.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { watch, readFileSync, readdirSync, openSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';
import { attachmentNode, buildMime, textNode } from '../helpers/mail-fixtures.js';
import { bytesOf } from '../helpers/documents.js';
import { parseCallFile } from '../../lib/asterisk/callfile.js';
import { markedPdf } from './marked.js';
import { newEnv, readJob, runAs, useHarness, assertLinesClean } from './harness.js';
import { waitUntil } from '../helpers/wait.js';
import { loadConfig } from '../../lib/config/load.js';
import { silentLogger } from '../../lib/log.js';
import { runDispatcher } from '../../lib/queue/apply.js';

useHarness(test);

function mail(n: number): Buffer {
  return buildMime(
    {
      multipart: 'mixed',
      parts: [
        textNode(`Fax number ${n}.\n`),
        attachmentNode(bytesOf(markedPdf([(n % 9) + 1])), { type: 'application/pdf', filename: `doc-${n}.pdf` }),
      ],
    },
    { from: 'Alice <alice@example.org>', subject: `Parallel ${n}` },
  );
}

/** What the watcher saw in one read of a call file; '' when it was whole. */
function problemsOf(text: string): string {
  const out: string[] = [];
  if (!text.endsWith('\n')) out.push('no final newline');
  if (!/^Channel: \S+$/m.test(text)) out.push('no Channel line');
  if (!/^Setvar: FAXFILE=\/\S+\/fax\.tif$/m.test(text)) out.push('no FAXFILE Setvar');
  if (!/^Setvar: FAXMAIL_JOB=\S+$/m.test(text)) out.push('no FAXMAIL_JOB Setvar');
  const parsed = parseCallFile(text);
  out.push(...parsed.problems);
  return out.join('; ');
}

interface Watcher {
  reads: { name: string; problems: string; bytes: number }[];
  names: Set<string>;
  close: () => void;
}

/** Read every file in `dir` the moment an event names it, as Asterisk would, and judge what was read. */
function watchCallFiles(dir: string): Watcher {
  const reads: Watcher['reads'] = [];
  const names = new Set<string>();
  const w = watch(dir, (_event, name) => {
    if (!name) return;
    const file = name.toString();
    names.add(file);
    try {
      const text = readFileSync(join(dir, file), 'utf8');
      reads.push({ name: file, problems: problemsOf(text), bytes: text.length });
    } catch (err) {
      reads.push({ name: file, problems: `unreadable: ${(err as NodeJS.ErrnoException).code}`, bytes: 0 });
    }
  });
  return { reads, names, close: () => w.close() };
}

test('control: the watcher does catch a call file written in place', async () => {
  const env = newEnv();
  const w = watchCallFiles(env.outgoing);
  try {
    const fd = openSync(join(env.outgoing, 'in-place.call'), 'w');
    writeSync(fd, 'Channel: PJSIP/0312345678@trunk\nMaxRetries: 0\nSetv');
    fsyncSync(fd);
    await waitUntil(() => w.reads.length > 0, 10_000, 'the watcher to read the half-written call file', 20);
    writeSync(fd, 'ar: FAXFILE=/var/spool/faxmail/jobs/x/fax.tif\n');
    closeSync(fd);
  } finally {
    w.close();
  }
  assert.ok(
    w.reads.some((r) => r.problems !== ''),
    `the half-written file was noticed: ${JSON.stringify(w.reads)}`,
  );
});

test('20 sendfax runs at once: the outgoing watcher never sees a partial call file', async () => {
  // A channel for each, so every run drops its call file at once.
  const env = newEnv({ extraToml: '\n[retry]\none_call_per_number = false\n', queue: 'max_calls = 20' });
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9]) markedPdf([n]); // make the documents before the clock starts
  const w = watchCallFiles(env.outgoing);
  const { reads, names } = w;
  const t0 = Date.now();
  let results;
  try {
    results = await Promise.all(Array.from({ length: 20 }, (_, n) => runAs(env, mail(n))));
    // A run waits at most 5 s for the queue lock, then leaves its job queued for the next dispatcher run
    // (lib/sendfax/enter-job.ts): on a loaded machine some of the 20 may. That run is played here.
    await runDispatcher(loadConfig(env.configPath), silentLogger(), { channels: 'never' });
    // The watcher reads on events, which may still be arriving: wait until it has read every call file.
    await waitUntil(
      () => readdirSync(env.outgoing).every((f) => names.has(f)),
      10_000,
      'the watcher to read every call file',
      20,
    );
  } finally {
    w.close();
  }
  const ms = Date.now() - t0;
  for (const r of results) assert.is(r.status, 0, `exit status: ${r.stdout}${r.stderr}`);
  const ids = results.map((r) => /^2\.0\.0 Fax job (\S+) queued: 1 page to 0312345678$/.exec(r.firstLine)?.[1]);
  assert.ok(
    ids.every((id) => id !== undefined),
    `every run queued: ${results.map((r) => r.firstLine).join(' | ')}`,
  );
  assert.is(new Set(ids).size, 20, '20 distinct job ids');
  const files = readdirSync(env.outgoing).sort();
  assert.is(files.length, 20, '20 call files');
  assert.equal(files, ids.map((id) => `faxmail-${id}-1.call`).sort());
  assert.equal(readdirSync(env.tmp), [], 'no scratch files left in tmp');
  assert.equal(
    readdirSync(join(env.spool, 'jobs')).filter((n) => n.startsWith('.')),
    [],
    'no staging directories left',
  );
  // Every call file the watcher saw, it saw whole.
  assert.ok(reads.length >= 20, `the watcher read ${reads.length} times`);
  assert.equal(
    reads.filter((r) => r.problems !== ''),
    [],
    'no partial call file was ever visible',
  );
  assert.equal([...names].sort(), files, 'the watcher saw every call file and nothing else');
  for (const id of ids) {
    const job = readJob(env, id!);
    assert.is(job.state, 'dialling');
    assert.is(job.pages, 1);
    const text = readFileSync(join(env.outgoing, `faxmail-${id}-1.call`), 'utf8');
    assert.ok(
      text.includes(`Setvar: FAXFILE=${join(env.spool, 'jobs', id!, 'fax.tif')}\n`),
      'each call file names its own job',
    );
  }
  // Reported, not asserted: on a shared 2-core machine the time says more about the neighbours than about
  // sendfax (it took 65-90 s under load); speed is measured in bench/, never as a timed assertion.
  console.log(`    20 parallel sendfax runs: ${ms} ms`);
});

test('6 runs at once to one number (one_call_per_number): one call file, five jobs queued behind it', async () => {
  const env = newEnv({ queue: 'max_calls = 6' });
  const results = await Promise.all(Array.from({ length: 6 }, (_, n) => runAs(env, mail(n))));
  for (const r of results) assert.is(r.status, 0, `exit status: ${r.stdout}${r.stderr}`);
  const ids = results.map((r) => /^2\.0\.0 Fax job (\S+) queued/.exec(r.firstLine)![1]!);
  const jobs = ids.map((id) => readJob(env, id));
  const queued = jobs.filter((j) => j.state === 'dialling');
  assert.is(queued.length, 1, 'exactly one job dials');
  assert.is(jobs.filter((j) => j.state === 'queued').length, 5);
  assert.equal(readdirSync(env.outgoing), [`faxmail-${queued[0]!.id}-1.call`]);
  assert.ok(
    jobs.filter((j) => j.state === 'queued').every((j) => j.callFile === undefined),
    'the others wait in the queue, without call files',
  );
  assertLinesClean(env);
});

test.run();
