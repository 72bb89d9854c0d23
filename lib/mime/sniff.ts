/*
 * sniff.ts: what a file really is, from its first bytes ("magic numbers"). Senders' Content-Types and
 * file names lie (application/octet-stream, "scan.pdf" that is a JPEG); the bytes do not.
 * Inputs: the head of a file (the first SNIFF_BYTES bytes are enough) or a path. sniffFile fails only on
 * I/O errors; an unknown format is `undefined`.
 */
import { open } from 'node:fs/promises';

export type DocKind = 'pdf' | 'tiff' | 'jpeg' | 'png' | 'office' | 'tnef';

/** How many leading bytes sniffBytes looks at. */
const SNIFF_BYTES = 1024;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const OLE2_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const TNEF_SIGNATURE = [0x78, 0x9f, 0x3e, 0x22];

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  return bytes.every((b, i) => head[at + i] === b);
}

function latin1(head: Uint8Array): string {
  return Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, SNIFF_BYTES)).toString('latin1');
}

/** The document kind of a file from its first bytes, or undefined when it is none we handle. */
export function sniffBytes(head: Uint8Array): DocKind | undefined {
  if (startsWith(head, PNG_SIGNATURE)) return 'png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  // Classic TIFF (II*\0, MM\0*) and BigTIFF (II+\0, MM\0+), which libtiff also reads.
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  if (startsWith(head, TNEF_SIGNATURE)) return 'tnef';
  const text = latin1(head);
  // PDF readers accept the header anywhere in the first 1024 bytes (some generators put junk first).
  if (text.includes('%PDF-')) return 'pdf';
  // Office Open XML (docx/xlsx/pptx) and OpenDocument are ZIP files; ordinary ZIPs are not office files.
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    if (
      text.includes('[Content_Types].xml') ||
      text.includes('mimetypeapplication/vnd.oasis.opendocument') ||
      /word\/|xl\/|ppt\//.test(text)
    )
      return 'office';
    return undefined;
  }
  // Legacy .doc/.xls/.ppt are OLE2 compound files; RTF is text starting with {\rtf.
  if (startsWith(head, OLE2_SIGNATURE)) return 'office';
  if (text.startsWith('{\\rtf')) return 'office';
  return undefined;
}

/** Read the head of a file and sniff it. */
export async function sniffFile(path: string): Promise<DocKind | undefined> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return sniffBytes(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}
