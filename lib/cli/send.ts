/*
 * send.ts: the command-line side of `faxmail send` and `faxmail submit` (the feature is
 * lib/sendfax/send-files.ts). Who may send, and how the files reach the spool owner:
 *
 *   root          opens the files as root, THEN switches to the spool owner (the root-safe switch every
 *                 command makes: a file only root may read is still faxed, and nothing in the spool
 *                 ends up owned by root); the job is attributed to SUDO_USER when root came through sudo.
 *   spool owner   sends directly.
 *   a member of send.group
 *                 cannot write the spool (nor, usually, read faxmail.toml), so it opens the files with its
 *                 own rights and streams the request (lib/cli/send-request.ts) into
 *                 `sudo -n -u <owner> $LIBEXECDIR/faxmail-submit`, whose wrapper names the configuration;
 *                 `faxmail submit` checks again who SUDO_UID is (root, the owner, or a member of send.group
 *                 by the system's group database) before it reads a byte of the request.
 *   anyone else   is refused (77) with a sentence naming who may and how to get there.
 *
 * The sudo rule scripts/install.sh writes lets every local user run faxmail-submit, with no argument, as
 * the owner: faxmail-submit itself is the gate, so the group lives in one place (send.group). Its input is
 * another user's data and is checked as a mail to sendfax is.
 * Exit status: 0 queued (with --wait: sent), 1 with --wait: not sent, 130 waiting interrupted (the fax goes
 * on); failures through lib/sysexits.ts ('cli'): 64, 65, 66 (a file missing or unreadable), 67, 75, 77, 78.
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lookup, lookupGroup, lookupUser, type Account } from '../accounts.js';
import { FaxError, oneLine, toFaxError } from '../errors.js';
import { EX } from '../sysexits.js';
import type { Config } from '../config/schema.js';
import { chooseConfigPath, loadConfigDetailed } from '../config/load.js';
import { createLogger, type Logger } from '../log.js';
import { becomeSpoolOwner } from './privileges.js';
import { divertStop } from './signals.js';
import type { Print } from './entry.js';
import {
  ByteReader,
  checkRequest,
  encodeHeader,
  MAX_SEND_BYTES,
  readHeader,
  storeFromReader,
  type SendRequest,
  type StoredFile,
} from './send-request.js';
import type { Submitter } from '../sendfax/send-files.js';
import type { QueueResult } from '../spool/types.js';

type Values = Record<string, string | boolean | undefined>;

/** A file the caller named, opened with the caller's rights (before any switch of users). */
export interface OpenedFile {
  path: string;
  fd: number;
  size: number;
}

/** Open every file for reading, as the user running the command; close them all if one fails. */
function openFiles(paths: readonly string[], user: string): OpenedFile[] {
  const opened: OpenedFile[] = [];
  try {
    let total = 0;
    for (const path of paths) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw new FaxError('not-found', `${path} does not exist.`);
        if (code === 'EACCES' || code === 'EPERM')
          throw new FaxError('not-found', `${path} cannot be read by ${user} (permission denied).`);
        if (code === 'EISDIR') throw new FaxError('not-found', `${path} is a directory, not a file.`);
        throw toFaxError(err, `opening ${path}`);
      }
      const st = fstatSync(fd);
      opened.push({ path, fd, size: st.size });
      if (!st.isFile()) throw new FaxError('not-found', `${path} is not a file.`);
      total += st.size;
      if (total > MAX_SEND_BYTES)
        throw new FaxError(
          'too-large',
          `The files are more than ${MAX_SEND_BYTES / 1048576} MB together; fax fewer at once.`,
        );
    }
    return opened;
  } catch (err) {
    closeFiles(opened);
    throw err;
  }
}

function closeFiles(files: readonly OpenedFile[]): void {
  for (const f of files) {
    try {
      closeSync(f.fd);
    } catch {
      /* closed already (read to the end) */
    }
  }
}

