/*
 * send.test.ts: `faxmail send --wait` through a real Asterisk 22 (the test bed): the installed faxmail, the
 * job queued by the same function as sendfax's, Asterisk dialling a far-end fax machine, faxmail-notify's
 * report, the receipt over SMTP, and the waiting command's exit status.
 *   - root sends a 2-page PDF only root may read: exit 0, the far end holds 2 pages, the receipt arrives;
 *   - a member of send.group (nobody, in a group that exists only in a private mount namespace) sends through
 *     the real sudo and the rule install.sh wrote, with --cover: its own file read with its own rights, the
 *     far end holds 3 pages, the job is nobody's and so is the receipt;
 *   - a user who is not in the group gets faxmail submit's refusal through sudo (77), and nothing is queued;
 *   - a busy far end: every try fails, --wait says so and exits 1.
 * The calls run at once (different far-end numbers).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Result } from 'execa';
import {
  ensureAsteriskUser,
  farEndNumber,
  jobMarker,
  SPANDSP_RECEIVER_CHATTER,
  startBed,
  type Bed,
  type LogSlice,
} from '../helpers/asterisk-bed.js';
import { makePdf } from '../helpers/documents.js';
import { readTiffPages } from '../linesim/tiffinfo.js';
import { runInSudoNamespace } from '../helpers/sudo-namespace.js';
import { lookupUser } from '../../lib/accounts.js';

const GROUP = 'faxmail-sendtest';
// A gid no account uses on this machine; the group exists only inside the namespace's /etc/group.
const GID = 64990;
let bed: Bed;
let slice: LogSlice;
const work = mkdtempSync(join(tmpdir(), 'faxmail-send-bed-'));

const jobOf = (stdout: string): string => /^job (\S+) queued: /m.exec(stdout)?.[1] ?? '';

function begin<T>(fn: () => Promise<T>): Promise<T> {
  const p = fn();
  p.catch(() => undefined);
  return p;
}

/** The installed faxmail as root (FAXMAIL_CONFIG names the bed's config, as /etc/faxmail would be found). */
function asRoot(args: string[]): Promise<Result> {
  return execa(bed.install.faxmail, ['send', ...args], {
    reject: false,
    stdin: 'ignore',
    cwd: '/',
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', FAXMAIL_CONFIG: bed.configPath },
    extendEnv: false,
    timeout: 300_000,
  });
}

/** The installed faxmail as `user` in a namespace where the sudo rule install.sh wrote is in force. */
function asUser(user: string, group: string, args: string[]): Promise<Result> {
  return runInSudoNamespace({
    user,
    group,
    sudoers: [join(bed.install.sudoersdir, 'faxmail')],
    groups: [`${GROUP}:x:${GID}:nobody`],
    argv: [bed.install.faxmail, 'send', ...args],
  });
}

let root: Promise<Result>;
let member: Promise<Result>;
let busy: Promise<Result>;
const numbers = { root: '', member: '', busy: '' };

test.before(async () => {
  bed = await startBed({ name: 'send', sections: { send: `group = "${GROUP}"` } });
  slice = bed.mark();
  const rootDir = join(work, 'root-only');
  mkdirSync(rootDir, { mode: 0o700 });
  const rootPdf = join(rootDir, 'two pages.pdf');
  copyFileSync(makePdf({ pages: 2, title: 'root' }), rootPdf);
  chmodSync(rootPdf, 0o600);
  // nobody's own file in nobody's own directory: neither asterisk nor anyone else may read it.
  const nobody = lookupUser('nobody')!;
  chmodSync(work, 0o755);
  const nobodyDir = join(work, 'nobody-only');
  mkdirSync(nobodyDir, { mode: 0o700 });
  chownSync(nobodyDir, nobody.uid, nobody.gid);
  const nobodyPdf = join(nobodyDir, 'letter.pdf');
  copyFileSync(makePdf({ pages: 2, title: 'nobody' }), nobodyPdf);
  chownSync(nobodyPdf, nobody.uid, nobody.gid);
  chmodSync(nobodyPdf, 0o600);

  numbers.root = farEndNumber('fax');
  numbers.member = farEndNumber('fax');
  numbers.busy = farEndNumber('busy');
  root = begin(() => asRoot(['--wait', '--subject', 'Two pages', numbers.root, rootPdf]));
  member = begin(() =>
    asUser('nobody', 'nogroup', [
      '--wait',
      '--cover',
      '--to',
      'Dr. Tanaka',
      '--note',
      'From the shell.',
      numbers.member,
      nobodyPdf,
    ]),
  );
  busy = begin(() => asRoot(['--wait', numbers.busy, rootPdf]));
});

test.after(async () => {
  await bed?.stop();
  rmSync(work, { recursive: true, force: true });
});

