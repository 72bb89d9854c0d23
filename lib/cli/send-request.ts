/*
 * send-request.ts: what `faxmail send` asks for, checked, and the form in which a member of send.group hands
 * it to `faxmail submit` (the spool owner, through sudo) on standard input:
 *
 *   one line of JSON (the SendRequest below, at most MAX_HEADER_BYTES), "\n",
 *   then the bytes of each file, in order, exactly `bytes` each, and nothing after.
 *
 * The other side is another user: everything in it is checked here as sendfax checks a mail (the JSON's
 * shape and every value's type and length), the file names are display text only (never paths), and the
 * byte counts are enforced while copying. Fails with FaxError('usage') for a malformed request.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { FaxError, oneLine } from '../errors.js';
import type { Resolution } from '../config/schema.js';
import type { SendFile, SendRequest, StoredFile } from '../sendfax/send-files.js';

export type { SendFile, SendRequest, StoredFile };
import { isMailbox } from '../mailbox.js';
import { sanitizeFilename } from '../mime/filename.js';

export const MAX_HEADER_BYTES = 64 * 1024;
/** All files of one request together: a fax of 100 scanned pages is far below this. */
export const MAX_SEND_BYTES = 256 * 1024 * 1024;
const MAX_FILES = 1000;
const MAX_SUBJECT = 200;
const MAX_TO = 120;
const MAX_NOTE = 4000;

const RESOLUTIONS: readonly Resolution[] = ['standard', 'fine', 'superfine'];

function text(v: unknown, what: string, max: number, multiline = false): string {
  if (typeof v !== 'string') throw new FaxError('usage', `The ${what} must be text.`);
  const t = multiline
    ? v.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ')
    : oneLine(v, max + 1);
  if (Array.from(t).length > max) throw new FaxError('usage', `The ${what} is too long (at most ${max} characters).`);
  return t.trim();
}

/** Check one request, from our own command line or from another user's process. Pure. */
export function checkRequest(raw: unknown): SendRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FaxError('usage', 'The fax request is not a request.');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!['v', 'number', 'notify', 'subject', 'resolution', 'cover', 'to', 'note', 'wait', 'files'].includes(k))
      throw new FaxError('usage', `The fax request has an unknown field "${oneLine(k, 30)}".`);
  }
  if (r['v'] !== 1) throw new FaxError('usage', 'The fax request comes from another version of faxmail.');
  const number = text(r['number'], 'fax number', 64);
  if (number === '') throw new FaxError('bad-number', 'Name the fax number to send to.');
  const out: SendRequest = {
    v: 1,
    number,
    subject: text(r['subject'] ?? '', 'subject', MAX_SUBJECT),
    to: text(r['to'] ?? '', 'recipient name', MAX_TO),
    note: text(r['note'] ?? '', 'note', MAX_NOTE, true),
    wait: r['wait'] === true,
    files: [],
  };
  if (r['wait'] !== undefined && typeof r['wait'] !== 'boolean')
    throw new FaxError('usage', 'wait must be true or false.');
  if (r['notify'] !== undefined) {
    const notify = text(r['notify'], 'address for the receipt', 254);
    if (!isMailbox(notify, { local: true }))
      throw new FaxError(
        'usage',
        `--notify needs a plain mail address like user@example.com or alice@localhost, not "${oneLine(notify, 80)}".`,
      );
    out.notify = notify;
  }
  if (r['resolution'] !== undefined) {
    if (!RESOLUTIONS.includes(r['resolution'] as Resolution))
      throw new FaxError(
        'usage',
        `--resolution must be standard, fine or superfine, not "${oneLine(String(r['resolution']), 30)}".`,
      );
    out.resolution = r['resolution'] as Resolution;
  }
  if (r['cover'] !== undefined) {
    if (typeof r['cover'] !== 'boolean') throw new FaxError('usage', 'cover must be true or false.');
    out.cover = r['cover'];
  }
  if (out.note !== '') out.cover = true;
  if (!Array.isArray(r['files']) || r['files'].length === 0)
    throw new FaxError('usage', 'Name at least one file to fax.');
  if (r['files'].length > MAX_FILES)
    throw new FaxError('too-large', `At most ${MAX_FILES} files can be faxed at once.`);
  let total = 0;
  for (const f of r['files'] as unknown[]) {
    const e = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
    const bytes = e['bytes'];
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0)
      throw new FaxError('usage', 'The fax request has a file without a valid size.');
    total += bytes;
    out.files.push({
      name: sanitizeFilename(typeof e['name'] === 'string' ? e['name'] : '') || `file ${out.files.length + 1}`,
      bytes,
    });
  }
  if (total > MAX_SEND_BYTES)
    throw new FaxError(
      'too-large',
      `The files are ${Math.ceil(total / 1048576)} MB together; at most ${MAX_SEND_BYTES / 1048576} MB can be ` +
        `faxed at once.`,
    );
  return out;
}