/** The request the command line asks for. Fails with FaxError('usage'). */
export function requestFromArgs(
  values: Values,
  files: readonly { path: string; size: number }[],
  number: string,
): SendRequest {
  if (values['cover'] === true && values['no-cover'] === true)
    throw new FaxError('usage', 'Give --cover or --no-cover, not both.');
  if (values['note'] !== undefined && values['no-cover'] === true)
    throw new FaxError('usage', '--note goes on the cover page: it does not go with --no-cover.');
  const raw: Record<string, unknown> = {
    v: 1,
    number,
    subject: values['subject'] ?? '',
    to: values['to'] ?? '',
    note: values['note'] ?? '',
    wait: values['wait'] === true,
    files: files.map((f) => ({ name: basename(f.path), bytes: f.size })),
  };
  if (values['notify'] !== undefined) raw['notify'] = values['notify'];
  if (values['resolution'] !== undefined) raw['resolution'] = values['resolution'];
  if (values['cover'] === true) raw['cover'] = true;
  if (values['no-cover'] === true) raw['cover'] = false;
  return checkRequest(raw);
}

/** Store files from open descriptors: each copied up to the size it had when opened. */
function storeFromDescriptors(files: readonly OpenedFile[], request: SendRequest) {
  return async (dir: string): Promise<StoredFile[]> => {
    const out: StoredFile[] = [];
    for (const [i, f] of files.entries()) {
      const path = join(dir, `file-${String(i + 1).padStart(2, '0')}`);
      const dest = createWriteStream(path, { flags: 'wx', mode: 0o640 });
      // autoClose off: the descriptors are closed once, by closeFiles (a closed number may be reused at once).
      if (f.size > 0)
        await pipeline(createReadStream('', { fd: f.fd, start: 0, end: f.size - 1, autoClose: false }), dest);
      else await pipeline(Readable.from([]), dest);
      out.push({ name: request.files[i]!.name, path, size: f.size });
    }
    return out;
  };
}

/** The person behind this process: SUDO_UID when sudo started it, else the real user. */
function submitterAccount(env: NodeJS.ProcessEnv): Account | undefined {
  const viaSudo = env['SUDO_UID'];
  return viaSudo && /^[0-9]+$/.test(viaSudo) ? lookupUser(Number(viaSudo)) : lookupUser(process.getuid?.() ?? -1);
}

/** The full name from the account's GECOS field ('' when none). */
function fullName(user: string): string {
  const gecos = lookup('passwd', user)?.[4] ?? '';
  return oneLine(gecos.split(',')[0] ?? '', 80);
}

function asSubmitter(a: Account | undefined): Submitter {
  const user = a?.name ?? String(process.getuid?.() ?? 'unknown');
  return { user, fullName: a ? fullName(a.name) : '' };
}

/** Is `a` allowed to send: root, the spool owner, or in send.group (the group database's view)? */
export function maySend(
  a: Pick<Account, 'uid' | 'groups'>,
  ownerUid: number,
  sendGroupGid: number | undefined,
): boolean {
  return a.uid === 0 || a.uid === ownerUid || (sendGroupGid !== undefined && a.groups.includes(sendGroupGid));
}

/** The refusal for a user who may not fax from the shell. */
function refusal(user: string, config: Readonly<Config> | undefined): FaxError {
  const who = config
    ? `root, ${config.callfile.owner} and ` +
      (config.send.group
        ? `the members of the group ${config.send.group} (send.group)`
        : 'the members of the group named by send.group in faxmail.toml, which is not set')
    : 'root, the owner of the spool and the members of the group named by send.group in faxmail.toml';
  const fix = config?.send.group ? `adduser ${user} ${config.send.group}` : 'send.group';
  return new FaxError(
    'not-allowed',
    `${user} may not fax from the shell on this server: faxmail send is for ${who}. Ask the administrator ` +
      `(${fix}), or mail the files to fax+NUMBER@ your fax domain.`,
  );
}

function spoolOwnerUid(config: Readonly<Config>): number {
  try {
    return statSync(config.paths.spool).uid;
  } catch (err) {
    throw new FaxError(
      'config',
      `The spool ${config.paths.spool} cannot be used (${(err as NodeJS.ErrnoException).code ?? 'error'}): ` +
        `create it with make install (scripts/install.sh), or set paths.spool.`,
      { cause: err },
    );
  }
}

