/* Man pages and bash completion are generated from the CLI spec and the config schema, and render. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { distDir } from '../helpers/paths.js';
import { PROGRAMS } from '../../lib/cli/spec.js';
import { renderConfigManPage, renderManPage } from '../../lib/cli/man.js';
import { renderBashCompletion } from '../../lib/cli/completion.js';
import { SCHEMA_ENTRIES } from '../../lib/config/schema.js';

const render = (file: string) =>
  execFileSync('groff', ['-man', '-Tutf8', '-ww', '-z', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const text = (file: string) =>
  execFileSync('groff', ['-man', '-Tascii', '-P', '-c', '-P', '-b', '-P', '-u', file], { encoding: 'utf8' });

test('the build wrote the man pages and completion it generates from the spec', () => {
  for (const p of PROGRAMS)
    assert.is(readFileSync(join(distDir, 'man', `${p.name}.8`), 'utf8'), renderManPage(p), p.name);
  assert.is(readFileSync(join(distDir, 'man', 'faxmail.toml.5'), 'utf8'), renderConfigManPage());
  assert.is(readFileSync(join(distDir, 'completion', 'faxmail'), 'utf8'), renderBashCompletion());
});

test('each page renders without groff warnings and names every option and subcommand', () => {
  for (const p of PROGRAMS) {
    const file = join(distDir, 'man', `${p.name}.8`);
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', file], { encoding: 'utf8' });
    assert.is(r.stderr, '', `${p.name}: ${r.stderr}`);
    const t = text(file);
    for (const o of [...p.options, ...p.commands.flatMap((c) => c.options)])
      assert.ok(t.includes(`--${o.name}`), `${p.name} --${o.name}`);
    for (const c of p.commands) assert.ok(t.includes(c.name), `${p.name} ${c.name}`);
  }
});

test('faxmail.toml(5) documents every key with its default', () => {
  const file = join(distDir, 'man', 'faxmail.toml.5');
  render(file);
  const t = text(file);
  for (const [section, keys] of SCHEMA_ENTRIES) {
    assert.ok(t.includes(`[${section.toUpperCase()}]`), section);
    for (const [key] of keys) assert.ok(t.includes(key), `${section}.${key}`);
  }
  assert.match(t, 'retry.busy_wait');
});

test('bash completion: the script loads and completes subcommands and options', () => {
  const file = join(distDir, 'completion', 'faxmail');
  assert.ok(existsSync(file));
  const complete = (words: string[]) =>
    execFileSync(
      'bash',
      [
        '-c',
        `source "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ` +
          `_faxmail; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'x',
        file,
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
  assert.equal(complete(['faxmail', 'ch']), ['check-config']);
  assert.ok(complete(['faxmail', 'cleanup', '--']).includes('--dry-run'));
  assert.ok(complete(['faxmail', 'doctor', '--']).includes('--skip'));
  assert.equal(complete(['faxmail', '--config', 'x', 'sta']), ['status']);
});

test.run();
