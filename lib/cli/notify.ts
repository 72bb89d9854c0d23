/*
 * notify.ts: the library side of faxmail-notify (bin/faxmail-notify.ts only parses, loads the config, calls
 * runNotify and prints). Reads the dialplan's report flags (the contract is FAXMAIL_NOTIFY in spec.ts) and
 * hands each subcommand to its feature: call reports to the queue (lib/queue/reports.ts, apply.ts), received
 * faxes to lib/inbound/receive.ts, the follower to lib/queue/follow.ts, the outbox to lib/mail/deliver.ts.
 * Moved here from the bin (issue 13); unchanged. Only the imports a subcommand needs are loaded.
 */
import { parseCommandLine } from './parser.js';
import { FAXMAIL_NOTIFY } from './spec.js';
import { FaxError, oneLine } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';

export type Subcommand = 'sent' | 'unanswered' | 'received' | 'flush' | 'next';

export interface ParsedArgs {
  command: Subcommand;
  config?: string;
  values: Record<string, string>;
}

/**
 * Parse argv (without node and the script) with the parser all three commands share (lib/cli/parser.ts,
 * flags from lib/cli/spec.ts). Every flag takes exactly one value, the next argument as it is (so a station
 * id of "-x" or "" is a value, never a flag), or --name=value. Help and version come back as 'help'.
 */
export function parseNotifyArgs(argv: readonly string[]): ParsedArgs | { command: 'help'; text: string } {
  const parsed = parseCommandLine(FAXMAIL_NOTIFY, argv);
  if (parsed.kind !== 'run') return { command: 'help', text: parsed.text };
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.values)) if (typeof v === 'string' && k !== 'config') values[k] = v;
  const out: ParsedArgs = { command: parsed.command as Subcommand, values };
  if (typeof parsed.values['config'] === 'string') out.config = parsed.values['config'];
  return out;
}

/** parseNotifyArgs for a call that must be a report (tests, the dialplan's argv); help is a usage error here. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const p = parseNotifyArgs(argv);
  if (p.command === 'help') throw new FaxError('usage', 'Help or version was asked for, not a report.');
  return p;
}

/** A whole number from an argument; empty means `empty` (FAXOPT values are empty when a call fails early). */
export function intArg(values: Record<string, string>, name: string, empty?: number): number {
  const raw = (values[name] ?? '').trim();
  if (raw === '' && empty !== undefined) return empty;
  if (!/^[0-9]{1,9}$/.test(raw))
    throw new FaxError('usage', `Option --${name} must be a whole number, not "${oneLine(raw, 20)}".`);
  return Number(raw);
}

function optionalInt(values: Record<string, string>, name: string): number | undefined {
  const raw = (values[name] ?? '').trim();
  return raw === '' ? undefined : intArg(values, name);
}

/**
 * One faxmail-notify run after the config is loaded: store and apply a call report, deliver a received fax,
 * follow a call's end, or flush the outbox. Returns the one line the program prints.
 */
export async function runNotify(args: ParsedArgs, config: Readonly<Config>, log: Logger): Promise<string> {
  const v = args.values;
  if (args.command === 'flush') {
    const { flushOutbox } = await import('../mail/deliver.js');
    const r = await flushOutbox(config, log);
    return `outbox: ${r.sent} sent, ${r.failed} failed, ${r.remaining} waiting`;
  }
  if (args.command === 'next') {
    const line = await follow(v, config, log);
    await flushBriefly(config, log);
    return line;
  }
  if (args.command === 'sent' || args.command === 'unanswered') {
    // The report first: nothing may stand between the end of a call and its durable record.
    const line = await reportCall(args.command, v, config, log);
    await flushBriefly(config, log);
    return line;
  }
  // Mail that waits in the outbox goes first, for a bounded time.
  await flushBriefly(config, log);
  if (args.command === 'received') {
    const { handleReceived } = await import('../inbound/receive.js');
    const report = {
      id: v['id']!,
      did: v['did']!,
      callerNum: v['caller-num']!,
      callerName: v['caller-name']!,
      remoteId: v['remote-id']!,
      status: v['status']!,
      error: v['error']!,
      pages: intArg(v, 'pages', 0),
      rate: intArg(v, 'rate', 0),
      resolution: v['resolution']!,
      ...(v['mode'] ? { mode: v['mode'] } : {}),
      ...(optionalInt(v, 'duration') !== undefined ? { duration: optionalInt(v, 'duration')! } : {}),
    };
    const r = await handleReceived(config, report, log);
    return `received ${report.id}: ${describeReceived(r)}`;
  }
  throw new FaxError('usage', `Unknown command "${oneLine(args.command, 40)}".`);
}

