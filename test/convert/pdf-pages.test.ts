import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { deflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { countPdfPages, pdfPageCount } from '../../lib/convert/pdf-pages.js';
import { A4, GS, markedPagesPs, psToPdf, scratchDir } from './pdfs.js';

const dir = scratchDir('pdf-pages');

/** A PDF with a classic xref table from objects given as their bodies (object i+1 = bodies[i]). */
function classicPdf(bodies: string[], trailerExtra = ''): Buffer {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  bodies.forEach((b, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${b}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${bodies.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Pages tree: a catalog (1), a root Pages node (2) with `kids` page objects (3..). */
function tree(pages: number, count = pages): string[] {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(' ');
  return [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${count} >>`,
    ...Array.from({ length: pages }, () => '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>'),
  ];
}

/**
 * The same tree, PDF 1.5 style: the Pages and Page dictionaries packed in a compressed object stream,
 * the cross-reference data a FlateDecode stream with the PNG Up predictor (what most PDF writers make).
 */
function compressedPdf(pages: number): Buffer {
  const packed = tree(pages).slice(1); // objects 2.. go in the object stream (object number pages + 3)
  const stmNum = pages + 3;
  const xrefNum = pages + 4;
  let header = '';
  let body = '';
  packed.forEach((b, i) => {
    header += `${i + 2} ${body.length} `;
    body += `${b}\n`;
  });
  const stmData = deflateSync(Buffer.from(header + body, 'latin1'));
  let out = '%PDF-1.5\n';
  const off1 = out.length;
  out += '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n';
  const offStm = out.length;
  const parts: Buffer[] = [Buffer.from(out, 'latin1')];
  const stmHead =
    `${stmNum} 0 obj\n<< /Type /ObjStm /N ${packed.length} /First ${header.length} /Filter ` +
    `/FlateDecode /Length ${stmData.length} >>\nstream\n`;
  parts.push(Buffer.from(stmHead, 'latin1'), stmData, Buffer.from('\nendstream\nendobj\n', 'latin1'));
  const offXref = parts.reduce((a, b) => a + b.length, 0);
  // rows: type(1) field2(4) field3(2); objects 0..xrefNum
  const rows: number[][] = [[0, 0, 0xffff]];
  rows.push([1, off1, 0]);
  for (let i = 0; i < packed.length; i++) rows.push([2, stmNum, i]);
  rows.push([1, offStm, 0]);
  rows.push([1, offXref, 0]);
  const W = [1, 4, 2];
  const raw: number[] = [];
  let prev = new Array<number>(7).fill(0);
  for (const r of rows) {
    const bytes: number[] = [];
    r.forEach((v, k) => {
      for (let b = W[k]! - 1; b >= 0; b--) bytes.push(Math.floor(v / 256 ** b) % 256);
    });
    raw.push(2, ...bytes.map((x, i) => (x - prev[i]! + 256) % 256)); // PNG Up
    prev = bytes;
  }
  const xdata = deflateSync(Buffer.from(raw));
  parts.push(
    Buffer.from(
      `${xrefNum} 0 obj\n<< /Type /XRef /Size ${xrefNum + 1} /W [1 4 2] /Root 1 0 R /Filter /FlateDecode ` +
        `/DecodeParms << /Predictor 12 /Columns 7 >> /Length ${xdata.length} >>\nstream\n`,
      'latin1',
    ),
    xdata,
    Buffer.from(`\nendstream\nendobj\nstartxref\n${offXref}\n%%EOF\n`, 'latin1'),
  );
  return Buffer.concat(parts);
}

test('a classic PDF: the page tree counted', () => {
  assert.is(pdfPageCount(classicPdf(tree(3))), 3);
});

test('a PDF 1.5 file with an xref stream (PNG predictor) and the page tree in an object stream', () => {
  assert.is(pdfPageCount(compressedPdf(5)), 5);
});

test(
  'untrustworthy files give undefined (gs counts them): /Count lies, encrypted, broken offsets, a loop, ' + 'truncated',
  () => {
    assert.is(pdfPageCount(classicPdf(tree(3, 7))), undefined, '/Count says 7, the tree holds 3');
    assert.is(pdfPageCount(classicPdf(tree(2), '/Encrypt 9 0 R ')), undefined, 'encrypted');
    const good = classicPdf(tree(2));
    assert.is(
      pdfPageCount(Buffer.from(good.toString('latin1').replace(/startxref\n\d+/, 'startxref\n12'), 'latin1')),
      undefined,
      'startxref points elsewhere',
    );
    // A Kids entry pointing back at the root node.
    const loop = tree(2);
    loop[1] = '<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>';
    assert.is(pdfPageCount(classicPdf(loop)), undefined, 'a loop in the tree');
    assert.is(pdfPageCount(good.subarray(0, good.length - 60)), undefined, 'truncated');
    assert.is(pdfPageCount(Buffer.from('%PDF-1.4\nnothing here\n')), undefined);
    assert.is(pdfPageCount(Buffer.alloc(0)), undefined);
  },
);

test('nested page tree nodes', () => {
  const bodies = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 3 >>',
    '<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 2 >>',
    '<< /Type /Page /Parent 2 0 R >>',
    '<< /Type /Page /Parent 3 0 R >>',
    '<< /Type /Page /Parent 3 0 R >>',
  ];
  assert.is(pdfPageCount(classicPdf(bodies)), 3);
});

test('agrees with Ghostscript on PDFs Ghostscript wrote (also after an incremental update)', async () => {
  const pdf = await psToPdf(dir, 'seven.pdf', markedPagesPs(A4, 7));
  assert.is(await countPdfPages(pdf), 7);
  const { stdout } = await execa(GS, [
    '-q',
    '-dNODISPLAY',
    '-dNOSAFER',
    `-sFile=${pdf}`,
    '-c',
    'File (r) file runpdfbegin pdfpagecount = quit',
  ]);
  assert.is(Number(stdout.trim()), 7);
  // An incremental update that replaces the Pages node by one holding only the first page: the newest
  // xref section wins, as in every reader.
  const buf = readFileSync(pdf);
  const text = buf.toString('latin1');
  const rootRef = /\/Root (\d+) 0 R/.exec(text)![1];
  const cat = new RegExp(`\\n${rootRef} 0 obj\\s*<<[^]*?/Pages (\\d+) 0 R`).exec(text)!;
  const pagesNum = Number(cat[1]);
  const pagesObj = new RegExp(`\\n${pagesNum} 0 obj\\s*<<[^]*?/Kids \\[\\s*(\\d+) 0 R`).exec(text)!;
  const prevXref = Number(/startxref\s+(\d+)/.exec(text.slice(-200))![1]);
  const size = Number(/\/Size (\d+)/.exec(text)![1]);
  const at = buf.length;
  let upd = `${pagesNum} 0 obj\n<< /Type /Pages /Kids [${pagesObj[1]} 0 R] /Count 1 >>\nendobj\n`;
  const xref = at + upd.length;
  upd +=
    `xref\n${pagesNum} 1\n${String(at).padStart(10, '0')} 00000 n \ntrailer\n<< /Size ${size} /Root ` +
    `${rootRef} 0 R /Prev ${prevXref} >>\nstartxref\n${xref}\n%%EOF\n`;
  assert.is(pdfPageCount(Buffer.concat([buf, Buffer.from(upd, 'latin1')])), 1);
});

test.run();
