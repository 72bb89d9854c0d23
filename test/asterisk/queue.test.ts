/*
 * queue.test.ts: issue 9's "Done when" on a real Asterisk 22 (the test bed, test/helpers/asterisk-bed.ts)
 * with a trunk of two channels (queue.max_calls = 2) and the bed's timer (`faxmail run` every 2 s).
 *   - 12 mails to 8 numbers (fax machines, a busy line, lines busy once, a person), each delivered by the
 *     installed sendfax as Postfix would, after runs SIGKILLed at random instants (30 kills in all) and
 *     delivered again (Postfix retries a killed pipe run; a run that exits 75 is deferred and retried too);
 *   - a watcher reads Asterisk's channels (`core show channels concise`, accountcode = job id) and the
 *     outgoing dir several times a second (one `asterisk -rx` after another): never more than 2 calls,
 *     never two calls to one number;
 *   - faults while the calls go on: a call file deleted behind faxmail's back while its call is on; a
 *     process holding the queue lock, so that the faxmail-notify of a finished call stores its report and
 *     waits, and is SIGKILLed there (between storing and applying), then the lock holder SIGKILLed too;
 *   - then, with nothing else on, a call lost for good: Asterisk is frozen (SIGSTOP) while faxmail places a
 *     call file, the file is deleted, Asterisk thawed: `faxmail run` finds the call lost at once (no call
 *     file, no channel), retries it by rule and tells the admin once;
 *   - after a last `faxmail run`: every job final with exactly one receipt or notice, one job per mail, every
 *     report applied once, no ghost (no call file, no channel, nothing dialling), no orphan file.
 * Every call is short (one page, retries after 1 s) and they run two at a time: the file takes ~4-5 minutes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  LOCAL_QUEUE_WHILE_REPORTING,
  SPANDSP_RECEIVER_CHATTER,
  farEndNumber,
  startBed,
  type Bed,
  type FarEnd,
  type LogSlice,
} from '../helpers/asterisk-bed.js';
import { composeMail } from '../helpers/mail-fixtures.js';
import { makePdf } from '../helpers/documents.js';
import { parseConcise } from '../../lib/asterisk/cli.js';
import type { Job } from '../../lib/spool/types.js';
import { sleep, waitUntil } from '../helpers/wait.js';
import { waitGone } from '../helpers/process.js';

/** The bed's poller, every 100 ms unless told. */
const until = <T>(
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<T> => waitUntil(fn, timeoutMs, what, everyMs);

const MAX_CALLS = 2;
const KILLS = 30;
const FINAL = ['sent', 'failed', 'cancelled'];
const CALL_FILE = /^faxmail-([0-9]{8}-[0-9]{6}-[0-9a-f]{12})-([0-9]+)\.call$/;

let bed: Bed;
let slice: LogSlice;

// ---- the watcher --------------------------------------------------------------------------------------

interface Watch {
  samples: number;
  /** most calls seen at once: jobs with a live channel or a call file */
  most: number;
  breaches: string[];
  /** jobs seen with a live channel (so the test knows when a call is on) */
  live: Set<string>;
  /** the latest sample's live jobs */
  liveNow: Set<string>;
}

const watch: Watch = { samples: 0, most: 0, breaches: [], live: new Set(), liveNow: new Set() };
let watching = false;
let watcher: Promise<void> | undefined;
const numberOf = new Map<string, string>();

function jobNumber(id: string): string {
  let n = numberOf.get(id);
  if (n === undefined) {
    try {
      n = bed.readJob(id).number;
      numberOf.set(id, n);
    } catch {
      return `?${id}`;
    }
  }
  return n;
}

/** One look at the trunk: the live channels, then the call files; undefined if Asterisk did not answer. */
async function lookOnce(): Promise<{ onChannels: Set<string>; calls: Set<string>; breaches: string[] } | undefined> {
  const out = await bed.rx('core show channels concise').catch(() => undefined);
  const files = readdirSync(bed.install.outgoing).filter((n) => CALL_FILE.test(n));
  if (out === undefined) return undefined;
  const channels = parseConcise(out).filter((c) => CALL_FILE.test(`faxmail-${c.accountCode}-1.call`));
  const onChannels = new Set(channels.map((c) => c.accountCode));
  const withFiles = new Set(files.map((f) => CALL_FILE.exec(f)![1]!));
  const calls = new Set([...onChannels, ...withFiles]);
  const breaches: string[] = [];
  if (calls.size > MAX_CALLS)
    breaches.push(
      `${new Date().toISOString()}: ${calls.size} calls: channels ` +
        `${channels.map((c) => `${c.name}(${c.accountCode})`).join(' ')}; files ${files.join(' ')}`,
    );
  const perNumber = new Map<string, string[]>();
  for (const j of calls) perNumber.set(jobNumber(j), [...(perNumber.get(jobNumber(j)) ?? []), j]);
  for (const [number, jobs] of perNumber)
    if (jobs.length > 1) breaches.push(`${new Date().toISOString()}: two calls to ${number}: ${jobs.join(' ')}`);
  if (files.length > MAX_CALLS)
    breaches.push(`${new Date().toISOString()}: ${files.length} call files: ${files.join(' ')}`);
  return { onChannels, calls, breaches };
}

async function watchLoop(): Promise<void> {
  while (watching) {
    const look = await lookOnce();
    if (look !== undefined) {
      watch.samples += 1;
      watch.liveNow = look.onChannels;
      for (const j of look.onChannels) watch.live.add(j);
      watch.most = Math.max(watch.most, look.calls.size);
      // The two reads are some milliseconds apart: a call that ended between them and the next call to its
      // number, placed in that gap, look like two at once. A real breach lasts a call: it is seen again.
      if (look.breaches.length > 0) {
        const again = await lookOnce();
        if (again === undefined || again.breaches.length > 0)
          watch.breaches.push(...look.breaches, ...(again?.breaches ?? []));
      }
    }
    await sleep(100); // the watcher's period: it looks several times a second
  }
}

// ---- mail and sendfax ---------------------------------------------------------------------------------

interface Delivery {
  subject: string;
  number: string;
  job: string;
  /** runs SIGKILLed before they finished */
  killed: number;
  /** runs that finished before their kill came (the mail was queued; delivered again anyway) */
  finishedEarly: number;
  /** runs that exited 75 (deferred: Postfix tries again) */
  deferred: number;
  jobsSeen: Set<string>;
}

async function faxMail(subject: string, number: string): Promise<Buffer> {
  return composeMail({
    from: 'Alice Example <alice@example.org>',
    to: `fax+${number}@fax.example.com`,
    subject,
    text: 'Please fax the attached page.',
    attachments: [
      {
        filename: 'page.pdf',
        content: readFileSync(makePdf({ pages: 1, title: subject })),
        contentType: 'application/pdf',
      },
    ],
  });
}

/**
 * One run of the installed sendfax as the Asterisk user (its own process group), optionally SIGKILLed after `killMs`.
 */
function sendfaxRun(
  raw: Buffer,
  number: string,
  killMs?: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const args = [
    `--config=${bed.install.configPath}`,
    '--sender=alice@example.org',
    `--recipient=fax+${number}@fax.example.com`,
    `--extension=${number}`,
  ];
  const child: ChildProcess = spawn(bed.install.sendfax, args, {
    uid: bed.user.uid,
    gid: bed.user.gid,
    cwd: '/',
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(raw);
  const timer =
    killMs === undefined
      ? undefined
      : setTimeout(() => {
          try {
            // The whole group, as Postfix's pipe(8) time limit would: Ghostscript and all.
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }, killMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout });
    }),
  );
}

