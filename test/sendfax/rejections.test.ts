/*
 * rejections.test.ts (black box): every way the BUILT sendfax refuses or defers a mail, with the exit
 * status Postfix acts on and the enhanced status code that starts the first line: 65 5.6.0 (nothing to
 * fax, damaged document), 65 5.3.4 (too many pages), 67 5.1.1 (bad number), 77 5.7.1 (number or sender
 * refused, bounces), 75 4.3.5 (configuration), 75 4.3.0 (spool or tmp not writable, Ghostscript killed,
 * unexpected errors). After each one (expectRejected): no call file, no job or .new-* staging directory,
 * nothing in tmp, no dialling job without its call file; output under 4 KB with no stack trace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  attachmentNode,
  buildMime,
  encodeTnef,
  textNode,
  unsupportedMail,
  winmailMail,
  type MimeNode,
} from '../helpers/mail-fixtures.js';
import { bytesOf, makePdf, truncatedCopy } from '../helpers/documents.js';
import { markedPdf } from './marked.js';
import {
  assertLinesClean,
  expectQueued,
  expectRejected,
  newEnv,
  patchSection,
  replaceConfigLine,
  snapshot,
  useHarness,
} from './harness.js';
import { binPath } from '../helpers/paths.js';
import type { TestEnv } from '../helpers/sendfax-env.js';
import { loadConfig } from '../../lib/config/load.js';
import { runDispatcher } from '../../lib/queue/apply.js';
import { silentLogger } from '../../lib/log.js';
import { waitUntil } from '../helpers/wait.js';
import { waitGone } from '../helpers/process.js';

useHarness(test);

const NOBODY = 65534;

let env: TestEnv;
test.before(() => {
  env = newEnv();
});

function mail(
  parts: MimeNode[],
  headers: { from?: string; subject?: string; extra?: [string, string][] } = {},
): Buffer {
  return buildMime(
    { multipart: 'mixed', parts: [textNode('Please fax this.\n'), ...parts] },
    {
      from: headers.from ?? 'Alice <alice@example.org>',
      subject: headers.subject ?? 'Fax',
      ...(headers.extra ? { extra: headers.extra } : {}),
    },
  );
}
const pdfPart = (file: string, filename: string): MimeNode =>
  attachmentNode(bytesOf(file), { type: 'application/pdf', filename });
const goodMail = (): Buffer => mail([pdfPart(markedPdf([1]), 'good.pdf')]);

// ---------- queue.sender_max_waiting: a flood bounces with a sentence ----------

test(
  'queue.sender_max_waiting: a sender with that many unfinished faxes gets 77 5.7.1; another sender still ' + 'goes',
  async () => {
    const e = newEnv({ queue: 'max_calls = 100\nsender_max_waiting = 1' });
    await expectQueued(e, goodMail());
    await expectRejected(e, goodMail(), {
      status: 77,
      code: '5.7.1',
      says: ['already have 1 faxes waiting', 'Send it again'],
    });
    await expectQueued(e, mail([pdfPart(markedPdf([1]), 'good.pdf')], { from: 'Bob <bob@example.com>' }), {
      sender: 'bob@example.com',
    });
  },
);

// ---------- 65: nothing to fax, damaged, too large ----------

test('no faxable document: 65 5.6.0 and a hint about attachments and +body', async () => {
  await expectRejected(env, mail([]), { status: 65, code: '5.6.0', says: ['no attachment', '+body'] });
  // +body on a mail without text: still nothing to fax.
  const empty = buildMime(
    { type: 'text/plain; charset=utf-8', body: '', encoding: '7bit' },
    { from: 'Alice <alice@example.org>', subject: 'Empty +body' },
  );
  await expectRejected(env, empty, { status: 65, code: '5.6.0' });
});

test('corrupt PDFs: 65 5.6.0 naming the document; one bad document refuses the whole mail', async () => {
  // Truncated: the page tree at the end of the file is gone.
  await expectRejected(env, mail([pdfPart(truncatedCopy(makePdf({ pages: 6 }), 0.5), 'cut.pdf')]), {
    status: 65,
    code: '5.6.0',
    says: ['"cut.pdf"'],
  });
  // Not a PDF at all, though named and typed as one.
  await expectRejected(
    env,
    mail([
      attachmentNode(Buffer.from('This is a plain text file, not a PDF.\n'.repeat(20)), {
        type: 'application/pdf',
        filename: 'fake.pdf',
      }),
    ]),
    { status: 65, code: '5.6.0', says: ['"fake.pdf"'] },
  );
  // A PDF header followed by garbage.
  const garbage = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(20_000, 0x41)]);
  await expectRejected(env, mail([attachmentNode(garbage, { type: 'application/pdf', filename: 'garbage.pdf' })]), {
    status: 65,
    code: '5.6.0',
    says: ['"garbage.pdf"'],
  });
  // A good PDF next to a corrupt one: nothing is faxed (the sender would not notice a missing document).
  await expectRejected(
    env,
    mail([
      pdfPart(markedPdf([1]), 'good.pdf'),
      attachmentNode(garbage, { type: 'application/pdf', filename: 'garbage.pdf' }),
    ]),
    { status: 65, code: '5.6.0', says: ['"garbage.pdf"'] },
  );
});

test('only unsupported attachments: 65 5.6.0 naming each part', async () => {
  // Without LibreOffice (installed here by default: it would convert letter.docx).
  const noOffice = newEnv();
  patchSection(noOffice, 'paths', 'libreoffice = ""');
  await expectRejected(noOffice, unsupportedMail(), {
    status: 65,
    code: '5.6.0',
    says: ['letter.docx', 'files.zip', 'setup.exe', 'picture.gif'],
  });
});

test('a hundred unsupported attachments with long names: the reply stays under 4 KB', async () => {
  const zips = Array.from({ length: 100 }, (_, i) =>
    attachmentNode(Buffer.from(`PK\u0003\u0004 not really ${i}`), {
      type: 'application/zip',
      filename: `${String(i).padStart(3, '0')}-${'long name '.repeat(20)}.zip`,
    }),
  );
  const r = await expectRejected(env, mail(zips), { status: 65, code: '5.6.0', says: ['000-long name'] });
  assert.ok(Buffer.byteLength(r.stdout) <= 3901, `bounded: ${Buffer.byteLength(r.stdout)} bytes`);
});

test('winmail.dat without tnef (paths.tnef = ""): 65 5.6.0 naming winmail.dat; with tnef it is faxed', async () => {
  const noTnef = newEnv();
  patchSection(noTnef, 'paths', 'tnef = ""');
  await expectRejected(noTnef, winmailMail(), { status: 65, code: '5.6.0', says: ['winmail.dat'] });
  const q = await expectQueued(env, winmailMail());
  // unpackTnef documents its order: the files winmail.dat held, sorted by name.
  assert.equal(
    q.job.documents.map((d) => [d.name, d.kind]),
    [
      ['photo.png', 'png'],
      ['report.pdf', 'pdf'],
    ],
  );
});

test('a damaged winmail.dat (tnef aborts with SIGABRT): 65 5.6.0 naming it, no path, no internals', async () => {
  const good = encodeTnef([{ name: 'report.pdf', data: bytesOf(makePdf()) }]);
  const damaged = Buffer.from(good);
  damaged[6] = damaged[6]! ^ 0xff; // tnef 1.4.18: assertion in attr.c, SIGABRT
  const m = mail([attachmentNode(damaged, { type: 'application/ms-tnef', filename: 'winmail.dat' })]);
  await expectRejected(env, m, { status: 65, code: '5.6.0', says: ['"winmail.dat"', 'damaged'] });
  // A good document beside it does not save the mail: one damaged document refuses the whole fax.
  await expectRejected(
    env,
    mail([
      pdfPart(markedPdf([1]), 'good.pdf'),
      attachmentNode(damaged, { type: 'application/ms-tnef', filename: 'winmail.dat' }),
    ]),
    { status: 65, code: '5.6.0', says: ['"winmail.dat"'] },
  );
});

test(
  'no rejection carries a server path: a config error names the file by its name only; gs missing says ' +
    'only the errno (75)',
  async () => {
    const e = newEnv({ fax: 'bogus_key = 1' });
    const r = await expectRejected(e, goodMail(), {
      status: 75,
      code: '4.3.5',
      says: ['fax.bogus_key', 'faxmail.toml'],
    });
    assert.not.ok(r.firstLine.includes(e.root));
    const missing = newEnv();
    patchSection(missing, 'paths', `gs = "${join(missing.root, 'no-gs')}"`);
    await expectRejected(missing, goodMail(), { status: 75, code: '4.3.5', says: ['paths.gs'] });
    // An executable whose interpreter is missing passes the config check, and then cannot be started.
    const gone = newEnv();
    const gs = join(gone.root, 'gs-gone');
    writeFileSync(gs, `#!${join(gone.root, 'no-such-interpreter')}\n`);
    chmodSync(gs, 0o755);
    patchSection(gone, 'paths', `gs = "${gs}"`);
    await expectRejected(gone, goodMail(), { status: 75, code: '4.3.0', says: ['ENOENT'] });
  },
);

test('too many pages: 65 5.3.4, also when the pages come from several documents', async () => {
  const small = newEnv({ fax: 'max_pages = 2' });
  await expectRejected(small, mail([pdfPart(markedPdf([1, 2, 3]), 'three.pdf')]), {
    status: 65,
    code: '5.3.4',
    says: ['3', '2'],
  });
  await expectRejected(small, mail([pdfPart(markedPdf([1, 2]), 'a.pdf'), pdfPart(markedPdf([3]), 'b.pdf')]), {
    status: 65,
    code: '5.3.4',
  });
  // Exactly the limit is fine.
  const q = await expectQueued(small, mail([pdfPart(markedPdf([1]), 'a.pdf'), pdfPart(markedPdf([2]), 'b.pdf')]));
  assert.is(q.pages, 2);
});

// ---------- 67 / 77: number and sender ----------

test('bad numbers: 67 5.1.1 (letters, too short, none, separators, a newline)', async () => {
  for (const extension of ['abc', '12', '0312345678;1', '0312345678,1', '03$(id)', '0312345678\nApplication: System']) {
    await expectRejected(env, goodMail(), { status: 67, code: '5.1.1' }, { extension });
  }
  await expectRejected(env, goodMail(), { status: 67, code: '5.1.1' }, { recipient: 'fax@fax.example.com' });
});

test('refused numbers: 77 5.7.1 (deny pattern, outside the allowed range)', async () => {
  await expectRejected(
    env,
    goodMail(),
    { status: 77, code: '5.7.1', says: ['0990123456'] },
    { extension: '0990123456' },
  );
  await expectRejected(env, goodMail(), { status: 77, code: '5.7.1' }, { extension: '00123456789' });
});

test('a big mail to a bad number is still read to the end (no broken pipe for Postfix)', async () => {
  const big = mail([
    attachmentNode(Buffer.alloc(3 * 1024 * 1024, 7), { type: 'application/octet-stream', filename: 'big.bin' }),
  ]);
  const r = await expectRejected(env, big, { status: 67, code: '5.1.1' }, { extension: 'abc' });
  assert.is(r.stdinError, undefined, 'sendfax drained stdin');
});

test('refused senders: 77 5.7.1 (From not allowed, Reply-To not allowed, no From)', async () => {
  await expectRejected(
    env,
    mail([pdfPart(markedPdf([1]), 'a.pdf')], { from: 'Eve <eve@evil.example>' }),
    { status: 77, code: '5.7.1', says: ['eve@evil.example'] },
    { sender: 'eve@evil.example' },
  );
  await expectRejected(env, mail([pdfPart(markedPdf([1]), 'a.pdf')], { extra: [['Reply-To', 'eve@evil.example']] }), {
    status: 77,
    code: '5.7.1',
    says: ['eve@evil.example'],
  });
  await expectRejected(env, mail([pdfPart(markedPdf([1]), 'a.pdf')], { from: 'undisclosed-recipients:;' }), {
    status: 77,
    code: '5.7.1',
  });
});

test(
  'every author is checked: a second From address, a Sender or a repeated From header from outside: 77 ' + '5.7.1',
  async () => {
    const pdf = pdfPart(markedPdf([1]), 'a.pdf');
    await expectRejected(env, mail([pdf], { from: 'alice@example.org, mallory@evil.example' }), {
      status: 77,
      code: '5.7.1',
      says: ['mallory@evil.example', 'every one must be allowed'],
    });
    await expectRejected(env, mail([pdf], { extra: [['Sender', 'mallory@evil.example']] }), {
      status: 77,
      code: '5.7.1',
      says: ['Sender address mallory@evil.example'],
    });
    await expectRejected(env, mail([pdf], { extra: [['From', 'mallory@evil.example']] }), {
      status: 77,
      code: '5.7.1',
      says: ['more than one From header'],
    });
    // Both authors allowed: faxed.
    await expectQueued(env, mail([pdf], { from: 'alice@example.org, Bob <bob@example.com>' }));
  },
);

test('an unanchored-looking sender regex does not let a longer domain through: 77 5.7.1', async () => {
  const e = newEnv({ senders: 'allow = ["/.*@example\\\\.org/"]' });
  await expectRejected(e, mail([pdfPart(markedPdf([1]), 'a.pdf')], { from: 'mallory@example.org.evil.example' }), {
    status: 77,
    code: '5.7.1',
    says: ['mallory@example.org.evil.example'],
  });
  await expectQueued(e, mail([pdfPart(markedPdf([1]), 'a.pdf')], { from: 'alice@example.org' }));
});

test('bounces (null sender, MAILER-DAEMON) are never faxed: 77 5.7.1', async () => {
  for (const sender of ['', '<>', 'MAILER-DAEMON', 'mailer-daemon@fax.example.com']) {
    await expectRejected(env, goodMail(), { status: 77, code: '5.7.1', says: ['Bounce'] }, { sender });
  }
});

// ---------- 75: configuration and the machine ----------

test('configuration errors defer: 75 4.3.5 (unknown key, bad value, missing file, bad arguments)', async () => {
  const unknown = newEnv({ fax: 'bogus_key = 1' });
  await expectRejected(unknown, goodMail(), { status: 75, code: '4.3.5', says: ['fax.bogus_key'] });
  const badValue = newEnv({ fax: 'resolution = "ultra"' });
  await expectRejected(badValue, goodMail(), { status: 75, code: '4.3.5', says: ['fax.resolution'] });
  await expectRejected(
    env,
    goodMail(),
    { status: 75, code: '4.3.5' },
    {
      argv: [
        `--config=${join(env.root, 'missing.toml')}`,
        '--sender=alice@example.org',
        '--recipient=fax+0312345678@fax.example.com',
      ],
    },
  );
  await expectRejected(
    env,
    goodMail(),
    { status: 75, code: '4.3.5', says: ['master.cf'] },
    { argv: [`--config=${env.configPath}`, '--recipient=fax+0312345678@fax.example.com'] },
  );
  await expectRejected(
    env,
    goodMail(),
    { status: 75, code: '4.3.5', says: ['master.cf'] },
    { argv: [`--config=${env.configPath}`, '--sender=a@example.org', '--recipient=fax+0312345678@x', '--bogus'] },
  );
  // A channel template that makes no channel: found only when the call file is built, after the job
  // directory was committed; it must be removed again.
  const channel = newEnv();
  replaceConfigLine(channel, 'channel = "PJSIP/{number}@trunk"', 'channel = "PJSIP {number}"');
  await expectRejected(channel, goodMail(), { status: 75, code: '4.3.5', says: ['callfile.channel'] });
});

/** An installation that sendfax runs in as `nobody`, as Postfix's pipe user would. */
function nobodyEnv(): TestEnv {
  const e = newEnv();
  writeFileSync(e.log, '');
  chmodSync(e.log, 0o666);
  chmodSync(e.outgoing, 0o777);
  chmodSync(e.tmp, 0o777);
  return e;
}

