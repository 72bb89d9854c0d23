/*
 * faxmail-cli.test.ts (black box): the admin command, run as the built program (dist/bin/faxmail.js): its printed
 * lines, exit statuses and effects on a real spool, with a real SMTP server on loopback for `flush`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
  copyFileSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ensureSpool, jobDir, readJob, spoolPaths, writeJob } from '../../lib/spool/jobs.js';
import { newJobId } from '../../lib/spool/job-id.js';
import { sendOrQueue } from '../../lib/mail/deliver.js';
import { handleReceived } from '../../lib/inbound/receive.js';
import { silentLogger } from '../../lib/log.js';
import type { Job, JobState } from '../../lib/spool/types.js';
import { binPath } from '../helpers/paths.js';
import { attemptRecord, jobRecord, receivedReport } from '../helpers/job-record.js';
import { makeReceivedFax } from '../helpers/received-fixtures.js';
import type { SmtpSink } from '../helpers/smtp-sink.js';
import { makeTestEnv, smtpSection, useSmtpSink, type TestEnv } from '../mail/test-config.js';

const log = silentLogger();
let sink: SmtpSink;
const envs = useSmtpSink(test, (s) => (sink = s));

function env(extra = ''): TestEnv {
  const e = makeTestEnv(
    `${extra}[notify]\nfrom = "fax@example.org"\n[callfile]\nowner = "root"\ngroup = ` +
      `"root"\n[inbound]\ndefault = ["desk@example.com"]\n[retention]\nreceived_days = 1\nsent_days = 1\n` +
      smtpSection(sink.port, 2),
    'faxmail-cli-',
  );
  envs.push(e);
  return e;
}

async function faxmail(e: TestEnv | undefined, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await execa(process.execPath, [binPath('faxmail'), ...args, ...(e ? ['--config', e.configFile] : [])], {
    reject: false,
    env: { FAXMAIL_CONFIG: '', TZ: 'Asia/Tokyo' },
  });
  return { code: r.exitCode ?? -1, out: r.stdout, err: r.stderr };
}

async function makeJob(e: TestEnv, state: JobState, over: Partial<Job> = {}): Promise<Job> {
  const paths = spoolPaths(e.spool);
  await ensureSpool(paths);
  const id = newJobId(new Date(), Buffer.from(Array.from({ length: 6 }, () => Math.floor(Math.random() * 256))));
  const job = jobRecord(id, { subject: 'Invoice', messageId: '<m@example.com>', state, ...over });
  const dir = jobDir(paths, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'fax.tif'), 'not used');
  await writeJob(dir, job);
  return job;
}

test('check-config: "configuration OK", 78 with the key on a config error, FAXMAIL_CONFIG honoured', async () => {
  const e = env();
  // A spool without inbound/ (an old install): ReceiveFAX could not write, received faxes would be lost.
  rmdirSync(join(e.spool, 'inbound'));
  const missing = await faxmail(e, 'check-config');
  assert.is(missing.code, 78);
  assert.match(missing.err, new RegExp(`paths\\.spool: ${join(e.spool, 'inbound')} does not exist: run make install`));
  await ensureSpool(spoolPaths(e.spool));
  const ok = await faxmail(e, 'check-config');
  assert.is(ok.code, 0, ok.out);
  assert.match(ok.out, /^configuration OK/);
  const bad = join(e.dir, 'bad.toml');
  writeFileSync(bad, `${readFileSync(e.configFile, 'utf8')}[fax]\nresolutoin = "fine"\n`);
  const r = await faxmail(undefined, 'check-config', '--config', bad);
  assert.is(r.code, 78);
  assert.match(r.err, /bad\.toml:\d+:1: fax\.resolutoin: is not a setting of \[fax\]/);
  const viaEnv = await execa(process.execPath, [binPath('faxmail'), 'check-config'], {
    reject: false,
    env: { FAXMAIL_CONFIG: e.configFile },
  });
  assert.is(viaEnv.exitCode, 0);
  assert.ok(viaEnv.stdout.includes(e.configFile));
});

test('check-config: a broken sender regex exits 78 naming senders.allow (sendfax would defer every mail)', async () => {
  const e = env();
  const bad = join(e.dir, 'bad-regex.toml');
  writeFileSync(bad, `${readFileSync(e.configFile, 'utf8')}[senders]\nallow = ["/(unclosed/"]\n`);
  const r = await faxmail(undefined, 'check-config', '--config', bad);
  assert.is(r.code, 78);
  assert.match(r.err, 'senders.allow[0]: ');
  assert.match(r.err, 'not a valid regular expression');
});

test(
  'check-config prints the number policy in effect, with the country defaults and what each denied prefix ' + 'is',
  async () => {
    const e = env('[numbers]\ncountry = "GB"\n');
    const r = await faxmail(e, 'check-config');
    assert.is(r.code, 0, r.err);
    assert.match(r.out, 'numbers: country GB (United Kingdom)');
    assert.match(r.out, /deny \(GB default\):\n(?:    .*\n)*    \^09   premium rate/);
    assert.match(r.out, '    ^\\+44 -> 0');
  },
);

test('usage errors exit 64', async () => {
  const e = env();
  assert.is((await faxmail(e, 'frobnicate')).code, 64);
  assert.is((await faxmail(e)).code, 64);
  assert.is((await faxmail(e, 'show')).code, 64);
  assert.is((await faxmail(e, 'status', '--bogus')).code, 64);
});

test('status: jobs by state, the outbox with its error, received faxes; --json', async () => {
  const e = env();
  const q = await makeJob(e, 'queued', { nextAttemptAt: '2030-01-01T00:00:00.000Z' });
  await makeJob(e, 'sent');
  await makeJob(e, 'failed');
  sink.setMode('refuse');
  await sendOrQueue(
    e.config,
    { kind: 'receipt', to: ['alice@example.com'], subject: 'Receipt', text: 'x', attachments: [] },
    log,
  );
  const fax = await makeReceivedFax({ pages: 1, resolution: 'standard', dir: e.dir });
  copyFileSync(fax.tiff, join(e.spool, 'inbound', 'in-1.tif'));
  copyFileSync(fax.tiff, join(e.spool, 'inbound', 'in-2.tif'));
  await handleReceived(e.config, receivedReport('in-1', { did: '100', pages: 1 }), log);
  const r = await faxmail(e, 'status');
  // in-2 was never reported: that needs the admin, so status exits 1 for monitoring.
  assert.is(r.code, 1);
  assert.match(r.out, /needs attention \(1\):\n  received fax in-2: never reported/);
  assert.match(r.out, /jobs: 3 \(queued 1, dialling 0, held 0, sent 1, failed 1, cancelled 0\)/);
  assert.ok(r.out.includes(`${q.id}  queued    0312345678`));
  assert.match(r.out, /outbox: 2 mails waiting/);
  assert.match(r.out, /421/);
  assert.match(r.out, /inbound: 2 received \(delivered 0, queued for mail 1, .*not handled 1\)/);
  assert.match(r.out, /in-2: received but never reported/);
  const j = JSON.parse((await faxmail(e, 'status', '--json')).out);
  assert.is(j.jobs.byState.queued, 1);
  assert.is(j.outbox.waiting, 2);
  assert.is(j.outbox.entries[0].attempts, 1);
  assert.equal(j.inbound.unhandled, ['in-2']);
});

test('show: the job and its attempts; --json is job.json; unknown or malformed ids exit 66', async () => {
  const e = env();
  const job = await makeJob(e, 'queued', {
    attempts: [
      attemptRecord(1, { at: '2024-01-01T10:00:00.000Z' }),
      {
        n: 2,
        at: '2024-01-01T10:05:00.000Z',
        status: 'FAILED',
        class: 'dropped',
        error: 'The call dropped prematurely',
        pages: 1,
        rate: 9600,
        resolution: '204x196',
        remoteStationId: 'REMOTE 1',
        duration: 40,
      },
    ],
  });
  const r = await faxmail(e, 'show', job.id);
  assert.is(r.code, 0);
  assert.match(r.out, new RegExp(`^job ${job.id}`));
  // Local time, as in the mails (TZ=Asia/Tokyo for this run).
  assert.match(r.out, /#1 {2}2024-01-01 19:00:00 \+0900 {2}UNANSWERED class busy, "Busy", reason 5/);
  assert.match(
    r.out,
    /#2 .*FAILED .*"The call dropped prematurely", 1 p\., 9600 bit\/s, 204x196, station "REMOTE 1", 40 s/,
  );
  assert.equal(JSON.parse((await faxmail(e, 'show', job.id, '--json')).out), job);
  assert.is((await faxmail(e, 'show', '20200101-000000-000000000000')).code, 66);
  assert.is((await faxmail(e, 'show', '../../etc')).code, 66);
});

test('flush: mail server down exits 75 and keeps the mail; once up, sends it and empties the outbox', async () => {
  const e = env();
  sink.setMode('refuse');
  assert.is(
    await sendOrQueue(
      e.config,
      { kind: 'admin', to: ['admin@example.com'], subject: 'Later', text: 'x', attachments: [] },
      log,
    ),
    'queued',
  );
  const down = await faxmail(e, 'flush');
  assert.is(down.code, 75);
  assert.match(down.out, /outbox: 0 sent, 1 failed, 1 waiting/);
  sink.setMode('accept');
  const up = await faxmail(e, 'flush');
  assert.is(up.code, 0);
  assert.match(up.out, /outbox: 1 sent, 0 failed, 0 waiting/);
  assert.is(sink.messages.length, 1);
  assert.equal(readdirSync(join(e.spool, 'outbox')), []);
});

test(
  'cancel: takes back a call file Asterisk has not started, starts the job waiting for the number, tells ' +
    'the sender',
  async () => {
    const e = env();
    const paths = spoolPaths(e.spool);
    const a = await makeJob(e, 'dialling', { callFile: 'placeholder' });
    const callFile = `faxmail-${a.id}-1.call`;
    await writeJob(jobDir(paths, a.id), { ...a, callFile, attempt: 1 });
    writeFileSync(join(e.dir, 'outgoing', callFile), 'Channel: Local/x\n');
    const b = await makeJob(e, 'queued');
    const before = sink.messages.length;
    const r = await faxmail(e, 'cancel', a.id);
    assert.is(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(
        `job ${a.id} cancelled \\(was dialling\\); call file ${callFile} taken back before the call; job ` +
          `${b.id} dials next on that number; sender told`,
      ),
    );
    const aAfter = await readJob(jobDir(paths, a.id));
    assert.is(aAfter.state, 'cancelled');
    assert.equal(aAfter.cancelled?.call, 'removed');
    assert.match(
      (await faxmail(e, 'show', a.id)).out,
      /cancelled: .+ \(was dialling; its call file was taken back before the call\)/,
    );
    assert.not.ok(existsSync(join(e.dir, 'outgoing', callFile)));
    const bAfter = await readJob(jobDir(paths, b.id));
    assert.is(bAfter.state, 'dialling');
    assert.is(bAfter.attempt, 1);
    assert.ok(existsSync(join(e.dir, 'outgoing', bAfter.callFile!)));
    // the sender of A hears that it was cancelled before anything was sent
    await sink.waitFor(before + 1);
    const notice = await sink.parse(before);
    assert.is(notice.headers.get('x-faxmail-job'), a.id);
    assert.match(notice.subject ?? '', /could not be sent/);
    assert.match(notice.text ?? '', /cancelled this fax before it was sent/);
    // a finished job is left alone
    const sent = await makeJob(e, 'sent');
    const again = await faxmail(e, 'cancel', sent.id);
    assert.is(again.code, 0);
    assert.match(again.out, /had already ended \(sent\)/);
    assert.is((await faxmail(e, 'cancel', '20200101-000000-000000000000')).code, 66);
  },
);

test(
  'cancel of a dialling job whose call Asterisk has started: the number ' + 'stays held, the sender is told',
  async () => {
    // An Asterisk CLI that cannot be reached (the real one is in test/asterisk/cancel.test.ts).
    const e = env('[asterisk]\nbinary = "/bin/false"\n');
    const paths = spoolPaths(e.spool);
    const a = await makeJob(e, 'dialling');
    const callFile = `faxmail-${a.id}-1.call`;
    await writeJob(jobDir(paths, a.id), { ...a, callFile, attempt: 1 });
    // pbx_spool appended StartRetry: the call is under way. This env names no reachable Asterisk CLI.
    writeFileSync(join(e.dir, 'outgoing', callFile), 'Channel: Local/x\n\nStartRetry: 1 1 (1700000000)\n');
    const b = await makeJob(e, 'queued');
    const r = await faxmail(e, 'cancel', a.id);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /the call could not be hung up \(.+\); its number stays held until it ends/);
    assert.ok(existsSync(join(e.dir, 'outgoing', callFile)), 'Asterisk still has its call file');
    assert.equal((await readJob(jobDir(paths, a.id))).cancelled?.call, 'left-running');
    assert.is((await readJob(jobDir(paths, b.id))).state, 'queued', 'the next job waits for that call to end');
    // When the call has ended (its report in, its file gone), the number is free again.
    unlinkSync(join(e.dir, 'outgoing', callFile));
    const run = await faxmail(e, 'run');
    assert.is(run.code, 0, run.err);
    assert.is((await readJob(jobDir(paths, b.id))).state, 'dialling');
  },
);

test(
  'cleanup: old received faxes and finished jobs go, active jobs and fresh files stay; --dry-run removes ' + 'nothing',
  async () => {
    const e = env();
    const paths = spoolPaths(e.spool);
    await ensureSpool(paths);
    const fax = await makeReceivedFax({ pages: 1, resolution: 'standard', dir: e.dir });
    for (const id of ['old-1', 'new-1']) {
      copyFileSync(fax.tiff, join(e.spool, 'inbound', `${id}.tif`));
      await handleReceived(e.config, receivedReport(id, { did: '100', pages: 1 }), log);
    }
    // age old-1 by rewriting its record's handled time
    const recPath = join(e.spool, 'inbound', 'old-1.json');
    const rec = JSON.parse(readFileSync(recPath, 'utf8'));
    rec.handled = new Date(Date.now() - 3 * 86_400_000).toISOString();
    writeFileSync(recPath, JSON.stringify(rec));
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const oldSent = await makeJob(e, 'sent', { updated: old });
    const oldQueued = await makeJob(e, 'queued', { updated: old });
    const freshSent = await makeJob(e, 'sent');
    // an orphan outbox message from a crash, two days old
    const orphan = join(e.spool, 'outbox', '20200101T000000000-0123456789ab.eml');
    writeFileSync(orphan, 'x');
    const twoDays = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(orphan, twoDays, twoDays);

    const dry = await faxmail(e, 'cleanup', '--dry-run');
    assert.is(dry.code, 0);
    assert.match(dry.out, /would remove 1 received faxes, 1 finished jobs, 1 orphan outbox files/);
    assert.ok(existsSync(recPath) && existsSync(jobDir(paths, oldSent.id)) && existsSync(orphan));

    const r = await faxmail(e, 'cleanup');
    assert.is(r.code, 0);
    assert.match(r.out, /removed 1 received faxes, 1 finished jobs, 1 orphan outbox files/);
    for (const ext of ['tif', 'pdf', 'json']) assert.not.ok(existsSync(join(e.spool, 'inbound', `old-1.${ext}`)), ext);
    for (const ext of ['tif', 'pdf', 'json']) assert.ok(existsSync(join(e.spool, 'inbound', `new-1.${ext}`)), ext);
    assert.not.ok(existsSync(jobDir(paths, oldSent.id)));
    assert.ok(existsSync(jobDir(paths, oldQueued.id)));
    assert.ok(existsSync(jobDir(paths, freshSent.id)));
    assert.not.ok(existsSync(orphan));
  },
);

test.run();
