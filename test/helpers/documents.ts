/*
 * documents.ts: test documents made on the spot: PDFs (Ghostscript pdfwrite from a small PostScript
 * program: a frame, a title, text lines and boxes on every page), JPEGs and TIFFs (Ghostscript's image
 * devices from the same drawing), PNGs of every colour type / bit depth / interlace (encoded here),
 * office-like ZIPs, damaged copies. Every generator caches its result per process (same options, same
 * file) in one temporary directory that is removed when the process exits.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

let cacheDir: string | undefined;
const cache = new Map<string, string>();

/** The per-process directory generated documents live in. */
export function documentsDir(): string {
  if (!cacheDir) {
    cacheDir = mkdtempSync(join(tmpdir(), 'faxmail-docs-'));
    const dir = cacheDir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return cacheDir;
}

function cached(key: string, ext: string, make: (out: string) => void): string {
  const hit = cache.get(key);
  if (hit) return hit;
  const out = join(
    documentsDir(),
    `${cache.size.toString().padStart(3, '0')}-${key.replace(/[^a-z0-9]+/gi, '_').slice(0, 60)}.${ext}`,
  );
  make(out);
  cache.set(key, out);
  return out;
}

function gs(args: string[], ps: string): void {
  execFileSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', ...args, '-'], {
    input: ps,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
}

export type PdfSize = 'a4' | 'letter' | 'a4-landscape' | 'letter-landscape';
const SIZES: Readonly<Record<PdfSize, [number, number]>> = {
  a4: [595, 842],
  letter: [612, 792],
  'a4-landscape': [842, 595],
  'letter-landscape': [792, 612],
};

/** PostScript for `pages` pages of w x h points: frame, big title, text lines, filled boxes. */
function drawingPs(pages: number, w: number, h: number, title = 'faxmail test'): string {
  const esc = (s: string): string => s.replace(/[\\()]/g, (c) => `\\${c}`);
  let ps = `%!PS\n<< /PageSize [${w} ${h}] >> setpagedevice\n`;
  for (let p = 1; p <= pages; p++) {
    ps += `0 setgray 4 setlinewidth 20 20 ${w - 40} ${h - 40} rectstroke\n`;
    ps +=
      `/Helvetica-Bold findfont 28 scalefont setfont 50 ${h - 80} moveto (${esc(title)} page ${p} of ` +
      `${pages}) show\n`;
    ps += `/Helvetica findfont 12 scalefont setfont\n`;
    for (let l = 0; l < 12; l++)
      ps +=
        `50 ${h - 130 - l * 18} moveto (Line ${l + 1}: The quick brown fox jumps over the lazy dog ` +
        `0123456789) show\n`;
    ps += `0.5 setgray 50 120 150 80 rectfill 0 setgray ${w - 200} 120 150 80 rectfill\n`;
    ps += `1 0 0 setrgbcolor 260 120 80 80 rectfill 0 setgray\nshowpage\n`;
  }
  return ps;
}

/** A PDF with `pages` pages (default 1) of the given size (default a4). */
export function makePdf(opts: { pages?: number; size?: PdfSize; title?: string } = {}): string {
  const pages = opts.pages ?? 1;
  const size = opts.size ?? 'a4';
  const [w, h] = SIZES[size];
  return cached(`pdf-${pages}-${size}-${opts.title ?? ''}`, 'pdf', (out) =>
    gs(['-sDEVICE=pdfwrite', `-o`, out], drawingPs(pages, w, h, opts.title)),
  );
}

/**
 * A small but costly one-page PDF: a Flate-compressed content stream of `lines` long diagonal strokes (a few
 * KB in a mail, seconds of Ghostscript CPU time per 10,000 lines at fax resolution). Written by hand: the
 * cross-reference offsets are exact.
 */
export function makeCostlyPdf(lines: number): string {
  return cached(`costly-${lines}`, 'pdf', (out) => {
    let content = '0.5 w\n';
    for (let i = 0; i < lines; i++) content += `${i % 500} 0 m ${595 - (i % 500)} 842 l S\n`;
    const data = deflateSync(Buffer.from(content, 'latin1'));
    const objects = [
      Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
      Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
      Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>'),
      Buffer.concat([
        Buffer.from(`<< /Length ${data.length} /Filter /FlateDecode >>\nstream\n`),
        data,
        Buffer.from('\nendstream'),
      ]),
    ];
    const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
    const offsets: number[] = [];
    let pos = parts[0]!.length;
    objects.forEach((body, i) => {
      const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
      offsets.push(pos);
      parts.push(obj);
      pos += obj.length;
    });
    const xref =
      `xref\n0 ${objects.length + 1}\n0000000000 65535 f ` +
      `\n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
    parts.push(
      Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${pos}\n%%EOF\n`),
    );
    writeFileSync(out, Buffer.concat(parts));
  });
}

