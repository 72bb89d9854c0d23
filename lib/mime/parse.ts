/*
 * parse.ts: read one mail from a stream and store every attachment as a file in a work directory.
 * Streaming: the input is read chunk by chunk through our own MIME splitter (splitter.ts); each attachment's
 * bytes are decoded (transfer.ts) and written to its file before the next chunk is read, so backpressure
 * reaches the input and a 25 MB attachment is never held in memory. Only the text and HTML bodies are kept
 * in memory, cut to MAX_BODY_CHARS.
 * Body or attachment, as mail readers (and mailparser, used here before) decide: text/plain, text/html and
 * message/delivery-status without a Content-Disposition, or with "inline", are the mail's text (several are
 * joined in order); every other part is an attachment.
 * Forwarded mails (message/rfc822 attachments) are parsed again from their stored file with the same
 * code; their attachments take the forwarded mail's place in the list (depth bounded by maxDepth).
 * Stored files get our own names (parts/p0001.bin); the sender's name is kept only as metadata.
 * Fails with FaxError: 'too-large' (more than maxParts attachments, more than MAX_NODES MIME parts),
 * 'bad-document' (a header block over 1 MB, multiparts nested too deep: splitter.ts), 'temporary' (disk
 * full, I/O errors); the signal's abort is re-thrown as it is.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, addAbortSignal } from 'node:stream';
import { FaxError, toFaxError } from '../errors.js';
import { type Address, parseAddresses } from './addresses.js';
import { type TextDecoderLike, decoderFor } from './charset.js';
import { decodeWords } from './encoded-words.js';
import { sanitizeFilename } from './filename.js';
import { decodeFlowed } from './flowed.js';
import { type HeaderField, allValues, firstValue } from './headers.js';
import type { PartHeader } from './part.js';
import { type SplitEvent, MimeSplitter } from './splitter.js';
import { type BodyDecoder, transferDecoder } from './transfer.js';
import { typeFromFilename } from './types.js';

export type { Address } from './addresses.js';

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

/**
 * A file that did not come in a MIME part of its own (a file given to `faxmail send`, one unpacked from a
 * winmail.dat) as an attachment part, so the document steps treat it like any other attachment.
 */
export function fileAsPart(file: { name: string; size: number; path: string }, index: number, depth: number): MimePart {
  return {
    index,
    filename: file.name,
    contentType: 'application/octet-stream',
    disposition: 'attachment',
    cid: '',
    related: false,
    size: file.size,
    path: file.path,
    depth,
  };
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

/** Most To/Cc addresses kept: enough to find the fax address among them. */
const MAX_RECIPIENTS = 50;

const DEFAULT_MAX_PARTS = 200;
const DEFAULT_MAX_DEPTH = 3;

/** Parts that are the mail's text when they are not marked as attachments. */
const TEXT_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);

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
  return { ...top, parts: state.parts };
}

type Level = Omit<ParsedMessage, 'parts'>;

/** A text part being read: decoded as it comes, kept up to MAX_BODY_CHARS. */
interface TextSink {
  kind: 'text';
  header: PartHeader;
  transfer: BodyDecoder;
  chars: TextDecoderLike;
  pieces: string[];
  length: number;
}

/** An attachment being written to its file. */
interface FileSink {
  kind: 'file';
  header: PartHeader;
  related: boolean;
  transfer: BodyDecoder;
  file: FileHandle;
  path: string;
  size: number;
  /** decoded bytes not yet written */
  held: Buffer[];
  heldBytes: number;
  rfc822: boolean;
}

type Sink = TextSink | FileSink | { kind: 'skip' };

