#!/usr/bin/env node
/*
 * faxmail: the admin's command.
 *   faxmail status [--json]        jobs by state, mails waiting in the outbox, received faxes
 *   faxmail show JOB [--json]      one job and its attempts
 *   faxmail flush                  send the mails waiting in the outbox
 *   faxmail cancel JOB             cancel a job: take back its call file or hang up its live call, tell the sender
 *   faxmail cleanup [--dry-run]    remove received faxes and finished jobs older than inbound.keep_days
 *   faxmail check-config           load and check the configuration and the directories it names
 * Every subcommand takes --config FILE (else $FAXMAIL_CONFIG, else /etc/faxmail/faxmail.toml).
 * It parses argv (yargs), loads the config, makes one library call, prints the result and exits with the
 * 'cli' column of lib/sysexits.ts: 0 done, 64 usage, 66 unknown job, 75 temporary (also: mails still
 * waiting after a flush that failed), 78 configuration error.
 */
import { runIfEntryPoint } from '../lib/cli/entry.js';
import yargs from 'yargs';
import { FaxError, oneLine, toFaxError } from '../lib/errors.js';
import { EX, exitStatusFor } from '../lib/sysexits.js';
import { chooseConfigPath, loadConfig } from '../lib/config/load.js';
import { createLogger, type Logger } from '../lib/log.js';
import type { Config } from '../lib/config/schema.js';

import type { Print } from '../lib/cli/entry.js';

interface Argv {
  _: (string | number)[];
  config?: string;
  json?: boolean;
  'dry-run'?: boolean;
  job?: string;
}

/** argv (without node and the script) -> parsed arguments; usage problems become FaxError('usage'). */
export async function parseArgs(argv: readonly string[], out: Print): Promise<Argv | 'help'> {
  let helped = false;
  const parser = yargs([...argv])
    .scriptName('faxmail')
    .usage('$0 <command> [options]')
    .option('config', { type: 'string', describe: 'configuration file (default: $FAXMAIL_CONFIG or /etc/faxmail/faxmail.toml)', requiresArg: true })
    .command('status', 'jobs by state, outbox, received faxes', (y) => y.option('json', { type: 'boolean', describe: 'print JSON' }))
    .command('show <job>', 'one job and its attempts', (y) => y.positional('job', { type: 'string', describe: 'job id' }).option('json', { type: 'boolean', describe: 'print job.json as it is' }))
    .command('flush', 'send the mails waiting in the outbox')
    .command('cancel <job>', 'cancel a job (hangs up its call if one is under way) and tell the sender', (y) => y.positional('job', { type: 'string', describe: 'job id' }))
    .command('cleanup', 'remove received faxes and finished jobs older than inbound.keep_days', (y) => y.option('dry-run', { type: 'boolean', describe: 'only list what would go' }))
    .command('check-config', 'load and check the configuration')
    .demandCommand(1, 'Name a command.')
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new FaxError('usage', msg || (err ? err.message : 'Bad arguments.'));
    });
  const parsed = (await parser.parseAsync([...argv], {}, (_e: unknown, _a: unknown, output: string) => {
    if (output) {
      helped = true;
      out(output);
    }
  })) as Argv;
  return helped ? 'help' : parsed;
}

