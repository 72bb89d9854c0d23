/*
 * entry.ts: what every bin/ file does when it is the program Node started: run main() with the real
 * argv, env and output, and turn its result into process.exitCode. A main() that throws (a bug) still
 * ends with an exit status, never with an uncaught exception.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Print = (line: string) => void;
export type Main = (argv: string[], env: NodeJS.ProcessEnv, out: Print, err: Print) => Promise<number>;

/** Is the module at `moduleUrl` the script Node was started with? (false when imported by a test) */
export function isEntryPoint(moduleUrl: string): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Run `main` if `moduleUrl` is the entry point; `crashStatus` is the exit status for a thrown bug. */
export function runIfEntryPoint(moduleUrl: string, main: Main, crashStatus: number): void {
  if (!isEntryPoint(moduleUrl)) return;
  main(
    process.argv.slice(2),
    process.env,
    (line) => process.stdout.write(`${line}\n`),
    (line) => process.stderr.write(`${line}\n`),
  ).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${String(e).slice(0, 300)}\n`);
      process.exitCode = crashStatus;
    },
  );
}
