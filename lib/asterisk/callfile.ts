/*
 * callfile.ts: build and render Asterisk call files (pbx_spool). Pure.
 * pbx_spool reads each line into a 256-byte buffer and treats ';' and '#' as comment starts, so a value
 * with CR/LF, ';', '#', a control character, or a long tail could inject keys such as `Application:`.
 * Only values that faxmail validated or made itself go in, and render refuses anything else.
 */
import { FaxError } from '../errors.js';
import { isJobId } from '../spool/job-id.js';
import type { Config } from '../config/schema.js';

/** Longest line pbx_spool reads whole: 255 bytes plus the newline. */
const MAX_LINE_BYTES = 254;

export interface CallFile {
  channel: string;
  callerId?: string;
  waitTime: number;
  maxRetries: number;
  retryTime?: number;
  /** the channel's accountcode: the job id, so `faxmail cancel` finds the live call (core show channels) */
  account?: string;
  context: string;
  extension: string;
  priority: number;
  archive: boolean;
  /** Setvar lines, in order */
  variables: [string, string][];
}

/** The [callfile] settings that shape the file (owner and group only matter when it is dropped). */
export type CallFileSettings = Omit<Config['callfile'], 'owner' | 'group'>;

const SAFE_VALUE = /^[A-Za-z0-9_.,@:/+=<>" -]*$/;
const SAFE_TOKEN = /^[A-Za-z0-9_-]+$/;
const SAFE_PATH = /^\/[A-Za-z0-9_./+-]*$/;
const CHANNEL = /^[A-Za-z][A-Za-z0-9_]*\/[A-Za-z0-9_.@:/+-]+$/;
const CALLER_ID = /^(?:"[A-Za-z0-9 ._+-]{0,40}" )?<\+?[0-9]{1,32}>$|^\+?[0-9]{1,32}$/;

/** Expand the channel template with a validated number, e.g. PJSIP/{number}@trunk. */
export function expandChannel(template: string, number: string): string {
  if (!/^\+?[0-9]{1,32}$/.test(number))
    throw new FaxError('bad-number', `"${number.slice(0, 40)}" is not a dialable number.`);
  const channel = template.split('{number}').join(number);
  if (!CHANNEL.test(channel)) {
    throw new FaxError(
      'config',
      `Setting "callfile.channel" gives "${channel.slice(0, 80)}", which is not a Tech/Destination channel.`,
    );
  }
  return channel;
}

/** The call file for one attempt of a job. */
export function buildCallFile(
  settings: CallFileSettings,
  job: { id: string; number: string; tiffPath: string; attempt: number; configPath?: string; t38?: boolean },
): CallFile {
  if (!isJobId(job.id)) throw new FaxError('internal', 'Refusing to write a call file for an invalid job id.');
  if (!SAFE_PATH.test(job.tiffPath))
    throw new FaxError(
      'config',
      `The fax file path ${job.tiffPath.slice(0, 80)} has characters a call file cannot carry; use a plain spool path.`,
    );
  for (const [key, value] of [
    ['callfile.context', settings.context],
    ['callfile.extension', settings.extension],
  ] as const) {
    if (!SAFE_TOKEN.test(value))
      throw new FaxError('config', `Setting "${key}" must be letters, digits, _ and - only.`);
  }
  if (settings.caller_id !== '' && !CALLER_ID.test(settings.caller_id)) {
    throw new FaxError(
      'config',
      'Setting "callfile.caller_id" must look like "Office Fax" <0312345678> (letters, digits, spaces, . _ + ' +
        '- in the name).',
    );
  }
  const variables: [string, string][] = [
    ['FAXMAIL_JOB', job.id],
    ['FAXMAIL_ATTEMPT', String(job.attempt)],
    ['FAXMAIL_NUMBER', job.number],
    ['FAXFILE', job.tiffPath],
  ];
  if (job.configPath && SAFE_PATH.test(job.configPath)) variables.push(['FAXMAIL_CONFIG', job.configPath]);
  // The dialplan sends audio only (SendFAX option F) when told so: see t38ForNextAttempt().
  if (job.t38 === false) variables.push(['FAXMAIL_T38', 'no']);
  const file: CallFile = {
    channel: expandChannel(settings.channel, job.number),
    waitTime: settings.wait_time,
    // Retries are faxmail's own (faxmail-notify decides by outcome); Asterisk must try exactly once.
    maxRetries: 0,
    account: job.id,
    context: settings.context,
    extension: settings.extension,
    priority: 1,
    archive: settings.archive,
    variables,
  };
  if (settings.caller_id !== '') file.callerId = settings.caller_id;
  return file;
}

/** Render a call file to text, refusing any value that could break out of its line. */
export function renderCallFile(file: CallFile): string {
  const lines: string[] = [];
  const add = (key: string, value: string): void => {
    if (!SAFE_VALUE.test(value))
      throw new FaxError('internal', `Refusing to write call-file key ${key}: its value has unsafe characters.`);
    const line = `${key}: ${value}`;
    if (Buffer.byteLength(line) > MAX_LINE_BYTES)
      throw new FaxError(
        'internal',
        `Refusing to write call-file key ${key}: the line is longer than ${MAX_LINE_BYTES} bytes.`,
      );
    lines.push(line);
  };
  add('Channel', file.channel);
  if (file.callerId !== undefined) add('CallerID', file.callerId);
  add('WaitTime', String(file.waitTime));
  add('MaxRetries', String(file.maxRetries));
  if (file.retryTime !== undefined) add('RetryTime', String(file.retryTime));
  if (file.account !== undefined) add('Account', file.account);
  add('Context', file.context);
  add('Extension', file.extension);
  add('Priority', String(file.priority));
  add('Archive', file.archive ? 'yes' : 'no');
  for (const [name, value] of file.variables) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name))
      throw new FaxError('internal', `Refusing to write call-file variable ${name}.`);
    add('Setvar', `${name}=${value}`);
  }
  return lines.join('\n') + '\n';
}

/** File name in the outgoing dir: unique per job and attempt, no dots but the suffix. */
export function callFileName(jobId: string, attempt: number): string {
  return `faxmail-${jobId}-${attempt}.call`;
}

/** Parse a call file the way pbx_spool does (for tests and the admin CLI). */
export function parseCallFile(text: string): { entries: [string, string][]; problems: string[] } {
  const entries: [string, string][] = [];
  const problems: string[] = [];
  for (const raw of text.split('\n')) {
    if (Buffer.byteLength(raw) > 255) problems.push(`line longer than 255 bytes: ${raw.slice(0, 40)}...`);
    let line = raw.replace(/\r$/, '');
    const semi = line.search(/(?<!\\);/);
    if (semi >= 0) line = line.slice(0, semi);
    const hash = line.search(/(^|\s)#/);
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line === '') continue;
    const m = /^([A-Za-z]+)\s*:\s*(.*)$/.exec(line);
    if (!m) {
      problems.push(`not a Key: value line: ${line.slice(0, 40)}`);
      continue;
    }
    entries.push([m[1]!, m[2]!.trim()]);
  }
  return { entries, problems };
}
