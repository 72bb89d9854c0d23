/*
 * sasl.test.ts: authenticated senders end to end, through a REAL private Postfix (the shipped snippets,
 * test/helpers/postfix-instance.ts) whose SMTP AUTH is a REAL private Dovecot (test/helpers/dovecot-instance.ts),
 * both on free loopback ports, started and stopped here. Postfix passes ${client_address} and
 * ${sasl_username} to sendfax with the shipped master.cf line; faxmail has senders.require_auth = true.
 * "From outside": the test client uses XCLIENT (allowed for 127.0.0.0/8 in this instance only) to appear
 * to Postfix as 203.0.113.7, so mail arrives as it would from another network.
 * Proved: from outside without a login: bounced 5.7.1 "need your login"; logged in as alice with From
 * alice: a call file; logged in as alice with From bob: bounced "logged in as alice, which may not send
 * faxes as bob@example.org"; a wrong password: refused by SMTP AUTH (535, Dovecot checked it); mail
 * submitted on this host with sendmail, no login: a call file; the login and client sendfax saw are in its log.
 * Needs root. If Postfix or Dovecot cannot start, the start test FAILS with the reason: never a silent skip.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPostfixInstance, type PostfixInstance, type MailboxMessage } from '../helpers/postfix-instance.js';
import { startDovecotAuth, type DovecotAuth } from '../helpers/dovecot-instance.js';
import { smtpDialog } from '../helpers/smtp-dialog.js';
import { composeMail } from '../helpers/mail-fixtures.js';
import { bytesOf, makePdf } from '../helpers/documents.js';
import { parseCallFile } from '../../lib/asterisk/callfile.js';
import { waitUntil } from '../helpers/wait.js';

const started = Date.now();
let pf: PostfixInstance | undefined;
let dovecot: DovecotAuth | undefined;
let startError: unknown;

function need(): PostfixInstance {
  if (!pf)
    throw new Error(
      `no private Postfix/Dovecot: ${startError instanceof Error ? startError.message : String(startError)}`,
    );
  return pf;
}

const faxAddress = (number: string): string => `fax+${number}@${need().faxDomain}`;
const OUTSIDE = '203.0.113.7';

function callFileFor(number: string): string | undefined {
  const dir = need().fax.outgoing;
  return readdirSync(dir)
    .filter((n) => n.endsWith('.call'))
    .find((n) =>
      parseCallFile(readFileSync(join(dir, n), 'utf8')).entries.some(
        ([k, v]) => k === 'Channel' && v === `PJSIP/${number}@trunk`,
      ),
    );
}

function diagnostics(): string {
  const p = need();
  const faxLog = existsSync(p.fax.log)
    ? readFileSync(p.fax.log, 'utf8').split('\n').slice(-6).join('\n')
    : '(no faxmail log)';
  return `\n--- maillog ---\n${p.readLog().split('\n').slice(-20).join('\n')}\n--- faxmail log ---\n${faxLog}`;
}

async function waitOrExplain<T>(
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms: number,
  what: string,
): Promise<T> {
  try {
    return await waitUntil(predicate, ms, what, 250);
  } catch (err) {
    throw new Error(`${(err as Error).message}${diagnostics()}`);
  }
}

async function expectBounce(sender: string, recipient: string): Promise<MailboxMessage> {
  return waitOrExplain(
    async () =>
      (await need().readMailbox(sender)).find((m) => m.flat.includes(`Final-Recipient: rfc822; ${recipient}`)),
    40_000,
    `a bounce to ${sender} for ${recipient}`,
  );
}

const pdfMail = (from: string, to: string, subject: string): Promise<Buffer> =>
  composeMail({
    from,
    to,
    subject,
    text: 'Please fax the attached document.',
    attachments: [
      { filename: 'invoice.pdf', content: bytesOf(makePdf({ title: subject })), contentType: 'application/pdf' },
    ],
  });

/** The faxmail log line sendfax wrote when it received the mail for `number`. */
function receivedLine(number: string): Record<string, unknown> | undefined {
  const log = existsSync(need().fax.log) ? readFileSync(need().fax.log, 'utf8') : '';
  return log
    .split('\n')
    .filter((l) => l.includes('"step":"received"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l['number'] === number);
}

test('a private Dovecot (SASL) and a private Postfix using it start', async () => {
  try {
    dovecot = await startDovecotAuth({ alice: 'alice-secret', boss: 'boss-secret' });
    pf = await startPostfixInstance({
      senders:
        'allow = ["@example.org"]\nrequire_auth = true\nlogin_domain = "example.org"\nlogins = { boss = ' +
        '["@example.org"] }',
      extraMainCf:
        `${dovecot.postfixMainCf}\n# the test client may play a client from elsewhere ` +
        `(XCLIENT)\nsmtpd_authorized_xclient_hosts = 127.0.0.0/8`,
    });
  } catch (err) {
    startError = err;
    throw err;
  }
  // The shipped master.cf passes what require_auth needs.
  assert.match(
    readFileSync(join(pf.configDir, 'master.cf'), 'utf8'),
    /--client-address=\$\{client_address\} --sasl-user=\$\{sasl_username\}/,
  );
});

test('from outside without a login: bounced 5.7.1, the sender is told to log in', async () => {
  const to = faxAddress('0312350001');
  const r = await smtpDialog({
    port: need().port,
    xclientAddr: OUTSIDE,
    from: 'alice@example.org',
    to,
    raw: await pdfMail('alice@example.org', to, 'no login'),
  });
  assert.ok(r.queued, `accepted by Postfix: ${r.replies.join(' / ')}`);
  const bounce = await expectBounce('alice@example.org', to);
  assert.ok(bounce.flat.includes('Status: 5.7.1'), bounce.raw.slice(0, 2000));
  assert.ok(bounce.flat.includes('need your login'), bounce.raw.slice(0, 2000));
  assert.is(callFileFor('0312350001'), undefined);
  const seen = receivedLine('0312350001');
  assert.is(seen?.['client'], OUTSIDE);
  assert.is(seen?.['saslUser'], '');
});

test('from outside, logged in as alice, From alice: a call file', async () => {
  const to = faxAddress('0312350002');
  const r = await smtpDialog({
    port: need().port,
    xclientAddr: OUTSIDE,
    auth: { user: 'alice', password: 'alice-secret' },
    from: 'alice@example.org',
    to,
    raw: await pdfMail('Alice <alice@example.org>', to, 'alice logged in'),
  });
  assert.ok(r.queued, `accepted: ${r.replies.join(' / ')}`);
  await waitOrExplain(() => callFileFor('0312350002'), 40_000, 'a call file for 0312350002');
  assert.is(receivedLine('0312350002')?.['saslUser'], 'alice');
});

test('logged in as alice, From bob: bounced, naming the login and the address', async () => {
  const to = faxAddress('0312350003');
  const r = await smtpDialog({
    port: need().port,
    xclientAddr: OUTSIDE,
    auth: { user: 'alice', password: 'alice-secret' },
    from: 'alice@example.org',
    to,
    raw: await pdfMail('Bob <bob@example.org>', to, 'alice as bob'),
  });
  assert.ok(r.queued);
  const bounce = await expectBounce('alice@example.org', to);
  assert.ok(bounce.flat.includes('Status: 5.7.1'));
  assert.ok(
    bounce.flat.includes('You are logged in as alice, which may not send faxes as bob@example.org'),
    bounce.raw.slice(0, 2000),
  );
  assert.is(callFileFor('0312350003'), undefined);
  // boss may send as anyone @example.org (senders.logins).
  const to2 = faxAddress('0312350004');
  const r2 = await smtpDialog({
    port: need().port,
    xclientAddr: OUTSIDE,
    auth: { user: 'boss', password: 'boss-secret' },
    from: 'boss@example.org',
    to: to2,
    raw: await pdfMail('Bob <bob@example.org>', to2, 'boss as bob'),
  });
  assert.ok(r2.queued);
  await waitOrExplain(() => callFileFor('0312350004'), 40_000, 'a call file for 0312350004');
});

test('a wrong password is refused by SMTP AUTH itself (Dovecot checks it): 535, nothing queued', async () => {
  const to = faxAddress('0312350005');
  const r = await smtpDialog({
    port: need().port,
    xclientAddr: OUTSIDE,
    auth: { user: 'alice', password: 'wrong' },
    from: 'alice@example.org',
    to,
    raw: await pdfMail('alice@example.org', to, 'bad password'),
  });
  assert.is(r.queued, undefined);
  assert.match(r.failed ?? '', /^535 /);
});

test('submitted on this host with sendmail, no login: a call file (local mail passes on the allow list)', async () => {
  const to = faxAddress('0312350006');
  await need().submitWithSendmail(await pdfMail('alice@example.org', to, 'local'), { from: 'alice@example.org', to });
  await waitOrExplain(() => callFileFor('0312350006'), 40_000, 'a call file for 0312350006');
  const seen = receivedLine('0312350006');
  assert.is(seen?.['client'], '', 'Postfix passes an empty client address for local submission');
  assert.is(seen?.['saslUser'], '');
});

test.after(async () => {
  process.stdout.write(`sasl e2e: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (pf) await pf.stop();
  if (dovecot) await dovecot.stop();
});

test.run();