let span = 1500;

/** Deliver one mail as Postfix would: `kills` runs SIGKILLed at random instants, then until one exits 0. */
async function deliver(subject: string, number: string, kills: number): Promise<Delivery> {
  const raw = await faxMail(subject, number);
  const d: Delivery = { subject, number, job: '', killed: 0, finishedEarly: 0, deferred: 0, jobsSeen: new Set() };
  // Kill instants are drawn over the time a run of this mail takes. Once a run got through, the next ones find
  // the queued job and end in a fraction of the probe's time, so the window shrinks to what runs last took.
  let window = span;
  let tries = 0;
  while (d.killed < kills && tries++ < kills * 10) {
    const started = Date.now();
    const r = await sendfaxRun(raw, number, Math.floor(Math.random() * window));
    if (r.signal !== 'SIGKILL') window = Math.max(10, Math.min(window, Math.floor((Date.now() - started) * 0.9)));
    if (r.signal === 'SIGKILL') d.killed += 1;
    else if (r.code === 0) d.finishedEarly += 1;
    else if (r.code === 75) d.deferred += 1;
    else throw new Error(`sendfax exited ${r.code}: ${r.stdout}`);
    const id = /Fax job (\S+) queued/.exec(r.stdout)?.[1];
    if (id) d.jobsSeen.add(id);
  }
  for (let i = 0; ; i++) {
    const r = await sendfaxRun(raw, number);
    const id = /Fax job (\S+) queued/.exec(r.stdout)?.[1];
    if (r.code === 0 && id) {
      d.job = id;
      d.jobsSeen.add(id);
      numberOf.set(id, jobNumber(id));
      return d;
    }
    if (r.code !== 75 || i > 20) throw new Error(`sendfax exited ${r.code}: ${r.stdout}`);
    d.deferred += 1;
    await sleep(1000); // deliberate: a deferred mail is tried again later, as Postfix would
  }
}

