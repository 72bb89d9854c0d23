/*
 * received-fixtures.ts: real fax images for tests, made at test time.
 *
 * renderTestPdf() writes a small PDF (Ghostscript pdfwrite from generated PostScript); rasterizeFax()
 * turns a PDF into a fax TIFF the way a sender would (Ghostscript tiffg3/tiffg32d/tiffg4, or grey and
 * colour devices for images spandsp must refuse); makeReceivedFax() sends such a TIFF through the line
 * simulator, so the TIFF it returns is what Asterisk's ReceiveFAX would have written: CCITT G3 2-D,
 * 1728 wide, 204x98 or 204x196 dpi, one strip per page, PageNumber n/total, ImageDescription = the
 * remote station id. makePartialReceivedFax() does the same with the line dropped mid-fax.
 *
 * How it fails: rejects when Ghostscript or the simulator fails, or when the simulated call did not end
 * the way the fixture promises (all pages, or exactly the pages asked for).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { transmitFax, type LineSimResult } from './linesim.js';

export type FaxResolution = 'standard' | 'fine' | 'superfine';

/** Pixel geometry of an A4 fax page at each resolution (1728 dots across the 215 mm scan line). */
const FAX_GEOMETRY: Record<FaxResolution, { dpi: string; width: number; height: number }> = {
  standard: { dpi: '204x98', width: 1728, height: 1146 },
  fine: { dpi: '204x196', width: 1728, height: 2292 },
  superfine: { dpi: '204x391', width: 1728, height: 4584 },
};

let seq = 0;
/** A file name in dir that no other fixture of this process uses. */
function fresh(dir: string, stem: string, ext: string): string {
  seq += 1;
  return join(dir, `${stem}-${process.pid}-${seq}.${ext}`);
}

