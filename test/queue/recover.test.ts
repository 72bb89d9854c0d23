/*
 * recover.test.ts: the dispatcher's shell on a real spool, durable call reports, `faxmail run` after
 * crashes (a killed faxmail-notify, a killed dispatcher, a lost call, leftovers), stuck notices, and the
 * admin commands (list, retry, hold, release, prefix ids, status exit code).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  blockMailDelivery,
  makeNotifyEnv,
  makeJob,
  readJobSync,
  readMails,
  runBin,
  runNotify,
  type BinResult,
  type NotifyEnv,
} from '../notify/env.js';
import { binPath } from '../helpers/paths.js';
import { assertRejects } from '../helpers/assert-rejects.js';
import { runDispatcher } from '../../lib/queue/apply.js';
import { runRecovery } from '../../lib/queue/recover.js';
import { storeReport, listPendingReports } from '../../lib/queue/reports.js';
import { queueLockPath } from '../../lib/queue/records.js';
import { tryLock } from '../../lib/spool/lock.js';
import { writeJob } from '../../lib/spool/jobs.js';
import { collectStatus } from '../../lib/admin/status.js';
import { formatJob } from '../../lib/admin/show.js';
import { holdJob, listJobs, releaseJob, resolveJobId, retryJob } from '../../lib/admin/queue-actions.js';
import { newJobId } from '../../lib/spool/job-id.js';
import type { Job } from '../../lib/spool/types.js';
import { waitUntil } from '../helpers/wait.js';

const OLD = new Date(Date.now() - 2 * 3600_000).toISOString();

/** A job as sendfax leaves it under the queue: queued in the spool, no call file yet. */
function queued(env: NotifyEnv, over: Partial<Job> = {}): Promise<Job> {
  return makeJob(env, {
    state: 'queued',
    attempt: undefined,
    callFile: undefined,
    nextAttemptAt: new Date(Date.now() - 1000).toISOString(),
    ...over,
  } as Partial<Job>);
}

function sentArgs(job: Job, attempt: number, over: Record<string, string> = {}): string[] {
  const v: Record<string, string> = {
    job: job.id,
    attempt: String(attempt),
    status: 'SUCCESS',
    error: 'HANGUP',
    pages: '2',
    rate: '14400',
    resolution: '8031x7700',
    'remote-id': 'FAR END',
    ...over,
  };
  return ['sent', ...Object.entries(v).flatMap(([k, x]) => [`--${k}`, x])];
}

test(
  'the dispatcher starts at most max_calls, one per number, each job dialling with its call file in ' + 'outgoing',
  async () => {
    const env = await makeNotifyEnv({ toml: '[queue]\nmax_calls = 2\n' });
    const jobs = [
      await queued(env, { number: '0311111111' }),
      await queued(env, { number: '0311111111' }),
      await queued(env, { number: '0322222222' }),
      await queued(env, { number: '0333333333' }),
    ];
    const r = await runDispatcher(env.config, env.log);
    assert.equal(
      r.started.map((s) => s.job),
      [jobs[0]!.id, jobs[2]!.id],
    );
    for (const s of r.started) {
      const j = readJobSync(env, s.job);
      assert.is(j.state, 'dialling');
      assert.is(j.callFile, `faxmail-${s.job}-1.call`);
      assert.ok(existsSync(join(env.outgoing, j.callFile!)));
    }
    assert.equal(readdirSync(env.config.paths.tmp), [], 'nothing left staged');
    assert.is(readdirSync(env.outgoing).length, 2);
    const again = await runDispatcher(env.config, env.log);
    assert.equal(again.started, []);
    assert.equal(again.waits.map((w) => w.reason).sort(), ['channels', 'number']);
  },
);

