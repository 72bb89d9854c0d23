/*
 * asterisk-bed.ts: a real Asterisk 22 for faxmail's tests (scripts/build-asterisk.sh installs it in /usr).
 *
 * startBed() builds one private test bed under a temp dir (mode 0755, so the Asterisk user reaches it):
 *   - the `asterisk` system user, created the way README "Production install" says if it is missing;
 *   - faxmail installed by scripts/install.sh into <root>/fm (the wrappers an admin gets), its spool,
 *     outgoing and tmp dirs owned by the Asterisk user, and a faxmail.toml for the bed: mail goes over SMTP
 *     to a sink on loopback (smtp-sink.ts), calls go to far ends on Local channels, retries come after 1 s;
 *   - Asterisk's own asterisk.conf (private etc/run/spool/log/lib/cache dirs, astdatadir the installed
 *     /var/lib/asterisk), modules.conf (autoload off, no network listeners), logger.conf, and an
 *     extensions.conf that #includes the shipped asterisk/extensions_faxmail.conf byte for byte and then
 *     sets its [globals] the way README "Asterisk" tells an admin; plus the far ends below;
 *   - Asterisk started as `asterisk -C <conf> -U asterisk -G asterisk -f`, and waited for until fully booted;
 *   - the queue's timer: `faxmail run` as the Asterisk user every 2 s (BedOptions.timer), as systemd's
 *     faxmail-run.timer does every 30 s (retries and crash recovery then come within seconds).
 * Several beds may run at once (test files in parallel, other people's test runs): nothing is shared but
 * the installed binaries and /var/lib/asterisk, read-only.
 *
 * Far ends (FAREND; the number's first three digits pick one, the other seven are free, so independent
 * jobs use different numbers): a fax machine (ReceiveFAX; keeps <farend>/<job>-<attempt>.tif), busy,
 * ringing without answer, a fax machine that hangs up 5 s or 20 s after answering, a voice line that stays
 * on, a person who answers and hangs up, and a line that is busy on attempt 1 and a fax machine after.
 * Inbound calls: receive() makes a call with `channel originate` into [faxmail-receive] (or into a shared
 * voice and fax number, [bed-shared], wired to [faxmail-detect] as README shows) with SendFAX (or no page, a
 * cut-off, or a person talking) on the other leg and the caller id and station id the test chose (any bytes).
 *
 * Logs: mark() starts a slice of Asterisk's full log; problems() lists its unexpected lines (any WARNING or
 * ERROR, a NOTICE from app_system, pbx or app_stack) minus the patterns a test expects; forMarker() keeps
 * the lines of the calls (call ids) that logged a marker, such as a job id.
 *
 * stop() stops Asterisk (`core stop now`, then SIGKILL to its process group) and the sink, and removes the
 * bed (kept with FAXMAIL_E2E_KEEP=1). A test process that exits without stop() still kills its Asterisk
 * (exit handler), and startBed() stops beds whose test process died (by the pids they recorded).
 * Needs root. Rejects with the reason and the log tail when Asterisk does not come up.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ParsedMail } from 'mailparser';
import { repoRoot } from './paths.js';
import { installFaxmail, type InstalledFaxmail } from './installed.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';
import {
  BED_EXTRA_MODULES,
  EMPTY_CONFIGS,
  EXAMPLE_SETTINGS,
  renderAsteriskConf,
  renderExtensionsInclude,
  renderIndicationsConf,
  renderLoggerConf,
  renderModulesConf,
  renderSharedLine,
  type AsteriskDirs,
} from './asterisk-config.js';
import type { Job } from '../../lib/spool/types.js';
import { alive } from './process.js';
import { waitUntil } from './wait.js';

export const ASTERISK = '/usr/sbin/asterisk';
const TEMPLATE = join(repoRoot, 'asterisk', 'extensions_faxmail.conf');
/** The context call files dial into: callfile.channel = Local/{number}@faxmail-farend. */
const FAREND_CONTEXT = 'faxmail-farend';
/** The admin's context of a shared voice and fax number in the bed (InboundCall.line = 'shared'). */
const SHARED_CONTEXT = 'bed-shared';

export type FarEnd = 'fax' | 'busy' | 'noAnswer' | 'hangup5' | 'hangup20' | 'voice' | 'person' | 'busyOnce';
const FAREND_PREFIX: Readonly<Record<FarEnd, string>> = {
  fax: '031',
  busy: '032',
  noAnswer: '033',
  hangup5: '034',
  hangup20: '035',
  voice: '036',
  person: '037',
  busyOnce: '038',
};
/** The far end's own station id (what our side reads as FAXOPT(remotestationid)). */
export const FAREND_STATION = '+81 3 9876 5432';

