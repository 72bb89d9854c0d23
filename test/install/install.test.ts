/*
 * The README's production install: scripts/install.sh into a temp root (contract 1's layout): the two
 * programs Postfix and Asterisk run in LIBEXECDIR, only `faxmail` in BINDIR, every directory faxmail and
 * Asterisk write created and owned by the Asterisk user (here `nobody`), a config that checks out at once,
 * and wrappers that user can run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { installFaxmail, type InstalledFaxmail } from '../helpers/installed.js';
import { repoRoot } from '../helpers/paths.js';
import { spoolDirs, spoolPaths } from '../../lib/spool/jobs.js';

const nobody = {
  uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })),
  gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })),
};
let inst: InstalledFaxmail;

test('install.sh: sendfax and faxmail-notify in libexec, faxmail in bin, config written once', () => {
  inst = installFaxmail({ user: 'nobody' });
  for (const p of [inst.sendfax, inst.faxmailNotify, inst.faxmail])
    assert.ok((statSync(p).mode & 0o111) !== 0, `${p} executable`);
  assert.is(inst.sendfax, join(inst.libexecdir, 'sendfax'));
  assert.not.ok(existsSync(join(inst.bindir, 'sendfax')), 'sendfax is not on the admin PATH');
  assert.not.ok(existsSync(join(inst.bindir, 'faxmail-notify')));
  assert.match(
    readFileSync(inst.sendfax, 'utf8'),
    new RegExp(`exec "${process.execPath}" "${inst.prefix}/dist/bundle/sendfax.mjs" "\\$@"`),
  );
  const toml = readFileSync(inst.configPath, 'utf8');
  assert.match(toml, `spool = "${inst.spool}"`);
  assert.match(toml, `outgoing = "${inst.outgoing}"`);
  assert.match(toml, `tmp = "${inst.asteriskTmp}"`);
  assert.match(toml, 'owner = "nobody"');
  assert.not.ok(existsSync(join(inst.prefix, 'dist', 'test')), 'tests are not installed');
  assert.ok(existsSync(join(inst.prefix, 'lib', 'mail', 'templates', 'success.en.txt')), 'templates installed');
  assert.ok(
    readFileSync(join(inst.prefix, 'asterisk', 'extensions_faxmail.conf')).equals(
      readFileSync(join(repoRoot, 'asterisk', 'extensions_faxmail.conf')),
    ),
    'the dialplan template, unchanged',
  );
});

test('every directory faxmail and Asterisk write exists, owned by the Asterisk user, before anything ran', () => {
  for (const d of [...spoolDirs(spoolPaths(inst.spool)), inst.spool, inst.outgoing, inst.asteriskTmp, inst.logdir]) {
    const st = statSync(d);
    assert.ok(st.isDirectory(), d);
    assert.is(st.uid, nobody.uid, `${d} owner`);
    assert.is(st.mode & 0o777, 0o750, `${d} mode`);
  }
});

test('the Asterisk user runs the wrappers, and the installed config checks out as it is', () => {
  const v = spawnSync(inst.sendfax, ['--version'], { encoding: 'utf8', uid: nobody.uid, gid: nobody.gid, cwd: '/' });
  assert.is(v.status, 0, v.stderr);
  assert.match(v.stdout, /^sendfax \d+\.\d+\.\d+/);
  const r = spawnSync(inst.faxmail, ['check-config', `--config=${inst.configPath}`], {
    encoding: 'utf8',
    uid: nobody.uid,
    gid: nobody.gid,
    cwd: '/',
  });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'OK');
});

test('man pages, bash completion and a logrotate file that creates files as the Asterisk user are installed', () => {
  for (const page of ['man8/faxmail.8', 'man8/sendfax.8', 'man8/faxmail-notify.8', 'man5/faxmail.toml.5']) {
    const out = execFileSync('man', ['-l', join(inst.mandir, page)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.match(out, /NAME/, page);
  }
  assert.match(readFileSync(join(inst.completiondir, 'faxmail'), 'utf8'), 'complete -F _faxmail faxmail');
  const rotate = readFileSync(join(inst.logrotatedir, 'faxmail'), 'utf8');
  assert.match(rotate, `${inst.logdir}/*.log {`);
  assert.match(rotate, /^\s+su nobody nogroup$/m);
  assert.match(rotate, /^\s+create 0640 nobody nogroup$/m);
  if (existsSync('/usr/sbin/logrotate')) {
    const r = spawnSync(
      '/usr/sbin/logrotate',
      ['-d', '-s', join(inst.root, 'logrotate.state'), join(inst.logrotatedir, 'faxmail')],
      { encoding: 'utf8' },
    );
    assert.is(r.status, 0, r.stderr);
    assert.not.match(r.stderr, /error/i);
  }
});

test('the queue timer: faxmail run every 30 s as the Asterisk user, with the installed config', () => {
  const unit = readFileSync(join(inst.systemdDir, 'faxmail-run.service'), 'utf8');
  assert.match(unit, `ExecStart=${inst.faxmail} run`);
  assert.match(unit, `Environment=FAXMAIL_CONFIG=${inst.configPath}`);
  assert.match(unit, /^User=nobody$/m);
  assert.match(unit, /^Group=nogroup$/m);
  assert.not.match(unit, /@[A-Z_]+@/);
  assert.match(readFileSync(join(inst.systemdDir, 'faxmail-run.timer'), 'utf8'), /^OnUnitActiveSec=30s$/m);
  if (existsSync('/usr/bin/systemd-analyze')) {
    const r = spawnSync(
      '/usr/bin/systemd-analyze',
      ['verify', join(inst.systemdDir, 'faxmail-run.timer'), join(inst.systemdDir, 'faxmail-run.service')],
      { encoding: 'utf8' },
    );
    // (A test install runs it as `nobody`, which systemd rightly calls unsafe; the Asterisk user is not.)
    const problems = r.stderr
      .split('\n')
      .filter((l) => /faxmail-run\.(service|timer):\d+:/.test(l) && !/Special user nobody/.test(l));
    assert.equal(problems, [], r.stderr);
  }
});

test('without systemd the timer is a cron.d line running faxmail run twice a minute', () => {
  installFaxmail({ root: inst.root, user: 'nobody', timer: 'cron' });
  const cron = readFileSync(join(inst.cronDir, 'faxmail'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  assert.is(cron.length, 1);
  assert.match(cron[0]!, /^\* \* \* \* \* nobody /);
  assert.is(cron[0]!.split(`${inst.faxmail} run`).length - 1, 2);
  assert.match(cron[0]!, 'sleep 30');
});

test('faxmail send for send.group: faxmail-submit takes no arguments; the sudo rule passes visudo and names it', () => {
  const submit = readFileSync(inst.faxmailSubmit, 'utf8');
  assert.match(
    submit,
    `exec "${process.execPath}" "${inst.prefix}/dist/bin/faxmail.js" submit --config "${inst.configPath}"`,
  );
  const r = spawnSync(inst.faxmailSubmit, ['--config', '/tmp/mine.toml'], {
    encoding: 'utf8',
    uid: nobody.uid,
    gid: nobody.gid,
    cwd: '/',
  });
  assert.is(r.status, 64, 'an argument is refused before node starts');
  assert.match(r.stderr, /takes no arguments/);
  assert.match(
    readFileSync(inst.faxmail, 'utf8'),
    `FAXMAIL_CONFIG=\${FAXMAIL_CONFIG:-'${inst.configPath}'} FAXMAIL_SUBMIT='${inst.faxmailSubmit}' ` +
      `FAXMAIL_SUBMIT_USER='nobody'`,
  );
  // The installed faxmail finds its own configuration; FAXMAIL_CONFIG still wins.
  const own = spawnSync(inst.faxmail, ['config', 'paths.spool'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  assert.match(own.stdout, `paths.spool = "${inst.spool}"`, own.stderr);
  const other = spawnSync(inst.faxmail, ['config', 'paths.spool'], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', FAXMAIL_CONFIG: '/nonexistent.toml' },
  });
  assert.match(other.stderr, '/nonexistent.toml');
  const rule = join(inst.sudoersdir, 'faxmail');
  assert.is(statSync(rule).mode & 0o777, 0o440);
  assert.match(
    readFileSync(rule, 'utf8'),
    new RegExp(`^ALL ALL=\\(nobody\\) NOPASSWD: ${inst.faxmailSubmit} ""$`, 'm'),
  );
  if (existsSync('/usr/sbin/visudo'))
    assert.is(spawnSync('/usr/sbin/visudo', ['-cqf', rule]).status, 0, 'visudo -c accepts the rule');
});

test('a second install keeps the admin config', () => {
  writeFileSync(inst.configPath, readFileSync(inst.configPath, 'utf8') + '\n# edited by the admin\n');
  installFaxmail({ root: inst.root, user: 'nobody' });
  assert.match(readFileSync(inst.configPath, 'utf8'), '# edited by the admin');
});

test.after(() => {
  if (inst && !process.env['FAXMAIL_E2E_KEEP']) rmSync(inst.root, { recursive: true, force: true });
});

test.run();
