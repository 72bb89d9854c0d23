/*
 * docs.ts: the configuration's documentation, generated from SCHEMA. Pure.
 *   renderExampleToml()  faxmail.example.toml: every key with its comment and default
 *   renderKeyTables()    the README's "Every key" tables
 *   renderSettings()     `faxmail config` output: section.key = value lines (all, or only those set)
 * faxmail.toml(5) is built from the same entries (lib/cli/man.ts).
 */
import { stringify } from 'smol-toml';
import { REMOVED, SCHEMA_ENTRIES, type Config } from './schema.js';

/** A TOML value on one line (arrays and tables inline). */
export function tomlValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) return '{}';
  if (typeof v === 'object' && v !== null)
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x)}`)
      .join(', ')} }`;
  if (typeof v === 'string') return stringify({ v }).trim().slice(4);
  return String(v);
}

function tomlKey(k: string): string {
  // Numbers are quoted so a reader copies them as strings (leading zeros survive).
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k);
}

export function renderExampleToml(): string {
  const lines: string[] = [
    '# faxmail configuration (TOML). Default location /etc/faxmail/faxmail.toml;',
    '# choose another with --config FILE or the FAXMAIL_CONFIG environment variable.',
    '# Every key is optional and shown with its default. Phone numbers are strings: keep the quotes.',
    '# Generated from lib/config/schema.ts (make docs); `faxmail check-config` checks a file, `faxmail ' +
      'config` prints what is in force.',
    '',
  ];
  for (const [section, keys] of SCHEMA_ENTRIES) {
    lines.push(`[${section}]`);
    for (const [key, spec] of keys) {
      lines.push(`# ${spec.doc}`);
      lines.push(`${key} = ${tomlValue(spec.default)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

const KEY_TABLES_START =
  '<!-- config-keys: generated from lib/config/schema.ts by `make docs`; do not edit by hand -->';
const KEY_TABLES_END = '<!-- end of config-keys -->';

function renderKeyTables(): string {
  const out: string[] = [KEY_TABLES_START, ''];
  for (const [section, keys] of SCHEMA_ENTRIES) {
    out.push(`**[${section}]**`, '', '| key | type | default | meaning |', '|---|---|---|---|');
    for (const [key, spec] of keys) {
      let d = tomlValue(spec.default);
      if (d.length > 40) d = `${d.slice(0, 37)}...`;
      out.push(`| \`${key}\` | ${cell(spec.type)} | \`${cell(d)}\` | ${cell(spec.doc)} |`);
    }
    out.push('');
  }
  out.push('Removed keys (setting one is an error that says what to do instead):', '');
  for (const [key, why] of Object.entries(REMOVED)) out.push(`- \`${key}\`: ${why}.`);
  out.push('', KEY_TABLES_END);
  return out.join('\n');
}

/** Replace the generated block in `readme`; throws if the markers are missing. */
export function replaceKeyTables(readme: string): string {
  const a = readme.indexOf(KEY_TABLES_START);
  const b = readme.indexOf(KEY_TABLES_END);
  if (a < 0 || b < a) throw new Error('README.md has no config-keys markers');
  return readme.slice(0, a) + renderKeyTables() + readme.slice(b + KEY_TABLES_END.length);
}

/** `faxmail config`: one `section.key = value` line per key (only the explicit ones with `onlySet`). */
export function renderSettings(
  config: Readonly<Config>,
  explicit: ReadonlySet<string>,
  options: { onlySet?: boolean; keys?: readonly string[] } = {},
): string[] {
  const lines: string[] = [];
  const wanted = options.keys && options.keys.length > 0 ? new Set(options.keys) : undefined;
  for (const [section, keys] of SCHEMA_ENTRIES) {
    for (const [key, spec] of keys) {
      const name = `${section}.${key}`;
      if (wanted && !wanted.has(name) && !wanted.has(section)) continue;
      if (options.onlySet && !explicit.has(name)) continue;
      const value = (config as unknown as Record<string, Record<string, unknown>>)[section]![key];
      lines.push(`${name} = ${spec.secret && value !== '' ? '"********"' : tomlValue(value)}`);
    }
  }
  return lines;
}

/** The same as JSON-ready data, secrets masked. */
export function settingsObject(
  config: Readonly<Config>,
  explicit: ReadonlySet<string>,
  options: { onlySet?: boolean } = {},
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, keys] of SCHEMA_ENTRIES) {
    for (const [key, spec] of keys) {
      if (options.onlySet && !explicit.has(`${section}.${key}`)) continue;
      const value = (config as unknown as Record<string, Record<string, unknown>>)[section]![key];
      out[section] ??= {};
      out[section][key] = spec.secret && value !== '' ? '********' : value;
    }
  }
  return out;
}
