/*
 * env.ts: a throw-away spool for faxmail-notify tests: config (parseConfig, mail.transport = "directory"),
 * jobs written by hand (job.json + a real fax.tif rendered by Ghostscript), helpers to read the .eml
 * receipts (mailparser) and the call files dropped, and a runner for the BUILT dist/bin/faxmail-notify.js.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { parseConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/schema.js';
import { newJobId } from '../../lib/spool/job-id.js';
import { ensureSpool, spoolPaths, writeJob, type SpoolPaths } from '../../lib/spool/jobs.js';
import type { Job } from '../../lib/spool/types.js';
import { silentLogger } from '../../lib/log.js';
import { binPath } from '../helpers/paths.js';
import { directoryMail, makeTempInstall, renderTestConfig } from '../helpers/test-config.js';
import { jobRecord } from '../helpers/job-record.js';

export interface NotifyEnv {
  root: string;
  paths: SpoolPaths;
  outgoing: string;
  mailDir: string;
  configPath: string;
  config: Readonly<Config>;
  log: ReturnType<typeof silentLogger>;
}

let faxTiff: string | undefined;

/** A 2-page fine A4 fax TIFF, rendered once per process with the gs command faxmail uses. */
export function sampleFaxTiff(): string {
  if (faxTiff && existsSync(faxTiff)) return faxTiff;
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-notify-fax-'));
  const pdf = join(dir, 'some.pdf');
  const ps =
    '/Helvetica findfont 28 scalefont setfont 1 1 2 { /n exch def 72 700 moveto (faxmail test page ) show n 3 ' +
    'string cvs show 72 72 moveto 450 600 rlineto stroke showpage } for';
  execFileSync('gs', [
    '-q',
    '-dSAFER',
    '-dBATCH',
    '-dNOPAUSE',
    '-sDEVICE=pdfwrite',
    '-sPAPERSIZE=a4',
    '-o',
    pdf,
    '-c',
    ps,
  ]);
  const tif = join(dir, 'fax.tif');
  execFileSync('gs', [
    '-q',
    '-dSAFER',
    '-sDEVICE=tiffg4',
    '-r204x196',
    '-g1728x2292',
    '-dFIXEDMEDIA',
    '-dPDFFitPage',
    '-o',
    tif,
    pdf,
  ]);
  faxTiff = tif;
  return tif;
}

/** Make the directories and the config. `toml` is appended (sections must not repeat ours). */
export async function makeNotifyEnv(
  options: { toml?: string; retry?: string; notify?: string; paths?: string } = {},
): Promise<NotifyEnv> {
  const install = makeTempInstall('faxmail-notify-');
  const text = renderTestConfig(install, {
    paths: options.paths ?? '',
    callfile: { owner: String(process.getuid?.() ?? 0), group: String(process.getgid?.() ?? 0) },
    sections: [
      ['mail', directoryMail(install)],
      ['notify', `from = "fax@example.com"\n${options.notify ?? ''}`],
      ['retry', options.retry ?? ''],
    ],
    extra: options.toml ?? '',
  });
  writeFileSync(install.configPath, text);
  const config = parseConfig(text, install.configPath);
  const paths = spoolPaths(install.spool);
  await ensureSpool(paths);
  return {
    root: install.root,
    paths,
    outgoing: install.outgoing,
    mailDir: install.mailDir,
    configPath: install.configPath,
    config,
    log: silentLogger(),
  };
}

let lastCreated = 0;

/** A queued job with a real fax.tif, written as sendfax would leave it. */
export async function makeJob(env: NotifyEnv, overrides: Partial<Job> = {}): Promise<Job> {
  const id = overrides.id ?? newJobId();
  // Each job is created after the one before, even within one millisecond (a fast disk, a tmpfs /tmp): the
  // dispatcher takes the oldest job first and tests name which one that is; a tie would fall to the random id.
  lastCreated = Math.max(Date.now(), lastCreated + 1);
  const created = new Date(lastCreated).toISOString();
  const dir = join(env.paths.jobs, id);
  mkdirSync(dir, { recursive: true });
  copyFileSync(sampleFaxTiff(), join(dir, 'fax.tif'));
  // By default the job's first call is out (dialling attempt 1); a queued job has dropped no call file yet.
  const dialling = (overrides.state ?? 'dialling') === 'dialling';
  const job = jobRecord(id, {
    state: 'dialling',
    created,
    updated: created,
    ...(dialling ? { attempt: 1, callFile: `faxmail-${id}-1.call` } : {}),
    ...overrides,
  });
  await writeJob(dir, job);
  return job;
}

