/*
 * race.test.ts: the timing cases on a real Asterisk 22 (the test bed, test/helpers/asterisk-bed.ts).
 *   - A busy far end answers at once, while sendfax runs on a slow disk (every fsync takes 2.5 s, injected
 *     with strace): faxmail-notify stores the report of attempt 1 BEFORE sendfax has exited, and applies it
 *     once sendfax has let go of the queue lock (the lock orders them; the report is durable from the
 *     start). Nothing sendfax does afterwards may overwrite it: the job goes on by the busy rule and ends with
 *     one notice.
 *   - `faxmail cancel` while the call is on the line, with a second job waiting for the same number: the
 *     call is hung up through Asterisk's CLI, the sender is told, and the second job dials only after the
 *     first call has ended (never two calls to one number at once).
 *   - `faxmail cancel` of a job still waiting for its number: no call is made, the sender is told.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LOCAL_QUEUE_WHILE_REPORTING,
  SPANDSP_RECEIVER_CHATTER,
  farEndNumber,
  jobMarker,
  startBed,
  type Bed,
  type LogSlice,
} from '../helpers/asterisk-bed.js';
import { sleep, waitUntil as until } from '../helpers/wait.js';
import { composeMail } from '../helpers/mail-fixtures.js';
import { makePdf } from '../helpers/documents.js';
import { readTiffPages } from '../linesim/tiffinfo.js';
import type { Job } from '../../lib/spool/types.js';

let bed: Bed;
let slice: LogSlice;

async function send(
  number: string,
  pages: number,
  subject: string,
  wrapper?: string[],
): Promise<{ id: string; exitedAt: number }> {
  const mail = await composeMail({
    from: 'Alice Example <alice@example.org>',
    to: `fax+${number}@fax.example.com`,
    subject,
    text: 'x',
    attachments: [
      {
        filename: 'doc.pdf',
        content: readFileSync(makePdf({ pages, title: subject })),
        contentType: 'application/pdf',
      },
    ],
  });
  const r = await bed.sendMail(mail, { number, ...(wrapper ? { wrapper } : {}) });
  assert.is(r.status, 0, `sendfax: ${r.stdout}${r.stderr}`);
  return { id: r.job!, exitedAt: Date.now() };
}

function final(id: string, timeoutMs = 240_000): Promise<Job> {
  return bed.waitForJob(
    id,
    (j) => ['sent', 'failed', 'cancelled'].includes(j.state) && j.notifiedAt !== undefined,
    timeoutMs,
    'its end and its mail',
  );
}

/** faxmail's own log (JSON lines) as records. */
function faxmailLog(): {
  time: number;
  msg: string;
  job?: string;
  attempt?: number;
  step?: string;
  program?: string;
}[] {
  const file = join(bed.install.logdir, 'faxmail.log');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const rec = JSON.parse(l) as { time: string; msg: string; job?: string; attempt?: number };
      return { ...rec, time: Date.parse(rec.time) };
    });
}

/** The far end's calls of a job: [answer, hangup] times from its log lines. */
function farEndCalls(id: string): { start: number; end: number }[] {
  const lines = slice.lines();
  const t = (time: string): number => Date.parse(time.replace(' ', 'T'));
  const starts = lines.filter((l) => l.text.includes(`bed farend: fax answers job ${id}`)).map((l) => t(l.time));
  const ends = lines.filter((l) => l.text.includes(`bed farend: fax hangs up job ${id}`)).map((l) => t(l.time));
  return starts.map((start, i) => ({ start, end: ends[i] ?? Infinity }));
}

function begin<T>(fn: () => Promise<T>): Promise<T> {
  const p = fn();
  p.catch(() => undefined);
  return p;
}

const s: Record<string, Promise<unknown>> = {};

test.before(async () => {
  bed = await startBed({ name: 'race' });
  slice = bed.mark();
  s['race'] = begin(async () => {
    // Every fsync of sendfax and its children returns late: a slow disk. The last one (of the outgoing dir,
    // after the call file is renamed in) gives faxmail-notify, started by the busy far end, time to store its
    // report while sendfax still runs. How long node takes to start depends on the machine's load, so the
    // disk gets slower until the race is on (it usually is at the first try); every try is checked below.
    const tries: { job: { id: string; exitedAt: number }; done: Job; raced: boolean; delay: number }[] = [];
    for (const delay of [2_500_000, 5_000_000, 9_000_000]) {
      const strace = [
        '/usr/bin/strace',
        '-f',
        '-qq',
        '-o',
        '/dev/null',
        '-e',
        'trace=fsync,fdatasync',
        '-e',
        `inject=fsync,fdatasync:delay_exit=${delay}`,
        '--',
      ];
      const job = await send(farEndNumber('busy'), 1, 'Slow disk, busy line', strace);
      const done = await final(job.id);
      const stored = faxmailLog().find(
        (l) => l.job === job.id && l.msg === 'call report stored' && Number(l.attempt) === 1,
      );
      const raced = stored !== undefined && stored.time < job.exitedAt;
      tries.push({ job, done, raced, delay });
      if (raced) break;
    }
    return tries;
  });
  s['cancelLive'] = begin(async () => {
    const number = farEndNumber('fax');
    const first = await send(number, 3, 'Cancelled while sending');
    const second = await send(number, 1, 'Waiting for the line');
    assert.is(bed.readJob(second.id).state, 'queued', 'the second job waits for the number');
    // On the line: the far end answered a while ago and pages are going over.
    await until(
      () => (farEndCalls(first.id).length > 0 ? true : undefined),
      90_000,
      'the far end to answer the first job',
    );
    await sleep(12_000); // deliberate: cancel in the middle of the pages, not as the call starts
    const cancel = await bed.faxmail(['cancel', first.id]);
    const cancelledAt = Date.now();
    // Cancelled (and the sender told) at once; the hung-up call's own report follows when its handler ran.
    const firstDone = await bed.waitForJob(
      first.id,
      (j) => j.state === 'cancelled' && j.notifiedAt !== undefined && j.attempts.length > 0,
      60_000,
      'the report of the hung-up call',
    );
    const secondDone = await final(second.id);
    return { first, second, cancel, cancelledAt, firstDone, secondDone };
  });
  s['cancelQueued'] = begin(async () => {
    const number = farEndNumber('fax');
    const first = await send(number, 3, 'Goes first'); // on the line while the second is sent and cancelled
    const waiting = await send(number, 1, 'Cancelled while waiting');
    const cancel = await bed.faxmail(['cancel', waiting.id]);
    const waitingDone = await final(waiting.id, 30_000);
    const firstDone = await final(first.id);
    return { first, waiting, cancel, waitingDone, firstDone };
  });
});

