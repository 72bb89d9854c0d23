/*
 * harness.ts: shared machinery for the black-box tests of the built sendfax (test/sendfax/*.test.ts).
 * - newEnv(): a throw-away installation (test/helpers/sendfax-env.ts) whose senders include the fixture
 *   domains, with section patching for paths/callfile/retry settings; removed after the file's tests.
 * - runAs(): pipe a mail into the built sendfax as Postfix does; as another user, into an installed copy.
 * - expectQueued() / expectRejected(): the exit status, the first printed line and the files left behind.
 * - expectFaxTiff(): every page 1728 wide, 1 bit, 204 x 98/196/391 dpi, paper height, checked with
 *   readTiffFile AND tiffinfo (which also decodes every strip).
 * - useHarness(test): after every test, EVERY fax.tif any sendfax run left in any env of this file is
 *   checked with expectFaxTiff and sent through the spandsp line simulator; it must arrive with SUCCESS and
 *   the page count job.json claims. No test can forget it, because it looks at the spool, not at the test.
 * - pageMarks(): reads back the marks of test/sendfax/marked.ts from the pages of a fax TIFF.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { makeTestEnv, type EnvOptions, type RunResult, type TestEnv } from '../helpers/sendfax-env.js';
import { binPath } from '../helpers/paths.js';
import { installedProgram } from '../helpers/installed.js';
import { buildLineSim, transmitFax } from '../helpers/linesim.js';
import { readTiff, readTiffFile, type TiffPage } from '../../lib/tiff/read.js';
import { parseCallFile } from '../../lib/asterisk/callfile.js';
import type { Job } from '../../lib/spool/types.js';

export type Resolution = 'standard' | 'fine' | 'superfine';
export type Paper = 'a4' | 'letter';

const YDPI: Readonly<Record<Resolution, number>> = { standard: 98, fine: 196, superfine: 391 };
/** Page height in lines: A4 297 mm, Letter 11 in, at the resolution's line density. */
export function pageHeight(resolution: Resolution, paper: Paper): number {
  return Math.round((paper === 'a4' ? 297 / 25.4 : 11) * YDPI[resolution]);
}

/** Senders the fixtures use (mail-fixtures.ts writes From: alice@example.com, yamada@example.jp). */
const FIXTURE_SENDERS = 'allow = ["@example.org", "@example.com", "@example.jp"]';

const envs: TestEnv[] = [];

/** A test installation whose senders accept the fixture mails; removed in the file's after hook. */
export function newEnv(opts: EnvOptions = {}): TestEnv {
  const env = makeTestEnv({ senders: FIXTURE_SENDERS, ...opts });
  envs.push(env);
  return env;
}

/** Add lines at the top of a generated config section ([paths], [callfile], ...). */
export function patchSection(env: TestEnv, section: string, lines: string): void {
  const text = readFileSync(env.configPath, 'utf8');
  const head = `[${section}]\n`;
  if (text.includes(head)) writeFileSync(env.configPath, text.replace(head, `${head}${lines}\n`));
  else writeFileSync(env.configPath, `${text}\n${head}${lines}\n`);
}

/** Replace one exact line of the generated config. */
export function replaceConfigLine(env: TestEnv, from: string, to: string): void {
  const text = readFileSync(env.configPath, 'utf8');
  assert.ok(text.includes(from), `config line ${from} present`);
  writeFileSync(env.configPath, text.replace(from, to));
}

export interface RunArgs {
  sender?: string;
  recipient?: string;
  extension?: string;
  extra?: string[];
  /** run as this uid/gid (the test runs as root; Postfix runs sendfax as an unprivileged user) */
  uid?: number;
  gid?: number;
  /** replace the argv after the script path entirely */
  argv?: string[];
  /** a command that runs node, e.g. ['taskset', '-c', '0', 'nice', '-n', '10'] */
  wrap?: string[];
}

