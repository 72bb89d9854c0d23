/*
 * params.ts: structured header values such as Content-Type and Content-Disposition:
 * `value; name="quoted; text" (comment); filename*0*=utf-8''%E8%AB%8B; filename*1*=%E6%B1%82.pdf`.
 * Comments are dropped, quoted strings unquoted, RFC 2231 parameters (charset'lang'%XX and the numbered
 * continuations name*0, name*1*, ...) joined and decoded; RFC 2047 encoded words in a plain parameter
 * (many mailers write name="=?UTF-8?B?...?=") are decoded too, never twice.
 * Pure; never throws.
 */
import { decodeBytes } from './charset.js';
import { decodeWords, unescapeHex } from './encoded-words.js';

export interface HeaderValue {
  /** the value before the first ';', lower case ('' when empty) */
  value: string;
  /** parameters by lower-case name, decoded */
  params: Record<string, string>;
}

/** Parse a structured header value. */
export function parseHeaderValue(header: string): HeaderValue {
  const [first, ...rest] = splitSegments(header);
  const plain = new Map<string, string>();
  // RFC 2231 pieces: name -> index -> { text, extended }
  const pieces = new Map<string, Map<number, { text: string; extended: boolean }>>();
  for (const seg of rest) {
    if (!seg.key || seg.value === undefined) continue;
    const key = seg.key.toLowerCase();
    const text = seg.value;
    const m = /^([^*]+)(?:\*(\d{1,3}))?(\*)?$/.exec(key);
    if (!m || (m[2] === undefined && m[3] === undefined)) {
      if (!plain.has(key)) plain.set(key, text);
      continue;
    }
    const name = m[1]!;
    const byIndex = pieces.get(name) ?? new Map<number, { text: string; extended: boolean }>();
    pieces.set(name, byIndex);
    const index = m[2] === undefined ? 0 : Number(m[2]);
    if (!byIndex.has(index)) byIndex.set(index, { text, extended: m[3] !== undefined });
  }
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, text] of plain) params[name] = decodeWords(text);
  for (const [name, byIndex] of pieces) params[name] = joinPieces(byIndex);
  return { value: (first?.text ?? '').toLowerCase(), params };
}

/** The pieces of one RFC 2231 parameter, in index order, as one decoded text. */
function joinPieces(byIndex: Map<number, { text: string; extended: boolean }>): string {
  let charset = '';
  const bytes: Buffer[] = [];
  const indexes = [...byIndex.keys()].sort((a, b) => a - b);
  for (const i of indexes) {
    const { text, extended } = byIndex.get(i)!;
    if (!extended) {
      bytes.push(Buffer.from(text, 'utf8'));
      continue;
    }
    let encoded = text;
    if (i === indexes[0]) {
      // charset'language'value; either may be empty, and a sloppy sender may leave both out
      const m = /^([^']*)'[^']*'(.*)$/s.exec(text);
      if (m) {
        charset = m[1]!;
        encoded = m[2]!;
      }
    }
    bytes.push(unescapeHex(encoded, 0x25));
  }
  return decodeBytes(Buffer.concat(bytes), charset || 'utf-8');
}

interface Segment {
  /** the whole segment, trimmed (the first one is the header's value) */
  text: string;
  /** for name=value: the name, trimmed */
  key?: string;
  /** for name=value: the value, unquoted, trimmed outside the quotes only */
  value?: string;
}

/** Split at ';' outside quoted strings, dropping comments and unquoting (a backslash escapes the next character). */
function splitSegments(header: string): Segment[] {
  const out: Segment[] = [];
  let cur = '';
  let eq = -1; // where the first '=' outside quotes is in cur
  let quotedFrom = -1; // where quoted text starts in cur
  let quotedTo = -1; // where the last quoted text ends in cur
  const close = (): void => {
    const seg: Segment = { text: cur.trim() };
    if (eq >= 0) {
      seg.key = cur.slice(0, eq).trim();
      let start = eq + 1;
      let end = cur.length;
      while (start < end && (quotedFrom < 0 || start < quotedFrom) && /\s/.test(cur[start]!)) start++;
      while (end > start && end > quotedTo && /\s/.test(cur[end - 1]!)) end--;
      seg.value = cur.slice(start, end);
    }
    out.push(seg);
    cur = '';
    eq = quotedFrom = quotedTo = -1;
  };
  let quoted = false;
  let comment = 0;
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < header.length) cur += header[++i];
      else if (c === '"') {
        quoted = false;
        quotedTo = cur.length;
      } else cur += c;
    } else if (comment > 0) {
      if (c === '\\') i++;
      else if (c === '(') comment++;
      else if (c === ')') comment--;
    } else if (c === '"') {
      quoted = true;
      if (quotedFrom < 0) quotedFrom = cur.length;
    } else if (c === '(') {
      comment = 1;
    } else if (c === ';') {
      close();
    } else {
      if (c === '=' && eq < 0) eq = cur.length;
      cur += c;
    }
  }
  close();
  return out;
}
