/*
 * One parser and one help/version behaviour for all three commands (lib/cli/parser.ts from lib/cli/spec.ts):
 * -h, --help and --version everywhere, subcommand help, unknown options refused, values taken verbatim.
 * Checked on the built programs as Postfix, Asterisk and the admin run them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { binPath } from '../helpers/paths.js';
import { parseCommandLine } from '../../lib/cli/parser.js';
import { FAXMAIL, FAXMAIL_NOTIFY, SENDFAX, PROGRAMS, VERSION } from '../../lib/cli/spec.js';

const bins = ['faxmail', 'sendfax', 'faxmail-notify'] as const;
const runBin = (name: (typeof bins)[number], ...args: string[]) =>
  execa(process.execPath, [binPath(name), ...args], {
    reject: false,
    stdin: 'ignore',
    env: { FAXMAIL_CONFIG: '/nonexistent/faxmail.toml' },
  });

test('-h, --help and --version exit 0 on every program, before any config is read', async () => {
  for (const name of bins) {
    for (const flag of ['-h', '--help']) {
      const r = await runBin(name, flag);
      assert.is(r.exitCode, 0, `${name} ${flag}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, name);
      assert.match(r.stdout, '--version');
      assert.is(r.stderr, '');
    }
    const v = await runBin(name, '--version');
    assert.is(v.exitCode, 0, `${name} --version`);
    assert.is(v.stdout.trim(), `${name} ${VERSION}`);
  }
});

test('help lists every subcommand and option of the spec; a subcommand has its own help', async () => {
  const top = (await runBin('faxmail', '--help')).stdout;
  for (const c of FAXMAIL.commands) assert.ok(top.includes(`faxmail ${c.name}`), c.name);
  const cleanup = await runBin('faxmail', 'cleanup', '--help');
  assert.is(cleanup.exitCode, 0);
  assert.match(cleanup.stdout, '--dry-run');
  assert.match(cleanup.stdout, '--json');
  assert.match(cleanup.stdout, 'retention.sent_days');
  const sent = await runBin('faxmail-notify', 'sent', '-h');
  for (const o of FAXMAIL_NOTIFY.commands.find((c) => c.name === 'sent')!.options)
    assert.ok(sent.stdout.includes(`--${o.name}`), o.name);
  const sendfax = (await runBin('sendfax', '--help')).stdout;
  for (const o of SENDFAX.options) assert.ok(sendfax.includes(`--${o.name}`), o.name);
});

test('wrong arguments: 64 for the admin, 75 with 4.3.5 for Postfix, 64 for the dialplan', async () => {
  const a = await runBin('faxmail');
  assert.is(a.exitCode, 64);
  assert.match(a.stderr, 'Name a command');
  const b = await runBin('faxmail', 'status', '--bogus');
  assert.is(b.exitCode, 64);
  assert.match(b.stderr, 'bogus');
  const c = await runBin('sendfax', '--sender', 'a@example.com');
  assert.is(c.exitCode, 75);
  assert.match(
    c.stdout,
    /^4\.3\.5 sendfax was called with wrong arguments \(Missing --recipient\.\); check master\.cf/,
  );
  const d = await runBin('faxmail-notify', 'sent', '--job', 'x');
  assert.is(d.exitCode, 64);
  assert.match(d.stderr, /Missing --attempt, --status, .* for "sent"/);
  const e = await runBin('sendfax', '--sender', 'a@b.c', '--recipient', 'fax+1@b.c', '--save-tiff', '/tmp/x.tif');
  assert.is(e.exitCode, 75);
  assert.match(e.stdout, 'only goes with --dry-run');
});

test('values are taken as they are: empty, dash-led, with = or as the next argument', () => {
  const p = parseCommandLine(FAXMAIL_NOTIFY, [
    'received',
    '--id',
    'i',
    '--did',
    '',
    '--caller-num',
    '-5',
    '--caller-name=--job',
    '--remote-id',
    '-x',
    '--status',
    'FAILED',
    '--error',
    '',
    '--pages',
    '0',
    '--rate',
    '',
    '--resolution',
    '',
  ]);
  assert.is(p.kind, 'run');
  if (p.kind !== 'run') return;
  assert.is(p.values['did'], '');
  assert.is(p.values['caller-num'], '-5');
  assert.is(p.values['caller-name'], '--job');
  assert.is(p.values['remote-id'], '-x');
  assert.is(p.values['pages'], '0', 'numbers stay strings');
  assert.throws(() => parseCommandLine(FAXMAIL_NOTIFY, ['flush', '--config', 'a', '--config', 'b']), /given twice/);
  assert.throws(() => parseCommandLine(FAXMAIL, ['status', '--a.b', 'x']), /Unknown/);
  const s = parseCommandLine(FAXMAIL, ['show', '20261123-101500-0123456789ab', '--json']);
  assert.equal(s.kind === 'run' ? [s.command, s.positionals, s.values['json']] : [], [
    'show',
    ['20261123-101500-0123456789ab'],
    true,
  ]);
  const c = parseCommandLine(FAXMAIL, ['config', '-n', 'fax', 'retry.busy']);
  assert.equal(c.kind === 'run' ? [c.values['non-default'], c.positionals] : [], [true, ['fax', 'retry.busy']]);
});

test('every program declares -h/--help, --version and --config', () => {
  for (const p of PROGRAMS) {
    for (const n of ['help', 'version', 'config'])
      assert.ok(
        p.options.some((o) => o.name === n),
        `${p.name} --${n}`,
      );
  }
});

test.run();