/** Send what waits in the outbox, for at most 5 s: a mail server that is down must not hold up a call. */
async function flushBriefly(config: Readonly<Config>, log: Logger): Promise<void> {
  try {
    const { flushOutbox } = await import('../mail/deliver.js');
    await flushOutbox(config, log, { timeLimitMs: 5000 });
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox flush failed');
  }
}

/**
 * A call report: stored durably first (from then on the result cannot be lost), then applied under the
 * queue lock together with any other stored report, and the dispatcher run in the same lock hold (a retry
 * is queued with its time; a free channel goes to the next job). If the lock stays busy the report waits
 * for the follower or `faxmail run`; either way the exit status is 0. Receipts go out after the lock.
 * This call still holds its channel until the dialplan is done with us: the follower starts whatever its
 * end lets dial (lib/queue/follow.ts).
 */
async function reportCall(
  kind: 'sent' | 'unanswered',
  values: Record<string, string>,
  config: Readonly<Config>,
  log: Logger,
): Promise<string> {
  const [
    { storeReport },
    { spoolPaths },
    { tryLock },
    { queueLockPath },
    { dispatchLocked, sendOwed },
    { spawnFollower },
    { callFileName },
    outbound,
  ] = await Promise.all([
    import('../queue/reports.js'),
    import('../spool/jobs.js'),
    import('../spool/lock.js'),
    import('../queue/records.js'),
    import('../queue/apply.js'),
    import('../queue/follow.js'),
    import('../asterisk/callfile.js'),
    import('../notify/outbound.js'),
  ]);
  const paths = spoolPaths(config.paths.spool);
  // storeReport makes its own directories: nothing else (a full disk, a broken outbox) may stop the record.
  const stored = await storeReport(paths, kind, values);
  log.info(
    { job: values['job'], attempt: values['attempt'], report: stored.name, duplicate: stored.duplicate },
    'call report stored',
  );
  if (stored.name.startsWith('unmatched-'))
    return `report stored as ${stored.name}: its job id or attempt cannot be read; see faxmail status`;
  const ourFile = callFileName(values['job']!, Number(values['attempt']));
  const lock = await tryLock(queueLockPath(paths), 10_000);
  if (!lock) {
    spawnFollower(config, ourFile, log);
    return (
      `report ${stored.name} stored; the queue is busy, it is applied when this call has ended (or by ` + `faxmail run)`
    );
  }
  let run: Awaited<ReturnType<typeof dispatchLocked>>;
  try {
    run = await dispatchLocked(config, paths, log, { channels: 'when-starting' });
  } finally {
    await lock.release();
  }
  // Receipts after the lock: a slow mail server must not hold up the queue.
  await sendOwed(config, run, log);
  // Our call ends when we return: the follower dispatches once Asterisk has removed its call file.
  if (
    run.finishing.some((f) => f.job === values['job']) &&
    run.waits.some((w) => w.reason === 'channels' || w.reason === 'number')
  )
    spawnFollower(config, ourFile, log);
  const ours = run.reports.find((a) => a.name === stored.name);
  if (!ours) return `report ${stored.name}: already recorded, nothing to do`;
  return ours.result
    ? outbound.describeResult(ours.result, run.started)
    : `report ${ours.name}: no such job in the spool`;
}

/** The follower (lib/queue/follow.ts): once the call of `after` has ended, run the dispatcher. */
async function follow(values: Record<string, string>, config: Readonly<Config>, log: Logger): Promise<string> {
  const [{ waitForCallFileGone, waitForChannelsGone }, { runDispatcher, sendOwed }] = await Promise.all([
    import('../queue/follow.js'),
    import('../queue/apply.js'),
  ]);
  const after = values['after'] ?? '';
  if (!/^faxmail-[0-9a-z-]+\.call$/.test(after))
    throw new FaxError('usage', `--after takes a faxmail call-file name, not "${oneLine(after, 60)}".`);
  if (!(await waitForCallFileGone(config, after)) || !(await waitForChannelsGone(config, after, log))) {
    log.warn({ callfile: after }, 'the call has not ended; faxmail run starts the next call');
    return `${after} has not ended (its call file or channel is still there); faxmail run starts the next call`;
  }
  const run = await runDispatcher(config, log, { channels: 'always' });
  await sendOwed(config, run, log);
  return `${after} ended: ${run.reports.length} reports applied, ${run.started.length} calls started`;
}

function describeReceived(r: unknown): string {
  if (r && typeof r === 'object' && 'summary' in r && typeof (r as { summary: unknown }).summary === 'string')
    return (r as { summary: string }).summary;
  return 'done';
}
