/*
 * parse.ts: read one mail from a stream and store every attachment as a file in a work directory.
 * Streaming: mailparser's MailParser hands each attachment over as a stream, which goes straight to disk
 * (backpressure reaches the input), so a 25 MB attachment is never held in memory. Only the text and
 * HTML bodies are kept in memory (mailparser buffers them), cut to MAX_BODY_CHARS.
 * Forwarded mails (message/rfc822 attachments) are parsed again from their stored file with the same
 * code; their attachments take the forwarded mail's place in the list (depth bounded by maxDepth).
 * Stored files get our own names (parts/p0001.bin); the sender's name is kept only as metadata.
 * Fails with FaxError: 'too-large' (more than maxParts attachments), 'bad-document' (not a readable MIME
 * message), 'temporary' (disk full, I/O errors).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { MailParser, type AddressObject, type AttachmentStream, type HeaderLines, type MessageText } from 'mailparser';
import { FaxError, toFaxError } from '../errors.js';
import { sanitizeFilename } from './filename.js';

export interface Address {
  address: string;
  name: string;
}

export interface MimePart {
  /** 1-based position in MIME order over the whole mail, forwarded mails included */
  index: number;
  /** the sender's file name, decoded and sanitised ('' when the part has none); display only */
  filename: string;
  /** lower-case MIME type (mailparser's guess from the name for application/octet-stream) */
  contentType: string;
  disposition: 'attachment' | 'inline' | '';
  /** Content-ID without angle brackets ('' when none) */
  cid: string;
  /** the part has a Content-ID inside multipart/related (an image embedded in the HTML) */
  related: boolean;
  /** decoded size in bytes */
  size: number;
  /** where the decoded content is stored (our own file name) */
  path: string;
  /** 0 for the mail itself, 1 inside a forwarded mail, 2 inside a mail forwarded in that, ... */
  depth: number;
}

export interface ParsedMessage {
  subject: string;
  /** the first From address (for the body page) */
  from?: Address;
  replyTo?: Address;
  /** every author header, for the sender check (lib/policy/sender.ts) */
  authors: MessageAuthors;
  /** To and Cc addresses with their display names (at most MAX_RECIPIENTS), e.g. for the cover page */
  recipients?: Address[];
  /** with angle brackets, '' when the mail has none */
  messageId: string;
  date?: Date;
  /** plain-text body, at most MAX_BODY_CHARS */
  text?: string;
  /** HTML body, at most MAX_BODY_CHARS */
  html?: string;
  parts: MimePart[];
  /** size of the top-level header block in bytes (approximately: folded lines counted as stored) */
  headerBytes: number;
}

export interface MessageAuthors {
  /** every From address ('' for an entry that has a name but no usable address) */
  from: Address[];
  sender?: Address;
  replyTo: Address[];
  /** author headers present more than once: 'from', 'sender', 'reply-to' */
  repeated: string[];
}

export interface ParseLimits {
  /** most attachments kept over the whole mail (default 200) */
  maxParts?: number;
  /** deepest forwarded mail opened (default 3); deeper ones stay message/rfc822 parts */
  maxDepth?: number;
  /** stop reading when this fires (the run's deadline); the abort is re-thrown as it is */
  signal?: AbortSignal;
}

/** Bodies longer than this (characters) are cut: nobody faxes a million characters of mail text. */
export const MAX_BODY_CHARS = 1_000_000;

const DEFAULT_MAX_PARTS = 200;
const DEFAULT_MAX_DEPTH = 3;

interface State {
  dir: string;
  parts: MimePart[];
  maxParts: number;
  maxDepth: number;
  /** counter for our stored file names */
  seq: number;
  signal: AbortSignal | undefined;
}

/** Parse a mail from `input`, storing attachments under `workDir`/parts. */
export async function parseMessage(
  input: NodeJS.ReadableStream,
  workDir: string,
  limits: ParseLimits = {},
): Promise<ParsedMessage> {
  const dir = join(workDir, 'parts');
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw toFaxError(err, 'storing the mail');
  }
  const state: State = {
    dir,
    parts: [],
    maxParts: limits.maxParts ?? DEFAULT_MAX_PARTS,
    maxDepth: limits.maxDepth ?? DEFAULT_MAX_DEPTH,
    seq: 0,
    signal: limits.signal,
  };
  const top = await parseLevel(input, state, 0);
  const msg: ParsedMessage = {
    subject: top.subject,
    messageId: top.messageId,
    parts: state.parts,
    headerBytes: top.headerBytes,
    authors: top.authors,
  };
  if (top.from) msg.from = top.from;
  if (top.replyTo) msg.replyTo = top.replyTo;
  if (top.recipients) msg.recipients = top.recipients;
  if (top.date) msg.date = top.date;
  if (top.text !== undefined) msg.text = top.text;
  if (top.html !== undefined) msg.html = top.html;
  return msg;
}

type Level = Omit<ParsedMessage, 'parts'>;

