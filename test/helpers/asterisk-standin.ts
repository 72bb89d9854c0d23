/*
 * asterisk-standin.ts: plays Asterisk's part for faxmail's tests and the demo.
 *
 * Outbound: watches the outgoing dir the way pbx_spool does (a call file counts only when it appears
 * whole by rename; dotfiles are ignored), checks the file as pbx_spool reads it (256-byte lines, `;` and
 * `#` comments, case-insensitive keys, Channel Tech/Dest, Context+Extension or Application, numeric
 * MaxRetries/WaitTime/RetryTime, Setvar VAR=value), waits for a future mtime (or, with the fast clock,
 * only records the delay), appends StartRetry like Asterisk, then "dials": the far end answers (SendFAX of
 * FAXFILE through the line simulator, with the simulator's fault options) or is busy / does not answer /
 * is congested (the Context's `failed` extension runs with ${REASON} 5 / 3 / 8). The command the SHIPPED
 * asterisk/extensions_faxmail.conf runs afterwards is read from the template (test/helpers/dialplan.ts),
 * its variables substituted as Asterisk would (FAXOPT() from the simulator, Setvar values, [globals]), and
 * run without a shell. Archive: yes moves the file to outgoing_done/ with a Status: line; else it is removed.
 *
 * Inbound: receiveCall() runs the [faxmail-receive] context: the file name the template computes, a
 * ReceiveFAX through the simulator into that file, then the template's notify command.
 *
 * How it fails: loudly. A call file pbx_spool would reject or misread, a file written in place or touched
 * after it appeared, a template without the expected notify command, or a notify run that exits non-zero
 * all reject with an Error that says which. A fax that FAILED on the line is a normal result.
 */
import { watch, type FSWatcher } from 'node:fs';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { parseCallFile } from '../../lib/asterisk/callfile.js';
import { transmitFax, type LineSimOptions, type LineSimResult } from './linesim.js';
import { binPath, repoRoot } from './paths.js';

// ---------------------------------------------------------------- call files, as pbx_spool reads them

/** A call file after the checks pbx_spool makes. */
export interface CheckedCallFile {
  channel: { tech: string; dest: string };
  callerId?: string;
  context?: string;
  extension?: string;
  priority: number;
  application?: string;
  data?: string;
  maxRetries: number;
  retryTime: number;
  waitTime: number;
  archive: boolean;
  alwaysDelete: boolean;
  account?: string;
  codecs?: string;
  /** Setvar/Set lines in file order */
  variables: [string, string][];
  /** the same as a map (a later Setvar of the same name wins, as in Asterisk) */
  vars: Record<string, string>;
}

export class CallFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`call file ${file} would not be read as written by pbx_spool:\n  - ${problems.join('\n  - ')}`);
    this.name = 'CallFileError';
  }
}

const KNOWN_KEYS = new Set([
  'channel',
  'callerid',
  'waittime',
  'maxretries',
  'retrytime',
  'account',
  'context',
  'extension',
  'priority',
  'application',
  'data',
  'codecs',
  'set',
  'setvar',
  'alwaysdelete',
  'archive',
  'early_media',
  'predial_callee',
  'predial_caller',
  'startretry',
  'endretry',
  'status',
]);

/** Asterisk's ast_true(). */
function isTrue(v: string): boolean {
  return /^(yes|true|y|t|1|on)$/i.test(v.trim());
}

/**
 * Check call-file text as pbx_spool would read it. Every deviation is a problem (Asterisk itself would
 * log a notice and go on, or misread the line; for faxmail either is a bug). Throws CallFileError.
 */
