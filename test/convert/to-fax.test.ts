import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { convertToFax, type ConvertOptions } from '../../lib/convert/to-fax.js';
import { createBudget } from '../../lib/exec/budget.js';
import { readTiffFile, readTiff, stripBytes } from '../../lib/tiff/read.js';
import type { FaxError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import {
  A4,
  GREY_BOXES,
  GS,
  LETTER,
  LOOPING_PS,
  TIFFINFO,
  greyImagePs,
  landscapeBarPs,
  markPosition,
  markedPagesPs,
  psToPdf,
  scratchDir,
  squarePs,
  textPagesPs,
  writeText,
} from './pdfs.js';
import { blackBox, blackShare, decodePages, mixedRows } from './raster.js';
import { expectFaxError } from '../helpers/assert-rejects.js';
import { figure } from '../helpers/figure.js';

const dir = scratchDir('to-fax');
const pdf: Record<string, string> = {};

// One generous budget for the file's conversions (no CPU limit); the limit tests make their own.
const base: ConvertOptions = {
  gs: GS,
  tiffinfo: TIFFINFO,
  resolution: 'fine',
  paper: 'a4',
  compression: 'g4',
  maxPages: 100,
  budget: createBudget(3600),
  parallel: 2,
  dither: 'never',
};

function capture(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, lines };
}

let n = 0;
function out(): string {
  return join(dir, `fax-${++n}.tif`);
}

const fails = (p: Promise<unknown>): Promise<FaxError> => expectFaxError(p, 'expected the conversion to fail');

/** tiffinfo's own view of each page: size, resolution, bits, compression. */
async function tiffinfoPages(
  file: string,
): Promise<{ width: number; height: number; xres: number; yres: number; bits: number; compression: string }[]> {
  const { stdout } = await execa('/usr/bin/tiffinfo', [file]);
  return stdout
    .split(/=== TIFF directory \d+ ===/)
    .slice(1)
    .map((d) => ({
      width: Number(/Image Width: (\d+)/.exec(d)?.[1]),
      height: Number(/Image Length: (\d+)/.exec(d)?.[1]),
      xres: Number(/Resolution: ([\d.]+), ([\d.]+) pixels\/inch/.exec(d)?.[1]),
      yres: Number(/Resolution: ([\d.]+), ([\d.]+) pixels\/inch/.exec(d)?.[2]),
      bits: Number(/Bits\/Sample: (\d+)/.exec(d)?.[1]),
      compression: /Compression Scheme: (.+)/.exec(d)?.[1]?.trim() ?? '',
    }));
}

/** Both our reader and libtiff's tiffinfo agree the file is an N-page fax of this geometry. */
async function assertFax(
  file: string,
  pages: number,
  height: number,
  ydpi: number,
  compression: 'CCITT Group 4' | 'CCITT Group 3' = 'CCITT Group 4',
): Promise<void> {
  const ours = await readTiffFile(file);
  assert.is(ours.length, pages, 'pages (reader)');
  ours.forEach((p, i) => {
    assert.is(p.width, 1728);
    assert.is(p.height, height);
    assert.is(p.bitsPerSample, 1);
    assert.is(p.samplesPerPixel, 1);
    assert.is(p.xResolution, 204);
    assert.is(p.yResolution, ydpi);
    assert.is(p.resolutionUnit, 2);
    assert.equal(p.pageNumber, [i, pages]);
  });
  const theirs = await tiffinfoPages(file);
  assert.is(theirs.length, pages, 'pages (tiffinfo)');
  for (const t of theirs) assert.equal(t, { width: 1728, height, xres: 204, yres: ydpi, bits: 1, compression });
}

/** The black square on the first fine page of `file`, in inches; fails unless it is still square. */
async function squareInches(file: string): Promise<{ wIn: number; hIn: number }> {
  const [page] = await decodePages(file, dir);
  const box = blackBox(page!)!;
  const wIn = (box.maxX - box.minX + 1) / 204;
  const hIn = (box.maxY - box.minY + 1) / 196;
  assert.ok(Math.abs(wIn / hIn - 1) < 0.01, `square is ${wIn.toFixed(3)} x ${hIn.toFixed(3)} in`);
  return { wIn, hIn };
}

