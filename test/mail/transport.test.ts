/*
 * transport.test.ts: what reaches sendmail's argv and nodemailer's SMTP client. Postfix is not running
 * on the test machine, so the real sendmail path is covered by its argv here and by the failing-binary
 * cases in deliver.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sendmailArgs, smtpOptions, DeliveryError } from '../../lib/mail/transport.js';
import { sortRecipients, envelopeSender } from '../../lib/mail/address.js';
import { parseConfig } from '../../lib/config/load.js';

test('sendmail gets -i -f FROM and the recipients, nothing else', () => {
  assert.equal(sendmailArgs({ from: 'fax@localhost', to: ['a@example.com', 'b@example.org'] }), [
    '-i',
    '-f',
    'fax@localhost',
    'a@example.com',
    'b@example.org',
  ]);
});

test('sendmail never sees an address that could be read as an option or split', () => {
  for (const bad of ['-oQ/tmp/x@example.com', '-Cevil.cf', 'a b@example.com', 'a\n@example.com']) {
    assert.throws(
      () => sendmailArgs({ from: 'fax@example.org', to: [bad] }),
      (e: unknown) => e instanceof DeliveryError,
    );
  }
  assert.throws(
    () => sendmailArgs({ from: '-bs', to: ['a@example.com'] }),
    (e: unknown) => e instanceof DeliveryError,
  );
  assert.throws(
    () => sendmailArgs({ from: 'fax@example.org', to: [] }),
    (e: unknown) => e instanceof DeliveryError,
  );
});

test('recipients: plain mailboxes only, duplicates dropped, order kept', () => {
  assert.equal(
    sortRecipients([
      ' a@example.com',
      'B@example.com',
      'A@example.com',
      '-x@example.com',
      '"q"@example.com',
      'b@example.com',
    ]),
    {
      ok: ['a@example.com', 'B@example.com'],
      refused: ['-x@example.com', '"q"@example.com'],
    },
  );
});

test('the envelope sender may be local (fax@localhost) but not an option', () => {
  assert.is(envelopeSender('fax@localhost'), 'fax@localhost');
  assert.throws(() => envelopeSender('-f@localhost'), /notify\.from/);
  assert.is(
    envelopeSender('Fax <fax@example.org>'),
    'fax@example.org',
    'a display name is allowed; the address is the envelope sender',
  );
  assert.throws(() => envelopeSender('Fax <-f@example.org>'), /notify\.from/);
  // The recipients' mailbox rule (lib/mailbox.ts): a domain must be DNS labels.
  for (const bad of ['fax@example..org', 'fax@-example.org', 'fax@example.org-', 'fax@.example.org'])
    assert.throws(() => envelopeSender(bad), /notify\.from/, bad);
  const { ok } = sortRecipients(['fax@localhost', 'fax@example..org']);
  assert.equal(ok, ['fax@localhost'], 'the same rule as for recipients');
});

test('SMTP timeouts are bounded by smtp_timeout and by the caller', () => {
  const c = parseConfig(
    '[mail]\ntransport = "smtp"\nsmtp_timeout = 7\nsmtp_starttls = true\nsmtp_user = "u"\nsmtp_password = "p"\n',
    't',
    { checkPaths: false },
  );
  const o = smtpOptions(c.mail);
  assert.is(o.connectionTimeout, 7000);
  assert.is(o.greetingTimeout, 7000);
  assert.is(o.socketTimeout, 7000);
  assert.is(o.requireTLS, true);
  assert.equal((o as { auth?: unknown }).auth, { user: 'u', pass: 'p' });
  assert.is(smtpOptions(c.mail, 2500).socketTimeout, 2500);
});

test.run();
