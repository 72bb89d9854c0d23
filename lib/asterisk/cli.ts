/*
 * cli.ts: faxmail talks to a running Asterisk through its CLI: `asterisk [-C asterisk.conf] -rx COMMAND`
 * ([asterisk] binary and config in faxmail.toml). Used to find and hang up the live call of a job: call
 * files carry `Account: <job id>`, which Asterisk shows as the channel's accountcode.
 * The remote console connects to Asterisk's control socket, which only root and the Asterisk user may use.
 * Fails with FaxError('temporary') when Asterisk cannot be reached (not running, no permission, timeout).
 * parseConcise is pure.
 */
import { execFile } from 'node:child_process';
import { FaxError } from '../errors.js';
import { isJobId } from '../spool/job-id.js';
import type { Config } from '../config/schema.js';

export type AsteriskSettings = Config['asterisk'];

/** One channel from `core show channels concise` (fields separated by '!'). */
export interface ChannelInfo {
  name: string;
  context: string;
  exten: string;
  state: string;
  application: string;
  accountCode: string;
  /** seconds since the channel was created */
  duration: number;
}

/** Run one CLI command; resolves to its output. */
export function runCli(settings: AsteriskSettings, command: string): Promise<string> {
  if (settings.binary === '')
    return Promise.reject(
      new FaxError('config', 'Setting "asterisk.binary" is empty, so faxmail cannot reach Asterisk.'),
    );
  if (/[\r\n\0]/.test(command))
    return Promise.reject(new FaxError('internal', 'Refusing a CLI command with a line break.'));
  const argv = [...(settings.config ? ['-C', settings.config] : []), '-rx', command];
  return new Promise((resolve, reject) => {
    execFile(
      settings.binary,
      argv,
      {
        timeout: settings.cli_timeout * 1000,
        killSignal: 'SIGKILL',
        maxBuffer: 4 * 1024 * 1024,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
      (err, stdout, stderr) => {
        // The remote console prints "Unable to connect to remote asterisk" and exits non-zero when it cannot.
        const text = `${stdout}${stderr}`;
        if (err || /Unable to connect to remote asterisk/i.test(text)) {
          const why = /Unable to connect/i.test(text)
            ? 'Asterisk is not running, or this user may not use its control socket'
            : err
              ? err.message.split('\n')[0]
              : 'no answer';
          reject(
            new FaxError('temporary', `Asterisk's CLI (${settings.binary} -rx) cannot be reached: ${why}.`, {
              cause: err ?? undefined,
            }),
          );
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/** Parse `core show channels concise`. Pure. */
export function parseConcise(output: string): ChannelInfo[] {
  const out: ChannelInfo[] = [];
  for (const line of output.split('\n')) {
    const f = line.split('!');
    // Channel!Context!Exten!Priority!State!Application!Data!CallerID!Accountcode!PeerAccount!AMAFlags!Duration!
    // BridgeID!Uniqueid
    if (f.length < 12 || !f[0]) continue;
    out.push({
      name: f[0],
      context: f[1] ?? '',
      exten: f[2] ?? '',
      state: f[4] ?? '',
      application: f[5] ?? '',
      accountCode: f[8] ?? '',
      duration: Number(f[11]) || 0,
    });
  }
  return out;
}

/** The live channels of a job (accountcode = job id). */
async function jobChannels(settings: AsteriskSettings, job: string): Promise<ChannelInfo[]> {
  if (!isJobId(job)) throw new FaxError('usage', `"${job.slice(0, 60)}" is not a faxmail job id.`);
  return parseConcise(await runCli(settings, 'core show channels concise')).filter((c) => c.accountCode === job);
}

/** Ask Asterisk to hang up the live call(s) of a job; resolves to the channel names it was asked to end. */
export async function hangupJob(settings: AsteriskSettings, job: string): Promise<string[]> {
  const channels = await jobChannels(settings, job);
  for (const c of channels) {
    // Channel names are Asterisk's own (Tech/resource-id;n); refuse anything that could break the command.
    if (!/^[A-Za-z0-9_./@:;+-]+$/.test(c.name)) continue;
    await runCli(settings, `channel request hangup ${c.name}`);
  }
  return channels.map((c) => c.name);
}
