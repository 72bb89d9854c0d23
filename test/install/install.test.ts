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
  MANDIR: join(root, 'man'),
  COMPLETIONDIR: join(root, 'completion'),
  LOGROTATEDIR: join(root, 'logrotate.d'),
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
});

test('man pages, bash completion and a logrotate file that creates files as the Asterisk user are installed', () => {
  for (const page of ['man8/faxmail.8', 'man8/sendfax.8', 'man8/faxmail-notify.8', 'man5/faxmail.toml.5']) {
    const out = execFileSync('man', ['-l', join(root, 'man', page)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out, /NAME/, page);
  }
  assert.match(readFileSync(join(root, 'completion', 'faxmail'), 'utf8'), 'complete -F _faxmail faxmail');
  const rotate = readFileSync(join(root, 'logrotate.d', 'faxmail'), 'utf8');
  assert.match(rotate, `${join(root, 'log')}/*.log {`);
  assert.match(rotate, /^\s+su root root$/m);
  assert.match(rotate, /^\s+create 0640 root root$/m);
  if (existsSync('/usr/sbin/logrotate')) {
    const r = spawnSync('/usr/sbin/logrotate', ['-d', '-s', join(root, 'logrotate.state'), join(root, 'logrotate.d', 'faxmail')], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.not.match(r.stderr, /error/i);
  }
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
