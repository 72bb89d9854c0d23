/*
 * outbound.test.ts: faxmail-notify's outbound side end to end: a spool with real jobs (job.json + a
 * Ghostscript fax.tif), the receipts written as .eml by the directory transport (parsed with mailparser),
 * call files dropped in a temp outgoing dir. Several tests run the BUILT bin with the argv the dialplan
 * template gives it (env.ts sentArgs; the real Asterisk of test/asterisk/ runs the template itself).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportSent, reportUnanswered, resolutionToDpi, type SentReport } from '../../lib/notify/outbound.js';
import { errorKey } from '../../lib/fax-result/classify.js';
import { runDispatcher } from '../../lib/queue/apply.js';
import { unlinkSync } from 'node:fs';
import {
  blockMailDelivery,
  callFiles,
  makeJob,
  makeNotifyEnv,
  readJobSync,
  readMails,
  runNotify,
  sentArgs,
  unansweredArgs,
  type NotifyEnv,
} from './env.js';
import type { Job } from '../../lib/spool/types.js';
import { waitUntil } from '../helpers/wait.js';

const sent = (
  job: Job,
  attempt: number,
  status: string,
  error: string,
  extra: Partial<SentReport> = {},
): SentReport => ({
  job: job.id,
  attempt,
  status,
  error: errorKey(error),
  pages: status === 'SUCCESS' ? job.pages : 0,
  rate: 14400,
  resolution: '8031x7700',
  remoteId: '+81 3 9999 0000',
  ...extra,
});

/** argv (without the program) of the dialplan's `sent` report for this job. */
function dialplanSentArgs(env: NotifyEnv, job: Job, attempt: number, faxopt: Record<string, string>): string[] {
  return sentArgs(env, job, attempt, faxopt);
}

function near(actual: Date, expected: number, what: string, slackMs = 5000): void {
  assert.ok(
    Math.abs(actual.getTime() - expected) < slackMs,
    `${what}: ${actual.toISOString()} vs ${new Date(expected).toISOString()}`,
  );
}

test('resolution in pixels per metre becomes dpi', () => {
  assert.is(resolutionToDpi('8031x7700'), '204x196');
  assert.is(resolutionToDpi('8031x3850'), '204x98');
  assert.is(resolutionToDpi('8031x15400'), '204x391');
  assert.is(resolutionToDpi('204x196'), '204x196');
  assert.is(resolutionToDpi(''), '');
  assert.is(resolutionToDpi('1;2'), '');
});

test(
  'success through the real bin: attempt recorded, receipt with the fax as ' + 'PDF, pages, rate, station id',
  async () => {
    const env = await makeNotifyEnv();
    const job = await makeJob(env);
    const args = dialplanSentArgs(env, job, 1, {
      status: 'SUCCESS',
      error: 'HANGUP',
      pages: '2',
      rate: '14400',
      resolution: '8031x7700',
      remotestationid: '+81 3 9999 0000',
    });
    const r = await runNotify(env, args);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /sent; receipt sent/);
    const after = readJobSync(env, job.id);
    assert.is(after.state, 'sent');
    assert.is(after.attempts.length, 1);
    const a = after.attempts[0]!;
    assert.equal(
      [a.n, a.status, a.class, a.pages, a.rate, a.resolution, a.remoteStationId],
      [1, 'SUCCESS', '', 2, 14400, '204x196', '+81 3 9999 0000'],
    );
    assert.ok(after.notifiedAt);
    assert.is(callFiles(env).length, 0, 'nothing more to dial');
    const mails = await readMails(env);
    assert.is(mails.length, 1);
    const m = mails[0]!;
    assert.is(m.to && !Array.isArray(m.to) ? m.to.value[0]?.address : '', 'alice@example.com');
    assert.match(m.subject ?? '', 'Fax sent to 0312345678');
    assert.match(m.subject ?? '', 'Invoice 42');
    assert.match(m.text ?? '', /Pages sent:\s+2 of 2/);
    assert.match(m.text ?? '', '14400 bit/s');
    assert.match(m.text ?? '', '204x196 dpi');
    assert.match(m.text ?? '', '+81 3 9999 0000');
    assert.match(String(m.html), '+81 3 9999 0000');
    assert.is(m.headers.get('auto-submitted'), 'auto-generated');
    assert.is(m.headers.get('x-faxmail-job'), job.id);
    const pdfs = m.attachments.filter((x) => x.contentType === 'application/pdf');
    assert.is(pdfs.length, 1);
    assert.is(pdfs[0]!.content.subarray(0, 5).toString(), '%PDF-');
    const pdfPath = join(env.root, 'receipt.pdf');
    writeFileSync(pdfPath, pdfs[0]!.content);
    assert.match(execFileSync('pdfinfo', [pdfPath]).toString(), /Pages:\s+2/);
  },
);

