/*
 * part.ts: what the header of one MIME part says about it: type, charset, transfer encoding,
 * disposition, sender's file name, Content-ID, and the boundary of a multipart. The defaults follow
 * RFC 2045/2183 as mail readers apply them: without a Content-Type, a file name with an extension gives
 * the type (application/octet-stream when unknown), an attachment is application/octet-stream, anything
 * else text/plain. Pure; never throws.
 */
import { type HeaderField, firstValue } from './headers.js';
import { parseHeaderValue } from './params.js';
import { decodeWords } from './encoded-words.js';
import { typeFromFilename } from './types.js';
import { extensionOf } from './filename.js';

export interface PartHeader {
  /** lower case, e.g. 'application/pdf', 'multipart/mixed' */
  contentType: string;
  /** the charset parameter ('' when none) */
  charset: string;
  /** lower case: 'base64', 'quoted-printable', '7bit', ... ('' when none) */
  encoding: string;
  /** lower case, decoded ('' when there is no Content-Disposition) */
  disposition: string;
  /** decoded, not yet sanitised ('' when none) */
  filename: string;
  /** Content-ID without angle brackets ('' when none) */
  cid: string;
  /** the multipart boundary, for a multipart with a usable one */
  boundary?: string;
  /** text/plain; format=flowed, and its delsp=yes */
  flowed: boolean;
  delSp: boolean;
}

/** Longest boundary used; a longer one (RFC 2046 allows 70 characters) counts as none. */
export const MAX_BOUNDARY = 200;

/** Describe a part from its header fields. */
export function describePart(fields: readonly HeaderField[]): PartHeader {
  const disp = parseHeaderValue(firstValue(fields, 'content-disposition'));
  const type = parseHeaderValue(firstValue(fields, 'content-type'));
  const disposition = decodeWords(disp.value);
  const filename = disp.params.filename || type.params.name || '';
  const contentType =
    type.value ||
    (extensionOf(filename) ? (typeFromFilename(filename) ?? 'application/octet-stream') : '') ||
    (disposition === 'attachment' ? 'application/octet-stream' : 'text/plain');
  const part: PartHeader = {
    contentType,
    charset: type.params.charset ?? '',
    encoding: firstValue(fields, 'content-transfer-encoding')
      .replace(/\(.*\)/, '')
      .trim()
      .toLowerCase(),
    disposition,
    filename,
    cid: firstValue(fields, 'content-id').trim().replace(/^<|>$/g, '').trim(),
    flowed: false,
    delSp: false,
  };
  const boundary = (type.params.boundary ?? '').trimEnd();
  if (
    contentType.startsWith('multipart/') &&
    boundary &&
    boundary.length <= MAX_BOUNDARY &&
    /^[\x20-\x7e]+$/.test(boundary)
  )
    part.boundary = boundary;
  if (contentType === 'text/plain' && type.params.format?.toLowerCase() === 'flowed') {
    part.flowed = true;
    part.delSp = type.params.delsp?.toLowerCase() === 'yes';
  }
  return part;
}
