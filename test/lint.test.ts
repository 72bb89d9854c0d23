/*
 * The tree is clean for `make lint` (issue 13): Biome's formatter and linter with biome.json's rules, warnings
 * included, and no line over 120 characters (scripts/long-lines.mjs). Running it here makes a finding one
 * failed test in `make test`, which is what CI runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers/paths.js';

const script = join(repoRoot, 'scripts', 'long-lines.mjs');

test('the line-length check names a line over 120 characters and passes one of 120', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-lines-'));
  try {
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'ok.ts'), `${'x'.repeat(120)}\n`);
    const ok = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
    assert.is(ok.status, 0, ok.stdout);
    writeFileSync(join(dir, 'lib', 'long.ts'), `// fine\n${'y'.repeat(121)}\n`);
    const long = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
    assert.is(long.status, 1);
    assert.match(long.stdout, /^lib\/long\.ts:2: 121 characters$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('make lint finds nothing', () => {
  const r = spawnSync('make', ['--no-print-directory', '-s', 'lint'], { cwd: repoRoot, encoding: 'utf8' });
  assert.is(r.status, 0, `make lint failed (fix, or run make format):\n${r.stdout}${r.stderr}`);
});

test.run();