const RETRYING: [string, (env: NotifyEnv, job: Job) => Promise<unknown>, string][] = [
  [
    'line_error',
    (env, job) =>
      reportSent(env.config, sent(job, 1, 'FAILED', 'Failed to train with any of the compatible modems'), env.log),
    'line_error',
  ],
  [
    'dropped',
    (env, job) => reportSent(env.config, sent(job, 1, 'FAILED', 'The call dropped prematurely', { pages: 1 }), env.log),
    'dropped',
  ],
  [
    'unknown (INIT_ERROR)',
    (env, job) => reportSent(env.config, sent(job, 1, 'FAILED', 'INIT_ERROR'), env.log),
    'unknown',
  ],
  ['busy', (env, job) => reportUnanswered(env.config, { job: job.id, attempt: 1, reason: 5 }, env.log), 'busy'],
  [
    'no_answer',
    (env, job) => reportUnanswered(env.config, { job: job.id, attempt: 1, reason: 3 }, env.log),
    'no_answer',
  ],
  [
    'congestion',
    (env, job) => reportUnanswered(env.config, { job: job.id, attempt: 1, reason: 8 }, env.log),
    'congestion',
  ],
];

test(
  "each retryable outcome: queued again with its rule's time, no mail; at that time the dispatcher drops " +
    'attempt 2 (MaxRetries 0)',
  async () => {
    // Channels for all: the calls of earlier rounds stay `dialling` here (no report comes for them).
    const env = await makeNotifyEnv({ toml: '[queue]\nmax_calls = 10\n' });
    let i = 0;
    for (const [what, report, cls] of RETRYING) {
      // A number each: on one number, jobs would (correctly) wait for each other.
      const job = await makeJob(env, { number: `031234560${i++}` });
      const before = Date.now();
      await report(env, job);
      const after = readJobSync(env, job.id);
      assert.is(after.attempts.length, 1, what);
      assert.is(after.attempts[0]!.class, cls, what);
      assert.is(after.state, 'queued', what);
      const delay = env.config.retry[cls as 'busy'].after * 1000;
      near(new Date(after.nextAttemptAt!), before + delay, `${what} nextAttemptAt`);
      assert.not.ok(
        callFiles(env).some((c) => c.vars['FAXMAIL_JOB'] === job.id),
        `${what}: no call file before its time`,
      );
      // Not due yet: the dispatcher leaves it; at its time it goes.
      const early = await runDispatcher(env.config, env.log, { channels: 'never' });
      assert.not.ok(
        early.started.some((c) => c.job === job.id),
        `${what}: not started early`,
      );
      const due = new Date(Date.parse(after.nextAttemptAt!));
      const run = await runDispatcher(env.config, env.log, { channels: 'never', now: due });
      assert.equal(
        run.started.filter((c) => c.job === job.id),
        [{ job: job.id, attempt: 2, callFile: `faxmail-${job.id}-2.call` }],
        what,
      );
      const call = callFiles(env).find((c) => c.vars['FAXMAIL_JOB'] === job.id);
      assert.ok(call, `${what}: call file dropped`);
      assert.is(call!.vars['FAXMAIL_ATTEMPT'], '2');
      assert.is(call!.entries['MaxRetries'], '0');
      assert.is(call!.entries['Account'], job.id);
      assert.is(call!.entries['Channel'], `PJSIP/${job.number}@trunk`);
      assert.is(call!.vars['FAXFILE'], join(env.paths.jobs, job.id, 'fax.tif'));
      assert.is(call!.vars['FAXMAIL_CONFIG'], env.configPath);
      const dialling = readJobSync(env, job.id);
      assert.is(dialling.state, 'dialling', what);
      assert.is(dialling.attempt, 2, what);
      assert.is(dialling.callFile, call!.name);
      // Asterisk ends the call: its file goes (the next job's number frees up).
      unlinkSync(join(env.outgoing, call!.name));
    }
    assert.is((await readMails(env)).length, 0, 'no receipt while retrying');
  },
);

