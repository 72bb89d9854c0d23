/*
 * encoded-words.ts: RFC 2047 encoded words ("=?utf-8?B?...?=", "=?iso-2022-jp?Q?...?=") in headers and
 * in parameter values written that way. Adjacent words (only whitespace between them) are one text: the
 * whitespace goes, and the bytes of consecutive words in one charset are joined before decoding, so a
 * character split across two words (mailers cut long subjects anywhere) comes out whole.
 * Pure; never throws: a bad word decodes to what its bytes give, an unknown charset as UTF-8.
 */
import { decodeBytes } from './charset.js';

const WORD = /=\?([^?\s]+)\?([BbQq])\?([^?]*)\?=/g;

/** A header text with its encoded words decoded. */
export function decodeWords(text: string): string {
  if (!text.includes('=?')) return text;
  let out = '';
  let last = 0;
  let run: { charset: string; bytes: Buffer[] } | undefined;
  const flush = (): void => {
    if (run) out += decodeBytes(Buffer.concat(run.bytes), run.charset);
    run = undefined;
  };
  for (const m of text.matchAll(WORD)) {
    const between = text.slice(last, m.index);
    // Whitespace between two encoded words is folding, not text (RFC 2047 section 6.2).
    if (!run || /\S/.test(between)) {
      flush();
      out += between;
    }
    // RFC 2231 section 5 lets a language follow the charset: =?utf-8*ja?B?...?=
    const charset = m[1]!.split('*')[0]!.toLowerCase();
    if (run && run.charset !== charset) flush();
    run ??= { charset, bytes: [] };
    run.bytes.push(m[2] === 'B' || m[2] === 'b' ? Buffer.from(m[3]!, 'base64') : qBytes(m[3]!));
    last = m.index + m[0].length;
  }
  flush();
  return out + text.slice(last);
}

/** The bytes of a Q-encoded word: "_" is a space, "=XX" a byte, anything else itself. */
function qBytes(text: string): Buffer {
  return unescapeHex(text.replace(/_/g, ' '), 0x3d);
}

/** The bytes of a text where `marker` followed by two hex digits stands for one byte (=XX, %XX). */
export function unescapeHex(text: string, marker: number): Buffer {
  const src = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const hex = src[i] === marker ? hexByte(src, i + 1) : -1;
    if (hex >= 0) {
      out[n++] = hex;
      i += 2;
    } else {
      out[n++] = src[i]!;
    }
  }
  return out.subarray(0, n);
}

/** The byte written as two hex digits at src[at], or -1 when there are none. */
export function hexByte(src: Uint8Array, at: number): number {
  const hi = hexDigit(src[at]);
  const lo = hexDigit(src[at + 1]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

function hexDigit(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
