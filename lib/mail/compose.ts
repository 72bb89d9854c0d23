/*
 * compose.ts: turn an OutgoingMail into the bytes of an RFC 5322 message and its SMTP envelope, with
 * nodemailer's MailComposer. The rendered bytes are what gets delivered or, when delivery fails, stored
 * in the outbox, so a retried delivery sends the very same message (same Message-ID and Date).
 * Every text that may come from outside (caller names, station ids, subjects) is made one line without
 * control characters before it becomes a header: no header can be injected.
 * notify.copy_to addresses are added to the envelope only (a blind copy).
 * Fails with FaxError('config') when no recipient or the sender is unusable; attachment files that
 * cannot be read fail with their I/O error.
 */
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Config } from '../config/schema.js';
import { FaxError } from '../errors.js';
import { cleanLine } from '../text.js';
import { domainOf, fromAddress, sortRecipients } from './address.js';
import type { Envelope, OutgoingMail } from './types.js';

export interface RenderedMail {
  raw: Buffer;
  envelope: Envelope;
  messageId: string;
  /** addresses dropped because they are not plain mailboxes */
  refused: string[];
}

/** Headers callers may add: X-* and the threading headers. Standard headers are ours to set. */
const EXTRA_HEADER = /^(X-[A-Za-z0-9-]{1,60}|In-Reply-To|References)$/;

export async function composeMail(
  config: Readonly<Config>,
  mail: OutgoingMail,
  now: Date = new Date(),
): Promise<RenderedMail> {
  const sender = fromAddress(config.notify.from);
  const from = sender.address;
  const { ok: to, refused } = sortRecipients(mail.to);
  if (to.length === 0) {
    throw new FaxError(
      'config',
      `No usable recipient address for this ${mail.kind} ` +
        `mail${refused.length ? ` (refused: ${refused.join(', ')})` : ''}.`,
    );
  }
  // notify.copy_to: a blind copy of every mail. Envelope recipients only, never a header, so the person the
  // mail is for does not learn the admin's address; an address already among the recipients gets one copy.
  const copies = sortRecipients(config.notify.copy_to).ok.filter(
    (a) => !to.some((t) => t.toLowerCase() === a.toLowerCase()),
  );
  const headers: Record<string, string> = { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' };
  if (mail.jobId) headers['X-Faxmail-Job'] = cleanLine(mail.jobId, { max: 100 });
  for (const [name, value] of Object.entries(mail.headers ?? {})) {
    if (EXTRA_HEADER.test(name)) headers[name] = cleanLine(value, { max: 900 });
  }
  const messageId = `<faxmail.${now.getTime().toString(36)}.${randomBytes(8).toString('hex')}@${domainOf(from)}>`;
  const composer = new MailComposer({
    from: sender.name ? { name: sender.name, address: from } : from,
    to,
    subject: cleanLine(mail.subject, { max: 200 }),
    date: now,
    messageId,
    text: mail.text,
    ...(mail.html !== undefined ? { html: mail.html } : {}),
    attachments: mail.attachments.map((a) => ({
      filename: cleanLine(a.filename, { max: 120 }),
      path: a.path,
      contentType: a.contentType,
      ...(a.cid ? { cid: a.cid } : {}),
    })),
    headers,
    // Attachments are our own spool files; nothing is fetched from a URL.
    disableUrlAccess: true,
  });
  const raw = await composer.compile().build();
  return { raw, envelope: { from, to: [...to, ...copies] }, messageId, refused };
}
