/*
 * types.ts: the MIME type a file name suggests, for parts sent as application/octet-stream (or with no
 * Content-Type) and a name. The kinds sendfax faxes, plus a few it names when it refuses them (images,
 * ZIP, CSV: lib/documents/select.ts); anything else stays unknown and the part's bytes decide later
 * (sniff.ts). Pure.
 */
import { extensionOf } from './filename.js';

const BY_EXTENSION: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  heic: 'image/heic',
  svg: 'image/svg+xml',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  rtf: 'application/rtf',
  txt: 'text/plain',
  csv: 'text/csv',
  htm: 'text/html',
  html: 'text/html',
  ps: 'application/postscript',
  eml: 'message/rfc822',
  zip: 'application/zip',
};

/** The type for a file name's extension, or undefined when the table has none. */
export function typeFromFilename(name: string): string | undefined {
  return BY_EXTENSION[extensionOf(name)];
}
