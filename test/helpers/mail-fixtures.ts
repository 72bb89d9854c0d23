/*
 * mail-fixtures.ts: raw RFC 822 mails for tests, as Buffers (or files, for big ones).
 * - composeMail(): an ordinary mail as nodemailer's MailComposer writes it (text, HTML, attachments,
 *   inline images with cid, forwarded messages).
 * - buildMime(): any MIME tree written by hand, byte for byte, for structures and encodings that mail
 *   programs produce but MailComposer does not (RFC 2047 names, octet-stream without a name, lying
 *   Content-Types, deep nesting, winmail.dat).
 * - ready-made scenario mails (mixedAlternativeMail, relatedLogoMail, forwardedMail, ...) and
 *   encodeTnef() for winmail.dat files; writeBigMail() streams a mail with a huge attachment to a file.
 * Attachments come from test/helpers/documents.ts.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { bytesOf, encodeDocx, encodePlainZip, makeJpeg, makePdf, makePng } from './documents.js';

export interface FixtureAttachment {
  filename?: string;
  content: Buffer | string;
  contentType?: string;
  contentDisposition?: 'attachment' | 'inline';
  cid?: string;
}

export interface ComposeOptions {
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  html?: string;
  date?: Date;
  messageId?: string;
  attachments?: FixtureAttachment[];
  headers?: Record<string, string>;
}

/** An ordinary mail, as nodemailer composes it. */
export async function composeMail(opts: ComposeOptions = {}): Promise<Buffer> {
  const mail = new MailComposer({
    from: opts.from ?? 'Alice Sender <alice@example.com>',
    to: opts.to ?? '0312345678@fax.example.com',
    subject: opts.subject ?? 'Test fax',
    date: opts.date ?? new Date('2024-05-01T09:30:00Z'),
    ...(opts.text !== undefined ? { text: opts.text } : {}),
    ...(opts.html !== undefined ? { html: opts.html } : {}),
    ...(opts.messageId ? { messageId: opts.messageId } : {}),
    ...(opts.headers ? { headers: opts.headers } : {}),
    attachments: (opts.attachments ?? []).map((a) => ({
      content: a.content,
      ...(a.filename !== undefined ? { filename: a.filename } : {}),
      ...(a.contentType ? { contentType: a.contentType } : {}),
      ...(a.contentDisposition ? { contentDisposition: a.contentDisposition } : {}),
      ...(a.cid ? { cid: a.cid } : {}),
    })),
  });
  return new Promise((resolve, reject) => mail.compile().build((err, buf) => (err ? reject(err) : resolve(buf))));
}

// ---------- hand-written MIME ----------

export interface MimeLeaf {
  /** full Content-Type header value, e.g. 'application/pdf; name="a.pdf"' */
  type: string;
  /** full Content-Disposition value, e.g. 'attachment; filename="a.pdf"' (omitted when undefined) */
  disposition?: string;
  /** Content-ID without brackets */
  cid?: string;
  encoding?: 'base64' | 'quoted-printable' | '7bit' | '8bit';
  body: Buffer | string;
  headers?: [string, string][];
}

export interface MimeMultipart {
  /** 'mixed', 'alternative', 'related', 'signed', ... */
  multipart: string;
  parts: MimeNode[];
  headers?: [string, string][];
}

export interface MimeMessagePart {
  /** a message/rfc822 part holding another complete mail */
  message: Buffer;
  disposition?: string;
  headers?: [string, string][];
}

export type MimeNode = MimeLeaf | MimeMultipart | MimeMessagePart;

let boundaryCount = 0;

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

function qp(data: Buffer): string {
  let out = '';
  let line = '';
  for (const byte of data) {
    if (byte === 0x0a) {
      out += line + '\r\n';
      line = '';
      continue;
    }
    if (byte === 0x0d) continue;
    const enc =
      (byte >= 33 && byte <= 126 && byte !== 61) || byte === 32
        ? String.fromCharCode(byte)
        : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line.length + enc.length > 75) {
      out += line + '=\r\n';
      line = '';
    }
    line += enc;
  }
  return out + line;
}