test('T38_NEG_ERROR: a line error; the retry and every later attempt go as audio only (FAXMAIL_T38=no)', async () => {
  const env = await makeNotifyEnv();
  const job = await makeJob(env, { number: '0312345690' });
  // Through the real bin, as the template's hangup handler reports it (FAXMODE is "audio" then).
  const r = await runNotify(
    env,
    dialplanSentArgs(env, job, 1, { status: 'FAILED', error: 'T38_NEG_ERROR', pages: '0', mode: 'audio' }),
  );
  assert.is(r.code, 0, r.stderr);
  const after = readJobSync(env, job.id);
  assert.is(after.attempts[0]!.class, 'line_error');
  assert.is(after.attempts[0]!.error, 'T38_NEG_ERROR');
  assert.is(after.attempts[0]!.mode, 'audio');
  // The retry is queued with its time; the dispatcher starts it then (run here with a clock past it).
  const later = (days: number): Date => new Date(Date.now() + days * 86_400_000);
  await runDispatcher(env.config, env.log, { channels: 'never', now: later(1) });
  const call2 = callFiles(env).find((c) => c.vars['FAXMAIL_JOB'] === job.id && c.vars['FAXMAIL_ATTEMPT'] === '2');
  assert.ok(call2, 'attempt 2 dropped');
  assert.is(call2!.vars['FAXMAIL_T38'], 'no');
  // Attempt 2 fails otherwise: attempt 3 still goes without T.38.
  await reportSent(
    env.config,
    sent(after, 2, 'FAILED', 'Failed to train with any of the compatible modems', { mode: 'audio' }),
    env.log,
    later(1),
  );
  unlinkSync(join(env.outgoing, call2!.name));
  await runDispatcher(env.config, env.log, { channels: 'never', now: later(2) });
  const call3 = callFiles(env).find((c) => c.vars['FAXMAIL_JOB'] === job.id && c.vars['FAXMAIL_ATTEMPT'] === '3');
  assert.ok(call3, 'attempt 3 dropped');
  assert.is(call3!.vars['FAXMAIL_T38'], 'no');
  // Any other failure leaves T.38 alone: no FAXMAIL_T38 line at all.
  const other = await makeJob(env, { number: '0312345691' });
  await reportSent(
    env.config,
    sent(other, 1, 'FAILED', 'Failed to train with any of the compatible modems', { mode: 'T38' }),
    env.log,
  );
  await runDispatcher(env.config, env.log, { channels: 'never', now: later(3) });
  const plain = callFiles(env).find((c) => c.vars['FAXMAIL_JOB'] === other.id && c.vars['FAXMAIL_ATTEMPT'] === '2');
  assert.ok(plain);
  assert.is(plain!.vars['FAXMAIL_T38'], undefined);
  assert.is(readJobSync(env, other.id).attempts[0]!.mode, 'T38');
});

test('FAXMODE: T38 and audio are recorded, anything else (empty, hostile) is not', async () => {
  const env = await makeNotifyEnv();
  const cases: [string, string | undefined][] = [
    ['T38', 'T38'],
    ['audio', 'audio'],
    ['', undefined],
    ['t38x', undefined],
    ['AUDIOT38', undefined],
  ];
  let i = 0;
  for (const [mode, expected] of cases) {
    const job = await makeJob(env, { number: `03123457${String(i++).padStart(2, '0')}` });
    const r = await runNotify(
      env,
      dialplanSentArgs(env, job, 1, {
        status: 'SUCCESS',
        error: 'OK',
        pages: String(job.pages),
        rate: '14400',
        resolution: '8031x7700',
        mode,
      }),
    );
    assert.is(r.code, 0, r.stderr);
    assert.is(readJobSync(env, job.id).attempts[0]!.mode, expected, mode);
  }
});

