/*
 * entry.ts: what every bin/ file does when it is the program Node started: run main() with the real argv,
 * env and output, and give back its exit status for the bin/ file to set. A main() that throws (a bug) still
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

/** Run `main` on this process's argv, env and output; `crashStatus` is the exit status for a thrown bug. */
export async function runMain(main: Main, crashStatus: number): Promise<number> {
  try {
    return await main(
      process.argv.slice(2),
      process.env,
      (line) => process.stdout.write(`${line}\n`),
      (line) => process.stderr.write(`${line}\n`),
    );
  } catch (e) {
    process.stderr.write(`${String(e).slice(0, 300)}\n`);
    return crashStatus;
  }
}