/** Parse one message (the mail or a forwarded one) and append its attachments to state.parts. */
async function parseLevel(input: NodeJS.ReadableStream, state: State, depth: number): Promise<Level> {
  const splitter = new MimeSplitter();
  const texts: string[] = [];
  const htmls: string[] = [];
  let fields: HeaderField[] = [];
  let headerBytes = 0;
  // (typed wide: it changes inside handle(), which TypeScript cannot see from the catch below)
  let sink = { kind: 'skip' } as Sink;
  const handle = async (events: SplitEvent[]): Promise<void> => {
    for (const ev of events) {
      if (ev.kind === 'headers') {
        fields = ev.fields;
        headerBytes = ev.bytes;
      } else if (ev.kind === 'part') {
        sink = await openSink(ev.header, ev.ancestors, state, depth);
      } else if (ev.kind === 'data') {
        await feed(sink, ev.data);
      } else {
        const done = sink;
        sink = { kind: 'skip' };
        await finish(done, texts, htmls, state, depth);
      }
    }
  };
  try {
    if (state.signal) addAbortSignal(state.signal, input as Readable);
    for await (const chunk of input)
      await handle(splitter.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    await handle(splitter.end());
  } catch (err) {
    if (sink.kind === 'file') await sink.file.close().catch(() => undefined);
    if (err instanceof FaxError || state.signal?.aborted) throw err;
    throw toFaxError(err, 'reading the mail');
  }
  return describeLevel(fields, headerBytes, texts, htmls);
}

/** Where a leaf part's bytes go: its own file (an attachment), the text, or nowhere (a broken multipart). */
async function openSink(header: PartHeader, ancestors: string[], state: State, depth: number): Promise<Sink> {
  if (header.contentType.startsWith('multipart/')) return { kind: 'skip' };
  const transfer = transferDecoder(header.encoding);
  const text = TEXT_TYPES.has(header.contentType);
  if (text && (header.disposition === '' || header.disposition === 'inline'))
    return { kind: 'text', header, transfer, chars: decoderFor(header.charset), pieces: [], length: 0 };
  if (header.contentType === 'application/octet-stream' && header.filename)
    header.contentType = typeFromFilename(header.filename) ?? header.contentType;
  const rfc822 = header.contentType === 'message/rfc822' && depth < state.maxDepth;
  if (!rfc822 && state.parts.length >= state.maxParts) {
    throw new FaxError(
      'too-large',
      `The mail has more than ${state.maxParts} attachments; please send fewer in one mail.`,
    );
  }
  state.seq += 1;
  const path = join(state.dir, `p${String(state.seq).padStart(4, '0')}.${rfc822 ? 'eml' : 'bin'}`);
  const file = await open(path, 'wx', 0o600);
  const related = header.cid !== '' && ancestors.includes('multipart/related');
  return { kind: 'file', header, related, transfer, file, path, size: 0, held: [], heldBytes: 0, rfc822 };
}

async function feed(sink: Sink, data: Buffer): Promise<void> {
  // A text past MAX_BODY_CHARS is cut anyway: the rest is read but not decoded.
  if (sink.kind === 'skip' || (sink.kind === 'text' && sink.length > MAX_BODY_CHARS)) return;
  const bytes = sink.transfer.write(data);
  if (sink.kind === 'file') {
    await write(sink, bytes);
  } else {
    const piece = sink.chars.decode(bytes, { stream: true });
    sink.pieces.push(piece);
    sink.length += piece.length;
  }
}

/** Bytes gathered before one write to the file: input that arrives in small pieces costs no write each. */
const WRITE_BYTES = 64 * 1024;

async function write(sink: FileSink, bytes: Buffer, last = false): Promise<void> {
  if (bytes.length > 0) {
    sink.held.push(bytes.length < WRITE_BYTES ? Buffer.from(bytes) : bytes);
    sink.heldBytes += bytes.length;
    sink.size += bytes.length;
  }
  if (sink.heldBytes === 0 || (sink.heldBytes < WRITE_BYTES && !last)) return;
  const all = sink.held.length === 1 ? sink.held[0]! : Buffer.concat(sink.held, sink.heldBytes);
  sink.held = [];
  sink.heldBytes = 0;
  await sink.file.write(all);
}

/** A part's end: its text joins the mail's text; its file is closed and listed, or opened as a forwarded mail. */
async function finish(sink: Sink, texts: string[], htmls: string[], state: State, depth: number): Promise<void> {
  if (sink.kind === 'skip') return;
  if (sink.kind === 'text') {
    if (sink.length <= MAX_BODY_CHARS) sink.pieces.push(sink.chars.decode(sink.transfer.end()));
    let text = sink.pieces.join('').replace(/\r\n?/g, '\n');
    if (sink.header.flowed) text = decodeFlowed(text, sink.header.delSp);
    (sink.header.contentType === 'text/html' ? htmls : texts).push(text);
    return;
  }
  try {
    await write(sink, sink.transfer.end(), true);
  } finally {
    await sink.file.close();
  }
  if (sink.rfc822) {
    await parseLevel(createReadStream(sink.path), state, depth + 1);
    await rm(sink.path, { force: true });
    return;
  }
  const { header } = sink;
  state.parts.push({
    index: state.parts.length + 1,
    filename: sanitizeFilename(header.filename),
    contentType: header.contentType,
    disposition: header.disposition === 'attachment' || header.disposition === 'inline' ? header.disposition : '',
    cid: header.cid ? sanitizeFilename(header.cid, 200) : '',
    related: sink.related,
    size: sink.size,
    path: sink.path,
    depth,
  });
}

/** What the header block and the text parts say about the message. */
function describeLevel(fields: HeaderField[], headerBytes: number, texts: string[], htmls: string[]): Level {
  const first = (name: string): Address[] => parseAddresses(firstValue(fields, name));
  const authors: MessageAuthors = {
    from: first('from'),
    replyTo: first('reply-to'),
    repeated: ['from', 'sender', 'reply-to'].filter((k) => allValues(fields, k).length > 1),
  };
  const sender = first('sender');
  if (sender.length > 0) authors.sender = sender[0]!;
  if (sender.length > 1 && !authors.repeated.includes('sender')) authors.repeated.push('sender');
  const messageId = decodeWords(firstValue(fields, 'message-id')).trim();
  const level: Level = {
    subject: decodeWords(firstValue(fields, 'subject')),
    messageId: messageId
      ? `${messageId.startsWith('<') ? '' : '<'}${messageId}${messageId.endsWith('>') ? '' : '>'}`
      : '',
    headerBytes,
    authors,
  };
  const from = authors.from.find((a) => a.address);
  if (from) level.from = from;
  const replyTo = authors.replyTo.find((a) => a.address);
  if (replyTo) level.replyTo = replyTo;
  const recipients = [...allValues(fields, 'to'), ...allValues(fields, 'cc')]
    .flatMap(parseAddresses)
    .filter((a) => a.address)
    .slice(0, MAX_RECIPIENTS);
  if (recipients.length > 0) level.recipients = recipients;
  const date = new Date(firstValue(fields, 'date'));
  if (firstValue(fields, 'date') && !Number.isNaN(date.getTime())) level.date = date;
  const text = texts.join('\n');
  if (text) level.text = cut(text);
  const html = htmls.join('<br/>\n');
  if (html) level.html = cut(html);
  return level;
}

function cut(s: string): string {
  return s.length > MAX_BODY_CHARS ? s.slice(0, MAX_BODY_CHARS) : s;
}
