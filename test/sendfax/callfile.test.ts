/*
 * callfile.test.ts (black box): what the BUILT sendfax hands to Asterisk and keeps in the spool. The call
 * file (channel from the template, context/extension, MaxRetries 0, the Setvar lines, every line under 255
 * bytes, FAXFILE naming the job's fax.tif), job.json (every field), the original documents in the job
 * directory, --dry-run's single JSON line, one call per number, and hostile Subjects, names and file names
 * that must never reach the call file while job.json stays valid JSON.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  attachmentNode,
  buildMime,
  encodeParam,
  encodeWord,
  textNode,
  type MimeNode,
} from '../helpers/mail-fixtures.js';
import { bytesOf, encodePlainZip } from '../helpers/documents.js';
import { markedImage, markedPdf } from './marked.js';
import {
  checkCallFileText,
  expectFaxTiff,
  expectQueued,
  expectRejected,
  newEnv,
  patchSection,
  replaceConfigLine,
  runAs,
  snapshot,
  useHarness,
} from './harness.js';

useHarness(test);

const KEYS = new Set([
  'Channel',
  'CallerID',
  'WaitTime',
  'MaxRetries',
  'Account',
  'Context',
  'Extension',
  'Priority',
  'Archive',
  'Setvar',
]);

function mail(
  parts: MimeNode[],
  headers: { from?: string; subject?: string; extra?: [string, string][] } = {},
): Buffer {
  return buildMime(
    { multipart: 'mixed', parts: [textNode('Please fax this.\n'), ...parts] },
    {
      from: headers.from ?? 'Alice Example <alice@example.org>',
      subject: headers.subject ?? 'Fax',
      ...(headers.extra ? { extra: headers.extra } : {}),
    },
  );
}
const pdfPart = (marks: number[], filename: string): MimeNode =>
  attachmentNode(bytesOf(markedPdf(marks)), { type: 'application/pdf', filename });

/** Setvar lines as a map. */
function setvars(entries: [string, string][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (k !== 'Setvar') continue;
    const eq = v.indexOf('=');
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Nothing of `hostile` may appear in the call file, and it must hold only the expected keys. */
function assertCallFileClean(text: string, hostile: string[]): void {
  const entries = checkCallFileText(text);
  for (const [k] of entries) assert.ok(KEYS.has(k), `unexpected call-file key ${k}`);
  assert.not.match(text, /[;#$`\r\\]|\(|\)/, 'no ; # $ ` ( ) \\ or CR anywhere in the call file');
  for (const h of hostile)
    assert.not.ok(text.toLowerCase().includes(h.toLowerCase()), `call file free of ${JSON.stringify(h)}`);
}

test(
  'call file: channel from the template, context/extension/caller id from the ' + 'config, MaxRetries 0, Setvars',
  async () => {
    const env = newEnv();
    replaceConfigLine(env, 'channel = "PJSIP/{number}@trunk"', 'channel = "PJSIP/{number}@fax_trunk-2"');
    patchSection(
      env,
      'callfile',
      'context = "my-fax-out"\nextension = "send_it"\ncaller_id = "\\"Office Fax\\" <0312345678>"\nwait_time = 30',
    );
    const started = Date.now();
    const q = await expectQueued(env, mail([pdfPart([1, 2], 'report.pdf')]), { extension: '+81 3-1234-5678' });
    assert.equal(readdirSync(env.outgoing), [`faxmail-${q.id}-1.call`], 'exactly one call file, named after the job');
    const entries = checkCallFileText(q.callFile);
    const get = (k: string): string[] => entries.filter(([key]) => key === k).map(([, v]) => v);
    assert.equal(get('Channel'), ['PJSIP/0312345678@fax_trunk-2'], 'template filled with the rewritten number');
    assert.equal(get('CallerID'), ['"Office Fax" <0312345678>']);
    assert.equal(get('WaitTime'), ['30']);
    assert.equal(get('MaxRetries'), ['0']);
    assert.equal(get('Account'), [q.id], 'the accountcode names the job, so `faxmail cancel` finds the live call');
    assert.equal(get('Context'), ['my-fax-out']);
    assert.equal(get('Extension'), ['send_it']);
    assert.equal(get('Priority'), ['1']);
    assert.equal(get('Application'), [], 'no Application line');
    const vars = setvars(entries);
    assert.is(vars['FAXMAIL_JOB'], q.id);
    assert.is(vars['FAXMAIL_ATTEMPT'], '1');
    assert.is(vars['FAXMAIL_NUMBER'], '0312345678');
    assert.is(vars['FAXFILE'], join(env.spool, 'jobs', q.id, 'fax.tif'));
    assert.ok(vars['FAXFILE']!.startsWith('/'), 'absolute path');
    assert.ok(statSync(vars['FAXFILE']!).isFile(), 'FAXFILE exists');
    assert.is(resolve(vars['FAXFILE']!), join(q.dir, q.job.tiff));
    assert.is((statSync(q.callFilePath).mode & 0o777).toString(8), '660', 'call file mode 0660');
    assert.equal(readdirSync(env.tmp), [], 'no scratch file left in tmp');

    // job.json, field by field.
    const job = q.job;
    assert.is(job.version, 1);
    assert.is(job.envelopeSender, 'alice@example.org');
    assert.is(job.replyTo, 'alice@example.org');
    assert.is(job.replyName, 'Alice Example');
    assert.is(job.subject, 'Fax');
    assert.is(job.requestedNumber, '+81312345678', 'as written, normalised (spaces and dashes dropped)');
    assert.is(job.number, '0312345678');
    assert.is(job.pages, 2);
    assert.is(job.resolution, 'fine');
    assert.is(job.paper, 'a4');
    assert.equal(
      job.documents.map((d) => ({ name: d.name, kind: d.kind, pages: d.pages })),
      [{ name: 'report.pdf', kind: 'pdf', pages: 2 }],
    );
    assert.equal(job.skipped, []);
    assert.is(job.tiff, 'fax.tif');
    assert.match(job.messageId, /^<[0-9a-f]+@example\.com>$/);
    const created = Date.parse(job.created);
    assert.ok(created >= started - 1000 && created <= Date.now(), `created ${job.created} is now`);
    assert.match(job.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.is(job.state, 'dialling', 'the record said dialling before the call file went out');
    assert.is(job.attempt, 1);
    assert.equal(job.attempts, []);
    assert.is(job.callFile, `faxmail-${q.id}-1.call`);
    // The job directory: the fax, the record, the originals; no parse or work scratch.
    assert.equal(readdirSync(q.dir).sort(), ['docs', 'fax.tif', 'job.json']);
    assert.equal(readdirSync(join(q.dir, 'docs')), ['01-report.pdf']);
    assert.ok(readFileSync(join(q.dir, 'docs', '01-report.pdf')).equals(readFileSync(markedPdf([1, 2]))));

    // The log: JSON lines carrying the job id, never the mail text.
    const log = readFileSync(env.log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { job?: string; step?: string });
    const steps = log.filter((l) => l.job === q.id).map((l) => l.step);
    for (const step of ['received', 'parsed', 'sender-ok', 'documents', 'converted', 'dialling'])
      assert.ok(steps.includes(step), `log step ${step}: ${steps.join(',')}`);
    assert.not.ok(readFileSync(env.log, 'utf8').includes('Please fax this'), 'no mail body in the log');
  },
);

test('an unwritable log does not stop the fax, and nothing goes to stderr (Postfix would bounce it)', async () => {
  const env = newEnv();
  replaceConfigLine(env, `log = "${env.log}"`, `log = "${join(env.configPath, 'under-a-file.log')}"`);
  const q = await expectQueued(env, mail([pdfPart([1], 'a.pdf')]));
  assert.is(q.run.stderr, '');
  assert.is(q.job.state, 'dialling');
});

test('Reply-To (allowed) is where receipts go; skipped parts are named on the first line and in job.json', async () => {
  const env = newEnv();
  const zip = attachmentNode(encodePlainZip(), { type: 'application/zip', filename: 'files.zip' });
  const q = await expectQueued(
    env,
    mail(
      [
        pdfPart([1], 'a.pdf'),
        zip,
        attachmentNode(bytesOf(markedImage('jpeg', 2)), { type: 'image/jpeg', filename: 'b.jpg' }),
      ],
      { extra: [['Reply-To', 'Office <office@example.org>']] },
    ),
  );
  assert.is(q.job.replyTo, 'office@example.org');
  assert.is(q.job.replyName, 'Office');
  assert.ok(q.run.firstLine.endsWith('queued: 2 pages to 0312345678 (not faxed: files.zip)'), q.run.firstLine);
  assert.equal(
    q.job.skipped.map((s) => s.name),
    ['files.zip'],
  );
  assert.equal(readdirSync(join(q.dir, 'docs')), ['01-a.pdf', '02-b.jpg']);
  assert.ok(
    readFileSync(join(q.dir, 'docs', '02-b.jpg')).equals(readFileSync(markedImage('jpeg', 2))),
    'JPEG kept as sent',
  );
});

test(
  '--dry-run: one JSON line with job, number, pages, tiff, callfile, documents; nothing kept (--save-tiff ' +
    'writes the TIFF where asked)',
  async () => {
    const env = newEnv();
    const before = snapshot(env);
    const saved = join(env.root, 'dry.tif');
    const r = await runAs(
      env,
      mail(
        [
          pdfPart([1, 2, 3], 'three.pdf'),
          attachmentNode(bytesOf(markedImage('png', 4)), { type: 'image/png', filename: 'four.png' }),
        ],
        { subject: 'Dry +standard' },
      ),
      { extra: ['--dry-run', '--save-tiff', saved] },
    );
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.is(r.stdout.split('\n').length, 2, 'exactly one line');
    assert.ok(r.stdout.endsWith('\n'));
    const out = JSON.parse(r.stdout) as {
      job: string;
      number: string;
      pages: number;
      tiff: string;
      savedTiff: string;
      callfile: string;
      callfilePath: string;
      documents: { name: string; kind: string; pages: number }[];
      dryRun: boolean;
      resolution: string;
    };
    assert.match(out.job, /^\d{8}-\d{6}-[0-9a-f]{12}$/);
    assert.is(out.number, '0312345678');
    assert.is(out.pages, 4);
    assert.is(out.tiff, join(env.spool, 'jobs', out.job, 'fax.tif'), 'where the job would keep its TIFF');
    assert.is(out.savedTiff, saved);
    await expectFaxTiff(saved, { resolution: 'standard', pages: 4 });
    assert.equal(out.documents, [
      { name: 'three.pdf', kind: 'pdf', pages: 3 },
      { name: 'four.png', kind: 'png', pages: 1 },
    ]);
    assert.is(out.dryRun, true);
    assert.is(out.resolution, 'standard');
    const vars = setvars(checkCallFileText(out.callfile));
    assert.is(vars['FAXMAIL_JOB'], out.job);
    assert.is(vars['FAXFILE'], out.tiff);
    assert.match(out.callfile, /^Channel: PJSIP\/0312345678@trunk$/m);
    assert.match(out.callfile, /^MaxRetries: 0$/m);
    assert.equal(readdirSync(env.outgoing), before.outgoing, 'no call file dropped');
    assert.not.ok(existsSync(out.callfilePath), 'nothing at the call-file path');
    assert.equal(readdirSync(env.tmp), []);
    assert.equal(readdirSync(join(env.spool, 'jobs')), [], 'no job, no staging directory: nothing for status to list');
    // Without --save-tiff nothing at all stays; a TIFF path that exists is not overwritten.
    const again = await runAs(env, mail([pdfPart([1], 'a.pdf')]), { extra: ['--dry-run'] });
    assert.is(again.status, 0, again.stdout);
    assert.equal(readdirSync(join(env.spool, 'jobs')), []);
    const clash = await runAs(env, mail([pdfPart([1], 'a.pdf')]), { extra: ['--dry-run', '--save-tiff', saved] });
    assert.is(clash.status, 75, clash.stdout);
    assert.equal(readdirSync(join(env.spool, 'jobs')), []);
    // A dry run is refused like a real one.
    await expectRejected(
      env,
      mail([pdfPart([1], 'a.pdf')]),
      { status: 67, code: '5.1.1' },
      { extension: 'abc', extra: ['--dry-run'] },
    );
  },
);

test('one call per number: a second fax to the same number waits, with no call file of its own', async () => {
  const env = newEnv();
  const first = await expectQueued(env, mail([pdfPart([1], 'a.pdf')]));
  const second = await expectQueued(env, mail([pdfPart([2], 'b.pdf')]));
  assert.is(first.job.state, 'dialling');
  assert.is(first.job.attempt, 1);
  assert.is(second.job.state, 'queued');
  assert.is(second.callFile, '');
  assert.equal(readdirSync(env.outgoing), [`faxmail-${first.id}-1.call`]);
  const other = await expectQueued(env, mail([pdfPart([3], 'c.pdf')]), { extension: '0455556666' });
  assert.is(other.job.state, 'dialling', 'another number dials at once');
  assert.is(readdirSync(env.outgoing).length, 2);
});

const HOSTILE = ['Application', 'System', 'Data:', 'rm -rf', '/etc/passwd', 'AAAAAAAAAA', 'BBBBBBBBBB', 'Evil', 'id)'];

test('hostile Subjects never reach the call file; job.json stays valid JSON', async () => {
  const env = newEnv();
  const long = 'A'.repeat(3000);
  const subjects: [raw: string, expected: string][] = [
    [encodeWord('Invoice\r\nApplication: System\r\nData: rm -rf /'), 'Invoice Application: System Data: rm -rf /'],
    ['Invoice; Application: System(id) #comment', 'Invoice; Application: System(id) #comment'],
    ['$(id) `id` ${PATH} +fine', '$(id) `id` ${PATH}'],
    [encodeWord('請求書\nSetvar: FAXFILE=/etc/passwd\n'), '請求書 Setvar: FAXFILE=/etc/passwd'],
    [long, long],
    [`${encodeWord('見積')} ${'B'.repeat(500)}\\;\\#`, `見積 ${'B'.repeat(500)}\\;\\#`],
  ];
  for (const [raw, expected] of subjects) {
    const q = await expectQueued(
      env,
      mail([pdfPart([1], 'a.pdf')], {
        subject: raw,
        from: `${encodeWord('Evil\r\nApplication: System')} <alice@example.org>`,
      }),
      { extension: `03${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` },
    );
    assert.ok(
      q.callFile,
      JSON.stringify(q.job) + readFileSync(join(env.root, 'faxmail.log'), 'utf8').split('\n').slice(-5).join('\n'),
    );
    assertCallFileClean(q.callFile, HOSTILE);
    const job = JSON.parse(readFileSync(join(q.dir, 'job.json'), 'utf8')) as { subject: string; replyName: string };
    assert.is(job.subject, expected);
    assert.not.match(job.subject, /[\r\n]/);
    assert.not.match(job.replyName, /[\r\n\x00-\x1f]/, 'no control characters in the name');
  }
});

test('hostile file names never reach the call file or the file system; first line stays one line', async () => {
  const env = newEnv();
  const pdf = bytesOf(markedPdf([1]));
  const parts: MimeNode[] = [
    {
      type: 'application/pdf',
      disposition: `attachment; ${encodeParam('filename', 'x\r\nApplication: System(id);#.pdf')}`,
      body: pdf,
      encoding: 'base64',
    },
    attachmentNode(pdf, { type: 'application/pdf', filename: '$(id);rm -rf ~ #.pdf' }),
    {
      type: 'application/pdf',
      disposition: `attachment;\r\n ${encodeParam('filename', `${'B'.repeat(400)}.pdf`, true)}`,
      body: pdf,
      encoding: 'base64',
    },
    attachmentNode(pdf, { type: 'application/pdf', filename: '../../../etc/passwd.pdf' }),
    {
      type: 'application/pdf',
      disposition: `attachment; ${encodeParam('filename', '\u0000Evil\u0007\u001b[31m.pdf')}`,
      body: pdf,
      encoding: 'base64',
    },
    {
      type: 'application/zip',
      disposition: `attachment; ${encodeParam('filename', 'Evil\r\n5.0.0 fake;#.zip')}`,
      body: encodePlainZip(),
      encoding: 'base64',
    },
  ];
  const q = await expectQueued(env, mail(parts));
  assert.is(q.pages, 5);
  assertCallFileClean(q.callFile, HOSTILE);
  assert.not.match(q.run.stdout.slice(0, -1), /[\r\n\x00-\x1f]/, 'the reply is one line without control characters');
  const job = JSON.parse(readFileSync(join(q.dir, 'job.json'), 'utf8')) as {
    documents: { name: string; file: string }[];
    skipped: { name: string }[];
  };
  assert.is(job.documents.length, 5);
  for (const d of job.documents) {
    assert.match(d.file, /^docs\/0[1-5]-[A-Za-z0-9_-]{1,40}\.pdf$/, `stored under our own name: ${d.file}`);
    assert.not.match(d.name, /[\x00-\x1f\x7f]/, `no control characters in ${JSON.stringify(d.name)}`);
    assert.not.match(d.name, /[/\\]/, `no path in ${JSON.stringify(d.name)}`);
  }
  assert.is(job.skipped.length, 1);
  assert.not.match(job.skipped[0]!.name, /[\x00-\x1f\x7f]/);
  // Nothing was written outside the job directory.
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) =>
      statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [relative(q.dir, join(d, n))],
    );
  assert.equal(walk(q.dir).sort(), [...job.documents.map((d) => d.file), 'fax.tif', 'job.json'].sort());
});

test.run();