let numberSeq = 0;
/** A fresh number that reaches the far end `kind` (10 digits: passes the bed's numbers.allow). */
export function farEndNumber(kind: FarEnd): string {
  numberSeq += 1;
  return `${FAREND_PREFIX[kind]}${String((process.pid % 1000) * 10000 + numberSeq).padStart(7, '0')}`;
}

/** One parsed line of Asterisk's log (continuation lines joined with \n). */
export interface LogLine {
  time: string;
  level: string;
  callId?: string;
  source: string;
  text: string;
  raw: string;
}

const LOG_LINE = /^\[([^\]]+)\] ([A-Z]+)\[\d+\](?:\[(C-[0-9a-f]+)\])? ([\w.-]+): (.*)$/;

export function parseLog(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    const m = LOG_LINE.exec(raw);
    if (m) out.push({ time: m[1]!, level: m[2]!, ...(m[3] ? { callId: m[3] } : {}), source: m[4]!, text: m[5]!, raw });
    else if (raw !== '' && out.length > 0) {
      const last = out[out.length - 1]!;
      last.text += `\n${raw}`;
      last.raw += `\n${raw}`;
    }
  }
  return out;
}

/**
 * spandsp's T.30 receiver (through res_fax_spandsp) logs this WARNING on ordinary ECM receives, also when
 * every page arrives (seen on every receiving leg, the far end's ReceiveFAX and ours): not a fault.
 */
export const SPANDSP_RECEIVER_CHATTER = /res_fax_spandsp\.c: WARNING T\.30 ECM carrier not found$/;

/**
 * When faxmail's side of a Local channel hangs up first (a voice line it gave up on, a cancelled call), the
 * far end's leg goes on pushing audio to ours while our hangup handler runs faxmail-notify (a second or
 * two), and channel.c warns about the queue. Local channels push frames; a PJSIP trunk does not. Logged on
 * the far end's call, never on faxmail's.
 */
export const LOCAL_QUEUE_WHILE_REPORTING =
  /channel\.c: Exceptionally long voice queue length \(\d+ voice \/ \d+ total\) queuing to Local\/\S+;1$/;

/** A marker that matches the lines faxmail's own dialplan logs for a job (not the far end's). */
export function jobMarker(job: string): RegExp {
  return new RegExp(`faxmail: (sending )?job ${job} `);
}

/** NOTICEs that mean the dialplan went wrong (app_system's quote warning, pbx, Gosub). */
const BAD_NOTICE_SOURCES = /^(app_system|pbx|pbx_builtins|pbx_variables|app_stack)\.c$/;

/** The lines of `lines` a test did not expect (see the header). */
function unexpectedLines(lines: readonly LogLine[], allow: readonly RegExp[] = []): string[] {
  return lines
    .filter(
      (l) =>
        l.level === 'WARNING' || l.level === 'ERROR' || (l.level === 'NOTICE' && BAD_NOTICE_SOURCES.test(l.source)),
    )
    .filter((l) => !allow.some((re) => re.test(l.raw)))
    .map((l) => l.raw);
}

/** A part of the full log, from mark() on. */
export class LogSlice {
  constructor(
    private readonly file: string,
    private readonly start: number,
  ) {}

  text(): string {
    const all = readFileSync(this.file);
    return all.subarray(Math.min(this.start, all.length)).toString('utf8');
  }

  lines(): LogLine[] {
    return parseLog(this.text());
  }

  /** Lines of every call (call id) that logged `marker` somewhere in the slice. */
  forMarker(marker: string | RegExp): LogLine[] {
    const lines = this.lines();
    const hit = (l: LogLine): boolean => (typeof marker === 'string' ? l.raw.includes(marker) : marker.test(l.raw));
    const ids = new Set(lines.filter((l) => l.callId && hit(l)).map((l) => l.callId!));
    return lines.filter((l) => l.callId !== undefined && ids.has(l.callId));
  }

  /** Unexpected lines in the whole slice, or in the calls that logged `marker`. */
  problems(allow: readonly RegExp[] = [], marker?: string | RegExp): string[] {
    return unexpectedLines(marker === undefined ? this.lines() : this.forMarker(marker), allow);
  }
}

export interface InboundCall {
  /** the dialled number ('s' for a trunk that passes none) */
  did: string;
  callerNum?: string;
  callerName?: string;
  /** station id of the calling fax machine (what ReceiveFAX reads as FAXOPT(remotestationid)) */
  station?: string;
  /** the TIFF the caller sends (copied into the bed) */
  tiff?: string;
  /** hang up this many seconds after the call starts (cut off mid-fax) */
  cutoffSec?: number;
  /** the caller sends no fax at all: it waits 3 s and hangs up */
  noPage?: boolean;
  /** the caller is a person: talks (tones, no fax tone) for this many seconds and hangs up */
  voiceSec?: number;
  /**
   * where the network delivers the call: 'fax' a fax number ([faxmail-receive]); 'shared' a number shared
   * by voice and fax, wired as README says ([bed-shared]: Gosub(faxmail-detect) then the voice destination)
   */
  line?: 'fax' | 'shared';
}

