/*
 * splitter.ts: the structure of a MIME message, read as it streams in (RFC 2045, 2046). Feed it chunks;
 * each write returns what the chunk held, in order: the top-level header once, then for every leaf part
 * (a part that is not a multipart) 'part' with its header, 'data' with its body bytes (still
 * transfer-encoded; views into the chunk, valid until the next write) and 'end'.
 * Only the line that may be a boundary delimiter, and a header block, are ever held: a body of any size
 * passes through. The line break before a delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
 * message/rfc822 parts are leaves here: the caller opens them (with a depth bound) from where it stored them.
 * Malformed structure degrades as mail readers do: a missing closing delimiter ends the parts at the end
 * of the input, text outside the parts (preamble, epilogue) is skipped.
 * Fails with FaxError 'bad-document' for a header block over MAX_HEADER_BYTES or multiparts nested deeper
 * than MAX_NESTING, and 'too-large' for more than MAX_NODES parts.
 */
import { FaxError } from '../errors.js';
import { type HeaderField, parseHeaderBlock } from './headers.js';
import { MAX_BOUNDARY, type PartHeader, describePart } from './part.js';

export type SplitEvent =
  | { kind: 'headers'; fields: HeaderField[]; bytes: number }
  | { kind: 'part'; header: PartHeader; ancestors: string[] }
  | { kind: 'data'; data: Buffer }
  | { kind: 'end' };

/** Largest header block of the mail or of one part (bytes). */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** Deepest nesting of multiparts. */
export const MAX_NESTING = 32;
/** Most parts (leaves and multiparts) in one message. */
export const MAX_NODES = 1000;

/** Longest line that can still be a delimiter: "--", boundary, "--", blanks a sender may add, CRLF. */
const MAX_DELIMITER_LINE = 2 + MAX_BOUNDARY + 2 + 998 + 2;
const NL_DASH = Buffer.from('\n-');
const EMPTY = Buffer.alloc(0);

interface Level {
  /** "--" + boundary */
  delimiter: Buffer;
  contentType: string;
}

export class MimeSplitter {
  private out: SplitEvent[] = [];
  private mode: 'header' | 'body' = 'header';
  private root = true;
  private stack: Level[] = [];
  private nodes = 0;
  /** the current body belongs to a leaf (not a preamble or epilogue) */
  private inLeaf = false;
  // header mode: the block so far (one buffer, grown by doubling: a header cut into many tiny chunks or
  // lines costs no more than its bytes) and where its last, unfinished line starts
  private block: Buffer = Buffer.allocUnsafe(4096);
  private blockLength = 0;
  private lineStart = 0;
  // body mode: bytes held back (a line break, a line that may be a delimiter)
  private pending: Buffer = EMPTY;
  private atLineStart = true;

