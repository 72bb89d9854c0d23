/*
 * load.ts: read the TOML configuration once, check all of it against SCHEMA, and return a frozen Config.
 * Every problem is collected, not just the first: the error lists each one as `file:line:column: key: what`
 * (positions come from lib/config/locate.ts, only when there is something to report).
 * Two depths: the default (sendfax and faxmail-notify at every run: types, patterns, addresses, cross-key
 * rules, directories present) and `system` (the admin's commands and doctor: also users and groups
 * resolved, and the directories writable by the user that owns the spool).
 * TOML because phone numbers keep their leading zeros and admins can comment their settings.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { FaxError } from '../errors.js';
import { lookupGroup, lookupUser, type Account } from '../accounts.js';
import { REMOVED, SCHEMA_ENTRIES, type Config } from './schema.js';
import { isTable, describe, type SubPath, type CheckContext } from './spec.js';
import { findPosition, locateKeys } from './locate.js';
import { countryPlan } from '../policy/countries.js';
import { buildCallFile, renderCallFile } from '../asterisk/callfile.js';

const DEFAULT_CONFIG_PATH = '/etc/faxmail/faxmail.toml';

/** Which file to read: --config wins, then FAXMAIL_CONFIG, then the default path. */
export function chooseConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag && flag.length > 0) return flag;
  const fromEnv = env['FAXMAIL_CONFIG'];
  if (fromEnv && fromEnv.length > 0) return fromEnv;
  return DEFAULT_CONFIG_PATH;
}

export interface ConfigProblem {
  /** dotted key, e.g. senders.allow[2] */
  key: string;
  message: string;
  line?: number;
  column?: number;
}

/** A configuration that cannot be used: every problem found, each with its position. */
export class ConfigError extends FaxError {
  readonly problems: readonly ConfigProblem[];
  constructor(source: string, problems: ConfigProblem[]) {
    super('config', formatProblems(source, problems));
    this.problems = problems;
  }
}

/** `file:line:column: key: message`, one line per problem. Pure. */
function formatProblems(source: string, problems: readonly ConfigProblem[]): string {
  const head =
    problems.length === 1
      ? `The configuration ${source || '(built-in)'} has a problem:`
      : `The configuration ${source || '(built-in)'} has ${problems.length} problems:`;
  return [
    head,
    ...problems.map((p) => `${source || 'config'}:${p.line ?? 1}:${p.column ?? 1}: ${p.key}: ${p.message}`),
  ].join('\n');
}

export interface LoadOptions {
  /** check that directories and programs exist (default true) */
  checkPaths?: boolean;
  /** also resolve users and groups and check permissions for the spool owner (admin commands, doctor) */
  system?: boolean;
}

export interface LoadedConfig {
  config: Readonly<Config>;
  /** dotted keys set in the file (for `faxmail config -n`) */
  explicit: ReadonlySet<string>;
}

/** Read, parse and check a config file. */
export function loadConfig(file: string, options: LoadOptions = {}): Readonly<Config> {
  return loadConfigDetailed(file, options).config;
}

export function loadConfigDetailed(file: string, options: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const fix =
      code === 'ENOENT'
        ? ' Create it from faxmail.example.toml, or name another file with --config or FAXMAIL_CONFIG.'
        : code === 'EACCES'
          ? ' Make it readable by the Asterisk user (chgrp asterisk; chmod 640).'
          : '';
    throw new FaxError('config', `The configuration file ${file} cannot be read (${code}).${fix}`, { cause: err });
  }
  return parseConfigDetailed(text, file, options);
}

/** Parse and check TOML text; `source` names it in messages. */
export function parseConfig(text: string, source: string, options: LoadOptions = {}): Readonly<Config> {
  return parseConfigDetailed(text, source, options).config;
}