function final(id: string, timeoutMs: number): Promise<Job> {
  return bed.waitForJob(
    id,
    (j) => FINAL.includes(j.state) && j.notifiedAt !== undefined && j.noticePending === undefined,
    timeoutMs,
    'its end and its mail',
  );
}

/** Processes whose command line has all of `parts` (their /proc/<pid>/cmdline). */
function processesWith(...parts: string[]): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (parts.every((p) => cmd.includes(p))) out.push(Number(name));
  }
  return out;
}

function farEndAnswered(id: string): boolean {
  return slice.lines().some((l) => l.text.includes(`bed farend: fax answers job ${id} `));
}

// ---- the scenario -------------------------------------------------------------------------------------

interface Outcome {
  deliveries: Delivery[];
  deletedLive: { job: string; file: string };
  notifyKilled: { job: string; pids: number[]; report: string; holderKilled: boolean };
  lost: { job: string };
  jobs: Map<string, Job>;
  runAfter: { code: number; stdout: string; stderr: string };
  seconds: number;
}

let outcome: Promise<Outcome>;

test.before(async () => {
  bed = await startBed({ name: 'queue', sections: { queue: `max_calls = ${MAX_CALLS}` }, timer: 2 });
  slice = bed.mark();
  watching = true;
  watcher = watchLoop();
  outcome = scenario();
  outcome.catch(() => undefined);
});

test.after(async () => {
  watching = false;
  await watcher;
  await bed?.stop();
});

