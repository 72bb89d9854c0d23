/*
 * Only the programs in bin/ decide how the process ends (issue 13): no lib/ file calls process.exit, sets
 * process.exitCode or installs process-wide listeners (signals, 'exit'). The one exception is
 * lib/cli/signals.ts, the handlers bin/ installs with its own exit status.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './helpers/paths.js';

const ALLOWED = new Set(['lib/cli/signals.ts']);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The lines of one source text that end the process or listen on it, comments left out. */
function processStateUses(src: string): string[] {
  const text = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const use = /\bprocess\s*\.\s*(exit\s*\(|exitCode\s*(=|\?\?=|\|\|=)|(on|once|addListener|prepend\w*)\s*\()/;
  return text
    .split('\n')
    .filter((line) => use.test(line))
    .map((line) => line.trim());
}

test('the scanner sees exit, exitCode and listeners, and skips comments and reads', () => {
  const src = [
    'process.exit(75);',
    'process.exitCode = 1;',
    "process.once('SIGTERM', stop);",
    "process.on('exit', killAll);",
    'process.prependListener(sig, f);',
    '// process.exit(1) in a comment',
    "/* process.on('exit') */",
    'const code = process.exitCode;',
    "process.stdout.write('x');",
  ].join('\n');
  assert.equal(processStateUses(src), [
    'process.exit(75);',
    'process.exitCode = 1;',
    "process.once('SIGTERM', stop);",
    "process.on('exit', killAll);",
    'process.prependListener(sig, f);',
  ]);
});

test('no lib/ file ends the process or installs process-wide handlers (bin/ does)', () => {
  const bad: string[] = [];
  for (const file of tsFiles(join(repoRoot, 'lib'))) {
    const rel = relative(repoRoot, file);
    if (ALLOWED.has(rel)) continue;
    for (const line of processStateUses(readFileSync(file, 'utf8'))) bad.push(`${rel}: ${line}`);
  }
  assert.equal(bad, [], `only bin/ (and lib/cli/signals.ts) may do this:\n  ${bad.join('\n  ')}`);
});

test.run();
