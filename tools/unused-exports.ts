/*
 * unused-exports.ts: lists exported functions, constants and classes that no other file imports (dead code,
 * or a name that should not be exported). Types and interfaces are left out: they are the vocabulary of
 * the signatures they appear in. bin/ files are entry points, so their exports are not counted.
 * It reads the import lines of lib/ bin/ test/ bench/ tools/ and scripts/ by pattern: a name counts as used
 * when a file that imports its module (static or dynamic import) mentions it. The other way round (a name
 * mentioned by a file that imports the module for something else) can hide an unused export; never the
 * reverse. Usage: node dist/tools/unused-exports.js (exit 1 if any); test/unused-exports.test.ts runs it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIRS = ['lib', 'bin', 'test', 'bench', 'tools', 'scripts'];
const SKIP = new Set(['node_modules', 'dist', 'out']);

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP.has(e.name)) out.push(...sources(p));
    } else if (/\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Exported value names declared in one source text (export function/const/let/class/enum NAME). */
export function exportedValues(src: string): string[] {
  // Block comments and template literals out first: a generator's output text may hold export lines.
  const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/`(?:\\.|[^`\\])*`/g, '``');
  const re = /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|enum)\s+([A-Za-z_$][\w$]*)/gm;
  return [...code.matchAll(re)].map((m) => m[1]!);
}

/** Relative module specifiers one source text imports or re-exports, statically or with import(). */
function importedSpecifiers(src: string): string[] {
  return [...src.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'(\.[^']+)'/gm)].map((m) => m[1]!);
}

/** Every unused exported value under root, as "path: name", sorted. */
export function unusedExports(root: string): string[] {
  const files = DIRS.flatMap((d) => sources(join(root, d)));
  const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')] as const));
  const importers = new Map<string, string[]>();
  for (const [file, src] of text) {
    for (const spec of importedSpecifiers(src)) {
      // scripts/ import tsc's output (dist/lib/x.js): that is the source lib/x.ts.
      const target = resolve(dirname(file), spec).replace(`${root}/dist/`, `${root}/`).replace(/\.js$/, '.ts');
      importers.set(target, [...(importers.get(target) ?? []), file]);
    }
  }
  const out: string[] = [];
  for (const [file, src] of text) {
    const rel = relative(root, file);
    if (rel.startsWith('bin/')) continue;
    for (const name of exportedValues(src)) {
      const word = new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`);
      if (!(importers.get(file) ?? []).some((user) => word.test(text.get(user)!))) out.push(`${rel}: ${name}`);
    }
  }
  return out.sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const found = unusedExports(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
  process.stdout.write(found.map((l) => `${l}\n`).join(''));
  process.exitCode = found.length > 0 ? 1 : 0;
}