test('spool not writable: 75 4.3.0, nothing left behind', async () => {
  const e = nobodyEnv();
  chmodSync(e.spool, 0o755); // root's; nobody may not write
  await expectRejected(e, goodMail(), { status: 75, code: '4.3.0' }, { uid: NOBODY });
  // Also when the spool's subdirectories exist already.
  for (const d of ['jobs', 'inbound', 'outbox', 'locks']) mkdirSync(join(e.spool, d), { mode: 0o755, recursive: true });
  await expectRejected(e, goodMail(), { status: 75, code: '4.3.0' }, { uid: NOBODY });
});

test(
  'tmp not writable (the call file cannot be written once the job is committed): the mail is queued, the ' +
    'job waits, and dials once tmp is fixed',
  async () => {
    const e = nobodyEnv();
    chownSync(e.spool, NOBODY, NOBODY);
    chmodSync(e.tmp, 0o755);
    // From the commit on the job belongs to the queue: the dispatcher's failure is not the mail's.
    const q = await expectQueued(e, goodMail(), { uid: NOBODY });
    assert.is(q.job.state, 'queued');
    assert.is(q.job.callFile, undefined);
    assert.ok(Date.parse(q.job.nextAttemptAt!) > Date.now() + 30_000, 'tried again in a minute');
    assert.equal(readdirSync(e.outgoing), []);
    assertLinesClean(e);
    // Once the admin fixes tmp, the next dispatch (here a minute later) starts it.
    chmodSync(e.tmp, 0o777);
    const config = loadConfig(e.configPath);
    const run = await runDispatcher(config, silentLogger(), { channels: 'never', now: new Date(Date.now() + 61_000) });
    assert.equal(
      run.started.map((c) => c.job),
      [q.id],
    );
    assert.ok(readFileSync(join(e.outgoing, `faxmail-${q.id}-1.call`), 'utf8').includes(`FAXMAIL_JOB=${q.id}`));
    assert.equal(readdirSync(e.tmp), []);
  },
);

