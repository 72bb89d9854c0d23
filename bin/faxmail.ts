#!/usr/bin/env node
/*
 * faxmail: the admin's command. Subcommands and options are declared in lib/cli/spec.ts (FAXMAIL), which
 * also makes --help, faxmail(8) and the bash completion.
 * It parses argv, loads the config, switches from root to the spool owner (lib/cli/privileges.ts), makes one
 * library call, prints the result (local times; --json on every listing) and exits with the 'cli' column
 * of lib/sysexits.ts: 0 done, 64 usage, 66 unknown job, 75 temporary (also: mails still waiting after a
 * flush that failed; `run` when something could not be done), 77 the spool or log not usable by this user,
 * 78 configuration error; status 1 when something needs the admin; doctor 0/1/2; send: see lib/cli/send.ts.
 * JOB arguments may be a unique prefix of a job id (lib/admin/queue-actions.ts, resolveJobId).
 */
import { isEntryPoint, runMain, type Print } from '../lib/cli/entry.js';
import { exitOnTermination } from '../lib/cli/signals.js';
import { FaxError, oneLine, toFaxError } from '../lib/errors.js';
import { EX, exitStatusFor } from '../lib/sysexits.js';
import { chooseConfigPath, loadConfigDetailed, parseConfigDetailed, type LoadedConfig } from '../lib/config/load.js';
import { createLogger, type Logger } from '../lib/log.js';
import { parseCommandLine } from '../lib/cli/parser.js';
import { FAXMAIL } from '../lib/cli/spec.js';
import { becomeSpoolOwner, permissionSentence } from '../lib/cli/privileges.js';
import { localTime } from '../lib/time.js';

type Values = Record<string, string | boolean | undefined>;

