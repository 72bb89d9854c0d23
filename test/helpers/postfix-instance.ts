/*
 * postfix-instance.ts: a private, throw-away Postfix for end-to-end tests.
 * startPostfixInstance() builds a config_directory, queue_directory, data_directory and a virtual maildir
 * base under one temp dir, writes a minimal base main.cf/master.cf and APPENDS the shipped snippets
 * (postfix/main.cf, master.cf, transport.regexp) with only these substitutions: the transport.regexp path,
 * the fax domain, `user=` (a test system user instead of asterisk) and the sendfax command (the sendfax
 * wrapper of a copy installed by scripts/install.sh under the instance's root, + --config=<test
 * faxmail.toml>). It listens on 127.0.0.1:<free port> only.
 * Mail for example.org and example.net is delivered by virtual(8) into maildirs under <root>/mail, so the
 * tests can read the bounces a sender gets (readMailbox). Anything else is refused by the error transport.
 * Postfix commands need root: tests run as root. `postfix -c DIR` and `sendmail -C DIR` are accepted for
 * root without alternate_config_directories in /etc/postfix/main.cf (checked on Postfix 3.7), so the
 * default instance's configuration is never touched; it need not be configured or running.
 * Fails (rejects) with the Postfix log tail when the instance cannot be started; stop() always stops it.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import { binPath, repoRoot } from './paths.js';
import { installFaxmail } from './installed.js';
import { installDirs, installPaths, renderTestConfig, sendfaxSections, type InstallPaths } from './test-config.js';
import { waitUntil } from './wait.js';

export interface PostfixInstanceOptions {
  /** fax domain put in place of fax.example.com in the shipped snippets (default: fax.example.com) */
  faxDomain?: string;
  /** system user sendfax runs as (pipe user=); created with useradd when missing (default faxmailtest) */
  user?: string;
  /** [senders] section body of the test faxmail.toml */
  senders?: string;
  /** [numbers] section body of the test faxmail.toml */
  numbers?: string;
  /** [fax] section body of the test faxmail.toml */
  fax?: string;
  /** extra main.cf lines appended after the shipped snippet (last setting wins) */
  extraMainCf?: string;
  /** more maildir mailboxes (user@example.org / user@example.net) besides DEFAULT_MAILBOXES */
  mailboxes?: string[];
}

export interface QueueEntry {
  queue_name: string;
  queue_id: string;
  arrival_time: number;
  sender: string;
  recipients: { address: string; delay_reason?: string }[];
}

export interface MailboxMessage {
  file: string;
  raw: string;
  parsed: ParsedMail;
  /** raw text with every run of white space made one space (Postfix folds long reasons) */
  flat: string;
}

export type FaxInstall = InstallPaths;

export interface PostfixInstance {
  root: string;
  configDir: string;
  queueDir: string;
  mailBase: string;
  maillog: string;
  port: number;
  faxDomain: string;
  user: { name: string; uid: number; gid: number };
  fax: FaxInstall;
  /** inject with the instance's sendmail (-C DIR -i -f from -- to) */
  submitWithSendmail(raw: Buffer | string, env: { from: string; to: string }): Promise<void>;
  /** send over SMTP to 127.0.0.1:port; resolves to the queue id from the 250 reply */
  submitWithSmtp(raw: Buffer | string, env: { from: string; to: string }): Promise<string>;
  /** postqueue -f (all queues, ignoring back-off), or postqueue -i ID for one message */
  flushQueue(id?: string): Promise<void>;
  /** postqueue -j, parsed */
  queue(): Promise<QueueEntry[]>;
  queueIds(): Promise<string[]>;
  /**
   * messages in the maildir of a DEFAULT_MAILBOXES/options.mailboxes address (local part alone: @example.org);
   * other@<domain> holds the rest
   */
  readMailbox(address: string): Promise<MailboxMessage[]>;
  /** the instance's log (maillog_file) */
  readLog(): string;
  /** stop Postfix (idempotent) and remove the temp dir unless FAXMAIL_E2E_KEEP is set */
  stop(): Promise<void>;
}

/** The domains whose mail is kept in maildirs under <root>/mail. */
const MAILBOX_DOMAINS = ['example.org', 'example.net'] as const;
/** Mailboxes every instance has; any other address at MAILBOX_DOMAINS goes to other@<domain>. */
const DEFAULT_MAILBOXES = [
  'alice@example.org',
  'bob@example.org',
  'postmaster@example.org',
  'root@example.org',
  'mallory@example.net',
];