export function parseConfigDetailed(text: string, source: string, options: LoadOptions = {}): LoadedConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const first =
      err instanceof Error ? (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '') : String(err);
    const problem: ConfigProblem = { key: '(syntax)', message: `not valid TOML: ${first}` };
    if (err instanceof TomlError) {
      problem.line = err.line;
      problem.column = err.column;
    }
    throw new ConfigError(source, [problem]);
  }
  return checkDocument(doc, text, source, options);
}

interface RawProblem {
  path: (string | number)[];
  message: string;
}

function checkDocument(doc: Record<string, unknown>, text: string, source: string, options: LoadOptions): LoadedConfig {
  const checkPaths = options.checkPaths ?? true;
  const raw: RawProblem[] = [];
  const explicit = new Set<string>();
  const out: Record<string, unknown> = { source };
  const sections = new Map(SCHEMA_ENTRIES.map(([s, keys]) => [s, new Map(keys)]));

  for (const [section, value] of Object.entries(doc)) {
    if (!sections.has(section)) {
      raw.push({
        path: [section],
        message:
          REMOVED[section] ?? `is not a section of the configuration (sections: ${[...sections.keys()].join(', ')})`,
      });
    } else if (!isTable(value)) {
      raw.push({ path: [section], message: `must be a table ([${section}]), not ${describe(value)}` });
    }
  }
  for (const [section, keys] of sections) {
    const given = isTable(doc[section]) ? (doc[section] as Record<string, unknown>) : {};
    for (const key of Object.keys(given)) {
      if (keys.has(key)) continue;
      const removed = REMOVED[`${section}.${key}`];
      raw.push({
        path: [section, key],
        message: removed
          ? `was removed: ${removed}`
          : `is not a setting of [${section}]${nearest(key, [...keys.keys()])}`,
      });
    }
    const values: Record<string, unknown> = {};
    for (const [key, spec] of keys) {
      const isSet = key in given;
      if (isSet) explicit.add(`${section}.${key}`);
      const ctx: CheckContext = {
        explicit: isSet,
        checkPaths,
        report: (message: string, at: SubPath = []) => raw.push({ path: [section, key, ...at], message }),
      };
      const v = spec.check(isSet ? given[key] : structuredClone(spec.default), ctx);
      values[key] = v === undefined ? structuredClone(spec.default) : v;
    }
    out[section] = values;
  }
  const config = out as unknown as Config;
  if (!raw.some((p) => p.path[0] === 'numbers' && p.path[1] === 'country')) applyCountryPlan(config, explicit);
  // Rules between keys, and the system checks, skip keys that already have a problem (their value is then
  // the default, and a rule about it would only confuse); everything else is still checked.
  const bad = new Set(raw.map((p) => String(p.path[0]) + (p.path.length > 1 ? `.${String(p.path[1])}` : '')));
  const fine = (...keys: string[]) =>
    keys.every((k) =>
      k.includes('.')
        ? !bad.has(k) && !bad.has(k.split('.')[0]!)
        : ![...bad].some((b) => b === k || b.startsWith(`${k}.`)),
    );
  crossChecks(config, raw, checkPaths, fine);
  if (options.system) systemChecks(config, raw, fine);
  if (raw.length > 0) {
    const positions = locateKeys(text);
    const problems = raw.map((p) => {
      const at = findPosition(positions, p.path);
      return { key: dotted(p.path), message: p.message, ...(at ?? {}) };
    });
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new ConfigError(source, problems);
  }
  return { config: deepFreeze(config), explicit };
}

/**
 * numbers.country: the country's dial rules, allow and deny patterns replace the generic defaults of the
 * keys the admin did not set (a key set in the file always wins, whole).
 */
function applyCountryPlan(config: Config, explicit: ReadonlySet<string>): void {
  const plan = countryPlan(config.numbers.country);
  if (!plan) return;
  // Still being built here (frozen on return).
  const numbers = config.numbers as { -readonly [K in keyof Config['numbers']]: Config['numbers'][K] };
  if (!explicit.has('numbers.rewrite')) numbers.rewrite = plan.rewrite.map((r) => ({ ...r }));
  if (!explicit.has('numbers.allow')) numbers.allow = [...plan.allow];
  if (!explicit.has('numbers.deny')) numbers.deny = plan.deny.map((d) => d.pattern);
}

