/*
 * select.ts: decide, for every stored part of a mail, whether it is a document to fax, a part to name in
 * the reply as not faxable ("skipped"), a part to drop without a word ("ignored": signature logos,
 * S/MIME and PGP signatures, vCards), or a damaged document (the whole fax is refused).
 * Inputs: the parts in MIME order and what their bytes are (sniff.ts). Pure; never fails.
 *
 * The bytes decide the format: a JPEG sent as "scan.pdf" or as application/octet-stream is a JPEG. A part
 * whose name or type promises PDF/TIFF/JPEG/PNG but whose bytes are none of those is damaged.
 *
 * Signature logos: an image smaller than minImageBytes is ignored when it is displayed inside the mail
 * (Content-Disposition inline, or a Content-ID, or embedded in multipart/related): that is what mail
 * programs do with logos in signatures. An image the sender attached explicitly (disposition attachment
 * and no Content-ID), or one without any disposition, is kept however small: it was chosen on purpose
 * (a small scanned stamp or a QR code), and faxing an extra logo costs less than losing a document.
 *
 * Office files count only when LibreOffice is configured, and then only when their bytes are an office
 * container (ZIP with Office Open XML or OpenDocument inside, OLE2, RTF); a .docx that is not one is damaged.
 */
import type { DocKind } from '../mime/sniff.js';
import type { MimePart } from '../mime/parse.js';
import { extensionOf } from '../mime/filename.js';

export type SelectedKind = 'pdf' | 'tiff' | 'jpeg' | 'png' | 'office';

export interface SelectedDocument {
  part: MimePart;
  kind: SelectedKind;
  /** name to show the sender: the sanitised original name or "attachment N.ext" */
  name: string;
}

export interface SkippedPart {
  name: string;
  contentType: string;
  /** plain words for the sender, no final full stop, e.g. "ZIP archives cannot be faxed" */
  reason: string;
}

export interface SelectOptions {
  minImageBytes: number;
  officeAvailable: boolean;
  tnefAvailable: boolean;
}

export interface Selection {
  documents: SelectedDocument[];
  /** parts to name in the reply */
  skipped: SkippedPart[];
  /** parts dropped quietly (logos, signatures): for the log only */
  ignored: SkippedPart[];
  /** documents whose bytes do not match what they claim to be: the fax must be refused */
  damaged: SkippedPart[];
}

const FAXABLE = new Set<DocKind>(['pdf', 'tiff', 'jpeg', 'png']);

const TYPE_KIND: Readonly<Record<string, DocKind>> = {
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
  'image/tiff': 'tiff',
  'image/tif': 'tiff',
  'image/x-tiff': 'tiff',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/pjpeg': 'jpeg',
  'image/png': 'png',
  'image/x-png': 'png',
  'application/ms-tnef': 'tnef',
  'application/vnd.ms-tnef': 'tnef',
  'application/msword': 'office',
  'application/rtf': 'office',
  'text/rtf': 'office',
  'application/vnd.ms-excel': 'office',
  'application/vnd.ms-powerpoint': 'office',
};

const EXT_KIND: Readonly<Record<string, DocKind>> = {
  pdf: 'pdf',
  tif: 'tiff',
  tiff: 'tiff',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  jfif: 'jpeg',
  png: 'png',
  dat: 'tnef', // only winmail.dat, checked below
  doc: 'office',
  docx: 'office',
  docm: 'office',
  dot: 'office',
  dotx: 'office',
  odt: 'office',
  ott: 'office',
  rtf: 'office',
  xls: 'office',
  xlsx: 'office',
  xlsm: 'office',
  ods: 'office',
  ppt: 'office',
  pptx: 'office',
  odp: 'office',
};

const EXT_LABEL: Readonly<Record<SelectedKind, string>> = {
  pdf: 'pdf',
  tiff: 'tif',
  jpeg: 'jpg',
  png: 'png',
  office: 'doc',
};

/** Is this (lower-case) extension one of the office formats above? */
export function isOfficeExtension(ext: string): boolean {
  return ext !== '' && EXT_KIND[ext] === 'office';
}

/** Types nobody wants faxed and nobody needs to be told about. */
const QUIET_TYPES = new Set([
  'application/pkcs7-signature',
  'application/x-pkcs7-signature',
  'application/pgp-signature',
  'application/pgp-keys',
  'text/vcard',
  'text/x-vcard',
  'text/directory',
]);

