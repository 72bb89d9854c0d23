import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authorizeSender, matchesSenderPattern, isMailbox } from '../../lib/policy/sender.js';
import { FaxError } from '../../lib/errors.js';

const addr = (address: string, name = '') => ({ address, name });
const policy = { allow: ['boss@example.net', '@example.org', '*.example.com', '/^fax-[a-z]+@partner\\.test$/'], allow_any_sender: false };

function refusal(input: Parameters<typeof authorizeSender>[0], p = policy): FaxError {
  try {
    authorizeSender(input, p);
  } catch (err) {
    assert.instance(err, FaxError);
    return err as FaxError;
  }
  throw new Error('expected a refusal');
}

test('patterns: address, @domain, bare domain, subdomains, regex', () => {
  assert.ok(matchesSenderPattern('Boss@Example.NET', 'boss@example.net'));
  assert.ok(matchesSenderPattern('a@example.org', '@example.org'));
  assert.not.ok(matchesSenderPattern('a@sub.example.org', '@example.org'));
  assert.ok(matchesSenderPattern('a@example.org', 'example.org'));
  assert.ok(matchesSenderPattern('a@x.example.com', '*.example.com'));
  assert.ok(matchesSenderPattern('a@example.com', '*.example.com'));
  assert.not.ok(matchesSenderPattern('a@evilexample.com', '*.example.com'));
  assert.ok(matchesSenderPattern('fax-ops@partner.test', '/^fax-[a-z]+@partner\\.test$/'));
});

test('receipts go to Reply-To, else From', () => {
  assert.is(authorizeSender({ envelopeSender: 'x@example.org', from: addr('a@example.org', 'A') }, policy).replyTo, 'a@example.org');
  const d = authorizeSender({ envelopeSender: 'x@example.org', from: addr('a@example.org'), replyTo: addr('b@example.org', 'Bee') }, policy);
  assert.is(d.replyTo, 'b@example.org');
  assert.is(d.replyName, 'Bee');
});

test('an unknown sender is refused with 77 and a sentence naming the address', () => {
  const e = refusal({ envelopeSender: 'm@evil.test', from: addr('m@evil.test') });
  assert.is(e.code, 'sender-refused');
  assert.match(e.message, 'm@evil.test is not allowed');
});

test('an allowed From with an outside Reply-To is refused (receipts carry the fax)', () => {
  const e = refusal({ envelopeSender: 'a@example.org', from: addr('a@example.org'), replyTo: addr('thief@evil.test') });
  assert.match(e.message, 'Reply-To');
});

test('an empty allow list refuses everyone unless allow_any_sender', () => {
  refusal({ envelopeSender: 'a@example.org', from: addr('a@example.org') }, { allow: [], allow_any_sender: false });
  assert.is(authorizeSender({ envelopeSender: 'a@x.test', from: addr('a@x.test') }, { allow: [], allow_any_sender: true }).replyTo, 'a@x.test');
});

test('bounces are never faxed', () => {
  for (const env of ['', '<>', 'MAILER-DAEMON', 'mailer-daemon@example.org']) {
    assert.match(refusal({ envelopeSender: env, from: addr('a@example.org') }).message, 'Bounce');
  }
});

test('addresses that could become options or headers are not mailboxes', () => {
  for (const a of ['-oQ/tmp@x.test', 'a b@x.test', 'a@x', 'a@x.test\nBcc: z@y.test', '"a"@x.test', 'a@-x.test']) assert.not.ok(isMailbox(a), a);
  assert.ok(isMailbox('first.last+tag@sub.example.co.jp'));
  assert.is(refusal({ envelopeSender: 'a@example.org', from: addr('-oQ@example.org') }).code, 'sender-refused');
});

test.run();