/** senders.allow[2], retry.busy.after, inbound.recipients."0312345678"[0] */
export function dotted(path: readonly (string | number)[]): string {
  return path
    .map((p, i) =>
      typeof p === 'number' ? `[${p}]` : i === 0 ? p : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(p) ? `.${p}` : `."${p}"`,
    )
    .join('');
}

/** " (did you mean x?)" for a near miss among `known`. */
function nearest(key: string, known: string[]): string {
  const close = known.find((k) => distance(k, key) <= 2);
  return close ? ` (did you mean ${close}?)` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
}

/** Rules that involve more than one key. */
function crossChecks(
  config: Config,
  raw: RawProblem[],
  checkPaths: boolean,
  fine: (...keys: string[]) => boolean,
): void {
  if (fine('numbers.min_digits', 'numbers.max_digits') && config.numbers.min_digits > config.numbers.max_digits) {
    raw.push({
      path: ['numbers', 'min_digits'],
      message: `(${config.numbers.min_digits}) is larger than numbers.max_digits (${config.numbers.max_digits})`,
    });
  }
  if (fine('fax.convert_timeout', 'fax.time_limit') && config.fax.convert_timeout >= config.fax.time_limit) {
    // Else a document too costly to convert would run into the deadline first and be deferred (75) again
    // and again, instead of bounced (65) at once.
    raw.push({
      path: ['fax', 'convert_timeout'],
      message:
        `(${config.fax.convert_timeout} CPU seconds) must be below fax.time_limit ` +
        `(${config.fax.time_limit} seconds)`,
    });
  }
  if (
    fine('mail.transport', 'mail.directory') &&
    config.mail.transport === 'directory' &&
    config.mail.directory === ''
  ) {
    raw.push({ path: ['mail', 'directory'], message: 'is required when mail.transport = "directory"' });
  }
  if (fine('mail.smtp_secure', 'mail.smtp_starttls') && config.mail.smtp_secure && config.mail.smtp_starttls) {
    raw.push({
      path: ['mail', 'smtp_starttls'],
      message: 'cannot be combined with mail.smtp_secure (TLS from the start); set one of them',
    });
  }
  // A sample call file now, so a bad channel template fails at load, not after a conversion.
  if (fine('callfile', 'paths.spool'))
    try {
      const sample = buildCallFile(config.callfile, {
        id: '20000101-000000-000000000000',
        number: '+12345678901234567890',
        tiffPath: `${config.paths.spool}/jobs/20000101-000000-000000000000/fax.tif`.replace(/[^A-Za-z0-9_./+-]/g, '_'),
        attempt: 99,
      });
      renderCallFile(sample);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const key = /callfile\.([a-z_]+)/.exec(msg)?.[1] ?? 'channel';
      raw.push({ path: ['callfile', key], message: `cannot make a valid call file: ${msg}` });
    }
  if (checkPaths && fine('paths.tmp', 'paths.outgoing')) {
    // Call files are renamed from tmp into outgoing: rename(2) only works within one filesystem.
    try {
      if (statSync(config.paths.tmp).dev !== statSync(config.paths.outgoing).dev) {
        raw.push({
          path: ['paths', 'tmp'],
          message: `${config.paths.tmp} must be on the same filesystem as paths.outgoing (${config.paths.outgoing})`,
        });
      }
    } catch {
      // a missing directory was reported already
    }
  }
}

/** Can `account` create files in directory `dir` (write and search)? By the mode bits. */
export function canWrite(account: Pick<Account, 'uid' | 'groups'>, dir: string): boolean | undefined {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return undefined;
  }
  if (account.uid === 0) return true;
  const bits =
    st.uid === account.uid ? (st.mode >> 6) & 7 : account.groups.includes(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & 3) === 3;
}

