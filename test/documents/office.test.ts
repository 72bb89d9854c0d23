/*
 * office.test.ts: office documents through the real LibreOffice (Debian's -nogui packages, installed by
 * scripts/install-deps.sh). The documents are made by LibreOffice itself from text (helpers/office-docs.ts).
 * Checks: page count and page size of the PDF, the text round trip, every fax page 1728 wide; two
 * conversions at once; an auto-run macro never runs; the time limit kills every LibreOffice process; the
 * run's CPU allowance and deadline (lib/exec) give 65 and 75;
 * damaged files are bad-document (65); a missing soffice is temporary (75).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { officeToPdf, PROFILE_SETTINGS, profileXcu, sofficeArgs, sofficeOutput } from '../../lib/documents/office.js';
import { convertToFax } from '../../lib/convert/to-fax.js';
import { createBudget } from '../../lib/exec/budget.js';
import { FaxError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { readTiffFile } from '../../lib/tiff/read.js';
import { truncatedCopy } from '../helpers/documents.js';
import { macroOdt, makeOfficeDoc, SOFFICE, type OfficeFormat } from '../helpers/office-docs.js';
import { pdfPages, pdfText } from './pdf-check.js';
import { figure } from '../helpers/figure.js';
import { waitUntil } from '../helpers/wait.js';

const root = mkdtempSync(join(tmpdir(), 'faxmail-office-'));
process.once('exit', () => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh work dir with the document hard-copied in as doc.<ext> (as prepare.ts does). */
function stage(file: string, ext: string): { input: string; work: string } {
  const work = join(root, `w${++n}`);
  const input = join(root, `in${n}.${ext}`);
  copyFileSync(file, input);
  return { input, work };
}

async function failure(p: Promise<unknown>): Promise<FaxError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, FaxError);
    return err as FaxError;
  }
  throw new Error('expected a FaxError');
}

/** Processes whose command line mentions `needle` (LibreOffice runs show their profile path there). */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(needle)) out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Wait until no process mentions `needle` (a killed LibreOffice takes a moment to go). */
async function noneLeft(needle: string): Promise<void> {
  await waitUntil(() => processesMentioning(needle).length === 0, 10_000, `no process left mentioning ${needle}`, 50);
}

const GEOMETRY = {
  gs: '/usr/bin/gs',
  tiffinfo: '/usr/bin/tiffinfo',
  resolution: 'fine',
  paper: 'a4',
  compression: 'g4',
  maxPages: 50,
  budget: createBudget(3600),
  parallel: 1,
  dither: 'never',
} as const;

test('argument list and profile: our paths only, macros off', () => {
  assert.equal(sofficeArgs('/w/o/doc.docx', '/w/o/out', '/w/o/profile'), [
    '--headless',
    '--norestore',
    '--nolockcheck',
    '--nodefault',
    '-env:UserInstallation=file:///w/o/profile',
    '--convert-to',
    'pdf',
    '--outdir',
    '/w/o/out',
    '/w/o/doc.docx',
  ]);
  assert.is(sofficeArgs('/a', '/b', '/tmp/with space')[4], '-env:UserInstallation=file:///tmp/with%20space');
  assert.is(sofficeOutput('/w/o/doc.docx', '/w/o/out'), '/w/o/out/doc.pdf');
  const xcu = profileXcu();
  assert.match(xcu, '<prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop>');
  assert.match(xcu, '<prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop>');
});

const CASES: { format: OfficeFormat; pages: number; paper?: 'a4' | 'letter'; size: [number, number]; title: string }[] =
  [
    { format: 'docx', pages: 3, paper: 'a4', size: [595.3, 841.9], title: 'Docx Quarterly Letter' },
    { format: 'odt', pages: 2, paper: 'letter', size: [612, 792], title: 'Odt Minutes Letter' },
    { format: 'xlsx', pages: 3, size: [595.3, 841.9], title: 'Xlsx Price List' },
    { format: 'pptx', pages: 2, size: [793.7, 446.5], title: 'Pptx Briefing Deck' },
  ];

