/*
 * The tree is clean for `make lint` (issue 13): Biome's formatter and linter with biome.json's rules, warnings
 * included. Running it here makes a finding one failed test in `make test`, which is what CI runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './helpers/paths.js';

test('make lint finds nothing', () => {
  const r = spawnSync('make', ['--no-print-directory', '-s', 'lint'], { cwd: repoRoot, encoding: 'utf8' });
  assert.is(r.status, 0, `make lint failed (fix, or run make format):\n${r.stdout}${r.stderr}`);
});

test.run();