/** Parse one message (the mail or a forwarded one) and append its attachments to state.parts. */
async function parseLevel(input: NodeJS.ReadableStream, state: State, depth: number): Promise<Level> {
  const parser = new MailParser({
    // Forwarded mails always arrive as one attachment; we open them ourselves (bounded depth).
    ignoreEmbedded: true,
    // We turn HTML into text ourselves; mailparser's conversions and link detection cost time for nothing.
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    checksumAlgo: false,
  });
  let text: MessageText | undefined;
  let headerLines: HeaderLines = [];
  // Attachments are handled one after another, in MIME order, on this chain.
  let chain: Promise<void> = Promise.resolve();
  parser.on('headerLines', (lines: HeaderLines) => (headerLines = lines));
  parser.on('data', (data: AttachmentStream | MessageText) => {
    if (data.type === 'text') {
      text = data;
      return;
    }
    chain = chain
      .then(() => storeAttachment(data, state, depth))
      .catch((err: unknown) => {
        parser.destroy(err instanceof Error ? err : new Error(String(err)));
        throw err;
      });
    // The failure is reported by pipeline() below; keep the chain from being an unhandled rejection.
    chain.catch(() => undefined);
  });
  try {
    await pipeline(input as Readable, parser, ...(state.signal ? [{ signal: state.signal }] : []));
    // pipeline() settles on the parser's 'finish'; the text object is read out just before 'end'.
    await finished(parser);
    await chain;
  } catch (err) {
    await chain.catch(() => undefined);
    if (err instanceof FaxError) throw err;
    if (state.signal?.aborted) throw err;
    const errno =
      typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
    if (errno.startsWith('E')) throw toFaxError(err, 'reading the mail');
    throw new FaxError('bad-document', 'The mail could not be read: it is not a valid MIME message.', { cause: err });
  }
  const counts = new Map<string, number>();
  for (const l of headerLines) counts.set(l.key, (counts.get(l.key) ?? 0) + 1);
  const authors: MessageAuthors = {
    from: authorAddresses(parser.from),
    replyTo: authorAddresses(parser.replyTo),
    repeated: ['from', 'sender', 'reply-to'].filter((k) => (counts.get(k) ?? 0) > 1),
  };
  const sender = authorAddresses(
    parser.headers ? (parser.headers.get('sender') as AddressObject | undefined) : undefined,
  );
  if (sender.length > 0) authors.sender = sender[0]!;
  if (sender.length > 1) authors.repeated.push('sender');
  const level: Level = {
    subject: parser.subject ?? '',
    messageId: parser.messageId ?? '',
    headerBytes: headerLines.reduce((n, l) => n + Buffer.byteLength(l.line) + 2, 2),
    authors,
  };
  const from = firstAddress(parser.from);
  if (from) level.from = from;
  const replyTo = firstAddress(parser.replyTo);
  if (replyTo) level.replyTo = replyTo;
  const recipients = allAddresses([parser.to, parser.cc]);
  if (recipients.length > 0) level.recipients = recipients;
  if (parser.date) level.date = parser.date;
  if (text?.text) level.text = cut(text.text);
  if (text?.html) level.html = cut(text.html);
  return level;
}

/** Write one attachment to its own file, release it, and open it when it is a forwarded mail. */
async function storeAttachment(att: AttachmentStream, state: State, depth: number): Promise<void> {
  const contentType = (att.contentType || 'application/octet-stream').toLowerCase();
  const rfc822 = contentType === 'message/rfc822' && depth < state.maxDepth;
  if (!rfc822 && state.parts.length >= state.maxParts) {
    throw new FaxError(
      'too-large',
      `The mail has more than ${state.maxParts} attachments; please send fewer in one mail.`,
    );
  }
  state.seq += 1;
  const path = join(state.dir, `p${String(state.seq).padStart(4, '0')}.${rfc822 ? 'eml' : 'bin'}`);
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(att.content, count, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } finally {
    // Released only after the file is written: released attachments are drained without backpressure.
    att.release?.();
  }
  if (rfc822) {
    await parseLevel(createReadStream(path), state, depth + 1);
    await rm(path, { force: true });
    return;
  }
  const disposition =
    att.contentDisposition === 'attachment' || att.contentDisposition === 'inline' ? att.contentDisposition : '';
  state.parts.push({
    index: state.parts.length + 1,
    filename: sanitizeFilename(att.filename),
    contentType,
    disposition,
    cid: att.cid ? sanitizeFilename(att.cid, 200) : '',
    related: att.related === true,
    size,
    path,
    depth,
  });
}

/**
 * Every address of an address header, group members included; an entry with a name but no address
 * counts as '' (an author nobody can check). An empty group ("undisclosed-recipients:;") adds nothing.
 */
function authorAddresses(obj: AddressObject | AddressObject[] | undefined): Address[] {
  const out: Address[] = [];
  for (const o of Array.isArray(obj) ? obj : obj ? [obj] : []) {
    for (const a of o.value ?? []) {
      if (a.group) {
        for (const m of a.group) out.push({ address: m.address ?? '', name: m.name ?? '' });
      } else {
        out.push({ address: a.address ?? '', name: a.name ?? '' });
      }
    }
  }
  return out;
}

function firstAddress(obj: AddressObject | undefined): Address | undefined {
  for (const a of obj?.value ?? []) {
    if (a.address) return { address: a.address, name: a.name ?? '' };
    for (const m of a.group ?? []) if (m.address) return { address: m.address, name: m.name ?? '' };
  }
  return undefined;
}

/** Most To/Cc addresses kept: enough to find the fax address among them. */
const MAX_RECIPIENTS = 50;

function allAddresses(objs: (AddressObject | AddressObject[] | undefined)[]): Address[] {
  const out: Address[] = [];
  const add = (address: string | undefined, name: string | undefined): void => {
    if (address && out.length < MAX_RECIPIENTS) out.push({ address, name: name ?? '' });
  };
  for (const obj of objs.flatMap((o) => (o === undefined ? [] : Array.isArray(o) ? o : [o]))) {
    for (const a of obj.value ?? []) {
      add(a.address, a.name);
      for (const m of a.group ?? []) add(m.address, m.name);
    }
  }
  return out;
}

function cut(s: string): string {
  return s.length > MAX_BODY_CHARS ? s.slice(0, MAX_BODY_CHARS) : s;
}
