/*
 * load.ts: read the TOML configuration once, check it against SCHEMA, and return a frozen Config.
 * Inputs: a file path (or none for built-in defaults). Fails with FaxError('config') naming the key.
 * TOML because phone numbers keep their leading zeros and admins can comment their settings.
 */
import { readFileSync, statSync, accessSync, constants } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { FaxError } from '../errors.js';
import { SCHEMA, type Config, type KeySpec } from './schema.js';
import { isMailbox } from '../policy/sender.js';
import { buildCallFile, renderCallFile } from '../asterisk/callfile.js';

export const DEFAULT_CONFIG_PATH = '/etc/faxmail/faxmail.toml';

/** Which file to read: --config wins, then FAXMAIL_CONFIG, then the default path. */
export function chooseConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag && flag.length > 0) return flag;
  const fromEnv = env['FAXMAIL_CONFIG'];
  if (fromEnv && fromEnv.length > 0) return fromEnv;
  return DEFAULT_CONFIG_PATH;
}

/** Read, parse and validate a config file. */
export function loadConfig(file: string): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new FaxError('config', `The configuration file ${file} cannot be read (${code}).`, { cause: err });
  }
  return parseConfig(text, file);
}

/** Parse and validate TOML text; `source` names it in messages. */
export function parseConfig(text: string, source: string, options: { checkPaths?: boolean } = {}): Readonly<Config> {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new FaxError('config', `The configuration file ${source} is not valid TOML: ${msg}`, { cause: err });
  }
  return validateConfig(doc, source, options);
}

/** Check a parsed document against SCHEMA and fill in defaults. */
export function validateConfig(doc: Record<string, unknown>, source: string, options: { checkPaths?: boolean } = {}): Readonly<Config> {
  const checkPaths = options.checkPaths ?? true;
  const where = source ? ` in ${source}` : '';
  const out: Record<string, unknown> = { source };
  for (const key of Object.keys(doc)) {
    if (!(key in SCHEMA)) throw new FaxError('config', `Unknown setting "${key}"${where}.`);
    if (!isTable(doc[key])) throw new FaxError('config', `Setting "${key}"${where} must be a table ([${key}]).`);
  }
  for (const [section, keys] of Object.entries(SCHEMA)) {
    const given = (doc[section] ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(given)) {
      if (!(key in keys)) throw new FaxError('config', `Unknown setting "${section}.${key}"${where}.`);
    }
    const values: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(keys)) {
      const name = `${section}.${key}`;
      const explicit = key in given;
      values[key] = checkValue(name, explicit ? given[key] : structuredClone(spec.default), spec, explicit, checkPaths, where);
    }
    out[section] = values;
  }
  const config = out as unknown as Config;
  if (checkPaths) checkSameFilesystem(config, where);
  if (config.numbers.min_digits > config.numbers.max_digits) {
    throw new FaxError('config', `Setting "numbers.min_digits"${where} is larger than "numbers.max_digits".`);
  }
  if (config.mail.transport === 'directory' && config.mail.directory === '') {
    throw new FaxError('config', `Setting "mail.directory"${where} is required when mail.transport = "directory".`);
  }
  checkCallFileSettings(config, where);
  return deepFreeze(config);
}

/** Render a sample call file now, so a bad channel template fails at load, not after a conversion. */
function checkCallFileSettings(config: Config, where: string): void {
  try {
    const sample = buildCallFile(config.callfile, { id: '20000101-000000-000000000000', number: '+12345678901234567890', tiffPath: `${config.paths.spool}/jobs/20000101-000000-000000000000/fax.tif`.replace(/[^A-Za-z0-9_./+-]/g, '_'), attempt: 99 });
    renderCallFile(sample);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new FaxError('config', `The [callfile] settings${where} cannot make a valid call file: ${msg}`, { cause: err });
  }
}

