/*
 * outbound.test.ts: mail to fax through a real Asterisk 22 (the test bed, test/helpers/asterisk-bed.ts):
 * the installed sendfax (run as the Asterisk user, as Postfix does) -> a call file -> Asterisk dials a far
 * end on a Local channel -> the shipped dialplan's hangup handler or `failed` extension runs the installed
 * faxmail-notify -> retries by rule -> one receipt or one notice over SMTP.
 * Each test checks the far end's TIFF (pages, width, resolution), the job record, the mail that arrives
 * and the Asterisk log of that job (no WARNING or ERROR, no NOTICE from app_system, pbx or Gosub).
 * The calls are independent (a number each), so they all start at once when the bed is up and each test
 * waits for its own: the file takes as long as its longest call, not as long as all of them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { ParsedMail } from 'mailparser';
import {
  FAREND_STATION,
  LOCAL_QUEUE_WHILE_REPORTING,
  SPANDSP_RECEIVER_CHATTER,
  farEndNumber,
  jobMarker,
  startBed,
  type Bed,
  type FarEnd,
  type LogSlice,
} from '../helpers/asterisk-bed.js';
import { EXAMPLE_SETTINGS } from '../helpers/asterisk-config.js';
import { composeMail } from '../helpers/mail-fixtures.js';
import { makePdf } from '../helpers/documents.js';
import { readTiffPages } from '../linesim/tiffinfo.js';
import type { Job } from '../../lib/spool/types.js';
import { sleep } from '../helpers/wait.js';

const OUR_STATION = EXAMPLE_SETTINGS.find((s) => s.startsWith('FAXMAIL_STATIONID='))!.split('=')[1]!;

let bed: Bed;
let slice: LogSlice;

interface Sent {
  id: string;
  number: string;
  started: number;
}

async function faxMail(pages: number, subject: string, number: string): Promise<Buffer> {
  return composeMail({
    from: 'Alice Example <alice@example.org>',
    to: `fax+${number}@fax.example.com`,
    subject,
    text: 'Please find the document attached.',
    attachments: [
      {
        filename: 'report.pdf',
        content: readFileSync(makePdf({ pages, title: subject })),
        contentType: 'application/pdf',
      },
    ],
  });
}

/** Mail a PDF of `pages` pages to a far end of kind `kind` (or to `number`). */
async function send(kind: FarEnd, pages: number, subject: string, number = farEndNumber(kind)): Promise<Sent> {
  const r = await bed.sendMail(await faxMail(pages, subject, number), { number });
  assert.is(r.status, 0, `sendfax: ${r.stdout}${r.stderr}`);
  assert.ok(r.job, r.stdout);
  return { id: r.job!, number, started: Date.now() };
}

/** Wait until the job is sent, failed or cancelled. */
function final(s: Sent, timeoutMs = 240_000): Promise<Job> {
  return bed.waitForJob(
    s.id,
    (j) => ['sent', 'failed', 'cancelled'].includes(j.state) && j.notifiedAt !== undefined,
    timeoutMs,
    'the end of the job and its mail',
  );
}

function pdfPages(data: Buffer): number {
  return Number(/^Pages:\s+(\d+)/m.exec(execFileSync('pdfinfo', ['-'], { input: data }).toString())?.[1]);
}

/** Exactly one mail about the job, to the sender; returned. */
async function onlyMail(s: Sent): Promise<ParsedMail> {
  const mails = await bed.waitForMails(s.id, 1, 30_000);
  await sleep(500); // deliberate: a second mail would come right after the first; absence cannot be polled for
  const again = await bed.mailsFor(s.id);
  assert.is(again.length, 1, `one mail about ${s.id}, got ${mails.length}: ${again.map((m) => m.subject).join(' | ')}`);
  const m = again[0]!;
  assert.is(m.to && !Array.isArray(m.to) ? m.to.value[0]!.address : '', 'alice@example.org');
  return m;
}

/** The Asterisk log lines of the job's calls on faxmail's side (every try) have nothing unexpected. */
function cleanLog(s: Sent, allow: RegExp[] = []): void {
  const lines = slice.forMarker(jobMarker(s.id));
  assert.ok(
    lines.some((l) => l.raw.includes('TrySystem(')),
    `Asterisk logged the calls of ${s.id} and their reports`,
  );
  assert.equal(slice.problems(allow, jobMarker(s.id)), [], `unexpected log lines of ${s.id}`);
}

function attemptsOf(j: Job): string[] {
  return j.attempts.map((a) => `${a.n}:${a.status}/${a.class}`);
}

