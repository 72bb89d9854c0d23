/*
 * sendfax-kill.test.ts: sendfax SIGKILLed at random instants, each mail then delivered again (as Postfix
 * does after a killed pipe run), then `faxmail run`: every mail is one job, nothing holds a number without
 * its call file, nothing is left over. (The same on the real-Asterisk test bed, with calls, is issue 9's
 * "Done when"; this one needs no Asterisk.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { newEnv, runAs, useHarness } from '../sendfax/harness.js';
import { markedPdf } from '../sendfax/marked.js';
import { attachmentNode, buildMime, textNode } from '../helpers/mail-fixtures.js';
import { bytesOf } from '../helpers/documents.js';
import { binPath } from '../helpers/paths.js';
import { loadConfig } from '../../lib/config/load.js';
import { silentLogger } from '../../lib/log.js';
import { runRecovery } from '../../lib/queue/recover.js';
import { loadJobs, queueState } from '../../lib/queue/records.js';
import { spoolPaths } from '../../lib/spool/jobs.js';
import { waitUntil } from '../helpers/wait.js';

useHarness(test);

const KILLS = 12;

function mail(n: number): Buffer {
  return buildMime(
    {
      multipart: 'mixed',
      parts: [
        textNode('Please fax this.\n'),
        attachmentNode(bytesOf(markedPdf([(n % 5) + 1])), { type: 'application/pdf', filename: `doc${n}.pdf` }),
      ],
    },
    { from: 'Alice <alice@example.org>', subject: `Fax ${n}` },
  );
}

function killAfter(env: ReturnType<typeof newEnv>, m: Buffer, ms: number): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [
      binPath('sendfax'),
      `--config=${env.configPath}`,
      '--sender=alice@example.org',
      '--recipient=fax+0312345678@fax.example.com',
    ],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  child.stdin.on('error', () => undefined);
  child.stdin.end(m);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
}

test(
  `sendfax SIGKILLed at ${KILLS} random instants, then delivered again: one job per mail, no ghost, ` +
    `nothing left after faxmail run`,
  async () => {
    const env = newEnv({ queue: 'max_calls = 3' });
    // How long one run takes here, so the kills spread over the whole run.
    const t0 = Date.now();
    const first = await runAs(env, mail(1000));
    assert.is(first.status, 0, first.stdout + first.stderr);
    const span = Math.max(200, (Date.now() - t0) * 1.2);
    const mails = Array.from({ length: KILLS }, (_, i) => mail(i));
    let finishedAnyway = 0;
    for (const m of mails) {
      const code = await killAfter(env, m, Math.floor(Math.random() * span));
      if (code === 0) finishedAnyway++;
      // Postfix delivers again after a killed run (and once more would be harmless).
      const again = await runAs(env, m);
      assert.is(again.status, 0, again.stdout + again.stderr);
    }
    const config = loadConfig(env.configPath);
    await runRecovery(config, silentLogger(), { flushMs: 1000 });
    const paths = spoolPaths(config.paths.spool);
    const { jobs, unreadable } = await loadJobs(paths);
    assert.equal(unreadable, []);
    // One job per mail (the extra first one included).
    const subjects = jobs.map((j) => j.job.subject).sort();
    assert.equal(
      subjects,
      ['Fax 1000', ...mails.map((_, i) => `Fax ${i}`)].sort(),
      `jobs: ${subjects.join(', ')} (${finishedAnyway} runs finished before their kill)`,
    );
    // No ghost: a job that holds the number has its call file in outgoing; at most one per number.
    const dialling = jobs.filter((j) => queueState(j.job) === 'dialling');
    for (const { job } of dialling)
      assert.ok(existsSync(join(env.outgoing, job.callFile!)), `job ${job.id} dialling with its call file`);
    assert.ok(dialling.length <= 1, `one call per number (${dialling.length} dialling)`);
    assert.is(readdirSync(env.outgoing).length, dialling.length, 'no call file without its job');
    // Nothing left over.
    assert.equal(
      readdirSync(paths.jobs).filter((n) => n.startsWith('.')),
      [],
      'no staging dirs',
    );
    assert.equal(readdirSync(env.tmp), [], 'no scratch or staged call files');
    assert.equal(
      readdirSync(paths.locks).filter((n) => n.startsWith('staging-')),
      [],
      'no staging locks',
    );
  },
);

test(
  'a busy queue lock does not hold sendfax up: the job is queued (exit 0) and the next dispatcher run ' + 'starts it',
  async () => {
    const env = newEnv();
    const config = loadConfig(env.configPath);
    const paths = spoolPaths(config.paths.spool);
    // Another process holds the queue lock (a dispatcher at work, a stuck run) for the whole delivery.
    mkdirSync(paths.locks, { recursive: true });
    const holder = spawn('/usr/bin/flock', ['-x', join(paths.locks, 'queue.lock'), '/bin/sleep', '120'], {
      detached: true,
      stdio: 'ignore',
    });
    // flock(1) -n exits 1 while another process holds the lock
    await waitUntil(
      () => spawnSync('/usr/bin/flock', ['-n', join(paths.locks, 'queue.lock'), 'true']).status === 1,
      10_000,
      'the holder to take the queue lock',
      20,
    );
    try {
      const r = await runAs(env, mail(42));
      assert.is(r.status, 0, r.stdout + r.stderr);
      const id = /Fax job (\S+) queued/.exec(r.firstLine)?.[1];
      assert.ok(id, r.firstLine);
      const { jobs } = await loadJobs(paths);
      assert.equal(
        jobs.map((j) => [j.job.id, j.job.state]),
        [[id, 'queued']],
      );
      assert.equal(readdirSync(env.outgoing), [], 'no call yet: the dispatcher did not run');
    } finally {
      process.kill(-holder.pid!, 'SIGKILL');
    }
    // The lock holder is gone (killed): the timer's run starts the call.
    const rec = await runRecovery(config, silentLogger(), { flushMs: 1000, channels: 'never' });
    assert.is(rec.dispatch.started.length, 1);
    assert.is(readdirSync(env.outgoing).length, 1);
    assert.equal(
      readdirSync(paths.locks).filter((n) => n.startsWith('mail-')),
      [],
      'the mail-key lock is removed after use',
    );
  },
);

test('the same mail delivered twice is one job; the same attachment in a new mail is a new job', async () => {
  const env = newEnv();
  const m = mail(7);
  const a = await runAs(env, m);
  const b = await runAs(env, m);
  assert.is(a.status, 0);
  assert.is(b.status, 0, b.stdout + b.stderr);
  const id = /Fax job (\S+) queued/.exec(a.firstLine)?.[1];
  assert.ok(id);
  assert.match(b.firstLine, `Fax job ${id} queued`);
  const c = await runAs(env, mail(7)); // a fresh Message-ID
  assert.not.match(c.firstLine, id!);
  assert.is(readdirSync(join(env.spool, 'jobs')).filter((n) => !n.startsWith('.')).length, 2);
});

test.run();