/** virtual_mailbox_maps entries: address -> maildir path (trailing slash: maildir) under the base. */
function mailboxTable(addresses: string[]): Record<string, string> {
  const table: Record<string, string> = {};
  for (const a of addresses) {
    const [local, domain] = a.split('@');
    if (!local || !domain || !/^[a-z0-9._-]+$/.test(local) || !(MAILBOX_DOMAINS as readonly string[]).includes(domain))
      throw new Error(`bad test mailbox ${a}`);
    table[a] = `${domain}/${local}/`;
  }
  for (const d of MAILBOX_DOMAINS) table[`@${d}`] = `${d}/other/`;
  return table;
}

const SHIPPED_TRANSPORT_PATH = '/etc/postfix/faxmail/transport.regexp';
const SHIPPED_DOMAIN = 'fax.example.com';

/** Full path of a Postfix command (they live in /usr/sbin, which a test's PATH may lack). */
export function postfixTool(name: 'postfix' | 'postqueue' | 'sendmail' | 'postconf'): string {
  const dirs = [
    ...(process.env['PATH'] ?? '').split(':').filter((d) => d.startsWith('/')),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
  ];
  for (const d of dirs) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return name;
}

/** A free TCP port on 127.0.0.1 (closed again at once; a tiny race is acceptable in tests). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves true when something on the port answers with an SMTP 220 greeting. */
function smtpGreets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        sock.write('QUIT\r\n');
        done(buf.startsWith('220'));
      }
    });
  });
}