/** Seconds in which the far end had a call of this job: [answer, hangup] from the far end's log lines. */
function farEndCalls(id: string): { start: number; end: number }[] {
  const lines = slice.lines();
  const t = (time: string): number => Date.parse(time.replace(' ', 'T'));
  const starts = lines.filter((l) => l.text.includes(`bed farend: fax answers job ${id}`)).map((l) => t(l.time));
  const ends = lines.filter((l) => l.text.includes(`bed farend: fax hangs up job ${id}`)).map((l) => t(l.time));
  return starts.map((start, i) => ({ start, end: ends[i] ?? Infinity }));
}

/** Start `fn` now; the test awaits it later. A failure is reported by the test that awaits it. */
function begin<T>(fn: () => Promise<T>): Promise<T> {
  const p = fn();
  p.catch(() => undefined);
  return p;
}

type Scenario<T> = Promise<T>;
const s: Record<string, Scenario<unknown>> = {};

test.before(async () => {
  bed = await startBed({ name: 'out' });
  slice = bed.mark();
  s['success'] = begin(async () => {
    const job = await send('fax', 2, 'Quarterly report');
    return { job, done: await final(job) };
  });
  s['busy'] = begin(async () => {
    const job = await send('busy', 1, 'Busy line');
    return { job, done: await final(job) };
  });
  s['noAnswer'] = begin(async () => {
    const job = await send('noAnswer', 1, 'Nobody there');
    return { job, done: await final(job) };
  });
  s['hangup5'] = begin(async () => {
    const job = await send('hangup5', 1, 'Hangs up early');
    return { job, done: await final(job) };
  });
  s['hangup20'] = begin(async () => {
    const job = await send('hangup20', 3, 'Hangs up mid fax');
    return { job, done: await final(job) };
  });
  s['voice'] = begin(async () => {
    const job = await send('voice', 1, 'A telephone');
    return { job, done: await final(job, 400_000) };
  });
  s['person'] = begin(async () => {
    const job = await send('person', 1, 'A person answers');
    return { job, done: await final(job) };
  });
  s['busyOnce'] = begin(async () => {
    const job = await send('busyOnce', 1, 'Busy then fine');
    return { job, done: await final(job) };
  });
  s['three'] = begin(async () => {
    const number = farEndNumber('fax');
    const jobs = await Promise.all([1, 2, 3].map((n) => send('fax', 1, `One of three ${n}`, number)));
    const done = await Promise.all(jobs.map((j) => final(j, 300_000)));
    return { jobs, done };
  });
});

test.after(async () => {
  await bed?.stop();
});

test('the bed booted cleanly, with the shipped template included unchanged; check-config is happy', async () => {
  assert.equal(bed.bootProblems, []);
  const check = await bed.faxmail(['check-config']);
  assert.is(check.code, 0, check.stdout + check.stderr);
  assert.ok(
    readFileSync(`${bed.astDirs.etc}/extensions_faxmail.conf`).equals(
      readFileSync(new URL('../../../asterisk/extensions_faxmail.conf', import.meta.url)),
    ),
  );
});

test(
  'success: every page reaches the fax machine; receipt with the PDF; our station id from [globals] after ' +
    'the include',
  async () => {
    const { job, done } = (await s['success']) as { job: Sent; done: Job };
    assert.is(done.state, 'sent');
    assert.equal(attemptsOf(done), ['1:SUCCESS/']);
    const a = done.attempts[0]!;
    assert.is(a.pages, 2);
    assert.is(a.resolution, '204x196');
    assert.is(a.remoteStationId, FAREND_STATION);
    assert.ok(a.rate >= 9600, `rate ${a.rate}`);
    const pages = await readTiffPages(bed.farendTiff(job.id, 1));
    assert.is(pages.length, 2);
    for (const p of pages) {
      assert.is(p.width, 1728);
      assert.is(p.resolution, '204x196');
      // The far end records our station id: the value set after the #include won over the template's.
      assert.is(p.description, OUR_STATION);
    }
    const m = await onlyMail(job);
    assert.match(m.subject ?? '', /sent/i);
    const pdf = m.attachments.find((x) => x.contentType === 'application/pdf');
    assert.ok(pdf, 'the receipt carries the fax as PDF');
    assert.is(pdfPages(pdf!.content), 2);
    assert.not.ok(
      readdirSync(bed.install.outgoing).some((n) => n.includes(job.id)),
      'the call file is gone',
    );
    cleanLog(job);
  },
);

