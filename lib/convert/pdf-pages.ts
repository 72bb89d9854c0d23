/*
 * pdf-pages.ts: a PDF's page count read from the file itself, without starting Ghostscript (issue 13: a
 * gs start costs more than a small fax's whole render). Only where the answer is trustworthy: the
 * cross-reference data at `startxref` parses (tables, streams, hybrids, /Prev chains, object streams), the
 * file is not encrypted, and walking the page tree from /Root /Pages finds exactly /Count pages with no
 * loop and no missing node. Anything else (a damaged file gs would repair, an unknown filter, an odd
 * construct) returns undefined and the caller counts with gs as before, so a damaged PDF still reaches gs
 * and is judged there. Pure apart from reading the file; never throws.
 */
import { open } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';

/** Files larger than this are counted by gs: reading them whole would cost memory, and gs's count is cheap
 * next to rendering them. */
const MAX_COUNT_BYTES = 16 * 1024 * 1024;

/** Page count of the PDF at `path`, or undefined when the file itself does not say it trustworthily. */
export async function countPdfPages(path: string): Promise<number | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      if (size > MAX_COUNT_BYTES) return undefined;
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      return pdfPageCount(buf.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

// ---- values ---------------------------------------------------------------------------------------------

interface Ref {
  ref: [number, number];
}
type PdfValue = number | string | boolean | null | Name | Ref | PdfValue[] | Dict;
interface Name {
  name: string;
}
type Dict = Map<string, PdfValue>;

class Unsure extends Error {}
// A declaration, not an arrow: tsc narrows after a call only to a declared never-returning function.
function unsure(why: string): never {
  throw new Unsure(why);
}

const isWhite = (c: number): boolean =>
  c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x00;
const isDelim = (c: number): boolean =>
  c === 0x28 ||
  c === 0x29 ||
  c === 0x3c ||
  c === 0x3e ||
  c === 0x5b ||
  c === 0x5d ||
  c === 0x7b ||
  c === 0x7d ||
  c === 0x2f ||
  c === 0x25;

/** A small reader of PDF objects over a buffer (enough for the trailer, xref streams and page tree nodes). */
class Lexer {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos = 0,
  ) {
    this.pos = pos;
  }

  skipWhite(): void {
    const b = this.buf;
    while (this.pos < b.length) {
      const c = b[this.pos]!;
      if (isWhite(c)) this.pos++;
      else if (c === 0x25) while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
      else break;
    }
  }

  /** A bare token (number, keyword), or undefined at a delimiter. */
  word(): string {
    this.skipWhite();
    const start = this.pos;
    while (this.pos < this.buf.length && !isWhite(this.buf[this.pos]!) && !isDelim(this.buf[this.pos]!)) this.pos++;
    return Buffer.from(this.buf.subarray(start, this.pos)).toString('latin1');
  }

  value(depth = 0): PdfValue {
    if (depth > 64) unsure('nesting');
    this.skipWhite();
    const b = this.buf;
    const c = b[this.pos];
    if (c === undefined) return unsure('end of data');
    if (c === 0x2f) {
      this.pos++;
      const start = this.pos;
      while (this.pos < b.length && !isWhite(b[this.pos]!) && !isDelim(b[this.pos]!)) this.pos++;
      // #xx escapes in names: decode, so /Type and /T#79pe compare equal
      const raw = Buffer.from(b.subarray(start, this.pos)).toString('latin1');
      return { name: raw.replace(/#([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) };
    }
    if (c === 0x3c && b[this.pos + 1] === 0x3c) {
      this.pos += 2;
      const d: Dict = new Map();
      for (;;) {
        this.skipWhite();
        if (b[this.pos] === 0x3e && b[this.pos + 1] === 0x3e) {
          this.pos += 2;
          return d;
        }
        const k = this.value(depth + 1);
        if (typeof k !== 'object' || k === null || !('name' in k)) return unsure('dictionary key');
        d.set(k.name, this.value(depth + 1));
      }
    }
    if (c === 0x3c) {
      const end = b.indexOf(0x3e, this.pos);
      if (end < 0) unsure('hex string');
      this.pos = end + 1;
      return '';
    }
    if (c === 0x28) {
      // literal string: balanced parentheses, backslash escapes; the content is not needed
      let level = 0;
      while (this.pos < b.length) {
        const ch = b[this.pos++]!;
        if (ch === 0x5c) this.pos++;
        else if (ch === 0x28) level++;
        else if (ch === 0x29 && --level === 0) return '';
      }
      return unsure('string');
    }
    if (c === 0x5b) {
      this.pos++;
      const a: PdfValue[] = [];
      for (;;) {
        this.skipWhite();
        if (b[this.pos] === 0x5d) {
          this.pos++;
          return a;
        }
        if (this.pos >= b.length) unsure('array');
        a.push(this.value(depth + 1));
      }
    }
    const w = this.word();
    if (w === '') return unsure(`unexpected byte ${c}`);
    if (w === 'true' || w === 'false') return w === 'true';
    if (w === 'null') return null;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(w)) return unsure(`token ${w.slice(0, 20)}`);
    const n = Number(w);
    // "n g R": an indirect reference
    if (/^\d+$/.test(w)) {
      const save = this.pos;
      const g = this.word();
      if (/^\d+$/.test(g)) {
        this.skipWhite();
        if (
          b[this.pos] === 0x52 &&
          (this.pos + 1 >= b.length || isWhite(b[this.pos + 1]!) || isDelim(b[this.pos + 1]!))
        ) {
          this.pos++;
          return { ref: [n, Number(g)] };
        }
      }
      this.pos = save;
    }
    return n;
  }
}

const isDict = (v: PdfValue | undefined): v is Dict => v instanceof Map;
const isRef = (v: PdfValue | undefined): v is Ref => typeof v === 'object' && v !== null && 'ref' in v;
const nameOf = (v: PdfValue | undefined): string | undefined =>
  typeof v === 'object' && v !== null && 'name' in v ? v.name : undefined;
const intOf = (v: PdfValue | undefined): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;

// ---- the file ---------------------------------------------------------------------------------------------

type XrefEntry =
  | { kind: 'offset'; offset: number }
  | { kind: 'packed'; stream: number; index: number }
  | { kind: 'free' };

class PdfFile {
  readonly xref = new Map<number, XrefEntry>();
  readonly cache = new Map<number, PdfValue>();
  readonly objStms = new Map<number, { data: Buffer; offsets: Map<number, number> }>();
  trailer: Dict | undefined;

  constructor(readonly buf: Uint8Array) {}

  /** Read the xref sections from startxref back through /Prev; the newest entry of each object wins. */
  loadXref(): void {
    const tail = Buffer.from(this.buf.subarray(Math.max(0, this.buf.length - 1024))).toString('latin1');
    const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail) ?? /startxref\s+(\d+)\s+%%EOF/.exec(tail);
    if (!m) unsure('no startxref');
    let at: number | undefined = Number(m![1]);
    const seen = new Set<number>();
    while (at !== undefined) {
      if (seen.has(at) || seen.size > 64 || at >= this.buf.length) unsure('xref chain');
      seen.add(at);
      const trailer = this.xrefSection(at);
      this.trailer ??= trailer;
      // hybrid file: the table's objects may live in a cross-reference stream too
      const stm = intOf(trailer.get('XRefStm'));
      if (stm !== undefined && !seen.has(stm)) {
        seen.add(stm);
        this.xrefSection(stm);
      }
      at = intOf(trailer.get('Prev'));
    }
  }

  /** One xref section (table or stream) at `at`; returns its trailer dictionary. */
  private xrefSection(at: number): Dict {
    const lx = new Lexer(this.buf, at);
    const save = lx.pos;
    if (lx.word() === 'xref') {
      for (;;) {
        const p = lx.pos;
        const w = lx.word();
        if (w === 'trailer') break;
        const first = Number(w);
        const count = Number(lx.word());
        if (!Number.isInteger(first) || !Number.isInteger(count) || count < 0) {
          lx.pos = p;
          unsure('xref table');
        }
        for (let i = 0; i < count; i++) {
          const off = Number(lx.word());
          lx.word();
          const type = lx.word();
          if (type !== 'n' && type !== 'f') unsure('xref entry');
          if (!this.xref.has(first + i))
            this.xref.set(first + i, type === 'n' ? { kind: 'offset', offset: off } : { kind: 'free' });
        }
      }
      const t = lx.value();
      return isDict(t) ? t : unsure('trailer');
    }
    lx.pos = save;
    // a cross-reference stream: "n g obj << /Type /XRef ... >> stream"
    const { dict, data } = this.streamObjectAt(at);
    if (nameOf(dict.get('Type')) !== 'XRef') unsure('not an xref stream');
    const w = dict.get('W');
    if (!Array.isArray(w) || w.length !== 3 || !w.every((x) => intOf(x) !== undefined && (x as number) <= 8))
      return unsure('xref /W');
    const [w0, w1, w2] = w as [number, number, number];
    const size = intOf(dict.get('Size')) ?? unsure('xref /Size');
    const index = dict.get('Index') ?? [0, size];
    if (!Array.isArray(index) || index.length % 2 !== 0) unsure('xref /Index');
    const row = w0 + w1 + w2;
    let p = 0;
    const field = (n: number): number => {
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + data[p++]!;
      return v;
    };
    for (let k = 0; k < (index as PdfValue[]).length; k += 2) {
      const first = intOf((index as PdfValue[])[k]) ?? unsure('xref /Index');
      const count = intOf((index as PdfValue[])[k + 1]) ?? unsure('xref /Index');
      for (let i = 0; i < count; i++) {
        if (p + row > data.length) unsure('xref stream too short');
        const type = w0 === 0 ? 1 : field(w0);
        const a = field(w1);
        const b = field(w2);
        if (this.xref.has(first + i)) continue;
        if (type === 0) this.xref.set(first + i, { kind: 'free' });
        else if (type === 1) this.xref.set(first + i, { kind: 'offset', offset: a });
        else if (type === 2) this.xref.set(first + i, { kind: 'packed', stream: a, index: b });
      }
    }
    return dict;
  }

  /** "n g obj" at `at`, then its value; for a stream also its decoded data. */
  private objectAt(at: number, num?: number): { value: PdfValue; lx: Lexer } {
    const lx = new Lexer(this.buf, at);
    const n = lx.word();
    lx.word();
    if (lx.word() !== 'obj') unsure('no obj keyword');
    if (num !== undefined && Number(n) !== num) unsure('xref offset points at another object');
    return { value: lx.value(), lx };
  }

  private streamObjectAt(at: number): { dict: Dict; data: Buffer } {
    const { value, lx } = this.objectAt(at);
    if (!isDict(value)) return unsure('stream without dictionary');
    if (lx.word() !== 'stream') unsure('no stream keyword');
    if (this.buf[lx.pos] === 0x0d) lx.pos++;
    if (this.buf[lx.pos] === 0x0a) lx.pos++;
    const lenV = value.get('Length');
    const length = intOf(isRef(lenV) ? this.resolve(lenV) : lenV) ?? unsure('stream /Length');
    if (lx.pos + length > this.buf.length) unsure('stream past the end');
    const raw = Buffer.from(this.buf.subarray(lx.pos, lx.pos + length));
    return { dict: value, data: decodeStream(value, raw) };
  }

  resolve(v: PdfValue | undefined, depth = 0): PdfValue | undefined {
    if (!isRef(v)) return v;
    if (depth > 8) unsure('reference chain');
    const num = v.ref[0];
    if (this.cache.has(num)) return this.cache.get(num);
    const e = this.xref.get(num);
    let value: PdfValue;
    if (e === undefined || e.kind === 'free') return unsure(`object ${num} missing`);
    if (e.kind === 'offset') value = this.objectAt(e.offset, num).value;
    else value = this.packed(e.stream, e.index, num);
    this.cache.set(num, value);
    return this.resolve(value, depth + 1);
  }

  private packed(stream: number, index: number, num: number): PdfValue {
    let s = this.objStms.get(stream);
    if (!s) {
      const e = this.xref.get(stream);
      if (e?.kind !== 'offset') return unsure('object stream not found');
      const { dict, data } = this.streamObjectAt(e.offset);
      if (nameOf(dict.get('Type')) !== 'ObjStm') unsure('not an object stream');
      const n = intOf(dict.get('N')) ?? unsure('/N');
      const first = intOf(dict.get('First')) ?? unsure('/First');
      const lx = new Lexer(data);
      const offsets = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const o = Number(lx.word());
        const off = Number(lx.word());
        if (!Number.isInteger(o) || !Number.isInteger(off)) unsure('object stream header');
        offsets.set(o, first + off);
      }
      s = { data, offsets };
      this.objStms.set(stream, s);
    }
    void index;
    const at = s.offsets.get(num) ?? unsure(`object ${num} not in its stream`);
    return new Lexer(s.data, at).value();
  }
}

