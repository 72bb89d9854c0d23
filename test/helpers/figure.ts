/*
 * figure.ts: a measured time, printed for the reader instead of asserted (issue 13: no timed assertions in
 * tests; the machine is shared and its speed varies; bench/ measures speed as ratios).
 */
export function figure(what: string, ms: number): void {
  process.stdout.write(`  [figure] ${what}: ${Math.round(ms)} ms\n`);
}