/** Write a MIME node (headers + body) as CRLF text. */
function writeNode(node: MimeNode): string {
  const lines: string[] = [];
  for (const [k, v] of node.headers ?? []) lines.push(`${k}: ${v}`);
  if ('multipart' in node) {
    const boundary = `----=_fixture_${++boundaryCount}_${randomBytes(4).toString('hex')}`;
    lines.push(`Content-Type: multipart/${node.multipart}; boundary="${boundary}"`, '');
    let body = lines.join('\r\n') + '\r\nThis is a multi-part message in MIME format.\r\n';
    for (const p of node.parts) body += `\r\n--${boundary}\r\n${writeNode(p)}`;
    return `${body}\r\n--${boundary}--\r\n`;
  }
  if ('message' in node) {
    lines.push('Content-Type: message/rfc822');
    if (node.disposition) lines.push(`Content-Disposition: ${node.disposition}`);
    lines.push('Content-Transfer-Encoding: 8bit', '');
    return lines.join('\r\n') + '\r\n' + node.message.toString('latin1').replace(/\r?\n/g, '\r\n');
  }
  const body = typeof node.body === 'string' ? Buffer.from(node.body, 'utf8') : node.body;
  const encoding = node.encoding ?? (typeof node.body === 'string' ? 'quoted-printable' : 'base64');
  lines.push(`Content-Type: ${node.type}`);
  if (node.disposition) lines.push(`Content-Disposition: ${node.disposition}`);
  if (node.cid) lines.push(`Content-ID: <${node.cid}>`);
  lines.push(`Content-Transfer-Encoding: ${encoding}`, '');
  const text =
    encoding === 'base64'
      ? base64Lines(body)
      : encoding === 'quoted-printable'
        ? qp(body)
        : body.toString('latin1').replace(/\r?\n/g, '\r\n');
  return lines.join('\r\n') + '\r\n' + text + '\r\n';
}

export interface EnvelopeHeaders {
  from?: string;
  to?: string;
  subject?: string;
  date?: string;
  messageId?: string;
  extra?: [string, string][];
}

/** A complete mail: top-level headers (Subject given raw: encode it yourself with encodeWord) and a MIME tree. */
export function buildMime(root: MimeNode, env: EnvelopeHeaders = {}): Buffer {
  const head = [
    `From: ${env.from ?? 'Alice Sender <alice@example.com>'}`,
    `To: ${env.to ?? '0312345678@fax.example.com'}`,
    `Subject: ${env.subject ?? 'Test fax'}`,
    `Date: ${env.date ?? 'Wed, 01 May 2024 18:30:00 +0900'}`,
    `Message-ID: ${env.messageId ?? `<${randomBytes(6).toString('hex')}@example.com>`}`,
    'MIME-Version: 1.0',
    ...(env.extra ?? []).map(([k, v]) => `${k}: ${v}`),
  ];
  return Buffer.from(head.join('\r\n') + '\r\n' + writeNode(root), 'latin1');
}

/** RFC 2047 encoded word (B encoding, UTF-8), split so no word exceeds 75 characters. */
export function encodeWord(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join(' ');
}

/**
 * RFC 2231 parameter, e.g. encodeParam('filename', 'über uns.pdf') -> filename*=utf-8''%C3%BCber%20uns.pdf; with
 * continuations when long.
 */
