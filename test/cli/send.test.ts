/*
 * `faxmail send` from the shell, without a phone line (the real Asterisk runs it in test/asterisk/send.test.ts):
 * faxmail installed by scripts/install.sh into a temp root, its spool owned by the asterisk user.
 *   - root faxes a file only root may read (opened before the root-safe switch), with a cover page: the job,
 *     the call file, the cover's text (pdftotext), the fax pages, and every file owned by asterisk;
 *   - the receipt address: send.notify_domain, --notify;
 *   - refusals with their sentence and exit status, and nothing left in the spool: a bad number (67), a refused
 *     number (77), a missing file and one the user may not read (66), a file that is not a document (65), a
 *     user who is neither root, the owner nor in send.group (77), with and without a sudo rule to try.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { installFaxmail, type InstalledFaxmail } from '../helpers/installed.js';
import { ensureAsteriskUser } from '../helpers/asterisk-bed.js';
import { makePdf, encodePlainZip } from '../helpers/documents.js';
import { readTiffPages } from '../linesim/tiffinfo.js';
import { runInSudoNamespace } from '../helpers/sudo-namespace.js';
import { lookupUser } from '../../lib/accounts.js';
import type { Job } from '../../lib/spool/types.js';

const asterisk = ensureAsteriskUser();
const nobody = lookupUser('nobody')!;
let inst: InstalledFaxmail;
const work = mkdtempSync(join(tmpdir(), 'faxmail-send-'));
let rootOnly: string;

function config(extra = ''): string {
  return [
    `[paths]\nspool = "${inst.spool}"\noutgoing = "${inst.outgoing}"\ntmp = "${inst.asteriskTmp}"\nlog = ` +
      `"${inst.logdir}/faxmail.log"`,
    `[callfile]\nowner = "asterisk"\ngroup = "asterisk"\nchannel = "PJSIP/{number}@trunk"`,
    '[numbers]\nallow = ["^0[1-9][0-9]{5,13}$"]\ndeny = ["^0990"]',
    '[senders]\nallow = ["@example.org"]',
    `[mail]\ntransport = "directory"\ndirectory = "${join(inst.root, 'mail')}"`,
    '[notify]\nfrom = "faxmail@fax.example.com"',
    extra,
  ].join('\n\n');
}

function writeConfig(extra = '', mode = 0o640): void {
  writeFileSync(inst.configPath, `${config(extra)}\n`);
  chmodSync(inst.configPath, mode);
}

/** The installed faxmail, as root or as another user (with its own groups). */
function run(args: string[], as?: { uid: number; gid: number }) {
  return execa(inst.faxmail, ['send', ...args], {
    reject: false,
    stdin: 'ignore',
    cwd: '/',
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', FAXMAIL_CONFIG: inst.configPath },
    extendEnv: false,
    ...(as ? { uid: as.uid, gid: as.gid } : {}),
  });
}

const jobs = (): string[] => readdirSync(join(inst.spool, 'jobs'));
const readJob = (id: string): Job => JSON.parse(readFileSync(join(inst.spool, 'jobs', id, 'job.json'), 'utf8')) as Job;
const jobOf = (stdout: string): string => /^job (\S+) queued: /m.exec(stdout)?.[1] ?? '';

test.before(() => {
  inst = installFaxmail({ user: 'asterisk' });
  mkdirSync(join(inst.root, 'mail'), { recursive: true });
  chownSync(join(inst.root, 'mail'), asterisk.uid, asterisk.gid);
  writeConfig('[send]\nnotify_domain = "fax.example.org"');
  // A 2-page PDF in a directory only root may enter: readable only before the switch to asterisk.
  const secret = join(work, 'root-only');
  mkdirSync(secret, { mode: 0o700 });
  rootOnly = join(secret, 'Contract 2026.pdf');
  copyFileSync(makePdf({ pages: 2, title: 'contract' }), rootOnly);
  chmodSync(rootOnly, 0o600);
});