export interface SendResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** the job id from "2.0.0 Fax job ... queued" */
  job?: string;
}

export interface BedOptions {
  /** faxmail.toml sections that replace the bed's defaults (name -> body) */
  sections?: Record<string, string>;
  /** a word in the temp dir's name */
  name?: string;
  /** callfile.archive = true: Asterisk keeps finished call files in outgoing_done/ */
  archive?: boolean;
  /**
   * Seconds between runs of `faxmail run`, as the Asterisk user: the queue's timer (systemd runs it every
   * 30 s; a bed runs it often so retries and crash recovery come within seconds). 0: no timer. Default 2.
   */
  timer?: number;
  /** callfile.channel (default Local/{number}@faxmail-farend) */
  channel?: string;
  /** run Asterisk inside this network namespace (`ip netns exec`; sip-bed.ts) */
  netns?: string;
  /** more modules to load (e.g. chan_pjsip) */
  modules?: readonly string[];
  /** more Asterisk config files (name -> text), written after the bed's own (so they may replace one) */
  asteriskFiles?: Record<string, string>;
  /** dialplan appended to the bed's extensions.conf (e.g. the admin's inbound context for a trunk) */
  extensions?: string;
  /**
   * mail.transport = "directory": faxmail writes .eml files into <root>/mail instead of talking SMTP to the
   * sink (an Asterisk inside a network namespace cannot reach the sink on the host's loopback). mailsFor()
   * and waitForMails() read them; the sink still runs, idle.
   */
  mailDir?: boolean;
}

export interface Bed {
  root: string;
  install: InstalledFaxmail;
  configPath: string;
  astConf: string;
  astDirs: AsteriskDirs;
  /** far-end fax machines write <job>-<attempt>.tif here */
  farendDir: string;
  /** Asterisk's full log */
  logFile: string;
  /** unexpected lines Asterisk logged while starting */
  bootProblems: string[];
  mail: SmtpSink;
  user: { uid: number; gid: number };
  pid: number;
  rx(command: string): Promise<string>;
  /** `channel originate CHANNEL extension EXTEN@CONTEXT` */
  originate(channel: string, target: string): Promise<string>;
  /** pipe a mail into the installed sendfax as the Asterisk user, as Postfix's pipe(8) would */
  sendMail(mail: Buffer | string, to: { number: string; sender?: string; wrapper?: string[] }): Promise<SendResult>;
  /** run the installed admin command as the Asterisk user */
  faxmail(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  readJob(id: string): Job;
  waitForJob(id: string, until: (job: Job) => boolean, timeoutMs: number, what: string): Promise<Job>;
  farendTiff(job: string, attempt: number): string;
  /** mails in the sink whose X-Faxmail-Job is `id` (receipts, notices, received faxes) */
  mailsFor(id: string): Promise<ParsedMail[]>;
  waitForMails(id: string, n: number, timeoutMs: number): Promise<ParsedMail[]>;
  /** start an inbound call; resolves to its key (the marker in the log) */
  receive(call: InboundCall): Promise<string>;
  /** the inbound fax id faxmail got for the call `key` (from the receive context's NoOp), once logged */
  inboundId(key: string, timeoutMs?: number): Promise<string>;
  mark(): LogSlice;
  /** `faxmail run` runs of the bed's timer so far (see BedOptions.timer) */
  timerRuns(): number;
  stop(): Promise<void>;
}

export const ASTERISK_USER = 'asterisk';

/** The Asterisk user: created when missing, exactly as README "Production install" says. */
export function ensureAsteriskUser(): { uid: number; gid: number } {
  const lookup = (): { uid: number; gid: number } | undefined => {
    try {
      const f = execFileSync('getent', ['passwd', ASTERISK_USER], { encoding: 'utf8' }).split(':');
      return { uid: Number(f[2]), gid: Number(f[3]) };
    } catch {
      return undefined;
    }
  };
  let u = lookup();
  if (!u) {
    try {
      execFileSync('useradd', USERADD_ARGS, { stdio: 'pipe' });
    } catch (err) {
      // Another test process may have created it at the same moment.
      if (!lookup())
        throw new Error(`cannot create the asterisk user: ${String((err as { stderr?: unknown }).stderr ?? err)}`);
    }
    u = lookup();
  }
  if (!u || !Number.isInteger(u.uid) || u.uid === 0)
    throw new Error(`the asterisk user is unusable: ${JSON.stringify(u)}`);
  return u;
}

/** `useradd ...` as README shows it. */
export const USERADD_ARGS = [
  '--system',
  '--user-group',
  '--home-dir',
  '/var/lib/asterisk',
  '--no-create-home',
  '--shell',
  '/usr/sbin/nologin',
  ASTERISK_USER,
];

export const OWNER_FILE = 'bed-owner.pid';

/** Stop beds whose test process died without stopping them (their Asterisk, by its recorded pid). */
export function reapStaleBeds(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('faxmail-bed-')) continue;
    const root = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(root, OWNER_FILE), 'utf8'));
      if (!Number.isInteger(owner) || alive(owner)) continue;
      const pidFile = join(root, 'asterisk', 'run', 'asterisk.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
      // Only an asterisk whose command line names this bed's config is ours to stop.
      if (
        Number.isInteger(pid) &&
        alive(pid) &&
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(root, 'asterisk', 'etc', 'asterisk.conf'))
      ) {
        process.kill(-pid, 'SIGKILL');
      }
      if (!process.env['FAXMAIL_E2E_KEEP']) rmSync(root, { recursive: true, force: true });
    } catch {
      /* not a bed, or half made: leave it */
    }
  }
}

