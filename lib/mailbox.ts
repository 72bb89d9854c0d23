/*
 * mailbox.ts: the syntax of a plain mailbox (user@domain), ground level: sender rules (policy/), mail
 * addresses (mail/), the config checks (config/) and the send request (cli/, sendfax/) all use it.
 * (Moved from lib/policy/sender.ts, issue 13; unchanged.)
 */

// The parts, as regex source: a local part of up to 64 characters, and one DNS label.
const LOCAL_PART = String.raw`[^\s@<>"',;:\\()[\]\x00-\x1f\x7f]{1,64}`;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?';

/** A plain mailbox: no spaces, quotes, angle brackets, commas, control chars; one @. */
const MAILBOX = new RegExp(`^${LOCAL_PART}@${LABEL}(?:\\.${LABEL})+$`);

/** The same, also with a one-label domain (root@localhost): the usual admin address on a mail server. */
const LOCAL_MAILBOX = new RegExp(`^${LOCAL_PART}@${LABEL}(?:\\.${LABEL})*$`);

export function isMailbox(address: string, options: { local?: boolean } = {}): boolean {
  return address.length <= 254 && (options.local ? LOCAL_MAILBOX : MAILBOX).test(address) && !address.startsWith('-');
}