/** Pipe `mail` into the built sendfax with Postfix-style arguments (like runSendfax, plus uid/argv). */
export function runAs(
  env: TestEnv,
  mail: Buffer | string,
  args: RunArgs = {},
): Promise<RunResult & { ms: number; stdinError?: string }> {
  const recipient = args.recipient ?? `fax+${args.extension ?? '0312345678'}@fax.example.com`;
  const argv = args.argv ?? [
    `--config=${env.configPath}`,
    `--sender=${args.sender ?? 'alice@example.org'}`,
    `--recipient=${recipient}`,
  ];
  if (!args.argv && args.extension !== undefined) argv.push(`--extension=${args.extension}`);
  if (!args.argv) argv.push(...(args.extra ?? []));
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    // Another user cannot be expected to reach the checkout (mode 0700 in /root): it runs an installed copy.
    const base = args.uid !== undefined ? [installedProgram().sendfax] : [process.execPath, binPath('sendfax')];
    const [program, ...pre] = [...(args.wrap ?? []), ...base];
    const child = spawn(program!, [...pre, ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(args.uid !== undefined ? { uid: args.uid, gid: args.gid ?? args.uid } : {}),
      cwd: '/',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    let stdinError: string | undefined;
    child.on('close', (status) =>
      resolve({
        status,
        stdout,
        stderr,
        firstLine: stdout.split('\n')[0] ?? '',
        ms: Date.now() - t0,
        ...(stdinError ? { stdinError } : {}),
      }),
    );
    // A refused mail need not be read in full; record it (EPIPE) instead of failing the runner.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => (stdinError = err.code ?? err.message));
    child.stdin.end(mail);
  });
}

export interface Queued {
  id: string;
  pages: number;
  number: string;
  dir: string;
  job: Job;
  /** text of the call file in outgoing ('' when the job waits for the line) */
  callFile: string;
  callFilePath: string;
  run: RunResult;
}

export function readJob(env: TestEnv, id: string): Job {
  return JSON.parse(readFileSync(join(env.spool, 'jobs', id, 'job.json'), 'utf8')) as Job;
}

/** A run that must succeed: exit 0, "2.0.0 Fax job <id> queued: N page(s) to <number>", one line only. */
export async function expectQueued(env: TestEnv, mail: Buffer | string, args: RunArgs = {}): Promise<Queued> {
  const run = await runAs(env, mail, args);
  assert.is(run.status, 0, `sendfax should queue the mail; exit ${run.status}: ${run.stdout}${run.stderr}`);
  const m = /^2\.0\.0 Fax job (\d{8}-\d{6}-[0-9a-f]{12}) queued: (\d+) pages? to (\+?\d+)( \(not faxed: .*\))?$/.exec(
    run.firstLine,
  );
  assert.ok(m, `first line: ${JSON.stringify(run.firstLine)}`);
  assert.is(run.stdout, `${run.firstLine}\n`, 'exactly one line on stdout');
  assert.is(run.stderr, '', 'nothing on stderr');
  const id = m![1]!;
  const dir = join(env.spool, 'jobs', id);
  const job = readJob(env, id);
  assert.is(job.id, id);
  assert.is(job.pages, Number(m![2]));
  assert.is(job.number, m![3]);
  const callFilePath = job.callFile ? join(env.outgoing, job.callFile) : '';
  const callFile = callFilePath ? readFileSync(callFilePath, 'utf8') : '';
  return { id, pages: job.pages, number: job.number, dir, job, callFile, callFilePath, run };
}

// ---------- what a run leaves behind ----------

/** Every path under dir (relative), but `skip`ped subtrees; `quiet` directories are walked, not listed. */
function listTree(
  dir: string,
  skip: (rel: string) => boolean = () => false,
  quiet: (rel: string) => boolean = () => false,
): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skip(rel)) continue;
      const isDir = statSync(p).isDirectory();
      if (!(isDir && quiet(rel))) out.push(rel);
      if (isDir) walk(p);
    }
  };
  walk(dir);
  return out;
}

export interface Snapshot {
  spool: string[];
  outgoing: string[];
  tmp: string[];
}

/**
 * Everything in the spool (but lock files, and the spool's own empty subdirectories,
 * which the first run creates), outgoing and tmp.
 */
export function snapshot(env: TestEnv): Snapshot {
  return {
    spool: listTree(
      env.spool,
      (rel) => rel === 'locks' || rel.startsWith('locks/'),
      (rel) => ['jobs', 'inbound', 'outbox', 'reports', 'reports/applied'].includes(rel),
    ),
    outgoing: listTree(env.outgoing),
    tmp: listTree(env.tmp),
  };
}

/**
 * No ghost: every dialling job has its call file in outgoing, and every call file there belongs to the
 * dialling job it names (a failed run must neither hold a number nor leave a call behind).
 */
