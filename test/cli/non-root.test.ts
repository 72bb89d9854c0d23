/*
 * The commands run by a user who is not root, with no switch of users involved: the installed faxmail and
 * sendfax (scripts/install.sh, as an admin gets them) run as `nobody` on a spool `nobody` owns. status,
 * list, show, sendfax --dry-run and a real sendfax run work and leave their files owned by that user.
 * Another unprivileged user (`daemon`), who may not read that spool, gets a sentence naming the spool and
 * the fix and exit 77 (EX_NOPERM, lib/sysexits.ts), never a stack trace; its sendfax leaves the mail with
 * Postfix (75) and writes nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { installedProgram } from '../helpers/installed.js';
import { installDirs, installPaths, renderTestConfig, sendfaxSections } from '../helpers/test-config.js';
import { lookupUser } from '../../lib/accounts.js';
import { sampleMail } from '../../lib/admin/doctor.js';

const owner = lookupUser('nobody');
const other = lookupUser('daemon');
const root = mkdtempSync(join(tmpdir(), 'faxmail-nonroot-'));
chmodSync(root, 0o755);
const inst = installPaths(root);
const envelope = ['--sender', 'alice@example.org', '--recipient', 'fax+0312345678@fax.example.com'];
const mail = sampleMail('alice@example.org', 'fax+0312345678@fax.example.com');

test.before(() => {
  if (!owner || !other) throw new Error('this test needs the users nobody and daemon (Debian has both)');
  for (const d of installDirs(inst)) {
    mkdirSync(d, { recursive: true });
    chownSync(d, owner.uid, owner.gid);
    chmodSync(d, 0o750);
  }
  writeFileSync(
    inst.configPath,
    renderTestConfig(
      { ...inst, log: join(inst.spool, 'faxmail.log') },
      {
        callfile: { owner: 'nobody', group: 'nogroup' },
        sections: sendfaxSections(inst, {
          fax: '',
          numbers: 'allow = ["^0[1-9][0-9]{5,13}$"]',
          senders: 'allow = ["@example.org"]',
        }),
      },
    ),
  );
  chmodSync(inst.configPath, 0o644);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

/** Run an installed program as `user` (never root: the point of this file). */
function run(user: { uid: number; gid: number }, program: 'faxmail' | 'sendfax', args: string[], input?: string) {
  assert.is.not(user.uid, 0);
  return execa(installedProgram()[program], [...args, '--config', inst.configPath], {
    reject: false,
    ...(input !== undefined ? { input } : { stdin: 'ignore' as const }),
    uid: user.uid,
    gid: user.gid,
    env: { HOME: '/', FAXMAIL_CONFIG: '' },
    extendEnv: false,
  });
}

const NO_TRACE = /^\s+at\s|Error:|\{"/m;

test('the spool owner, not root: status, sendfax --dry-run, sendfax, list and show work', async () => {
  const o = owner!;
  const status = await run(o, 'faxmail', ['status']);
  assert.is(status.exitCode, 0, status.stdout + status.stderr);
  const dry = await run(o, 'sendfax', [...envelope, '--dry-run'], mail);
  assert.is(dry.exitCode, 0, dry.stdout + dry.stderr);
  assert.is(readdirSync(inst.outgoing).length, 0, 'a dry run drops no call file');
  const sent = await run(o, 'sendfax', envelope, mail);
  assert.is(sent.exitCode, 0, sent.stdout + sent.stderr);
  const id = /Fax job (\S+) queued/.exec(sent.stdout)?.[1];
  assert.ok(id, sent.stdout);
  assert.equal(readdirSync(inst.outgoing), [`faxmail-${id}-1.call`]);
  const list = await run(o, 'faxmail', ['list']);
  assert.is(list.exitCode, 0, list.stderr);
  assert.match(list.stdout, id!);
  const show = await run(o, 'faxmail', ['show', id!]);
  assert.is(show.exitCode, 0, show.stderr);
  assert.match(show.stdout, '0312345678');
  // everything the runs wrote belongs to the user who ran them
  const foreign: string[] = [];
  const walk = (p: string): void => {
    if (lstatSync(p).uid !== o.uid) foreign.push(p);
    if (lstatSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  for (const d of [inst.spool, inst.outgoing, inst.tmp, inst.mailDir]) walk(d);
  assert.equal(foreign, []);
});

test('another user who may not read the spool: a sentence with the spool and the fix, exit 77, no trace', async () => {
  for (const args of [['status'], ['list'], ['show', 'anything']]) {
    const r = await run(other!, 'faxmail', args);
    assert.is(r.exitCode, 77, `faxmail ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, inst.spool);
    assert.match(r.stderr, /as nobody, e\.g\. sudo -u nobody faxmail/);
    assert.not.match(r.stderr, NO_TRACE, 'no stack trace, no raw log line');
  }
});

test("another user's sendfax leaves the mail with Postfix (75) and writes nothing", async () => {
  const before = readdirSync(inst.outgoing).sort();
  const r = await run(other!, 'sendfax', envelope, mail);
  assert.is(r.exitCode, 75, r.stdout + r.stderr);
  assert.match(r.stdout, /^4\.\d\.\d /);
  assert.not.match(r.stdout + r.stderr, NO_TRACE, 'no stack trace, no raw log line');
  assert.equal(readdirSync(inst.outgoing).sort(), before);
});

test.run();
