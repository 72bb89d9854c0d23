#!/usr/bin/env node
/*
 * faxmail: the admin's command.
 *   faxmail status [--json]        jobs by state, outbox, received faxes, what needs the admin (exit 1 if anything)
 *   faxmail show JOB [--json]      one job and its attempts
 *   faxmail list [--state S] [--since T] [--json]   jobs, one a line
 *   faxmail run                    apply stored call reports, recover from crashes, start calls (the timer)
 *   faxmail retry JOB              dial again now (a queued, held or failed job)
 *   faxmail hold JOB / release JOB keep a queued job from dialling / let it dial again
 *   faxmail received [--json]      received faxes
 *   faxmail flush                  send the mails waiting in the outbox
 *   faxmail cancel JOB             cancel a job that has not been sent yet
 *   faxmail cleanup [--dry-run]    remove received faxes and finished jobs older than inbound.keep_days
 *   faxmail check-config           load and check the configuration
 * Every subcommand takes --config FILE (else $FAXMAIL_CONFIG, else /etc/faxmail/faxmail.toml).
 * JOB is a job id or a unique prefix of one (at least 4 characters).
 * It parses argv (yargs), loads the config, makes one library call, prints the result and exits with the
 * 'cli' column of lib/sysexits.ts: 0 done, 64 usage, 66 unknown job, 75 temporary (also: mails still
 * waiting after a flush that failed), 78 configuration error; `status` exits 1 when something needs the admin.
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
  state?: string;
  since?: string;
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
    .command('list', 'jobs, one a line', (y) =>
      y
        .option('state', { type: 'string', describe: 'only jobs in this state: queued, dialling, held, sent, failed, cancelled', requiresArg: true })
        .option('since', { type: 'string', describe: 'only jobs changed since: 2h, 3d, 45m or a date', requiresArg: true })
        .option('json', { type: 'boolean', describe: 'print JSON' }),
    )
    .command('run', 'apply stored call reports, recover from crashes, start calls (run by the timer every 30 s)')
    .command('retry <job>', 'dial again now (a queued, held or failed job)', (y) => y.positional('job', { type: 'string', describe: 'job id or unique prefix' }))
    .command('hold <job>', 'keep a queued job from dialling until released', (y) => y.positional('job', { type: 'string', describe: 'job id or unique prefix' }))
    .command('release <job>', 'let a held job dial again', (y) => y.positional('job', { type: 'string', describe: 'job id or unique prefix' }))
    .command('received', 'received faxes', (y) => y.option('json', { type: 'boolean', describe: 'print JSON' }))
    .command('flush', 'send the mails waiting in the outbox')
    .command('cancel <job>', 'cancel a job that has not been sent', (y) => y.positional('job', { type: 'string', describe: 'job id' }))
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
    case 'check-config':
      out(`configuration OK (${config.source})`);
      return EX.OK;
    case 'status': {
      const { collectStatus, formatStatus } = await import('../lib/admin/status.js');
      const s = await collectStatus(config);
      out(args.json ? JSON.stringify(s, null, 2) : formatStatus(s));
      // For monitoring: 1 when something needs the admin (listed under "needs attention").
      return s.attention.length > 0 ? 1 : EX.OK;
    }
    case 'list': {
      const { listJobs, formatList, parseSince } = await import('../lib/admin/queue-actions.js');
      const jobs = await listJobs(config, { ...(args.state !== undefined ? { state: args.state } : {}), ...(args.since !== undefined ? { since: parseSince(args.since) } : {}) });
      out(args.json ? JSON.stringify(jobs, null, 2) : formatList(jobs));
      return EX.OK;
    }
    case 'run': {
      const { runRecovery } = await import('../lib/queue/recover.js');
      const r = await runRecovery(config, log);
      const d = r.dispatch;
      out(
        `run: ${r.reports.length} reports applied, ${d.lost.length} lost calls, ${d.started.length} calls started (${d.inFlight} in progress, ${d.waits.length} waiting), ` +
          `${r.notices.length} notices retried, ${r.orphans.length + r.stagedRemoved.length} orphan files removed, ${r.linesRepaired.length} number records repaired`,
      );
      if (d.waits.length) {
        const why: Record<string, string> = { channels: 'all channels busy', number: 'number busy', 'not-due': 'retry not due', hours: 'outside sending hours', 'sender-limit': 'sender over an hourly limit', held: 'on hold' };
        const counts = new Map<string, number>();
        for (const w of d.waits) counts.set(w.reason, (counts.get(w.reason) ?? 0) + 1);
        out(`run: waiting: ${[...counts].map(([k, n]) => `${n} ${why[k] ?? k}`).join(', ')}${d.wakeAt ? `; next due ${d.wakeAt.toISOString()}` : ''}`);
      }
      for (const e of [...r.reportErrors.map((x) => `report ${x.name}: ${x.error}`), ...d.failed.map((x) => `job ${x.job}: ${x.error}`)]) out(`run: not done: ${e}`);
      return r.reportErrors.length || d.failed.length ? EX.TEMPFAIL : EX.OK;
    }
    case 'retry':
    case 'hold':
    case 'release': {
      const actions = await import('../lib/admin/queue-actions.js');
      const fn = command === 'retry' ? actions.retryJob : command === 'hold' ? actions.holdJob : actions.releaseJob;
      const r = await fn(config, String(args.job), log);
      const verb = command === 'retry' ? 'will dial again' : command === 'hold' ? 'is on hold' : 'is released';
      const started = r.started.find((c) => c.job === r.job);
      out(`job ${r.job} ${verb} (was ${r.previous})${started ? `; dialling now (attempt ${started.attempt})` : r.state === 'queued' ? '; waiting for a free channel or its number' : ''}`);
      return EX.OK;
    }
    case 'received': {
      const { listReceived, formatReceived } = await import('../lib/admin/queue-actions.js');
      const r = await listReceived(config);
      out(args.json ? JSON.stringify(r, null, 2) : formatReceived(r));
      return EX.OK;
    }
    case 'show': {
      const { readJob, jobDir, spoolPaths } = await import('../lib/spool/jobs.js');
      const { resolveJobId } = await import('../lib/admin/queue-actions.js');
      const job = await readJob(jobDir(spoolPaths(config.paths.spool), await resolveJobId(config, String(args.job))));
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
      const { resolveJobId } = await import('../lib/admin/queue-actions.js');
      const r = await cancelJob(config, await resolveJobId(config, String(args.job)), log);
      if (r.alreadyFinal) {
        out(`job ${r.job} had already ended (${r.previous}); nothing changed`);
        return EX.OK;
      }
      const parts = [`job ${r.job} cancelled (was ${r.previous})`];
      if (r.callFileRemoved) parts.push(`call file ${r.callFileRemoved} removed`);
      if (r.started) parts.push(`job ${r.started} dials next on that number`);
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