test(
  'Ghostscript crashing on the document: 65 5.6.0 (bounced); killed by the system (SIGKILL from the OOM ' +
    'killer): 75 4.3.0',
  async () => {
    const e = newEnv();
    const gs = join(e.root, 'gs-crash');
    writeFileSync(gs, '#!/bin/sh\nkill -SEGV $$\n');
    chmodSync(gs, 0o755);
    patchSection(e, 'paths', `gs = "${gs}"`);
    await expectRejected(e, goodMail(), { status: 65, code: '5.6.0', says: ['"good.pdf"', 'converter crash'] });
    writeFileSync(gs, '#!/bin/sh\nkill -KILL $$\n');
    await expectRejected(e, goodMail(), { status: 75, code: '4.3.0', says: ['Ghostscript', 'SIGKILL'] });
  },
);

test(
  'unexpected errors: 75 4.3.0 (jobs/ is a file); a channel too long for Asterisk is a config error (75 ' + '4.3.5)',
  async () => {
    const e = newEnv();
    writeFileSync(join(e.spool, 'jobs'), 'not a directory\n');
    const r = await expectRejected(e, goodMail(), { status: 75, code: '4.3.0' });
    assert.is(readFileSync(join(e.spool, 'jobs'), 'utf8'), 'not a directory\n');
    assert.not.match(r.stdout, /EEXIST|ENOTDIR|mkdir/, 'no system internals in the bounce');

    const long = newEnv();
    replaceConfigLine(long, 'channel = "PJSIP/{number}@trunk"', `channel = "PJSIP/{number}@${'t'.repeat(240)}"`);
    // Caught when the config loads, before any conversion.
    const rl = await expectRejected(long, goodMail(), { status: 75, code: '4.3.5' });
    assert.match(rl.firstLine, 'callfile.channel');
    assert.equal(snapshot(long).outgoing, []);
  },
);

