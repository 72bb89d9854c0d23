/*
 * Root-safe commands: a matrix of faxmail, sendfax and faxmail-notify runs, each started as root and as the
 * asterisk user on one installation owned by asterisk, leaves every file in the spool, the log, the mail
 * directory, tmp and outgoing owned by asterisk. Root without a spool is refused with a sentence saying
 * how to create it; a user who may not read the spool gets the path and the fix (exit 77).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { binPath } from '../helpers/paths.js';
import { installDirs, installPaths, renderTestConfig, sendfaxSections } from '../helpers/test-config.js';
import { lookupUser } from '../../lib/accounts.js';
import { ensureAsteriskUser } from '../helpers/asterisk-bed.js';
import { sampleMail } from '../../lib/admin/doctor.js';

// The asterisk user, created as README says when missing (as the Asterisk test bed does).
ensureAsteriskUser();
const asterisk = lookupUser('asterisk');
const nobody = lookupUser('nobody');
const root = mkdtempSync(join(tmpdir(), 'faxmail-rootsafe-'));
chmodSync(root, 0o755);
const inst = installPaths(root);
const logDir = join(root, 'log');
const log = join(logDir, 'faxmail.log');

test.before(() => {
  if (!asterisk) throw new Error('this test needs the asterisk user (scripts/build-asterisk.sh creates it)');
  for (const d of [...installDirs(inst), logDir]) {
    mkdirSync(d, { recursive: true });
    chownSync(d, asterisk.uid, asterisk.gid);
    chmodSync(d, 0o750);
  }
  const text = renderTestConfig(
    { ...inst, log },
    {
      callfile: { owner: 'asterisk', group: 'asterisk' },
      sections: sendfaxSections(inst, {
        fax: '',
        numbers: 'allow = ["^0[1-9][0-9]{5,13}$"]',
        senders: 'allow = ["@example.org"]',
      }),
    },
  );
  writeFileSync(
    inst.configPath,
    text.replace('[notify]\n', '[notify]\nadmin = "admin@example.org"\n') +
      '\n[retention]\nsent_days = 0\nreceived_days = 0\n',
  );
  chmodSync(inst.configPath, 0o644);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

type Who = 'root' | 'asterisk';
async function as(who: Who, program: 'faxmail' | 'sendfax' | 'faxmail-notify', args: string[], input?: string) {
  const user = who === 'asterisk' ? asterisk! : undefined;
  return execa(process.execPath, [binPath(program), ...args, '--config', inst.configPath], {
    reject: false,
    ...(input !== undefined ? { input } : { stdin: 'ignore' as const }),
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    env: { FAXMAIL_CONFIG: '', HOME: '/' },
  });
}

function ownersBelow(dirs: string[]): string[] {
  const bad: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.uid !== asterisk!.uid) bad.push(`${p} (uid ${st.uid})`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  for (const d of dirs) walk(d);
  return bad;
}

const jobOf = (stdout: string) => /Fax job (\S+) queued/.exec(stdout)?.[1] ?? '';

test('every command, as root and as asterisk, leaves only asterisk-owned files', async () => {
  const ran: string[] = [];
  const expect = async (
    who: Who,
    program: 'faxmail' | 'sendfax' | 'faxmail-notify',
    args: string[],
    status: number,
    input?: string,
  ) => {
    const r = await as(who, program, args, input);
    ran.push(`${who}: ${program} ${args.join(' ')}`);
    assert.is(r.exitCode, status, `${who}: ${program} ${args.join(' ')} -> ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  // A new spool, first touched by root: the case that used to leave spool/locks/ and the log root-owned.
  for (const who of ['root', 'asterisk'] as const) {
    await expect(who, 'faxmail', ['flush'], 0);
    await expect(who, 'faxmail', ['status'], 0);
    await expect(who, 'faxmail', ['status', '--json'], 0);
    await expect(who, 'faxmail', ['check-config'], 0);
    await expect(who, 'faxmail', ['config', '-n'], 0);
    await expect(who, 'faxmail', ['cleanup', '--dry-run'], 0);
    await expect(who, 'faxmail-notify', ['flush'], 0);
  }
  const mail = sampleMail('alice@example.org', 'fax+0312345678@fax.example.com');
  const envelope = [
    '--sender',
    'alice@example.org',
    '--recipient',
    'fax+0312345678@fax.example.com',
    '--extension',
    '0312345678',
  ];
  const a = jobOf((await expect('root', 'sendfax', envelope, 0, mail)).stdout);
  const b = jobOf((await expect('asterisk', 'sendfax', envelope, 0, mail)).stdout);
  assert.ok(a && b, 'two jobs queued');
  await expect('root', 'sendfax', [...envelope, '--dry-run'], 0, mail);
  await expect('asterisk', 'sendfax', [...envelope, '--dry-run'], 0, mail);
  await expect('root', 'faxmail', ['show', a], 0);
  await expect('asterisk', 'faxmail', ['show', b, '--json'], 0);
  // Busy: a retry call file is written by root-started faxmail-notify, and b still waits for the line.
  await expect('root', 'faxmail-notify', ['unanswered', '--job', a, '--attempt', '1', '--reason', '5'], 0);
  await expect('asterisk', 'faxmail', ['cancel', b], 0);
  await expect('root', 'faxmail', ['cancel', a], 0);
  await expect('root', 'faxmail-notify', ['flush'], 0);
  await expect('root', 'faxmail', ['cleanup'], 0);
  await expect('asterisk', 'faxmail', ['cleanup'], 0);
  const bad = ownersBelow([inst.spool, inst.outgoing, inst.tmp, inst.mailDir, logDir]);
  assert.equal(bad, [], `not owned by asterisk after:\n${ran.join('\n')}`);
  assert.ok(readdirSync(join(inst.spool)).includes('locks'), 'the spool was used');
  assert.ok(lstatSync(log).size > 0, 'the log was written');
});

test('as root without a spool: refused with a sentence saying how to create it', async () => {
  const other = join(root, 'other.toml');
  writeFileSync(
    other,
    `[paths]\nspool = "${root}/missing-spool"\noutgoing = "${inst.outgoing}"\ntmp = "${inst.tmp}"\nlog = "-"\n`,
  );
  for (const cmd of [['status'], ['flush']]) {
    const r = await execa(process.execPath, [binPath('faxmail'), ...cmd, '--config', other], {
      reject: false,
      stdin: 'ignore',
    });
    assert.is(r.exitCode, 78, r.stderr);
    assert.match(r.stderr, /missing-spool/);
    assert.match(r.stderr, /paths\.spool/);
  }
  const n = await execa(process.execPath, [binPath('faxmail-notify'), 'flush', '--config', other], {
    reject: false,
    stdin: 'ignore',
  });
  assert.is(n.exitCode, 78);
  assert.match(n.stderr, 'make install');
});

test('a user who may not read the spool gets the path and the fix, exit 77', async () => {
  if (!nobody) return;
  const r = await execa(process.execPath, [binPath('faxmail'), 'status', '--config', inst.configPath], {
    reject: false,
    stdin: 'ignore',
    uid: nobody.uid,
    gid: nobody.gid,
    env: { HOME: '/' },
  });
  assert.is(r.exitCode, 77, r.stderr);
  assert.match(r.stderr, inst.spool);
  assert.match(r.stderr, /run it as root .* or as asterisk, e\.g\. sudo -u asterisk faxmail/);
  assert.not.match(r.stderr, /^\{/m, 'no raw JSON log line');
});

test.run();