/** Decode a stream's data: no filter or FlateDecode (with the PNG/TIFF predictors xref streams use). */
function decodeStream(dict: Dict, raw: Buffer): Buffer {
  const f = dict.get('Filter');
  const filters = f === undefined ? [] : Array.isArray(f) ? f.map(nameOf) : [nameOf(f)];
  if (filters.length === 0) return raw;
  if (filters.length !== 1 || filters[0] !== 'FlateDecode') return unsure('filter');
  const data = inflateSync(raw, { maxOutputLength: 64 * 1024 * 1024 });
  const parms = dict.get('DecodeParms');
  const p = isDict(parms) ? parms : Array.isArray(parms) && isDict(parms[0]) ? parms[0] : undefined;
  const predictor = intOf(p?.get('Predictor')) ?? 1;
  if (predictor === 1) return data;
  if (predictor < 10) return unsure('TIFF predictor');
  const columns = intOf(p?.get('Columns')) ?? 1;
  if ((intOf(p?.get('Colors')) ?? 1) !== 1 || (intOf(p?.get('BitsPerComponent')) ?? 8) !== 8)
    unsure('predictor parameters');
  // PNG predictors: each row starts with its filter byte
  const rows = Math.floor(data.length / (columns + 1));
  const out = Buffer.alloc(rows * columns);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (columns + 1)]!;
    for (let i = 0; i < columns; i++) {
      const x = data[r * (columns + 1) + 1 + i]!;
      const up = r > 0 ? out[(r - 1) * columns + i]! : 0;
      const left = i > 0 ? out[r * columns + i - 1]! : 0;
      const ul = r > 0 && i > 0 ? out[(r - 1) * columns + i - 1]! : 0;
      let v: number;
      if (type === 0) v = x;
      else if (type === 1) v = x + left;
      else if (type === 2) v = x + up;
      else if (type === 3) v = x + ((left + up) >> 1);
      else if (type === 4) {
        const pa = Math.abs(up - ul);
        const pb = Math.abs(left - ul);
        const pc = Math.abs(left + up - 2 * ul);
        v = x + (pa <= pb && pa <= pc ? left : pb <= pc ? up : ul);
      } else return unsure('PNG filter type');
      out[r * columns + i] = v & 0xff;
    }
  }
  return out;
}