async function scenario(): Promise<Outcome> {
  const t0 = Date.now();
  // How long one sendfax run takes here: the kills are spread over the whole of a run.
  const probeNumber = farEndNumber('fax');
  const probe = await faxMail('Probe', probeNumber);
  const p0 = Date.now();
  const dry = await sendfaxRun(probe, probeNumber); // queued: one more job, a fax machine (the 13th mail)
  assert.is(dry.code, 0, dry.stdout);
  span = Math.max(400, Date.now() - p0);
  const probeJob = /Fax job (\S+) queued/.exec(dry.stdout)![1]!;

  // 12 mails to 8 numbers. F3's call file is deleted while its call is on; F4's report is the one whose
  // faxmail-notify is killed. The kills: 3 for the first six mails, 2 for the other six (30).
  const n: Record<string, string> = {};
  const kinds: [string, FarEnd][] = [
    ['F1', 'fax'],
    ['F2', 'fax'],
    ['F3', 'fax'],
    ['F4', 'fax'],
    ['B1', 'busy'],
    ['O1', 'busyOnce'],
    ['O2', 'busyOnce'],
    ['P1', 'person'],
  ];
  for (const [k, kind] of kinds) n[k] = farEndNumber(kind);
  const plan: [string, string][] = [
    ['F4 notify killed', n['F4']!],
    ['F3 file deleted', n['F3']!],
    ['F1 first', n['F1']!],
    ['B1 first', n['B1']!],
    ['F1 second', n['F1']!],
    ['O1', n['O1']!],
    ['F2 first', n['F2']!],
    ['B1 second', n['B1']!],
    ['F1 third', n['F1']!],
    ['O2', n['O2']!],
    ['F2 second', n['F2']!],
    ['P1', n['P1']!],
  ];
  // Three mails at a time, like Postfix's pipe processes; calls start while the others are delivered, and
  // the faults below go on while the rest is still being delivered.
  const pending: Promise<Delivery>[] = [];
  const gates = plan.map(() => {
    let open!: () => void;
    const p = new Promise<void>((r) => (open = r));
    return { p, open };
  });
  for (let i = 0; i < plan.length; i++) {
    pending.push(
      (i < 3 ? Promise.resolve() : gates[i - 3]!.p)
        .then(() => deliver(plan[i]![0], plan[i]![1], i < 6 ? 3 : 2))
        .finally(() => gates[i]!.open()),
    );
  }
  for (const p of pending) p.catch(() => undefined);

  // The two faults run side by side while the other mails are still being delivered.
  const [{ f3, f3job }, { f4, pids, report }] = await Promise.all([
    (async () => {
      // F3: its call is on (the far end has answered): its call file goes behind faxmail's back.
      const f3 = (await pending[1]!).job;
      const f3job = await bed.waitForJob(
        f3,
        (j) => j.state === 'dialling' && j.callFile !== undefined,
        240_000,
        'its call',
      );
      await until(
        () => (farEndAnswered(f3) && watch.liveNow.has(f3) ? true : undefined),
        120_000,
        'the far end to answer F3',
      );
      const f3file = join(bed.install.outgoing, f3job.callFile!);
      assert.ok(existsSync(f3file), 'F3 call file present while its call is on');
      unlinkSync(f3file);
      return { f3, f3job };
    })(),
    (async () => {
      // F4: once its call is on, a process takes the queue lock and keeps it. F4's faxmail-notify stores its
      // report and waits for the lock: it is killed there; then the lock holder is killed.
      const f4 = (await pending[0]!).job;
      await bed.waitForJob(f4, (j) => j.state === 'dialling', 240_000, 'its call');
      await until(() => (farEndAnswered(f4) ? true : undefined), 120_000, 'the far end to answer F4');
      const lockFile = join(bed.install.spool, 'locks', 'queue.lock');
      const holder = spawn('/usr/bin/flock', ['-x', lockFile, '/bin/sleep', '600'], {
        uid: bed.user.uid,
        gid: bed.user.gid,
        detached: true,
        stdio: 'ignore',
      });
      await until(
        () =>
          processesWith('/bin/sleep', '600').some((pid) =>
            readFileSync(`/proc/${pid}/status`, 'utf8').includes(`PPid:\t${holder.pid}\n`),
          )
            ? true
            : undefined,
        60_000,
        'the lock holder to hold the lock',
      );
      const report = join(bed.install.spool, 'reports', `${f4}-1-sent.json`);
      await until(() => (existsSync(report) ? true : undefined), 120_000, "F4's report to be stored", 20);
      const pids = processesWith('faxmail-notify', ' sent ', f4);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      assert.ok(pids.length > 0, "F4's faxmail-notify was found waiting for the lock");
      assert.ok(existsSync(report), 'the report stays stored, not applied');
      assert.not.ok(existsSync(join(bed.install.spool, 'reports', 'applied', `${f4}-1-sent.json`)), 'not applied yet');
      // the lock is freed only once the killed notify is gone, so it cannot apply the report after all
      for (const pid of pids) await waitGone(pid, "F4's killed faxmail-notify");
      process.kill(-holder.pid!, 'SIGKILL');
      return { f4, pids, report };
    })(),
  ]);

  const deliveries = await Promise.all(pending);
  // Everything ends, with one receipt or notice each.
  const all = [probeJob, ...deliveries.map((d) => d.job)];
  for (const id of all) await final(id, 400_000);

  // A call lost for good, with nothing else on: Asterisk frozen while faxmail places the call file, the file
  // deleted, Asterisk thawed. No call was made, no report will come.
  const lostNumber = farEndNumber('fax');
  const lostMail = await faxMail('Lost call', lostNumber);
  process.kill(bed.pid, 'SIGSTOP');
  let lostJob = '';
  try {
    const r = await sendfaxRun(lostMail, lostNumber);
    assert.is(r.code, 0, r.stdout);
    lostJob = /Fax job (\S+) queued/.exec(r.stdout)![1]!;
    const placed = await bed.waitForJob(
      lostJob,
      (j) => j.state === 'dialling' && j.callFile !== undefined && existsSync(join(bed.install.outgoing, j.callFile)),
      30_000,
      'its call file',
    );
    unlinkSync(join(bed.install.outgoing, placed.callFile!));
  } finally {
    process.kill(bed.pid, 'SIGCONT');
  }
  await final(lostJob, 180_000);

  // The last `faxmail run`, then the spool as it stands.
  const runAfter = await bed.faxmail(['run']);
  const jobs = new Map<string, Job>();
  for (const id of readdirSync(join(bed.install.spool, 'jobs')).filter((x) => !x.startsWith('.')))
    jobs.set(id, bed.readJob(id));
  return {
    deliveries,
    deletedLive: { job: f3, file: f3job.callFile! },
    notifyKilled: { job: f4, pids, report, holderKilled: true },
    lost: { job: lostJob },
    jobs,
    runAfter,
    seconds: (Date.now() - t0) / 1000,
  };
}