async function run(command: string, args: Argv, config: Readonly<Config>, log: Logger, out: Print): Promise<number> {
  switch (command) {
    case 'check-config': {
      // The file is fine (it loaded); the directories faxmail and Asterisk write must be there too.
      const { checkWrittenDirs } = await import('../lib/admin/dirs.js');
      const problems = await checkWrittenDirs(config);
      if (problems.length > 0) {
        for (const p of problems) out(`problem: ${p.dir ? `${p.dir}: ` : ''}${p.problem}`);
        out(`configuration ${config.source} loads, but ${problems.length} director${problems.length === 1 ? 'y is' : 'ies are'} not right`);
        return EX.CONFIG;
      }
      out(`configuration OK (${config.source})`);
      return EX.OK;
    }
    case 'status': {
      const { collectStatus, formatStatus } = await import('../lib/admin/status.js');
      const s = await collectStatus(config);
      out(args.json ? JSON.stringify(s, null, 2) : formatStatus(s));
      return EX.OK;
    }
    case 'show': {
      const { readJob, jobDir, spoolPaths } = await import('../lib/spool/jobs.js');
      const job = await readJob(jobDir(spoolPaths(config.paths.spool), String(args.job)));
      if (args.json) {
        out(JSON.stringify(job, null, 2));
      } else {
        const { formatJob } = await import('../lib/admin/show.js');
        out(formatJob(job));
      }
      return EX.OK;
    }
    case 'flush': {
      const { flushOutbox } = await import('../lib/mail/deliver.js');
      const r = await flushOutbox(config, log, { timeLimitMs: 300_000 });
      out(`outbox: ${r.sent} sent, ${r.failed} failed, ${r.remaining} waiting`);
      return r.failed > 0 ? EX.TEMPFAIL : EX.OK;
    }
    case 'cancel': {
      const { cancelJob } = await import('../lib/admin/cancel.js');
      const r = await cancelJob(config, String(args.job), log);
      if (r.alreadyFinal) {
        out(`job ${r.job} had already ended (${r.previous}); nothing changed`);
        return EX.OK;
      }
      const parts = [`job ${r.job} cancelled (was ${r.previous})`];
      if (r.callFileRemoved) parts.push(`call file ${r.callFileRemoved} taken back before the call`);
      if (r.call === 'hung-up') parts.push(`live call hung up (${(r.hungUp ?? []).join(', ')})`);
      if (r.call === 'left-running') parts.push(`the call could not be hung up (${r.problem ?? 'unknown'}); its number stays held until it ends`);
      if (r.started) parts.push(`job ${r.started} dials next on that number`);
      parts.push(`sender ${r.notice === 'skipped' ? 'NOT told (no usable address)' : r.notice === 'queued' ? 'told (notice waiting in the outbox)' : 'told'}`);
      out(parts.join('; '));
      return EX.OK;
    }
    case 'cleanup': {
      const { cleanupSpool } = await import('../lib/admin/cleanup.js');
      const r = await cleanupSpool(config, log, { dryRun: !!args['dry-run'] });
      const verb = r.dryRun ? 'would remove' : 'removed';
      out(`cleanup: ${verb} ${r.inbound.length} received faxes, ${r.jobs.length} finished jobs, ${r.outboxOrphans.length} orphan outbox files, ${r.staging.length} stale staging directories${config.archive.directory ? `, ${r.archive.length} archived faxes` : ''}`);
      if (r.inboundKept.length) out(`cleanup: kept ${r.inboundKept.length} received faxes that were never delivered (see faxmail status)`);
      return EX.OK;
    }
  }
  throw new FaxError('usage', `Unknown command "${oneLine(command, 40)}".`);
}

/** The whole program; returns the exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, out: Print, err: Print): Promise<number> {
  let log: Logger | undefined;
  try {
    const args = await parseArgs(argv, out);
    if (args === 'help') return EX.OK;
    const command = String(args._[0]);
    const config = loadConfig(chooseConfigPath(args.config, env));
    log = createLogger(config.paths.log, 'faxmail', 'stderr');
    return await run(command, args, config, log, out);
  } catch (e) {
    const fe = toFaxError(e, 'running the command');
    log?.error({ code: fe.code, err: fe.message, cause: fe.cause instanceof Error ? fe.cause.message : undefined }, 'faxmail failed');
    err(`faxmail: ${fe.code === 'usage' ? fe.message : oneLine(fe.message)}`);
    return exitStatusFor(fe.code, 'cli');
  }
}

runIfEntryPoint(import.meta.url, main, EX.SOFTWARE);