test('never-retry classes fail at once with a plain-language failure notice', async () => {
  const env = await makeNotifyEnv();
  const a = await makeJob(env);
  const b = await makeJob(env);
  const ra = await reportSent(env.config, sent(a, 1, 'FAILED', 'Far end cannot receive at the size of image'), env.log);
  const rb = await reportSent(env.config, sent(b, 1, 'FAILED', 'TIFF/F file cannot be opened'), env.log);
  assert.is(ra.action, 'failed');
  assert.is(rb.action, 'failed');
  assert.is(readJobSync(env, a.id).state, 'failed');
  assert.is(callFiles(env).length, 0);
  const mails = await readMails(env);
  assert.is(mails.length, 2);
  const byJob = (id: string) => mails.find((m) => m.headers.get('x-faxmail-job') === id)!;
  assert.match(byJob(a.id).subject ?? '', 'could not be sent');
  assert.match(byJob(a.id).text ?? '', 'cannot receive pages of this size');
  assert.match(byJob(a.id).text ?? '', 'Far end cannot receive at the size of image');
  assert.match(byJob(b.id).text ?? '', 'could not read the prepared fax image');
  assert.is(byJob(a.id).attachments.length, 0);
});

test('final failure after max attempts: explanation and attempt history (en), via the real bin', async () => {
  const env = await makeNotifyEnv({ retry: 'line_error = { after = 60, max_attempts = 2 }' });
  const job = await makeJob(env);
  const faxopt = {
    status: 'FAILED',
    error: 'Failed to train with any of the compatible modems',
    pages: '0',
    rate: '',
    resolution: '',
    remotestationid: 'REMOTE 1',
  };
  const r1 = await runNotify(env, dialplanSentArgs(env, job, 1, faxopt));
  assert.is(r1.code, 0, r1.stderr);
  assert.match(r1.stdout, 'queued for a retry from');
  assert.is(callFiles(env).length, 0, 'the retry waits for its time (60 s) in the queue');
  const r2 = await runNotify(env, dialplanSentArgs(env, job, 2, faxopt));
  assert.is(r2.code, 0, r2.stderr);
  assert.match(r2.stdout, 'given up');
  assert.is(callFiles(env).length, 0, 'no attempt 3');
  const after = readJobSync(env, job.id);
  assert.is(after.state, 'failed');
  assert.equal(
    after.attempts.map((a) => a.n),
    [1, 2],
  );
  assert.is(after.attempts[1]!.error, 'Failed to train with any of the compatible modems', 'full spandsp text stored');
  const [m] = await readMails(env);
  assert.ok(m);
  assert.match(m!.text ?? '', 'could not agree on a transmission speed');
  assert.match(m!.text ?? '', /What you can do:/);
  assert.match(m!.text ?? '', /1\. .*Transmission error/);
  assert.match(m!.text ?? '', /2\. .*Transmission error/);
  assert.match(String(m!.html), '<td>Transmission error</td>');
});

test('final failure notice in Japanese (notify.locale = "ja")', async () => {
  const env = await makeNotifyEnv({ notify: 'locale = "ja"', retry: 'busy = { after = 60, max_attempts = 2 }' });
  const job = await makeJob(env);
  await reportUnanswered(env.config, { job: job.id, attempt: 1, reason: 5 }, env.log);
  const r = await reportUnanswered(env.config, { job: job.id, attempt: 2, reason: 5 }, env.log);
  assert.is(r.action, 'failed');
  const [m] = await readMails(env);
  assert.ok(m);
  assert.match(m!.subject ?? '', 'ファクス送信失敗');
  assert.match(m!.text ?? '', '相手の番号が話し中でした。');
  assert.match(m!.text ?? '', '送信履歴');
  assert.match(m!.text ?? '', /1\. .*話し中/);
  assert.match(m!.text ?? '', /2\. .*話し中/);
  assert.match(String(m!.html), '<td>話し中</td>');
});

