#!/usr/bin/env node
/*
 * faxmail-notify: run by the Asterisk dialplan (asterisk/extensions_faxmail.conf) at the end of every fax
 * call, and by cron/the admin for `flush`.
 *   faxmail-notify sent --job ID --attempt N --status S --error KEY --pages N --rate BPS --resolution RES --remote-id 'ID' [--duration S]
 *   faxmail-notify unanswered --job ID --attempt N --reason N
 *   faxmail-notify received --id INID --did DID --caller-num NUM --caller-name 'NAME' --remote-id 'ID' --status S --error KEY --pages N --rate BPS --resolution RES [--duration S]
 *   faxmail-notify flush
 * Every subcommand takes --config FILE (else $FAXMAIL_CONFIG, else /etc/faxmail/faxmail.toml).
 * It parses argv (a small hand parser: this runs once per call, so no yargs and only the imports the
 * subcommand needs), loads the config, first flushes the mail outbox for a bounded time, makes one library
 * call, prints one line, and exits: 0 done (also a duplicate report, and a receipt queued in the outbox),
 * 64 usage, 66 unknown job, 75 temporary, 78 config (lib/sysexits.ts, 'cli' column).
 */
import { runIfEntryPoint } from '../lib/cli/entry.js';
import { FaxError, oneLine, toFaxError } from '../lib/errors.js';
import { exitStatusFor } from '../lib/sysexits.js';
import type { Config } from '../lib/config/schema.js';
import type { Logger } from '../lib/log.js';

export type Subcommand = 'sent' | 'unanswered' | 'received' | 'flush';

const FLAGS: Record<Subcommand, { required: string[]; optional: string[] }> = {
  sent: { required: ['job', 'attempt', 'status', 'error', 'pages', 'rate', 'resolution', 'remote-id'], optional: ['duration'] },
  unanswered: { required: ['job', 'attempt', 'reason'], optional: [] },
  received: { required: ['id', 'did', 'caller-num', 'caller-name', 'remote-id', 'status', 'error', 'pages', 'rate', 'resolution'], optional: ['duration'] },
  flush: { required: [], optional: [] },
};

export const USAGE = `usage: faxmail-notify sent|unanswered|received|flush [--config FILE] --name value ...
  sent        --job ID --attempt N --status S --error KEY --pages N --rate BPS --resolution RES --remote-id ID [--duration S]
  unanswered  --job ID --attempt N --reason N
  received    --id INID --did DID --caller-num NUM --caller-name NAME --remote-id ID --status S --error KEY --pages N --rate BPS --resolution RES [--duration S]
  flush`;

export interface ParsedArgs {
  command: Subcommand;
  config?: string;
  values: Record<string, string>;
}

/**
 * Parse argv (without node and the script). Every flag takes exactly one value, the next argument
 * as it is (so a station id of "-x" or "" is a value, never a flag), or --name=value.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  // Call reports are stored whatever their values; only a flag that is not a flag is refused (see parseReportArgs).
  if (command === 'sent' || command === 'unanswered') return parseReportArgs(command, rest);
  if (command === undefined || !(command in FLAGS)) throw new FaxError('usage', `Unknown or missing subcommand${command ? ` "${oneLine(command, 40)}"` : ''}.\n${USAGE}`);
  const spec = FLAGS[command as Subcommand];
  const allowed = new Set([...spec.required, ...spec.optional, 'config']);
  const values: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new FaxError('usage', `Unexpected argument "${oneLine(arg, 40)}".\n${USAGE}`);
    const name = m[1]!;
    if (!allowed.has(name)) throw new FaxError('usage', `Unknown option --${name} for "${command}".\n${USAGE}`);
    let value = m[2];
    if (value === undefined) {
      if (i + 1 >= rest.length) throw new FaxError('usage', `Option --${name} needs a value.`);
      value = rest[++i]!;
    }
    if (name in values) throw new FaxError('usage', `Option --${name} was given twice.`);
    values[name] = value;
  }
  const missing = spec.required.filter((r) => !(r in values));
  if (missing.length > 0) throw new FaxError('usage', `Missing ${missing.map((m) => `--${m}`).join(', ')} for "${command}".\n${USAGE}`);
  const parsed: ParsedArgs = { command: command as Subcommand, values };
  if (values['config'] !== undefined) parsed.config = values['config'];
  return parsed;
}

/**
 * A call report's flags, leniently: every --name value pair is kept as given (a missing or unreadable value
 * is shown as unknown when the report is applied, lib/queue/reports.ts), so one bad field never loses the
 * result of a call. Refused: a flag that is not of our form, a flag without its value, one given twice.
 */
function parseReportArgs(command: 'sent' | 'unanswered', rest: readonly string[]): ParsedArgs {
  const known = new Set([...FLAGS[command].required, ...FLAGS[command].optional, 'config']);
  const values: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(rest[i]!);
    if (!m || !known.has(m[1]!)) throw new FaxError('usage', `Unexpected argument "${oneLine(rest[i]!, 40)}".\n${USAGE}`);
    let value = m[2];
    if (value === undefined) {
      if (i + 1 >= rest.length) throw new FaxError('usage', `Option --${m[1]} needs a value.`);
      value = rest[++i]!;
    }
    if (m[1]! in values) throw new FaxError('usage', `Option --${m[1]} was given twice.`);
    values[m[1]!] = value;
  }
  const parsed: ParsedArgs = { command, values };
  if (values['config'] !== undefined) parsed.config = values['config'];
  delete values['config'];
  return parsed;
}