export function checkCallFile(text: string, name = 'call file'): CheckedCallFile {
  const problems: string[] = [];
  // pbx_spool reads with fgets() into a 256-byte buffer: a line and its newline must fit in 255 bytes,
  // or the tail is read as a line of its own.
  const rawLines = text.split('\n');
  rawLines.forEach((line, i) => {
    const last = i === rawLines.length - 1;
    const bytes = Buffer.byteLength(line) + (last ? 0 : 1);
    if (bytes > 255) problems.push(`line ${i + 1} is ${bytes} bytes with its newline; pbx_spool splits lines longer than 255`);
    if (/[\r\0]/.test(line)) problems.push(`line ${i + 1} has a CR or NUL byte`);
    if (/\\;/.test(line)) problems.push(`line ${i + 1} has an escaped \\; (faxmail never needs one)`);
  });
  if (text.length > 0 && !text.endsWith('\n')) problems.push('the file does not end with a newline');
  const parsed = parseCallFile(text);
  problems.push(...parsed.problems);

  const out: CheckedCallFile = {
    channel: { tech: '', dest: '' },
    priority: 1,
    maxRetries: 0,
    retryTime: 300,
    waitTime: 45,
    archive: false,
    alwaysDelete: true,
    variables: [],
    vars: {},
  };
  const seen = new Map<string, number>();
  const int = (key: string, value: string): number => {
    if (!/^[0-9]+$/.test(value)) {
      problems.push(`${key}: "${value}" is not a whole number`);
      return 0;
    }
    return Number(value);
  };
  for (const [rawKey, value] of parsed.entries) {
    const key = rawKey.toLowerCase();
    if (!KNOWN_KEYS.has(key)) {
      problems.push(`unknown key "${rawKey}" (pbx_spool ignores it with a notice)`);
      continue;
    }
    seen.set(key, (seen.get(key) ?? 0) + 1);
    switch (key) {
      case 'channel': {
        const slash = value.indexOf('/');
        if (slash <= 0 || slash === value.length - 1) problems.push(`Channel "${value}" is not in the form Tech/Dest`);
        else out.channel = { tech: value.slice(0, slash), dest: value.slice(slash + 1) };
        break;
      }
      case 'callerid':
        out.callerId = value;
        break;
      case 'waittime':
        out.waitTime = int(rawKey, value);
        break;
      case 'maxretries':
        out.maxRetries = int(rawKey, value);
        break;
      case 'retrytime':
        out.retryTime = int(rawKey, value);
        break;
      case 'account':
        out.account = value;
        break;
      case 'context':
        out.context = value;
        break;
      case 'extension':
        out.extension = value;
        break;
      case 'priority':
        out.priority = int(rawKey, value);
        if (out.priority < 1) problems.push('Priority must be 1 or more');
        break;
      case 'application':
        out.application = value;
        break;
      case 'data':
        out.data = value;
        break;
      case 'codecs':
        out.codecs = value;
        break;
      case 'set':
      case 'setvar': {
        const eq = value.indexOf('=');
        if (eq <= 0) {
          problems.push(`malformed ${rawKey} "${value}" (needs VAR=value)`);
          break;
        }
        const n = value.slice(0, eq);
        const v = value.slice(eq + 1);
        out.variables.push([n, v]);
        out.vars[n] = v;
        break;
      }
      case 'alwaysdelete':
        out.alwaysDelete = isTrue(value);
        break;
      case 'archive':
        out.archive = isTrue(value);
        break;
      default:
        // StartRetry/EndRetry/Status: written by Asterisk itself, never by faxmail.
        problems.push(`"${rawKey}" is a line Asterisk writes; a fresh call file must not have it`);
    }
  }
  for (const key of ['channel', 'context', 'extension', 'priority', 'maxretries', 'waittime', 'archive', 'callerid']) {
    if ((seen.get(key) ?? 0) > 1) problems.push(`key "${key}" appears ${seen.get(key)} times`);
  }
  if (!out.channel.tech) problems.push('no usable Channel line');
  if (!out.application && !out.extension) problems.push('neither Application nor Extension is given');
  if (out.extension && !out.context) problems.push('Extension without Context (Asterisk would use context "default")');
  if (problems.length) throw new CallFileError(name, problems);
  return out;
}

// ---------------------------------------------------------------- the outgoing dir, as pbx_spool watches it

/** One file that appeared in the outgoing dir. */
export interface Arrival {
  name: string;
  path: string;
  appearedAt: Date;
  /** how it was seen: an inotify rename/create event, the startup scan, or the poll fallback */
  via: 'event' | 'startup' | 'poll';
  /** change events (write, chmod, utimes) seen for it after it appeared and before it was taken */
  changes: number;
  ino: number;
}