/** `faxmail send NUMBER FILE...` */
export async function sendCommand(
  values: Values,
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Print,
  err: Print,
): Promise<number> {
  const uid = process.getuid?.() ?? -1;
  const me = lookupUser(uid);
  const myName = me?.name ?? String(uid);
  // The files first, with the caller's own rights: root may be about to become the spool owner, and a
  // member of send.group hands them to the owner, who could not open them.
  const files = openFiles(positionals.slice(1), myName);
  try {
    const request = requestFromArgs(values, files, positionals[0] ?? '');
    const configPath = chooseConfigPath(values['config'] as string | undefined, env);
    let config: Readonly<Config> | undefined;
    try {
      config = loadConfigDetailed(configPath).config;
    } catch (e) {
      // A user of the group usually may not read faxmail.toml (it may hold the SMTP password): sudo's side will.
      const code = (e as { cause?: NodeJS.ErrnoException }).cause?.code;
      if (uid !== 0 && (code === 'EACCES' || code === 'EPERM'))
        return await delegate(request, files, values, env, myName, err);
      throw e;
    }
    const owner = spoolOwnerUid(config);
    if (uid !== 0 && uid !== owner) {
      const gid = config.send.group ? lookupGroup(config.send.group) : undefined;
      const mine = [...new Set([...(process.getgroups?.() ?? []), process.getgid?.() ?? -1])];
      if (!maySend({ uid, groups: mine }, owner, gid)) throw refusal(myName, config);
      return await delegate(request, files, values, env, myName, err);
    }
    // Who sends: known before the switch (root, or the user sudo names), attributed after it.
    const submitter = asSubmitter(submitterAccount(env));
    if (uid === 0) becomeSpoolOwner(config.paths.spool, 'faxmail');
    const log = createLogger(config.paths.log, 'faxmail', 'none', config.log.level);
    return await submitAndReport(config, request, submitter, storeFromDescriptors(files, request), log, out);
  } finally {
    closeFiles(files);
  }
}

/** `faxmail submit`: a request from `faxmail send` of a send.group member, on standard input, through sudo. */
export async function submitCommand(
  values: Values,
  env: NodeJS.ProcessEnv,
  input: NodeJS.ReadableStream,
  out: Print,
): Promise<number> {
  const config = loadConfigDetailed(chooseConfigPath(values['config'] as string | undefined, env)).config;
  const owner = spoolOwnerUid(config);
  const uid = process.getuid?.() ?? -1;
  // Who asked: the user sudo names (it sets SUDO_UID itself; the caller cannot choose it).
  const account = submitterAccount(env);
  if (uid === 0) becomeSpoolOwner(config.paths.spool, 'faxmail');
  else if (uid !== owner)
    throw new FaxError(
      'not-allowed',
      `faxmail submit runs as the owner of the spool (${config.callfile.owner}), started by sudo from faxmail ` +
        `send; it was run as ${lookupUser(uid)?.name ?? uid}.`,
    );
  const gid = config.send.group ? lookupGroup(config.send.group) : undefined;
  if (!account || !maySend(account, owner, gid))
    throw refusal(account?.name ?? env['SUDO_USER'] ?? 'this user', config);
  const reader = new ByteReader(input as AsyncIterable<Buffer>);
  const request = await readHeader(reader);
  const log = createLogger(config.paths.log, 'faxmail', 'none', config.log.level);
  return await submitAndReport(
    config,
    request,
    asSubmitter(account),
    (dir) => storeFromReader(reader, request.files, dir),
    log,
    out,
  );
}

/** Queue the fax, print its line, and with --wait follow it. */
async function submitAndReport(
  config: Readonly<Config>,
  request: SendRequest,
  submitter: Submitter,
  store: (dir: string) => Promise<StoredFile[]>,
  log: Logger,
  out: Print,
): Promise<number> {
  const { sendFiles } = await import('../sendfax/send-files.js');
  let result: QueueResult;
  try {
    result = await sendFiles(config, request, submitter, store, log);
  } catch (e) {
    const fe = toFaxError(e, 'queueing the fax');
    log.error(
      { step: 'failed', via: 'faxmail send', user: submitter.user, code: fe.code, err: fe.message },
      'faxmail send failed',
    );
    throw fe;
  }
  out(`job ${result.job} queued: ${result.pages} page${result.pages === 1 ? '' : 's'} to ${result.number}`);
  if (!request.wait) return EX.OK;

  const [{ followJob }, { readJob, jobDir, spoolPaths }] = await Promise.all([
    import('../sendfax/follow.js'),
    import('../spool/jobs.js'),
  ]);
  const dir = jobDir(spoolPaths(config.paths.spool), result.job);
  const stop = new AbortController();
  // Ctrl-C stops the waiting, not the fax.
  const release = divertStop(['SIGINT', 'SIGTERM'], () => stop.abort());
  try {
    const job = await followJob(
      () => readJob(dir),
      (line) => out(`job ${result.job}: ${line}`),
      { locale: config.notify.locale, signal: stop.signal },
    );
    if (job.state === 'sent') return EX.OK;
    if (job.state === 'failed' || job.state === 'cancelled') return 1;
    out(`job ${result.job}: stopped waiting; the fax goes on (faxmail show ${result.job})`);
    return 130;
  } finally {
    release();
  }
}