test('success receipt in Japanese', async () => {
  const env = await makeNotifyEnv({ notify: 'locale = "ja"' });
  const job = await makeJob(env);
  await reportSent(env.config, sent(job, 1, 'SUCCESS', 'HANGUP', { duration: 84 }), env.log);
  const [m] = await readMails(env);
  assert.match(m!.subject ?? '', 'ファクス送信完了');
  assert.match(m!.text ?? '', /送信ページ数:\s+2 \/ 2/);
  assert.match(m!.text ?? '', '1分24秒');
  assert.is(m!.attachments.length, 1);
});

test('unanswered busy and no answer, as the dialplan `failed` extension reports them', async () => {
  const env = await makeNotifyEnv();
  for (const [reason, cls] of [
    ['5', 'busy'],
    ['3', 'no_answer'],
  ] as const) {
    const job = await makeJob(env, { number: `0312345${reason}00` });
    const argv = unansweredArgs(env, job, 1, reason);
    const r = await runNotify(env, argv);
    assert.is(r.code, 0, r.stderr);
    const after = readJobSync(env, job.id);
    assert.is(after.attempts[0]!.status, 'UNANSWERED');
    assert.is(after.attempts[0]!.class, cls);
    assert.is(after.attempts[0]!.reason, Number(reason));
    assert.is(after.state, 'queued', 'retried by its rule');
    assert.ok(Date.parse(after.nextAttemptAt!) > Date.now() + 60_000);
  }
});

test('a duplicate report (hangup handler and h extension) acts once; a final job ignores reports', async () => {
  const env = await makeNotifyEnv();
  const job = await makeJob(env);
  const r1 = await reportUnanswered(env.config, { job: job.id, attempt: 1, reason: 5 }, env.log);
  const r2 = await reportUnanswered(env.config, { job: job.id, attempt: 1, reason: 5 }, env.log);
  assert.is(r1.action, 'retry');
  assert.is(r2.action, 'duplicate');
  assert.is(readJobSync(env, job.id).attempts.length, 1);
  assert.is(readJobSync(env, job.id).state, 'queued');
  // attempt 2 succeeds; then any further report is a no-op with exit 0
  await reportSent(env.config, sent(job, 2, 'SUCCESS', 'HANGUP'), env.log);
  const again = await runNotify(env, dialplanSentArgs(env, job, 2, { status: 'SUCCESS', error: 'HANGUP', pages: '2' }));
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, 'already recorded');
  const late = await runNotify(env, ['unanswered', '--job', job.id, '--attempt', '3', '--reason', '5']);
  assert.is(late.code, 0);
  assert.match(late.stdout, 'already recorded');
  const after = readJobSync(env, job.id);
  assert.is(after.state, 'sent');
  assert.is(after.attempts.length, 2);
  assert.is((await readMails(env)).length, 1, 'one receipt');
});

test('10 parallel runs of the bin for the same attempt: one attempt, one receipt, valid JSON', async () => {
  const env = await makeNotifyEnv();
  const job = await makeJob(env);
  const args = dialplanSentArgs(env, job, 1, {
    status: 'SUCCESS',
    error: 'HANGUP',
    pages: '2',
    rate: '9600',
    resolution: '8031x7700',
    remotestationid: 'PARALLEL',
  });
  const results = await Promise.all(Array.from({ length: 10 }, () => runNotify(env, args)));
  for (const r of results) assert.is(r.code, 0, r.stderr);
  assert.is(results.filter((r) => /receipt sent/.test(r.stdout)).length, 1);
  assert.is(results.filter((r) => /already recorded/.test(r.stdout)).length, 9);
  const text = readFileSync(join(env.paths.jobs, job.id, 'job.json'), 'utf8');
  const after = JSON.parse(text) as Job;
  assert.is(after.attempts.length, 1);
  assert.is(after.state, 'sent');
  assert.is((await readMails(env)).length, 1);
  assert.equal(
    readdirSync(join(env.paths.jobs, job.id)).filter((f) => f.endsWith('.tmp')),
    [],
    'no scratch files left',
  );
});

