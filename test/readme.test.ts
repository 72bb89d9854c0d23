/* The README's copy-paste snippets are checked against the real files and parsers. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot, binPath } from './helpers/paths.js';
import { parseConfig } from '../lib/config/load.js';
import { SCHEMA } from '../lib/config/schema.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

function blocks(lang: string): string[] {
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  return [...readme.matchAll(re)].map((m) => m[1]!);
}

test('the README names make demo and make test', () => {
  assert.match(readme, 'make demo');
  assert.match(readme, 'make test');
});

test('every TOML example in the README is a valid configuration', () => {
  const tomls = blocks('toml');
  assert.ok(tomls.length >= 1);
  for (const t of tomls) {
    const c = parseConfig(t, 'README.md', { checkPaths: false });
    assert.ok(c.paths.spool.startsWith('/'));
  }
  const c = parseConfig(tomls[0]!, 'README.md', { checkPaths: false });
  assert.equal(c.inbound.recipients['0312345679'], ['sales@yourcompany.jp', 'boss@yourcompany.jp']);
  assert.equal(c.numbers.rewrite, [{ match: '^\\+81', replace: '0' }]);
});

test('every configuration key is documented in the README', () => {
  for (const [section, keys] of Object.entries(SCHEMA)) {
    assert.ok(readme.includes(`**[${section}]**`), section);
    for (const key of Object.keys(keys)) assert.ok(readme.includes(`| \`${key}\` |`), `${section}.${key}`);
  }
});

test('the master.cf shown in the README is the shipped one', () => {
  const shipped = readFileSync(join(repoRoot, 'postfix/master.cf'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .join('\n');
  const shown = readme.split('`postfix/master.cf`:')[1]!.split('```')[1]!.replace(/^\n/, '').trim();
  assert.is(shown, shipped.trim());
});

test("the README's sed line adapts transport.regexp to another domain", () => {
  const lines = readme.split('\n');
  const i = lines.findIndex((l) => l.startsWith('sed ') && l.includes('yourcompany'));
  const command = (lines[i]!.replace(/\\$/, '') + ' ' + lines[i + 1]!.trim()).trim();
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-readme-'));
  const target = join(dir, 'transport.regexp');
  execFileSync('bash', ['-c', command.replace('/etc/postfix/faxmail/transport.regexp', target)], { cwd: repoRoot });
  const out = readFileSync(target, 'utf8');
  assert.match(out, /^\/\^fax\\\+\[\^@\]\+@fax\\\.yourcompany\\\.jp\$\/\tfax:$/m);
  assert.match(out, 'fax+NUMBER@fax.yourcompany.jp');
  assert.not.match(out, 'example.com');
});

test('every faxmail subcommand in the README exists', () => {
  const help = execFileSync(process.execPath, [binPath('faxmail'), '--help'], { encoding: 'utf8' });
  const used = [...readme.matchAll(/`faxmail ([a-z-]+)/g)].map((m) => m[1]!);
  assert.ok(used.length >= 6);
  for (const sub of new Set(used)) assert.ok(help.includes(`faxmail ${sub}`), sub);
});

test('the Subject options in the README are the ones sendfax understands', async () => {
  const { parseSubjectOptions } = await import('../lib/mime/subject-options.js');
  for (const opt of ['+fine', '+standard', '+superfine', '+body', '+nobody', '+cover', '+nocover']) {
    assert.ok(readme.includes(`| \`${opt}\` |`), opt);
    const o = parseSubjectOptions(`Invoice ${opt}`);
    assert.is(o.subject, 'Invoice');
    assert.ok(o.resolution !== undefined || o.body !== undefined || o.cover !== undefined, opt);
  }
});

test.run();
