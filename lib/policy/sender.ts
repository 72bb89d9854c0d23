/*
 * sender.ts: who may send faxes, and where receipts go. Pure.
 * The allow list holds "user@example.com" (one address), "@example.com" or "example.com" (a domain),
 * "*.example.com" (its subdomains too) and "/regex/" (matched against the WHOLE address, case-insensitive:
 * it is anchored, so "/@example\.com/" matches no address and "/.*@example\.com/" matches the domain;
 * patterns are compiled when the configuration loads, and a broken one fails loading with the key's name).
 * Every author must be allowed: every From address, the Sender header when there is one, and every
 * Reply-To address (receipts carry the fax as a PDF, so an unchecked Reply-To would let anyone route a copy
 * to themselves). A repeated From, Sender or Reply-To header is refused: readers disagree about which counts.
 * With senders.require_auth, mail from outside this host must come with an SMTP AUTH login (Postfix passes
 * ${sasl_username} and ${client_address}), and the login must be allowed to send as every author: the
 * addresses senders.logins lists for it, else its own mailbox (the login itself, or login@login_domain).
 * An empty allow list refuses everyone unless allow_any_sender is set. Bounces (null sender) are never faxed.
 */
import { FaxError } from '../errors.js';
import { isMailbox } from '../mailbox.js';
import { cleanLine } from '../text.js';

export interface SenderPolicy {
  allow: readonly string[];
  allow_any_sender: boolean;
  require_auth: boolean;
  logins: Readonly<Record<string, readonly string[]>>;
  login_domain: string;
}

export interface Address {
  address: string;
  name: string;
}

/** The author headers of a mail and the envelope sender. */
export interface Authors {
  /** Postfix's ${sender} ('' or MAILER-DAEMON for bounces) */
  envelopeSender: string;
  /** every From address, in order ('' for an entry without a usable address) */
  from: readonly Address[];
  /** the Sender header's address, when the mail has one */
  sender?: Address;
  /** every Reply-To address */
  replyTo: readonly Address[];
  /** author headers that appear more than once ('from', 'sender', 'reply-to') */
  repeated: readonly string[];
}

/** How the mail reached Postfix, as master.cf passes it; undefined: master.cf does not pass it. */
export interface Submission {
  /** ${sasl_username}: the SMTP AUTH login, '' when the client did not log in */
  login?: string;
  /** ${client_address}: the SMTP client's IP address, '' for mail submitted on this host (sendmail) */
  client?: string;
}

const regexCache = new Map<string, RegExp>();

/** Is this entry a "/regex/" pattern? */
function isRegexPattern(p: string): boolean {
  return p.length > 2 && p.startsWith('/') && p.endsWith('/');
}

/** The anchored, case-insensitive regex of a "/regex/" entry, compiled once; throws SyntaxError when invalid. */
function senderRegex(p: string): RegExp {
  let re = regexCache.get(p);
  if (!re) {
    // Anchored around the whole body, so "a|b" cannot escape the anchors either.
    re = new RegExp(`^(?:${p.slice(1, -1)})$`, 'i');
    regexCache.set(p, re);
  }
  return re;
}

const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;

/**
 * Why an allow-list entry is unusable, or undefined when it is fine. The loader calls this for every
 * entry (senders.allow and senders.logins), which also compiles (and caches) every regex before the first
 * mail arrives. Besides regexes it checks the shape: an address, a domain, or "*." / "@" and a domain.
 */