test.after(() => {
  if (!process.env['FAXMAIL_E2E_KEEP']) {
    rmSync(inst.root, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
});

test(
  'root faxes a file only root can read, with a cover page; the job, the call file and every file belong ' +
    'to asterisk',
  async () => {
    const r = await run([
      '--cover',
      '--to',
      'Dr. Tanaka',
      '--subject',
      'Contract',
      '--note',
      'Two pages follow. Please sign page 2.',
      '--resolution',
      'standard',
      '03-1234-5678',
      rootOnly,
    ]);
    assert.is(r.exitCode, 0, r.stdout + r.stderr);
    const id = jobOf(r.stdout);
    assert.match(r.stdout, new RegExp(`^job ${id} queued: 3 pages to 0312345678$`, 'm'));
    const job = readJob(id);
    assert.is(job.state, 'dialling');
    assert.is(job.submittedBy, 'root');
    assert.is(job.replyTo, 'root@fax.example.org', 'send.notify_domain');
    assert.is(job.envelopeSender, '');
    assert.is(job.subject, 'Contract');
    assert.is(job.resolution, 'standard');
    assert.equal(
      job.documents.map((d) => [d.name, d.kind, d.pages]),
      [
        ['cover page', 'cover', 1],
        ['Contract 2026.pdf', 'pdf', 2],
      ],
    );
    const dir = join(inst.spool, 'jobs', id);
    const pages = await readTiffPages(join(dir, 'fax.tif'));
    assert.equal(
      pages.map((p) => [p.width, p.resolution]),
      [
        [1728, '204x98'],
        [1728, '204x98'],
        [1728, '204x98'],
      ],
    );
    const cover = execFileSync('pdftotext', ['-raw', join(dir, 'docs', '00-cover.pdf'), '-'], {
      encoding: 'utf8',
    }).replace(/\s+/g, ' ');
    for (const want of [
      'To Dr. Tanaka',
      'Fax number 0312345678',
      'From root <root@fax.example.org>',
      'Pages 3 (including this page)',
      'Subject Contract',
      'Two pages follow. Please sign page 2.',
    ])
      assert.match(cover, want);
    assert.ok(readdirSync(inst.outgoing).includes(`faxmail-${id}-1.call`), 'the call file went to Asterisk');
    const notAsterisk: string[] = [];
    const walk = (p: string): void => {
      if (lstatSync(p).uid !== asterisk.uid) notAsterisk.push(p);
      if (lstatSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    };
    for (const d of [inst.spool, inst.outgoing, inst.logdir]) walk(d);
    assert.equal(notAsterisk, []);
    // The log has the job with who sent it from the shell.
    assert.match(
      readFileSync(join(inst.logdir, 'faxmail.log'), 'utf8'),
      new RegExp(`"job":"${id}".*"via":"faxmail send","user":"root"`),
    );
    // faxmail show names who sent it from the shell.
    const shown = await execa(inst.faxmail, ['show', id], {
      reject: false,
      env: { PATH: '/usr/bin:/bin', FAXMAIL_CONFIG: inst.configPath },
      extendEnv: false,
    });
    assert.match(
      shown.stdout,
      /^ {2}from: {6}root <root@fax\.example\.org> \(faxmail send by root\)$/m,
      shown.stdout + shown.stderr,
    );
  },
);

test('--notify names the receipt address; several files are one fax in the order given', async () => {
  const one = makePdf({ pages: 1, title: 'one' });
  const r = await run(['--notify', 'alice@example.org', '0312345679', one, rootOnly]);
  assert.is(r.exitCode, 0, r.stdout + r.stderr);
  const job = readJob(jobOf(r.stdout));
  assert.is(job.replyTo, 'alice@example.org');
  assert.is(job.pages, 3);
  assert.equal(
    job.documents.map((d) => d.pages),
    [1, 2],
  );
});

async function refused(
  args: string[],
  status: number,
  sentence: RegExp,
  as?: { uid: number; gid: number },
): Promise<void> {
  const before = jobs().sort();
  const calls = readdirSync(inst.outgoing).length;
  const r = await run(args, as);
  assert.is(r.exitCode, status, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /^faxmail: /);
  assert.match(r.stderr, sentence);
  assert.is(r.stdout, '');
  assert.equal(jobs().sort(), before, 'nothing was left in the spool');
  assert.is(readdirSync(inst.outgoing).length, calls, 'no call file');
}

test('refusals say why, with their exit status, and leave nothing behind', async () => {
  const pdf = makePdf({ pages: 1 });
  await refused(['call-me-maybe', pdf], 67, /not a fax number|not a phone number|digits/i);
  await refused(['0990123456', pdf], 77, /0990123456/);
  await refused(['0312345678', join(work, 'missing.pdf')], 66, /missing\.pdf does not exist\./);
  await refused(['0312345678', work], 66, /is not a file|is a directory/);
  const zip = join(work, 'papers.zip');
  writeFileSync(zip, encodePlainZip());
  await refused(['0312345678', pdf, zip], 65, /Not faxed: "papers\.zip" \(ZIP archives cannot be faxed/);
  const text = join(work, 'notes.txt');
  writeFileSync(text, 'just some text\n');
  await refused(['0312345678', text], 65, /notes\.txt/);
  await refused(['0312345678'], 64, /Missing FILE/);
  await refused(['--resolution', 'hd', '0312345678', pdf], 64, /standard, fine or superfine/);
});

test('the spool owner may send, but not a file it cannot read (66)', async () => {
  const r = await run(['0312345678', rootOnly], asterisk);
  assert.is(r.exitCode, 66, r.stdout + r.stderr);
  assert.match(r.stderr, `faxmail: ${rootOnly} cannot be read by asterisk (permission denied).`);
  const open = join(work, 'open.pdf');
  copyFileSync(makePdf({ pages: 1, title: 'open' }), open);
  chmodSync(open, 0o644);
  chmodSync(work, 0o755);
  const ok = await run(['0312345678', open], asterisk);
  assert.is(ok.exitCode, 0, ok.stdout + ok.stderr);
  const job = readJob(jobOf(ok.stdout));
  assert.is(job.submittedBy, 'asterisk');
  assert.is(job.replyTo, 'asterisk@fax.example.org');
});

test('a user who is not root, the owner or in send.group is refused (77) with who may and how', async () => {
  const pdf = join(work, 'nobody.pdf');
  copyFileSync(makePdf({ pages: 1, title: 'nobody' }), pdf);
  chmodSync(pdf, 0o644);
  chmodSync(work, 0o755);
  // A config the user can read: refused at once, the group named.
  writeConfig('[send]\ngroup = "faxmail-no-such-group"', 0o644);
  await refused(
    ['0312345678', pdf],
    77,
    new RegExp(
      'nobody may not fax from the shell on this server: faxmail send is for root, asterisk and the ' +
        String.raw`members of the group faxmail-no-such-group \(send\.group\)\. ` +
        String.raw`Ask the administrator \(adduser nobody faxmail-no-such-group\)`,
    ),
    nobody,
  );
  writeConfig('', 0o644);
  await refused(['0312345678', pdf], 77, /the group named by send\.group in faxmail\.toml, which is not set/, nobody);
  // The usual config, which only asterisk's group may read: faxmail tries sudo, which has no rule for it
  // (the real sudo, in a mount namespace with an empty /etc/sudoers.d of our own).
  writeConfig('[send]\nnotify_domain = "fax.example.org"');
  const before = jobs().length;
  const r = await runInSudoNamespace({
    user: 'nobody',
    group: 'nogroup',
    sudoers: [],
    argv: [inst.faxmail, 'send', '0312345678', pdf],
    env: { FAXMAIL_CONFIG: inst.configPath },
  });
  assert.is(r.exitCode, 77, String(r.stdout) + String(r.stderr));
  assert.match(
    String(r.stderr),
    new RegExp(
      '^faxmail: nobody may not fax from the shell on this server: sudo refused to hand the fax to ' +
        String.raw`faxmail \(.*password.*\)\. faxmail send is for root, the spool owner and the members of the ` +
        String.raw`group named by send\.group`,
    ),
  );
  assert.is(jobs().length, before);
  // --config is not the caller's to choose when another user does the work.
  await refused(
    ['--config', inst.configPath, '0312345678', pdf],
    64,
    /--config is for root and the spool owner/,
    nobody,
  );
});

test.run();
