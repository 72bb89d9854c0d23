/*
 * image-pdf.ts: a JPEG or PNG as a one-page PDF, so that one Ghostscript pass rasterises every document.
 * The picture is checked first (image-info.ts), then placed on a page of the configured paper
 * (page-geometry.ts: printed size from its resolution metadata when that fits, else fitted to the page;
 * landscape pictures on a landscape page; EXIF rotation applied here, from the first Exif block). JPEG data is embedded
 * as is (no recompression); PNG goes through pdfkit's decoder (palette, alpha, interlace, 16 bit).
 * Fails with FaxError('bad-document') for damaged or unreadable pictures, 'too-large' for huge ones,
 * 'temporary' for I/O errors.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
// pdfkit is loaded on first use: it costs ~0.2 s of start-up that a plain PDF attachment does not need.
import type PDFKit from 'pdfkit';
import type { Paper } from '../config/schema.js';
import { FaxError, toFaxError } from '../errors.js';
import { ImageDamaged, checkPng, readJpegInfo, readPngInfo, type ImageInfo } from './image-info.js';
import { placeImage, type Placement } from './page-geometry.js';

/** Pictures with more pixels than this are refused (a fax page at fine resolution has about 4 million). */
const MAX_IMAGE_PIXELS = 50_000_000;

/** Check a picture and work out its page; throws FaxError naming `name`. */
export async function planImage(
  buf: Buffer,
  kind: 'jpeg' | 'png',
  name: string,
  paper: Paper,
): Promise<{ info: ImageInfo; placement: Placement }> {
  let info: ImageInfo;
  try {
    // Headers first (cheap), the size limit, then the PNG's whole pixel stream.
    info = kind === 'jpeg' ? readJpegInfo(buf) : readPngInfo(buf);
    if (info.width * info.height > MAX_IMAGE_PIXELS) {
      throw new FaxError(
        'too-large',
        `The picture "${name}" is too large (${info.width} x ${info.height} pixels); please send a smaller ` +
          `picture or a PDF.`,
      );
    }
    if (kind === 'png') info = await checkPng(buf);
  } catch (err) {
    if (err instanceof ImageDamaged)
      throw new FaxError('bad-document', `The attachment "${name}" is damaged and cannot be faxed.`, {
        cause: err,
        detail: { reason: err.message },
      });
    throw err;
  }
  const turned = info.orientation > 4;
  const w = turned ? info.height : info.width;
  const h = turned ? info.width : info.height;
  const dpi = info.dpi && (turned ? { x: info.dpi.y, y: info.dpi.x } : info.dpi);
  return { info, placement: placeImage(w, h, dpi, paper) };
}

/**
 * The transform that draws a picture stored `sw` x `sh` (in points, y down as pdfkit's page space is) so that
 * it shows as EXIF `orientation` says, filling the box at (x, y) of the displayed size: [a, b, c, d, e, f]
 * maps (u, v) on the stored picture to (a u + c v + e, b u + d v + f). Pure.
 */
function orientationTransform(
  orientation: number,
  x: number,
  y: number,
  sw: number,
  sh: number,
): [number, number, number, number, number, number] {
  switch (orientation) {
    case 2: // mirrored left-right
      return [-1, 0, 0, 1, x + sw, y];
    case 3: // turned 180 degrees
      return [-1, 0, 0, -1, x + sw, y + sh];
    case 4: // mirrored top-bottom
      return [1, 0, 0, -1, x, y + sh];
    case 5: // mirrored along the main diagonal
      return [0, 1, 1, 0, x, y];
    case 6: // turned 90 degrees clockwise
      return [0, 1, -1, 0, x + sh, y];
    case 7: // mirrored along the other diagonal
      return [0, -1, -1, 0, x + sh, y + sw];
    case 8: // turned 90 degrees counter-clockwise
      return [0, -1, 1, 0, x, y + sw];
    default:
      return [1, 0, 0, 1, x, y];
  }
}

/**
 * Draw the picture in its placement, turned by our own reading of its orientation (image-info.ts) rather
 * than pdfkit's: two readings of a file with two Exif blocks drew one block's turn into the other's shape.
 */
function drawOriented(doc: PDFKit.PDFDocument, buf: Buffer, p: Placement, orientation: number): void {
  const turned = orientation > 4;
  const sw = turned ? p.height : p.width;
  const sh = turned ? p.width : p.height;
  doc.save();
  doc.transform(...orientationTransform(orientation, p.x, p.y, sw, sh));
  // ignoreOrientation: pdfkit must not turn it a second time (its typings lack the option pdfkit has).
  const options: PDFKit.Mixins.ImageOption & { ignoreOrientation: boolean } = {
    width: sw,
    height: sh,
    ignoreOrientation: true,
  };
  doc.image(buf, 0, 0, options);
  doc.restore();
}

/** Write the picture at `src` as a one-page PDF at `out`. */
export async function imageToPdf(
  src: string,
  out: string,
  kind: 'jpeg' | 'png',
  name: string,
  paper: Paper,
): Promise<void> {
  let buf: Buffer;
  try {
    buf = await readFile(src);
  } catch (err) {
    throw toFaxError(err, 'reading an attachment');
  }
  const { info, placement: p } = await planImage(buf, kind, name, paper);
  const { default: PDFDocument } = (await import('pdfkit')) as { default: typeof PDFKit };
  const doc = new PDFDocument({
    autoFirstPage: false,
    compress: true,
    info: { Title: name.slice(0, 200), Producer: 'faxmail', Creator: 'faxmail' },
  });
  const sink = createWriteStream(out, { flags: 'wx', mode: 0o600 });
  doc.pipe(sink);
  doc.addPage({ size: [p.pageWidth, p.pageHeight], margin: 0 });
  try {
    drawOriented(doc, buf, p, info.orientation);
  } catch (err) {
    // pdfkit throws strings and Errors for variants its decoder does not handle.
    doc.end();
    await finished(sink).catch(() => undefined);
    throw new FaxError(
      'bad-document',
      `The picture "${name}" is in a form this fax server cannot read; please send it as a PDF or a JPEG.`,
      {
        cause: err,
        detail: { reason: err instanceof Error ? err.message : String(err) },
      },
    );
  }
  doc.end();
  try {
    await finished(sink);
  } catch (err) {
    throw toFaxError(err, 'converting a picture');
  }
}