test('SIGTERM while Ghostscript runs: 75, the staging directory removed, Ghostscript killed', async () => {
  const e = newEnv();
  const gs = join(e.root, 'gs-slow');
  const pids = join(e.root, 'gs.pids');
  writeFileSync(gs, `#!/bin/sh\necho $$ >> ${pids}\nexec sleep 30\n`);
  chmodSync(gs, 0o755);
  patchSection(e, 'paths', `gs = "${gs}"`);
  const before = snapshot(e);
  const child = spawn(
    process.execPath,
    [
      binPath('sendfax'),
      `--config=${e.configPath}`,
      '--sender=alice@example.org',
      '--recipient=fax+0312345678@fax.example.com',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.stdin.end(goodMail());
  await waitUntil(() => existsSync(pids), 10_000, 'the fake Ghostscript to start', 50);
  assert.ok(
    snapshot(e).spool.some((p) => p.startsWith('jobs/.new-')),
    'a staging directory exists while converting',
  );
  child.kill('SIGTERM');
  const status = await closed;
  assert.is(status, 75, 'a killed run defers the mail');
  assert.not.match(out, /^\s+at\s/m, 'no stack trace');
  assert.equal(snapshot(e), before, 'nothing left behind');
  assertLinesClean(e);
  for (const pid of readFileSync(pids, 'utf8').trim().split('\n').map(Number)) {
    await waitGone(pid, 'Ghostscript after sendfax was killed').catch((err: Error) => {
      process.kill(pid, 'SIGKILL'); // our own fake gs; do not leave it behind
      throw err;
    });
  }
});

test.run();
