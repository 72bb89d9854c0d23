#!/usr/bin/env node
/*
 * faxmail-notify: run by the Asterisk dialplan (asterisk/extensions_faxmail.conf) at the end of every fax
 * call, and by cron/the admin for `flush`.
 * faxmail-notify sent --job ID --attempt N --status S --error KEY --pages N --rate BPS --resolution RES --remote-id
 * 'ID' [--mode M] [--duration S]
 *   faxmail-notify unanswered --job ID --attempt N --reason N
 * faxmail-notify received --id INID --did DID --caller-num NUM --caller-name 'NAME' --remote-id 'ID' --status S --error
 * KEY --pages N --rate BPS --resolution RES [--mode M] [--duration S]
 *   faxmail-notify flush
 *   faxmail-notify next --after CALLFILE   (started by faxmail-notify itself: lib/queue/follow.ts)
 * Every subcommand takes --config FILE (else $FAXMAIL_CONFIG, else /etc/faxmail/faxmail.toml).
 * Flags are declared in lib/cli/spec.ts (FAXMAIL_NOTIFY: a contract with the dialplan, do not rename) and
 * parsed by the parser the three commands share. It loads the config, switches from root to the spool
 * owner, makes one library call (runNotify, lib/cli/notify.ts: report parsing and the subcommands, loading
 * only the imports the subcommand needs), sends what waits in the mail
 * outbox for at most 5 s, prints one line, and exits: 0 done (also a duplicate report, a report stored for
 * later, a report about a job that is gone, and a receipt queued in the outbox), 64 usage, 75 temporary,
 * 78 config (lib/sysexits.ts, 'cli' column). A call report is stored durably before anything else
 * (lib/queue/reports.ts), so it is never lost once this program has started on it.
 */
import { isEntryPoint, runMain } from '../lib/cli/entry.js';
import { exitOnTermination } from '../lib/cli/signals.js';
import { parseNotifyArgs, runNotify } from '../lib/cli/notify.js';
import { oneLine, toFaxError } from '../lib/errors.js';
import { EX, exitStatusFor } from '../lib/sysexits.js';
import type { Logger } from '../lib/log.js';

/** The whole program; returns the exit status. Output goes through the two writers. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  let log: Logger | undefined;
  try {
    const args = parseNotifyArgs(argv);
    if (args.command === 'help') {
      out(args.text);
      return 0;
    }
    const { chooseConfigPath, loadConfig } = await import('../lib/config/load.js');
    const config = loadConfig(chooseConfigPath(args.config, env));
    const { becomeSpoolOwner } = await import('../lib/cli/privileges.js');
    becomeSpoolOwner(config.paths.spool, 'faxmail-notify');
    const { createLogger } = await import('../lib/log.js');
    log = createLogger(config.paths.log, 'faxmail-notify', 'stderr', config.log.level);
    out(`faxmail-notify: ${oneLine(await runNotify(args, config, log))}`);
    return 0;
  } catch (e) {
    const fe = toFaxError(e, 'reporting the fax result');
    log?.error(
      {
        code: fe.code,
        err: fe.message,
        cause: fe.cause instanceof Error ? fe.cause.message : undefined,
        detail: fe.detail,
      },
      'faxmail-notify failed',
    );
    err(`faxmail-notify: ${fe.code === 'usage' ? fe.message : oneLine(fe.message)}`);
    return exitStatusFor(fe.code, 'cli');
  }
}

if (isEntryPoint(import.meta.url)) {
  // Stopped by a signal: 75 (temporary); a call report stored before that is kept (lib/queue/reports.ts).
  exitOnTermination(EX.TEMPFAIL);
  void runMain(main, EX.SOFTWARE).then((status) => {
    process.exitCode = status;
  });
}