test('one call per number: the second job waits; when the first call has ended, the follower starts it', async () => {
  // The busy retry comes 120 s later: the follower starts the job that waited long before (however slow
  // the machine); the retry's time is then given to the dispatcher, not waited for.
  const env = await makeNotifyEnv({ retry: 'busy = { after = 120, max_attempts = 3 }' });
  const first = await makeJob(env, { state: 'queued', attempt: undefined, callFile: undefined });
  const second = await makeJob(env, { state: 'queued', attempt: undefined, callFile: undefined });
  await runDispatcher(env.config, env.log, { channels: 'never' });
  assert.equal(
    callFiles(env).map((c) => c.name),
    [`faxmail-${first.id}-1.call`],
  );
  assert.is(readJobSync(env, second.id).state, 'queued', 'the number is busy');

  // The first job gets a busy signal. faxmail-notify runs inside that call: its call file is still in
  // outgoing, so the number is still held, and nothing new starts yet.
  const r1 = await runNotify(env, unansweredArgs(env, first, 1, '5'));
  assert.is(r1.code, 0, r1.stderr);
  assert.match(r1.stdout, /failed \(busy\); queued for a retry from /);
  assert.is(readJobSync(env, first.id).state, 'queued', 'the retry waits for its time');
  assert.is(readJobSync(env, second.id).state, 'queued', 'no second call to a number while the first is on');
  // Asterisk ends the call and removes its file: the follower starts the job that waited (the retry is
  // not due yet).
  unlinkSync(join(env.outgoing, `faxmail-${first.id}-1.call`));
  // dialling on disk first, then the call file renamed in (lib/queue/apply.ts): wait for both.
  // the follower works in the background: wait for it
  await waitUntil(
    () =>
      readJobSync(env, second.id).state === 'dialling' && existsSync(join(env.outgoing, `faxmail-${second.id}-1.call`)),
    40_000,
    'the second job to dial',
    100,
  );
  assert.equal(
    callFiles(env).map((c) => c.name),
    [`faxmail-${second.id}-1.call`],
  );

  // The second job is sent and its call ends. The first job's retry is not due yet: the timer's `faxmail run`
  // starts nothing; at the retry's time it starts it, as attempt 2 (the dispatcher is told the time).
  const r2 = await runNotify(env, dialplanSentArgs(env, second, 1, { status: 'SUCCESS', error: 'HANGUP', pages: '2' }));
  assert.is(r2.code, 0, r2.stderr);
  unlinkSync(join(env.outgoing, `faxmail-${second.id}-1.call`));
  const early = await runDispatcher(env.config, env.log, { channels: 'never' });
  assert.equal(early.started, [], 'not before its retry time');
  const waiting = readJobSync(env, first.id);
  assert.is(waiting.state, 'queued');
  assert.is(Date.parse(waiting.nextAttemptAt!), Date.parse(waiting.attempts[0]!.at) + 120_000, 'busy: after 120 s');
  const due = await runDispatcher(env.config, env.log, { channels: 'never', now: new Date(waiting.nextAttemptAt!) });
  assert.equal(
    due.started.map((s) => s.job),
    [first.id],
  );
  const retried = readJobSync(env, first.id);
  assert.is(retried.state, 'dialling');
  assert.is(retried.attempt, 2);
  assert.ok(
    Date.parse(retried.dialledAt!) >= Date.parse(retried.attempts[0]!.at) + 120_000,
    'not before its retry time',
  );
  assert.equal(
    callFiles(env).map((c) => c.name),
    [`faxmail-${first.id}-2.call`],
  );
});

test('a cancelled or held job is passed over when the number frees up; the next queued one goes', async () => {
  const env = await makeNotifyEnv();
  const first = await makeJob(env);
  const second = await makeJob(env, { state: 'cancelled' });
  const third = await makeJob(env, { state: 'held', attempt: undefined, callFile: undefined });
  const fourth = await makeJob(env, { state: 'queued', attempt: undefined, callFile: undefined });
  await reportSent(env.config, sent(first, 1, 'SUCCESS', 'HANGUP'), env.log);
  const r = await runDispatcher(env.config, env.log, { channels: 'never' });
  assert.equal(
    r.started.map((s) => s.job),
    [fourth.id],
  );
  assert.equal(
    callFiles(env).map((c) => c.name),
    [`faxmail-${fourth.id}-1.call`],
  );
  assert.is(readJobSync(env, second.id).state, 'cancelled');
  assert.is(readJobSync(env, third.id).state, 'held');
});

