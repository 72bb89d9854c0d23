import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isMailbox } from '../../lib/mailbox.js';
import {
  authorizeSender,
  isLocalClient,
  loginMaySendAs,
  matchesSenderPattern,
  senderPatternProblem,
  type Authors,
  type SenderPolicy,
  type Submission,
} from '../../lib/policy/sender.js';
import { FaxError } from '../../lib/errors.js';

const addr = (address: string, name = ''): { address: string; name: string } => ({ address, name });
const policy: SenderPolicy = {
  allow: ['boss@example.net', '@example.org', '*.example.com', '/fax-[a-z]+@partner\\.test/'],
  allow_any_sender: false,
  require_auth: false,
  logins: {},
  login_domain: '',
};

/** Authors with one From and nothing else, plus overrides. */
function mail(from: string | string[], more: Partial<Authors> = {}): Authors {
  return {
    envelopeSender: 'x@example.org',
    from: (Array.isArray(from) ? from : [from]).map((a) => addr(a)),
    replyTo: [],
    repeated: [],
    ...more,
  };
}

function refusal(authors: Authors, p: SenderPolicy = policy, submission: Submission = {}): FaxError {
  try {
    authorizeSender(authors, submission, p);
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
  assert.ok(matchesSenderPattern('fax-ops@partner.test', '/fax-[a-z]+@partner\\.test/'));
  assert.ok(matchesSenderPattern('FAX-OPS@PARTNER.TEST', '/fax-[a-z]+@partner\\.test/'), 'case-insensitive');
});

test('a /regex/ matches the whole address: an unanchored-looking pattern does not match a longer domain', () => {
  assert.not.ok(matchesSenderPattern('mallory@example.com.evil.org', '/@example\\.com/'));
  assert.not.ok(matchesSenderPattern('mallory@example.com.evil.org', '/.*@example\\.com/'));
  assert.ok(matchesSenderPattern('alice@example.com', '/.*@example\\.com/'));
  // The anchors go around the whole body: an alternation cannot slip past them.
  assert.not.ok(matchesSenderPattern('x.mallory@evil.org', '/alice@example\\.com|mallory@evil\\.org/'));
  assert.not.ok(matchesSenderPattern('prefix-fax-ops@partner.test', '/fax-[a-z]+@partner\\.test/'));
});

test('pattern problems (the config loader reports them with the key)', () => {
  assert.match(senderPatternProblem('/(unclosed/')!, 'not a valid regular expression');
  assert.match(senderPatternProblem('')!, 'empty');
  assert.match(senderPatternProblem('a b@example.org')!, 'white space');
  assert.match(senderPatternProblem('@')!, 'no domain');
  for (const ok of ['a@example.org', '@example.org', 'example.org', '*.example.org', '/.*@example\\.org/'])
    assert.is(senderPatternProblem(ok), undefined, ok);
});

test('receipts go to Reply-To, else From', () => {
  assert.is(
    authorizeSender({ ...mail('a@example.org'), from: [addr('a@example.org', 'A')] }, {}, policy).replyTo,
    'a@example.org',
  );
  const d = authorizeSender(mail('a@example.org', { replyTo: [addr('b@example.org', 'Bee')] }), {}, policy);
  assert.is(d.replyTo, 'b@example.org');
  assert.is(d.replyName, 'Bee');
});

test('an unknown sender is refused with 77 and a sentence naming the address', () => {
  const e = refusal(mail('m@evil.test'));
  assert.is(e.code, 'sender-refused');
  assert.match(e.message, 'm@evil.test is not allowed');
});

test('every author: two From addresses, one outside, are refused naming the outsider', () => {
  const e = refusal(mail(['alice@example.org', 'mallory@evil.example']));
  assert.is(e.code, 'sender-refused');
  assert.is(
    e.message,
    'Your message names 2 authors in From (alice@example.org, mallory@evil.example); every one must be ' +
      'allowed to send faxes through this server, and mallory@evil.example is not.',
  );
  // Two allowed authors are fine.
  assert.is(authorizeSender(mail(['alice@example.org', 'boss@example.net']), {}, policy).replyTo, 'alice@example.org');
  // An author with a name but no address cannot be checked.
  assert.match(refusal(mail(['alice@example.org', ''])).message, 'no usable From');
});

test('every author: the Sender header, when present, must be allowed too', () => {
  const e = refusal(mail('alice@example.org', { sender: addr('mallory@evil.example') }));
  assert.match(e.message, 'The Sender address mallory@evil.example is not allowed');
  assert.ok(authorizeSender(mail('alice@example.org', { sender: addr('secretary@example.org') }), {}, policy));
  assert.match(
    refusal(mail('alice@example.org', { sender: addr('not an address') })).message,
    'Sender address of your message is not a valid',
  );
});

test('every Reply-To address must be allowed (receipts carry the fax)', () => {
  assert.match(
    refusal(mail('a@example.org', { replyTo: [addr('thief@evil.test')] })).message,
    'Reply-To address thief@evil.test',
  );
  assert.match(
    refusal(mail('a@example.org', { replyTo: [addr('b@example.org'), addr('thief@evil.test')] })).message,
    'thief@evil.test',
  );
});