function leftovers(): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('.convert-'));
}

test.before(async () => {
  pdf['letterSquare'] = await psToPdf(dir, 'letter-square.pdf', squarePs(LETTER, 300));
  pdf['a4Square'] = await psToPdf(dir, 'a4-square.pdf', squarePs(A4, 300));
  pdf['landscape'] = await psToPdf(dir, 'landscape.pdf', landscapeBarPs(50));
  pdf['twelve'] = await psToPdf(dir, 'twelve.pdf', markedPagesPs(A4, 12));
  pdf['grey'] = await psToPdf(dir, 'grey.pdf', greyImagePs());
  const good = readFileSync(pdf['twelve']);
  pdf['truncated'] = join(dir, 'truncated.pdf');
  writeFileSync(pdf['truncated'], good.subarray(0, 400));
  pdf['loop'] = writeText(dir, 'loop.pdf', LOOPING_PS);
});

test('a Letter page at fine resolution on Letter paper: 1728 x 2156, a square stays square', async () => {
  const file = out();
  const r = await convertToFax(
    [{ name: 'square.pdf', pdf: pdf['letterSquare']! }],
    file,
    { ...base, paper: 'letter' },
    capture().log,
  );
  assert.equal(r, { pages: 1, perDocument: [{ name: 'square.pdf', pages: 1 }], bytes: readFileSync(file).length });
  await assertFax(file, 1, 2156, 196);
  const { wIn } = await squareInches(file);
  // 300 pt = 4.17 in, times the fit scale 609.9/612
  assert.ok(Math.abs(wIn - (300 / 72) * (609.88 / 612)) < 0.03, `width ${wIn}`);
});

test('an A4 page on Letter paper is shrunk to fit, aspect ratio kept', async () => {
  const file = out();
  await convertToFax([{ name: 'a4.pdf', pdf: pdf['a4Square']! }], file, { ...base, paper: 'letter' }, capture().log);
  await assertFax(file, 1, 2156, 196);
  const { hIn } = await squareInches(file);
  // A4 is taller than Letter: height-limited, 792/842
  assert.ok(Math.abs(hIn - (300 / 72) * (792 / 842)) < 0.03, `height ${hIn}`);
});

test('a landscape page is turned to portrait: its top bar becomes a full-height bar along one side', async () => {
  const file = out();
  await convertToFax([{ name: 'wide.pdf', pdf: pdf['landscape']! }], file, base, capture().log);
  await assertFax(file, 1, 2292, 196);
  const [page] = await decodePages(file, dir);
  const box = blackBox(page!)!;
  const heightShare = (box.maxY - box.minY + 1) / page!.height;
  const thickPt = ((box.maxX - box.minX + 1) / 204) * 72;
  // rotated and not shrunk: the 842 pt edge fills the 842 pt page height, the bar keeps its 50 pt
  assert.ok(heightShare > 0.98, `bar covers ${(heightShare * 100).toFixed(1)}% of the height`);
  assert.ok(Math.abs(thickPt - 50) < 2, `bar is ${thickPt.toFixed(1)} pt thick`);
  assert.ok(box.minX < 30 || box.maxX > page!.width - 30, 'the bar runs along a side');
  assert.ok(box.count / ((box.maxX - box.minX + 1) * (box.maxY - box.minY + 1)) > 0.99, 'the bar is solid');
});

