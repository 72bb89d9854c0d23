import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildPageCountArgs,
  buildRenderArgs,
  locateTrouble,
  looksLikeIoTrouble,
  parsePageCount,
  runGhostscript,
  THRESHOLD_SCREEN,
  LINE_SCREEN,
} from '../../lib/convert/ghostscript.js';
import { faxGeometry } from '../../lib/convert/geometry.js';
import { A4, GS, markedPagesPs, psToPdf, scratchDir } from './pdfs.js';
import { figure } from '../helpers/figure.js';
import { alive } from '../helpers/process.js';

const dir = scratchDir('gs');

function fakeGs(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

test('render arguments: SAFER, the fax device, fixed fitted media, range, threshold screen, inputs after -f', () => {
  const args = buildRenderArgs({
    inputs: ['in-0.pdf', 'in-1.pdf'],
    output: 'part-0.tif',
    geometry: faxGeometry('fine', 'a4'),
    compression: 'g4',
    screens: 'threshold',
    firstPage: 3,
    lastPage: 9,
  });
  assert.equal(args, [
    '-dSAFER',
    '-dBATCH',
    '-dNOPAUSE',
    '-dNOPROMPT',
    '-sDEVICE=tiffg4',
    '-r204x196',
    '-g1728x2292',
    '-dFIXEDMEDIA',
    '-dPDFFitPage',
    '-dUseCropBox',
    '-dFirstPage=3',
    '-dLastPage=9',
    '--permit-file-write=part-0.tif',
    '-sOutputFile=part-0.tif',
    '-c',
    THRESHOLD_SCREEN,
    '-f',
    'in-0.pdf',
    'in-1.pdf',
  ]);
});

test('render arguments: g3 is 2-D G3, dither installs the line screen, no range means all pages', () => {
  const args = buildRenderArgs({
    inputs: ['in-0.pdf'],
    output: 'o.tif',
    geometry: faxGeometry('standard', 'letter'),
    compression: 'g3',
    screens: 'line',
  });
  assert.ok(args.includes('-sDEVICE=tiffg32d'));
  assert.ok(args.includes('-r204x98'));
  assert.ok(args.includes('-g1728x1078'));
  assert.is(args[args.indexOf('-c') + 1], LINE_SCREEN);
  assert.not.ok(args.some((a) => a.startsWith('-dFirstPage') || a.startsWith('-dLastPage')));
  assert.is(args.at(-2), '-f');
});

test('only plain file names reach gs: no paths, options, templates or separators', () => {
  const base = {
    output: 'o.tif',
    geometry: faxGeometry('fine', 'a4'),
    compression: 'g4' as const,
    screens: 'threshold' as const,
  };
  for (const bad of ['-dNOSAFER', '../x.pdf', '/etc/passwd', 'a b.pdf', 'x%d.pdf', 'a:b.pdf', '', '.hidden']) {
    assert.throws(() => buildRenderArgs({ ...base, inputs: [bad] }), /plain file name/, bad);
    assert.throws(() => buildPageCountArgs(bad), /plain file name/, bad);
  }
  assert.throws(() => buildRenderArgs({ ...base, inputs: ['a.pdf'], output: 'out%d.tif' }), /plain file name/);
  assert.throws(() => buildRenderArgs({ ...base, inputs: ['a.pdf'], firstPage: 0 }), /page number/);
  assert.throws(() => buildRenderArgs({ ...base, inputs: [] }), /no input/);
});

test('page count: real gs counts a PDF; garbage counts 0; the parser takes the last number', async () => {
  await psToPdf(dir, 'seven.pdf', markedPagesPs(A4, 7));
  const r = await runGhostscript(GS, buildPageCountArgs('seven.pdf'), { cwd: dir, timeoutMs: 20_000 });
  assert.ok(r.ok, r.stderr);
  assert.is(parsePageCount(r.stdout), 7);
  writeFileSync(join(dir, 'junk.pdf'), '%PDF-1.4\nthis is not really a pdf\n');
  const j = await runGhostscript(GS, buildPageCountArgs('junk.pdf'), { cwd: dir, timeoutMs: 20_000 });
  assert.is(parsePageCount(j.stdout) ?? 0, 0);
  assert.is(parsePageCount('   **** Warning: something\n12\n'), 12);
  assert.is(parsePageCount('Error: /undefined'), undefined);
});

test('page count follows a symlink (how the orchestrator hands files to gs)', async () => {
  symlinkSync(join(dir, 'seven.pdf'), join(dir, 'in-0.pdf'));
  const r = await runGhostscript(GS, buildPageCountArgs('in-0.pdf'), { cwd: dir, timeoutMs: 20_000 });
  assert.is(parsePageCount(r.stdout), 7);
});

test('locateTrouble: gs reports trouble on stdout between its progress lines (real multi-file output)', async () => {
  writeFileSync(join(dir, 'broken.pdf'), readFileSync(join(dir, 'seven.pdf')).subarray(0, 300));
  const args = buildRenderArgs({
    inputs: ['seven.pdf', 'broken.pdf', 'seven.pdf'],
    output: 'multi.tif',
    geometry: faxGeometry('standard', 'a4'),
    compression: 'g4',
    screens: 'threshold',
  });
  const r = await runGhostscript(GS, args, { cwd: dir, timeoutMs: 30_000 });
  // gs "succeeds" with a file it could not open at all: exit status is no proof of success
  assert.is(r.exitCode, 0);
  const where = locateTrouble(r.stdout);
  assert.ok(where.errorSeen);
  // A file gs cannot open at all prints no "Processing pages" line, so it cannot be told from the one
  // before it; convertToFax never gets there because such a file counts 0 pages and is refused first.
  assert.is(where.fileIndex, 0);
  assert.equal(
    locateTrouble('Processing pages 1 through 2.\nPage 1\nPage 2\nProcessing pages 1 through 5.\nPage 1\n'),
    { fileIndex: 1, errorSeen: false },
  );
  assert.equal(
    locateTrouble(
      'Processing pages 1 through 2.\nPage 1\nPage 2\nProcessing pages 1 through 5.\nPage 1\n   **** Error: ' +
        'Page drawing error occurred.\nPage 2\n',
    ),
    { fileIndex: 1, errorSeen: true },
  );
  assert.equal(locateTrouble(''), { fileIndex: -1, errorSeen: false });
});

test('the runner kills gs with SIGKILL when the time is up, and the process is gone', async () => {
  const pidFile = join(dir, 'sleep.pid');
  const slow = fakeGs('slow-gs', `echo $$ > ${pidFile}\nexec sleep 30`);
  const t = performance.now();
  // long enough for the shell to write its pid file on a loaded machine
  const r = await runGhostscript(slow, ['x'], { cwd: dir, timeoutMs: 1500 });
  figure('timeoutMs 1500: gs killed after', performance.now() - t);
  assert.is(r.killedBy, 'timeout');
  assert.not.ok(r.ok);
  assert.is(r.signal, 'SIGKILL');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.not.ok(alive(pid), 'the killed process is gone');
});

test('the runner reports a cancel, a crash signal, an exit status and a missing binary', async () => {
  const slow = fakeGs('slow2-gs', 'exec sleep 30');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const c = await runGhostscript(slow, [], { cwd: dir, timeoutMs: 10_000, cancel: ac.signal });
  assert.is(c.killedBy, 'cancel');

  const crash = await runGhostscript(fakeGs('crash-gs', 'kill -SEGV $$'), [], { cwd: dir, timeoutMs: 10_000 });
  assert.is(crash.signal, 'SIGSEGV');
  assert.is(crash.killedBy, undefined);
  assert.is(crash.spawnError, undefined);

  const fail = await runGhostscript(fakeGs('fail-gs', 'echo "Error: /syntaxerror" >&2; exit 1'), [], {
    cwd: dir,
    timeoutMs: 10_000,
  });
  assert.is(fail.exitCode, 1);
  assert.match(fail.stderr, /syntaxerror/);

  const missing = await runGhostscript(join(dir, 'no-such-gs'), [], { cwd: dir, timeoutMs: 10_000 });
  assert.is(missing.spawnError, 'ENOENT');
  assert.not.ok(missing.ok);
});

test(
  'defence in depth: PostScript run with our arguments cannot write, read or list outside its private ' + 'TMPDIR',
  async () => {
    // stageInput never lets gs see PostScript; this checks the sandbox behind it with gs run on PostScript directly.
    const marker = join(tmpdir(), `faxmail-gs-escape-${process.pid}`);
    const ps = [
      '%!PS',
      `{ (${marker}) (w) file dup (escaped) writestring closefile } stopped { (write-denied) = } { (WROTE) = } ifelse`,
      '{ (/etc/passwd) (r) file 100 string readstring pop pop } stopped { (read-denied) = } { (READ) = } ifelse',
      '/n 0 def (/tmp/*) { pop /n n 1 add def } 1000 string filenameforall (listed ) print n =',
      '{ (sibling.txt) (w) file closefile } stopped { (cwd-denied) = } { (CWD) = } ifelse',
      'showpage',
    ].join('\n');
    writeFileSync(join(dir, 'hostile.ps'), ps);
    const args = buildRenderArgs({
      inputs: ['hostile.ps'],
      output: 'hostile.tif',
      geometry: faxGeometry('standard', 'a4'),
      compression: 'g4',
      screens: 'threshold',
    });
    const r = await runGhostscript(GS, args, { cwd: dir, timeoutMs: 30_000 });
    assert.match(r.stdout, 'write-denied');
    assert.match(r.stdout, 'read-denied');
    assert.match(r.stdout, 'listed 0');
    assert.match(r.stdout, 'cwd-denied');
    assert.not.match(r.stdout, /WROTE|READ\n|CWD/);
    assert.not.ok(existsSync(marker), `${marker} must not exist`);
    assert.not.ok(existsSync(join(dir, 'sibling.txt')));
    assert.equal(
      readdirSync(dir).filter((f) => f.startsWith('.tool-tmp-')),
      [],
      'the private TMPDIR is gone',
    );
  },
);

test('gs that cannot write its output says so in words looksLikeIoTrouble recognises', async () => {
  const args = buildRenderArgs({
    inputs: ['seven.pdf'],
    output: 'o.tif',
    geometry: faxGeometry('standard', 'a4'),
    compression: 'g4',
    screens: 'threshold',
  });
  // a directory where the output file should be
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'o.tif'));
  const r = await runGhostscript(GS, args, { cwd: dir, timeoutMs: 30_000 });
  assert.ok(looksLikeIoTrouble(r.stdout, r.stderr), r.stderr);
  assert.not.ok(
    looksLikeIoTrouble('Processing pages 1 through 1.\nPage 1\n', '   **** Error: Page drawing error occurred.'),
  );
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