function checkValue(name: string, value: unknown, spec: KeySpec, explicit: boolean, checkPaths: boolean, where: string): unknown {
  const bad = (expected: string): never => {
    throw new FaxError('config', `Setting "${name}"${where} must be ${expected}, not ${describe(value)}.`);
  };
  const t = spec.type;
  switch (t.kind) {
    case 'string':
      if (typeof value !== 'string') bad('a string');
      if (/[\r\n\0]/.test(value as string)) bad('a single line');
      return value;
    case 'path': {
      if (typeof value !== 'string') bad('a path (string)');
      const p = value as string;
      if (/[\r\n\0]/.test(p)) bad('a single-line path');
      if (p === '') {
        if (t.optional) return '';
        bad('a non-empty path');
      }
      if (p !== '-' && !p.startsWith('/')) bad('an absolute path');
      if (!checkPaths || !t.mustExist || p === '-') return p;
      const problem = pathProblem(p, t.mustExist);
      if (problem === undefined) return p;
      // An optional tool that is simply not installed switches its feature off, unless the admin named it.
      if (t.optional && !explicit) return '';
      throw new FaxError('config', `Setting "${name}"${where}: ${p} ${problem}.`);
    }
    case 'int':
      if (typeof value === 'bigint') value = Number(value);
      if (typeof value !== 'number' || !Number.isInteger(value)) bad('a whole number');
      if ((value as number) < t.min || (value as number) > t.max) bad(`between ${t.min} and ${t.max}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') bad('true or false');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !t.values.includes(value)) bad(`one of ${t.values.map((v) => `"${v}"`).join(', ')}`);
      return value;
    case 'strings':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && !/[\r\n\0]/.test(v))) bad('a list of strings');
      return value;
    case 'address':
      if (typeof value !== 'string' || (value !== '' && !isMailbox(value, { local: true }))) bad('a mail address like user@example.com or root@localhost (or empty)');
      return value;
    case 'addresses':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && isMailbox(v, { local: true }))) bad('a list of mail addresses like user@example.com');
      return value;
    case 'regexes':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) bad('a list of patterns (strings)');
      for (const re of value as string[]) compileRegex(name, re, where);
      return value;
    case 'rewrites': {
      if (!Array.isArray(value)) bad('a list of { match = "...", replace = "..." } tables');
      return (value as unknown[]).map((rule, i) => {
        if (!isTable(rule)) bad('a list of { match = "...", replace = "..." } tables');
        const r = rule as Record<string, unknown>;
        for (const k of Object.keys(r)) if (k !== 'match' && k !== 'replace') throw new FaxError('config', `Unknown setting "${name}[${i}].${k}"${where}.`);
        if (typeof r['match'] !== 'string' || typeof r['replace'] !== 'string') {
          throw new FaxError('config', `Setting "${name}[${i}]"${where} needs match and replace strings.`);
        }
        compileRegex(`${name}[${i}].match`, r['match'], where);
        return { match: r['match'], replace: r['replace'] };
      });
    }
    case 'retry': {
      if (!isTable(value)) bad('a table { after = SECONDS, max_attempts = N }');
      const r = value as Record<string, unknown>;
      const dflt = spec.default as { after: number; max_attempts: number };
      for (const k of Object.keys(r)) if (k !== 'after' && k !== 'max_attempts') throw new FaxError('config', `Unknown setting "${name}.${k}"${where}.`);
      const after = checkValue(`${name}.after`, r['after'] ?? dflt.after, { type: { kind: 'int', min: 0, max: 7 * 86400 }, default: 0, doc: '' }, true, checkPaths, where);
      const max = checkValue(`${name}.max_attempts`, r['max_attempts'] ?? dflt.max_attempts, { type: { kind: 'int', min: 1, max: 100 }, default: 1, doc: '' }, true, checkPaths, where);
      return { after, max_attempts: max };
    }
    case 'recipients': {
      if (!isTable(value)) bad('a table of "number" = ["address", ...]');
      const r = value as Record<string, unknown>;
      for (const [did, list] of Object.entries(r)) {
        if (!/^\+?[0-9]{1,32}$/.test(did)) throw new FaxError('config', `Setting "${name}"${where}: "${did}" is not a dialled number (digits only).`);
        if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === 'string' && isMailbox(a, { local: true }))) {
          throw new FaxError('config', `Setting "${name}.${did}"${where} must be a non-empty list of mail addresses.`);
        }
      }
      return value;
    }
  }
}

function compileRegex(name: string, re: string, where: string): RegExp {
  try {
    return new RegExp(re);
  } catch (err) {
    throw new FaxError('config', `Setting "${name}"${where}: ${JSON.stringify(re)} is not a valid regular expression.`, { cause: err });
  }
}

function pathProblem(p: string, kind: 'dir' | 'file' | 'exe'): string | undefined {
  try {
    const st = statSync(p);
    if (kind === 'dir' && !st.isDirectory()) return 'is not a directory';
    if (kind !== 'dir' && !st.isFile()) return 'is not a file';
    if (kind === 'exe') accessSync(p, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return kind === 'dir' ? 'is not an existing directory' : 'does not exist';
    if (code === 'EACCES') return kind === 'exe' ? 'is not executable' : 'is not accessible';
    return `cannot be checked (${code ?? 'error'})`;
  }
}

/** Call files are renamed from tmp into outgoing: rename(2) only works within one filesystem. */
function checkSameFilesystem(config: Config, where: string): void {
  const a = statSync(config.paths.tmp);
  const b = statSync(config.paths.outgoing);
  if (a.dev !== b.dev) {
    throw new FaxError('config', `Setting "paths.tmp"${where}: ${config.paths.tmp} must be on the same filesystem as paths.outgoing (${config.paths.outgoing}).`);
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null || v === undefined) return 'nothing';
  if (isTable(v)) return 'a table';
  return `${typeof v} ${JSON.stringify(v)}`.slice(0, 80);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