test('13 pages from two documents in parallel ranges: order kept, strips identical to a single gs run', async () => {
  const docs = [
    { name: 'cover.pdf', pdf: pdf['a4Square']! },
    { name: 'report.pdf', pdf: pdf['twelve']! },
  ];
  const { log, lines } = capture();
  const parallel = out();
  const r = await convertToFax(docs, parallel, { ...base, parallel: 2 }, log);
  assert.equal(r.perDocument, [
    { name: 'cover.pdf', pages: 1 },
    { name: 'report.pdf', pages: 12 },
  ]);
  assert.is(r.pages, 13);
  const renders = lines.filter((l) => l['step'] === 'render');
  assert.is(renders.length, 3, 'cover + two ranges of the report');
  assert.ok(renders.some((l) => l['first'] === 7 && l['last'] === 12));
  await assertFax(parallel, 13, 2292, 196);

  const pages = await decodePages(parallel, dir);
  for (let i = 1; i <= 12; i++) {
    const b = pages[i]!;
    const m = markPosition(i);
    const region = {
      x0: 0,
      y0: Math.round(((m.top - 5) / 72) * 196),
      x1: b.width,
      y1: Math.round(((m.top + 25) / 72) * 196),
    };
    const box = blackBox(b, region)!;
    const leftPt = (box.minX / 204) * 72 - (609.88 - 595) / 2;
    assert.ok(Math.abs(leftPt - m.left) < 2, `page ${i + 1}: mark at ${leftPt.toFixed(1)} pt, expected ${m.left}`);
  }

  const single = out();
  await convertToFax(docs, single, { ...base, parallel: 1 }, capture().log);
  const a = readFileSync(parallel);
  const b = readFileSync(single);
  const pa = readTiff(a);
  const pb = readTiff(b);
  assert.is(pa.length, pb.length);
  for (let i = 0; i < pa.length; i++) {
    assert.ok(
      Buffer.from(stripBytes(a, pa[i]!, 0)).equals(Buffer.from(stripBytes(b, pb[i]!, 0))),
      `page ${i + 1} differs`,
    );
  }
  assert.equal(leftovers(), []);
});

test('standard G3, superfine G4 and Letter standard geometries', async () => {
  const std = out();
  await convertToFax(
    [{ name: 'a.pdf', pdf: pdf['a4Square']! }],
    std,
    { ...base, resolution: 'standard', compression: 'g3' },
    capture().log,
  );
  await assertFax(std, 1, 1146, 98, 'CCITT Group 3');
  const sf = out();
  await convertToFax(
    [{ name: 'a.pdf', pdf: pdf['a4Square']! }],
    sf,
    { ...base, resolution: 'superfine' },
    capture().log,
  );
  await assertFax(sf, 1, 4572, 391);
  const ls = out();
  await convertToFax(
    [{ name: 'a.pdf', pdf: pdf['letterSquare']! }],
    ls,
    { ...base, resolution: 'standard', paper: 'letter' },
    capture().log,
  );
  await assertFax(ls, 1, 1078, 98);
});

test('dither off thresholds grey images to flat black or white; dither on halftones them', async () => {
  const g = GREY_BOXES;
  const region = (left: number): [number, number, number, number] => {
    // the inner part of a box (10 pt in from each edge), in fine A4 pixels; A4 content is centred
    const x = ((left + 10 + (609.88 - 595) / 2) / 72) * 204;
    const y = ((g.top + 10) / 72) * 196;
    return [
      Math.round(x),
      Math.round(y),
      Math.round(x + ((g.size - 20) / 72) * 204),
      Math.round(y + ((g.size - 20) / 72) * 196),
    ];
  };
  const flat = out();
  await convertToFax([{ name: 'photo.pdf', pdf: pdf['grey']! }], flat, { ...base, dither: 'never' }, capture().log);
  const [p] = await decodePages(flat, dir);
  assert.ok(blackShare(p!, ...region(g.left40)) > 0.99, 'dark grey becomes black');
  assert.ok(blackShare(p!, ...region(g.left70)) < 0.01, 'light grey becomes white');
  assert.is(mixedRows(p!, ...region(g.left40)), 0);

  const dots = out();
  await convertToFax([{ name: 'photo.pdf', pdf: pdf['grey']! }], dots, { ...base, dither: 'always' }, capture().log);
  const [q] = await decodePages(dots, dir);
  const dark = blackShare(q!, ...region(g.left40));
  const light = blackShare(q!, ...region(g.left70));
  assert.ok(dark > 0.4 && dark < 0.8, `dark grey halftone ${dark.toFixed(2)}`);
  assert.ok(light > 0.1 && light < 0.45, `light grey halftone ${light.toFixed(2)}`);
  assert.ok(dark > light);
  const [x0, y0, x1, y1] = region(g.left70);
  // The line screen: every scan line inside a grey area is uniform (cheap to code), black and white lines alternate.
  // (gs breaks ties between equal spot values by position, so a row at a cell's fill level can be partial.)
  const mixed = mixedRows(q!, x0, y0, x1, y1);
  assert.ok(mixed < (y1 - y0) / 3, `mostly uniform rows (${mixed} of ${y1 - y0} mixed)`);
  const blackRows = Array.from({ length: y1 - y0 }, (_, i) => q!.black(x0 + 1, y0 + i)).filter(Boolean).length;
  assert.ok(blackRows > 0 && blackRows < y1 - y0, `black and white lines alternate (${blackRows} of ${y1 - y0} black)`);
});