function lookupId(kind: 'passwd' | 'group', name: string): number | undefined {
  try {
    const line = execFileSync('getent', [kind, name], { encoding: 'utf8' });
    const id = Number(line.split(':')[2]);
    return Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The pipe's user= must be a real, non-root account: create a locked system user when missing. */
function ensureTestUser(name: string): { name: string; uid: number; gid: number } {
  if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(name)) throw new Error(`bad test user name ${name}`);
  if (lookupId('passwd', name) === undefined) {
    try {
      execFileSync(
        'useradd',
        [
          '--system',
          '--user-group',
          '--no-create-home',
          '--home-dir',
          '/nonexistent',
          '--shell',
          '/usr/sbin/nologin',
          name,
        ],
        { stdio: 'pipe' },
      );
    } catch (err) {
      // Another test process may have created it at the same moment.
      if (lookupId('passwd', name) === undefined)
        throw new Error(`cannot create the test user ${name}: ${String((err as { stderr?: unknown }).stderr ?? err)}`);
    }
  }
  const uid = lookupId('passwd', name);
  const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' });
  const gid = Number(line.split(':')[3]);
  if (uid === undefined || uid === 0 || !Number.isInteger(gid))
    throw new Error(`test user ${name} is unusable (uid ${uid})`);
  return { name, uid, gid };
}

/** Shipped snippet text, with a check that the part we substitute is there exactly once. */
function substituteOnce(text: string, pattern: RegExp, replacement: string, what: string): string {
  const hits = text.match(
    new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g'),
  );
  if (hits?.length !== 1) throw new Error(`shipped snippet: expected exactly one ${what}, found ${hits?.length ?? 0}`);
  return text.replace(pattern, () => replacement);
}

const escapeRegexp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The shipped postfix/* files, made to fit the private instance. Exported for the test's own checks. */
export function adaptShippedSnippets(
  shipped: { main: string; master: string; transport: string },
  subst: { faxDomain: string; transportPath: string; user: string; sendfaxArgv: string[] },
): { main: string; master: string; transport: string } {
  for (const arg of [...subst.sendfaxArgv, subst.transportPath]) {
    if (/\s/.test(arg)) throw new Error(`path with white space cannot go into master.cf argv: ${arg}`);
  }
  const domain = (t: string): string =>
    t
      .split(escapeRegexp(SHIPPED_DOMAIN))
      .join(escapeRegexp(subst.faxDomain))
      .split(SHIPPED_DOMAIN)
      .join(subst.faxDomain);
  const main = domain(
    substituteOnce(
      shipped.main,
      new RegExp(escapeRegexp(SHIPPED_TRANSPORT_PATH)),
      subst.transportPath,
      'transport.regexp path in main.cf',
    ),
  );
  // Not the "user=" inside "--sasl-user=${sasl_username}": only the pipe attribute.
  let master = substituteOnce(shipped.master, /(?<![\w-])user=\S+/, `user=${subst.user}`, 'user= in master.cf');
  master = substituteOnce(master, /\bargv=\S+/, `argv=${subst.sendfaxArgv.join(' ')}`, 'argv= in master.cf');
  return { main, master: domain(master), transport: domain(shipped.transport) };
}

function baseMainCf(p: {
  root: string;
  queueDir: string;
  dataDir: string;
  mailBase: string;
  maillog: string;
  vmailbox: string;
  uid: number;
  gid: number;
}): string {
  return `# private Postfix for faxmail end-to-end tests (generated by test/helpers/postfix-instance.ts)
compatibility_level = 3.6
queue_directory = ${p.queueDir}
data_directory = ${p.dataDir}
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-faxmail-test
maillog_file = ${p.maillog}
maillog_file_prefixes = ${p.root}
myhostname = mx.faxmail-test.example
mydomain = faxmail-test.example
# unqualified addresses (root, postmaster, MAILER-DAEMON notices) end up in the example.org maildirs
myorigin = example.org
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
smtpd_peername_lookup = no
smtpd_banner = $myhostname ESMTP faxmail-test
# nothing leaves this instance: only the fax transport and the test maildirs deliver
default_transport = error:5.3.0 the faxmail test instance delivers nowhere else
relay_transport = error:5.3.0 the faxmail test instance delivers nowhere else
local_transport = error:5.3.0 the faxmail test instance has no local mailboxes
# sender mailboxes: bounces for alice@example.org land in <root>/mail/example.org/alice/ (maildir);
# unlisted addresses at these domains land in <root>/mail/<domain>/other/
virtual_mailbox_domains = ${MAILBOX_DOMAINS.join(', ')}
virtual_mailbox_base = ${p.mailBase}
virtual_mailbox_maps = texthash:${p.vmailbox}
virtual_uid_maps = static:${p.uid}
virtual_gid_maps = static:${p.gid}
virtual_minimum_uid = 1
# retry quickly: tests poke the queue and cannot wait minutes
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0h
# --- the shipped postfix/main.cf follows ---
`;
}

const BASE_MASTER_CF = (
  port: number,
): string => `# private Postfix for faxmail end-to-end tests (generated); chroot off everywhere
127.0.0.1:${port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
# --- the shipped postfix/master.cf follows ---
`;

function faxToml(f: FaxInstall, user: string, opts: PostfixInstanceOptions): string {
  return renderTestConfig(f, {
    comment: 'faxmail config for the Postfix end-to-end test (generated)',
    callfile: { owner: user, group: user },
    sections: sendfaxSections(f, {
      fax: opts.fax ?? '',
      numbers: opts.numbers ?? 'allow = ["^0[1-9][0-9]{5,13}$"]\ndeny = ["^0990"]',
      senders: opts.senders ?? 'allow = ["@example.org"]',
    }),
  });
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log file)';
  }
}