/**
 * Watch a directory for call files. fs.watch reports IN_MOVED_TO and IN_CREATE alike as 'rename', but a
 * file written in place (or whose mtime is set after the rename) also produces 'change' events, which
 * pbx_spool's IN_MOVED_TO handling would race with: such a file is flagged.
 */
export class OutgoingWatcher {
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private known = new Map<string, Arrival>();
  private queue: Arrival[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    readonly dir: string,
    private readonly settleMs = 150,
  ) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.watcher = watch(this.dir, { persistent: false }, (event, filename) => {
      if (!filename) return;
      void this.onEvent(event, filename.toString());
    });
    // Asterisk scans the directory once at start: files already there are due too.
    for (const name of await readdir(this.dir)) await this.add(name, 'startup');
    this.poller = setInterval(() => void this.poll(), 250);
    this.poller.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.poller) clearInterval(this.poller);
    this.watcher = undefined;
    this.poller = undefined;
    for (const w of this.waiters.splice(0)) w();
  }

  private async onEvent(event: string, name: string): Promise<void> {
    if (name.startsWith('.')) return;
    const known = this.known.get(name);
    if (event === 'change') {
      if (known) known.changes += 1;
      return;
    }
    if (known) {
      // a rename event for a known name: it was replaced or removed
      const st = await stat(known.path).catch(() => undefined);
      if (!st) this.forget(name);
      else if (st.ino !== known.ino) known.changes += 1;
      return;
    }
    await this.add(name, 'event');
  }

  private async poll(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) if (!this.known.has(name)) await this.add(name, 'poll');
  }

  private async add(name: string, via: Arrival['via']): Promise<void> {
    if (name.startsWith('.') || this.known.has(name)) return;
    const path = join(this.dir, name);
    // Registered before the (asynchronous) stat, so change events that follow the create are counted.
    const arrival: Arrival = { name, path, appearedAt: new Date(), via, changes: 0, ino: -1 };
    this.known.set(name, arrival);
    const st = await stat(path).catch(() => undefined);
    if (!st || !st.isFile()) {
      if (this.known.get(name) === arrival) this.known.delete(name);
      return;
    }
    arrival.ino = st.ino;
    this.queue.push(arrival);
    for (const w of this.waiters.splice(0)) w();
  }

  /** The name is gone from the dir (taken, archived or deleted): a new file of that name is new. */
  forget(name: string): void {
    this.known.delete(name);
    this.queue = this.queue.filter((a) => a.name !== name);
  }

  /** Files seen and not taken yet. */
  pending(): Arrival[] {
    return [...this.queue];
  }

  /** The next call file (oldest first), after it has been quiet for settleMs; undefined on timeout. */
  async next(timeoutMs: number): Promise<Arrival | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || !this.watcher) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const arrival = this.queue.shift()!;
    const quiet = arrival.appearedAt.getTime() + this.settleMs - Date.now();
    if (quiet > 0) await sleep(quiet);
    return arrival;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------- the far end and the dialplan

/** What happens at the far end of one call. */
export type FarEnd =
  /** someone answers with a fax machine; `line` sets the simulator's faults (hangupAfter, standardOnly, ...) */
  | { answer: true; line?: LineSimOptions }
  /** nobody answers: the Context's `failed` extension runs with this ${REASON} */
  | { answer: false; reason: UnansweredReason };

export type UnansweredReason = 'busy' | 'no-answer' | 'congestion' | 'failure';

/** ${REASON} as Asterisk sets it on the OutgoingSpoolFailed channel (AST_CONTROL_* values). */
export const REASON_CODES: Readonly<Record<UnansweredReason, number>> = { failure: 0, 'no-answer': 3, busy: 5, congestion: 8 };

export const answers = (line: LineSimOptions = {}): FarEnd => ({ answer: true, line });
export const busy: FarEnd = { answer: false, reason: 'busy' };
export const noAnswer: FarEnd = { answer: false, reason: 'no-answer' };
export const congestion: FarEnd = { answer: false, reason: 'congestion' };