/** A whole number from an argument; empty means `empty` (FAXOPT values are empty when a call fails early). */
export function intArg(values: Record<string, string>, name: string, empty?: number): number {
  const raw = (values[name] ?? '').trim();
  if (raw === '' && empty !== undefined) return empty;
  if (!/^[0-9]{1,9}$/.test(raw)) throw new FaxError('usage', `Option --${name} must be a whole number, not "${oneLine(raw, 20)}".`);
  return Number(raw);
}

function optionalInt(values: Record<string, string>, name: string): number | undefined {
  const raw = (values[name] ?? '').trim();
  return raw === '' ? undefined : intArg(values, name);
}

async function run(args: ParsedArgs, config: Readonly<Config>, log: Logger): Promise<string> {
  const v = args.values;
  if (args.command === 'flush') {
    const { flushOutbox } = await import('../lib/mail/deliver.js');
    const r = await flushOutbox(config, log);
    return `outbox: ${r.sent} sent, ${r.failed} failed, ${r.remaining} waiting`;
  }
  // Mail that waits in the outbox goes first, for a bounded time: a mail server that is down must not
  // hold up the report of a call.
  try {
    const { flushOutbox } = await import('../lib/mail/deliver.js');
    await flushOutbox(config, log, { timeLimitMs: 5000 });
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox flush failed');
  }
  if (args.command === 'received') {
    const { handleReceived } = await import('../lib/inbound/receive.js');
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
      ...(optionalInt(v, 'duration') !== undefined ? { duration: optionalInt(v, 'duration')! } : {}),
    };
    const r = await handleReceived(config, report, log);
    return `received ${report.id}: ${describeReceived(r)}`;
  }
  return reportCall(args.command, v, config, log);
}

/**
 * A call report: stored durably first (from then on the result cannot be lost), then applied under the
 * queue lock. If the lock stays busy the report waits for `faxmail run`; either way the exit status is 0.
 */
async function reportCall(kind: 'sent' | 'unanswered', values: Record<string, string>, config: Readonly<Config>, log: Logger): Promise<string> {
  const [{ storeReport, applyStoredReport }, { spoolPaths, ensureSpool }, { tryLock }, { queueLockPath }, outbound] = await Promise.all([
    import('../lib/queue/reports.js'),
    import('../lib/spool/jobs.js'),
    import('../lib/spool/lock.js'),
    import('../lib/queue/records.js'),
    import('../lib/notify/outbound.js'),
  ]);
  const paths = spoolPaths(config.paths.spool);
  await ensureSpool(paths);
  const stored = await storeReport(paths, kind, values);
  log.info({ job: values['job'], attempt: values['attempt'], report: stored.name, duplicate: stored.duplicate }, 'call report stored');
  if (stored.name.startsWith('unmatched-')) return `report stored as ${stored.name}: its job id or attempt cannot be read; see faxmail status`;
  const lock = await tryLock(queueLockPath(paths), 10_000);
  if (!lock) return `report ${stored.name} stored; the queue is busy, faxmail run will apply it`;
  const { listPendingReports, sendOwedReceipt } = await import('../lib/queue/reports.js');
  const applied: Awaited<ReturnType<typeof applyStoredReport>>[] = [];
  try {
    // Ours (or, for a duplicate, the first of the same name) and any others left by a busy lock or a crash.
    for (const name of (await listPendingReports(paths)).pending) applied.push(await applyStoredReport(config, paths, name, log));
  } finally {
    await lock.release();
  }
  // Receipts after the lock: a slow mail server must not hold up the queue.
  for (const a of applied) await sendOwedReceipt(config, paths, a, log);
  const ours = applied.find((a) => a.name === stored.name);
  if (!ours) return `report ${stored.name}: already recorded, nothing to do`;
  return ours.result ? outbound.describeResult(ours.result) : `report ${ours.name}: no such job in the spool`;
}

function describeReceived(r: unknown): string {
  if (r && typeof r === 'object' && 'summary' in r && typeof (r as { summary: unknown }).summary === 'string') return (r as { summary: string }).summary;
  return 'done';
}

/** The whole program; returns the exit status. Output goes through the two writers. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let log: Logger | undefined;
  try {
    if (argv[0] === '--help' || argv[0] === '-h') {
      out(USAGE);
      return 0;
    }
    const args = parseArgs(argv);
    const { chooseConfigPath, loadConfig } = await import('../lib/config/load.js');
    const config = loadConfig(chooseConfigPath(args.config, env));
    const { createLogger } = await import('../lib/log.js');
    log = createLogger(config.paths.log, 'faxmail-notify', 'stderr');
    out(`faxmail-notify: ${oneLine(await run(args, config, log))}`);
    return 0;
  } catch (e) {
    const fe = toFaxError(e, 'reporting the fax result');
    log?.error({ code: fe.code, err: fe.message, cause: fe.cause instanceof Error ? fe.cause.message : undefined, detail: fe.detail }, 'faxmail-notify failed');
    err(`faxmail-notify: ${fe.code === 'usage' ? fe.message : oneLine(fe.message)}`);
    return exitStatusFor(fe.code, 'cli');
  }
}

runIfEntryPoint(import.meta.url, main, 70);