test('a stored report is applied once; the freed channel goes to the next job', async () => {
  const env = await makeNotifyEnv({ toml: '[queue]\nmax_calls = 1\n' });
  const a = await queued(env, { number: '0311111111' });
  const b = await queued(env, { number: '0322222222' });
  await runDispatcher(env.config, env.log);
  assert.is(readJobSync(env, a.id).state, 'dialling');
  const r = await runNotify(env, sentArgs(a, 1));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'sent');
  const done = readJobSync(env, a.id);
  assert.is(done.state, 'sent');
  assert.is(done.attempts.length, 1);
  assert.ok(done.attempts[0]!.started, 'the attempt keeps when its call started');
  assert.ok(existsSync(join(env.paths.root, 'reports', 'applied', `${a.id}-1-sent.json`)));
  // faxmail-notify ran inside a's call, which still holds the one channel until Asterisk removes its file.
  assert.is(readJobSync(env, b.id).state, 'queued');
  assert.equal((await runRecovery(env.config, env.log)).dispatch.finishing, [{ job: a.id, number: a.number }]);
  assert.is(readJobSync(env, b.id).state, 'queued', 'still one call on the trunk');
  unlinkSync(join(env.outgoing, `faxmail-${a.id}-1.call`));
  // Now the channel is free: notify's follower (or the next run, whichever is first) starts b.
  await runRecovery(env.config, env.log);
  assert.is(readJobSync(env, b.id).state, 'dialling');
  // The same report again (the h extension after the hangup handler): nothing changes.
  const dup = await runNotify(env, sentArgs(a, 1));
  assert.is(dup.code, 0);
  assert.match(dup.stdout, 'already recorded');
  assert.is(readJobSync(env, a.id).attempts.length, 1);
  assert.is((await readMails(env)).length, 1, 'one receipt');
});

test('a report with an unreadable field is recorded, the field shown as unknown', async () => {
  const env = await makeNotifyEnv();
  const a = await queued(env);
  await runDispatcher(env.config, env.log);
  const r = await runNotify(env, sentArgs(a, 1, { pages: '99999999999', resolution: 'x;rm' }));
  assert.is(r.code, 0, r.stderr);
  const j = readJobSync(env, a.id);
  assert.is(j.state, 'sent');
  assert.equal(j.attempts[0]!.unknown, ['resolution', 'pages']);
  assert.is(j.attempts[0]!.raw!['pages'], '99999999999');
  assert.match(formatJob(j), 'pages unknown (reported "99999999999")');
});

test('faxmail-notify SIGKILLed between storing and applying: faxmail run applies the report once', async () => {
  const env = await makeNotifyEnv();
  const a = await queued(env);
  await runDispatcher(env.config, env.log);
  // Hold the queue lock so notify stores, then waits to apply; kill it there.
  const lock = (await tryLock(queueLockPath(env.paths), 1000))!;
  const child = spawn(process.execPath, [binPath('faxmail-notify'), ...sentArgs(a, 1)], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', FAXMAIL_CONFIG: env.configPath },
    stdio: 'ignore',
  });
  const file = join(env.paths.root, 'reports', `${a.id}-1-sent.json`);
  await waitUntil(() => existsSync(file), 10_000, 'the report to be stored first', 25);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  await lock.release();
  assert.is(readJobSync(env, a.id).state, 'dialling', 'not applied yet');
  const st = await collectStatus(env.config);
  assert.is(st.reports.pending, 1);
  const run = await runRecovery(env.config, env.log);
  assert.is(run.reports.length, 1);
  assert.is(readJobSync(env, a.id).state, 'sent');
  const again = await runRecovery(env.config, env.log);
  assert.is(again.reports.length, 0, 'applied once');
  assert.is(readJobSync(env, a.id).attempts.length, 1);
  assert.equal((await listPendingReports(env.paths)).pending, []);
});

test(
  'a dispatcher killed after making the job dialling: the staged call file is placed; a stray one is ' + 'removed',
  async () => {
    const env = await makeNotifyEnv();
    const a = await queued(env, { number: '0311111111' });
    const b = await queued(env, { number: '0322222222' });
    // a: dialling durably, its call file still staged in tmp (killed before the rename).
    await writeJob(join(env.paths.jobs, a.id), {
      ...readJobSync(env, a.id),
      state: 'dialling',
      callFile: `faxmail-${a.id}-1.call`,
      dialledAt: new Date().toISOString(),
    });
    writeFileSync(join(env.config.paths.tmp, `faxmail-${a.id}-1.call`), 'Channel: Local/1@x\n');
    // b: killed after staging, before the job changed: b is still queued.
    writeFileSync(join(env.config.paths.tmp, `faxmail-${b.id}-1.call`), 'Channel: Local/1@x\n');
    const r = await runRecovery(env.config, env.log);
    assert.equal(r.dispatch.placed, [a.id]);
    assert.equal(r.stagedRemoved, [`faxmail-${b.id}-1.call`]);
    assert.ok(existsSync(join(env.outgoing, `faxmail-${a.id}-1.call`)));
    // b then dials normally, with a freshly written call file.
    assert.equal(
      r.dispatch.started.map((s) => s.job),
      [b.id],
    );
    assert.match(readFileSync(join(env.outgoing, `faxmail-${b.id}-1.call`), 'utf8'), `FAXMAIL_JOB=${b.id}`);
    assert.equal(readdirSync(env.config.paths.tmp), []);
  },
);

