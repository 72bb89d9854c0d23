/*
 * transport.ts: hand one rendered message to the mail system, per config.mail.transport:
 *   sendmail   the local MTA's sendmail binary (Postfix), argv `-i -f FROM TO...`, message on stdin
 *   smtp       nodemailer's SMTP client, every step bounded by mail.smtp_timeout
 *   directory  one .eml file per message in mail.directory, written atomically (tests, the demo)
 * sendmail is run here with execa rather than through nodemailer's sendmail transport: that transport has
 * no time limit (a hung sendmail would hang faxmail-notify, and with it Asterisk's hangup handler) and
 * drops sendmail's stderr, the only explanation an admin gets in `faxmail status`. The argv is the same.
 * Fails with DeliveryError; `serverWide` says whether later messages would fail the same way (mail server
 * down, sendmail missing), so a flush can stop early instead of waiting out every timeout.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
// nodemailer and execa load only when a message goes out that way (issue 13: sendfax imports this module
// for its notices but mails nothing on the usual path; the two are ~570 KB of the bundle).
import type { Config } from '../config/schema.js';
import { oneLine } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic.js';
import { isMailbox } from '../mailbox.js';
import type { Envelope } from './types.js';

export class DeliveryError extends Error {
  readonly serverWide: boolean;
  constructor(message: string, serverWide: boolean, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.serverWide = serverWide;
  }
}

/** sendmail's argv. Every address was checked (no leading '-', no spaces); checked again here. Pure. */
export function sendmailArgs(envelope: Envelope): string[] {
  for (const a of [envelope.from, ...envelope.to]) {
    if (a.startsWith('-') || /[\s\x00-\x1f\x7f]/.test(a))
      throw new DeliveryError(`refusing to pass ${JSON.stringify(a.slice(0, 60))} to sendmail`, false);
  }
  if (envelope.to.length === 0 || !envelope.to.every((a) => isMailbox(a, { local: true })))
    throw new DeliveryError('no valid recipient for sendmail', false);
  // -i: a line with a single dot does not end the message.
  return ['-i', '-f', envelope.from, ...envelope.to];
}

/** nodemailer SMTP options from the config; timeouts in ms, capped by `limitMs`. Pure. */
export function smtpOptions(mail: Readonly<Config['mail']>, limitMs?: number) {
  const step = Math.max(1000, Math.min(mail.smtp_timeout * 1000, limitMs ?? Infinity));
  return {
    host: mail.smtp_host,
    port: mail.smtp_port,
    secure: mail.smtp_secure,
    requireTLS: mail.smtp_starttls,
    // Without smtp_starttls, STARTTLS is still used when offered, but a failed upgrade (a local
    // server's self-signed certificate) does not stop the mail.
    opportunisticTLS: !mail.smtp_starttls,
    ...(mail.smtp_user ? { auth: { user: mail.smtp_user, pass: mail.smtp_password } } : {}),
    connectionTimeout: step,
    greetingTimeout: step,
    socketTimeout: step,
    dnsTimeout: step,
    logger: false,
    debug: false,
  } as const;
}

/** Did the SMTP server itself answer (a per-message refusal), or was it unreachable? */
function smtpFailure(err: unknown): DeliveryError {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  // Only a refusal of this message's recipients or content concerns this message alone; 421 (service
  // not available), authentication, TLS and connection failures would stop every message.
  const answered =
    typeof e.responseCode === 'number' && e.responseCode !== 421 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE');
  const text = e.response ? `${e.response}` : (e.message ?? String(err));
  return new DeliveryError(oneLine(`SMTP ${e.code ?? 'error'}: ${text}`, 300), !answered, { cause: err });
}

async function viaSmtp(config: Readonly<Config>, envelope: Envelope, raw: Buffer, limitMs?: number): Promise<string> {
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport(smtpOptions(config.mail, limitMs));
  try {
    const info = await transport.sendMail({ envelope: { from: envelope.from, to: [...envelope.to] }, raw });
    return oneLine(String(info.response ?? 'sent'), 200);
  } catch (err) {
    throw smtpFailure(err);
  } finally {
    transport.close();
  }
}

async function viaSendmail(
  config: Readonly<Config>,
  envelope: Envelope,
  raw: Buffer,
  limitMs?: number,
): Promise<string> {
  const args = sendmailArgs(envelope);
  // sendmail reads a UNIX mailbox-style message: LF line ends.
  const input = Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  const timeout = Math.max(1000, Math.min(config.mail.smtp_timeout * 1000, limitMs ?? Infinity));
  const { execa } = await import('execa');
  const r = await execa(config.paths.sendmail, args, { input, reject: false, timeout, stdout: 'pipe', stderr: 'pipe' });
  if (!r.failed) return 'queued by sendmail';
  const bin = config.paths.sendmail;
  if (r.code === 'ENOENT') throw new DeliveryError(`sendmail not found at ${bin}`, true);
  if (r.timedOut) throw new DeliveryError(`${bin} did not finish within ${timeout / 1000} s`, true);
  const why =
    r.exitCode !== undefined ? `exit ${r.exitCode}` : r.signal ? `killed by ${r.signal}` : (r.code ?? 'failed');
  const said = oneLine(`${r.stderr} ${r.stdout}`.trim(), 250);
  throw new DeliveryError(`${bin} ${why}${said ? `: ${said}` : ''}`, true);
}

async function intoDirectory(config: Readonly<Config>, raw: Buffer): Promise<string> {
  const dir = config.mail.directory;
  await mkdir(dir, { recursive: true });
  const name = `${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(6).toString('hex')}.eml`;
  try {
    await writeFileAtomic(join(dir, name), raw, { mode: 0o640 });
  } catch (err) {
    throw new DeliveryError(
      `cannot write ${join(dir, name)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      true,
      { cause: err },
    );
  }
  return `written to ${name}`;
}

/** Deliver one rendered message. Resolves with a short note for the log; rejects with DeliveryError. */
export async function deliverRaw(
  config: Readonly<Config>,
  envelope: Envelope,
  raw: Buffer,
  opts: { limitMs?: number } = {},
): Promise<string> {
  switch (config.mail.transport) {
    case 'smtp':
      return viaSmtp(config, envelope, raw, opts.limitMs);
    case 'sendmail':
      return viaSendmail(config, envelope, raw, opts.limitMs);
    case 'directory':
      return intoDirectory(config, raw);
  }
}