/**
 * Point the directory transport at a plain file, so every delivery fails and mails wait in the outbox.
 * Returns a function that puts the original config back.
 */
export function blockMailDelivery(env: NotifyEnv): () => void {
  const good = readFileSync(env.configPath, 'utf8');
  const blocked = join(env.root, 'not-a-dir');
  writeFileSync(blocked, '');
  writeFileSync(env.configPath, good.replace(`directory = "${env.mailDir}"`, `directory = "${blocked}"`));
  return () => writeFileSync(env.configPath, good);
}

export function readJobSync(env: NotifyEnv, id: string): Job {
  return JSON.parse(readFileSync(join(env.paths.jobs, id, 'job.json'), 'utf8')) as Job;
}

/** Receipts written by the directory transport, parsed. */
export async function readMails(env: NotifyEnv): Promise<ParsedMail[]> {
  if (!existsSync(env.mailDir)) return [];
  const files = readdirSync(env.mailDir)
    .filter((f) => f.endsWith('.eml'))
    .sort();
  return Promise.all(files.map((f) => simpleParser(readFileSync(join(env.mailDir, f)))));
}

export interface DroppedCall {
  name: string;
  text: string;
  mtime: Date;
  vars: Record<string, string>;
  entries: Record<string, string>;
}

/** Call files in the outgoing dir. */
export function callFiles(env: NotifyEnv): DroppedCall[] {
  return readdirSync(env.outgoing)
    .filter((f) => f.endsWith('.call'))
    .sort()
    .map((name) => {
      const text = readFileSync(join(env.outgoing, name), 'utf8');
      const vars: Record<string, string> = {};
      const entries: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const m = /^([A-Za-z]+): (.*)$/.exec(line);
        if (!m) continue;
        if (m[1] === 'Setvar') {
          const eq = m[2]!.indexOf('=');
          vars[m[2]!.slice(0, eq)] = m[2]!.slice(eq + 1);
        } else entries[m[1]!] = m[2]!;
      }
      return { name, text, mtime: statSync(join(env.outgoing, name)).mtime, vars, entries };
    });
}

export interface BinResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a built program (faxmail-notify, faxmail) of this checkout with `env`'s configuration. */
export function runBin(
  env: NotifyEnv,
  program: 'faxmail-notify' | 'faxmail',
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath(program), ...args], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', FAXMAIL_CONFIG: env.configPath, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Run the built faxmail-notify with `argv` (argv[0], the program path from the dialplan, is dropped). */
export function runNotify(env: NotifyEnv, args: string[], extraEnv: Record<string, string> = {}): Promise<BinResult> {
  return runBin(env, 'faxmail-notify', args, extraEnv);
}

/**
 * The argv (without the program) the template's `sent` line hands faxmail-notify: the FAXOPT values
 * after the template's FILTER sets (asterisk/extensions_faxmail.conf; the real Asterisk of the test bed
 * proves the line itself, test/asterisk/).
 */
export function sentArgs(
  env: NotifyEnv,
  job: Job,
  attempt: number,
  faxopt: Record<string, string>,
  duration = '24',
): string[] {
  const f = (re: RegExp, v: string | undefined): string => (v ?? '').replace(re, '');
  return [
    'sent',
    '--config',
    env.configPath,
    '--job',
    job.id,
    '--attempt',
    String(attempt),
    '--status',
    f(/[^A-Z]/g, faxopt['status']),
    '--error',
    f(/[^0-9A-Za-z]/g, faxopt['error']),
    '--pages',
    f(/[^0-9]/g, faxopt['pages']),
    '--rate',
    f(/[^0-9]/g, faxopt['rate']),
    '--resolution',
    f(/[^0-9x]/g, faxopt['resolution']),
    '--remote-id',
    f(/[^-0-9A-Za-z +._]/g, faxopt['remotestationid']),
    '--mode',
    f(/[^0-9A-Za-z]/g, faxopt['mode']),
    '--duration',
    duration,
  ];
}

/** The argv of the template's `unanswered` line (the call file's failed extension). */
export function unansweredArgs(env: NotifyEnv, job: Job, attempt: number, reason: string): string[] {
  return ['unanswered', '--config', env.configPath, '--job', job.id, '--attempt', String(attempt), '--reason', reason];
}