/** The spool subdirectories Asterisk writes into (lib/spool/jobs.ts spoolPaths().inbound). */
const ASTERISK_WRITES = ['inbound'] as const;

/** Users, groups and permissions: what only an admin's check can afford. */
function systemChecks(config: Config, raw: RawProblem[], fine: (...keys: string[]) => boolean): void {
  if (!fine('callfile.owner', 'callfile.group')) return;
  const owner = lookupUser(config.callfile.owner);
  if (!owner)
    raw.push({
      path: ['callfile', 'owner'],
      message: `there is no user "${config.callfile.owner}" on this machine (getent passwd ${config.callfile.owner})`,
    });
  if (lookupGroup(config.callfile.group) === undefined)
    raw.push({
      path: ['callfile', 'group'],
      message: `there is no group "${config.callfile.group}" on this machine (getent group ${config.callfile.group})`,
    });
  if (fine('send.group') && config.send.group !== '' && lookupGroup(config.send.group) === undefined)
    raw.push({
      path: ['send', 'group'],
      message:
        `there is no group "${config.send.group}" on this machine: groupadd ${config.send.group}, and ` +
        `add the people who may fax from the shell (adduser NAME ${config.send.group})`,
    });
  // Not at run time: there a missing sendmail only queues mail in the outbox, which must keep working.
  if (fine('mail.transport', 'paths.sendmail') && config.mail.transport === 'sendmail') {
    try {
      statSync(config.paths.sendmail);
    } catch {
      raw.push({
        path: ['paths', 'sendmail'],
        message:
          `${config.paths.sendmail} does not exist, and mail.transport = "sendmail" needs it (install ` +
          `Postfix, or set mail.transport = "smtp")`,
      });
    }
  }
  if (!owner) return;
  const dirs: [string, string][] = [
    ['spool', config.paths.spool],
    ['tmp', config.paths.tmp],
    ['outgoing', config.paths.outgoing],
  ];
  if (config.paths.log !== '-') dirs.push(['log', dirname(config.paths.log)]);
  for (const [key, dir] of dirs) {
    if (!fine(`paths.${key}`)) continue;
    const ok = canWrite(owner, dir);
    if (ok === false)
      raw.push({
        path: ['paths', key],
        message:
          `${dir} is not writable by ${owner.name} (callfile.owner), who runs sendfax and ` +
          `faxmail-notify: chown ${owner.name} ${dir}`,
      });
    if (ok === undefined && key === 'log')
      raw.push({
        path: ['paths', key],
        message: `${dir} does not exist: mkdir -p ${dir} && chown ${owner.name} ${dir}`,
      });
  }
  // The spool's inbound/, which Asterisk's ReceiveFAX writes (scripts/install.sh makes it; faxmail makes
  // its other subdirectories itself): without it received faxes are lost, and nobody is told.
  if (fine('paths.spool') && canWrite(owner, config.paths.spool) !== undefined) {
    for (const sub of ASTERISK_WRITES) {
      const dir = join(config.paths.spool, sub);
      const ok = canWrite(owner, dir);
      if (ok === undefined)
        raw.push({
          path: ['paths', 'spool'],
          message:
            `${dir} does not exist: run make install (scripts/install.sh) again, or mkdir -p ${dir} && ` +
            `chown ${owner.name} ${dir}`,
        });
      else if (!ok)
        raw.push({
          path: ['paths', 'spool'],
          message: `${dir} is not writable by ${owner.name} (callfile.owner): chown ${owner.name} ${dir}`,
        });
    }
  }
  if (fine('paths.spool'))
    try {
      const st = statSync(config.paths.spool);
      if (st.uid !== owner.uid) {
        raw.push({
          path: ['paths', 'spool'],
          message:
            `${config.paths.spool} is owned by uid ${st.uid}, not by ${owner.name} (callfile.owner): ` +
            `chown -R ${owner.name} ${config.paths.spool}`,
        });
      }
    } catch {
      // reported above
    }
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
