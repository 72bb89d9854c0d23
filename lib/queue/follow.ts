/*
 * follow.ts: the next call after a call ends. faxmail-notify runs inside the call it reports (the dialplan's
 * hangup handler or `failed` extension), so while it applies the report that call still holds its channel
 * (the trunk hangs up only when the dialplan is done) and its call file (Asterisk removes it last). The
 * dispatcher counts such a call as `finishing` (apply.ts), so starting the next call there would put one
 * call too many on the trunk. Instead faxmail-notify starts a follower (`faxmail-notify next --after FILE`,
 * detached: the dialplan does not wait for it) that waits until Asterisk has removed the call file, i.e. the
 * call has ended (and, when Asterisk's channel list can be read, until no channel of the job is left: a call
 * file removed by hand goes before its call does), and then runs the dispatcher. If the follower dies or
 * gives up, `faxmail run` (the timer)
 * starts the call instead: nothing is lost, only up to 30 s.
 * spawnFollower never throws (a follower that cannot start is logged); waitForCallFileGone resolves false
 * when the file is still there after `timeoutMs`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { CALL_FILE } from './records.js';

/** How long a follower waits for Asterisk to end the call (receipts sent by faxmail-notify count too). */
const FOLLOW_TIMEOUT_MS = 5 * 60_000;

/** Start `faxmail-notify next --after NAME` in the background (the program running now is faxmail-notify). */
export function spawnFollower(config: Readonly<Config>, callFile: string, log: Logger): void {
  if (!CALL_FILE.test(callFile)) return;
  const script = process.argv[1];
  if (!script) return;
  try {
    const child = spawn(
      process.execPath,
      [script, 'next', '--after', callFile, ...(config.source ? ['--config', config.source] : [])],
      {
        detached: true,
        stdio: 'ignore',
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...(process.env['TZ'] ? { TZ: process.env['TZ'] } : {}) },
        cwd: '/',
      },
    );
    child.on('error', (err) =>
      log.warn(
        { err: err.message, callfile: callFile },
        'could not start the follower; faxmail run starts the next call',
      ),
    );
    child.unref();
  } catch (err) {
    log.warn(
      { err: err instanceof Error ? err.message : String(err), callfile: callFile },
      'could not start the follower; faxmail run starts the next call',
    );
  }
}

/** Resolve true once outgoing/<callFile> is gone (the call has ended), false after `timeoutMs`. */
export async function waitForCallFileGone(
  config: Readonly<Config>,
  callFile: string,
  timeoutMs = FOLLOW_TIMEOUT_MS,
  everyMs = 100,
): Promise<boolean> {
  const file = join(config.paths.outgoing, callFile);
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!existsSync(file)) return true;
    // The spool went away (a test root removed, faxmail uninstalled): nothing left to follow.
    if (!existsSync(config.paths.spool)) return false;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Resolve true once Asterisk shows no channel of the job of `callFile` (or its channel list cannot be read:
 * then the call file alone has to do), false when one is still there after `timeoutMs`.
 */
export async function waitForChannelsGone(
  config: Readonly<Config>,
  callFile: string,
  log: Logger,
  timeoutMs = FOLLOW_TIMEOUT_MS,
  everyMs = 200,
): Promise<boolean> {
  const job = CALL_FILE.exec(callFile)?.[1];
  if (!job) return true;
  const { readChannels } = await import('./apply.js');
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ch = await readChannels(config, log);
    if (!ch?.liveJobs?.has(job)) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
