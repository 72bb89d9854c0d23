/*
 * Every configuration mistake an admin reported (issue 11) is refused at load with file:line:column and
 * the key, all problems at once; removed keys name their replacement; notify.from with a display name works.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, loadConfig, ConfigError } from '../../lib/config/load.js';
import { locateKeys, findPosition } from '../../lib/config/locate.js';
import { composeMail } from '../../lib/mail/compose.js';
import { matchesSenderPattern } from '../../lib/policy/sender.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-cfgp-'));
for (const d of ['spool', 'outgoing', 'tmp']) mkdirSync(join(dir, d));
const base = `[paths]\nspool = "${dir}/spool"\noutgoing = "${dir}/outgoing"\ntmp = "${dir}/tmp"\nlog = "-"\n`;
const baseLines = base.split('\n').length - 1;

function problems(text: string, system = false): ConfigError {
  try {
    parseConfig(text, '/etc/faxmail/faxmail.toml', { system });
  } catch (err) {
    assert.instance(err, ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a config error');
}

test('every problem is listed at once, in file order, with file:line:column and the key', () => {
  const text =
    base +
    '[senders]\nallow = ["@example.com", "/(unclosed/"]\n[notify]\nfrom = "Fax <not an ' +
    'address>"\n[fax]\nmax_pages = 0\nresolution = "ultra"\n';
  const e = problems(text);
  assert.is(e.problems.length, 4, e.message);
  const lines = e.message.split('\n');
  assert.match(lines[0]!, '4 problems');
  assert.match(
    lines[1]!,
    new RegExp(
      `^/etc/faxmail/faxmail.toml:${baseLines + 2}:26: senders\\.allow\\[1\\]: .*not a valid regular expression`,
    ),
  );
  assert.match(lines[2]!, new RegExp(`^/etc/faxmail/faxmail.toml:${baseLines + 4}:1: notify\\.from: `));
  assert.match(lines[3]!, new RegExp(`:${baseLines + 6}:1: fax\\.max_pages: must be between 1 and 10000, not 0`));
  assert.match(
    lines[4]!,
    new RegExp(`:${baseLines + 7}:1: fax\\.resolution: must be one of "standard", "fine", "superfine"`),
  );
});

test('sender patterns: /regex/ is compiled at load and matched against the whole address', () => {
  assert.match(problems(base + '[senders]\nallow = ["/(unclosed/"]\n').message, 'senders.allow[0]');
  assert.match(problems(base + '[senders]\nallow = ["/no-end"]\n').message, 'does not end with /');
  assert.match(problems(base + '[senders]\nallow = ["not a domain!"]\n').message, 'senders.allow[0]');
  parseConfig(
    base + '[senders]\nallow = ["/.*@example\\\\.com/", "*.example.org", "@example.net", "a@b.example"]\n',
    't',
  );
  assert.ok(matchesSenderPattern('joe@example.com', '/.*@example\\.com/'));
  assert.not.ok(matchesSenderPattern('joe@example.com.evil.test', '/.*@example\\.com/'), 'anchored at the end');
  assert.not.ok(matchesSenderPattern('x-joe@example.com', '/joe@example\\.com/'), 'anchored at the start');
});

test('notify.from "Fax Server <fax@example.com>" works: display name in From, address as envelope sender', async () => {
  const mailDir = join(dir, 'mail');
  mkdirSync(mailDir, { recursive: true });
  const c = parseConfig(
    base +
      `[notify]\nfrom = "Fax Server <fax@example.com>"\n[mail]\ntransport = "directory"\ndirectory = "${mailDir}"\n`,
    't',
  );
  const m = await composeMail(c, {
    kind: 'receipt',
    to: ['a@example.com'],
    subject: 'Hi',
    text: 'x',
    attachments: [],
  } as never);
  assert.is(m.envelope.from, 'fax@example.com');
  assert.match(m.raw.toString(), /^From: Fax Server <fax@example.com>\r?$/m);
  assert.match(
    problems(base + '[notify]\nfrom = "a@example.com, b@example.com"\n').message,
    'notify.from: must be one address',
  );
  assert.match(problems(base + '[notify]\nfrom = "-oQ@example.com"\n').message, 'notify.from');
});

test('removed keys are refused with the replacement named', () => {
  const e = problems(
    base +
      '[retry]\nbusy_wait = 60\nincompatible = { after = 0, max_attempts = 1 }\nlocal_error = { after = 0, ' +
      'max_attempts = 1 }\n[inbound]\nkeep_days = 3\n',
  );
  assert.is(e.problems.length, 4);
  assert.match(e.message, /retry\.busy_wait: was removed: .*retry\.busy\.after/);
  assert.match(e.message, /retry\.incompatible: was removed: .*never retried/);
  assert.match(e.message, /retry\.local_error: was removed: .*never retried/);
  assert.match(e.message, /inbound\.keep_days: was removed: use retention\.received_days/);
});

test('a misspelt key gets a suggestion; nested keys point at their own line', () => {
  assert.match(
    problems(base + '[fax]\nresolutoin = "fine"\n').message,
    'fax.resolutoin: is not a setting of [fax] (did you mean resolution?)',
  );
  const e = problems(
    base +
      '[retry]\nbusy = { after = 10, max_attempts = 0 }\n[inbound]\nrecipients = { "0312" = ' +
      '["ok@example.com", "bad"] }\n',
  );
  assert.match(e.message, new RegExp(`:${baseLines + 2}:\\d+: retry\\.busy\\.max_attempts: must be between 1 and 100`));
  assert.match(
    e.message,
    new RegExp(`:${baseLines + 4}:\\d+: inbound\\.recipients\\."0312"\\[1\\]: must be a plain mail address`),
  );
});

test('the full check also reports an unknown callfile.owner next to other problems', () => {
  const e = problems(base + '[senders]\nallow = ["/(unclosed/"]\n[callfile]\nowner = "nosuchuser"\n', true);
  assert.is(e.problems.length, 2, e.message);
  assert.match(e.message, /senders\.allow\[0\]/);
  assert.match(e.message, /callfile\.owner: there is no user "nosuchuser"/);
});

test('callfile.owner and group are resolved, and paths checked for that user, by the full check', () => {
  const e = problems(base + '[callfile]\nowner = "nosuchuser"\ngroup = "nosuchgroup"\n', true);
  assert.match(e.message, new RegExp(`:${baseLines + 2}:1: callfile\\.owner: there is no user "nosuchuser"`));
  assert.match(e.message, /callfile\.group: there is no group "nosuchgroup"/);
  // The runtime check (sendfax, faxmail-notify) does not spawn getent.
  parseConfig(base + '[callfile]\nowner = "nosuchuser"\n', 't');
  // A spool the owner cannot write.
  const d2 = mkdtempSync(join(tmpdir(), 'faxmail-cfgp-perm-'));
  for (const d of ['spool', 'outgoing', 'tmp']) mkdirSync(join(d2, d));
  chmodSync(d2, 0o755);
  for (const d of ['outgoing', 'tmp']) chownSync(join(d2, d), 65534, 65534);
  chmodSync(join(d2, 'spool'), 0o755);
  const e2 = problems(
    `[paths]\nspool = "${d2}/spool"\noutgoing = "${d2}/outgoing"\ntmp = "${d2}/tmp"\nlog = ` +
      `"-"\n[callfile]\nowner = "nobody"\ngroup = "nogroup"\n`,
    true,
  );
  assert.match(e2.message, /paths\.spool: .* is not writable by nobody/);
  assert.not.match(e2.message, /paths\.tmp/);
});

test('a config file that cannot be read names the file and the fix', () => {
  try {
    loadConfig(join(dir, 'nope.toml'));
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, 'nope.toml cannot be read (ENOENT). Create it from faxmail.example.toml');
  }
  writeFileSync(join(dir, 'x.toml'), '');
});

test('the locator follows tables, arrays of tables, dotted keys, inline tables, arrays and strings', () => {
  const text = [
    '# comment [not.a.table]',
    '[numbers]',
    'allow = [',
    '  "^0",  # first',
    "  '^1',",
    ']',
    '[[numbers.rewrite]]',
    'match = """x',
    'y = 1"""',
    'replace = "0"',
    '[[numbers.rewrite]]',
    'match = "a"',
    'retry.busy = { after = 1, max_attempts = 2 }',
  ].join('\n');
  const pos = locateKeys(text);
  assert.equal(findPosition(pos, ['numbers', 'allow', 1]), { line: 5, column: 3 });
  assert.equal(findPosition(pos, ['numbers', 'rewrite', 0, 'replace']), { line: 10, column: 1 });
  assert.equal(findPosition(pos, ['numbers', 'rewrite', 1, 'match']), { line: 12, column: 1 });
  assert.equal(findPosition(pos, ['numbers', 'rewrite', 1, 'retry', 'busy', 'max_attempts']), { line: 13, column: 27 });
  assert.equal(
    findPosition(pos, ['numbers', 'rewrite', 0, 'y']),
    { line: 7, column: 1 },
    'text inside a string is not a key: its table header',
  );
  assert.is(findPosition(pos, ['fax']), undefined);
});

test.run();