test(
  'root: faxmail send --wait of a 2-page PDF exits 0 once the far end holds 2 ' + 'pages; the receipt is mailed',
  async () => {
    const r = await root;
    assert.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    const id = jobOf(String(r.stdout));
    const lines = String(r.stdout).split('\n');
    assert.is(lines[0], `job ${id} queued: 2 pages to ${numbers.root}`);
    assert.ok(lines.includes(`job ${id}: dialling ${numbers.root} (attempt 1)`), String(r.stdout));
    assert.match(
      lines[lines.length - 1]!,
      new RegExp(`^job ${id}: sent: 2 pages to ${numbers.root} in \\d+ s to station "\\+81 3 9876 5432"$`),
    );
    assert.is(String(r.stderr), '');
    const pages = await readTiffPages(bed.farendTiff(id, 1));
    assert.is(pages.length, 2, 'the far end holds 2 pages');
    for (const p of pages) assert.is(p.width, 1728);
    const job = bed.readJob(id);
    assert.is(job.state, 'sent');
    assert.is(job.submittedBy, 'root');
    const [receipt] = await bed.waitForMails(id, 1, 30_000);
    assert.equal(receipt!.to && !Array.isArray(receipt!.to) ? receipt!.to.value.map((a) => a.address) : [], [
      'root@localhost',
    ]);
    assert.equal(slice.problems([SPANDSP_RECEIVER_CHATTER], jobMarker(id)), []);
  },
);

test(
  'a member of send.group sends through sudo, with a cover page: its own file, 3 pages at the far end, its ' +
    'receipt',
  async () => {
    const r = await member;
    assert.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    const id = jobOf(String(r.stdout));
    assert.match(String(r.stdout), new RegExp(`^job ${id} queued: 3 pages to ${numbers.member}$`, 'm'));
    assert.match(String(r.stdout), new RegExp(`^job ${id}: sent: 3 pages to ${numbers.member} `, 'm'));
    assert.is((await readTiffPages(bed.farendTiff(id, 1))).length, 3);
    const job = bed.readJob(id);
    assert.is(job.submittedBy, 'nobody', 'sudo named the user; faxmail submit attributed the job to it');
    assert.is(job.replyTo, 'nobody@localhost');
    assert.equal(
      job.documents.map((d) => d.kind),
      ['cover', 'pdf'],
    );
    // The job directory and everything in it belongs to the spool owner, as sendfax's do.
    const owner = ensureAsteriskUser();
    const dir = join(bed.install.spool, 'jobs', id);
    for (const n of ['.', ...readdirSync(dir)])
      assert.is(statSync(join(dir, n)).uid, owner.uid, `${n} belongs to the spool owner`);
    const [receipt] = await bed.waitForMails(id, 1, 30_000);
    assert.equal(receipt!.to && !Array.isArray(receipt!.to) ? receipt!.to.value.map((a) => a.address) : [], [
      'nobody@localhost',
    ]);
  },
);

test('a user outside send.group is refused by faxmail submit through sudo (77); nothing is queued', async () => {
  const before = readdirSync(join(bed.install.spool, 'jobs')).length;
  const pdf = join(work, 'daemon.pdf');
  copyFileSync(makePdf({ pages: 1, title: 'daemon' }), pdf);
  chmodSync(pdf, 0o644);
  const r = await asUser('daemon', 'daemon', [farEndNumber('fax'), pdf]);
  assert.is(r.exitCode, 77, `${r.stdout}\n${r.stderr}`);
  assert.is(
    String(r.stderr).trim(),
    `faxmail: daemon may not fax from the shell on this server: faxmail send is for root, asterisk and the ` +
      `members of the group ${GROUP} (send.group). Ask the administrator (adduser daemon ${GROUP}), or ` +
      `mail the files to fax+NUMBER@ your fax domain.`,
  );
  assert.is(String(r.stdout), '');
  assert.is(readdirSync(join(bed.install.spool, 'jobs')).length, before);
});

test('a busy far end: --wait reports each try and exits 1 with the reason', async () => {
  const r = await busy;
  assert.is(r.exitCode, 1, `${r.stdout}\n${r.stderr}`);
  const id = jobOf(String(r.stdout));
  const out = String(r.stdout);
  assert.match(out, new RegExp(`^job ${id}: attempt 1 did not go through: .*busy`, 'im'));
  assert.match(out, new RegExp(`^job ${id}: attempt 3 did not go through: `, 'm'));
  assert.match(out, new RegExp(`^job ${id}: not sent after 3 attempts: .*busy`, 'im'));
  assert.is(bed.readJob(id).state, 'failed');
});

test('the whole log of this file has nothing unexpected', () => {
  assert.equal(slice.problems([SPANDSP_RECEIVER_CHATTER]), []);
});

test.run();
