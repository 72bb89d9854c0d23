/*
 * addresses.ts: the mailboxes of an address header (From, Sender, Reply-To, To, Cc), parsed with
 * nodemailer's addressparser (the one lib/mail/address.ts uses), display names RFC 2047-decoded.
 * An encoded word is never part of an address (RFC 2047 section 5): one that decodes to a plain
 * local@domain is kept decoded, anything else leaves the address empty (an author nobody can check).
 * Domains written in punycode are shown in Unicode. Pure; never throws.
 */
import { domainToUnicode } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import { decodeWords } from './encoded-words.js';

export interface Address {
  address: string;
  name: string;
}

/** Every mailbox of a header value, group members in place of their group ('' address for a name alone). */
export function parseAddresses(value: string): Address[] {
  return addressparser(value, { flatten: true }).map((a) => ({
    address: cleanAddress(a.address ?? ''),
    name: decodeWords((a.name ?? '').trim()),
  }));
}

function cleanAddress(address: string): string {
  let out = address;
  if (/=\?[^?]+\?[BbQq]\?/.test(out)) {
    const decoded = decodeWords(out);
    out = /^[^\s@]+@[^\s@]+$/.test(decoded) && !decoded.includes('=?') ? decoded : '';
  }
  const at = out.lastIndexOf('@');
  if (at > 0 && /(^|\.)xn--/i.test(out.slice(at + 1)))
    out = out.slice(0, at + 1) + (domainToUnicode(out.slice(at + 1)) || out.slice(at + 1));
  return out;
}
