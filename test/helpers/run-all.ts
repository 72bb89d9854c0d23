/*
 * run-all.ts: the test command. Runs every dist/test/**\/*.test.js file in its own Node process (so one
 * crashing file cannot hide the others), two at a time, prints each file's output, and ends with the line
 * "N passed, N failed" that CI reads. Exit status 1 if anything failed.
 * Usage: node dist/test/helpers/run-all.js [substring-filter ...]
 * A filter matches a substring of the file's path from the build root with a leading slash
 * ("/test/mime/parse.test.js"), so where the checkout lives never matters.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, dirname, sep } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

const testRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildRoot = join(testRoot, '..');

/** Does a test file (absolute path) match the filters? Matched against "/test/<area>/<file>.test.js". */
export function matchesFilters(file: string, filters: readonly string[]): boolean {
  const rel = `/${relative(buildRoot, file).split(sep).join('/')}`;
  return filters.length === 0 || filters.some((x) => rel.includes(x));
}

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
  exit: number | null;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Parse uvu's summary ("Total: 5", "Passed: 4", "Skipped: 0"). */
function parseUvuSummary(output: string): { total: number; passed: number; skipped: number } | undefined {
  const plain = output.replace(ANSI, '');
  const total = /Total:\s+(\d+)/.exec(plain);
  const passed = /Passed:\s+(\d+)/.exec(plain);
  const skipped = /Skipped:\s+(\d+)/.exec(plain);
  if (!total || !passed) return undefined;
  return { total: Number(total[1]), passed: Number(passed[1]), skipped: skipped ? Number(skipped[1]) : 0 };
}

function runFile(file: string): Promise<FileResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => {
      const s = parseUvuSummary(output);
      if (!s) {
        resolve({
          file,
          passed: 0,
          failed: 1,
          skipped: 0,
          output: output + `\n(no uvu summary: the file crashed, exit ${code})\n`,
          exit: code,
        });
        return;
      }
      let failed = s.total - s.passed - s.skipped;
      // A file that exited non-zero after its summary (e.g. an unhandled rejection) counts as one failure.
      if (failed === 0 && code !== 0) failed = 1;
      resolve({ file, passed: s.passed, failed, skipped: s.skipped, output, exit: code });
    });
  });
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const files = findTests(testRoot).filter((f) => matchesFilters(f, filters));
  const width = Math.max(1, Math.min(Number(process.env['FAXMAIL_TEST_JOBS'] ?? availableParallelism()), 4));
  const results: FileResult[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < files.length) {
      const file = files[next++]!;
      const r = await runFile(file);
      results.push(r);
      process.stdout.write(
        `\n=== ${relative(testRoot, file)}: ${r.passed} passed, ${r.failed} ` +
          `failed${r.skipped ? `, ${r.skipped} skipped` : ''}\n`,
      );
      if (r.failed > 0 || process.env['FAXMAIL_TEST_VERBOSE']) process.stdout.write(r.output);
    }
  }
  await Promise.all(Array.from({ length: width }, () => worker()));
  const passed = results.reduce((a, r) => a + r.passed, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  const skipped = results.reduce((a, r) => a + r.skipped, 0);
  if (files.length === 0) {
    process.stdout.write('no test files found\n');
    process.stdout.write('0 passed, 1 failed\n');
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