test('a repeated From, Sender or Reply-To header is refused: readers disagree which one counts', () => {
  assert.match(refusal(mail('alice@example.org', { repeated: ['from'] })).message, 'more than one From header');
  assert.match(
    refusal(mail('alice@example.org', { repeated: ['sender', 'reply-to'] })).message,
    'more than one Sender and more than one Reply-To header',
  );
});

test('an empty allow list refuses everyone unless allow_any_sender', () => {
  refusal(mail('a@example.org'), { ...policy, allow: [] });
  assert.is(
    authorizeSender(mail('a@x.test'), {}, { ...policy, allow: [], allow_any_sender: true }).replyTo,
    'a@x.test',
  );
});

test('bounces are never faxed', () => {
  for (const env of ['', '<>', 'MAILER-DAEMON', 'mailer-daemon@example.org']) {
    assert.match(refusal(mail('a@example.org', { envelopeSender: env })).message, 'Bounce');
  }
});

test('addresses that could become options or headers are not mailboxes', () => {
  for (const a of ['-oQ/tmp@x.test', 'a b@x.test', 'a@x', 'a@x.test\nBcc: z@y.test', '"a"@x.test', 'a@-x.test'])
    assert.not.ok(isMailbox(a), a);
  assert.ok(isMailbox('first.last+tag@sub.example.co.jp'));
  assert.is(refusal(mail('-oQ@example.org')).code, 'sender-refused');
});

// ---------- senders.require_auth ----------

const auth: SenderPolicy = {
  ...policy,
  require_auth: true,
  logins: { boss: ['boss@example.net', '@example.org'] },
  login_domain: 'example.org',
};

test('local clients: no client address (sendmail on this host) and loopback', () => {
  for (const c of ['', '127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1', 'IPv6:::1']) assert.ok(isLocalClient(c), c);
  for (const c of ['192.0.2.7', '203.0.113.5', '::ffff:10.0.0.1', '2001:db8::1', '128.0.0.1'])
    assert.not.ok(isLocalClient(c), c);
});

test('require_auth: mail from outside without a login is refused 77; from this host it passes', () => {
  const e = refusal(mail('alice@example.org'), auth, { login: '', client: '203.0.113.9' });
  assert.is(e.code, 'sender-refused');
  assert.match(e.message, 'need your login');
  assert.ok(authorizeSender(mail('alice@example.org'), { login: '', client: '' }, auth));
  assert.ok(authorizeSender(mail('alice@example.org'), { login: '', client: '127.0.0.1' }, auth));
});

test('require_auth: a login sends as its own mailbox, or as what senders.logins lists for it', () => {
  assert.ok(
    authorizeSender(mail('alice@example.org'), { login: 'alice', client: '203.0.113.9' }, auth),
    'alice -> alice@login_domain',
  );
  assert.ok(
    authorizeSender(mail('alice@example.org'), { login: 'alice@example.org', client: '203.0.113.9' }, auth),
    'a login that is an address',
  );
  const e = refusal(mail('bob@example.org'), auth, { login: 'alice', client: '203.0.113.9' });
  assert.is(
    e.message,
    'You are logged in as alice, which may not send faxes as bob@example.org. Send from your own address, or ' +
      'ask your administrator.',
  );
  assert.ok(
    authorizeSender(mail(['bob@example.org', 'boss@example.net']), { login: 'boss', client: '203.0.113.9' }, auth),
    'listed login',
  );
  assert.match(
    refusal(mail('alice@example.org', { sender: addr('bob@example.org') }), auth, {
      login: 'alice',
      client: '203.0.113.9',
    }).message,
    'as bob@example.org',
    'the Sender is an author too',
  );
  // A login on this host is checked too.
  assert.match(refusal(mail('bob@example.org'), auth, { login: 'alice', client: '' }).message, 'logged in as alice');
  // Still the allow list first.
  assert.match(
    refusal(
      mail('eve@evil.test'),
      { ...auth, logins: { eve: ['eve@evil.test'] } },
      { login: 'eve', client: '203.0.113.9' },
    ).message,
    'eve@evil.test is not allowed',
  );
});

test('require_auth without the master.cf arguments is a configuration error (deferred, not bounced)', () => {
  const e = refusal(mail('alice@example.org'), auth, {});
  assert.is(e.code, 'config');
  assert.match(e.message, '--sasl-user');
});

test('loginMaySendAs: case-insensitive; without login_domain a bare login has no mailbox', () => {
  assert.ok(loginMaySendAs('Alice', 'ALICE@example.org', { logins: {}, login_domain: 'Example.ORG' }));
  assert.not.ok(loginMaySendAs('alice', 'alice@example.org', { logins: {}, login_domain: '' }));
  assert.ok(loginMaySendAs('BOSS', 'x@example.org', { logins: { boss: ['@example.org'] }, login_domain: '' }));
});

test.run();