/** A fingerprint of every pixel of a page (equal pages, equal fingerprints). */
function fingerprint(b: { width: number; height: number; black(x: number, y: number): boolean }): string {
  let h = 0;
  let n = 0;
  for (let y = 0; y < b.height; y++) {
    for (let x = 0; x < b.width; x++) {
      if (b.black(x, y)) {
        h = (h * 31 + x * 7919 + y) | 0;
        n++;
      }
    }
  }
  return `${n}:${h}`;
}

test(
  'dither auto: each page gets the screen its own pixels call for (text: threshold, grey areas: line ' +
    'screen, coloured text: threshold)',
  async () => {
    const text =
      '/Helvetica findfont 14 scalefont setfont 72 700 moveto (A plain black text page) show 100 100 100 100 rectfill';
    const grey = greyImagePs()
      .replace(/^%!PS\n<< \/PageSize \[595 842\] >> setpagedevice\n/, '')
      .replace(/showpage\n$/, '');
    const red =
      '1 0 0 setrgbcolor /Helvetica findfont 14 scalefont setfont 72 700 moveto (Red text is a stroke, not an ' +
      'area) show 0.5 setgray 72 600 moveto 400 0 rlineto stroke';
    const mixed = await psToPdf(
      dir,
      'mixed.pdf',
      `%!PS\n<< /PageSize [595 842] >> setpagedevice\n${text}\nshowpage\n${grey}\nshowpage\n${red}\nshowpage\n`,
    );
    const render = async (
      dither: 'auto' | 'always' | 'never',
    ): Promise<{ prints: string[]; lines: Record<string, unknown>[] }> => {
      const c = capture();
      const file = out();
      await convertToFax([{ name: 'mixed.pdf', pdf: mixed }], file, { ...base, dither }, c.log);
      return { prints: (await decodePages(file, dir)).map(fingerprint), lines: c.lines };
    };
    const auto = await render('auto');
    const never = await render('never');
    const always = await render('always');
    assert.is(
      auto.lines.find((l) => l['step'] === 'screens')?.['pages'],
      '-LT',
      'page 1 has no grey, page 2 grey areas, page 3 only thin coloured strokes',
    );
    assert.is(auto.prints[0], never.prints[0]);
    assert.is(auto.prints[0], always.prints[0], 'a page without grey is the same under either screen');
    assert.is(auto.prints[1], always.prints[1], 'the grey page gets the line screen');
    assert.is.not(auto.prints[1], never.prints[1]);
    assert.is(auto.prints[2], never.prints[2], 'the coloured text stays solid (threshold)');
    assert.is.not(auto.prints[2], always.prints[2]);
    // The speculative run (line screen) could not serve page 3, so one run rendered the pages with their own screens.
    assert.ok(auto.lines.some((l) => l['step'] === 'render' && l['run'] === 0 && l['speculative'] === false));
  },
);