test.after(async () => {
  await bed?.stop();
});

test(
  'busy far end, slow disk: notify stores its report before sendfax exits, ' + 'and nothing it wrote is lost',
  async () => {
    const tries = (await s['race']) as {
      job: { id: string; exitedAt: number };
      done: Job;
      raced: boolean;
      delay: number;
    }[];
    console.log(
      `[figure] race: ` +
        tries.map((t) => `fsync +${t.delay / 1e6} s: ${t.raced ? 'raced' : 'report after sendfax exited'}`).join('; '),
    );
    const won = tries.find((t) => t.raced);
    assert.ok(won, 'the busy report came while sendfax still ran in one of the tries (the race was on)');
    for (const { job, done } of tries) {
      const stored = faxmailLog().find(
        (l) => l.job === job.id && l.msg === 'call report stored' && Number(l.attempt) === 1,
      );
      assert.ok(stored, 'the report of attempt 1 was stored');
      const recorded = faxmailLog().find((l) => l.job === job.id && l.msg === 'attempt recorded' && l.attempt === 1);
      assert.ok(recorded, 'attempt 1 was recorded');
      assert.is(done.state, 'failed');
      assert.equal(
        done.attempts.map((a) => `${a.n}:${a.class}`),
        ['1:busy', '2:busy', '3:busy'],
      );
    }
    const { job } = won!;
    const mails = await bed.waitForMails(job.id, 1, 30_000);
    assert.is(mails.length, 1);
    assert.match(mails[0]!.subject ?? '', /could not be sent/);
    assert.equal(slice.problems([], jobMarker(job.id)), []);
  },
);

test('cancel during a live call: hung up, the sender told, the next job dials only after that call ended', async () => {
  const r = (await s['cancelLive']) as {
    first: { id: string };
    second: { id: string };
    cancel: { code: number; stdout: string; stderr: string };
    firstDone: Job;
    secondDone: Job;
  };
  assert.is(r.cancel.code, 0, r.cancel.stderr);
  assert.match(
    r.cancel.stdout,
    new RegExp(`job ${r.first.id} cancelled \\(was dialling\\); live call hung up \\(Local/`),
  );
  assert.match(r.cancel.stdout, /sender told/);
  assert.is(r.firstDone.state, 'cancelled');
  assert.is(r.firstDone.cancelled?.call, 'hung-up');
  assert.is(r.firstDone.attempts.length, 1, 'the hung-up call was reported and kept');
  assert.is(r.firstDone.attempts[0]!.status, 'FAILED');
  const tif = bed.farendTiff(r.first.id, 1);
  if (existsSync(tif)) assert.ok((await readTiffPages(tif)).length < 3, 'the far end did not get the whole fax');
  const notice = await bed.waitForMails(r.first.id, 1, 30_000);
  assert.is(notice.length, 1);
  assert.match(notice[0]!.text ?? '', /cancelled this fax while it was being sent, and the call was cut off/);
  // The second job: sent, and its call began after the first one ended.
  assert.is(r.secondDone.state, 'sent');
  const [a] = farEndCalls(r.first.id);
  const [b] = farEndCalls(r.second.id);
  assert.ok(a && b && b.start >= a.end, `one call at a time: ${JSON.stringify({ a, b })}`);
  assert.is((await bed.waitForMails(r.second.id, 1, 30_000)).length, 1);
  // faxmail's side of both calls logged nothing unexpected; the cancelled call ends with our hangup.
  assert.equal(slice.problems([], jobMarker(r.first.id)), []);
  assert.equal(slice.problems([], jobMarker(r.second.id)), []);
});

test('cancel of a job waiting for its number: no call, the sender told; the first job goes on', async () => {
  const r = (await s['cancelQueued']) as {
    first: { id: string };
    waiting: { id: string };
    cancel: { code: number; stdout: string };
    waitingDone: Job;
    firstDone: Job;
  };
  assert.is(r.cancel.code, 0);
  assert.match(r.cancel.stdout, new RegExp(`job ${r.waiting.id} cancelled \\(was queued\\); sender told`));
  assert.is(r.waitingDone.state, 'cancelled');
  assert.equal(r.waitingDone.attempts, []);
  assert.equal(farEndCalls(r.waiting.id), []);
  const notice = await bed.waitForMails(r.waiting.id, 1, 30_000);
  assert.match(notice[0]!.text ?? '', /cancelled this fax before it was sent/);
  assert.is(r.firstDone.state, 'sent');
});

test("the whole log of this file has nothing unexpected (but the far ends' own noise)", async () => {
  await Promise.allSettled(Object.values(s));
  assert.equal(slice.problems([SPANDSP_RECEIVER_CHATTER, LOCAL_QUEUE_WHILE_REPORTING]), []);
});

test.run();