test(
  `12 mails to 8 numbers, ${KILLS} sendfax runs SIGKILLed: one job per mail, never more than ${MAX_CALLS} ` +
    `calls, never two to one number`,
  async () => {
    const o = await outcome;
    const kills = o.deliveries.reduce((s, d) => s + d.killed, 0);
    assert.is(
      kills,
      KILLS,
      `sendfax runs SIGKILLed: ${kills} (early finishes ${o.deliveries.reduce((s, d) => s + d.finishedEarly, 0)})`,
    );
    for (const d of o.deliveries)
      assert.equal([...d.jobsSeen], [d.job], `${d.subject}: every run that got through named the same job`);
    // One job per mail: the 12, the probe and the lost call; nothing else in the spool.
    assert.is(o.jobs.size, 14, `jobs: ${[...o.jobs.values()].map((j) => j.subject).join(', ')}`);
    assert.equal(
      [...o.jobs.values()].map((j) => j.subject).sort(),
      [...o.deliveries.map((d) => d.subject), 'Probe', 'Lost call'].sort(),
    );
    assert.equal(new Set([...o.jobs.values()].map((j) => j.mailKey)).size, 14, 'every mail key once');
    assert.ok(watch.samples > 200, `the watcher looked often enough (${watch.samples} samples)`);
    assert.equal(watch.breaches, [], 'never more than max_calls, never two calls to one number');
    assert.is(watch.most, MAX_CALLS, 'the trunk was used to the full (the watcher can see a breach)');
    console.log(
      `queue bed: ${o.seconds.toFixed(0)} s, ${watch.samples} samples, kills ${kills}, early finishes ` +
        `${o.deliveries.reduce((s, d) => s + d.finishedEarly, 0)}, deferred ` +
        `${o.deliveries.reduce((s, d) => s + d.deferred, 0)}`,
    );
  },
);

test('every job ends with exactly one receipt or notice; the retries went by their rules', async () => {
  const o = await outcome;
  for (const job of o.jobs.values()) {
    assert.ok(FINAL.includes(job.state), `${job.subject}: ${job.state}`);
    const mails = await bed.mailsFor(job.id);
    assert.is(mails.length, 1, `${job.subject}: one mail, got ${mails.map((m) => m.subject).join(' | ')}`);
  }
  const by = (s: string): Job => [...o.jobs.values()].find((j) => j.subject === s)!;
  const attempts = (j: Job): string[] => j.attempts.map((a) => `${a.n}:${a.status}/${a.class}${a.lost ? '/lost' : ''}`);
  for (const s of ['F1 first', 'F1 second', 'F1 third', 'F2 first', 'F2 second', 'Probe'])
    assert.equal(attempts(by(s)), ['1:SUCCESS/'], s);
  for (const s of ['O1', 'O2']) assert.equal(attempts(by(s)), ['1:UNANSWERED/busy', '2:SUCCESS/'], s);
  for (const s of ['B1 first', 'B1 second'])
    assert.equal(attempts(by(s)), ['1:UNANSWERED/busy', '2:UNANSWERED/busy', '3:UNANSWERED/busy'], s);
  assert.is(by('P1').state, 'failed');
});

test(
  'a call file deleted while its call is on: the call is not taken for lost, its report is applied, its ' +
    'number stays held',
  async () => {
    const o = await outcome;
    const j = o.jobs.get(o.deletedLive.job)!;
    assert.is(j.state, 'sent');
    assert.equal(
      j.attempts.map((a) => [a.n, a.status, a.lost ?? false]),
      [[1, 'SUCCESS', false]],
    );
  },
);

test(
  'faxmail-notify SIGKILLed between storing and applying, the lock holder SIGKILLed: the report is applied ' +
    'once, by faxmail run',
  async () => {
    const o = await outcome;
    const j = o.jobs.get(o.notifyKilled.job)!;
    assert.is(j.state, 'sent');
    assert.equal(
      j.attempts.map((a) => [a.n, a.status]),
      [[1, 'SUCCESS']],
    );
    assert.not.ok(existsSync(o.notifyKilled.report), 'no longer pending');
    assert.ok(
      existsSync(join(bed.install.spool, 'reports', 'applied', `${o.notifyKilled.job}-1-sent.json`)),
      'filed as applied',
    );
    // The dialplan says that faxmail-notify failed; nothing else was logged about it.
    const warned = slice
      .lines()
      .filter((l) => l.text.includes(`faxmail-notify sent failed for job ${o.notifyKilled.job}`));
    assert.is(warned.length, 1, 'the dialplan logged the killed faxmail-notify');
  },
);