for (const c of CASES) {
  test(
    `${c.format} made by LibreOffice: ${c.pages} pages of ${c.size.join(' x ')} pt, its text, every fax ` +
      `page 1728 wide`,
    async () => {
      const doc = makeOfficeDoc(c.format, { pages: c.pages, title: c.title, ...(c.paper ? { paper: c.paper } : {}) });
      const { input, work } = stage(doc, c.format);
      const { pdf, result } = await officeToPdf(SOFFICE, input, work, `report.${c.format}`, 120);
      assert.is(result.exitCode, 0);
      const pages = pdfPages(pdf);
      assert.is(pages.length, c.pages, `pages of ${c.format}`);
      for (const p of pages)
        assert.ok(
          Math.abs(p.width - c.size[0]) < 2 && Math.abs(p.height - c.size[1]) < 2,
          `page ${p.width} x ${p.height}`,
        );
      const text = pdfText(pdf).replace(/\s+/g, ' ');
      const unit = c.format === 'xlsx' ? 'sheet' : c.format === 'pptx' ? 'slide' : 'page';
      for (let p = 1; p <= c.pages; p++) assert.match(text, `${c.title} ${unit} ${p} of ${c.pages}`);
      const tiff = join(work, 'fax.tif');
      const fax = await convertToFax([{ name: `report.${c.format}`, pdf }], tiff, GEOMETRY, silentLogger());
      assert.is(fax.pages, c.pages);
      const tiffPages = await readTiffFile(tiff);
      assert.is(tiffPages.length, c.pages);
      for (const p of tiffPages) assert.is(p.width, 1728);
    },
  );
}

test('two conversions at once: each its own profile, each its own right PDF', async () => {
  const a = stage(makeOfficeDoc('docx', { pages: 3, paper: 'a4', title: 'Docx Quarterly Letter' }), 'docx');
  const b = stage(makeOfficeDoc('odt', { pages: 2, paper: 'letter', title: 'Odt Minutes Letter' }), 'odt');
  const [ra, rb] = await Promise.all([
    officeToPdf(SOFFICE, a.input, a.work, 'a.docx', 120),
    officeToPdf(SOFFICE, b.input, b.work, 'b.odt', 120),
  ]);
  // Both ran at the same time (a shared profile makes the second soffice hand its file to the first and
  // return at once, or wait on the profile lock).
  assert.ok(ra.result.wallMs > 1000 && rb.result.wallMs > 1000, `${ra.result.wallMs} ms, ${rb.result.wallMs} ms`);
  assert.is(pdfPages(ra.pdf).length, 3);
  assert.is(pdfPages(rb.pdf).length, 2);
  assert.match(pdfText(ra.pdf), 'Docx Quarterly Letter page 3 of 3');
  assert.match(pdfText(rb.pdf), 'Odt Minutes Letter page 2 of 2');
  assert.not.match(pdfText(ra.pdf), 'Odt Minutes');
  assert.ok(existsSync(join(a.work, 'profile', 'user')) && existsSync(join(b.work, 'profile', 'user')));
});

test(
  'a document with an auto-run macro is converted and its macro does not run; the ' + 'profile settings are real',
  async () => {
    const marker = join(root, 'MACRO-RAN');
    const file = join(root, 'macro.odt');
    writeFileSync(file, macroOdt(marker));
    const { input, work } = stage(file, 'odt');
    const { pdf } = await officeToPdf(SOFFICE, input, work, 'macro.odt', 120);
    // The document was loaded (its load event came and went) and exported ...
    assert.match(pdfText(pdf), 'Document with an auto-run macro');
    // ... and the macro never wrote its marker.
    assert.not.ok(existsSync(marker), 'the macro ran');
    // LibreOffice rewrites the profile's settings file at exit and drops every entry that is not in its
    // configuration schema: our two macro settings are still there, so their names and values are real.
    const after = readFileSync(join(work, 'profile', 'user', 'registrymodifications.xcu'), 'utf8');
    for (const s of PROFILE_SETTINGS) {
      assert.match(
        after,
        `<item oor:path="${s.path}"><prop oor:name="${s.name}" oor:op="fuse"><value>${s.value}</value></prop></item>`,
      );
    }
  },
);

