/*
 * pdf.ts: a minimal PDF writer for benchmark documents: pages of a given size, each with a content stream
 * (PDF drawing operators written by the caller) and optional 8-bit grey image XObjects. Helvetica is
 * referenced as a standard font (no embedding). Streams are stored as given (no filter) unless `deflate`
 * is set, so a caller can make a file of a known size out of incompressible image data.
 * Pure: returns the file as a Buffer.
 */
import { deflateSync } from 'node:zlib';

export interface PdfImage {
  width: number;
  height: number;
  /** width * height grey samples, 0 black .. 255 white */
  samples: Uint8Array;
  /** Flate-compress the samples (default false: stored as they are) */
  deflate?: boolean;
}

export interface PdfPage {
  /** points */
  width: number;
  height: number;
  /** content stream; images are named /Im0, /Im1, ... in the order of `images`; the font is /F1 */
  content: string;
  images?: PdfImage[];
}

/** Write pages into one PDF file. */
export function writePdf(pages: PdfPage[]): Buffer {
  const objects: Buffer[] = [];
  const add = (body: Buffer | string): number => {
    objects.push(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
    return objects.length;
  };
  const stream = (dict: string, data: Buffer): Buffer =>
    Buffer.concat([
      Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`, 'latin1'),
      data,
      Buffer.from('\nendstream', 'latin1'),
    ]);
  const catalog = add('');
  const pagesObj = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const page of pages) {
    const xobjects = (page.images ?? []).map((img, i) => {
      const data = img.deflate
        ? deflateSync(img.samples)
        : Buffer.from(img.samples.buffer, img.samples.byteOffset, img.samples.byteLength);
      const filter = img.deflate ? ' /Filter /FlateDecode' : '';
      return `/Im${i} ${add(
        stream(
          `/Type /XObject /Subtype /Image /Width ${img.width} /Height ${img.height}` +
            ` /ColorSpace /DeviceGray /BitsPerComponent 8${filter}`,
          data,
        ),
      )} 0 R`;
    });
    const content = add(stream('', Buffer.from(page.content, 'latin1')));
    kids.push(
      add(
        `<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 ${page.width} ${page.height}] /Resources << ` +
          `/Font << /F1 ${font} 0 R >> /XObject << ${xobjects.join(' ')} >> >> /Contents ${content} 0 R >>`,
      ),
    );
  }
  objects[catalog - 1] = Buffer.from(`<< /Type /Catalog /Pages ${pagesObj} 0 R >>`, 'latin1');
  objects[pagesObj - 1] = Buffer.from(
    `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`,
    'latin1',
  );

  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let at = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(at);
    const chunk = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(chunk);
    at += chunk.length;
  });
  const xref = [
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`,
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`),
  ].join('');
  parts.push(
    Buffer.from(
      `${xref}trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${at}\n%%EOF\n`,
      'latin1',
    ),
  );
  return Buffer.concat(parts);
}

/** A PDF string literal. */
export function pdfString(text: string): string {
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}
