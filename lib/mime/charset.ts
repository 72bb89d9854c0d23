/*
 * charset.ts: bytes in a mail's declared charset to text, with Node's own TextDecoder (full ICU: the
 * Japanese, Chinese and Korean charsets, windows-125x, iso-8859-x, koi8, utf-16).
 * A charset TextDecoder does not know (or one we refuse: UTF-7 can hide markup) decodes as UTF-8 with
 * U+FFFD for bad bytes: a mail is never refused for its charset. Pure; never throws.
 */
import { TextDecoder } from 'node:util';

/** Names mail programs write that are not WHATWG labels, mapped to the label of the same (or a superset) table. */
const ALIASES: Readonly<Record<string, string>> = {
  cp932: 'shift_jis',
  'x-ms-cp932': 'shift_jis',
  'windows-932': 'shift_jis',
  'shift-jisx0213': 'shift_jis',
  'iso-2022-jp-1': 'iso-2022-jp',
  'iso-2022-jp-2': 'iso-2022-jp',
  'iso-2022-jp-3': 'iso-2022-jp',
  'x-euc-jp': 'euc-jp',
  'euc-jis-2004': 'euc-jp',
  cp936: 'gbk',
  'windows-936': 'gbk',
  cp949: 'euc-kr',
  'windows-949': 'euc-kr',
  cp950: 'big5',
  'windows-950': 'big5',
  // us-ascii would be windows-1252 by the WHATWG table; mail readers read it (and 8-bit junk in it) as UTF-8.
  ascii: 'utf-8',
  'us-ascii': 'utf-8',
  'ansi_x3.4-1968': 'utf-8',
};

/** Charsets decoded as UTF-8 whatever TextDecoder would make of them. */
const REFUSED = new Set(['utf-7', 'unicode-1-1-utf-7', 'csunicode11utf7']);

/** What decoderFor returns: TextDecoder's decode(). */
export interface TextDecoderLike {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

/**
 * Windows-1252 (also what iso-8859-1 and latin1 mean in mail, by the WHATWG table): Node 20's TextDecoder
 * decodes it as ISO-8859-1, which turns Outlook's curly quotes and the euro sign (0x80-0x9f) into control
 * characters. Single-byte, so no state between chunks.
 */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const WINDOWS_1252: TextDecoderLike = {
  decode: (input) =>
    input
      ? Buffer.from(input.buffer, input.byteOffset, input.length)
          .toString('latin1')
          .replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!)
      : '',
};

/** A streaming decoder for a declared charset (UTF-8 when it is missing, unknown or refused). */
export function decoderFor(charset: string | undefined): TextDecoderLike {
  const name = (charset ?? '')
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
  if (name && !REFUSED.has(name)) {
    try {
      // Throws for unknown labels and for those of the "replacement" encoding (iso-2022-kr, hz-gb-2312).
      const decoder = new TextDecoder(ALIASES[name] ?? name);
      return decoder.encoding === 'windows-1252' ? WINDOWS_1252 : decoder;
    } catch {
      // decoded as UTF-8 below
    }
  }
  return new TextDecoder('utf-8');
}

/** Decode a whole byte string in a declared charset. */
export function decodeBytes(bytes: Uint8Array, charset: string | undefined): string {
  return decoderFor(charset).decode(bytes);
}