test(
  "a call file deleted behind faxmail's back: after lost_after the attempt is lost and retried, the number " + 'freed',
  async () => {
    const env = await makeNotifyEnv({
      toml: '[queue]\nmax_calls = 1\nlost_after = 600\n',
      notify: 'admin = "admin@example.com"\n',
    });
    const a = await queued(env, { number: '0311111111' });
    const b = await queued(env, { number: '0311111111' });
    await runDispatcher(env.config, env.log);
    const dialled = readJobSync(env, a.id);
    // Gone from outgoing, no report; the call started two hours ago.
    unlinkSync(join(env.outgoing, dialled.callFile!));
    await writeJob(join(env.paths.jobs, a.id), { ...dialled, dialledAt: OLD });
    const st = await collectStatus(env.config);
    assert.ok(st.attention.some((x) => x.includes(a.id) && x.includes('no result')));
    const r = await runRecovery(env.config, env.log);
    assert.equal(r.dispatch.lost, [{ job: a.id, attempt: 1, outcome: 'retry' }]);
    const after = readJobSync(env, a.id);
    assert.is(after.state, 'queued');
    assert.ok(after.attempts[0]!.lost);
    assert.ok(Date.parse(after.nextAttemptAt!) > Date.now() + 200_000, 'retried by the unknown rule (300 s)');
    // The number and the channel went to b in the same run.
    assert.equal(
      r.dispatch.started.map((s) => s.job),
      [b.id],
    );
    // The admin is told, once.
    const mails = await readMails(env);
    assert.is(mails.length, 1);
    assert.match(mails[0]!.subject ?? '', 'gave no result');
    assert.match(mails[0]!.text ?? '', a.id);
    await runRecovery(env.config, env.log);
    assert.is((await readMails(env)).length, 1);
  },
);

/** An `asterisk -rx` stand-in: prints the channel lines written to its file (as `core show channels concise`). */
function fakeAsterisk(): { binary: string; channels: (lines: string[]) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-fake-asterisk-'));
  const list = join(dir, 'channels.txt');
  writeFileSync(list, '');
  const binary = join(dir, 'asterisk');
  writeFileSync(binary, `#!/bin/sh\ncat '${list}'\n`);
  chmodSync(binary, 0o755);
  return { binary, channels: (lines) => writeFileSync(list, lines.map((l) => `${l}\n`).join('')) };
}

/**
 * A concise channel line:
 * Channel!Context!Exten!Priority!State!Application!Data!CallerID!Accountcode!PeerAccount!AMAFlags!Duration!
 * BridgeID!Uniqueid
 */
const channel = (name: string, context: string, account: string, app = 'SendFAX'): string =>
  `${name}!${context}!s!1!Up!${app}!!!${account}!!3!12!!1700000000.1`;