test('hostile remote station ids end up as inert text in the job and the receipt', async () => {
  const env = await makeNotifyEnv();
  const hostile = ['"; touch pwned #', '$(touch pwned)', '`touch pwned`', "a'b,c\nd", '<script>alert(1)</script>'];
  for (const value of hostile) {
    const job = await makeJob(env);
    // Through the dialplan's FILTER and the real bin ...
    const args = dialplanSentArgs(env, job, 1, {
      status: 'SUCCESS',
      error: 'HANGUP',
      pages: '2',
      remotestationid: value,
    });
    const r = await runNotify(env, args);
    assert.is(r.code, 0, r.stderr);
    const stored = readJobSync(env, job.id).attempts[0]!.remoteStationId;
    assert.match(stored, /^[-0-9A-Za-z +._]*$/, `stored ${JSON.stringify(stored)}`);
  }
  // ... and straight into the library, unfiltered: control characters are one space (cleanLine), the rest
  // is escaped in HTML.
  const job = await makeJob(env);
  await reportSent(env.config, sent(job, 1, 'SUCCESS', 'HANGUP', { remoteId: '<b>x</b>\n\u0007"$(id)"' }), env.log);
  const stored = readJobSync(env, job.id).attempts[0]!.remoteStationId;
  assert.is(stored, '<b>x</b> "$(id)"');
  const m = (await readMails(env)).find((x) => x.headers.get('x-faxmail-job') === job.id)!;
  assert.match(String(m.html), '&lt;b&gt;x&lt;/b&gt; &quot;$(id)&quot;');
  assert.not.match(String(m.html), '<b>x</b>');
  assert.not.ok(existsSync(join(env.root, 'pwned')) || existsSync('pwned'), 'no command ran');
});

test('exit codes: a report is stored whatever it says (0); bad subcommand 64, broken config 78', async () => {
  const env = await makeNotifyEnv();
  // A report for a job not in the spool is stored and filed; nothing to do, nothing lost.
  const unknown = await runNotify(env, [
    'unanswered',
    '--job',
    '20250101-000000-0123456789ab',
    '--attempt',
    '1',
    '--reason',
    '5',
  ]);
  assert.is(unknown.code, 0, unknown.stderr);
  assert.match(unknown.stdout, 'no such job');
  // A job id that is not one, and a hostile one: stored as unmatched (status lists it), never applied.
  const usage = await runNotify(env, [
    'sent',
    '--job',
    'x',
    '--attempt',
    '',
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
    '',
  ]);
  assert.is(usage.code, 0, usage.stderr);
  assert.match(usage.stdout, 'cannot be read');
  // A flag missing altogether is a broken dialplan line, not a far end's value: 64, and Asterisk logs it.
  assert.is((await runNotify(env, ['sent', '--job', 'x'])).code, 64);
  const badId = await runNotify(env, ['unanswered', '--job', '../../etc', '--attempt', '1', '--reason', '5']);
  assert.is(badId.code, 0);
  assert.equal(readdirSync(join(env.paths.root, 'reports')).filter((n) => n.startsWith('unmatched-')).length, 2);
  const nope = await runNotify(env, ['frobnicate']);
  assert.is(nope.code, 64);
  const config = await runNotify(env, ['flush', '--config', join(env.root, 'missing.toml')]);
  assert.is(config.code, 78);
  const flush = await runNotify(env, ['flush']);
  assert.is(flush.code, 0, flush.stderr);
  assert.match(flush.stdout, 'outbox: 0 sent');
});

test('a receipt that cannot be delivered waits in the outbox and the run still exits 0', async () => {
  const env = await makeNotifyEnv({ toml: '' });
  blockMailDelivery(env);
  const job = await makeJob(env);
  const r = await runNotify(env, dialplanSentArgs(env, job, 1, { status: 'SUCCESS', error: 'HANGUP', pages: '2' }));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'receipt queued');
  assert.ok(readdirSync(env.paths.outbox).some((f) => f.endsWith('.eml')));
});

test.run();