test('the time limit: bad-document, and every LibreOffice process of the run is killed', async () => {
  const { input, work } = stage(
    makeOfficeDoc('docx', { pages: 3, paper: 'a4', title: 'Docx Quarterly Letter' }),
    'docx',
  );
  const t0 = Date.now();
  const e = await failure(officeToPdf(SOFFICE, input, work, 'slow.docx', 1));
  assert.is(e.code, 'bad-document');
  assert.is(
    e.message,
    'The document "slow.docx" took longer than 1 seconds to convert and cannot be faxed; please send it as a PDF.',
  );
  figure('a 1 s LibreOffice limit returned after', Date.now() - t0);
  // soffice.bin (a child of the soffice launcher) names the profile on its command line.
  await noneLeft(join(work, 'profile'));
});

test(
  "under sendfax's budget: the CPU allowance is the document's fault (65), the deadline the server's (75); " +
    'nothing left running',
  async () => {
    const doc = makeOfficeDoc('docx', { pages: 3, paper: 'a4', title: 'Docx Quarterly Letter' });
    // LibreOffice's start-up alone uses seconds of CPU: 0.3 s of allowance cannot be enough.
    const a = stage(doc, 'docx');
    const cpu = createBudget(3600, 0.3);
    const e1 = await failure(officeToPdf(SOFFICE, a.input, a.work, 'costly.docx', { budget: cpu }));
    cpu.dispose();
    assert.is(e1.code, 'bad-document');
    assert.match(e1.message, 'The document "costly.docx" needs more than 0.3 seconds of computing time');
    // A deadline that passes while LibreOffice starts: the server was too slow, the mail is tried again.
    const b = stage(doc, 'docx');
    const wall = createBudget(0.5);
    const e2 = await failure(officeToPdf(SOFFICE, b.input, b.work, 'letter.docx', { budget: wall }));
    wall.dispose();
    assert.is(e2.code, 'temporary');
    assert.match(e2.message, 'too busy');
    await noneLeft(join(a.work, 'profile'));
    await noneLeft(join(b.work, 'profile'));
  },
);

test('damaged office files are bad-document naming the file', async () => {
  const docx = makeOfficeDoc('docx', { pages: 3, paper: 'a4', title: 'Docx Quarterly Letter' });
  const cut = stage(truncatedCopy(docx, 0.5), 'docx');
  const e1 = await failure(officeToPdf(SOFFICE, cut.input, cut.work, 'contract.docx', 120));
  assert.is(e1.code, 'bad-document');
  assert.match(e1.message, 'The document "contract.docx" could not be converted for faxing');
  // A ZIP that says it is Office Open XML but holds nothing LibreOffice can read.
  const fake = join(root, 'fake.xlsx');
  writeFileSync(fake, Buffer.concat([Buffer.from('PK\u0003\u0004[Content_Types].xml'), Buffer.alloc(4000, 0x41)]));
  const f = stage(fake, 'xlsx');
  const e2 = await failure(officeToPdf(SOFFICE, f.input, f.work, 'prices.xlsx', 120));
  assert.is(e2.code, 'bad-document');
});

test('a missing soffice is a temporary error', async () => {
  const { input, work } = stage(
    makeOfficeDoc('odt', { pages: 2, paper: 'letter', title: 'Odt Minutes Letter' }),
    'odt',
  );
  const e = await failure(officeToPdf('/nonexistent/soffice', input, work, 'x.odt', 30));
  assert.is(e.code, 'temporary');
  assert.match(e.message, 'LibreOffice could not be started (ENOENT)');
});

test.run();