test(
  "with Asterisk's channel list: a call that ended without a report is lost at once, a call still on is " +
    'not, received faxes take a channel',
  async () => {
    const fake = fakeAsterisk();
    const env = await makeNotifyEnv({ toml: `[queue]\nmax_calls = 2\n\n[asterisk]\nbinary = "${fake.binary}"\n` });
    const a = await queued(env, { number: '0311111111' });
    const b = await queued(env, { number: '0322222222' });
    const c = await queued(env, { number: '0333333333' });
    await runDispatcher(env.config, env.log, { channels: 'never' });
    // a's call ended without a report (its file is gone, no channel of it is left); b's file was removed by
    // hand but its call is still on the line; a fax is coming in.
    unlinkSync(join(env.outgoing, `faxmail-${a.id}-1.call`));
    unlinkSync(join(env.outgoing, `faxmail-${b.id}-1.call`));
    fake.channels([
      channel('PJSIP/trunk-00000001', 'faxmail-send', b.id),
      channel('PJSIP/trunk-00000002', 'faxmail-receive-run', '', 'ReceiveFAX'),
    ]);
    const r = await runRecovery(env.config, env.log);
    assert.ok(r.dispatch.channelsRead);
    assert.equal(r.dispatch.lost, [{ job: a.id, attempt: 1, outcome: 'retry' }], 'lost at once, not after lost_after');
    assert.match(readJobSync(env, a.id).attempts[0]!.error, 'no channel is left');
    assert.is(readJobSync(env, b.id).state, 'dialling', 'a call still on the line is not lost');
    assert.equal(r.dispatch.started, [], 'b and the received fax hold both channels');
    assert.equal(r.dispatch.waits.find((w) => w.job === c.id)?.reason, 'channels');
    // The received fax has ended: c dials.
    fake.channels([channel('PJSIP/trunk-00000001', 'faxmail-send', b.id)]);
    assert.equal(
      (await runRecovery(env.config, env.log)).dispatch.started.map((x) => x.job),
      [c.id],
    );
    // count_received = false: received faxes come in over other lines.
    const other = await makeNotifyEnv({
      toml: `[queue]\nmax_calls = 1\ncount_received = false\n\n[asterisk]\nbinary = "${fake.binary}"\n`,
    });
    const d = await queued(other);
    fake.channels([channel('PJSIP/trunk-00000002', 'faxmail-receive-run', '', 'ReceiveFAX')]);
    assert.equal(
      (await runRecovery(other.config, other.log)).dispatch.started.map((x) => x.job),
      [d.id],
    );
  },
);

test(
  'a notice that cannot be built stays pending, shows in status (exit 1), and is sent by faxmail run once ' + 'fixed',
  async () => {
    const env = await makeNotifyEnv({ notify: 'locale = "en"\n' });
    const a = await queued(env);
    await runDispatcher(env.config, env.log);
    // The mail server is down and the outbox cannot be written (a full disk): the receipt cannot be handed over.
    const restore = blockMailDelivery(env);
    rmSync(env.paths.outbox, { recursive: true });
    writeFileSync(env.paths.outbox, 'not a directory');
    const r = await runNotify(env, sentArgs(a, 1));
    assert.is(r.code, 0, r.stderr);
    const j = readJobSync(env, a.id);
    assert.is(j.state, 'sent');
    assert.is(j.noticePending, 'success');
    assert.ok(j.noticeError);
    rmSync(env.paths.outbox);
    mkdirSync(env.paths.outbox);
    const status = await runFaxmail(env, ['status']);
    assert.is(status.code, 1, status.stdout);
    assert.match(status.stdout, 'receipt could not be sent');
    restore();
    const run = await runFaxmail(env, ['run']);
    assert.is(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, '1 notices retried');
    const fixed = readJobSync(env, a.id);
    assert.is(fixed.noticePending, undefined);
    assert.ok(fixed.notifiedAt);
    assert.is((await readMails(env)).length, 1);
    assert.is((await runFaxmail(env, ['status'])).code, 0);
  },
);

test(
  'faxmail run removes leftovers of killed runs once they are old, and the ' + "line model's number records",
  async () => {
    const env = await makeNotifyEnv();
    const old = new Date(Date.now() - 3600_000);
    const staging = join(env.paths.jobs, `.new-${newJobId()}`);
    mkdirSync(join(staging, 'parts'), { recursive: true });
    const scratch = join(env.config.paths.tmp, '.faxmail-x.call.123.abc.tmp');
    writeFileSync(scratch, 'half');
    const young = join(env.config.paths.tmp, '.faxmail-y.call.124.abd.tmp');
    writeFileSync(young, 'being written');
    utimesSync(staging, old, old);
    utimesSync(scratch, old, old);
    // The line model's record of a number whose active job has ended (its ghost), and its lock file.
    const done = await makeJob(env, { state: 'sent', number: '0344444444' });
    mkdirSync(join(env.paths.root, 'lines'), { recursive: true });
    writeFileSync(
      join(env.paths.root, 'lines', '0344444444.json'),
      JSON.stringify({
        number: '0344444444',
        active: done.id,
        waiting: [{ job: 'gone', notBefore: old.toISOString() }],
      }),
    );
    writeFileSync(join(env.paths.locks, 'line-0344444444.lock'), '');
    const r = await runRecovery(env.config, env.log);
    assert.ok(!existsSync(staging) && !existsSync(scratch));
    assert.ok(existsSync(young), 'a young file may still be written: kept');
    assert.is(r.linesRetired, 1);
    assert.not.ok(existsSync(join(env.paths.root, 'lines')), 'the job records say it all: lines/ is gone');
    assert.not.ok(existsSync(join(env.paths.locks, 'line-0344444444.lock')));
    assert.is((await runRecovery(env.config, env.log)).linesRetired, 0);
  },
);

