/*
 * faxmail doctor's Asterisk checks against a real Asterisk 22 (the one scripts/build-asterisk.sh installs),
 * run privately here: its own asterisk.conf, run/spool/log dirs under a temp dir, as the asterisk user,
 * loading only the modules faxmail needs, with the shipped extensions_faxmail.conf included as it is.
 * A healthy instance passes; each seeded fault is found by its own check with a fix. (The bed stream's
 * test-bed helper, contract 4, can replace startPrivateAsterisk below once it is on main.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { binPath, repoRoot } from '../helpers/paths.js';
import { waitUntil } from '../helpers/wait.js';
import { lookupUser } from '../../lib/accounts.js';
import { ensureAsteriskUser } from '../helpers/asterisk-bed.js';
import type { CheckResult } from '../../lib/admin/doctor.js';

const ASTERISK = '/usr/sbin/asterisk';
const MODULES = [
  'pbx_config',
  'pbx_spool',
  'res_fax',
  'res_fax_spandsp',
  'res_timing_timerfd',
  'app_system',
  'app_exec',
  'app_stack',
  'func_strings',
  'func_channel',
  'func_logic',
  'func_callerid',
  'func_groupcount',
];
// The asterisk user, created as README says when missing (as the Asterisk test bed does).
ensureAsteriskUser();
const asterisk = lookupUser('asterisk');
const root = mkdtempSync(join(tmpdir(), 'faxmail-doctor-ast-'));
chmodSync(root, 0o755);
const etc = join(root, 'etc');
const conf = join(etc, 'asterisk.conf');
const outgoing = join(root, 'spool', 'outgoing');
const fax = {
  spool: join(root, 'fax-spool'),
  tmp: join(root, 'spool', 'faxmail-tmp'),
  log: join(root, 'log', 'faxmail.log'),
  config: join(root, 'faxmail.toml'),
};
const notify = binPath('faxmail-notify');
let pid = 0;

const extensions = (include: boolean, notifyPath = notify) =>
  `[general]\nclearglobalvars=yes\n[globals]\n` +
  (include
    ? `#include ${join(repoRoot, 'asterisk', 'extensions_faxmail.conf')}\n[globals]\nFAXMAIL_NOTIFY=${notifyPath}\n`
    : '');

const rx = (command: string) => execa(ASTERISK, ['-C', conf, '-rx', command], { reject: false, timeout: 15_000 });

async function startPrivateAsterisk(): Promise<void> {
  for (const d of [
    etc,
    outgoing,
    fax.tmp,
    join(root, 'run'),
    join(root, 'log'),
    join(root, 'lib'),
    join(root, 'db'),
    fax.spool,
  ])
    mkdirSync(d, { recursive: true });
  writeFileSync(
    conf,
    `[directories]\nastetcdir => ${etc}\nastmoddir => /usr/lib/asterisk/modules\nastvarlibdir => ` +
      `${root}/lib\nastdbdir => ${root}/db\nastkeydir => ${root}/lib\nastdatadir => ` +
      `/var/lib/asterisk\nastagidir => /var/lib/asterisk/agi-bin\nastspooldir => ${root}/spool\nastrundir ` +
      `=> ${root}/run\nastlogdir => ${root}/log\n[options]\nrunuser = asterisk\nrungroup = asterisk\n`,
  );
  writeFileSync(
    join(etc, 'modules.conf'),
    `[modules]\nautoload=no\n${MODULES.map((m) => `load => ${m}.so`).join('\n')}\n`,
  );
  writeFileSync(join(etc, 'logger.conf'), '[general]\n[logfiles]\nmessages => notice,warning,error\n');
  writeFileSync(join(etc, 'extensions.conf'), extensions(true));
  await execa('chown', ['-R', 'asterisk:asterisk', root]);
  writeFileSync(
    fax.config,
    `[paths]\nspool = "${fax.spool}"\noutgoing = "${outgoing}"\ntmp = "${fax.tmp}"\nlog = ` +
      `"${fax.log}"\n[callfile]\nowner = "asterisk"\ngroup = "asterisk"\nchannel = ` +
      `"Local/{number}@faxmail-farend"\n[mail]\ntransport = "directory"\ndirectory = "${root}"\n`,
  );
  chmodSync(fax.config, 0o644);
  const r = await execa(ASTERISK, ['-C', conf, '-U', 'asterisk', '-G', 'asterisk'], {
    reject: false,
    all: true,
    timeout: 30_000,
  });
  if (r.exitCode !== 0) throw new Error(`private Asterisk did not start: ${r.all}`);
  await waitUntil(
    async () => (await rx('core show version')).stdout.startsWith('Asterisk '),
    30_000,
    'the private Asterisk answering asterisk -rx',
    250,
  );
  pid = Number(readFileSync(join(root, 'run', 'asterisk.pid'), 'utf8').trim());
}

test.before(async () => {
  if (!existsSync(ASTERISK) || !asterisk)
    throw new Error('Asterisk 22 is not installed: run scripts/build-asterisk.sh (as root)');
  await startPrivateAsterisk();
});

test.after(async () => {
  if (pid > 0) {
    await rx('core stop now');
    await waitUntil(() => !existsSync(`/proc/${pid}`), 20_000, 'the private Asterisk to stop', 200).catch(() =>
      process.kill(pid, 'SIGKILL'),
    );
  }
  rmSync(root, { recursive: true, force: true });
});

async function asteriskChecks(): Promise<{ status: number; checks: CheckResult[] }> {
  const r = await execa(
    process.execPath,
    [
      binPath('faxmail'),
      'doctor',
      '--config',
      fax.config,
      '--asterisk-config',
      conf,
      '--skip',
      'postfix,sample',
      '--json',
    ],
    { reject: false, stdin: 'ignore' },
  );
  const parsed = JSON.parse(r.stdout) as { status: number; checks: CheckResult[] };
  return { status: r.exitCode ?? -1, checks: parsed.checks.filter((c) => c.group === 'asterisk') };
}

const check = (checks: CheckResult[], name: string) => {
  const c = checks.find((x) => x.name === name);
  assert.ok(c, `${name} reported: ${JSON.stringify(checks, null, 1)}`);
  return c!;
};

test('a healthy private Asterisk passes every Asterisk check', async () => {
  const { checks } = await asteriskChecks();
  assert.equal(
    checks.filter((c) => c.status !== 'ok'),
    [],
    JSON.stringify(checks, null, 1),
  );
  assert.match(check(checks, 'reachable').detail, /^Asterisk 22\./);
  for (const n of ['res_fax_spandsp', 'context faxmail-send', 'context faxmail-receive', 'globals', 'outgoing'])
    assert.is(check(checks, n).status, 'ok', n);
  assert.match(check(checks, 'outgoing').detail, /writable by asterisk, the user Asterisk runs as/);
});

test('res_fax_spandsp not loaded', async () => {
  await rx('module unload res_fax_spandsp.so');
  try {
    const { checks, status } = await asteriskChecks();
    const c = check(checks, 'res_fax_spandsp');
    assert.is(c.status, 'fail');
    assert.match(c.fix!, /res_fax_spandsp/);
    assert.is(status, 2);
  } finally {
    await rx('module load res_fax_spandsp.so');
  }
});

test('the faxmail contexts not in the dialplan; FAXMAIL_NOTIFY missing or wrong', async () => {
  const file = join(etc, 'extensions.conf');
  try {
    writeFileSync(file, extensions(false));
    await rx('dialplan reload');
    let { checks } = await asteriskChecks();
    assert.is(check(checks, 'context faxmail-send').status, 'fail');
    assert.is(check(checks, 'context faxmail-receive').status, 'fail');
    assert.match(check(checks, 'context faxmail-send').fix!, /#include extensions_faxmail\.conf/);
    assert.is(check(checks, 'globals').status, 'warn');
    writeFileSync(file, extensions(true, '/nonexistent/faxmail-notify'));
    await rx('dialplan reload');
    ({ checks } = await asteriskChecks());
    assert.is(check(checks, 'context faxmail-send').status, 'ok');
    assert.is(check(checks, 'globals').status, 'fail');
    assert.match(check(checks, 'globals').detail, '/nonexistent/faxmail-notify');
  } finally {
    writeFileSync(file, extensions(true));
    await rx('dialplan reload');
  }
});

test(
  'callfile.channel PJSIP/{number}@trunk on an Asterisk without chan_pjsip: the SIP modules and the ' +
    'endpoint fail, with fixes',
  async () => {
    const text = readFileSync(fax.config, 'utf8');
    try {
      writeFileSync(
        fax.config,
        text.replace('channel = "Local/{number}@faxmail-farend"', 'channel = "PJSIP/{number}@trunk"'),
      );
      const { checks, status } = await asteriskChecks();
      for (const m of ['chan_pjsip', 'res_pjsip_t38']) {
        assert.is(check(checks, m).status, 'fail', m);
        assert.match(check(checks, m).fix!, `load => ${m}.so`);
      }
      assert.is(check(checks, 'endpoint trunk').status, 'fail');
      assert.match(check(checks, 'endpoint trunk').fix!, /README "SIP trunk"/);
      assert.is(check(checks, 'res_fax_spandsp').status, 'ok');
      assert.is(status, 2);
    } finally {
      writeFileSync(fax.config, text);
    }
    // A Local channel needs no SIP module: none is checked.
    const { checks } = await asteriskChecks();
    assert.not.ok(
      checks.some((c) => c.name === 'chan_pjsip' || c.name.startsWith('endpoint')),
      JSON.stringify(checks),
    );
  },
);

test('a shared voice and fax line is wired but app_playtones is not loaded; then it is', async () => {
  const file = join(etc, 'extensions.conf');
  try {
    let { checks } = await asteriskChecks();
    assert.not.ok(
      checks.some((c) => c.name === 'shared lines'),
      'no shared line wired: no check',
    );
    writeFileSync(
      file,
      `${extensions(true)}[from-trunk]\nexten => 0312345670,1,Gosub(faxmail-detect,\${EXTEN},1)\n same => n,Hangup()\n`,
    );
    await rx('dialplan reload');
    ({ checks } = await asteriskChecks());
    assert.is(check(checks, 'shared lines').status, 'fail');
    assert.match(check(checks, 'shared lines').fix!, /load => app_playtones\.so/);
    await rx('module load app_playtones.so');
    ({ checks } = await asteriskChecks());
    assert.is(check(checks, 'shared lines').status, 'ok');
  } finally {
    await rx('module unload app_playtones.so');
    writeFileSync(file, extensions(true));
    await rx('dialplan reload');
  }
});

test("outgoing: not Asterisk's own directory, or not writable by the user Asterisk runs as", async () => {
  const other = join(root, 'other-outgoing');
  mkdirSync(other, { recursive: true });
  chownSync(other, asterisk!.uid, asterisk!.gid);
  const text = readFileSync(fax.config, 'utf8');
  try {
    writeFileSync(
      fax.config,
      text
        .replace(`outgoing = "${outgoing}"`, `outgoing = "${other}"`)
        .replace(`tmp = "${fax.tmp}"`, `tmp = "${root}"`),
    );
    let { checks } = await asteriskChecks();
    assert.is(check(checks, 'outgoing').status, 'fail');
    assert.match(check(checks, 'outgoing').fix!, `paths.outgoing = "${outgoing}"`);
    writeFileSync(fax.config, text);
    chownSync(outgoing, 0, 0);
    chmodSync(outgoing, 0o755);
    ({ checks } = await asteriskChecks());
    assert.is(check(checks, 'outgoing').status, 'fail');
    assert.match(check(checks, 'outgoing').detail, 'is not writable by asterisk');
  } finally {
    writeFileSync(fax.config, text);
    chownSync(outgoing, asterisk!.uid, asterisk!.gid);
  }
});

test.run();