/** One faxmail-notify run made from the template's System() line. */
export interface NotifyRun {
  context: string;
  exten: string;
  /** template line of the System() */
  line: number;
  /** what /bin/sh -c would have got */
  command: string;
  /** the argv the template makes (argv[0] is the FAXMAIL_NOTIFY global) */
  argv: string[];
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** A SendFAX or ReceiveFAX as the stand-in played it. */
export interface FaxLeg {
  /** SendFAX: the file sent; ReceiveFAX: the file the template names */
  file: string;
  /** the file the other side wrote (far end's copy when sending; the inbound TIFF when receiving) */
  output: string;
  options: LineSimOptions;
  /** undefined when res_fax failed before the line was used (FILE_ERROR) */
  result: LineSimResult | undefined;
  /** the FAXOPT() values the hangup handler sees */
  faxopt: Record<string, string>;
}

export interface CallReport {
  name: string;
  path: string;
  /** the call file as it appeared */
  text: string;
  callFile: CheckedCallFile;
  arrival: Arrival;
  mtime: Date;
  /** seconds from appearing to the mtime (a scheduled call), to 0.1 s; 0: due at once */
  scheduledDelaySec: number;
  farEnd: FarEnd;
  answered: boolean;
  /** ${REASON} for an unanswered call */
  reason?: number;
  fax?: FaxLeg;
  notify: NotifyRun;
  /** what happened to the call file: Status as Asterisk writes it, and where it went */
  status: 'Completed' | 'Expired';
  archivedTo?: string;
}

export interface ReceiveOptions {
  /** the dialled number (the [faxmail-receive] extension) */
  did: string;
  callerNum?: string;
  callerName?: string;
  /** the TIFF the calling fax machine sends */
  tiffToSend: string;
  /** the calling machine's TSI (FAXOPT(remotestationid)); printable ASCII, up to 20 characters */
  remoteStationId?: string;
  /** simulator faults (hangupAfterPages, ...) */
  line?: LineSimOptions;
}

export interface ReceiveReport {
  /** FAXMAIL_INID as the template computed it */
  inboundId: string;
  /** ReceiveFAX's file (<spool>/inbound/<id>.tif); may be missing when no page arrived */
  tiff: string;
  fax: FaxLeg;
  notify: NotifyRun;
}

export interface StandinOptions {
  /** the test installation (test/helpers/sendfax-env.ts makeTestEnv() fits) */
  env: { outgoing: string; spool: string; configPath: string };
  /** the dialplan template (default: the shipped asterisk/extensions_faxmail.conf) */
  template?: string;
  /** argv that runs faxmail-notify (default: this node with dist/bin/faxmail-notify.js) */
  notifyCommand?: string[];
  /** future mtimes count as due at once; the delay is recorded (default true) */
  fastClock?: boolean;
  /** where the far end's received copies go (default: a temp dir) */
  workDir?: string;
  /** ms a file must stay untouched after it appeared (default 150) */
  settleMs?: number;
  /** ms a notify run may take (default 60 s) */
  notifyTimeoutMs?: number;
  /** CSI of the far-end fax machine when we send (default "+1 555 0199") */
  farEndStationId?: string;
}

/** FAXMAIL_NOTIFY as the stand-in's dialplan sees it; the System() argv must start with exactly this. */
export const NOTIFY_PLACEHOLDER = '/faxmail-standin/bin/faxmail-notify';
const PATH_FILTER = '-0-9A-Za-z/._';

type Dialplan = import('./dialplan.js').Dialplan;
type Trace = import('./dialplan.js').Trace;

/** Plays Asterisk. Call start() before the first sendfax run, stop() at the end. */
export class AsteriskStandin {
  readonly watcher: OutgoingWatcher;
  readonly outgoingDone: string;
  private plan: Dialplan | undefined;
  private dialplanModule: typeof import('./dialplan.js') | undefined;
  private workDir: string | undefined;
  private uniqueSeq = 0;
  private faxSeq = 0;