/** Build, check and start a private Postfix; rejects with the reason and log tail if it will not run. */
export async function startPostfixInstance(opts: PostfixInstanceOptions = {}): Promise<PostfixInstance> {
  if (process.getuid?.() !== 0)
    throw new Error('the Postfix end-to-end test must run as root (it starts a private Postfix and a pipe user)');
  const faxDomain = opts.faxDomain ?? SHIPPED_DOMAIN;
  if (!existsSync(binPath('sendfax'))) throw new Error(`${binPath('sendfax')} is missing: run "make build" first`);
  const user = ensureTestUser(opts.user ?? 'faxmailtest');

  const root = mkdtempSync(join(tmpdir(), 'faxmail-postfix-'));
  // mkdtemp makes 0700; the pipe user must reach its config and spool below.
  chmodSync(root, 0o755);
  const configDir = join(root, 'etc');
  const queueDir = join(root, 'queue');
  const dataDir = join(root, 'data');
  const mailBase = join(root, 'mail');
  const maillog = join(root, 'maillog');
  const faxRoot = join(root, 'fax');
  // the config sits with Postfix's in etc/; the rest of the fax installation under fax/
  const fax: FaxInstall = { ...installPaths(faxRoot), configPath: join(configDir, 'faxmail.toml') };
  for (const d of [configDir, queueDir, dataDir, mailBase, faxRoot, ...installDirs(fax)])
    mkdirSync(d, { recursive: true, mode: 0o755 });
  chownSync(dataDir, lookupId('passwd', 'postfix') ?? 0, 0);
  for (const d of [mailBase, faxRoot, ...installDirs(fax)]) chownSync(d, user.uid, user.gid);
  // The pipe user runs faxmail as an admin installed it (scripts/install.sh), never from the checkout,
  // which it may not be able to reach (a clone in /root is mode 0700).
  const installed = installFaxmail({ root: join(root, 'install'), user: user.name });
  const sendfax = installed.sendfax;

  const port = await freePort();
  const transportPath = join(configDir, 'transport.regexp');
  const vmailbox = join(configDir, 'vmailbox');
  const mailboxes = [...DEFAULT_MAILBOXES, ...(opts.mailboxes ?? [])].map((a) => a.toLowerCase());
  const shipped = {
    main: readFileSync(join(repoRoot, 'postfix', 'main.cf'), 'utf8'),
    master: readFileSync(join(repoRoot, 'postfix', 'master.cf'), 'utf8'),
    transport: readFileSync(join(repoRoot, 'postfix', 'transport.regexp'), 'utf8'),
  };
  let adapted: ReturnType<typeof adaptShippedSnippets>;
  try {
    adapted = adaptShippedSnippets(shipped, {
      faxDomain,
      transportPath,
      user: user.name,
      sendfaxArgv: [sendfax, `--config=${fax.configPath}`],
    });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  // virtual(8) refuses regexp substitutions ($1) in virtual_mailbox_maps: list each mailbox instead.
  writeFileSync(
    vmailbox,
    Object.entries(mailboxTable(mailboxes))
      .map(([addr, dir]) => `${addr}\t${dir}\n`)
      .join(''),
  );
  writeFileSync(
    join(configDir, 'main.cf'),
    baseMainCf({ root, queueDir, dataDir, mailBase, maillog, vmailbox, uid: user.uid, gid: user.gid }) +
      adapted.main +
      (opts.extraMainCf ? `\n# --- test overrides ---\n${opts.extraMainCf}\n` : ''),
  );
  writeFileSync(join(configDir, 'master.cf'), BASE_MASTER_CF(port) + adapted.master);
  writeFileSync(transportPath, adapted.transport);
  writeFileSync(fax.configPath, faxToml(fax, user.name, opts));

  const postfixCmd = async (args: string[]): Promise<{ exitCode?: number | undefined; all?: string | undefined }> => {
    const r = await execa(postfixTool('postfix'), ['-c', configDir, ...args], {
      reject: false,
      all: true,
      timeout: 60_000,
    });
    // A command that could not be started has no output: keep execa's reason (ENOENT, timeout...).
    return { exitCode: r.exitCode, all: r.all || r.shortMessage };
  };
  let running = false;
  let stopped = false;
  const stopSync = (): void => {
    if (!running) return;
    running = false;
    try {
      execFileSync(postfixTool('postfix'), ['-c', configDir, 'stop'], { stdio: 'ignore', timeout: 20_000 });
    } catch {
      /* best effort on the way out */
    }
  };
  // If the test process dies without calling stop(), do not leave a master process behind.
  const onExit = (): void => stopSync();
  const onSignal = (sig: NodeJS.Signals): void => {
    stopSync();
    process.kill(process.pid, sig);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const fail = (why: string, output?: string): Error =>
    new Error(
      `private Postfix could not be started: ${why}\n${output ? `output: ${output}\n` : ''}config: ` +
        `${configDir}\nlog tail (${maillog}):\n${tail(maillog)}\n` +
        `(postfix prints its reason only on a terminal: rerun with FAXMAIL_E2E_KEEP=1 and run "postfix -c ` +
        `${configDir} check" in a shell)`,
    );

  try {
    // The pipe user runs the installed sendfax: make sure it can, or say why not.
    const probe = await execa(sendfax, ['--version'], {
      uid: user.uid,
      gid: user.gid,
      reject: false,
      all: true,
      cwd: '/',
      timeout: 30_000,
    });
    if (probe.exitCode !== 0) throw fail(`user ${user.name} cannot run ${sendfax} (exit ${probe.exitCode})`, probe.all);
    // postfix only prints on a terminal; with maillog_file it also logs to our file.
    const check = await postfixCmd(['check']);
    if (check.exitCode !== 0)
      throw fail(
        `"postfix -c ${configDir} check" failed ` +
          `(${check.exitCode === undefined ? 'not run' : `exit ${check.exitCode}`})`,
        check.all,
      );
    // Counted as running from here: a start that fails half-way still gets a "postfix stop".
    running = true;
    const start = await postfixCmd(['start']);
    if (start.exitCode !== 0)
      throw fail(
        `"postfix -c ${configDir} start" failed ` +
          `(${start.exitCode === undefined ? 'not run' : `exit ${start.exitCode}`})`,
        start.all,
      );
    await waitUntil(() => smtpGreets(port), 20_000, `the SMTP greeting on 127.0.0.1:${port}`, 250).catch(
      (err: Error) => {
        throw fail(err.message);
      },
    );
  } catch (err) {
    stopSync();
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (!process.env['FAXMAIL_E2E_KEEP']) rmSync(root, { recursive: true, force: true });
    throw err;
  }

  const postqueue = async (args: string[]): Promise<string> => {
    const r = await execa(postfixTool('postqueue'), ['-c', configDir, ...args], { timeout: 30_000 });
    return r.stdout;
  };

  const instance: PostfixInstance = {
    root,
    configDir,
    queueDir,
    mailBase,
    maillog,
    port,
    faxDomain,
    user,
    fax,
    async submitWithSendmail(raw, env) {
      // -i: a line with a single dot is data; -- ends options so an address can never be one.
      await execa(postfixTool('sendmail'), ['-C', configDir, '-i', '-f', env.from, '--', env.to], {
        input: raw,
        timeout: 30_000,
      });
    },
    async submitWithSmtp(raw, env) {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port,
        secure: false,
        ignoreTLS: true,
        name: 'client.example.org',
        connectionTimeout: 10_000,
      });
      try {
        const info = await transport.sendMail({ envelope: { from: env.from, to: [env.to] }, raw });
        const m = /queued as ([0-9A-Za-z]+)/.exec(String(info.response));
        if (!m) throw new Error(`unexpected SMTP reply: ${String(info.response)}`);
        return m[1]!;
      } finally {
        transport.close();
      }
    },
    async flushQueue(id) {
      await postqueue(id ? ['-i', id] : ['-f']);
    },
    async queue() {
      const out = await postqueue(['-j']);
      return out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as QueueEntry);
    },
    async queueIds() {
      return (await instance.queue()).map((e) => e.queue_id);
    },
    async readMailbox(address) {
      const at = address.lastIndexOf('@');
      const local = at < 0 ? address : address.slice(0, at);
      const domain = at < 0 ? 'example.org' : address.slice(at + 1).toLowerCase();
      if (!/^[A-Za-z0-9._-]+$/.test(local) || !(MAILBOX_DOMAINS as readonly string[]).includes(domain))
        throw new Error(`no test mailbox for ${address}`);
      const out: MailboxMessage[] = [];
      for (const sub of ['new', 'cur']) {
        const dir = join(mailBase, domain, local, sub);
        if (!existsSync(dir)) continue;
        for (const name of readdirSync(dir).sort()) {
          const file = join(dir, name);
          const raw = readFileSync(file, 'utf8');
          out.push({ file, raw, parsed: await simpleParser(raw), flat: raw.replace(/\s+/g, ' ') });
        }
      }
      return out;
    },
    readLog() {
      try {
        return readFileSync(maillog, 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      if (running) {
        running = false;
        const r = await postfixCmd(['stop']);
        const pidFile = join(queueDir, 'pid', 'master.pid');
        // postfix stop signals the master; wait until it has gone before removing its queue.
        await waitUntil(
          () => {
            try {
              const pid = Number(readFileSync(pidFile, 'utf8').trim());
              process.kill(pid, 0);
              return false;
            } catch {
              return true;
            }
          },
          15_000,
          'the Postfix master to exit',
        ).catch(async () => {
          await postfixCmd(['abort']);
        });
        if (r.exitCode !== 0) process.stderr.write(`postfix stop: exit ${r.exitCode}: ${r.all ?? ''}\n`);
      }
      if (!process.env['FAXMAIL_E2E_KEEP']) rmSync(root, { recursive: true, force: true });
      else process.stderr.write(`kept the private Postfix files in ${root}\n`);
    },
  };
  return instance;
}