export function assertLinesClean(env: TestEnv): void {
  const jobsDir = join(env.spool, 'jobs');
  const dialling = new Set<string>();
  // jobs/ may be a file in a test of broken spools: then no job dials.
  for (const id of existsSync(jobsDir) && statSync(jobsDir).isDirectory()
    ? readdirSync(jobsDir).filter((n) => !n.startsWith('.'))
    : []) {
    const job = JSON.parse(readFileSync(join(jobsDir, id, 'job.json'), 'utf8')) as { state: string; callFile?: string };
    if (job.state !== 'dialling') continue;
    assert.ok(
      job.callFile && existsSync(join(env.outgoing, job.callFile)),
      `job ${id} is dialling without its call file`,
    );
    dialling.add(job.callFile!);
  }
  for (const name of readdirSync(env.outgoing))
    assert.ok(dialling.has(name), `call file ${name} belongs to no dialling job`);
}

export interface Rejection {
  status: number;
  /** enhanced status code the first line must start with, e.g. "5.6.0" */
  code: string;
  /** substrings the first line must contain */
  says?: (string | RegExp)[];
}

/** Words of the server's insides: errno names, signals, the converters' names, exit statuses. */
const INTERNAL_WORDS = [
  /\bE[A-Z]{3,}\b|\bSIG[A-Z]+\b/,
  new RegExp(
    String.raw`\bghostscript\b|\bgs\b|tiffinfo|tiff2pdf|tiff2rgba|\btnef\b|soffice|libreoffice|` +
      String.raw`exit (?:code|status)|\bstderr\b|\bstdout\b|undefined|\bnull\b`,
    'i',
  ),
];

/**
 * The output Postfix would put into a bounce or a delay notice: bounded, no stack trace, no raw error text,
 * no server path ever; and a bounce (any status but 75) names no internals at all (errno, signal, tool).
 * expectRejected calls this for every rejection every black-box test makes.
 */