  constructor(readonly options: StandinOptions) {
    this.watcher = new OutgoingWatcher(options.env.outgoing, options.settleMs ?? 150);
    this.outgoingDone = join(dirname(options.env.outgoing), 'outgoing_done');
  }

  async start(): Promise<this> {
    // The dialplan reader is loaded here, so a missing or broken helper fails start(), not the import.
    this.dialplanModule = await import('./dialplan.js');
    const text = await readFile(this.options.template ?? this.dialplanModule.TEMPLATE_PATH, 'utf8');
    const parsed = this.dialplanModule.parseDialplan(text);
    for (const [name, value] of [['FAXMAIL_SPOOL', this.options.env.spool], ['FAXMAIL_CONFIG', this.options.env.configPath]] as const) {
      if (this.dialplanModule.evalFilter(`${PATH_FILTER},${value}`) !== value) {
        throw new Error(`${name} ${value} has characters the template's FILTER(${PATH_FILTER}) removes; use a plainer test path`);
      }
    }
    for (const name of ['FAXMAIL_NOTIFY', 'FAXMAIL_SPOOL', 'FAXMAIL_CONFIG']) {
      if (!(name in parsed.globals)) throw new Error(`the template's [globals] has no ${name}`);
    }
    this.plan = {
      ...parsed,
      globals: { ...parsed.globals, FAXMAIL_NOTIFY: NOTIFY_PLACEHOLDER, FAXMAIL_SPOOL: this.options.env.spool, FAXMAIL_CONFIG: this.options.env.configPath },
    };
    this.workDir = this.options.workDir ?? (await mkdtemp(join(tmpdir(), 'faxmail-farend-')));
    await mkdir(this.workDir, { recursive: true });
    await this.watcher.start();
    return this;
  }

  async stop(): Promise<void> {
    this.watcher.stop();
    if (!this.options.workDir && this.workDir) await rm(this.workDir, { recursive: true, force: true });
  }

  private dialplan(): { plan: Dialplan; dp: typeof import('./dialplan.js') } {
    if (!this.plan || !this.dialplanModule) throw new Error('AsteriskStandin: call start() first');
    return { plan: this.plan, dp: this.dialplanModule };
  }

  /** Wait for the next call file and play the call; rejects if none appears within timeoutMs. */
  async runCall(farEnd: FarEnd, opts: { timeoutMs?: number } = {}): Promise<CallReport> {
    const timeoutMs = opts.timeoutMs ?? 20_000;
    const arrival = await this.watcher.next(timeoutMs);
    if (!arrival) throw new Error(`no call file appeared in ${this.options.env.outgoing} within ${timeoutMs} ms`);
    return this.playCall(arrival, farEnd);
  }

  /** Resolve when no call file appears for `ms`; reject (naming it) when one does. */
  async expectNoCall(ms = 1000): Promise<void> {
    const arrival = await this.watcher.next(ms);
    if (arrival) throw new Error(`unexpected call file ${arrival.name}:\n${await readFile(arrival.path, 'utf8').catch(() => '(gone)')}`);
  }

