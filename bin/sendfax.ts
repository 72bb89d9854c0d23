#!/usr/bin/env node
/*
 * sendfax: Postfix pipe(8) delivery agent. Reads one mail on stdin and queues it as a fax for Asterisk.
 *   sendfax [--config FILE] --sender ADDR --recipient ADDR [--extension NUMBER]
 *           [--client-address IP] [--sasl-user LOGIN] [--dry-run [--save-tiff FILE]]
 * Arguments are declared in lib/cli/spec.ts (SENDFAX) and parsed by the parser all three commands share.
 * Exit: 0 queued; 75 transient (also configuration errors: the mail is deferred, not bounced);
 * 65 no/corrupt document; 67 bad number; 77 sender or destination refused.
 * Only argv parsing, config loading, the switch from root to the spool owner, one library call and the
 * exit status live here. Heavy modules load lazily (the bundle is split into chunks).
 */
import { FaxError, oneLine } from '../lib/errors.js';
import { withoutPaths } from '../lib/cli/outcome.js';

async function main(argv: string[]): Promise<number> {
  const { parseCommandLine } = await import('../lib/cli/parser.js');
  const { SENDFAX } = await import('../lib/cli/spec.js');
  const { failureOutcome } = await import('../lib/cli/outcome.js');
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseCommandLine(SENDFAX, argv);
    if (parsed.kind !== 'run') {
      process.stdout.write(`${parsed.text}\n`);
      return 0;
    }
    values = parsed.values;
    if (values['save-tiff'] !== undefined && values['dry-run'] !== true)
      throw new FaxError('usage', '--save-tiff only goes with --dry-run.');
  } catch (err) {
    const why = withoutPaths(oneLine(err instanceof Error ? err.message : String(err), 300));
    process.stdout.write(
      `4.3.5 sendfax was called with wrong arguments (${why}); check master.cf or see sendfax --help.\n`,
    );
    return 75;
  }
  // Killed from here on (Postfix's time limit, a shutdown): 75, so Postfix defers the mail and nothing is
  // lost; no scratch file or half-built job stays behind, and no Ghostscript keeps running. Installed after
  // the arguments are read: --help and --version make nothing to clean and need not load what cleans it.
  const { exitOnTermination } = await import('../lib/cli/signals.js');
  exitOnTermination(75);
  let config;
  try {
    const { chooseConfigPath, loadConfig } = await import('../lib/config/load.js');
    config = loadConfig(chooseConfigPath(values['config'] as string | undefined, process.env));
    const { becomeSpoolOwner } = await import('../lib/cli/privileges.js');
    becomeSpoolOwner(config.paths.spool, 'sendfax');
  } catch (err) {
    const out = failureOutcome(err, 'pipe');
    process.stdout.write(out.text);
    return out.status;
  }
  const { createLogger } = await import('../lib/log.js');
  const log = createLogger(config.paths.log, 'sendfax', 'none', config.log.level);
  try {
    const { enterJob } = await import('../lib/sendfax/enter-job.js');
    const envelope: {
      sender: string;
      recipient: string;
      extension?: string;
      saslUser?: string;
      clientAddress?: string;
    } = { sender: String(values['sender']), recipient: String(values['recipient']) };
    if (typeof values['extension'] === 'string') envelope.extension = values['extension'];
    // Absent (not passed by master.cf) and empty (no login, local submission) mean different things.
    if (typeof values['sasl-user'] === 'string') envelope.saslUser = values['sasl-user'];
    if (typeof values['client-address'] === 'string') envelope.clientAddress = values['client-address'];
    const result = await enterJob(
      config,
      process.stdin,
      envelope,
      {
        dryRun: values['dry-run'] === true,
        ...(typeof values['save-tiff'] === 'string' ? { saveTiff: values['save-tiff'] } : {}),
      },
      log,
    );
    if (result.dryRun) {
      process.stdout.write(JSON.stringify(result) + '\n');
    } else {
      const skipped = result.skipped.length ? ` (not faxed: ${result.skipped.map((s) => s.name).join(', ')})` : '';
      process.stdout.write(
        `2.0.0 Fax job ${result.job} queued: ${result.pages} page${result.pages === 1 ? '' : 's'} to ` +
          `${result.number}${skipped}\n`,
      );
    }
    return 0;
  } catch (err) {
    // The sentence itself names what was left out (lib/documents/prepare.ts), so no extra lines are needed.
    const out = failureOutcome(err, 'pipe');
    log.error({ err, step: 'failed', exit: out.status }, 'sendfax failed');
    process.stdout.write(out.text);
    return out.status;
  }
}

/** Read the rest of the mail so Postfix never sees a broken pipe on a refused one (not from a terminal). */
function drainInput(): void {
  if (!process.stdin.isTTY) process.stdin.resume();
}

main(process.argv.slice(2)).then(
  (status) => {
    if (status !== 0) drainInput();
    process.exitCode = status;
  },
  (err: unknown) => {
    // Last resort: never an uncaught exception; defer so nothing is lost. The sender reads this: no server paths.
    process.stdout.write(
      `4.3.0 An unexpected error on the fax server; the message will be tried again. ` +
        `(${withoutPaths(oneLine(String(err), 200))})\n`,
    );
    drainInput();
    process.exitCode = 75;
  },
);