/** A JPEG of a drawn page: `width` x `height` pixels; `dpi` is written as JFIF density (gs writes its -r). */
export function makeJpeg(opts: { width?: number; height?: number; dpi?: number; gray?: boolean } = {}): string {
  const dpi = opts.dpi ?? 72;
  const width = opts.width ?? 600;
  const height = opts.height ?? 800;
  return cached(`jpeg-${width}x${height}-${dpi}-${opts.gray ? 'g' : 'c'}`, 'jpg', (out) =>
    gs(
      [
        `-sDEVICE=${opts.gray ? 'jpeggray' : 'jpeg'}`,
        `-r${dpi}`,
        `-g${width}x${height}`,
        '-dFIXEDMEDIA',
        '-dPDFFitPage',
        '-o',
        out,
      ],
      drawingPs(1, (width / dpi) * 72, (height / dpi) * 72),
    ),
  );
}

export type TiffColour = 'rgb' | 'gray' | 'bilevel' | 'cmyk' | 'fax-g3';
const TIFF_DEVICE: Readonly<Record<TiffColour, string>> = {
  rgb: 'tiff24nc',
  gray: 'tiffgray',
  bilevel: 'tiffg4',
  cmyk: 'tiff32nc',
  'fax-g3': 'tiffg3',
};

/**
 * A TIFF of `pages` pages (all in one file) drawn at `dpi` ([x, y], e.g. [204, 98] for a standard fax),
 * optionally recompressed with tiffcp (-c lzw, zip, jpeg, packbits, none).
 */
export function makeTiff(
  opts: { pages?: number; colour?: TiffColour; dpi?: [number, number]; size?: PdfSize; compression?: string } = {},
): string {
  const pages = opts.pages ?? 1;
  const colour = opts.colour ?? 'rgb';
  const [dx, dy] = opts.dpi ?? [100, 100];
  const [w, h] = SIZES[opts.size ?? 'a4'];
  return cached(`tiff-${pages}-${colour}-${dx}x${dy}-${opts.size ?? 'a4'}-${opts.compression ?? ''}`, 'tif', (out) => {
    const raw = opts.compression ? `${out}.raw.tif` : out;
    gs([`-sDEVICE=${TIFF_DEVICE[colour]}`, `-r${dx}x${dy}`, '-o', raw], drawingPs(pages, w, h));
    if (opts.compression) {
      // JPEG-in-TIFF needs strips of a multiple of 8 rows.
      execFileSync('tiffcp', ['-r', '16', '-c', opts.compression, raw, out], { stdio: 'ignore' });
      rmSync(raw);
    }
  });
}

// ---------- PNG ----------

export interface PngOptions {
  width?: number;
  height?: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA */
  colorType?: 0 | 2 | 3 | 4 | 6;
  /** 1, 2, 4, 8 or 16 (as the colour type allows) */
  bitDepth?: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
  /** pixels per inch for a pHYs chunk; none when undefined */
  dpi?: number;
  /** palette PNGs: add a tRNS chunk making index 0 transparent */
  transparentIndex0?: boolean;
}

