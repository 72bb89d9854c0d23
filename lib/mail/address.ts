/*
 * address.ts: which addresses faxmail hands to the mail system. Pure.
 * Recipients must be plain mailboxes (lib/mailbox.ts isMailbox; a one-label domain such as
 * root@localhost is fine): no spaces, quotes, angle brackets, commas or control characters, and no leading
 * '-', which sendmail would read as an option.
 * notify.from is "fax@example.com" or "Fax Server <fax@example.com>", parsed with nodemailer's own
 * address parser so the config check and the mailer agree. Its address is the envelope sender, checked by the
 * same mailbox rule as the recipients (lib/mailbox.ts): it may be a local address (faxmail@localhost).
 */
import addressparser from 'nodemailer/lib/addressparser';
import { FaxError } from '../errors.js';
import { isMailbox } from '../mailbox.js';

/** Split a list into usable recipients (trimmed, duplicates removed, order kept) and refused ones. */
export function sortRecipients(list: readonly string[]): { ok: string[]; refused: string[] } {
  const ok: string[] = [];
  const refused: string[] = [];
  const seen = new Set<string>();
  for (const raw of list) {
    const a = raw.trim();
    if (!isMailbox(a, { local: true })) {
      refused.push(a.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 100));
      continue;
    }
    if (seen.has(a.toLowerCase())) continue;
    seen.add(a.toLowerCase());
    ok.push(a);
  }
  return { ok, refused };
}

export interface FromAddress {
  name: string;
  address: string;
}

/** notify.from as the mailer will use it, or the reason it cannot be used. */
function parseFrom(from: string): FromAddress | string {
  const parsed = addressparser(from, { flatten: true });
  if (parsed.length !== 1 || !parsed[0])
    return (
      `must be one address like fax@example.com or "Fax Server <fax@example.com>", not ` +
      `${JSON.stringify(from.slice(0, 80))}`
    );
  const { name, address } = parsed[0];
  if (!isMailbox(address, { local: true }))
    return `must hold a plain mail address such as fax@example.com, not ${JSON.stringify(from.slice(0, 80))}`;
  if (/[\x00-\x1f\x7f]/.test(name)) return 'must not hold control characters';
  return { name: name.trim(), address };
}

/** Why notify.from cannot be used (checked when the config loads), or undefined. */
export function fromSettingProblem(from: string): string | undefined {
  const r = parseFrom(from);
  return typeof r === 'string' ? r : undefined;
}

/** The From of our mails (config.notify.from): display name and the address, also the envelope sender. */
export function fromAddress(from: string): FromAddress {
  const r = parseFrom(from);
  if (typeof r === 'string') throw new FaxError('config', `Setting "notify.from" ${r}.`);
  return r;
}

/** The envelope sender (the address of config.notify.from); a bad one is a configuration error. */
export function envelopeSender(from: string): string {
  return fromAddress(from).address;
}

/** The domain part, for Message-IDs. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1) || 'localhost';
}