test('dither auto: a small fax whose pages are plain or grey areas keeps the speculative render', async () => {
  const c = capture();
  const r = await convertToFax(
    [
      { name: 'photo.pdf', pdf: pdf['grey']! },
      { name: 'a.pdf', pdf: pdf['a4Square']! },
    ],
    out(),
    { ...base, dither: 'auto' },
    c.log,
  );
  assert.is(r.pages, 2);
  // Documents are counted in parallel: their log lines come in either order.
  const screens = Object.fromEntries(
    c.lines.filter((l) => l['step'] === 'screens').map((l) => [l['document'], l['pages']]),
  );
  assert.equal(screens, { 'photo.pdf': 'L', 'a.pdf': '-' });
  const renders = c.lines.filter((l) => l['step'] === 'render');
  assert.equal(
    renders.map((l) => [l['run'], l['speculative'], l['problems']]),
    [[0, true, []]],
    'the speculative render was kept, no second render',
  );
});

test(
  'pages counted from the PDFs themselves: no gs count run; one render for a small fax, parallel ranges ' +
    'for a big one; speculative ranges only in auto mode',
  async () => {
    const small = capture();
    const r = await convertToFax(
      [
        { name: 'a.pdf', pdf: pdf['a4Square']! },
        { name: 'l.pdf', pdf: pdf['landscape']! },
      ],
      out(),
      base,
      small.log,
    );
    assert.is(r.pages, 2);
    assert.equal(small.lines.find((l) => l['step'] === 'pdf-pages')?.['pages'], [1, 1]);
    assert.not.ok(
      small.lines.some((l) => l['step'] === 'count-pages'),
      'gs did not count',
    );
    assert.equal(
      small.lines.filter((l) => l['step'] === 'render').map((l) => [l['run'], l['speculative']]),
      [[0, false]],
      'one render, nothing speculative',
    );
    const big = capture();
    await convertToFax([{ name: 'twelve.pdf', pdf: pdf['twelve']! }], out(), base, big.log);
    const runs = big.lines.filter((l) => l['step'] === 'render');
    assert.ok(
      runs.length >= 2 && runs.every((l) => l['speculative'] === false),
      `parallel ranges, nothing speculative: ${JSON.stringify(runs)}`,
    );
    // auto mode: the same ranges start with the line screen while the grey is analysed, and are kept (the pages are
    // plain).
    const auto = capture();
    await convertToFax([{ name: 'twelve.pdf', pdf: pdf['twelve']! }], out(), { ...base, dither: 'auto' }, auto.log);
    const autoRuns = auto.lines.filter((l) => l['step'] === 'render');
    assert.ok(
      autoRuns.length >= 2 && autoRuns.every((l) => l['speculative'] === true),
      `speculative ranges kept: ${JSON.stringify(autoRuns)}`,
    );
    // Without a second worker there is nothing to speculate with.
    const one = capture();
    await convertToFax(
      [{ name: 'a.pdf', pdf: pdf['a4Square']! }],
      out(),
      { ...base, parallel: 1, dither: 'auto' },
      one.log,
    );
    assert.not.ok(one.lines.some((l) => l['speculative'] === true));
  },
);

test('a PDF whose own page tree cannot be trusted is counted by gs (and still converted)', async () => {
  // The same PDF with its cross-reference offsets broken: gs repairs it; pdf-pages.ts refuses to guess.
  const good = readFileSync(pdf['a4Square']!);
  const broken = join(dir, 'broken-xref.pdf');
  writeFileSync(broken, Buffer.from(good.toString('latin1').replace(/startxref\s+\d+/, 'startxref\n999999'), 'latin1'));
  const c = capture();
  const r = await convertToFax([{ name: 'broken.pdf', pdf: broken }], out(), base, c.log);
  assert.is(r.pages, 1);
  assert.equal(c.lines.find((l) => l['step'] === 'pdf-pages')?.['pages'], [null]);
  assert.is(c.lines.find((l) => l['step'] === 'count-pages')?.['pages'], 1, 'gs counted');
});

