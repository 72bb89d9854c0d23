/*
 * sender.ts: who may send faxes, and where receipts go. Pure.
 * The allow list holds "user@example.com" (one address), "@example.com" or "example.com" (a domain),
 * "*.example.com" (its subdomains too) and "/regex/" (matched against the whole address, case-insensitive).
 * Both the From address and, when it differs, the Reply-To address must be allowed: receipts carry the fax
 * as a PDF, so an unchecked Reply-To would let anyone route a copy to themselves.
 * An empty list refuses everyone unless allow_any_sender is set. Bounces (null sender) are never faxed.
 */
import { FaxError } from '../errors.js';

export interface SenderPolicy {
  allow: readonly string[];
  allow_any_sender: boolean;
}

/** A plain mailbox: no spaces, quotes, angle brackets, commas, control chars; one @. */
const MAILBOX = /^[^\s@<>"',;:\\()[\]\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;

/** The same, also with a one-label domain (root@localhost): the usual admin address on a mail server. */
const LOCAL_MAILBOX = /^[^\s@<>"',;:\\()[\]\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;

export function isMailbox(address: string, options: { local?: boolean } = {}): boolean {
  return address.length <= 254 && (options.local ? LOCAL_MAILBOX : MAILBOX).test(address) && !address.startsWith('-');
}

function isRegexPattern(p: string): boolean {
  return p.length > 2 && p.startsWith('/') && p.endsWith('/');
}

/** A "/regex/" entry as it is matched: anchored to the whole address, case-insensitive. */
function senderRegex(p: string): RegExp {
  return new RegExp(`^(?:${p.slice(1, -1)})$`, 'i');
}

/** Why an allow-list entry cannot be used (checked when the config loads), or undefined. */
export function senderPatternProblem(pattern: string): string | undefined {
  const p = pattern.trim();
  if (p === '') return 'must not be empty';
  if (isRegexPattern(p)) {
    try {
      senderRegex(p);
      return undefined;
    } catch (err) {
      return `${JSON.stringify(p)} is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`;
    }
  }
  if (p.startsWith('/')) return `${JSON.stringify(p.slice(0, 60))} looks like a regular expression but does not end with /`;
  const lp = p.replace(/^\*\./, '').replace(/^@/, '');
  if (p.includes('@') && !p.startsWith('@')) return isMailbox(p) ? undefined : `${JSON.stringify(p.slice(0, 60))} is not a mail address`;
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/.test(lp) ? undefined : `${JSON.stringify(p.slice(0, 60))} is not an address, a domain or a /regex/`;
}

/** Does one allow-list entry match the address? */
export function matchesSenderPattern(address: string, pattern: string): boolean {
  const a = address.toLowerCase();
  const domain = a.slice(a.lastIndexOf('@') + 1);
  const p = pattern.trim();
  if (isRegexPattern(p)) return senderRegex(p).test(address);
  const lp = p.toLowerCase();
  if (lp.startsWith('*.')) return domain === lp.slice(2) || domain.endsWith(lp.slice(1));
  if (lp.startsWith('@')) return domain === lp.slice(1);
  if (!lp.includes('@')) return domain === lp;
  return a === lp;
}

export interface SenderDecision {
  /** where receipts go */
  replyTo: string;
  replyName: string;
}

/**
 * Decide whether this mail may become a fax.
 * `envelopeSender` is Postfix's ${sender} ('' or MAILER-DAEMON for bounces).
 */
export function authorizeSender(
  input: { envelopeSender: string; from?: { address: string; name: string }; replyTo?: { address: string; name: string } },
  policy: SenderPolicy,
): SenderDecision {
  const env = input.envelopeSender.trim();
  if (env === '' || env === '<>' || /^mailer-daemon(@|$)/i.test(env)) {
    throw new FaxError('sender-refused', 'Bounce messages are not faxed.');
  }
  const from = input.from?.address.trim() ?? '';
  if (!isMailbox(from)) {
    throw new FaxError('sender-refused', 'Your message has no usable From address, so it cannot be faxed.');
  }
  const reply = input.replyTo?.address.trim() || from;
  if (!isMailbox(reply)) {
    throw new FaxError('sender-refused', 'The Reply-To address of your message is not a valid address, so it cannot be faxed.');
  }
  const allowed = (addr: string): boolean => (policy.allow.length === 0 ? policy.allow_any_sender : policy.allow.some((p) => matchesSenderPattern(addr, p)));
  if (!allowed(from)) {
    throw new FaxError('sender-refused', `${from} is not allowed to send faxes through this server. Ask your administrator to add you.`);
  }
  if (reply.toLowerCase() !== from.toLowerCase() && !allowed(reply)) {
    throw new FaxError('sender-refused', `The Reply-To address ${reply} is not allowed to receive fax receipts from this server; send without Reply-To or ask your administrator.`);
  }
  const name = (input.replyTo?.address ? input.replyTo.name : input.from?.name) ?? '';
  return { replyTo: reply, replyName: name.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 100) };
}