  write(chunk: Uint8Array): SplitEvent[] {
    this.out = [];
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.mode === 'header') this.header(buf, 0);
    else this.body(this.pending.length > 0 ? Buffer.concat([this.pending, buf]) : buf, 0);
    return this.out;
  }

  end(): SplitEvent[] {
    this.out = [];
    if (this.mode === 'header') this.endHeader();
    // A body cut off (no closing delimiter): what is there is the part; a last line without a line
    // break may still be a delimiter ("--b--" at the very end is common).
    const rest = this.pending;
    this.pending = EMPTY;
    let s = rest.indexOf(NL_DASH);
    s = s < 0 ? (this.atLineStart && rest[0] === 0x2d ? 0 : -1) : s + 1;
    const hit = s >= 0 ? this.matchDelimiter(rest, s, rest.length) : undefined;
    if (hit) this.delimiter(hit);
    else this.emit(rest, 0, rest.length);
    if (this.inLeaf) this.out.push({ kind: 'end' });
    this.inLeaf = false;
    return this.out;
  }

  /** Collect header lines from buf[pos..]; at the empty line, describe the part and go on with its body. */
  private header(buf: Buffer, pos: number): void {
    while (pos < buf.length) {
      const nl = buf.indexOf(0x0a, pos);
      const end = nl < 0 ? buf.length : nl + 1;
      this.append(buf, pos, end);
      pos = end;
      if (nl < 0) return;
      const line = this.block.subarray(this.lineStart, this.blockLength);
      const empty = line.length === 1 || (line.length === 2 && line[0] === 0x0d);
      // A delimiter where a header was expected: the part had no empty line (and no body).
      const hit = !empty && line[0] === 0x2d ? this.matchDelimiter(line, 0, line.length) : undefined;
      if (!empty && !hit) {
        this.lineStart = this.blockLength;
        continue;
      }
      if (hit) this.blockLength = this.lineStart;
      this.endHeader();
      if (hit) {
        this.delimiter(hit);
        if (this.mode === 'header') continue;
      }
      this.body(buf, pos);
      return;
    }
  }

  private append(buf: Buffer, from: number, to: number): void {
    const need = this.blockLength + to - from;
    if (need > MAX_HEADER_BYTES)
      throw new FaxError(
        'bad-document',
        `The mail could not be read: a header block is larger than ${MAX_HEADER_BYTES / 1048576} MB.`,
      );
    if (need > this.block.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(need, this.block.length * 2), MAX_HEADER_BYTES));
      this.block.copy(grown, 0, 0, this.blockLength);
      this.block = grown;
    }
    buf.copy(this.block, this.blockLength, from, to);
    this.blockLength = need;
  }

  /** The header block is complete: report it and enter the part's body (a leaf) or preamble (a multipart). */
  private endHeader(): void {
    const fields = parseHeaderBlock(this.block.subarray(0, this.blockLength));
    const bytes = this.blockLength;
    this.blockLength = this.lineStart = 0;
    // A big block is not kept for the next part's header.
    if (this.block.length > 65536) this.block = Buffer.allocUnsafe(4096);
    this.mode = 'body';
    this.atLineStart = true;
    if (++this.nodes > MAX_NODES)
      throw new FaxError('too-large', `The mail has more than ${MAX_NODES} MIME parts; please send fewer in one mail.`);
    if (this.root) {
      this.out.push({ kind: 'headers', fields, bytes });
      this.root = false;
    }
    const header = describePart(fields);
    if (header.boundary !== undefined) {
      if (this.stack.length >= MAX_NESTING)
        throw new FaxError(
          'bad-document',
          `The mail could not be read: its MIME parts are nested more than ${MAX_NESTING} deep.`,
        );
      this.stack.push({ delimiter: Buffer.from(`--${header.boundary}`, 'latin1'), contentType: header.contentType });
      this.inLeaf = false;
      return;
    }
    this.out.push({ kind: 'part', header, ancestors: this.stack.map((l) => l.contentType) });
    this.inLeaf = true;
  }

  /**
   * Pass body bytes on, up to the next delimiter line; hold back a line break at the end and a last line
   * that may still become a delimiter.
   */
  private body(buf: Buffer, pos: number): void {
    this.pending = EMPTY;
    if (this.stack.length === 0) {
      // Not inside a multipart: no delimiter can come, the rest is this body.
      this.emit(buf, pos, buf.length);
      return;
    }
    let i = pos; // first byte not yet passed on
    let from = pos; // where the search for a line starting with '-' goes on
    let lineStart = this.atLineStart;
    this.atLineStart = false;
    for (;;) {
      let s: number; // start of a line that begins with '-'
      let e: number; // start of the line break before it (the break belongs to a delimiter)
      if (lineStart && buf[from] === 0x2d) {
        s = from;
        e = from;
      } else {
        const nl = buf.indexOf(NL_DASH, from);
        if (nl < 0) break;
        s = nl + 1;
        e = nl > i && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      }
      lineStart = false;
      const end = buf.indexOf(0x0a, s);
      if (end < 0) {
        if (buf.length - s > MAX_DELIMITER_LINE) break;
        this.emit(buf, i, e);
        this.pending = Buffer.from(buf.subarray(e));
        this.atLineStart = e === s;
        return;
      }
      const hit = this.matchDelimiter(buf, s, end);
      if (!hit) {
        from = end;
        continue;
      }
      this.emit(buf, i, e);
      this.delimiter(hit);
      if (this.mode === 'header') {
        this.header(buf, end + 1);
        return;
      }
      i = from = end + 1;
      lineStart = true;
    }
    if (lineStart && from >= buf.length) {
      this.atLineStart = true;
      return;
    }
    // Hold a line break at the very end: a delimiter may start the next chunk.
    let hold = buf.length;
    if (buf[hold - 1] === 0x0a) hold--;
    if (buf[hold - 1] === 0x0d) hold--;
    hold = Math.max(hold, i);
    this.emit(buf, i, hold);
    this.pending = Buffer.from(buf.subarray(hold));
  }

  private emit(buf: Buffer, from: number, to: number): void {
    if (this.inLeaf && to > from) this.out.push({ kind: 'data', data: buf.subarray(from, to) });
  }

  /** Which open multipart the line buf[s..end) delimits (innermost first), and whether it closes it. */
  private matchDelimiter(buf: Buffer, s: number, end: number): { level: number; close: boolean } | undefined {
    let stop = end;
    while (
      stop > s &&
      (buf[stop - 1] === 0x0d || buf[stop - 1] === 0x0a || buf[stop - 1] === 0x20 || buf[stop - 1] === 0x09)
    )
      stop--;
    for (let level = this.stack.length - 1; level >= 0; level--) {
      const d = this.stack[level]!.delimiter;
      if (stop - s < d.length || buf.compare(d, 0, d.length, s, s + d.length) !== 0) continue;
      const rest = stop - s - d.length;
      if (rest === 0) return { level, close: false };
      if (rest === 2 && buf[s + d.length] === 0x2d && buf[s + d.length + 1] === 0x2d) return { level, close: true };
    }
    return undefined;
  }

  /** A delimiter line: the current leaf ends, inner multiparts left open end with it. */
  private delimiter(hit: { level: number; close: boolean }): void {
    if (this.inLeaf) this.out.push({ kind: 'end' });
    this.inLeaf = false;
    this.stack.length = hit.close ? hit.level : hit.level + 1;
    this.mode = hit.close ? 'body' : 'header';
    this.atLineStart = true;
  }
}