  /** Play one call for a call file that appeared. */
  async playCall(arrival: Arrival, farEnd: FarEnd): Promise<CallReport> {
    const { plan, dp } = this.dialplan();
    const text = await readFile(arrival.path, 'utf8');
    const st = await stat(arrival.path);
    if (arrival.changes > 0) {
      throw new Error(`call file ${arrival.name} changed after it appeared in the outgoing dir (${arrival.changes} change events): it was written in place or touched after the rename; Asterisk may read it half-written or ignore its mtime`);
    }
    if (st.ino !== arrival.ino) throw new Error(`call file ${arrival.name} was replaced after it appeared`);
    if ((st.mode & 0o200) === 0) throw new Error(`call file ${arrival.name} is not writable by its owner: Asterisk appends StartRetry lines and could not`);
    let callFile: CheckedCallFile;
    try {
      callFile = checkCallFile(text, arrival.name);
    } catch (err) {
      // pbx_spool drops (or archives with Status: Failed) a file it cannot use.
      await this.finish(arrival, /^archive\s*:\s*(yes|true|y|t|1|on)\s*$/im.test(text), 'Failed');
      throw err;
    }
    if (callFile.application) throw new Error(`call file ${arrival.name} runs Application: ${callFile.application}; faxmail must use Context/Extension so the dialplan reads the results`);
    const context = callFile.context!;
    const exten = callFile.extension!;
    if (!plan.contexts.has(context)) throw new Error(`call file ${arrival.name} names Context ${context}, which the template does not define`);

    // A future mtime schedules the call.
    const scheduledDelaySec = Math.max(0, Math.round((st.mtimeMs - arrival.appearedAt.getTime()) / 100) / 10);
    if (!(this.options.fastClock ?? true)) {
      const wait = st.mtimeMs - Date.now();
      if (wait > 0) await sleep(wait);
    }
    // Asterisk notes each try in the file and bumps its mtime by RetryTime.
    const now = Math.floor(Date.now() / 1000);
    await appendFile(arrival.path, `\nStartRetry: ${process.pid} 1 (${now})\n`);
    await utimes(arrival.path, now, now + callFile.retryTime);

    const base = { name: arrival.name, path: arrival.path, text, callFile, arrival, mtime: st.mtime, scheduledDelaySec, farEnd };
    const vars: Record<string, string> = { ...callFile.vars };
    if (callFile.callerId) vars['CALLERID(all)'] = callFile.callerId;

    if (!farEnd.answer) {
      const reason = REASON_CODES[farEnd.reason];
      let trace: Trace;
      try {
        trace = dp.runExtension(plan, context, 'failed', { ...vars, REASON: String(reason) });
      } catch (err) {
        throw new Error(`[${context}] failed: ${(err as Error).message}; Asterisk would run nothing for an unanswered call and faxmail-notify would never hear of it`);
      }
      const notify = await this.runNotify([trace], `[${context}] failed`);
      const retries = 1;
      // MaxRetries tries after the first: with none left the call file expires.
      const status = retries >= callFile.maxRetries + 1 ? 'Expired' : undefined;
      if (!status) throw new Error(`call file ${arrival.name} has MaxRetries ${callFile.maxRetries}: Asterisk would dial again by itself, but faxmail decides retries`);
      const archivedTo = await this.finish(arrival, callFile.archive, status);
      return { ...base, answered: false, reason, notify, status, ...(archivedTo ? { archivedTo } : {}) };
    }

    // Answered: pbx_spool writes Status: Completed as soon as the call is up, before the dialplan ends.
    const archivedTo = await this.finish(arrival, callFile.archive, 'Completed');
    const epoch = Math.floor(Date.now() / 1000);
    const first = dp.runExtension(plan, context, exten, vars, { epoch });
    const sendApps = first.apps.filter((a) => /^SendFAX$/i.test(a.app));
    if (sendApps.length !== 1) throw new Error(`[${context}] ${exten} ran SendFAX ${sendApps.length} times; expected once`);
    const sendArgs = dp.separateArgs(sendApps[0]!.args, ',', 2);
    const file = sendArgs[0]!;
    if (file.includes('&')) throw new Error(`SendFAX(${file}): several files do not work with spandsp; merge them into one TIFF`);
    const line: LineSimOptions = {
      senderIdent: first.vars.get('FAXOPT(localstationid)') ?? '',
      receiverIdent: this.options.farEndStationId ?? '+1 555 0199',
      ...faxoptLineOptions(first),
      ...(farEnd.line ?? {}),
    };
    const output = join(this.workDir!, `farend-${++this.faxSeq}.tif`);
    const fax = await this.transmit(file, output, line, 'send');
    const duration = fax.result ? Math.ceil(fax.result.line_time) : 0;
    const traces = this.runHandlers(first, context, { ...Object.fromEntries(first.vars), ...fax.faxopt }, epoch + duration);
    const notify = await this.runNotify(traces, `[${context}] ${exten} hangup`);
    return { ...base, answered: true, fax, notify, status: 'Completed', ...(archivedTo ? { archivedTo } : {}) };
  }