test('more pages than allowed: too-large before anything is rendered', async () => {
  const { log, lines } = capture();
  const file = out();
  const err = await fails(
    convertToFax([{ name: 'report.pdf', pdf: pdf['twelve']! }], file, { ...base, maxPages: 10 }, log),
  );
  assert.is(err.code, 'too-large');
  assert.match(err.message, /12 fax pages; at most 10/);
  assert.is(lines.filter((l) => l['step'] === 'render').length, 0);
  assert.not.ok(existsSync(file));
});

test('a truncated PDF is a bad document, named in the sentence; nothing is left behind', async () => {
  const file = out();
  const err = await fails(
    convertToFax(
      [
        { name: 'good.pdf', pdf: pdf['a4Square']! },
        { name: 'Quarterly report.pdf', pdf: pdf['truncated']! },
      ],
      file,
      base,
      capture().log,
    ),
  );
  assert.is(err.code, 'bad-document');
  assert.is(err.message, 'The document "Quarterly report.pdf" could not be read; it may be damaged.');
  assert.not.ok(existsSync(file));
  assert.equal(leftovers(), []);
});

test('PostScript saved as .pdf is refused without running it', async () => {
  const t = performance.now();
  const err = await fails(convertToFax([{ name: 'evil.pdf', pdf: pdf['loop']! }], out(), base, capture().log));
  assert.is(err.code, 'bad-document');
  assert.is(err.message, 'The document "evil.pdf" is not a readable PDF file.');
  figure('PostScript as .pdf refused after', performance.now() - t);
});

/** Our gs processes still rendering in-0.pdf in a scratch dir beside `file` (other test files run their own). */
function oursStillRunning(file: string): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^[0-9]+$/.test(pid))
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('in-0.pdf') &&
          readlinkSync(`/proc/${pid}/cwd`).startsWith(dirname(file))
        );
      } catch {
        return false; // gone already, or not ours to inspect
      }
    });
}

test(
  'a PDF with junk before its header reaches gs as a copy that starts with "%PDF-"; PostScript first is ' +
    'refused before gs runs',
  async () => {
    const record = join(dir, 'gs-saw.txt');
    const spy = writeText(
      dir,
      'spy-gs',
      `#!/bin/sh\nfor f in in-*.pdf; do head -c 5 "$f" >> ${record}; echo >> ${record}; done\nexec ${GS} "$@"\n`,
    );
    await execa('chmod', ['755', spy]);
    const junked = join(dir, 'junked.pdf');
    writeFileSync(junked, Buffer.concat([Buffer.from('garbage from a scanner\n'), readFileSync(pdf['a4Square']!)]));
    const r = await convertToFax([{ name: 'junked.pdf', pdf: junked }], out(), { ...base, gs: spy }, capture().log);
    assert.is(r.pages, 1);
    const seen = readFileSync(record, 'utf8').trim().split('\n');
    assert.ok(seen.length >= 1);
    assert.ok(
      seen.every((l) => l === '%PDF-'),
      `gs saw ${JSON.stringify(seen)}`,
    );

    writeFileSync(record, '');
    const poly = join(dir, 'poly.pdf');
    writeFileSync(poly, `%!PS\n% %PDF-1.4\n{ } loop\n`);
    const err = await fails(
      convertToFax([{ name: 'poly.pdf', pdf: poly }], out(), { ...base, gs: spy }, capture().log),
    );
    assert.is(err.code, 'bad-document');
    assert.match(err.message, 'starts with a PostScript program');
    assert.is(readFileSync(record, 'utf8'), '', 'gs never ran');
  },
);

test('the CPU allowance: gs is killed and the document refused (bad-document), whatever step it was in', async () => {
  const big = await psToPdf(dir, 'big.pdf', textPagesPs(LETTER, 300));
  const file = out();
  const t = performance.now();
  const budget = createBudget(600, 0.3);
  const err = await fails(
    convertToFax([{ name: 'big.pdf', pdf: big }], file, { ...base, maxPages: 1000, budget }, capture().log),
  );
  budget.dispose();
  const ms = performance.now() - t;
  assert.is(err.code, 'bad-document');
  assert.is(
    err.message,
    'The document "big.pdf" needs more than 0.3 seconds of computing time to convert; it may be damaged or ' +
      'too complex.',
  );
  figure('CPU allowance 0.3 s: refused after', ms);
  assert.not.ok(existsSync(file));
  assert.equal(leftovers(), []);
  assert.equal(oursStillRunning(file), []);
});