test(
  'a call lost for good (no call file, no channel, no report) is found by faxmail run at once, retried by ' +
    'rule, the admin told once',
  async () => {
    const o = await outcome;
    const j = o.jobs.get(o.lost.job)!;
    assert.is(j.state, 'sent');
    assert.equal(
      j.attempts.map((a) => [a.n, a.status, a.class, a.lost ?? false]),
      [
        [1, 'UNANSWERED', 'unknown', true],
        [2, 'SUCCESS', '', false],
      ],
    );
    assert.match(j.attempts[0]!.error, /no channel is left/);
    const { simpleParser } = await import('mailparser');
    const admin = (await Promise.all(bed.mail.messages.map((m) => simpleParser(m.raw)))).filter((m) =>
      /gave no result/.test(m.subject ?? ''),
    );
    assert.is(admin.length, 1, 'the admin was told once');
    assert.match(admin[0]!.text ?? '', o.lost.job);
  },
);

test('after faxmail run: no ghost, no number held, no orphan file, every report applied once', async () => {
  const o = await outcome;
  assert.is(o.runAfter.code, 0, o.runAfter.stdout + o.runAfter.stderr);
  // No ghost: no call file, no channel of a job, nothing dialling or queued.
  assert.equal(readdirSync(bed.install.outgoing), [], 'no call file left');
  const channels = parseConcise(await bed.rx('core show channels concise')).filter((c) => c.accountCode !== '');
  assert.equal(channels, [], 'no channel left');
  for (const j of o.jobs.values())
    assert.ok(FINAL.includes(j.state) && j.noticePending === undefined, `${j.subject}: ${j.state}`);
  // No orphan: staging dirs, staged call files, scratch files, staging locks, pending or half-stored reports.
  const spool = bed.install.spool;
  assert.equal(
    readdirSync(join(spool, 'jobs')).filter((x) => x.startsWith('.')),
    [],
    'no staging dir',
  );
  assert.equal(readdirSync(bed.install.asteriskTmp), [], 'nothing in the call-file tmp dir');
  assert.equal(
    readdirSync(join(spool, 'locks')).filter((x) => x.startsWith('staging-')),
    [],
    'no staging lock',
  );
  assert.equal(
    readdirSync(join(spool, 'reports')).filter((x) => x !== 'applied'),
    [],
    'no report pending',
  );
  for (const id of o.jobs.keys())
    assert.equal(
      readdirSync(join(spool, 'jobs', id)).filter((x) => x.endsWith('.tmp')),
      [],
      `no scratch file in ${id}`,
    );
  // Every report applied once: one applied report per attempt that had a call, none for anything else.
  const applied = readdirSync(join(spool, 'reports', 'applied')).sort();
  const expected = [...o.jobs.values()]
    .flatMap((j) =>
      j.attempts
        .filter((a) => !a.lost)
        .map((a) => `${j.id}-${a.n}-${a.status === 'UNANSWERED' ? 'unanswered' : 'sent'}.json`),
    )
    .sort();
  assert.equal(applied, expected);
  for (const j of o.jobs.values())
    assert.equal(
      j.attempts.map((a) => a.n),
      j.attempts.map((_, i) => i + 1),
      `${j.subject}: attempts numbered once each`,
    );
});

test("Asterisk's log: nothing unexpected but the killed faxmail-notify and the far ends' own noise", async () => {
  const o = await outcome;
  // app_system says the killed command failed, the dialplan names the job; pbx_spool could not read the
  // call file removed while it was frozen. Each exactly as the fault made it, nothing else.
  const killed = new RegExp(`faxmail-notify sent failed for job ${o.notifyKilled.job} attempt 1 `);
  const killedExec = new RegExp(
    `app_system\\.c: Unable to execute '.*faxmail-notify sent .*--job '${o.notifyKilled.job}' --attempt '1' `,
  );
  const gone = new RegExp(
    `pbx_spool\\.c: Unable to stat .*/faxmail-${o.lost.job}-1\\.call: No such file or directory$`,
  );
  assert.equal(slice.problems([SPANDSP_RECEIVER_CHATTER, LOCAL_QUEUE_WHILE_REPORTING, killed, killedExec, gone]), []);
});

test.run();
