/*
 * installed.ts: faxmail installed by scripts/install.sh (what `make install` runs) into a temp root, for
 * tests that run faxmail as another user (Postfix's pipe user, the Asterisk user, nobody). Those users
 * cannot be expected to reach the checkout (a clone in /root is mode 0700), so they run the installed copy,
 * the same wrappers an admin gets. The root and every directory on the way are mode 0755.
 * installFaxmail() runs the script (about 6 s: npm ci of the production modules); installedProgram()
 * does it once per test process, for tests that only need the programs. Throws with the script's output
 * when the install fails.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** Where an install put things (the env overrides install.sh honours). */
export interface InstalledFaxmail {
  root: string;
  prefix: string;
  bindir: string;
  libexecdir: string;
  etcdir: string;
  spool: string;
  outgoing: string;
  asteriskTmp: string;
  logdir: string;
  /** $ETCDIR/faxmail.toml (written by install.sh from faxmail.example.toml; tests usually replace it) */
  configPath: string;
  /** packaging extras: $MANDIR, $COMPLETIONDIR, $LOGROTATEDIR (never the system's in a test) */
  mandir: string;
  completiondir: string;
  logrotatedir: string;
  /** the queue timer: $SYSTEMD_DIR (units and timer) and $CRON_DIR (never the system's in a test) */
  systemdDir: string;
  cronDir: string;
  /** $SUDOERSDIR: the sudo rule of `faxmail send` goes here (made by installFaxmail, never the system's) */
  sudoersdir: string;
  /** $LIBEXECDIR/faxmail-submit, which sudo runs for `faxmail send` of a member of send.group */
  faxmailSubmit: string;
  /** the wrappers: $LIBEXECDIR/sendfax, $LIBEXECDIR/faxmail-notify, $BINDIR/faxmail */
  sendfax: string;
  faxmailNotify: string;
  faxmail: string;
}

export interface InstallOptions {
  /** the directory to install under (created, mode 0755); default: a new temp dir */
  root?: string;
  /** ASTERISK_USER: owner of the spool, outgoing, tmp and log dirs (must exist) */
  user: string;
  /** layout inside the root: where Asterisk's outgoing dir and the call-file tmp dir go */
  outgoing?: string;
  asteriskTmp?: string;
  /** TIMER for install.sh (default systemd: the unit files land in the root's systemd/) */
  timer?: 'systemd' | 'cron' | 'none';
}

/** The paths an install under `root` uses (nothing is created). */
function installLayout(root: string, options: { outgoing?: string; asteriskTmp?: string } = {}): InstalledFaxmail {
  const libexecdir = join(root, 'libexec', 'faxmail');
  const bindir = join(root, 'bin');
  const etcdir = join(root, 'etc', 'faxmail');
  return {
    root,
    prefix: join(root, 'opt', 'faxmail'),
    bindir,
    libexecdir,
    etcdir,
    spool: join(root, 'spool', 'faxmail'),
    outgoing: options.outgoing ?? join(root, 'spool', 'asterisk', 'outgoing'),
    asteriskTmp: options.asteriskTmp ?? join(root, 'spool', 'asterisk', 'faxmail-tmp'),
    logdir: join(root, 'log', 'faxmail'),
    configPath: join(etcdir, 'faxmail.toml'),
    mandir: join(root, 'man'),
    completiondir: join(root, 'completion'),
    logrotatedir: join(root, 'logrotate.d'),
    systemdDir: join(root, 'systemd'),
    cronDir: join(root, 'cron.d'),
    sudoersdir: join(root, 'sudoers.d'),
    faxmailSubmit: join(libexecdir, 'faxmail-submit'),
    sendfax: join(libexecdir, 'sendfax'),
    faxmailNotify: join(libexecdir, 'faxmail-notify'),
    faxmail: join(bindir, 'faxmail'),
  };
}

/** Run scripts/install.sh into a temp root (as root). */
export function installFaxmail(options: InstallOptions): InstalledFaxmail {
  const root = options.root ?? mkdtempSync(join(tmpdir(), 'faxmail-installed-'));
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755);
  const layout = installLayout(root, options);
  mkdirSync(layout.sudoersdir, { recursive: true });
  try {
    execFileSync('bash', [join(repoRoot, 'scripts', 'install.sh')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PREFIX: layout.prefix,
        BINDIR: layout.bindir,
        LIBEXECDIR: layout.libexecdir,
        ETCDIR: layout.etcdir,
        SPOOL: layout.spool,
        OUTGOING: layout.outgoing,
        ASTERISK_TMP: layout.asteriskTmp,
        LOGDIR: layout.logdir,
        ASTERISK_USER: options.user,
        NODE: process.execPath,
        MANDIR: layout.mandir,
        COMPLETIONDIR: layout.completiondir,
        LOGROTATEDIR: layout.logrotatedir,
        // The units go into the root; install.sh enables them only in /etc/systemd/system.
        SYSTEMD_DIR: layout.systemdDir,
        CRON_DIR: layout.cronDir,
        TIMER: options.timer ?? 'systemd',
        // Never the machine's /etc/sudoers.d: the rule goes into the temp root (test/cli/send-group.test.ts
        // bind-mounts it over /etc/sudoers.d in a private mount namespace).
        SUDOERSDIR: layout.sudoersdir,
      },
      stdio: 'pipe',
      timeout: 300_000,
    });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(
      `scripts/install.sh failed: ${e.message}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`,
    );
  }
  // Every directory on the way to the programs must be searchable by the other user.
  for (const d of [join(root, 'libexec'), join(root, 'opt'), join(root, 'etc'), join(root, 'spool'), join(root, 'log')])
    chmodSync(d, 0o755);
  return layout;
}

let shared: InstalledFaxmail | undefined;

/** One install per test process (spool owned by root), for running the programs as another user. */
export function installedProgram(): InstalledFaxmail {
  if (!shared) {
    shared = installFaxmail({ user: 'root' });
    const root = shared.root;
    process.once('exit', () => {
      if (!process.env['FAXMAIL_E2E_KEEP']) rmSync(root, { recursive: true, force: true });
    });
  }
  return shared;
}
