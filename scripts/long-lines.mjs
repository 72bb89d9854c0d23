// Lists the lines longer than 120 characters in the sources (TypeScript, scripts, shell, Makefiles): Biome
// keeps code within 120 columns but never breaks a string or a comment, so this check covers what it leaves.
// Usage: node scripts/long-lines.mjs [root]   (exit 1 and one "path:line: N characters" per long line)
// Run by `make lint` and by test/lint.test.ts. The generated T.30 table is exempt (one entry per line).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const LIMIT = 120;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'out']);
const EXEMPT = new Set(['lib/fax-result/t30-table.ts']);

/** Does this file hold code the limit applies to? By name: *.ts, *.mjs, *.sh, Makefile, and CI's run script. */
function checked(rel) {
  return /\.(ts|mjs|sh)$/.test(rel) || /(^|\/)Makefile$/.test(rel) || rel === '.ci/run';
}

function* files(root, dir = root) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* files(root, path);
    } else if (entry.isFile()) {
      const rel = relative(root, path);
      if (checked(rel) && !EXEMPT.has(rel)) yield rel;
    }
  }
}

/** Every line over the limit under root, as "path:line: N characters". Characters, not bytes. */
function longLines(root) {
  const out = [];
  for (const rel of files(root)) {
    const lines = readFileSync(join(root, rel), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const n = [...line].length;
      if (n > LIMIT) out.push(`${rel}:${i + 1}: ${n} characters`);
    });
  }
  return out;
}

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const found = longLines(root);
if (found.length > 0) {
  process.stdout.write(`${found.join('\n')}\n${found.length} lines over ${LIMIT} characters (split them)\n`);
  process.exitCode = 1;
}