/** The page count of a whole PDF in memory (see header), or undefined. Exported for tests. */
export function pdfPageCount(buf: Uint8Array): number | undefined {
  try {
    const f = new PdfFile(buf);
    f.loadXref();
    const trailer = f.trailer ?? unsure('no trailer');
    if (trailer.has('Encrypt')) return undefined;
    const root = f.resolve(trailer.get('Root'));
    if (!isDict(root)) return undefined;
    const pagesRef = root.get('Pages');
    const pages = f.resolve(pagesRef);
    if (!isDict(pages) || nameOf(pages.get('Type')) !== 'Pages') return undefined;
    const declared = intOf(pages.get('Count'));
    if (declared === undefined || declared < 1) return undefined;
    // Walk the tree: the leaves must number exactly /Count, every node reached once.
    const visited = new Set<number>();
    if (isRef(pagesRef)) visited.add(pagesRef.ref[0]);
    let leaves = 0;
    const walk = (node: Dict, depth: number): void => {
      if (depth > 64) unsure('page tree too deep');
      const kids = node.get('Kids');
      if (!Array.isArray(kids)) unsure('/Kids');
      for (const k of kids as PdfValue[]) {
        if (!isRef(k) || visited.has(k.ref[0])) unsure('page tree node repeated or inline');
        visited.add((k as Ref).ref[0]);
        const kid = f.resolve(k);
        if (!isDict(kid)) unsure('page tree node');
        const type = nameOf(kid.get('Type'));
        if (type === 'Page') leaves++;
        else if (type === 'Pages') walk(kid, depth + 1);
        else unsure('page tree node type');
        if (leaves > declared) unsure('more pages than /Count');
      }
    };
    walk(pages, 0);
    return leaves === declared ? declared : undefined;
  } catch (err) {
    if (err instanceof Unsure || err instanceof RangeError || (err instanceof Error && 'code' in err)) return undefined;
    return undefined;
  }
}
