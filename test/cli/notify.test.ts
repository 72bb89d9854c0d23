/*
 * notify.test.ts (lib/cli/notify.ts): the faxmail-notify command line as a whole: argument parsing, and
 * the `received` and `flush` subcommands dispatched to lib/inbound and lib/mail, run through the BUILT bin
 * with the argv the dialplan's receive context gives it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync } from 'node:fs';
import { parseArgs, intArg } from '../../lib/cli/notify.js';
import { FaxError } from '../../lib/errors.js';
import { join } from 'node:path';
import { blockMailDelivery, makeJob, makeNotifyEnv, readMails, runNotify, sampleFaxTiff } from '../notify/env.js';

test('parseArgs: values are taken verbatim, even when they look like flags or are empty', () => {
  const p = parseArgs([
    'sent',
    '--job',
    'j',
    '--attempt',
    '1',
    '--status',
    '',
    '--error',
    '',
    '--pages',
    '',
    '--rate',
    '',
    '--resolution',
    '',
    '--remote-id',
    '--not-a-flag',
  ]);
  assert.is(p.values['remote-id'], '--not-a-flag');
  assert.is(p.values['status'], '');
  assert.is(intArg(p.values, 'pages', 0), 0);
  assert.is(parseArgs(['flush', '--config=/x.toml']).config, '/x.toml');
});

test('parseArgs refuses unknown subcommands, unknown and repeated options, missing values', () => {
  for (const argv of [
    [],
    ['nope'],
    ['flush', '--job', 'x'],
    ['unanswered', '--job', 'a', '--job', 'b', '--attempt', '1', '--reason', '5'],
    ['unanswered', '--job'],
    ['unanswered', 'stray'],
    ['sent', '--pages'],
  ]) {
    try {
      parseArgs(argv);
      assert.unreachable(JSON.stringify(argv));
    } catch (err) {
      assert.instance(err, FaxError, JSON.stringify(argv));
      assert.is((err as FaxError).code, 'usage');
    }
  }
  assert.throws(() => intArg({ attempt: '1; id' }, 'attempt'));
});

test('a call report with unreadable values still parses: it is stored and shown as unknown', () => {
  const flags = [
    '--job',
    'j',
    '--attempt',
    '1',
    '--status',
    'FAILED',
    '--error',
    '',
    '--pages',
    '99999999999',
    '--rate',
    'x',
    '--resolution',
    '',
    '--remote-id',
    '-x',
  ];
  assert.equal(parseArgs(['sent', ...flags, '--config', '/c.toml']), {
    command: 'sent',
    config: '/c.toml',
    values: {
      job: 'j',
      attempt: '1',
      status: 'FAILED',
      error: '',
      pages: '99999999999',
      rate: 'x',
      resolution: '',
      'remote-id': '-x',
    },
  });
});

test('received: the bin mails the fax the receive context reports as PDF, once', async () => {
  const env = await makeNotifyEnv({ toml: '[inbound]\ndefault = ["bob@example.com"]\n' });
  // What ReceiveFAX writes, under the name the template makes, and the argv of its received line
  // (the real Asterisk of test/asterisk/inbound.test.ts runs the template itself).
  const id = '20250101-120000-1700000000.77';
  copyFileSync(sampleFaxTiff(), join(env.paths.inbound, `${id}.tif`));
  const argv = [
    'received',
    '--config',
    env.configPath,
    '--id',
    id,
    '--did',
    '0312345678',
    '--caller-num',
    '0398765432',
    '--caller-name',
    ' touch pwned ',
    '--remote-id',
    'ACME 1',
    '--status',
    'SUCCESS',
    '--error',
    '',
    '--pages',
    '2',
    '--rate',
    '14400',
    '--resolution',
    '8031x7700',
    '--duration',
    '31',
  ];
  const r = await runNotify(env, argv);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^faxmail-notify: received /);
  const mails = await readMails(env);
  assert.is(mails.length, 1);
  assert.is(mails[0]!.to && !Array.isArray(mails[0]!.to) ? mails[0]!.to.value[0]?.address : '', 'bob@example.com');
  assert.ok(mails[0]!.attachments.some((a) => a.contentType === 'application/pdf'));
  // a second report of the same fax does nothing
  const again = await runNotify(env, argv);
  assert.is(again.code, 0, again.stderr);
  assert.is((await readMails(env)).length, 1);
  assert.not.ok(existsSync('pwned'));
});

test('flush: a receipt queued while mail delivery failed goes out on the next run', async () => {
  const env = await makeNotifyEnv();
  const unblock = blockMailDelivery(env);
  const job = await makeJob(env);
  const args = [
    'sent',
    '--job',
    job.id,
    '--attempt',
    '1',
    '--status',
    'SUCCESS',
    '--error',
    'HANGUP',
    '--pages',
    '2',
    '--rate',
    '9600',
    '--resolution',
    '8031x7700',
    '--remote-id',
    'X',
  ];
  const r1 = await runNotify(env, args);
  assert.is(r1.code, 0, r1.stderr);
  assert.match(r1.stdout, 'receipt queued');
  assert.is((await readMails(env)).length, 0);
  unblock();
  const r2 = await runNotify(env, ['flush']);
  assert.is(r2.code, 0, r2.stderr);
  assert.match(r2.stdout, 'outbox: 1 sent, 0 failed, 0 waiting');
  const mails = await readMails(env);
  assert.is(mails.length, 1);
  assert.is(mails[0]!.headers.get('x-faxmail-job'), job.id);
});

test('every run flushes the outbox first, even one that has nothing else to do', async () => {
  const env = await makeNotifyEnv();
  const unblock = blockMailDelivery(env);
  const job = await makeJob(env);
  const args = ['unanswered', '--job', job.id, '--attempt', '1', '--reason', '5'];
  const faxArgs = [
    'sent',
    '--job',
    job.id,
    '--attempt',
    '1',
    '--status',
    'FAILED',
    '--error',
    'FILEERROR',
    '--pages',
    '',
    '--rate',
    '',
    '--resolution',
    '',
    '--remote-id',
    '',
  ];
  assert.is((await runNotify(env, faxArgs)).code, 0);
  assert.is((await readMails(env)).length, 0);
  unblock();
  const dup = await runNotify(env, args);
  assert.is(dup.code, 0, dup.stderr);
  assert.match(dup.stdout, 'already recorded');
  const mails = await readMails(env);
  assert.is(mails.length, 1, 'the queued failure notice went out');
  assert.match(mails[0]!.text ?? '', 'could not read the prepared fax image');
});

test.run();
