import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, chooseConfigPath, loadConfig } from '../../lib/config/load.js';
import { SCHEMA } from '../../lib/config/schema.js';
import { FaxError } from '../../lib/errors.js';
import { exitStatusFor } from '../../lib/sysexits.js';
import { repoRoot } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-cfg-'));
for (const d of ['spool', 'outgoing', 'tmp']) mkdirSync(join(dir, d));
const base = `[paths]\nspool = "${dir}/spool"\noutgoing = "${dir}/outgoing"\ntmp = "${dir}/tmp"\nlog = "-"\n`;

function configError(text: string): FaxError {
  try {
    parseConfig(text, 'test.toml');
  } catch (err) {
    assert.instance(err, FaxError);
    return err as FaxError;
  }
  throw new Error('expected a config error');
}

test('defaults fill every key and the result is frozen', () => {
  const c = parseConfig(base, 'test.toml');
  assert.is(c.fax.resolution, 'fine');
  assert.is(c.callfile.channel, 'PJSIP/{number}@trunk');
  assert.is(c.retry.busy.max_attempts, 6);
  assert.ok(Object.isFrozen(c.fax));
});

test('phone numbers keep their leading zeros as TOML strings', () => {
  const c = parseConfig(base + '[inbound]\nrecipients = { "0312345678" = ["a@example.com"] }\n', 'test.toml');
  assert.equal(Object.keys(c.inbound.recipients), ['0312345678']);
});

test('an unknown key is named with its section', () => {
  const e = configError(base + '[fax]\nresolutoin = "fine"\n');
  assert.is(e.code, 'config');
  assert.match(e.message, 'fax.resolutoin:');
  assert.is(exitStatusFor(e.code, 'cli'), 78);
  assert.is(exitStatusFor(e.code, 'pipe'), 75);
});

test('an unknown section is named', () => {
  assert.match(configError(base + '[faxx]\na = 1\n').message, 'faxx:');
});

test('a wrong type is named with the key and the expected type', () => {
  const e = configError(base + '[fax]\nmax_pages = "ten"\n');
  assert.match(e.message, 'fax.max_pages:');
  assert.match(e.message, 'whole number');
});

test('sender patterns: a broken /regex/ fails loading naming the key (also in senders.logins); good ones load', () => {
  const e = configError(base + '[senders]\nallow = ["@example.org", "/(unclosed/"]\n');
  assert.is(e.code, 'config');
  assert.match(e.message, 'senders.allow[1]: ');
  assert.match(e.message, '"/(unclosed/" is not a valid regular expression (Unterminated group)');
  assert.match(
    configError(base + '[senders]\nlogins = { alice = ["/[z-a]/"] }\n').message,
    'senders.logins.alice[0]: ',
  );
  assert.match(
    configError(base + '[senders]\nlogins = { alice = "alice@example.org" }\n').message,
    'senders.logins.alice: must be a list',
  );
  assert.match(
    configError(base + '[senders]\nlogins = { "al ice" = ["alice@example.org"] }\n').message,
    'is not a login name',
  );
  assert.match(configError(base + '[senders]\nallow = [""]\n').message, 'senders.allow[0]: ');
  assert.match(configError(base + '[senders]\nlogin_domain = "not a domain"\n').message, 'senders.login_domain: ');
  const c = parseConfig(
    base +
      '[senders]\nallow = ["/.*@example\\\\.org/"]\nrequire_auth = true\nlogins = { boss = ["@example.org"] ' +
      '}\nlogin_domain = "example.org"\n',
    'test.toml',
  );
  assert.equal(c.senders.allow, ['/.*@example\\.org/']);
  assert.is(c.senders.require_auth, true);
  assert.equal(JSON.parse(JSON.stringify(c.senders.logins)), { boss: ['@example.org'] });
});

test('fax.dither: auto by default; the old true and false still mean always and never; anything else is named', () => {
  assert.is(parseConfig(base, 'test.toml').fax.dither, 'auto');
  assert.is(parseConfig(base + '[fax]\ndither = true\n', 'test.toml').fax.dither, 'always');
  assert.is(parseConfig(base + '[fax]\ndither = false\n', 'test.toml').fax.dither, 'never');
  assert.is(parseConfig(base + '[fax]\ndither = "never"\n', 'test.toml').fax.dither, 'never');
  const e = configError(base + '[fax]\ndither = "sometimes"\n');
  assert.match(e.message, 'fax.dither: ');
  assert.match(e.message, '"auto", "always" or "never"');
});