/** The test pattern: white page, black frame, a black bar every 40 rows, a grey/red block; alpha ramps. */
function patternPixel(x: number, y: number, w: number, h: number): { r: number; g: number; b: number; a: number } {
  const frame = x < 4 || y < 4 || x >= w - 4 || y >= h - 4;
  const bar = y % 40 < 8 && x > w * 0.1 && x < w * 0.9;
  const block = x > w * 0.6 && x < w * 0.85 && y > h * 0.6 && y < h * 0.85;
  const a = x < w / 2 ? 255 : Math.round((255 * (w - x)) / (w / 2));
  if (frame || bar) return { r: 0, g: 0, b: 0, a: 255 };
  if (block) return { r: 200, g: 30, b: 30, a };
  return { r: 255, g: 255, b: 255, a };
}

/** Encode a PNG from the pattern with exactly the requested form (filter 0 rows, Adam7 when interlaced). */
export function encodePng(opts: PngOptions = {}): Buffer {
  const width = opts.width ?? 300;
  const height = opts.height ?? 400;
  const ct = opts.colorType ?? 2;
  const depth = opts.bitDepth ?? 8;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[ct];
  const palette: [number, number, number][] = [
    [255, 255, 255],
    [0, 0, 0],
    [200, 30, 30],
    [128, 128, 128],
  ];
  const maxv = (1 << depth) - 1;
  const sample = (x: number, y: number): number[] => {
    const p = patternPixel(x, y, width, height);
    const gray = Math.round(0.299 * p.r + 0.587 * p.g + 0.114 * p.b);
    const sc = (v: number): number => Math.round((v / 255) * maxv);
    switch (ct) {
      case 0:
        return [sc(gray)];
      case 2:
        return [sc(p.r), sc(p.g), sc(p.b)];
      case 3:
        return [p.r === 0 ? 1 : p.g === 30 ? 2 : 0];
      case 4:
        return [sc(gray), sc(p.a)];
      case 6:
        return [sc(p.r), sc(p.g), sc(p.b), sc(p.a)];
    }
  };
  const row = (xs: number[], y: number): Buffer => {
    const bits = channels * depth;
    const out = Buffer.alloc(1 + Math.ceil((xs.length * bits) / 8));
    let bitPos = 8;
    for (const x of xs) {
      for (const v of sample(x, y)) {
        if (depth === 16) {
          out.writeUInt16BE(v, bitPos / 8);
          bitPos += 16;
        } else if (depth === 8) {
          out[bitPos / 8] = v;
          bitPos += 8;
        } else {
          const byte = Math.floor(bitPos / 8);
          out[byte] = out[byte]! | (v << (8 - depth - (bitPos % 8)));
          bitPos += depth;
        }
      }
    }
    return out;
  };
  const rows: Buffer[] = [];
  const passes = opts.interlace
    ? [
        [0, 0, 8, 8],
        [4, 0, 8, 8],
        [0, 4, 4, 8],
        [2, 0, 4, 4],
        [0, 2, 2, 4],
        [1, 0, 2, 2],
        [0, 1, 1, 2],
      ]
    : [[0, 0, 1, 1]];
  for (const [x0, y0, dx, dy] of passes as [number, number, number, number][]) {
    const xs: number[] = [];
    for (let x = x0; x < width; x += dx) xs.push(x);
    if (xs.length === 0) continue;
    for (let y = y0; y < height; y += dy) rows.push(row(xs, y));
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = ct;
  ihdr[12] = opts.interlace ? 1 : 0;
  const chunks = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (opts.dpi) {
    const phys = Buffer.alloc(9);
    const ppm = Math.round(opts.dpi / 0.0254);
    phys.writeUInt32BE(ppm, 0);
    phys.writeUInt32BE(ppm, 4);
    phys[8] = 1;
    chunks.push(chunk('pHYs', phys));
  }
  if (ct === 3) {
    chunks.push(chunk('PLTE', Buffer.from(palette.flat())));
    if (opts.transparentIndex0) chunks.push(chunk('tRNS', Buffer.from([0])));
  }
  chunks.push(chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(chunks);
}

/** A PNG file (see encodePng). */
export function makePng(opts: PngOptions = {}): string {
  return cached(`png-${JSON.stringify(opts)}`, 'png', (out) => writeFileSync(out, encodePng(opts)));
}

/** A PNG drawn by Ghostscript (png16m, pngalpha, pnggray, png256, pngmono) at `dpi` (written as pHYs). */
export function makeGsPng(
  device: 'png16m' | 'pngalpha' | 'pnggray' | 'png256' | 'pngmono',
  opts: { dpi?: number; size?: PdfSize } = {},
): string {
  const [w, h] = SIZES[opts.size ?? 'a4'];
  return cached(`gspng-${device}-${opts.dpi ?? 50}-${opts.size ?? 'a4'}`, 'png', (out) =>
    gs([`-sDEVICE=${device}`, `-r${opts.dpi ?? 50}`, '-o', out], drawingPs(1, w, h)),
  );
}

/** Kinds makeImage knows, for table-driven tests. */
export type ImageKind =
  | 'jpeg'
  | 'png'
  | 'png-alpha'
  | 'png-gray'
  | 'png-palette'
  | 'png-interlaced'
  | 'png-16bit'
  | 'tiff'
  | 'tiff-multipage'
  | 'tiff-fax';

/** One image of a kind with sensible defaults. */
export function makeImage(kind: ImageKind, opts: { dpi?: number } = {}): string {
  switch (kind) {
    case 'jpeg':
      return makeJpeg(opts.dpi === undefined ? {} : { dpi: opts.dpi });
    case 'png':
      return makePng({ colorType: 2, ...(opts.dpi ? { dpi: opts.dpi } : {}) });
    case 'png-alpha':
      return makePng({ colorType: 6 });
    case 'png-gray':
      return makePng({ colorType: 0 });
    case 'png-palette':
      return makePng({ colorType: 3, bitDepth: 2, transparentIndex0: true });
    case 'png-interlaced':
      return makePng({ colorType: 2, interlace: true });
    case 'png-16bit':
      return makePng({ colorType: 6, bitDepth: 16 });
    case 'tiff':
      return makeTiff({ dpi: [opts.dpi ?? 100, opts.dpi ?? 100] });
    case 'tiff-multipage':
      return makeTiff({ pages: 3, colour: 'rgb', dpi: [75, 75] });
    case 'tiff-fax':
      return makeTiff({ pages: 2, colour: 'fax-g3', dpi: [204, 98] });
  }
}

// ---------- ZIP, office, damage ----------

/** A ZIP archive (stored, no compression) of the given entries, in order. */
export function encodeZip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x0800, 6);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(e.data.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(e.data.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, e.data);
    centrals.push(ch, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A .docx-shaped file (Office Open XML package with one paragraph). */
export function encodeDocx(text = 'Hello from a Word document'): Buffer {
  return encodeZip([
    {
      name: '[Content_Types].xml',
      data: Buffer.from(
        '<?xml version="1.0"?><Types ' +
          'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ' +
          'ContentType="application/xml"/><Override PartName="/word/document.xml" ' +
          'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
      ),
    },
    {
      name: 'word/document.xml',
      data: Buffer.from(
        `<?xml version="1.0"?><w:document ` +
          `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
          `<w:body><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`,
      ),
    },
  ]);
}

/** A plain ZIP archive holding one text file. */
export function encodePlainZip(): Buffer {
  return encodeZip([{ name: 'readme.txt', data: Buffer.from('just a file\n') }]);
}

/** A copy of `file` cut to `fraction` of its length (a damaged download). */
export function truncatedCopy(file: string, fraction = 0.5): string {
  return cached(`trunc-${file}-${fraction}`, file.split('.').pop() ?? 'bin', (out) => {
    const data = readFileSync(file);
    writeFileSync(out, data.subarray(0, Math.max(1, Math.floor(data.length * fraction))));
  });
}

/** A copy of `file` under a new name (e.g. to give a JPEG a .pdf name). */
export function copyAs(file: string, ext: string): string {
  return cached(`copy-${file}-${ext}`, ext, (out) => copyFileSync(file, out));
}

/** Bytes of a generated document. */
export function bytesOf(file: string): Buffer {
  return readFileSync(file);
}
