/*
 * transfer.ts: Content-Transfer-Encoding decoders that work chunk by chunk, so an attachment of any size
 * passes through in pieces: base64 (whatever the line length, characters outside the alphabet skipped),
 * quoted-printable (=XX bytes, soft line breaks, an escape cut by a chunk edge kept for the next chunk),
 * and the identity for 7bit, 8bit, binary and names we do not know.
 * Malformed input never throws: what can be decoded is, a lone '=' stays itself. Pure.
 */
import { hexByte } from './encoded-words.js';

export interface BodyDecoder {
  /** decoded bytes of the next chunk (possibly fewer: an incomplete group waits for the next chunk) */
  write(chunk: Uint8Array): Buffer;
  /** whatever was held back, decoded as well as it can be */
  end(): Buffer;
}

/** The decoder for a Content-Transfer-Encoding value (lower case). */
export function transferDecoder(encoding: string): BodyDecoder {
  if (encoding === 'base64') return new Base64Decoder();
  if (encoding === 'quoted-printable') return new QpDecoder();
  return { write: (chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length), end: () => EMPTY };
}

const EMPTY = Buffer.alloc(0);

class Base64Decoder implements BodyDecoder {
  private rest = '';

  write(chunk: Uint8Array): Buffer {
    // Padding is dropped with the rest: Node decodes a final group of 2 or 3 characters without it.
    const text =
      this.rest +
      Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
        .toString('latin1')
        .replace(/[^A-Za-z0-9+/]/g, '');
    const whole = text.length - (text.length % 4);
    this.rest = text.slice(whole);
    return Buffer.from(text.slice(0, whole), 'base64');
  }

  end(): Buffer {
    const last = Buffer.from(this.rest, 'base64');
    this.rest = '';
    return last;
  }
}

/** Longest run after '=' held while waiting for the line break of a soft break with trailing blanks. */
const MAX_QP_HOLD = 1024;

class QpDecoder implements BodyDecoder {
  private rest: Buffer = EMPTY;

  write(chunk: Uint8Array): Buffer {
    return this.decode(this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk, false);
  }

  end(): Buffer {
    return this.decode(this.rest, true);
  }

  private decode(src: Uint8Array, final: boolean): Buffer {
    const out = Buffer.allocUnsafe(src.length);
    let n = 0;
    let i = 0;
    this.rest = EMPTY;
    while (i < src.length) {
      const c = src[i]!;
      if (c !== 0x3d) {
        out[n++] = c;
        i++;
        continue;
      }
      const hex = hexByte(src, i + 1);
      if (hex >= 0) {
        out[n++] = hex;
        i += 3;
        continue;
      }
      // A soft line break: '=', perhaps blanks a sender left, then CRLF or LF.
      let j = i + 1;
      while (j < src.length && (src[j] === 0x20 || src[j] === 0x09)) j++;
      // Undecided until more bytes come: "=" or "=<blanks>" at the end, "=\r" at the end, "=A" at the end.
      const incomplete =
        j >= src.length ||
        (src[j] === 0x0d && j + 1 >= src.length) ||
        (j === i + 1 && i + 2 >= src.length && src[j] !== 0x0a);
      if (incomplete && !final && src.length - i <= MAX_QP_HOLD) {
        this.rest = Buffer.from(src.subarray(i));
        break;
      }
      if (src[j] === 0x0a) {
        i = j + 1;
      } else if (src[j] === 0x0d) {
        i = src[j + 1] === 0x0a ? j + 2 : j + 1;
      } else {
        out[n++] = c;
        i++;
      }
    }
    return out.subarray(0, n);
  }
}