/** faxmail.toml of the bed: every section, unless `sections` replaces it. */
function bedToml(
  install: InstalledFaxmail,
  astConf: string,
  smtpPort: number,
  options: BedOptions,
  mailDir: string,
): string {
  const defaults: Record<string, string> = {
    paths:
      `spool = "${install.spool}"\noutgoing = "${install.outgoing}"\ntmp = "${install.asteriskTmp}"\nlog ` +
      `= "${install.logdir}/faxmail.log"`,
    callfile:
      `owner = "${ASTERISK_USER}"\ngroup = "${ASTERISK_USER}"\nchannel = ` +
      `"${options.channel ?? `Local/{number}@${FAREND_CONTEXT}`}"` +
      `\nwait_time = 5${options.archive ? '\narchive = true' : ''}`,
    fax: 'resolution = "fine"',
    numbers: 'allow = ["^0[1-9][0-9]{8}$"]',
    senders: 'allow = ["@example.org"]',
    // Short waits so retries finish in seconds; the counts as a small office would set them.
    retry: [
      'busy = { after = 1, max_attempts = 3 }',
      'no_answer = { after = 1, max_attempts = 2 }',
      'congestion = { after = 1, max_attempts = 2 }',
      'line_error = { after = 1, max_attempts = 2 }',
      'dropped = { after = 1, max_attempts = 2 }',
      'unknown = { after = 1, max_attempts = 2 }',
    ].join('\n'),
    notify: 'from = "faxmail@fax.example.com"\nadmin = "root@localhost"\nreport_empty_receive = true',
    inbound:
      'recipients = { "0311110000" = ["desk@example.org"], "0311110001" = ["sales@example.org", "boss@example.org"] }',
    mail: options.mailDir
      ? `transport = "directory"\ndirectory = "${mailDir}"`
      : `transport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = ${smtpPort}\nsmtp_timeout = 10`,
    asterisk: `binary = "${ASTERISK}"\nconfig = "${astConf}"`,
    // Channels for every test's calls at once (the queue's own test sets 2, a small trunk).
    queue: 'max_calls = 10',
  };
  const all = { ...defaults, ...options.sections };
  return `# faxmail.toml of a test bed (test/helpers/asterisk-bed.ts)\n${Object.entries(all)
    .map(([name, body]) => `\n[${name}]\n${body}\n`)
    .join('')}`;
}

