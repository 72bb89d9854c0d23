/*
 * test-config.ts: the one place tests, the demo and the Postfix instance lay out a throw-away faxmail
 * installation (spool, outgoing, tmp and mail directories, a log and a config path under one root) and
 * render its faxmail.toml from a small options object. Only the sections asked for are written, so each
 * caller's config holds exactly the settings it always had. Throws what mkdirSync/mkdtempSync throw.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where one installation keeps its files (every [paths] setting, the mail directory, the config). */
export interface InstallPaths {
  spool: string;
  outgoing: string;
  tmp: string;
  mailDir: string;
  configPath: string;
  log: string;
}

export interface Install extends InstallPaths {
  root: string;
}

/** The paths of an installation under `root` (nothing is created). */
export function installPaths(root: string): Install {
  return {
    root,
    spool: join(root, 'spool'),
    outgoing: join(root, 'outgoing'),
    tmp: join(root, 'tmp'),
    mailDir: join(root, 'mail'),
    configPath: join(root, 'faxmail.toml'),
    log: join(root, 'faxmail.log'),
  };
}

/**
 * The directories an installation needs before faxmail runs in it (inbound/: Asterisk writes it, install.sh makes it).
 */
export function installDirs(p: InstallPaths): string[] {
  return [p.spool, join(p.spool, 'inbound'), p.outgoing, p.tmp, p.mailDir];
}

/** Create the directories of an installation under `root` (which may already exist). */
function makeInstall(root: string): Install {
  const install = installPaths(root);
  for (const d of installDirs(install)) mkdirSync(d, { recursive: true });
  return install;
}

/** An installation in a fresh temp dir named after `prefix`. */
export function makeTempInstall(prefix: string): Install {
  return makeInstall(mkdtempSync(join(tmpdir(), prefix)));
}

export interface ConfigOptions {
  /** a comment line (without "# ") put first */
  comment?: string;
  /** more [paths] lines after spool, outgoing, tmp and log */
  paths?: string;
  /** a [callfile] section with this owner and group and the test trunk channel; `more` lines follow */
  callfile?: { owner: string; group: string; more?: string };
  /** further sections in this order: [name, body] */
  sections?: [string, string][];
  /** TOML appended last (its sections must not repeat the ones above) */
  extra?: string;
}

/** The [mail] body that writes mails as .eml files into the installation's mail directory. */
export function directoryMail(p: InstallPaths): string {
  return `transport = "directory"\ndirectory = "${p.mailDir}"`;
}

/**
 * The [queue] of a test install without Asterisk: nothing ever ends a call there (call files stay in
 * outgoing), so every job gets a channel of its own unless a test asks for a small trunk.
 */
export const NO_ASTERISK_QUEUE = 'max_calls = 100';

/**
 * The sections sendfax needs after [callfile]: [fax], [numbers], [senders], mail into the mail directory, [notify],
 * [queue].
 */
export function sendfaxSections(
  p: InstallPaths,
  s: { fax: string; numbers: string; senders: string; queue?: string },
): [string, string][] {
  return [
    ['fax', s.fax],
    ['numbers', s.numbers],
    ['senders', s.senders],
    ['mail', directoryMail(p)],
    ['notify', 'from = "faxmail@fax.example.com"'],
    ['queue', s.queue ?? NO_ASTERISK_QUEUE],
  ];
}

/** faxmail.toml text for an installation; pure. */
export function renderTestConfig(p: InstallPaths, options: ConfigOptions = {}): string {
  const parts: string[] = [];
  if (options.comment !== undefined) parts.push(`# ${options.comment}\n`);
  parts.push(`[paths]\nspool = "${p.spool}"\noutgoing = "${p.outgoing}"\ntmp = "${p.tmp}"\nlog = "${p.log}"\n`);
  if (options.paths) parts.push(`${options.paths}\n`);
  if (options.callfile) {
    const c = options.callfile;
    parts.push(
      `\n[callfile]\nowner = "${c.owner}"\ngroup = "${c.group}"\nchannel = ` +
        `"PJSIP/{number}@trunk"\n${c.more ? `${c.more}\n` : ''}`,
    );
  }
  for (const [name, body] of options.sections ?? []) parts.push(`\n[${name}]\n${body}\n`);
  if (options.extra) parts.push(`${options.extra}\n`);
  return parts.join('');
}
