/*
 * The layers of lib/ point one way (issue 13, "Simpler inside"; /work/shared/notes/design.md).
 * Every lib/ module (a directory, or a top-level file) has a rank in test/helpers/layers.ts; a module may
 * import only modules of a LOWER rank (or its own files). Lowest first:
 *   ground:   sysexits, text (one clean line), errors, accounts (users, groups), log, fsutil, time,
 *             mailbox (mailbox syntax), exec, tiff (read, merge, to PDF),
 *             fax-result (T.30 / res_fax catalogue, classes, explanations, retry rules)
 *   shared:   policy (numbers, senders, hours), spool, asterisk (call files, CLI), mail (compose, transport,
 *             templates), archive, config (its checks use the rules of the modules below it)
 *   features: mime, documents, convert, inbound, notify (call reports, receipts), queue (dispatcher, starting
 *             calls), sendfax, admin, cli
 *   bin/:     parse argv, load config, call one library function, print (not checked here: it sits on top)
 * Within a layer the order is total too, so no two modules can lean on each other.
 * Runtime imports count (static and dynamic import()); `import type` is erased by tsc and is not an arrow:
 * the config schema's types are the vocabulary every layer speaks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { LAYERS } from './helpers/layers.js';
import { repoRoot } from './helpers/paths.js';

const RANK = new Map(LAYERS.flatMap((l) => l.modules).map((m, i) => [m, i] as const));

const libRoot = join(repoRoot, 'lib');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The lib/ module a path belongs to: its first directory under lib/, or a top-level file's name. */
function moduleOf(path: string): string {
  const first = relative(libRoot, path).split('/')[0]!;
  return first.replace(/\.(ts|js)$/, '');
}

/** Relative runtime imports of one source text: static (not `import type`), re-exports and dynamic import(). */
function runtimeImports(src: string): string[] {
  const out: string[] = [];
  const text = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;'"]*?from\s+'([^']+)'/gm))
    if (!m[2]) out.push(m[3]!);
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) out.push(m[1]!);
  return out.filter((p) => p.startsWith('.'));
}

/** Every arrow against the order, as "lib/a/x.ts -> lib/b/y.js (a -> b)". */
function violations(): string[] {
  const bad: string[] = [];
  for (const file of tsFiles(libRoot)) {
    const from = moduleOf(file);
    const fromRank = RANK.get(from);
    if (fromRank === undefined) {
      bad.push(`${relative(repoRoot, file)}: module "${from}" has no rank in test/layers.test.ts`);
      continue;
    }
    for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(libRoot + '/')) {
        bad.push(`${relative(repoRoot, file)} -> ${spec} (lib/ imports from outside lib/)`);
        continue;
      }
      const to = moduleOf(target);
      if (to === from) continue;
      const toRank = RANK.get(to);
      if (toRank === undefined || toRank >= fromRank)
        bad.push(`${relative(repoRoot, file)} -> ${spec} (${from} -> ${to})`);
    }
  }
  return bad;
}

test('the import scanner sees static, dynamic and re-exports, and skips type-only imports', () => {
  const src = [
    "import { a } from '../x/a.js';",
    "import type { T } from '../y/t.js';",
    "import {\n  b,\n  c,\n} from '../z/b.js';",
    "export { d } from '../w/d.js';",
    "const { e } = await import('../v/e.js');",
    "import { readFileSync } from 'node:fs';",
    "// import { f } from '../u/f.js';",
  ].join('\n');
  assert.equal(runtimeImports(src).sort(), ['../v/e.js', '../w/d.js', '../x/a.js', '../z/b.js']);
});

test('every lib/ module has a rank', () => {
  const mods = new Set(tsFiles(libRoot).map(moduleOf));
  const missing = [...mods].filter((m) => !RANK.has(m));
  assert.equal(missing, [], `give these a place in test/helpers/layers.ts: ${missing.join(', ')}`);
});

test('arrows in lib/ point down the layers only', () => {
  const bad = violations();
  assert.equal(bad, [], `imports against the layer order:\n  ${bad.join('\n  ')}`);
});

test.run();
