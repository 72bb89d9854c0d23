/*
 * faxmail doctor against a real private Postfix (test/helpers/postfix-instance.ts): a correct installation
 * passes; each seeded misconfiguration is found by its own check, with a fix, and the exit status says so.
 * The Asterisk checks need the real-Asterisk test bed (contract 4): here only "not reachable" is checked.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { binPath } from '../helpers/paths.js';
import { startPostfixInstance, postfixTool, type PostfixInstance } from '../helpers/postfix-instance.js';
import {
  findSendfaxServices,
  domainFromTransportMap,
  sampleNumber,
  sampleSender,
  versionAtLeast,
  type CheckResult,
} from '../../lib/admin/doctor.js';
import { parseConfig } from '../../lib/config/load.js';

let pf: PostfixInstance;

test.before(async () => {
  pf = await startPostfixInstance();
});
test.after(async () => {
  await pf?.stop();
});

async function doctor(
  extra: string[] = [],
  config = pf.fax.configPath,
): Promise<{ status: number; checks: CheckResult[]; text: string }> {
  const args = ['doctor', '--config', config, '--postfix-config', pf.configDir, '--skip', 'asterisk'];
  const r = await execa(process.execPath, [binPath('faxmail'), ...args, '--json', ...extra], {
    reject: false,
    stdin: 'ignore',
  });
  const parsed = JSON.parse(r.stdout) as { status: number; checks: CheckResult[] };
  assert.is(r.exitCode, parsed.status);
  const t = await execa(process.execPath, [binPath('faxmail'), ...args, ...extra], { reject: false, stdin: 'ignore' });
  return { ...parsed, text: t.stdout };
}

const find = (checks: CheckResult[], group: string, name: string) =>
  checks.find((c) => c.group === group && c.name === name);
const postconf = (...args: string[]) => execa(postfixTool('postconf'), ['-c', pf.configDir, ...args]);

/**
 * The queue timer has just run, as it would every 30 s: doctor fails a timer stamp older than 5 minutes, and
 * the checks after the timer test (a gs dry run each) can take longer than that on a slow machine.
 */
function timerRan(): void {
  const stamp = join(pf.fax.spool, 'last-run');
  if (existsSync(stamp)) utimesSync(stamp, new Date(), new Date());
}

async function expectFinding(
  seed: () => Promise<void> | void,
  undo: () => Promise<void> | void,
  group: string,
  name: string,
  status: 'fail' | 'warn',
  fix: RegExp,
) {
  timerRan();
  await seed();
  try {
    const d = await doctor();
    const c = find(d.checks, group, name);
    assert.ok(c, `${group}: ${name} reported\n${d.text}`);
    assert.is(c!.status, status, `${group}: ${name}\n${d.text}`);
    assert.match(c!.fix ?? '', fix);
    assert.is(d.status, status === 'fail' ? 2 : 1);
    assert.match(d.text, new RegExp(`^${status === 'fail' ? 'FAIL' : 'WARN'}  ${group}: ${name}`, 'm'));
    assert.match(d.text, /^ {6}fix: /m);
  } finally {
    await undo();
  }
}

test('a correct installation passes every check (exit 0), including the sample dry run as the pipe user', async () => {
  // Its timer has run (`faxmail run` every 30 s; started as root it switches to the spool owner).
  const run = await execa(process.execPath, [binPath('faxmail'), 'run', '--config', pf.fax.configPath], {
    reject: false,
    stdin: 'ignore',
  });
  assert.is(run.exitCode, 0, run.stdout + run.stderr);
  const d = await doctor();
  const bad = d.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  assert.equal(bad, [], d.text);
  assert.is(d.status, 0);
  for (const [g, n] of [
    ['config', 'file'],
    ['node', 'version'],
    ['tools', 'ghostscript'],
    ['postfix', 'master.cf'],
    ['postfix', 'transport map'],
    ['postfix', 'recipient limit'],
    ['postfix', 'time limit'],
    ['postfix', 'recipient_delimiter'],
    ['postfix', 'relay_domains'],
    ['sample', 'dry run'],
    ['queue', 'timer'],
  ] as const) {
    assert.is(find(d.checks, g, n)?.status, 'ok', `${g}: ${n}\n${d.text}`);
  }
  assert.match(find(d.checks, 'sample', 'dry run')!.detail, /as faxmailtest.*nothing kept/);
  assert.match(d.text, /^doctor: \d+ ok, 0 warnings, 0 failures, \d+ skipped$/m);
  const jobs = join(pf.fax.spool, 'jobs');
  assert.equal(
    (await import('node:fs')).readdirSync(jobs).filter((n) => !n.startsWith('.')),
    [],
    'the dry run kept no job',
  );
});

