/*
 * gen-example-config.ts: prints a faxmail.example.toml from lib/config/schema.ts, every key with its
 * comment and default. `make example-config` rewrites the shipped file; a test checks it stays complete.
 */
import { SCHEMA } from '../lib/config/schema.js';
import { stringify } from 'smol-toml';

const lines: string[] = [
  '# faxmail configuration (TOML). Default location /etc/faxmail/faxmail.toml;',
  '# choose another with --config FILE or the FAXMAIL_CONFIG environment variable.',
  '# Every key is optional and shown with its default. Phone numbers are strings: keep the quotes.',
  '',
];
for (const [section, keys] of Object.entries(SCHEMA)) {
  lines.push(`[${section}]`);
  for (const [key, spec] of Object.entries(keys)) {
    lines.push(`# ${spec.doc}`);
    const value = stringify({ [key]: spec.default }).trim();
    const flat = value.includes('\n') || value.startsWith('[') ? inline(key, spec.default) : value;
    lines.push(flat);
  }
  lines.push('');
}
process.stdout.write(lines.join('\n'));

function inline(key: string, v: unknown): string {
  return `${key} = ${toInline(v)}`;
}
function toInline(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(toInline).join(', ')}]`;
  if (typeof v === 'object' && v !== null) return `{ ${Object.entries(v).map(([k, x]) => `${k} = ${toInline(x)}`).join(', ')} }`;
  return JSON.stringify(v);
}
