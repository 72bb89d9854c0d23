/* The README's production install: scripts/install.sh into a temp root, then the wrappers work. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers/paths.js';

const root = mkdtempSync(join(tmpdir(), 'faxmail-install-'));
const env = {
  ...process.env,
  PREFIX: join(root, 'opt'),
  BINDIR: join(root, 'bin'),
  ETCDIR: join(root, 'etc'),
  SPOOL: join(root, 'spool'),
  ASTERISK_TMP: join(root, 'outgoing-tmp'),
  LOGDIR: join(root, 'log'),
  ASTERISK_USER: 'root',
  SYSTEMD_DIR: join(root, 'systemd'),
  CRON_DIR: join(root, 'cron.d'),
  TIMER: 'systemd',
};

test('install.sh installs wrappers, a config and the spool', () => {
  execFileSync('bash', [join(repoRoot, 'scripts/install.sh')], { env, stdio: 'pipe', timeout: 180_000 });
  for (const cmd of ['sendfax', 'faxmail-notify', 'faxmail']) {
    assert.ok((statSync(join(root, 'bin', cmd)).mode & 0o111) !== 0, `${cmd} executable`);
  }
  const out = execFileSync(join(root, 'bin', 'sendfax'), ['--version'], { encoding: 'utf8' });
  assert.match(out, /^sendfax \d+\.\d+\.\d+/);
  const toml = readFileSync(join(root, 'etc', 'faxmail.toml'), 'utf8');
  assert.match(toml, `spool = "${join(root, 'spool')}"`);
  assert.is(statSync(join(root, 'spool')).mode & 0o777, 0o750);
  assert.not.ok(existsSync(join(root, 'opt', 'dist', 'test')), 'tests are not installed');
  assert.ok(existsSync(join(root, 'opt', 'lib', 'notify', 'templates', 'success.en.txt')), 'templates installed');
  // The queue timer: `faxmail run` every 30 s as the Asterisk user, with the installed config.
  const unit = readFileSync(join(root, 'systemd', 'faxmail-run.service'), 'utf8');
  assert.match(unit, `ExecStart=${join(root, 'bin', 'faxmail')} run`);
  assert.match(unit, `Environment=FAXMAIL_CONFIG=${join(root, 'etc', 'faxmail.toml')}`);
  assert.match(unit, /^User=root$/m);
  assert.not.match(unit, /@[A-Z_]+@/);
  assert.match(readFileSync(join(root, 'systemd', 'faxmail-run.timer'), 'utf8'), /^OnUnitActiveSec=30s$/m);
});

test('without systemd the timer is a cron.d line running faxmail run twice a minute', () => {
  execFileSync('bash', [join(repoRoot, 'scripts/install.sh')], { env: { ...env, TIMER: 'cron' }, stdio: 'pipe', timeout: 180_000 });
  const cron = readFileSync(join(root, 'cron.d', 'faxmail'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  assert.is(cron.length, 1);
  assert.match(cron[0]!, /^\* \* \* \* \* root /);
  assert.is(cron[0]!.split(`${join(root, 'bin', 'faxmail')} run`).length - 1, 2);
  assert.match(cron[0]!, 'sleep 30');
});

test('the installed faxmail checks the installed config (with outgoing pointed at a real dir)', () => {
  const file = join(root, 'etc', 'faxmail.toml');
  const toml = readFileSync(file, 'utf8').replace(/^outgoing = .*$/m, `outgoing = "${join(root, 'spool')}"`);
  writeFileSync(file, toml);
  const r = spawnSync(join(root, 'bin', 'faxmail'), ['check-config', `--config=${file}`], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'OK');
});

test('a second install keeps the admin config', () => {
  const file = join(root, 'etc', 'faxmail.toml');
  writeFileSync(file, readFileSync(file, 'utf8') + '\n# edited by the admin\n');
  execFileSync('bash', [join(repoRoot, 'scripts/install.sh')], { env, stdio: 'pipe', timeout: 180_000 });
  assert.match(readFileSync(file, 'utf8'), '# edited by the admin');
});

test.run();