  /** A call comes in on `did`: run [faxmail-receive] as the template defines it. */
  async receiveCall(opts: ReceiveOptions): Promise<ReceiveReport> {
    const { plan, dp } = this.dialplan();
    const epoch = Math.floor(Date.now() / 1000);
    const vars: Record<string, string> = {
      'CALLERID(num)': opts.callerNum ?? '',
      'CALLERID(name)': opts.callerName ?? '',
      UNIQUEID: `${epoch}.${++this.uniqueSeq}`,
      'GROUP_COUNT(fax@faxmail)': '1',
    };
    const exten = opts.did === '' ? 's' : opts.did;
    const first = dp.runExtension(plan, 'faxmail-receive', exten, vars, { epoch });
    if (first.ended === 'congestion') throw new Error(`[faxmail-receive] refused the call on ${opts.did} with congestion`);
    const recv = first.apps.filter((a) => /^ReceiveFAX$/i.test(a.app));
    if (recv.length !== 1) throw new Error(`[faxmail-receive] ${exten} ran ReceiveFAX ${recv.length} times; expected once`);
    const file = dp.separateArgs(recv[0]!.args, ',', 2)[0]!;
    const inbound = join(this.options.env.spool, 'inbound');
    if (dirname(file) !== inbound) throw new Error(`ReceiveFAX writes ${file}, outside ${inbound}`);
    const inboundId = first.vars.get('FAXMAIL_INID') ?? '';
    if (basename(file) !== `${inboundId}.tif`) throw new Error(`ReceiveFAX's file ${file} is not FAXMAIL_INID (${inboundId}).tif`);
    await mkdir(inbound, { recursive: true });
    const line: LineSimOptions = {
      senderIdent: opts.remoteStationId ?? '',
      receiverIdent: first.vars.get('FAXOPT(localstationid)') ?? '',
      ...faxoptLineOptions(first),
      ...(opts.line ?? {}),
    };
    const fax = await this.transmit(opts.tiffToSend, file, line, 'receive');
    const duration = fax.result ? Math.ceil(fax.result.line_time) : 0;
    const traces = this.runHandlers(first, 'faxmail-receive', { ...Object.fromEntries(first.vars), ...fax.faxopt }, epoch + duration);
    const notify = await this.runNotify(traces, `[faxmail-receive] ${exten} hangup`);
    return { inboundId, tiff: file, fax, notify };
  }

  /** Send `input` through the simulator; FAXOPT() as the given leg would show it. */
  private async transmit(input: string, output: string, line: LineSimOptions, leg: 'send' | 'receive'): Promise<FaxLeg> {
    const readable = await stat(input).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!readable) {
      // res_fax cannot open the file: the call was answered, nothing went over the line.
      return { file: input, output, options: line, result: undefined, faxopt: { 'FAXOPT(status)': 'FAILED', 'FAXOPT(error)': 'FILE_ERROR', 'FAXOPT(pages)': '0', 'FAXOPT(rate)': '', 'FAXOPT(resolution)': '', 'FAXOPT(remotestationid)': '' } };
    }
    const result = await transmitFax(input, output, line);
    const side = leg === 'send' ? result.sender : result.receiver;
    if (!side) throw new Error(`the simulator reported no ${leg === 'send' ? 'sender' : 'receiver'} side`);
    const pages = leg === 'send' ? result.sender.pages_sent : (result.receiver?.pages ?? 0);
    // res_fax's sending leg reports error=HANGUP even when the fax went through (notes/asterisk.md).
    const error = leg === 'send' && side.status === 'SUCCESS' ? 'HANGUP' : side.error;
    const faxopt = {
      'FAXOPT(status)': side.status,
      'FAXOPT(error)': error,
      'FAXOPT(statusstr)': side.error,
      'FAXOPT(pages)': String(pages),
      'FAXOPT(rate)': String(side.bit_rate),
      'FAXOPT(resolution)': side.resolution_ppm,
      'FAXOPT(remotestationid)': side.remote_station_id,
      'FAXOPT(localstationid)': side.local_station_id,
    };
    return { file: input, output, options: line, result, faxopt };
  }