/** The header line of a request. */
export function encodeHeader(r: SendRequest): Buffer {
  return Buffer.from(`${JSON.stringify(r)}\n`);
}

/** Reads a stream in exact pieces: a first line, then so many bytes, then the end. */
export class ByteReader {
  private readonly it: AsyncIterator<Buffer | string>;
  private carry: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(stream: AsyncIterable<Buffer | string>) {
    this.it = stream[Symbol.asyncIterator]();
  }

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    this.carry = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    return true;
  }

  /** The bytes up to the first "\n" (not included), at most `max` of them. */
  async line(max: number): Promise<Buffer> {
    for (;;) {
      const nl = this.carry.indexOf(10);
      if (nl >= 0 && nl <= max) {
        const line = this.carry.subarray(0, nl);
        this.carry = this.carry.subarray(nl + 1);
        return line;
      }
      if (this.carry.length > max)
        throw new FaxError('usage', 'The fax request is malformed (its first line is too long).');
      if (!(await this.more())) throw new FaxError('usage', 'The fax request ended before its first line did.');
    }
  }

  /** Copy exactly `n` bytes into `write` (a function returning a promise when it must wait). */
  async copy(n: number, write: (chunk: Buffer) => Promise<void> | void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.carry.length === 0 && !(await this.more()))
        throw new FaxError('usage', 'The fax request ended in the middle of a file.');
      const take = this.carry.subarray(0, Math.min(left, this.carry.length));
      this.carry = this.carry.subarray(take.length);
      left -= take.length;
      await write(take);
    }
  }

  /** Nothing may follow the last file. */
  async end(): Promise<void> {
    if (this.carry.length > 0 || (await this.more()))
      throw new FaxError('usage', 'The fax request has bytes after its last file.');
  }
}

/** Read and check the header of a request from `reader`. */
export async function readHeader(reader: ByteReader): Promise<SendRequest> {
  const line = await reader.line(MAX_HEADER_BYTES);
  let raw: unknown;
  try {
    raw = JSON.parse(line.toString('utf8'));
  } catch {
    throw new FaxError('usage', 'The fax request is malformed (its first line is not JSON).');
  }
  return checkRequest(raw);
}

/** Write the request's files from `reader` into `dir` as file-NN (our own names), then expect the end. */
export async function storeFromReader(
  reader: ByteReader,
  files: readonly SendFile[],
  dir: string,
): Promise<StoredFile[]> {
  const out: StoredFile[] = [];
  for (const [i, f] of files.entries()) {
    const path = join(dir, `file-${String(i + 1).padStart(2, '0')}`);
    const ws = createWriteStream(path, { flags: 'wx', mode: 0o640 });
    const opened = once(ws, 'open');
    await opened;
    try {
      await reader.copy(f.bytes, async (chunk) => {
        if (!ws.write(chunk)) await once(ws, 'drain');
      });
    } finally {
      ws.end();
      await once(ws, 'close');
    }
    out.push({ name: f.name, path, size: f.bytes });
  }
  await reader.end();
  return out;
}
