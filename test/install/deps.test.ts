/*
 * `make install` installs runtime packages only: no compiler, no -dev package, no MTA, no test tools.
 * Proved without a clean machine: the list install-deps.sh would install for `runtime`, its dependency
 * closure as apt resolves it (no recommends, as the script installs), and the commands `make -n install` runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

const list = (kind: string) =>
  execFileSync('bash', [join(repoRoot, 'scripts/install-deps.sh'), '--list', kind], { encoding: 'utf8' })
    .trim()
    .split('\n');
const COMPILER_NAMES =
  String.raw`gcc|g\+\+|cpp|cc|clang|make|build-essential|binutils|` + 'pkg-config|pkgconf|libc6-dev|linux-libc-dev';
const COMPILERS = new RegExp(`^(${COMPILER_NAMES})(-[0-9.]+)?(-x86-64-linux-gnu)?$`);

test('the runtime list has no compiler, no -dev package, no Postfix and no test tool', () => {
  const runtime = list('runtime');
  assert.ok(runtime.includes('ghostscript') && runtime.includes('libtiff-tools'));
  for (const p of runtime) {
    assert.not.match(p, COMPILERS, p);
    assert.not.match(p, /-dev$/, p);
    // Dovecot is only the SASL server of the SMTP AUTH test; LibreOffice is optional at runtime (paths.libreoffice).
    assert.not.ok(['postfix', 'poppler-utils', 'dovecot-core'].includes(p), p);
    assert.not.match(p, /^libreoffice/, p);
  }
  const all = list('test');
  for (const p of ['gcc', 'libspandsp-dev', 'postfix', 'poppler-utils', 'dovecot-core', 'libreoffice-writer-nogui'])
    assert.ok(all.includes(p), `${p} in the test list`);
});

test("the runtime list's dependency closure (no recommends) holds no compiler", () => {
  const r = spawnSync(
    'apt-cache',
    [
      'depends',
      '--recurse',
      '--no-recommends',
      '--no-suggests',
      '--no-conflicts',
      '--no-breaks',
      '--no-replaces',
      '--no-enhances',
      '--no-pre-depends',
      ...list('runtime'),
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  assert.is(r.status, 0, r.stderr);
  const names = new Set(
    r.stdout
      .split('\n')
      .map((l) =>
        l
          .trim()
          .replace(/^\|?(Depends|PreDepends): /, '')
          .replace(/^</, '')
          .replace(/>$/, '')
          .replace(/:.*$/, ''),
      )
      .filter((l) => /^[a-z0-9][a-z0-9.+-]+$/.test(l)),
  );
  assert.ok(names.size > 20, `closure resolved (${names.size} packages)`);
  const bad = [...names].filter((n) => COMPILERS.test(n) || n === 'postfix');
  assert.equal(bad, []);
});

test('make install builds with the runtime packages only', () => {
  const r = spawnSync('make', ['-n', '-C', repoRoot, 'install'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'scripts/install-deps.sh runtime');
  assert.not.match(r.stdout, 'install-deps.sh test');
  assert.not.match(r.stdout, /tools\/linesim/);
  assert.match(r.stdout, 'scripts/install.sh');
});

test.run();