  /** Run the hangup handlers the main part pushed (last first), then the context's `h` extension. */
  private runHandlers(first: Trace, context: string, vars: Record<string, string>, epoch: number): Trace[] {
    const { plan, dp } = this.dialplan();
    const traces: Trace[] = [];
    const pushed = first.apps
      .filter((a) => /^Set$/i.test(a.app) && /^CHANNEL\(hangup_handler_push\)=/.test(a.args))
      .map((a) => a.args.slice(a.args.indexOf('=') + 1).split(','))
      .reverse();
    for (const [ctx, exten] of pushed) traces.push(dp.runExtension(plan, ctx!, exten!, vars, { epoch }));
    if (plan.contexts.get(context)?.extensions.has('h')) traces.push(dp.runExtension(plan, context, 'h', vars, { epoch }));
    return traces;
  }

  /** Run the faxmail-notify command the traces made (exactly one), without a shell. */
  private async runNotify(traces: Trace[], where: string): Promise<NotifyRun> {
    const calls = traces.flatMap((t) => t.systems).filter((s) => s.argv[0] === NOTIFY_PLACEHOLDER);
    const others = traces.flatMap((t) => t.systems).filter((s) => s.argv[0] !== NOTIFY_PLACEHOLDER);
    if (others.length > 0) throw new Error(`${where}: System() runs something other than faxmail-notify: ${others.map((o) => o.command).join(' | ')}`);
    if (calls.length === 0) throw new Error(`${where}: the template runs no faxmail-notify command (no System() with \${FAXMAIL_NOTIFY}); template and notify have drifted apart`);
    const call = calls[0]!;
    if (call.cut) throw new Error(`${where}: a comma cut the System() line ${call.line}: ${call.command}`);
    const notifyCommand = this.options.notifyCommand ?? [process.execPath, binPath('faxmail-notify')];
    const argv = [...notifyCommand, ...call.argv.slice(1)];
    const result = await runArgv(argv, { ...process.env, FAXMAIL_CONFIG: this.options.env.configPath }, this.options.notifyTimeoutMs ?? 60_000);
    const run: NotifyRun = { context: call.context, exten: call.exten, line: call.line, command: call.command, argv: call.argv, ...result };
    if (result.exitCode !== 0) {
      const err = new Error(
        `${where}: faxmail-notify exited ${result.exitCode} for the template's line ${call.line}; template and notify disagree or notify failed.\n  argv: ${JSON.stringify(call.argv.slice(1))}\n  stdout: ${result.stdout.trim()}\n  stderr: ${result.stderr.trim().slice(0, 2000)}`,
      );
      (err as Error & { notify?: NotifyRun }).notify = run;
      throw err;
    }
    return run;
  }

  /** Remove the call file, or move it to outgoing_done/ and append Status:, as pbx_spool does. */
  private async finish(arrival: Arrival, archive: boolean, status: 'Completed' | 'Expired' | 'Failed'): Promise<string | undefined> {
    this.watcher.forget(arrival.name);
    if (!archive) {
      await unlink(arrival.path);
      return undefined;
    }
    await mkdir(this.outgoingDone, { recursive: true });
    const dest = join(this.outgoingDone, arrival.name);
    await rename(arrival.path, dest).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EXDEV') throw err;
      await copyFile(arrival.path, dest);
      await unlink(arrival.path);
    });
    await appendFile(dest, `Status: ${status}\n`);
    return dest;
  }
}

/** Simulator options from the FAXOPT() values the dialplan set before SendFAX/ReceiveFAX. */
function faxoptLineOptions(trace: Trace): LineSimOptions {
  const out: LineSimOptions = {};
  const ecm = trace.vars.get('FAXOPT(ecm)');
  if (ecm !== undefined && ecm !== '') out.ecm = isTrue(ecm);
  const header = trace.vars.get('FAXOPT(headerinfo)');
  if (header) out.header = header;
  return out;
}

/** Run argv (no shell); collect output; kill after timeoutMs. */
export function runArgv(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env, shell: false });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code, stdout, stderr: signal ? `${stderr}\n(killed by ${signal} after ${timeoutMs} ms)` : stderr });
    });
  });
}