/** extensions.conf of the bed: README's lines (include + [globals]), then the far ends. */
function bedExtensions(install: InstalledFaxmail, farend: string, calls: string): string {
  const c = (kind: FarEnd): string => `exten => _${FAREND_PREFIX[kind]}XXXXXXX,1,Goto(bed-${kind},s,1)`;
  // ${FAXMAIL_JOB} and ${FAXMAIL_ATTEMPT} come from the call file's Setvar lines (both halves of a Local channel).
  const tag = 'job ${FAXMAIL_JOB} attempt ${FAXMAIL_ATTEMPT}';
  const receiveInto = '${BED_FAREND}/${FILTER(-0-9a-z,${FAXMAIL_JOB})}-${FILTER(0-9,${FAXMAIL_ATTEMPT})}.tif';
  return [
    '; extensions.conf of a faxmail test bed (test/helpers/asterisk-bed.ts).',
    '; First what README "Asterisk" tells an admin to write:',
    renderExtensionsInclude({ notify: install.faxmailNotify, spool: install.spool, config: install.configPath }, [
      ...EXAMPLE_SETTINGS,
      `BED_FAREND=${farend}`,
      `BED_CALLS=${calls}`,
    ]),
    '; Then the phone network: far ends on Local channels (the number picks one).',
    `[${FAREND_CONTEXT}]`,
    ...(Object.keys(FAREND_PREFIX) as FarEnd[]).map(c),
    '',
    '; a fax machine: answers and receives; keeps the TIFF',
    '[bed-fax]',
    `exten => s,1,NoOp(bed farend: fax answers ${tag})`,
    ' same => n,Answer()',
    ` same => n,Set(FAXOPT(localstationid)=${FAREND_STATION})`,
    ` same => n,ReceiveFAX(${receiveInto})`,
    ' same => n,Hangup()',
    `exten => h,1,NoOp(bed farend: fax hangs up ${tag} status \${FAXOPT(status)} pages \${FAXOPT(pages)})`,
    '',
    '[bed-busy]',
    `exten => s,1,NoOp(bed farend: busy ${tag})`,
    ' same => n,Busy()',
    '',
    "; rings until the call file's WaitTime is over",
    '[bed-noAnswer]',
    `exten => s,1,NoOp(bed farend: rings ${tag})`,
    ' same => n,Ringing()',
    ' same => n,Wait(600)',
    '',
    '; a fax machine that hangs up 5 s after answering (during the handshake)',
    '[bed-hangup5]',
    `exten => s,1,NoOp(bed farend: fax hangs up after 5 s ${tag})`,
    ' same => n,Answer()',
    ' same => n,Set(TIMEOUT(absolute)=5)',
    ` same => n,Set(FAXOPT(localstationid)=${FAREND_STATION})`,
    ` same => n,ReceiveFAX(${receiveInto})`,
    '',
    '; a fax machine that hangs up 20 s after answering (in the middle of the first page)',
    '[bed-hangup20]',
    `exten => s,1,NoOp(bed farend: fax hangs up after 20 s ${tag})`,
    ' same => n,Answer()',
    ' same => n,Set(TIMEOUT(absolute)=20)',
    ` same => n,Set(FAXOPT(localstationid)=${FAREND_STATION})`,
    ` same => n,ReceiveFAX(${receiveInto})`,
    '',
    '; a voice line: answers, plays a tone now and then, never hangs up',
    '[bed-voice]',
    `exten => s,1,NoOp(bed farend: voice line ${tag})`,
    ' same => n,Answer()',
    ' same => n,Playtones(440/400,0/3000)',
    ' same => n,Wait(600)',
    '',
    '; a person: answers, says "hello?" and hangs up',
    '[bed-person]',
    `exten => s,1,NoOp(bed farend: person ${tag})`,
    ' same => n,Answer()',
    ' same => n,Playtones(300/600,0/400)',
    ' same => n,Wait(3)',
    ' same => n,Hangup()',
    '',
    '; busy on the first attempt, a fax machine afterwards',
    '[bed-busyOnce]',
    `exten => s,1,NoOp(bed farend: busy once ${tag})`,
    ' same => n,GotoIf($[${FAXMAIL_ATTEMPT} > 1]?bed-fax,s,1)',
    ' same => n,Busy()',
    '',
    '; Inbound: `channel originate Local/<key>@bed-in/n extension <key>@bed-tx`. The network leg sets the',
    '; caller id the test chose and enters faxmail-receive at the DID; the other leg is the calling machine.',
    '[bed-in]',
    'exten => _X.,1,NoOp(bed inbound call ${EXTEN})',
    ' same => n,Set(CALLERID(num)=${FILE(${BED_CALLS}/${EXTEN}/num)})',
    ' same => n,Set(CALLERID(name)=${FILE(${BED_CALLS}/${EXTEN}/name)})',
    ' same => n,Goto(${FILE(${BED_CALLS}/${EXTEN}/ctx)},${FILE(${BED_CALLS}/${EXTEN}/did)},1)',
    '',
    '; A number shared by voice and fax, wired as README "Shared voice and fax lines" shows; the voice',
    '; destination (a phone that a person answers) logs that it was reached and stays on the line.',
    `[${SHARED_CONTEXT}]`,
    renderSharedLine('_X.', [
      'NoOp(bed voice destination reached ${EXTEN})',
      'Playtones(500/300,0/700)',
      'Wait(60)',
      'Hangup()',
    ]),
    renderSharedLine('s', [
      'NoOp(bed voice destination reached ${EXTEN})',
      'Playtones(500/300,0/700)',
      'Wait(60)',
      'Hangup()',
    ]),
    '',
    '[bed-tx]',
    'exten => _X.,1,NoOp(bed inbound sender ${EXTEN})',
    ' same => n,Set(FAXOPT(localstationid)=${FILE(${BED_CALLS}/${EXTEN}/station)})',
    ' same => n,GotoIf($["${FILE(${BED_CALLS}/${EXTEN}/mode)}" = "nopage"]?nopage)',
    ' same => n,GotoIf($["${FILE(${BED_CALLS}/${EXTEN}/mode)}" = "voice"]?voice)',
    ' same => n,Set(BED_CUTOFF=${FILE(${BED_CALLS}/${EXTEN}/cutoff)})',
    ' same => n,ExecIf($[${BED_CUTOFF} > 0]?Set(TIMEOUT(absolute)=${BED_CUTOFF}))',
    ' same => n,SendFAX(${FILE(${BED_CALLS}/${EXTEN}/tiff)})',
    ' same => n,Hangup()',
    ' same => n(nopage),Wait(3)',
    ' same => n,Hangup()',
    '; a person speaking (tones well away from the 1100 Hz fax calling tone), then hanging up',
    ' same => n(voice),NoOp(bed inbound person ${EXTEN} talks)',
    ' same => n,Playtones(350/200,0/150,620/250,0/300,450/180,0/400)',
    ' same => n,Wait(${FILE(${BED_CALLS}/${EXTEN}/talk)})',
    ' same => n,Hangup()',
    '',
  ].join('\n');
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Whatever ends the test process, its Asterisk processes go with it (synchronously, on 'exit').
  process.on('exit', () => {
    for (const child of live) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

/** A private Asterisk process (launchAsterisk()). */
export interface AsteriskProcess {
  child: ChildProcess;
  /** `asterisk -C <conf> -rx <command>`; rejects when the command cannot reach Asterisk */
  rx(command: string): Promise<string>;
  /** unexpected lines Asterisk logged while starting */
  bootProblems: string[];
  /** `core stop now`, then SIGKILL to its process group (anything it started goes too) */
  stop(): Promise<void>;
}

/**
 * Start `asterisk -C <astConf> -U asterisk -G asterisk -f` (inside network namespace `netns` if given:
 * `ip netns exec` execs Asterisk, so the pid is Asterisk's) and wait until it is fully booted. Its output
 * goes to <root>/asterisk.out. Rejects with the reason, that output and the log tail when it does not come
 * up (and kills it). The exit hook kills it if the test process ends first.
 */
export async function launchAsterisk(opts: {
  root: string;
  astConf: string;
  runDir: string;
  logFile: string;
  netns?: string;
}): Promise<AsteriskProcess> {
  installExitHook();
  const { root, astConf, logFile } = opts;
  const argv = ['-C', astConf, '-U', ASTERISK_USER, '-G', ASTERISK_USER, '-f'];
  const out = openSync(join(root, 'asterisk.out'), 'a');
  const child = opts.netns
    ? spawn('ip', ['netns', 'exec', opts.netns, ASTERISK, ...argv], { detached: true, stdio: ['ignore', out, out] })
    : spawn(ASTERISK, argv, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  live.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const kill = (): void => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* all gone */
    }
    live.delete(child);
  };

  const rx = async (command: string): Promise<string> => {
    const r = await execa(ASTERISK, ['-C', astConf, '-rx', command], { reject: false, all: true, timeout: 30_000 });
    if (r.exitCode !== 0 || /Unable to connect to remote asterisk/.test(r.all ?? ''))
      throw new Error(`asterisk -rx "${command}" failed (exit ${r.exitCode}): ${r.all ?? r.shortMessage}`);
    return r.stdout;
  };
  const fail = (why: string): Error =>
    new Error(
      `Asterisk did not start: ` +
        `${why}\n${root}/asterisk.out:\n${readFileSync(join(root, 'asterisk.out'), 'utf8').slice(-2000)}\nlog ` +
        `tail:\n${existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '(none)'}`,
    );
  try {
    const state = await waitUntil(
      () => (gone ? 'exited' : existsSync(join(opts.runDir, 'asterisk.ctl')) && 'up'),
      30_000,
      'the control socket',
    ).catch((err: Error) => {
      throw fail(err.message);
    });
    if (state === 'exited') throw fail('it exited');
    const booted = await rx('core waitfullybooted').catch((err: Error) => {
      throw fail(err.message);
    });
    if (!/fully booted/.test(booted)) throw fail(`core waitfullybooted said: ${booted}`);
  } catch (err) {
    kill();
    throw err;
  }
  const bootProblems = unexpectedLines(parseLog(existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''));
  return {
    child,
    rx,
    bootProblems,
    async stop() {
      if (!gone) {
        await rx('core stop now').catch(() => undefined);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      }
      kill();
    },
  };
}

/** Build and start a bed (see the header). */
export async function startBed(options: BedOptions = {}): Promise<Bed> {
  if (process.getuid?.() !== 0)
    throw new Error('the Asterisk test bed must run as root (it creates the asterisk user and starts Asterisk as it)');
  if (!existsSync(ASTERISK))
    throw new Error(`${ASTERISK} is missing: run "make asterisk" (scripts/build-asterisk.sh) first`);
  const user = ensureAsteriskUser();
  reapStaleBeds();
  installExitHook();

  const root = mkdtempSync(join(tmpdir(), `faxmail-bed-${options.name ?? 'x'}-`));
  chmodSync(root, 0o755);
  writeFileSync(join(root, OWNER_FILE), String(process.pid));
  const ast = join(root, 'asterisk');
  const astDirs: AsteriskDirs = {
    etc: join(ast, 'etc'),
    run: join(ast, 'run'),
    spool: join(ast, 'spool'),
    log: join(ast, 'log'),
    lib: join(ast, 'lib'),
    cache: join(ast, 'cache'),
  };
  const farendDir = join(root, 'farend');
  const callsDir = join(root, 'calls');
  const mailDir = join(root, 'mail');
  for (const d of [...Object.values(astDirs), farendDir, callsDir, mailDir])
    mkdirSync(d, { recursive: true, mode: 0o755 });

  let mail: SmtpSink | undefined;
  let child: ChildProcess | undefined;
  const cleanupOnFailure = async (): Promise<void> => {
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      live.delete(child);
    }
    await mail?.close().catch(() => undefined);
  };

  try {
    const install = installFaxmail({
      root: join(root, 'fm'),
      user: ASTERISK_USER,
      outgoing: join(astDirs.spool, 'outgoing'),
      asteriskTmp: join(astDirs.spool, 'faxmail-tmp'),
    });
    // Asterisk writes its spool (outgoing_done/), run, log, lib and cache dirs; the far ends write theirs.
    for (const d of [ast, astDirs.spool, astDirs.run, astDirs.log, astDirs.lib, astDirs.cache, farendDir, mailDir])
      chownSync(d, user.uid, user.gid);

    mail = await startSmtpSink();
    const astConf = join(astDirs.etc, 'asterisk.conf');
    writeFileSync(install.configPath, bedToml(install, astConf, mail.port, options, mailDir));

    writeFileSync(astConf, renderAsteriskConf(astDirs));
    writeFileSync(
      join(astDirs.etc, 'modules.conf'),
      renderModulesConf([...BED_EXTRA_MODULES, ...(options.modules ?? [])]),
    );
    writeFileSync(join(astDirs.etc, 'logger.conf'), renderLoggerConf());
    writeFileSync(join(astDirs.etc, 'indications.conf'), renderIndicationsConf());
    for (const f of EMPTY_CONFIGS) writeFileSync(join(astDirs.etc, f), '');
    // The shipped template, unchanged (checked byte for byte by test/asterisk/template.test.ts too).
    copyFileSync(TEMPLATE, join(astDirs.etc, 'extensions_faxmail.conf'));
    if (!readFileSync(join(astDirs.etc, 'extensions_faxmail.conf')).equals(readFileSync(TEMPLATE)))
      throw new Error('the template copy differs from the shipped file');
    writeFileSync(
      join(astDirs.etc, 'extensions.conf'),
      bedExtensions(install, farendDir, callsDir) + (options.extensions ? `\n${options.extensions}\n` : ''),
    );
    for (const [name, text] of Object.entries(options.asteriskFiles ?? {}))
      writeFileSync(join(astDirs.etc, name), text);
    for (const f of readdirSync(astDirs.etc)) chmodSync(join(astDirs.etc, f), 0o644);

    const logFile = join(astDirs.log, 'full');
    const asterisk = await launchAsterisk({
      root,
      astConf,
      runDir: astDirs.run,
      logFile,
      ...(options.netns ? { netns: options.netns } : {}),
    });
    child = asterisk.child;
    const { rx, bootProblems } = asterisk;

    const asUser = {
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
      extendEnv: false,
      reject: false,
      timeout: 180_000,
    } as const;
    let callSeq = 0;
    // The queue's timer: one `faxmail run` at a time, the next one `interval` after the last ended.
    const interval = (options.timer ?? 2) * 1000;
    let timerRuns = 0;
    let timerStopped = interval === 0;
    let timerHandle: NodeJS.Timeout | undefined;
    let timerRun: Promise<unknown> | undefined;
    const tick = (): void => {
      if (timerStopped) return;
      timerRun = execa(install.faxmail, ['run', `--config=${install.configPath}`], { ...asUser, timeout: 120_000 })
        .catch(() => undefined)
        .finally(() => {
          timerRuns += 1;
          timerRun = undefined;
          if (!timerStopped) timerHandle = setTimeout(tick, interval);
        });
    };
    if (!timerStopped) timerHandle = setTimeout(tick, interval);
    const bed: Bed = {
      root,
      install,
      configPath: install.configPath,
      astConf,
      astDirs,
      farendDir,
      logFile,
      bootProblems,
      mail,
      user,
      pid: child.pid!,
      rx,
      originate: (channel, target) => rx(`channel originate ${channel} extension ${target}`),
      async sendMail(raw, to) {
        const argv = [
          install.sendfax,
          `--config=${install.configPath}`,
          `--sender=${to.sender ?? 'alice@example.org'}`,
          `--recipient=fax+${to.number}@fax.example.com`,
          `--extension=${to.number}`,
        ];
        const [cmd, ...args] = [...(to.wrapper ?? []), ...argv];
        const r = await execa(cmd!, args, { ...asUser, input: Buffer.isBuffer(raw) ? raw : Buffer.from(raw) });
        const job = /Fax job (\S+) queued/.exec(r.stdout)?.[1];
        return { status: r.exitCode ?? null, stdout: r.stdout, stderr: r.stderr, ...(job ? { job } : {}) };
      },
      async faxmail(args) {
        const r = await execa(install.faxmail, [...args, `--config=${install.configPath}`], asUser);
        return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
      },
      readJob(id) {
        return JSON.parse(readFileSync(join(install.spool, 'jobs', id, 'job.json'), 'utf8')) as Job;
      },
      waitForJob(id, until, timeoutMs, what) {
        return waitUntil(
          () => {
            try {
              const j = bed.readJob(id);
              return until(j) ? j : undefined;
            } catch {
              return undefined;
            }
          },
          timeoutMs,
          `job ${id}: ${what}`,
        ).catch((err: Error) => {
          let state = '(no record)';
          try {
            const j = bed.readJob(id);
            state = `${j.state}, attempts ${JSON.stringify(j.attempts.map((a) => `${a.n}:${a.status}/${a.class}`))}`;
          } catch {
            /* keep */
          }
          throw new Error(`${err.message}; the job is ${state}`);
        });
      },
      farendTiff: (job, attempt) => join(farendDir, `${job}-${attempt}.tif`),
      async mailsFor(id) {
        const { simpleParser } = await import('mailparser');
        const raws = options.mailDir
          ? readdirSync(mailDir)
              .filter((f) => f.endsWith('.eml'))
              .sort()
              .map((f) => readFileSync(join(mailDir, f)))
          : mail!.messages.map((m) => m.raw);
        const parsed = await Promise.all(raws.map((raw) => simpleParser(raw)));
        return parsed.filter((p) => p.headers.get('x-faxmail-job') === id);
      },
      async waitForMails(id, n, timeoutMs) {
        return waitUntil(
          async () => {
            const got = await bed.mailsFor(id);
            return got.length >= n ? got : undefined;
          },
          timeoutMs,
          `${n} mail(s) about ${id}`,
          300,
        );
      },
      async receive(call) {
        callSeq += 1;
        const key = `9${String(callSeq).padStart(6, '0')}`;
        const dir = join(callsDir, key);
        mkdirSync(dir, { mode: 0o755 });
        const put = (name: string, value: string): void => {
          writeFileSync(join(dir, name), value);
          chmodSync(join(dir, name), 0o644);
        };
        put('did', call.did);
        put('num', call.callerNum ?? '');
        put('name', call.callerName ?? '');
        put('station', call.station ?? '');
        put('cutoff', String(call.cutoffSec ?? 0));
        put('mode', call.noPage ? 'nopage' : call.voiceSec !== undefined ? 'voice' : 'fax');
        put('talk', String(call.voiceSec ?? 0));
        put('ctx', call.line === 'shared' ? SHARED_CONTEXT : 'faxmail-receive');
        if (call.tiff) {
          copyFileSync(call.tiff, join(dir, 'fax.tif'));
          chmodSync(join(dir, 'fax.tif'), 0o644);
        }
        put('tiff', join(dir, 'fax.tif'));
        await bed.originate(`Local/${key}@bed-in/n`, `${key}@bed-tx`);
        return key;
      },
      async inboundId(key, timeoutMs = 30_000) {
        return waitUntil(
          () => {
            const lines = parseLog(readFileSync(logFile, 'utf8'));
            const ids = new Set(
              lines.filter((l) => l.callId && l.raw.includes(`bed inbound call ${key}`)).map((l) => l.callId!),
            );
            for (const l of lines) {
              if (!l.callId || !ids.has(l.callId)) continue;
              const m = /faxmail: receiving fax (\S+) on DID/.exec(l.raw);
              if (m) return m[1]!;
            }
            return undefined;
          },
          timeoutMs,
          `the inbound fax id of call ${key}`,
        );
      },
      mark() {
        return new LogSlice(logFile, existsSync(logFile) ? statSync(logFile).size : 0);
      },
      timerRuns: () => timerRuns,
      async stop() {
        timerStopped = true;
        if (timerHandle) clearTimeout(timerHandle);
        await timerRun;
        await asterisk.stop();
        await mail!.close().catch(() => undefined);
        if (!process.env['FAXMAIL_E2E_KEEP']) rmSync(root, { recursive: true, force: true });
      },
    };
    return bed;
  } catch (err) {
    await cleanupOnFailure();
    if (!process.env['FAXMAIL_E2E_KEEP']) rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
