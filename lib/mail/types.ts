/*
 * types.ts: the mails faxmail sends (receipts, failure notices, received faxes, admin reports) and the
 * records of mails waiting in the outbox. Shared by lib/notify (which builds receipts) and lib/inbound.
 */

export interface OutgoingAttachment {
  /** name shown to the reader; our own choice, never a remote party's */
  filename: string;
  /** file to read when the mail is rendered */
  path: string;
  contentType: string;
  /** Content-ID for an inline image referenced from the HTML */
  cid?: string;
}

export interface OutgoingMail {
  kind: 'receipt' | 'failure' | 'inbound' | 'admin';
  to: string[];
  subject: string;
  text: string;
  html?: string;
  attachments: OutgoingAttachment[];
  /** outbound job id or inbound fax id, for the X-Faxmail-Job header and the logs */
  jobId?: string;
  /** extra headers (names [A-Za-z0-9-], values made one line) */
  headers?: Record<string, string>;
}

/** The SMTP envelope of a rendered message. */
export interface Envelope {
  from: string;
  to: string[];
}

/** <spool>/outbox/<id>.json beside <id>.eml: a rendered mail waiting for the mail server. */
export interface OutboxRecord {
  version: 1;
  id: string;
  kind: OutgoingMail['kind'];
  jobId?: string;
  envelope: Envelope;
  /** for `faxmail status` only (one line, bounded) */
  subject: string;
  messageId: string;
  created: string;
  /** delivery attempts so far, including the one that put the mail here */
  attempts: number;
  lastAttemptAt: string;
  lastError: string;
}