export function encodeParam(name: string, value: string, continuation = false): string {
  const enc = Array.from(Buffer.from(value, 'utf8'))
    .map((b) =>
      /[A-Za-z0-9._-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
  if (!continuation) return `${name}*=utf-8''${enc}`;
  const pieces = enc.match(/(%[0-9A-F]{2}|[^%]){1,12}/g) ?? [];
  return pieces.map((p, i) => `${name}*${i}*=${i === 0 ? "utf-8''" : ''}${p}`).join(';\r\n ');
}

/** A leaf attachment node, with the usual Content-Type name and Content-Disposition filename. */
export function attachmentNode(
  file: Buffer,
  opts: {
    type: string;
    filename?: string;
    disposition?: 'attachment' | 'inline' | 'none';
    cid?: string;
    rawName?: string;
  },
): MimeLeaf {
  const nameParam = opts.rawName ?? (opts.filename !== undefined ? `"${opts.filename}"` : undefined);
  const node: MimeLeaf = {
    type: nameParam ? `${opts.type}; name=${nameParam}` : opts.type,
    body: file,
    encoding: 'base64',
  };
  const disp = opts.disposition ?? 'attachment';
  if (disp !== 'none') node.disposition = nameParam ? `${disp}; filename=${nameParam}` : disp;
  if (opts.cid) node.cid = opts.cid;
  return node;
}

export const textNode = (text: string): MimeLeaf => ({
  type: 'text/plain; charset=utf-8',
  body: text,
  encoding: 'quoted-printable',
});
export const htmlNode = (html: string): MimeLeaf => ({
  type: 'text/html; charset=utf-8',
  body: html,
  encoding: 'quoted-printable',
});

// ---------- winmail.dat ----------

/** A TNEF (winmail.dat) file holding the given attachments, as Outlook writes them. */
export function encodeTnef(files: { name: string; data: Buffer }[]): Buffer {
  const out: Buffer[] = [];
  const sig = Buffer.alloc(6);
  sig.writeUInt32LE(0x223e9f78, 0);
  sig.writeUInt16LE(0x0001, 4); // key
  out.push(sig);
  const attr = (level: number, id: number, data: Buffer): void => {
    const h = Buffer.alloc(9);
    h[0] = level;
    h.writeUInt32LE(id >>> 0, 1);
    h.writeUInt32LE(data.length, 5);
    let sum = 0;
    for (const b of data) sum = (sum + b) & 0xffff;
    const c = Buffer.alloc(2);
    c.writeUInt16LE(sum);
    out.push(h, data, c);
  };
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return b;
  };
  attr(1, 0x00089006, u32(0x00010000)); // attTnefVersion
  attr(1, 0x00069007, Buffer.from([0xe4, 0x04, 0, 0, 0, 0, 0, 0])); // attOemCodepage 1252
  for (const f of files) {
    attr(2, 0x00069002, Buffer.alloc(14)); // attAttachRendData starts an attachment
    attr(2, 0x00018010, Buffer.from(`${f.name}\0`, 'latin1')); // attAttachTitle
    attr(2, 0x0006800f, f.data); // attAttachData
  }
  return Buffer.concat(out);
}

// ---------- scenarios ----------

/** multipart/mixed( multipart/alternative(text, html), PDF, JPEG ) */
export function mixedAlternativeMail(): Buffer {
  return buildMime({
    multipart: 'mixed',
    parts: [
      {
        multipart: 'alternative',
        parts: [textNode('Please fax the attached.\n'), htmlNode('<p>Please fax the <b>attached</b>.</p>')],
      },
      attachmentNode(bytesOf(makePdf({ pages: 2 })), { type: 'application/pdf', filename: 'first.pdf' }),
      attachmentNode(bytesOf(makeJpeg()), { type: 'image/jpeg', filename: 'second.jpg' }),
    ],
  });
}

/**
 * multipart/mixed( multipart/related( multipart/alternative(text, html with <img src=cid:logo>), small
 * logo PNG inline with cid ), PDF ): the logo must be ignored, the PDF faxed.
 */
export function relatedLogoMail(opts: { logoBytes?: Buffer } = {}): Buffer {
  const logo = opts.logoBytes ?? Buffer.from(makePngBuffer(40, 20));
  return buildMime({
    multipart: 'mixed',
    parts: [
      {
        multipart: 'related',
        parts: [
          {
            multipart: 'alternative',
            parts: [textNode('Regards,\nAlice\n'), htmlNode('<p>Regards,<br>Alice</p><img src="cid:logo@example">')],
          },
          attachmentNode(logo, { type: 'image/png', filename: 'logo.png', disposition: 'inline', cid: 'logo@example' }),
        ],
      },
      attachmentNode(bytesOf(makePdf()), { type: 'application/pdf', filename: 'invoice.pdf' }),
    ],
  });
}

function makePngBuffer(width: number, height: number): Buffer {
  return bytesOf(makePng({ width, height, colorType: 2 }));
}

/** A mail forwarding (as an attachment) another mail that holds `inner` documents; `depth` nests further. */
export function forwardedMail(opts: { depth?: number; before?: MimeNode[]; after?: MimeNode[] } = {}): Buffer {
  const depth = opts.depth ?? 1;
  let inner = buildMime(
    {
      multipart: 'mixed',
      parts: [
        textNode('Original message text.\n'),
        attachmentNode(bytesOf(makePdf({ title: 'forwarded' })), {
          type: 'application/pdf',
          filename: 'forwarded.pdf',
        }),
      ],
    },
    { subject: 'Original', from: 'Bob <bob@example.org>' },
  );
  for (let d = 1; d < depth; d++) {
    inner = buildMime(
      {
        multipart: 'mixed',
        parts: [textNode(`Forward level ${d}\n`), { message: inner, disposition: 'attachment; filename="fwd.eml"' }],
      },
      { subject: `Fwd level ${d}` },
    );
  }
  return buildMime(
    {
      multipart: 'mixed',
      parts: [
        textNode('See the forwarded mail.\n'),
        ...(opts.before ?? []),
        { message: inner, disposition: 'attachment; filename="Original.eml"' },
        ...(opts.after ?? []),
      ],
    },
    { subject: 'Fwd: Original' },
  );
}

/** Every kind of attachment naming trick in one mail (order: 2047, 2231, 2231 continued, octet+name, octet no name). */
export function namesMail(): Buffer {
  const pdf = bytesOf(makePdf());
  return buildMime({
    multipart: 'mixed',
    parts: [
      textNode('names\n'),
      attachmentNode(pdf, { type: 'application/pdf', rawName: `"${encodeWord('請求書.pdf')}"` }),
      {
        type: `application/pdf`,
        disposition: `attachment; ${encodeParam('filename', 'über uns.pdf')}`,
        body: pdf,
        encoding: 'base64',
      },
      {
        type: `application/pdf`,
        disposition: `attachment;\r\n ${encodeParam('filename', '見積書（2024年度）最終版.pdf', true)}`,
        body: pdf,
        encoding: 'base64',
      },
      attachmentNode(pdf, { type: 'application/octet-stream', filename: 'scan.PDF' }),
      attachmentNode(pdf, { type: 'application/octet-stream', disposition: 'attachment' }),
    ],
  });
}

/** A mail with a winmail.dat holding a PDF and a PNG (and a text part). */
export function winmailMail(): Buffer {
  const tnef = encodeTnef([
    { name: 'report.pdf', data: bytesOf(makePdf({ title: 'tnef' })) },
    { name: 'photo.png', data: bytesOf(makePng({ width: 200, height: 150 })) },
  ]);
  return buildMime({
    multipart: 'mixed',
    parts: [textNode('Outlook mail\n'), attachmentNode(tnef, { type: 'application/ms-tnef', filename: 'winmail.dat' })],
  });
}

/** Unsupported attachments: a .docx, a .zip, an .exe and a GIF. */
export function unsupportedMail(): Buffer {
  return buildMime({
    multipart: 'mixed',
    parts: [
      textNode('unsupported\n'),
      attachmentNode(encodeDocx(), {
        type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        filename: 'letter.docx',
      }),
      attachmentNode(encodePlainZip(), { type: 'application/zip', filename: 'files.zip' }),
      attachmentNode(Buffer.concat([Buffer.from('MZ'), randomBytes(200)]), {
        type: 'application/octet-stream',
        filename: 'setup.exe',
      }),
      attachmentNode(Buffer.concat([Buffer.from('GIF89a'), randomBytes(20000)]), {
        type: 'image/gif',
        filename: 'picture.gif',
      }),
    ],
  });
}

export const JAPANESE_TEXT =
  'いつもお世話になっております。請求書を送付いたします。ご確認のほどよろしくお願い申し上げます。株式会社テスト 山田太郎';

/** A plain-text mail in Japanese (UTF-8, base64 body), Subject in RFC 2047. */
export function japaneseTextMail(subject = '請求書の送付 +body'): Buffer {
  return buildMime(
    {
      type: 'text/plain; charset=UTF-8',
      body: Buffer.from(`${JAPANESE_TEXT}\n\n${JAPANESE_TEXT.repeat(3)}\n`),
      encoding: 'base64',
    },
    { subject: encodeWord(subject), from: `${encodeWord('山田 太郎')} <yamada@example.jp>` },
  );
}

/** An HTML-only mail (no text/plain alternative). */
export function htmlOnlyMail(
  html = '<html><head><style>p{color:red}</style><script>alert(1)</script></head>' +
    '<body><h1>Order</h1><p>Item&nbsp;1 &amp; item&#160;2</p>' +
    '<ul><li>one</li><li>two</li></ul>日本語&#x3042;</body></html>',
): Buffer {
  return buildMime(htmlNode(html), { subject: 'HTML only' });
}

/**
 * Stream a mail with one attachment of `bytes` random-ish bytes (a PDF header, then filler) to `file`,
 * never holding the whole mail in memory. Returns the attachment size.
 */
export async function writeBigMail(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(
    [
      'From: Alice <alice@example.com>',
      'To: 0312345678@fax.example.com',
      'Subject: big',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="BIG"',
      '',
      '--BIG',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'big attachment',
      '--BIG',
      'Content-Type: application/pdf; name="big.pdf"',
      'Content-Disposition: attachment; filename="big.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      '',
    ].join('\r\n'),
  );
  const chunk = 57 * 1024; // multiple of 57 bytes: 76-character base64 lines
  let left = bytes;
  let first = true;
  while (left > 0) {
    const n = Math.min(chunk, left);
    const data = randomBytes(n);
    if (first) {
      data.write('%PDF-1.4\n', 0, 'latin1');
      first = false;
    }
    await write(base64Lines(data) + '\r\n');
    left -= n;
  }
  await write('--BIG--\r\n');
  out.end();
  await once(out, 'finish');
  return bytes;
}