async function run(
  command: string,
  values: Values,
  positionals: string[],
  loaded: LoadedConfig,
  log: Logger,
  out: Print,
): Promise<number> {
  const config = loaded.config;
  const json = values['json'] === true;
  switch (command) {
    case 'check-config': {
      out(`configuration OK (${config.source})`);
      // The number policy in effect, country defaults included: what sendfax will dial and refuse.
      const { describeNumberPolicy } = await import('../lib/policy/countries.js');
      for (const line of describeNumberPolicy(config.numbers, loaded.explicit)) out(line);
      return EX.OK;
    }
    case 'config': {
      const { renderSettings, settingsObject } = await import('../lib/config/docs.js');
      const onlySet = values['non-default'] === true;
      if (json) out(JSON.stringify(settingsObject(config, loaded.explicit, { onlySet }), null, 2));
      else for (const line of renderSettings(config, loaded.explicit, { onlySet, keys: positionals })) out(line);
      return EX.OK;
    }
    case 'status': {
      const { collectStatus, formatStatus } = await import('../lib/admin/status.js');
      const s = await collectStatus(config);
      out(json ? JSON.stringify(s, null, 2) : formatStatus(s));
      // For monitoring: 1 when something needs the admin (listed under "needs attention").
      return s.attention.length > 0 ? 1 : EX.OK;
    }
    case 'list': {
      const { listJobs, formatList, parseSince } = await import('../lib/admin/queue-actions.js');
      const state = values['state'] as string | undefined;
      const since = values['since'] as string | undefined;
      const jobs = await listJobs(config, {
        ...(state !== undefined ? { state } : {}),
        ...(since !== undefined ? { since: parseSince(since) } : {}),
      });
      out(json ? JSON.stringify(jobs, null, 2) : formatList(jobs));
      return EX.OK;
    }
    case 'run': {
      const { runRecovery } = await import('../lib/queue/recover.js');
      const r = await runRecovery(config, log);
      const d = r.dispatch;
      out(
        `run: ${r.reports.length} reports applied, ${d.lost.length} lost calls, ${d.started.length} calls ` +
          `started (${d.inFlight} in progress, ${d.waits.length} waiting), ` +
          `${r.notices.length} notices retried, ${r.orphans.length + r.stagedRemoved.length} orphan files ` +
          `removed${r.linesRetired ? `, ${r.linesRetired} old number records removed` : ''}` +
          (d.channelsRead ? '' : "; Asterisk's channel list could not be read"),
      );
      if (d.waits.length) {
        const why: Record<string, string> = {
          channels: 'all channels busy',
          number: 'number busy',
          'not-due': 'retry not due',
          hours: 'outside sending hours',
          'sender-limit': 'sender over an hourly limit',
          held: 'on hold',
        };
        const counts = new Map<string, number>();
        for (const w of d.waits) counts.set(w.reason, (counts.get(w.reason) ?? 0) + 1);
        out(
          `run: waiting: ` +
            `${[...counts].map(([k, n]) => `${n} ${why[k] ?? k}`).join(', ')}` +
            `${d.wakeAt ? `; next due ${localTime(d.wakeAt.toISOString())}` : ''}`,
        );
      }
      for (const e of [
        ...r.reportErrors.map((x) => `report ${x.name}: ${x.error}`),
        ...d.failed.map((x) => `job ${x.job}: ${x.error}`),
      ])
        out(`run: not done: ${e}`);
      return r.reportErrors.length || d.failed.length ? EX.TEMPFAIL : EX.OK;
    }
    case 'retry':
    case 'hold':
    case 'release': {
      const actions = await import('../lib/admin/queue-actions.js');
      const fn = command === 'retry' ? actions.retryJob : command === 'hold' ? actions.holdJob : actions.releaseJob;
      const r = await fn(config, String(positionals[0]), log);
      const verb = command === 'retry' ? 'will dial again' : command === 'hold' ? 'is on hold' : 'is released';
      const started = r.started.find((c) => c.job === r.job);
      out(
        `job ${r.job} ${verb} (was ` +
          `${r.previous})` +
          (started
            ? `; dialling now (attempt ${started.attempt})`
            : r.state === 'queued'
              ? '; waiting for a free channel or its number'
              : ''),
      );
      return EX.OK;
    }
    case 'received': {
      const { listReceived, formatReceived } = await import('../lib/admin/queue-actions.js');
      const r = await listReceived(config);
      out(json ? JSON.stringify(r, null, 2) : formatReceived(r));
      return EX.OK;
    }
    case 'show': {
      const { readJob, jobDir, spoolPaths } = await import('../lib/spool/jobs.js');
      const { resolveJobId } = await import('../lib/admin/queue-actions.js');
      const job = await readJob(
        jobDir(spoolPaths(config.paths.spool), await resolveJobId(config, String(positionals[0]))),
      );
      if (json) {
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
      const r = await cancelJob(config, await resolveJobId(config, String(positionals[0])), log);
      if (r.alreadyFinal) {
        out(`job ${r.job} had already ended (${r.previous}); nothing changed`);
        return EX.OK;
      }
      const parts = [`job ${r.job} cancelled (was ${r.previous})`];
      if (r.callFileRemoved) parts.push(`call file ${r.callFileRemoved} taken back before the call`);
      if (r.call === 'hung-up') parts.push(`live call hung up (${(r.hungUp ?? []).join(', ')})`);
      if (r.call === 'left-running')
        parts.push(`the call could not be hung up (${r.problem ?? 'unknown'}); its number stays held until it ends`);
      if (r.started) parts.push(`job ${r.started} dials next on that number`);
      parts.push(
        `sender ` +
          (r.notice === 'skipped'
            ? 'NOT told (no usable address)'
            : r.notice === 'queued'
              ? 'told (notice waiting in the outbox)'
              : r.notice === 'pending'
                ? 'not told yet (the notice could not be sent; faxmail run tries again)'
                : 'told'),
      );
      out(parts.join('; '));
      return EX.OK;
    }
    case 'cleanup': {
      const { cleanupSpool } = await import('../lib/admin/cleanup.js');
      const r = await cleanupSpool(config, log, { dryRun: values['dry-run'] === true });
      if (json) {
        out(JSON.stringify(r, null, 2));
        return EX.OK;
      }
      const verb = r.dryRun ? 'would remove' : 'removed';
      out(
        `cleanup: ${verb} ${r.inbound.length} received faxes, ${r.jobs.length} finished jobs, ` +
          `${r.outboxOrphans.length} orphan outbox files, ${r.staging.length} stale staging ` +
          `directories${config.archive.directory ? `, ${r.archive.length} archived faxes` : ''}`,
      );
      if (r.inboundKept.length)
        out(`cleanup: kept ${r.inboundKept.length} received faxes that were never delivered (see faxmail status)`);
      return EX.OK;
    }
  }
  throw new FaxError('usage', `Unknown command "${oneLine(command, 40)}".`);
}

/** The whole program; returns the exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, out: Print, err: Print): Promise<number> {
  let log: Logger | undefined;
  let owner = 'asterisk';
  try {
    const parsed = parseCommandLine(FAXMAIL, argv);
    if (parsed.kind !== 'run') {
      out(parsed.text);
      return EX.OK;
    }
    const { command, values, positionals } = parsed;
    if (command === 'send' || command === 'submit') {
      // Their own order of things: files opened before any switch of users, and a way in for send.group.
      const { sendCommand, submitCommand } = await import('../lib/cli/send.js');
      return command === 'send'
        ? await sendCommand(values, positionals, env, out, err)
        : await submitCommand(values, env, process.stdin, out);
    }
    const configPath = chooseConfigPath(values['config'] as string | undefined, env);
    if (command === 'doctor') {
      const { runDoctor } = await import('../lib/admin/doctor.js');
      return await runDoctor({ configPath, values, env, out });
    }
    const loaded =
      command === 'config' && values['defaults'] === true
        ? parseConfigDetailed('', '(built-in defaults)', { checkPaths: false })
        : loadConfigDetailed(configPath, { system: command === 'check-config' });
    owner = loaded.config.callfile.owner;
    if (command === 'check-config' || command === 'config') {
      // They read the configuration only: no spool, no log, nothing to switch users for.
      const { silentLogger } = await import('../lib/log.js');
      return await run(command, values, positionals, loaded, silentLogger(), out);
    }
    becomeSpoolOwner(loaded.config.paths.spool, 'faxmail');
    // An admin who may not open the log still gets the sentence on stderr; no JSON lines there.
    log = createLogger(loaded.config.paths.log, 'faxmail', 'none', loaded.config.log.level);
    return await run(command, values, positionals, loaded, log, out);
  } catch (e) {
    const denied = permissionSentence(e, 'faxmail', owner);
    const fe = denied ? new FaxError('not-allowed', denied, { cause: e }) : toFaxError(e, 'running the command');
    log?.error(
      { code: fe.code, err: fe.message, cause: fe.cause instanceof Error ? fe.cause.message : undefined },
      'faxmail failed',
    );
    // Usage and configuration problems keep their lines (one per problem); the rest is one line.
    err(`faxmail: ${fe.code === 'usage' || fe.code === 'config' ? fe.message : oneLine(fe.message)}`);
    return exitStatusFor(fe.code, 'cli');
  }
}

if (isEntryPoint(import.meta.url)) {
  // Stopped by a signal: 75 as before (scratch files removed, tools killed; the command can be run again).
  exitOnTermination(EX.TEMPFAIL);
  void runMain(main, EX.SOFTWARE).then((status) => {
    process.exitCode = status;
  });
}