test(
  'a queue timer that stopped is found: faxmail run has not finished for a ' + 'while (fail), or never (warn)',
  async () => {
    const stamp = join(pf.fax.spool, 'last-run');
    const old = new Date(Date.now() - 3600_000);
    await expectFinding(
      () => utimesSync(stamp, old, old),
      () => utimesSync(stamp, new Date(), new Date()),
      'queue',
      'timer',
      'fail',
      /faxmail-run\.timer|cron|scheduler/,
    );
    const saved = readFileSync(stamp);
    await expectFinding(
      () => rmSync(stamp),
      () => {
        // Written back as root: give it back to the spool owner, or the spool-owner check fails the tests after this
        // one.
        writeFileSync(stamp, saved);
        chownSync(stamp, pf.user.uid, pf.user.gid);
      },
      'queue',
      'timer',
      'warn',
      /faxmail-run\.timer|cron|scheduler/,
    );
  },
);

test('postconf misconfigurations are found, each with its fix', async () => {
  const set = (kv: string) => async () => void (await postconf('-e', kv));
  await expectFinding(
    set('recipient_delimiter ='),
    set('recipient_delimiter = +'),
    'postfix',
    'recipient_delimiter',
    'fail',
    /recipient_delimiter = \+/,
  );
  await expectFinding(
    set('fax_destination_recipient_limit = 5'),
    set('fax_destination_recipient_limit = 1'),
    'postfix',
    'recipient limit',
    'fail',
    /fax_destination_recipient_limit = 1/,
  );
  await expectFinding(
    set('fax_time_limit = 60s'),
    set('fax_time_limit = 600s'),
    'postfix',
    'time limit',
    'fail',
    /fax_time_limit = 600s/,
  );
  const relay = (await postconf('-h', 'relay_domains')).stdout.trim();
  await expectFinding(
    set('relay_domains = $mydestination'),
    set(`relay_domains = ${relay}`),
    'postfix',
    'relay_domains',
    'warn',
    /relay_domains/,
  );
  const maps = (await postconf('-h', 'transport_maps')).stdout.trim();
  await expectFinding(
    set('transport_maps ='),
    set(`transport_maps = ${maps}`),
    'postfix',
    'transport map',
    'fail',
    /transport/,
  );
});

test('master.cf and transport map misconfigurations are found', async () => {
  const masterPath = join(pf.configDir, 'master.cf');
  const master = readFileSync(masterPath, 'utf8');
  const restore = () => writeFileSync(masterPath, master);
  await expectFinding(
    () => writeFileSync(masterPath, master.replace(/user=\S+/, 'user=nobody')),
    restore,
    'postfix',
    'master.cf',
    'fail',
    /user=faxmailtest/,
  );
  await expectFinding(
    () => writeFileSync(masterPath, master.replace(/flags=\S+/, 'flags=q')),
    restore,
    'postfix',
    'master.cf',
    'fail',
    /flags=Rq/,
  );
  await expectFinding(
    () => writeFileSync(masterPath, master.replace(/--sender=\$\{sender\}/, '')),
    restore,
    'postfix',
    'master.cf',
    'fail',
    /--sender=\$\{sender\}/,
  );
  await expectFinding(
    () => writeFileSync(masterPath, master.replace(/^fax\s+unix.*\n.*\n/m, '')),
    restore,
    'postfix',
    'master.cf',
    'fail',
    /postfix\/master\.cf/,
  );
  const tpath = join(pf.configDir, 'transport.regexp');
  const transport = readFileSync(tpath, 'utf8');
  await expectFinding(
    () => writeFileSync(tpath, transport.replace(/\tfax:$/m, '\terror:5.1.1 no faxes today')),
    () => writeFileSync(tpath, transport),
    'postfix',
    'transport map',
    'fail',
    /transport/,
  );
});

