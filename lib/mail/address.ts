/*
 * address.ts: which addresses faxmail hands to the mail system. Pure.
 * Recipients must be plain mailboxes (lib/policy/sender.ts isMailbox; a one-label domain such as
 * root@localhost is fine): no spaces, quotes, angle brackets, commas or control characters, and no leading
 * '-', which sendmail would read as an option.
 * The envelope sender is the admin's notify.from; it may be a local address without a dot
 * (faxmail@localhost), so it gets the same character rules without the domain shape.
 */
import { FaxError } from '../errors.js';
import { isMailbox } from '../policy/sender.js';

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

const ENVELOPE_SENDER = /^[^\s@<>"'`,;:\\()[\]\x00-\x1f\x7f-][^\s@<>"'`,;:\\()[\]\x00-\x1f\x7f]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/;

/** The envelope sender (config.notify.from), checked; a bad one is a configuration error. */
export function envelopeSender(from: string): string {
  const a = from.trim();
  if (!ENVELOPE_SENDER.test(a)) {
    throw new FaxError('config', `Setting "notify.from" must be a plain mail address such as fax@example.com, not ${JSON.stringify(from.slice(0, 80))}.`);
  }
  return a;
}

/** The domain part, for Message-IDs. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1) || 'localhost';
}
