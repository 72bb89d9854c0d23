/*
 * run-all's filters match the test file's path from the build root ("/test/mime/parse.test.js"), never the
 * absolute path: a checkout under /work/wt/layers must not make the filter "layers" match every file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { matchesFilters } from './run-all.js';
import { distDir, repoRoot } from './paths.js';

const parse = join(distDir, 'test', 'mime', 'parse.test.js');

test('a filter matches the path from the build root, wherever the checkout lives', () => {
  assert.ok(matchesFilters(parse, ['/test/mime/']));
  assert.ok(matchesFilters(parse, ['mime/']));
  assert.ok(matchesFilters(parse, ['/test/mime/parse.test.js']));
  assert.ok(matchesFilters(join(distDir, 'test', 'layers.test.js'), ['layers']));
  assert.not.ok(matchesFilters(parse, ['layers']));
  // the checkout's own path (here /work/wt/<name>/dist/...) is not part of what a filter sees
  assert.not.ok(matchesFilters(parse, [repoRoot]));
  assert.not.ok(matchesFilters(parse, ['/dist/']));
});

test('no filter matches every file; any one of several is enough', () => {
  const f = join(distDir, 'test', 'notify', 'outbound.test.js');
  assert.ok(matchesFilters(f, []));
  assert.ok(matchesFilters(f, ['e2e/', 'notify/']));
  assert.not.ok(matchesFilters(f, ['e2e/', 'sip/']));
});

test.run();