test('admin: prefix ids, hold, release, retry, list', async () => {
  const env = await makeNotifyEnv({ toml: '[queue]\nmax_calls = 1\n' });
  const busy = await queued(env, { number: '0399999999' });
  await runDispatcher(env.config, env.log);
  const a = await queued(env, { id: '20261201-120000-aaaaaaaaaaaa' });
  await queued(env, { id: '20261201-120000-aaaaaaaabbbb' });
  assert.is(await resolveJobId(env.config, '20261201-120000-aaaaaaaaaa'), a.id);
  await assertRejects(() => resolveJobId(env.config, '20261201-120000-aaaa'), /matches 2 jobs/);
  await assertRejects(() => resolveJobId(env.config, '2026'), /matches|No fax job/);
  await assertRejects(() => resolveJobId(env.config, 'zz'), /at least its first 4/);
  const h = await holdJob(env.config, '20261201-120000-aaaaaaaaaa', env.log);
  assert.is(h.state, 'held');
  assert.ok(readJobSync(env, a.id).heldAt);
  await assertRejects(() => holdJob(env.config, busy.id, env.log), /dialling now/);
  assert.equal(
    (await listJobs(env.config, { state: 'held' })).map((j) => j.id),
    [a.id],
  );
  assert.equal(
    (await listJobs(env.config, { state: 'dialling' })).map((j) => j.id),
    [busy.id],
  );
  const rel = await releaseJob(env.config, a.id.slice(0, 25), env.log);
  assert.is(rel.state, 'queued');
  // A failed job dials once more on retry (when a channel is free: its last call has ended).
  unlinkSync(join(env.outgoing, `faxmail-${busy.id}-1.call`));
  await writeJob(join(env.paths.jobs, busy.id), {
    ...readJobSync(env, busy.id),
    state: 'failed',
    noticePending: undefined,
  } as Job);
  const f = await retryJob(env.config, busy.id, env.log);
  assert.is(f.previous, 'failed');
  assert.is(f.started.length, 1, 'the channel was free: it dials at once');
  const list = await runFaxmail(env, ['list', '--state', 'queued', '--json']);
  assert.is(list.code, 0, list.stderr);
  assert.is((JSON.parse(list.stdout) as unknown[]).length, 2);
  assert.is((await runFaxmail(env, ['list', '--state', 'nope'])).code, 64);
});

test('a report whose job id cannot be read is kept as unmatched and flagged', async () => {
  const env = await makeNotifyEnv();
  await storeReport(env.paths, 'unanswered', { job: '$(reboot)', attempt: '1', reason: '5' });
  const st = await collectStatus(env.config);
  assert.is(st.reports.unmatched.length, 1);
  assert.ok(st.attention.some((x) => x.includes('cannot be read')));
});

test('faxmail cleanup removes lock files of jobs that are gone, keeps those of jobs that exist', async () => {
  const env = await makeNotifyEnv();
  const kept = await queued(env);
  const goneId = newJobId();
  for (const n of [`job-${goneId}.lock`, `notice-${goneId}.lock`, `job-${kept.id}.lock`, 'queue.lock'])
    writeFileSync(join(env.paths.locks, n), '');
  const { cleanupSpool } = await import('../../lib/admin/cleanup.js');
  await cleanupSpool(env.config, env.log);
  assert.equal(readdirSync(env.paths.locks).sort(), [`job-${kept.id}.lock`, 'queue.lock'].sort());
});

function runFaxmail(env: NotifyEnv, args: string[]): Promise<BinResult> {
  return runBin(env, 'faxmail', args);
}

test.run();