function assertPlainOutput(run: RunResult, env?: TestEnv): void {
  const all = run.stdout + run.stderr;
  assert.ok(Buffer.byteLength(all) < 4096, `output is ${Buffer.byteLength(all)} bytes`);
  assert.not.match(all, /^\s+at\s/m, `no stack trace: ${all}`);
  assert.not.match(all, /\.(?:js|ts|mjs):\d+/, `no source locations: ${all}`);
  assert.not.match(all, /node:internal|Error: |TypeError|ReferenceError|EACCES:|ENOENT:/, `no raw error text: ${all}`);
  assert.not.match(all, /(?:^|[\s("'=:,])\/[^\s/]+\//, `no server path: ${all}`);
  if (env) assert.not.ok(all.includes(env.root), `no path of the installation: ${all}`);
  if (run.status !== 75)
    for (const words of INTERNAL_WORDS) assert.not.match(all, words, `no internal detail in a bounce: ${all}`);
}

/** A run that must be refused with `expect`, leaving no call file, job, staging dir or temp file. */
export async function expectRejected(
  env: TestEnv,
  mail: Buffer | string,
  expect: Rejection,
  args: RunArgs = {},
): Promise<RunResult & { ms: number; stdinError?: string }> {
  const before = snapshot(env);
  const run = await runAs(env, mail, args);
  assert.is(run.status, expect.status, `exit status; output: ${run.stdout}${run.stderr}`);
  assert.ok(
    run.firstLine.startsWith(`${expect.code} `),
    `first line starts with ${expect.code}: ${JSON.stringify(run.firstLine)}`,
  );
  assert.ok(run.firstLine.length > expect.code.length + 10, 'the first line says something');
  for (const s of expect.says ?? []) {
    if (typeof s === 'string') assert.ok(run.firstLine.includes(s), `first line mentions ${s}: ${run.firstLine}`);
    else assert.match(run.firstLine, s);
  }
  assertPlainOutput(run, env);
  const after = snapshot(env);
  assert.equal(after.outgoing, before.outgoing, 'no call file dropped');
  assert.equal(after.spool, before.spool, 'no job directory, staging directory or file left in the spool');
  assert.equal(after.tmp, before.tmp, 'no temporary file left in tmp');
  assertLinesClean(env);
  return run;
}

// ---------- fax TIFF checks ----------

export interface FaxExpect {
  resolution: Resolution;
  paper?: Paper;
  pages?: number;
}

interface TiffinfoPage {
  width: number;
  height: number;
  xres: number;
  yres: number;
  bits: number;
  samples: number;
}

/** tiffinfo's view of every page; decodes every strip (-D) and fails on any complaint. */
export function tiffinfoPages(file: string): TiffinfoPage[] {
  const r = spawnSyncText('tiffinfo', [file]);
  const pages: TiffinfoPage[] = [];
  for (const block of r.stdout.split(/^=== TIFF directory \d+ ===$/m).slice(1)) {
    const size = /Image Width: (\d+) Image Length: (\d+)/.exec(block);
    const res = /Resolution: ([\d.]+), ([\d.]+) pixels\/inch/.exec(block);
    const bits = /Bits\/Sample: (\d+)/.exec(block);
    const samples = /Samples\/Pixel: (\d+)/.exec(block);
    assert.ok(size && res && bits, `tiffinfo block has size, resolution and bits: ${block.slice(0, 400)}`);
    pages.push({
      width: Number(size![1]),
      height: Number(size![2]),
      xres: Number(res![1]),
      yres: Number(res![2]),
      bits: Number(bits![1]),
      samples: samples ? Number(samples[1]) : 1,
    });
  }
  const decoded = spawnSyncText('tiffinfo', ['-D', file]);
  const complaints = decoded.stderr.split('\n').filter((l) => l.trim() && !/unknown field with tag/i.test(l));
  assert.equal(complaints, [], `tiffinfo -D decodes ${file} cleanly`);
  assert.is(decoded.status, 0);
  return pages;
}

function spawnSyncText(cmd: string, args: string[]): { stdout: string; stderr: string; status: number } {
  try {
    const stdout = execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr: '', status: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', status: e.status ?? -1 };
  }
}

/** Every page a valid fax page at `expect.resolution`, checked by our reader and by libtiff. */
export async function expectFaxTiff(file: string, expect: FaxExpect): Promise<TiffPage[]> {
  const pages = await readTiffFile(file);
  const height = pageHeight(expect.resolution, expect.paper ?? 'a4');
  if (expect.pages !== undefined) assert.is(pages.length, expect.pages, `${file}: page count`);
  for (const [i, p] of pages.entries()) {
    const where = `${file} page ${i + 1}`;
    assert.is(p.width, 1728, `${where}: width`);
    assert.is(p.height, height, `${where}: height`);
    assert.is(p.bitsPerSample, 1, `${where}: bits per sample`);
    assert.is(p.samplesPerPixel, 1, `${where}: samples per pixel`);
    assert.is(p.resolutionUnit, 2, `${where}: resolution unit inch`);
    assert.ok(Math.abs(p.xResolution - 204) < 0.5, `${where}: XResolution ${p.xResolution}`);
    assert.ok(Math.abs(p.yResolution - YDPI[expect.resolution]) < 0.5, `${where}: YResolution ${p.yResolution}`);
    assert.ok([3, 4].includes(p.compression), `${where}: CCITT G3/G4 compression, not ${p.compression}`);
  }
  const info = tiffinfoPages(file);
  assert.is(info.length, pages.length, `${file}: tiffinfo sees the same number of pages`);
  for (const [i, p] of info.entries()) {
    const where = `${file} page ${i + 1} (tiffinfo)`;
    assert.is(p.width, 1728, `${where}: width`);
    assert.is(p.height, height, `${where}: height`);
    assert.is(p.bits, 1, `${where}: bits`);
    assert.is(p.samples, 1, `${where}: samples`);
    assert.ok(
      Math.abs(p.xres - 204) < 0.5 && Math.abs(p.yres - YDPI[expect.resolution]) < 0.5,
      `${where}: resolution ${p.xres}x${p.yres}`,
    );
  }
  return pages;
}

// ---------- every fax any run produced goes through the line ----------

const verified = new Set<string>();
let transmitted = 0;

/** How many fax TIFFs went through the line simulator so far in this file. */
export function faxesTransmitted(): number {
  return transmitted;
}

/**
 * Check and transmit every fax.tif in every env of this file not yet seen. Marks them seen FIRST, so a
 * second call (uvu runs after.each again when it throws) does not repeat a failure.
 */
export async function verifyProducedFaxes(): Promise<void> {
  const todo: { env: TestEnv; id: string }[] = [];
  for (const env of envs) {
    const jobs = join(env.spool, 'jobs');
    if (!existsSync(jobs) || !statSync(jobs).isDirectory()) continue;
    for (const id of readdirSync(jobs)) {
      const key = `${env.root}:${id}`;
      if (verified.has(key)) continue;
      verified.add(key);
      todo.push({ env, id });
    }
  }
  const problems: string[] = [];
  for (const { env, id } of todo) {
    try {
      assert.match(id, /^\d{8}-\d{6}-[0-9a-f]{12}$/, `only job directories in jobs/: ${id}`);
      const job = readJob(env, id);
      const tiff = join(env.spool, 'jobs', id, job.tiff);
      await expectFaxTiff(tiff, { resolution: job.resolution, paper: job.paper, pages: job.pages });
      const rx = join(env.root, `received-${id}.tif`);
      const r = await transmitFax(tiff, rx);
      transmitted += 1;
      assert.is(r.status, 'SUCCESS', `line simulator: ${r.error}`);
      assert.ok(r.receiver, 'the far end answered');
      assert.is(r.receiver!.status, 'SUCCESS', `receiver: ${r.receiver!.error}`);
      assert.is(r.pages, job.pages, 'pages that arrived');
      assert.is(r.sender.pages_in_file, job.pages, 'pages the sender found in the file');
      assert.is(r.resolution, `204x${YDPI[job.resolution]}`, 'line resolution');
      rmSync(rx, { force: true });
    } catch (err) {
      problems.push(`job ${id}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new Error(`fax check failed:\n${problems.join('\n')}`);
}

/** Install the file-wide hooks: build the line simulator, verify faxes after each test, clean up. */
export function useHarness(test: Test): void {
  test.before(async () => {
    await buildLineSim();
  });
  test.after.each(async () => {
    await verifyProducedFaxes();
  });
  test.after(async () => {
    try {
      await verifyProducedFaxes();
    } finally {
      for (const env of envs.splice(0)) rmSync(env.root, { recursive: true, force: true });
    }
  });
}

// ---------- reading the marks back ----------

export interface PageLook {
  /** black runs (>= 6 px) along the middle row and the middle column */
  rowRuns: number;
  colRuns: number;
  /** fraction of black pixels */
  black: number;
  /** rows containing black, first and last, as fractions of the page height */
  top: number;
  bottom: number;
}

/** Decode every page of a fax TIFF (via tiffcp -c none) and describe it. */
export function lookAtPages(file: string, scratchDir: string): PageLook[] {
  const raw = join(scratchDir, `raw-${Date.now()}-${Math.random().toString(16).slice(2)}.tif`);
  execFileSync('tiffcp', ['-c', 'none', file, raw], { stdio: 'ignore' });
  try {
    const buf = readFileSync(raw);
    return readTiff(buf).map((p) => {
      const rowBytes = Math.ceil(p.width / 8);
      const data = Buffer.concat(p.stripOffsets.map((off, i) => buf.subarray(off, off + p.stripByteCounts[i]!)));
      assert.ok(data.length >= rowBytes * p.height, 'uncompressed data covers the page');
      const blackBit = p.photometric === 0 ? 1 : 0;
      const isBlack = (x: number, y: number): boolean => {
        const byte = data[y * rowBytes + (x >> 3)]!;
        const bit = p.fillOrder === 2 ? (byte >> (x & 7)) & 1 : (byte >> (7 - (x & 7))) & 1;
        return bit === blackBit;
      };
      const runs = (n: number, at: (i: number) => boolean): number => {
        let count = 0;
        let len = 0;
        for (let i = 0; i <= n; i++) {
          if (i < n && at(i)) len += 1;
          else {
            if (len >= 6) count += 1;
            len = 0;
          }
        }
        return count;
      };
      let black = 0;
      let top = -1;
      let bottom = -1;
      for (let y = 0; y < p.height; y++) {
        let rowBlack = 0;
        for (let x = 0; x < p.width; x += 4) if (isBlack(x, y)) rowBlack += 1;
        black += rowBlack;
        if (rowBlack > 0) {
          if (top < 0) top = y;
          bottom = y;
        }
      }
      return {
        rowRuns: runs(p.width, (x) => isBlack(x, p.height >> 1)),
        colRuns: runs(p.height, (y) => isBlack(p.width >> 1, y)),
        black: black / ((p.width / 4) * p.height),
        top: top < 0 ? 0 : top / p.height,
        bottom: bottom < 0 ? 0 : bottom / p.height,
      };
    });
  } finally {
    rmSync(raw, { force: true });
  }
}

/** The marks (bar counts) of every page, read along the middle row (portrait pages). */
export function pageMarks(file: string, scratchDir: string): number[] {
  return lookAtPages(file, scratchDir).map((p) => p.rowRuns);
}

/** Check a call file the way pbx_spool reads it; returns its entries as [key, value] pairs. */
export function checkCallFileText(text: string): [string, string][] {
  assert.ok(text.endsWith('\n'), 'call file ends with a newline');
  const parsed = parseCallFile(text);
  assert.equal(parsed.problems, [], 'call file parses cleanly');
  for (const line of text.split('\n')) {
    assert.ok(Buffer.byteLength(line) < 255, `line under 255 bytes: ${line.slice(0, 60)}`);
    if (line !== '') assert.match(line, /^[A-Za-z]+: [\x20-\x7e]+$/, `plain Key: value line: ${JSON.stringify(line)}`);
  }
  return parsed.entries;
}