/** Hand the request to the spool owner through sudo (see the header); returns faxmail submit's status. */
async function delegate(
  request: SendRequest,
  files: readonly OpenedFile[],
  values: Values,
  env: NodeJS.ProcessEnv,
  me: string,
  err: Print,
): Promise<number> {
  if (values['config'] !== undefined)
    throw new FaxError(
      'usage',
      "--config is for root and the spool owner: faxmail send from another user always uses the server's own " +
        'configuration.',
    );
  const submit = env['FAXMAIL_SUBMIT'];
  const owner = env['FAXMAIL_SUBMIT_USER'];
  if (!submit || !owner)
    throw new FaxError(
      'not-allowed',
      `${me} cannot use the fax spool, and this faxmail was not installed with scripts/install.sh (it names ` +
        `faxmail-submit), so there is no way to hand it the fax: run faxmail send as root or as the spool ` +
        `owner.`,
    );
  const child = spawn('sudo', ['-n', '-u', owner, '--', submit], { stdio: ['pipe', 'inherit', 'pipe'] });
  const sudoSaid: string[] = [];
  let stderrTail = '';
  child.stderr!.setEncoding('utf8');
  // sudo's own complaints are kept for the sentence below; faxmail submit's lines pass through.
  const route = (line: string): void => {
    if (line.startsWith('sudo:')) sudoSaid.push(line);
    else err(line);
  };
  child.stderr!.on('data', (chunk: string) => {
    const lines = (stderrTail + chunk).split('\n');
    stderrTail = lines.pop() ?? '';
    for (const l of lines) route(l);
  });
  // Ctrl-C reaches faxmail submit too (same terminal): it stops waiting and says so; this side just waits.
  const releaseInterrupt = divertStop(['SIGINT'], () => undefined);
  const exited = new Promise<{ code: number | null; spawnError?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (e) => resolve({ code: null, spawnError: e as NodeJS.ErrnoException }));
    child.once('close', (code) => resolve({ code }));
  });
  // The request: its header line, then each file's bytes as opened. A refusal ends the pipe early: fine.
  const feed = (async () => {
    const stdin = child.stdin!;
    stdin.on('error', () => undefined);
    const write = (b: Buffer): Promise<void> =>
      new Promise((resolve) => (stdin.write(b) ? resolve() : stdin.once('drain', resolve).once('close', resolve)));
    await write(encodeHeader(request));
    for (const f of files) {
      if (f.size === 0 || stdin.destroyed) continue;
      for await (const chunk of createReadStream('', { fd: f.fd, start: 0, end: f.size - 1, autoClose: false })) {
        if (stdin.destroyed) break;
        await write(chunk as Buffer);
      }
    }
    stdin.end();
  })().catch(() => undefined);
  try {
    const r = await exited;
    await feed;
    if (stderrTail) route(stderrTail);
    if (r.spawnError) {
      throw new FaxError(
        'not-allowed',
        `${me} cannot use the fax spool, and sudo, which would hand the fax to it, ` +
          (r.spawnError.code === 'ENOENT'
            ? 'is not installed'
            : `cannot be started (${r.spawnError.code ?? 'error'})`) +
          `: ask the administrator (README, "Sending from the shell").`,
      );
    }
    if (r.code === 1 && sudoSaid.length > 0) {
      throw new FaxError(
        'not-allowed',
        `${me} may not fax from the shell on this server: sudo refused to hand the fax to faxmail ` +
          `(${oneLine(sudoSaid.join(' ').replace(/^sudo:\s*/, ''), 200)}). faxmail send is for root, the ` +
          `spool owner and the members of the group named by send.group; the administrator allows it with ` +
          `the sudo rule scripts/install.sh writes (README, "Sending from the shell").`,
      );
    }
    for (const l of sudoSaid) err(l);
    return r.code ?? EX.SOFTWARE;
  } finally {
    releaseInterrupt();
  }
}