export function senderPatternProblem(pattern: string): string | undefined {
  const p = pattern.trim();
  const shownP = JSON.stringify(p.slice(0, 60));
  if (p === '') return 'an empty pattern';
  if (isRegexPattern(p)) {
    try {
      senderRegex(p);
      return undefined;
    } catch (err) {
      // "Invalid regular expression: /^(?:(x)$/i: Unterminated group": only the reason, not our wrapper.
      const why = err instanceof Error ? (err.message.split(': ').at(-1) ?? err.message) : String(err);
      return `${JSON.stringify(p)} is not a valid regular expression (${why})`;
    }
  }
  if (p.startsWith('/')) return `${shownP} looks like a regular expression but does not end with /`;
  if (/\s/.test(p)) return `${shownP} contains white space`;
  if (p === '*.' || p === '@' || p.endsWith('@')) return `${shownP} names no domain`;
  if (p.includes('@') && !p.startsWith('@')) return isMailbox(p) ? undefined : `${shownP} is not a mail address`;
  return DOMAIN.test(p.replace(/^\*\./, '').replace(/^@/, ''))
    ? undefined
    : `${shownP} is not an address, a domain or a /regex/`;
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

/** Is this client address this host (loopback), or mail submitted locally (no client at all)? */
export function isLocalClient(client: string): boolean {
  const c = client
    .trim()
    .toLowerCase()
    .replace(/^ipv6:/, '');
  if (c === '') return true;
  if (c === '::1' || c === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.exec(c);
  return v4 !== null && v4[1] === '127';
}

/** May the SMTP AUTH `login` send as `address`? */
export function loginMaySendAs(
  login: string,
  address: string,
  policy: Pick<SenderPolicy, 'logins' | 'login_domain'>,
): boolean {
  const listed = Object.entries(policy.logins).find(([l]) => l.toLowerCase() === login.toLowerCase());
  if (listed) return listed[1].some((p) => matchesSenderPattern(address, p));
  const a = address.toLowerCase();
  const l = login.toLowerCase();
  if (l.includes('@')) return a === l;
  return policy.login_domain !== '' && a === `${l}@${policy.login_domain.toLowerCase()}`;
}

export interface SenderDecision {
  /** where receipts go */
  replyTo: string;
  replyName: string;
}

const shown = (address: string): string => address.replace(/[^\x21-\x7e]/g, '?').slice(0, 100);

/** Decide whether this mail may become a fax (see the header); throws FaxError('sender-refused'). */
export function authorizeSender(authors: Authors, submission: Submission, policy: SenderPolicy): SenderDecision {
  const env = authors.envelopeSender.trim();
  if (env === '' || env === '<>' || /^mailer-daemon(@|$)/i.test(env)) {
    throw new FaxError('sender-refused', 'Bounce messages are not faxed.');
  }
  if (authors.repeated.length > 0) {
    const names = authors.repeated.map((h) => (h === 'reply-to' ? 'Reply-To' : h[0]!.toUpperCase() + h.slice(1)));
    throw new FaxError(
      'sender-refused',
      `Your message has more than one ${names.join(' and more than one ')} header, so its author is unclear ` +
        `and it cannot be faxed.`,
    );
  }
  const from = authors.from.map((a) => a.address.trim());
  if (from.length === 0 || !from.every((a) => isMailbox(a))) {
    throw new FaxError('sender-refused', 'Your message has no usable From address, so it cannot be faxed.');
  }
  const sender = authors.sender?.address.trim();
  if (sender !== undefined && !isMailbox(sender)) {
    throw new FaxError(
      'sender-refused',
      'The Sender address of your message is not a valid address, so it cannot be faxed.',
    );
  }
  const replies = authors.replyTo.map((a) => a.address.trim());
  if (!replies.every((a) => isMailbox(a))) {
    throw new FaxError(
      'sender-refused',
      'The Reply-To address of your message is not a valid address, so it cannot be faxed.',
    );
  }
  const allowed = (addr: string): boolean =>
    policy.allow.length === 0 ? policy.allow_any_sender : policy.allow.some((p) => matchesSenderPattern(addr, p));
  const badFrom = from.find((a) => !allowed(a));
  if (badFrom !== undefined) {
    if (from.length === 1)
      throw new FaxError(
        'sender-refused',
        `${shown(badFrom)} is not allowed to send faxes through this server. Ask your administrator to add you.`,
      );
    throw new FaxError(
      'sender-refused',
      `Your message names ${from.length} authors in From (${from.map(shown).join(', ')}); every one must be ` +
        `allowed to send faxes through this server, and ${shown(badFrom)} is not.`,
    );
  }
  if (sender !== undefined && !allowed(sender)) {
    throw new FaxError(
      'sender-refused',
      `The Sender address ${shown(sender)} is not allowed to send faxes through this server. Ask your ` +
        `administrator to add it, or send without a Sender header.`,
    );
  }
  const badReply = replies.find((a) => a.toLowerCase() !== from[0]!.toLowerCase() && !allowed(a));
  if (badReply !== undefined) {
    throw new FaxError(
      'sender-refused',
      `The Reply-To address ${shown(badReply)} is not allowed to receive fax receipts from this server; send ` +
        `without Reply-To or ask your administrator.`,
    );
  }
  if (policy.require_auth) checkLogin([...from, ...(sender !== undefined ? [sender] : [])], submission, policy);
  const replyTo = replies[0] ?? from[0]!;
  const name = (replies.length > 0 ? authors.replyTo[0]!.name : authors.from[0]!.name) ?? '';
  return { replyTo, replyName: cleanLine(name, { max: 100 }) };
}

/** senders.require_auth: mail from outside needs a login, and a login must be allowed to send as every author. */
function checkLogin(authors: string[], submission: Submission, policy: SenderPolicy): void {
  if (submission.login === undefined || submission.client === undefined) {
    // Not the sender's fault: defer (75) until master.cf passes what the setting needs.
    throw new FaxError(
      'config',
      'senders.require_auth is on, but master.cf does not pass --sasl-user=${sasl_username} and ' +
        '--client-address=${client_address} to sendfax.',
    );
  }
  const login = submission.login.trim();
  if (login === '') {
    if (isLocalClient(submission.client)) return;
    throw new FaxError(
      'sender-refused',
      'Faxes sent from outside this mail server need your login: set your mail program to log in (SMTP ' +
        'authentication) to the mail server, then send again.',
    );
  }
  const bad = authors.find((a) => !loginMaySendAs(login, a, policy));
  if (bad !== undefined) {
    throw new FaxError(
      'sender-refused',
      `You are logged in as ${shown(login)}, which may not send faxes as ${shown(bad)}. Send from your own ` +
        `address, or ask your administrator.`,
    );
  }
}