test('the wall-clock deadline: gs is killed and the mail deferred (temporary), whatever step it was in', async () => {
  const big = await psToPdf(dir, 'big.pdf', textPagesPs(LETTER, 300));
  const file = out();
  const t = performance.now();
  const budget = createBudget(0.4);
  const err = await fails(
    convertToFax([{ name: 'big.pdf', pdf: big }], file, { ...base, maxPages: 1000, budget }, capture().log),
  );
  const ms = performance.now() - t;
  assert.is(err.code, 'temporary');
  assert.is(
    err.message,
    'The fax server is too busy to convert this mail now (it took longer than 0.4 seconds); it will be tried ' +
      'again later.',
  );
  figure('deadline 0.4 s: deferred after', ms);
  assert.not.ok(existsSync(file));
  assert.equal(leftovers(), []);
  assert.equal(oursStillRunning(file), []);
  // A run whose deadline has passed starts nothing.
  const again = await fails(
    convertToFax([{ name: 'a.pdf', pdf: pdf['a4Square']! }], out(), { ...base, budget }, capture().log),
  );
  assert.is(again.code, 'temporary');
});

test(
  'gs missing or killed by the system is temporary (deferred); gs crashing on ' + 'the document is bad-document',
  async () => {
    const missing = await fails(
      convertToFax(
        [{ name: 'a.pdf', pdf: pdf['a4Square']! }],
        out(),
        { ...base, gs: join(dir, 'no-gs') },
        capture().log,
      ),
    );
    assert.is(missing.code, 'temporary');
    assert.match(missing.message, /Ghostscript could not be started.*ENOENT/);
    const crashing = writeText(dir, 'crash-gs', '#!/bin/sh\nkill -KILL $$\n');
    await execa('chmod', ['755', crashing]);
    const crashed = await fails(
      convertToFax([{ name: 'a.pdf', pdf: pdf['a4Square']! }], out(), { ...base, gs: crashing }, capture().log),
    );
    assert.is(crashed.code, 'temporary');
    assert.match(crashed.message, /SIGKILL/);
    const segv = writeText(dir, 'segv-gs', '#!/bin/sh\nkill -SEGV $$\n');
    await execa('chmod', ['755', segv]);
    const faulted = await fails(
      convertToFax([{ name: 'a.pdf', pdf: pdf['a4Square']! }], out(), { ...base, gs: segv }, capture().log),
    );
    assert.is(faulted.code, 'bad-document');
    assert.is(
      faulted.message,
      'The document "a.pdf" could not be converted (it made the converter crash); it may be damaged.',
    );
  },
);

test('a fake gs that "succeeds" without output cannot slip a bad fax through', async () => {
  // counts pages like gs, renders nothing, exits 0
  const liar = writeText(dir, 'liar-gs', '#!/bin/sh\ncase "$*" in *pdfpagecount*) echo 1;; esac\nexit 0\n');
  await execa('chmod', ['755', liar]);
  const file = out();
  const err = await fails(
    convertToFax([{ name: 'a.pdf', pdf: pdf['a4Square']! }], file, { ...base, gs: liar }, capture().log),
  );
  assert.is(err.code, 'bad-document');
  assert.not.ok(existsSync(file));
});

test('no documents: no-document; a hostile name is printed on one line', async () => {
  assert.is((await fails(convertToFax([], out(), base, capture().log))).code, 'no-document');
  const err = await fails(
    convertToFax([{ name: 'a\nb"\u0007.pdf', pdf: pdf['truncated']! }], out(), base, capture().log),
  );
  assert.not.match(err.message, /[\n\u0007]/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