test('busy: tried by the busy rule (3 tries), numbered 1, 2, 3, then one notice', async () => {
  const { job, done } = (await s['busy']) as { job: Sent; done: Job };
  assert.is(done.state, 'failed');
  assert.equal(attemptsOf(done), ['1:UNANSWERED/busy', '2:UNANSWERED/busy', '3:UNANSWERED/busy']);
  assert.ok(done.attempts.every((a) => a.reason === 5));
  assert.not.ok(existsSync(bed.farendTiff(job.id, 1)));
  const m = await onlyMail(job);
  assert.match(m.subject ?? '', /could not be sent/);
  assert.match(m.text ?? '', /busy on every try/);
  assert.not.match(m.text ?? '', /tried again automatically/);
  cleanLog(job);
});

test('no answer: tried by its rule (2 tries), then one notice', async () => {
  const { job, done } = (await s['noAnswer']) as { job: Sent; done: Job };
  assert.is(done.state, 'failed');
  assert.equal(attemptsOf(done), ['1:UNANSWERED/no_answer', '2:UNANSWERED/no_answer']);
  assert.ok(done.attempts.every((a) => a.reason === 3));
  const m = await onlyMail(job);
  assert.match(m.text ?? '', /rang but nobody answered/);
  cleanLog(job);
});

test('a fax machine that hangs up after 5 s: retried, then one notice that says no fax machine took part', async () => {
  const { job, done } = (await s['hangup5']) as { job: Sent; done: Job };
  assert.is(done.state, 'failed');
  assert.is(done.attempts.length, 2, JSON.stringify(attemptsOf(done)));
  assert.ok(
    done.attempts.every((a) => a.status === 'FAILED' && a.pages === 0),
    JSON.stringify(done.attempts),
  );
  const m = await onlyMail(job);
  assert.match(m.subject ?? '', /could not be sent/);
  cleanLog(job);
});

test('a fax machine that hangs up after 20 s: the call dropped mid-fax, retried, one notice', async () => {
  const { job, done } = (await s['hangup20']) as { job: Sent; done: Job };
  assert.is(done.state, 'failed');
  assert.equal(attemptsOf(done), ['1:FAILED/dropped', '2:FAILED/dropped']);
  const m = await onlyMail(job);
  assert.match(m.text ?? '', /cut off while the fax was being sent/);
  cleanLog(job);
});

test('a voice line: no fax machine answers; retried by its rule, one notice', async () => {
  const { job, done } = (await s['voice']) as { job: Sent; done: Job };
  assert.is(done.state, 'failed');
  assert.is(done.attempts.length, 2, JSON.stringify(attemptsOf(done)));
  assert.ok(done.attempts.every((a) => a.status === 'FAILED' && a.pages === 0 && a.remoteStationId === ''));
  const m = await onlyMail(job);
  assert.match(m.text ?? '', /no fax machine/i);
  cleanLog(job);
});

test('a person answers and hangs up: one notice that does not talk about paper', async () => {
  const { job, done } = (await s['person']) as { job: Sent; done: Job };
  assert.is(done.state, 'failed');
  assert.ok(done.attempts.length >= 1);
  assert.ok(
    done.attempts.every((a) => a.status === 'FAILED' && a.pages === 0 && a.remoteStationId === ''),
    JSON.stringify(done.attempts),
  );
  const m = await onlyMail(job);
  assert.not.match(m.text ?? '', /paper/);
  assert.match(m.text ?? '', /no fax machine|before any fax machine/i);
  cleanLog(job);
});

test('busy once, then the fax machine answers: sent on attempt 2, one receipt', async () => {
  const { job, done } = (await s['busyOnce']) as { job: Sent; done: Job };
  assert.is(done.state, 'sent');
  assert.equal(attemptsOf(done), ['1:UNANSWERED/busy', '2:SUCCESS/']);
  assert.is((await readTiffPages(bed.farendTiff(job.id, 2))).length, 1);
  const m = await onlyMail(job);
  assert.match(m.subject ?? '', /sent/i);
  cleanLog(job);
});

test('three jobs to one number: all sent, one call at a time', async () => {
  const { jobs, done } = (await s['three']) as { jobs: Sent[]; done: Job[] };
  for (const d of done) assert.equal(attemptsOf(d), ['1:SUCCESS/']);
  const calls = jobs
    .map((j) => farEndCalls(j.id))
    .map((c) => {
      assert.is(c.length, 1);
      return c[0]!;
    });
  calls.sort((a, b) => a.start - b.start);
  for (let i = 1; i < calls.length; i++)
    assert.ok(
      calls[i]!.start >= calls[i - 1]!.end,
      `call ${i + 1} started after call ${i} ended: ${JSON.stringify(calls)}`,
    );
  for (const j of jobs) {
    await onlyMail(j);
    cleanLog(j);
  }
});

test("the whole log of this file has nothing unexpected (but the far ends' own noise)", () => {
  assert.equal(slice.problems([SPANDSP_RECEIVER_CHATTER, LOCAL_QUEUE_WHILE_REPORTING]), []);
});

test.run();
