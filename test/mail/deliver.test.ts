/*
 * deliver.test.ts: mails go out through a real SMTP server on loopback (test/helpers/smtp-sink.ts) or
 * into a directory; when the server refuses, drops or never greets, the mail waits in the outbox and a
 * later flush delivers it, byte for byte, then removes it. One flusher at a time.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sendOrQueue, flushOutbox } from '../../lib/mail/deliver.js';
import { listOutbox } from '../../lib/mail/outbox.js';
import { spoolPaths } from '../../lib/spool/jobs.js';
import type { OutgoingMail } from '../../lib/mail/types.js';
import { FaxError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { simpleParser } from 'mailparser';
import type { SmtpSink } from '../helpers/smtp-sink.js';
import { makeTestEnv, smtpSection, useSmtpSink, type TestEnv } from './test-config.js';
import { withDeadline } from '../helpers/wait.js';
import { figure } from '../helpers/figure.js';

const log = silentLogger();
let sink: SmtpSink;
const envs = useSmtpSink(test, (s) => (sink = s));
const env = (extra: string): TestEnv => {
  const e = makeTestEnv(`[notify]\nfrom = "fax@example.org"\n${extra}`);
  envs.push(e);
  return e;
};

function mail(e: TestEnv, over: Partial<OutgoingMail> = {}): OutgoingMail {
  const att = join(e.dir, 'att.pdf');
  if (!existsSync(att)) writeFileSync(att, Buffer.from('%PDF-1.4\n% test attachment\n' + 'x'.repeat(3000)));
  return {
    kind: 'receipt',
    to: ['alice@example.com'],
    subject: 'Your fax to 0312345678 was sent',
    text: 'Sent.\n.\nA line with a single dot above.',
    html: '<p>Sent.</p>',
    attachments: [{ filename: 'fax.pdf', path: att, contentType: 'application/pdf' }],
    jobId: '20240101-120000-0123456789ab',
    ...over,
  };
}

test('smtp: sent at once, with the headers, the envelope and the attachment intact', async () => {
  const e = env(smtpSection(sink.port));
  assert.is(await sendOrQueue(e.config, mail(e), log), 'sent');
  assert.is(sink.messages.length, 1);
  assert.is(sink.messages[0]!.from, 'fax@example.org');
  assert.equal(sink.messages[0]!.to, ['alice@example.com']);
  const p = await sink.parse(0);
  assert.is(p.subject, 'Your fax to 0312345678 was sent');
  assert.is(p.headers.get('auto-submitted'), 'auto-generated');
  assert.is(p.headers.get('x-faxmail-job'), '20240101-120000-0123456789ab');
  assert.match(p.text ?? '', /\n\.\nA line with a single dot/);
  assert.is(p.attachments.length, 1);
  assert.is(p.attachments[0]!.filename, 'fax.pdf');
  assert.ok(p.attachments[0]!.content.equals(readFileSync(join(e.dir, 'att.pdf'))));
  assert.is((await listOutbox(spoolPaths(e.spool))).entries.length, 0);
});

test(
  'notify.copy_to: a blind copy in the envelope only, never in a header; no ' + 'second copy for a recipient',
  async () => {
    const e = env(`copy_to = ["archive@example.org", "ALICE@example.com"]\n${smtpSection(sink.port)}`);
    assert.is(await sendOrQueue(e.config, mail(e), log), 'sent');
    assert.equal(sink.messages[0]!.to, ['alice@example.com', 'archive@example.org']);
    const raw = sink.messages[0]!.raw.toString();
    assert.not.match(raw, 'archive@example.org');
    assert.not.match(raw, /^Bcc:/im);
    const p = await sink.parse(0);
    assert.is((p.to as { text: string }).text, 'alice@example.com');
  },
);

test('smtp down (421): queued with the reason; flush delivers the same message and empties the outbox', async () => {
  const e = env(smtpSection(sink.port));
  sink.setMode('refuse');
  assert.is(await sendOrQueue(e.config, mail(e), log), 'queued');
  const { entries } = await listOutbox(spoolPaths(e.spool));
  assert.is(entries.length, 1);
  assert.is(entries[0]!.attempts, 1);
  assert.match(entries[0]!.lastError, /421/);
  assert.equal(entries[0]!.envelope, { from: 'fax@example.org', to: ['alice@example.com'] });
  const stored = readFileSync(join(e.spool, 'outbox', `${entries[0]!.id}.eml`));
  // still down: the entry stays, attempts counted
  assert.equal(await flushOutbox(e.config, log), { sent: 0, failed: 1, remaining: 1 });
  assert.is((await listOutbox(spoolPaths(e.spool))).entries[0]!.attempts, 2);
  sink.setMode('accept');
  assert.equal(await flushOutbox(e.config, log), { sent: 1, failed: 0, remaining: 0 });
  assert.is(sink.messages.length, 1);
  assert.ok(sink.messages[0]!.raw.toString().includes((await simpleParser(stored)).messageId!));
  assert.is((await sink.parse(0)).attachments.length, 1);
  assert.equal(readdirSync(join(e.spool, 'outbox')), []);
});

test('smtp: a dropped connection and a server that never greets are bounded by smtp_timeout', async () => {
  const e = env(smtpSection(sink.port, 1));
  sink.setMode('close');
  assert.is(await sendOrQueue(e.config, mail(e), log), 'queued');
  sink.setMode('hang');
  const t0 = Date.now();
  // smtp_timeout is 1 s: a send that never ends would be the bug, so it gets a deadline, not a stopwatch
  assert.is(await withDeadline(sendOrQueue(e.config, mail(e), log), 30_000, 'a send to a silent server'), 'queued');
  figure('smtp_timeout 1 s: a silent server given up after', Date.now() - t0);
  const { entries } = await listOutbox(spoolPaths(e.spool));
  assert.is(entries.length, 2);
  assert.match(entries[1]!.lastError, /timeout|ETIMEDOUT|Greeting/i);
});

test('flush stops at the first server-wide failure instead of waiting out every entry', async () => {
  const e = env(smtpSection(sink.port));
  sink.setMode('refuse');
  for (let i = 0; i < 3; i++) await sendOrQueue(e.config, mail(e, { subject: `n${i}` }), log);
  const before = sink.connections;
  assert.equal(await flushOutbox(e.config, log), { sent: 0, failed: 1, remaining: 3 });
  assert.is(sink.connections - before, 1);
  sink.setMode('accept');
  assert.equal(await flushOutbox(e.config, log), { sent: 3, failed: 0, remaining: 0 });
  // oldest first
  const subjects = await Promise.all([0, 1, 2].map(async (i) => (await sink.parse(i)).subject));
  assert.equal(subjects, ['n0', 'n1', 'n2']);
});

test('a recipient the server refuses (550) stays in the outbox; the others still go', async () => {
  const e = env(smtpSection(sink.port));
  sink.rejectRecipients.add('bob@example.com');
  assert.is(await sendOrQueue(e.config, mail(e, { to: ['bob@example.com'] }), log), 'queued');
  sink.setMode('refuse');
  await sendOrQueue(e.config, mail(e, { to: ['carol@example.com'] }), log);
  sink.setMode('accept');
  assert.equal(await flushOutbox(e.config, log), { sent: 1, failed: 1, remaining: 1 });
  const { entries } = await listOutbox(spoolPaths(e.spool));
  assert.equal(entries[0]!.envelope.to, ['bob@example.com']);
  assert.match(entries[0]!.lastError, /550/);
  assert.equal(
    sink.messages.map((m) => m.to),
    [['carol@example.com']],
  );
});

test('two flushers at once deliver each message exactly once', async () => {
  const e = env(smtpSection(sink.port));
  sink.setMode('refuse');
  for (let i = 0; i < 4; i++) await sendOrQueue(e.config, mail(e, { subject: `p${i}` }), log);
  sink.setMode('accept');
  const [a, b] = await Promise.all([flushOutbox(e.config, log), flushOutbox(e.config, log)]);
  assert.is(a.sent + b.sent, 4);
  assert.is(sink.messages.length, 4);
  assert.equal((await listOutbox(spoolPaths(e.spool))).entries, []);
});

test('directory transport: one whole .eml per mail, no scratch files', async () => {
  const e = env(`[mail]\ntransport = "directory"\ndirectory = "${makeTestEnv().dir}/maildir"\n`);
  assert.is(await sendOrQueue(e.config, mail(e), log), 'sent');
  const dir = e.config.mail.directory;
  const files = readdirSync(dir);
  assert.is(files.length, 1);
  assert.match(files[0]!, /^\d{8}T\d{6}Z-[0-9a-f]{12}\.eml$/);
  const p = await simpleParser(readFileSync(join(dir, files[0]!)));
  assert.is(p.subject, 'Your fax to 0312345678 was sent');
  assert.is(p.attachments.length, 1);
});

test('header injection through the subject or extra headers is impossible', async () => {
  const e = env(smtpSection(sink.port));
  await sendOrQueue(
    e.config,
    mail(e, {
      subject: 'Hi\r\nBcc: evil@example.net\r\n\r\nbody',
      headers: { 'X-Note': 'a\nTo: evil@example.net', Bcc: 'evil@example.net' },
    }),
    log,
  );
  const m = sink.messages[0]!;
  assert.equal(m.to, ['alice@example.com']);
  const head = m.raw.toString('latin1').split('\r\n\r\n')[0]!;
  assert.not.match(head, /^Bcc:/im);
  assert.is((head.match(/^To:/gim) ?? []).length, 1);
  const p = await sink.parse(0);
  assert.is(p.subject, 'Hi Bcc: evil@example.net body');
  assert.is(p.headers.get('x-note'), 'a To: evil@example.net');
});

test(
  'addresses that are not plain mailboxes are dropped (root@localhost is one); ' + 'none left is a config error',
  async () => {
    const e = env(smtpSection(sink.port));
    assert.is(
      await sendOrQueue(
        e.config,
        mail(e, { to: ['-oQ/tmp/x@example.com', 'a b@example.com', 'ok@example.com', 'root@localhost'] }),
        log,
      ),
      'sent',
    );
    assert.equal(sink.messages[0]!.to, ['ok@example.com', 'root@localhost']);
    try {
      await sendOrQueue(e.config, mail(e, { to: ['-f@example.com', 'x@-y.example'] }), log);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, FaxError);
      assert.is((err as FaxError).code, 'config');
    }
  },
);

test('sendmail transport: a missing or failing binary queues the mail with its reason', async () => {
  // makeTestEnv appends to the [paths] section: these lines set paths.sendmail
  const e1 = makeTestEnv(
    `sendmail = "/nonexistent/sendmail"\n[notify]\nfrom = "fax@example.org"\n[mail]\ntransport = "sendmail"\n`,
  );
  const e2 = makeTestEnv(
    `sendmail = "/bin/false"\n[notify]\nfrom = "fax@example.org"\n[mail]\ntransport = "sendmail"\n`,
  );
  envs.push(e1, e2);
  assert.is(await sendOrQueue(e1.config, mail(e1), log), 'queued');
  assert.match((await listOutbox(spoolPaths(e1.spool))).entries[0]!.lastError, /not found at \/nonexistent\/sendmail/);
  assert.is(await sendOrQueue(e2.config, mail(e2), log), 'queued');
  assert.match((await listOutbox(spoolPaths(e2.spool))).entries[0]!.lastError, /\/bin\/false exit 1/);
});

test('an outbox that cannot be written is a temporary error', async () => {
  const e = env(smtpSection(sink.port));
  writeFileSync(join(e.spool, 'outbox'), 'not a directory');
  sink.setMode('refuse');
  try {
    await sendOrQueue(e.config, mail(e), log);
    assert.unreachable();
  } catch (err) {
    assert.is((err as FaxError).code, 'temporary');
  }
});

test.run();