test('fax.convert_timeout (CPU seconds) must be below fax.time_limit (wall seconds); both named at the line', () => {
  const e = configError(base + '[fax]\nconvert_timeout = 120\ntime_limit = 60\n');
  assert.match(
    e.message,
    /^test\.toml:7:1: fax\.convert_timeout: \(120 CPU seconds\) must be below fax\.time_limit \(60 seconds\)$/m,
  );
  // A broken time_limit is reported alone, not as a rule between the two.
  const e2 = configError(base + '[fax]\ntime_limit = "soon"\n');
  assert.not.match(e2.message, 'must be below');
  const c = parseConfig(base + '[fax]\nconvert_timeout = 1\ntime_limit = 2\n', 'test.toml');
  assert.is(c.fax.convert_timeout, 1);
  assert.is(c.fax.time_limit, 2);
});

test('an enum value outside its set is refused', () => {
  assert.match(configError(base + '[fax]\nresolution = "ultra"\n').message, 'fax.resolution:');
});

test('a missing directory is named', () => {
  const e = configError(`[paths]\nspool = "${dir}/nope"\noutgoing = "${dir}/outgoing"\ntmp = "${dir}/tmp"\n`);
  assert.match(e.message, 'paths.spool:');
  assert.match(e.message, 'not an existing directory');
});

test('a bad regular expression in numbers.deny is named', () => {
  assert.match(configError(base + '[numbers]\ndeny = ["("]\n').message, 'numbers.deny[0]:');
});

test('rewrite rules need match and replace', () => {
  assert.match(configError(base + '[[numbers.rewrite]]\nmatch = "^\\\\+81"\n').message, 'numbers.rewrite[0]');
  const c = parseConfig(base + '[[numbers.rewrite]]\nmatch = "^\\\\+81"\nreplace = "0"\n', 'test.toml');
  assert.equal(c.numbers.rewrite, [{ match: '^\\+81', replace: '0' }]);
});

test('recipient addresses are checked when the config loads', () => {
  assert.match(
    configError(base + '[inbound]\nrecipients = { "0312345678" = ["not an address"] }\n').message,
    'inbound.recipients."0312345678"[0]',
  );
  assert.match(configError(base + '[inbound]\ndefault = ["-oQ@x.test"]\n').message, 'inbound.default[0]:');
  assert.match(configError(base + '[notify]\nadmin = "root"\n').message, 'notify.admin:');
  assert.is(
    parseConfig(base + '[notify]\nadmin = "admin@example.com"\n', 'test.toml').notify.admin,
    'admin@example.com',
  );
  // The usual admin address on a mail server has no dot in its domain.
  assert.is(parseConfig(base + '[notify]\nadmin = "root@localhost"\n', 'test.toml').notify.admin, 'root@localhost');
  assert.equal(
    parseConfig(
      base + '[inbound]\ndefault = ["fax@mailhost"]\nrecipients = { "0312345678" = ["root@localhost"] }\n',
      'test.toml',
    ).inbound.recipients['0312345678'],
    ['root@localhost'],
  );
  assert.match(configError(base + '[notify]\nadmin = "root@-localhost"\n').message, 'notify.admin:');
});

test('call-file settings are checked when the config loads', () => {
  assert.match(configError(base + '[callfile]\nchannel = "PJSIP/{number}@trunk;x"\n').message, 'callfile.channel');
  assert.match(configError(base + '[callfile]\ncaller_id = "Fax <1;2>"\n').message, 'callfile.caller_id');
  assert.match(
    configError(base + `[callfile]\nchannel = "PJSIP/{number}@${'t'.repeat(260)}"\n`).message,
    'longer than',
  );
});

test('invalid TOML is reported with its line and column', () => {
  const e = configError('[fax]\nresolution = "fine"\nmax_pages = \n');
  assert.match(e.message, 'not valid TOML');
  assert.match(e.message, /^test\.toml:3:\d+: /m);
});

test('a missing file is a config error naming the file', () => {
  try {
    loadConfig(join(dir, 'missing.toml'));
    assert.unreachable();
  } catch (err) {
    assert.is((err as FaxError).code, 'config');
    assert.match((err as FaxError).message, 'missing.toml');
  }
});

test('--config beats FAXMAIL_CONFIG beats the default', () => {
  assert.is(chooseConfigPath('/a.toml', { FAXMAIL_CONFIG: '/b.toml' }), '/a.toml');
  assert.is(chooseConfigPath(undefined, { FAXMAIL_CONFIG: '/b.toml' }), '/b.toml');
  assert.is(chooseConfigPath(undefined, {}), '/etc/faxmail/faxmail.toml');
});

test('faxmail.example.toml documents every key and loads', () => {
  const example = readFileSync(join(repoRoot, 'faxmail.example.toml'), 'utf8');
  for (const [section, keys] of Object.entries(SCHEMA)) {
    assert.ok(example.includes(`[${section}]`), `section [${section}] documented`);
    for (const key of Object.keys(keys))
      assert.ok(new RegExp(`^${key}\\b`, 'm').test(example), `${section}.${key} documented`);
  }
  parseConfig(example, 'faxmail.example.toml', { checkPaths: false });
});

test.run();