test('spool and configuration problems are found', async () => {
  const locks = join(pf.fax.spool, 'locks');
  mkdirSync(locks, { recursive: true });
  chownSync(locks, pf.user.uid, pf.user.gid);
  const stray = join(locks, 'left-by-root.lock');
  await expectFinding(
    () => writeFileSync(stray, ''),
    () => chownSync(stray, pf.user.uid, pf.user.gid),
    'spool',
    'spool owner',
    'fail',
    /chown -R faxmailtest/,
  );
  const cfg = readFileSync(pf.fax.configPath, 'utf8');
  const bad = join(pf.root, 'bad.toml');
  writeFileSync(bad, cfg + '\n[retry]\nbusy_wait = 30\n');
  const r = await execa(
    process.execPath,
    [binPath('faxmail'), 'doctor', '--config', bad, '--skip', 'asterisk,postfix'],
    { reject: false, stdin: 'ignore' },
  );
  assert.is(r.exitCode, 2);
  assert.match(r.stdout, /^FAIL  config: file .*bad\.toml:\d+:1: retry\.busy_wait: was removed/m);
  assert.match(r.stdout, /fix: fix each key named/);
});

test('Asterisk not reachable is a warning with the fix, not a failure', async () => {
  timerRan();
  const r = await execa(
    process.execPath,
    [
      binPath('faxmail'),
      'doctor',
      '--config',
      pf.fax.configPath,
      '--postfix-config',
      pf.configDir,
      '--skip',
      'sample',
      '--asterisk-config',
      join(pf.root, 'no-asterisk.conf'),
    ],
    { reject: false, stdin: 'ignore' },
  );
  assert.is(r.exitCode, 1, r.stdout);
  assert.match(r.stdout, /^WARN  asterisk: reachable .*asterisk -rx does not answer/m);
});

test('pure helpers: services from postconf -M, the domain from the map, sample sender and number', () => {
  const m =
    'smtp inet n - y - - smtpd\nfax unix - n n - 4 pipe flags=Rq user=asterisk ' +
    'argv=/usr/local/libexec/faxmail/sendfax --sender=${sender} --recipient=${recipient}\n';
  assert.equal(findSendfaxServices(m), [
    {
      name: 'fax',
      user: 'asterisk',
      flags: 'Rq',
      argv: ['/usr/local/libexec/faxmail/sendfax', '--sender=${sender}', '--recipient=${recipient}'],
    },
  ]);
  assert.is(domainFromTransportMap('/^fax\\+[^@]+@fax\\.example\\.com$/\tfax:\n', 'fax'), 'fax.example.com');
  const c = parseConfig('[senders]\nallow = ["/x/", "*.example.org"]\n[numbers]\nallow = ["^0[1-9][0-9]{8}$"]\n', 't', {
    checkPaths: false,
  });
  assert.is(sampleSender(c), 'faxmail-doctor@example.org');
  assert.is(sampleNumber(c), '0312345678');
  assert.ok(versionAtLeast('v20.15.0', [20, 15, 0]));
  assert.not.ok(versionAtLeast('v20.14.9', [20, 15, 0]));
  assert.not.ok(versionAtLeast('v18.20.4', [20, 15, 0]));
  assert.ok(versionAtLeast('v22.1.0', [20, 15, 0]));
});

test.run();