function psString(text: string): string {
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

export interface TestPdfOptions {
  pages: number;
  dir: string;
  /** first line of each page; the page number is appended. */
  title?: string;
  /** lines of filler text per page (default 8; more lines make longer transmissions). */
  lines?: number;
}

/** Write an A4 PDF with `pages` pages of large text; returns its path. */
export async function renderTestPdf(opts: TestPdfOptions): Promise<string> {
  const title = opts.title ?? 'faxmail test page';
  const lines = opts.lines ?? 8;
  const ps = [
    '%!PS',
    '/Helvetica findfont 16 scalefont setfont',
    `1 1 ${opts.pages} {`,
    '  /n exch def',
    `  72 760 moveto ${psString(`${title} `)} show n 4 string cvs show ( of ${opts.pages}) show`,
    `  0 1 ${lines - 1} { /y exch def 72 720 y 22 mul sub moveto (Line of text for the fax simulator ` +
      `0123456789) show } for`,
    '  showpage',
    '} for',
    '',
  ].join('\n');
  const psPath = fresh(opts.dir, 'doc', 'ps');
  const pdfPath = psPath.replace(/\.ps$/, '.pdf');
  await writeFile(psPath, ps);
  await execa(
    'gs',
    ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=pdfwrite', '-sPAPERSIZE=a4', `-sOutputFile=${pdfPath}`, psPath],
    { timeout: 60_000 },
  );
  return pdfPath;
}

export interface RasterOptions {
  /** fax resolution; sets dpi, width and height unless they are given. */
  resolution?: FaxResolution;
  /** Ghostscript TIFF device (default tiffg4). Grey and colour devices make images spandsp refuses. */
  device?: 'tiffg3' | 'tiffg32d' | 'tiffg4' | 'tiffcrle' | 'tiffgray' | 'tiff24nc';
  /** "204x196" or "300"; overrides the resolution's dpi. */
  dpi?: string;
  /** width in pixels, kept exactly (no AdjustWidth padding to 1728). */
  width?: number;
  height?: number;
  /** only the first N pages. */
  lastPage?: number;
}

/** Rasterise pdf into a multi-page TIFF at out; returns out. */
export async function rasterizeFax(pdf: string, out: string, opts: RasterOptions = {}): Promise<string> {
  const geo = FAX_GEOMETRY[opts.resolution ?? 'fine'];
  const args = [
    '-q',
    '-dSAFER',
    '-dBATCH',
    '-dNOPAUSE',
    `-sDEVICE=${opts.device ?? 'tiffg4'}`,
    `-r${opts.dpi ?? geo.dpi}`,
    `-g${opts.width ?? geo.width}x${opts.height ?? geo.height}`,
    // Fax devices would pad a 1680-1736 wide page to 1728; tests of odd widths need the width as given.
    '-dAdjustWidth=0',
    '-dFIXEDMEDIA',
    '-dPDFFitPage',
  ];
  if (opts.lastPage !== undefined) args.push(`-dLastPage=${opts.lastPage}`);
  args.push(`-sOutputFile=${out}`, pdf);
  await execa('gs', args, { timeout: 60_000 });
  return out;
}

/** A fax TIFF with `pages` pages, ready to send. */
export async function makeFaxTiff(opts: {
  pages: number;
  dir: string;
  resolution?: FaxResolution;
  device?: RasterOptions['device'];
  lines?: number;
}): Promise<string> {
  const pdf = await renderTestPdf({
    pages: opts.pages,
    dir: opts.dir,
    ...(opts.lines !== undefined ? { lines: opts.lines } : {}),
  });
  const raster: RasterOptions = { resolution: opts.resolution ?? 'fine' };
  if (opts.device) raster.device = opts.device;
  return rasterizeFax(pdf, fresh(opts.dir, 'send', 'tif'), raster);
}

export interface ReceivedFaxOptions {
  pages: number;
  resolution: 'standard' | 'fine';
  dir: string;
  /** the sending machine's TSI: what ReceiveFAX reports as remotestationid (default "+1 555 0100"). */
  remoteIdent?: string;
  /** our own CSI (default "faxmail"). */
  localIdent?: string;
}

export interface ReceivedFax {
  /** the received TIFF, as ReceiveFAX leaves it. */
  tiff: string;
  /** the simulated call; result.receiver is what ReceiveFAX's FAXOPT() would show. */
  result: LineSimResult;
  /** the TIFF that was sent. */
  sent: string;
}

async function receive(opts: ReceivedFaxOptions, hangupAfterPages?: number): Promise<ReceivedFax> {
  const sent = await makeFaxTiff({ pages: opts.pages, dir: opts.dir, resolution: opts.resolution });
  const tiff = fresh(opts.dir, 'received', 'tif');
  const result = await transmitFax(sent, tiff, {
    senderIdent: opts.remoteIdent ?? '+1 555 0100',
    receiverIdent: opts.localIdent ?? 'faxmail',
    ...(hangupAfterPages !== undefined ? { hangupAfterPages } : {}),
  });
  return { tiff, result, sent };
}

/** A complete fax as received by Asterisk: all `pages` pages arrived, status SUCCESS. */
export async function makeReceivedFax(opts: ReceivedFaxOptions): Promise<ReceivedFax> {
  const r = await receive(opts);
  const rx = r.result.receiver;
  if (rx?.status !== 'SUCCESS' || rx.pages !== opts.pages || !rx.file) {
    throw new Error(`simulated fax did not arrive whole: ${JSON.stringify({ receiver: rx, sender: r.result.sender })}`);
  }
  return r;
}

/**
 * A fax whose line dropped after `receivedPages` of `pages` pages: the receiver reports FAILED
 * ("The call dropped prematurely") and the TIFF holds only the pages that arrived.
 */
export async function makePartialReceivedFax(
  opts: ReceivedFaxOptions & { receivedPages: number },
): Promise<ReceivedFax> {
  if (opts.receivedPages < 1 || opts.receivedPages >= opts.pages) {
    throw new Error(`receivedPages must be between 1 and ${opts.pages - 1}, got ${opts.receivedPages}`);
  }
  const r = await receive(opts, opts.receivedPages);
  const rx = r.result.receiver;
  if (rx?.status !== 'FAILED' || rx.pages !== opts.receivedPages || !rx.file) {
    throw new Error(
      `simulated partial fax did not end as asked: ${JSON.stringify({ receiver: rx, sender: r.result.sender })}`,
    );
  }
  return r;
}