/** What a part claims to be, from its Content-Type, then its name. */
function claimedKind(part: Pick<MimePart, 'contentType' | 'filename'>): DocKind | undefined {
  const byType = TYPE_KIND[part.contentType];
  if (byType) return byType;
  if (
    part.contentType.startsWith('application/vnd.openxmlformats-officedocument.') ||
    part.contentType.startsWith('application/vnd.oasis.opendocument.')
  )
    return 'office';
  const ext = extensionOf(part.filename);
  if (ext === 'dat') return part.filename.toLowerCase() === 'winmail.dat' ? 'tnef' : undefined;
  return EXT_KIND[ext];
}

/** Is the part shown inside the mail text rather than attached (see the header comment)? */
function isInlineImage(part: MimePart): boolean {
  return part.disposition === 'inline' || part.cid !== '' || part.related;
}

/** Sort the parts of a mail into documents, skipped, ignored and damaged, keeping MIME order. */
export function selectDocuments(
  parts: readonly MimePart[],
  kinds: readonly (DocKind | undefined)[],
  opts: SelectOptions,
): Selection {
  const out: Selection = { documents: [], skipped: [], ignored: [], damaged: [] };
  parts.forEach((part, i) => {
    const sniffed = kinds[i];
    const claimed = claimedKind(part);
    const kind = sniffed ?? claimed;
    const name = part.filename || `attachment ${part.index}${kind && kind !== 'tnef' ? `.${EXT_LABEL[kind]}` : ''}`;
    const entry = (reason: string): SkippedPart => ({ name, contentType: part.contentType, reason });
    const isImage = part.contentType.startsWith('image/') || kind === 'jpeg' || kind === 'png' || kind === 'tiff';

    if (isImage && isInlineImage(part) && part.size < opts.minImageBytes) {
      out.ignored.push(entry('small image inside the mail text (signature logo)'));
      return;
    }
    if (QUIET_TYPES.has(part.contentType) || (part.size === 0 && !claimed)) {
      out.ignored.push(entry(part.size === 0 ? 'empty part' : 'signature or contact card'));
      return;
    }
    if (sniffed && FAXABLE.has(sniffed)) {
      out.documents.push({ part, kind: sniffed as SelectedKind, name });
      return;
    }
    if (!sniffed && claimed && FAXABLE.has(claimed)) {
      out.damaged.push(
        entry(part.size === 0 ? 'the file is empty' : `the file is not a valid ${claimed.toUpperCase()} file`),
      );
      return;
    }
    if (kind === 'office') {
      if (!opts.officeAvailable)
        out.skipped.push(
          entry('office documents (Word, Excel, ...) cannot be converted on this fax server; please send a PDF'),
        );
      // Only bytes that look like an office file reach LibreOffice: it imports anything else as plain text,
      // and would fax a damaged .xlsx as pages of garbage.
      else if (sniffed === 'office') out.documents.push({ part, kind: 'office', name });
      else out.damaged.push(entry(part.size === 0 ? 'the file is empty' : 'the file is not a valid office document'));
      return;
    }
    if (kind === 'tnef') {
      out.skipped.push(
        entry(
          opts.tnefAvailable
            ? "Outlook's winmail.dat could not be unpacked"
            : "Outlook's winmail.dat cannot be unpacked on this fax server; please send the mail in HTML or " +
                'plain-text format',
        ),
      );
      return;
    }
    out.skipped.push(entry(reasonForUnsupported(part)));
  });
  return out;
}

/** Why an unknown part cannot be faxed, in words the sender recognises. */
function reasonForUnsupported(part: MimePart): string {
  const ext = extensionOf(part.filename);
  const t = part.contentType;
  if (t === 'message/rfc822') return 'forwarded mails nested this deeply are not opened';
  if (ext === 'zip' || t === 'application/zip' || t === 'application/x-zip-compressed')
    return 'ZIP archives cannot be faxed; please attach the documents themselves';
  if (
    ['exe', 'com', 'bat', 'cmd', 'scr', 'msi', 'js', 'vbs', 'ps1', 'jar'].includes(ext) ||
    t === 'application/x-msdownload'
  )
    return 'programs cannot be faxed';
  if (t.startsWith('image/'))
    return (
      `${ext ? ext.toUpperCase() : t.slice(6).toUpperCase()} images cannot be faxed; please send PDF, ` +
      `TIFF, JPEG or PNG`
    );
  if (t.startsWith('text/')) return 'text files cannot be faxed; put the text in the mail and add +body to the subject';
  return 'this type of file cannot be faxed; please send PDF, TIFF, JPEG or PNG';
}

/** The skipped parts as one phrase for a reply: "a.zip" (ZIP archives ...), "b.gif" (...). */
export function formatSkipped(skipped: readonly SkippedPart[]): string {
  return skipped.map((s) => `"${s.name}" (${s.reason})`).join(', ');
}
