#!/usr/bin/env node
/*
 * sendfax: Postfix pipe(8) delivery agent. Reads one mail on stdin and queues it as a fax for Asterisk.
 *   sendfax [--config FILE] --sender ADDR --recipient ADDR [--extension NUMBER]
 *           [--client-address IP] [--sasl-user LOGIN] [--dry-run]
 * Exit: 0 queued; 75 transient (also configuration errors: the mail is deferred, not bounced);
 * 65 no/corrupt document; 67 bad number; 77 sender or destination refused.
 * Only argv parsing, config loading, one library call and the exit status live here. Heavy modules load
 * lazily so `sendfax --version` starts as fast as Node itself.
 */
import { parseArgs } from 'node:util';

const VERSION = '0.1.0';
const USAGE = 'usage: sendfax [--config FILE] --sender ADDR --recipient ADDR [--extension NUMBER] [--client-address IP] [--sasl-user LOGIN] [--dry-run] < message';

async function main(argv: string[]): Promise<number> {
  let values: { [k: string]: string | boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        sender: { type: 'string' },
        recipient: { type: 'string' },
        extension: { type: 'string' },
        'client-address': { type: 'string' },
        'sasl-user': { type: 'string' },
        'dry-run': { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stdout.write(`4.3.5 sendfax was called with wrong arguments (${(err as Error).message}); check master.cf.\n${USAGE}\n`);
    return 75;
  }
  if (values['version']) {
    process.stdout.write(`sendfax ${VERSION}\n`);
    return 0;
  }
  if (values['help']) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { failureOutcome } = await import('../lib/cli/outcome.js');
  if (typeof values['recipient'] !== 'string' || typeof values['sender'] !== 'string') {
    process.stdout.write(`4.3.5 sendfax needs --sender and --recipient; check master.cf.\n${USAGE}\n`);
    return 75;
  }
  let config;
  try {
    const { chooseConfigPath, loadConfig } = await import('../lib/config/load.js');
    config = loadConfig(chooseConfigPath(values['config'] as string | undefined, process.env));
  } catch (err) {
    const out = failureOutcome(err, 'pipe');
    process.stdout.write(out.text);
    return out.status;
  }
  const { createLogger } = await import('../lib/log.js');
  const log = createLogger(config.paths.log, 'sendfax', 'none');
  try {
    const { enterJob } = await import('../lib/sendfax/enter-job.js');
    const envelope: { sender: string; recipient: string; extension?: string; saslUser?: string; clientAddress?: string } = { sender: values['sender'], recipient: values['recipient'] };
    if (typeof values['extension'] === 'string') envelope.extension = values['extension'];
    // Absent (not passed by master.cf) and empty (no login, local submission) mean different things.
    if (typeof values['sasl-user'] === 'string') envelope.saslUser = values['sasl-user'];
    if (typeof values['client-address'] === 'string') envelope.clientAddress = values['client-address'];
    const result = await enterJob(config, process.stdin, envelope, { dryRun: values['dry-run'] === true }, log);
    if (result.dryRun) {
      process.stdout.write(JSON.stringify(result) + '\n');
    } else {
      const skipped = result.skipped.length ? ` (not faxed: ${result.skipped.map((s) => s.name).join(', ')})` : '';
      process.stdout.write(`2.0.0 Fax job ${result.job} queued: ${result.pages} page${result.pages === 1 ? '' : 's'} to ${result.number}${skipped}\n`);
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
    // Last resort: never an uncaught exception; defer so nothing is lost.
    process.stdout.write(`4.3.0 An unexpected error on the fax server; the message will be tried again. (${String(err).slice(0, 200)})\n`);
    drainInput();
    process.exitCode = 75;
  },
);
