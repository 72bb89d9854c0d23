/*
 * to-fax.ts: PDFs in, ONE multi-page fax TIFF out, ready for spandsp (SendFAX).
 * Steps: check each input is a PDF; count its pages from the PDF itself (pdf-pages.ts), or with gs where
 * the file does not say it trustworthily (before any rendering, so max_pages refuses a huge document
 * cheaply); with fax.dither = "auto", render every page small in grey to choose its screen (one gs run per
 * document, which counts too); render in one gs run (small faxes) or in page ranges in parallel (big ones),
 * in auto mode started speculatively with one screen while the grey is analysed, kept only if every
 * page wants that screen or has no tone; check
 * each part's structure (lib/tiff/validate.ts structureProblems: no second tool decodes it) as soon as its
 * run ends; join the parts without re-encoding; check the joined file's page directories; rename into
 * place (no half-written fax ever
 * exists at `outTiff`). Every tool runs through lib/exec/run.ts under the run's Budget: the wall deadline
 * and the CPU allowance cover all of it, and gs is killed (SIGKILL) when either runs out.
 * gs only ever reads a file that starts with "%PDF-" at byte 0 (stageInput): it chooses its interpreter
 * from the first bytes, and a file starting with "%!" would run as PostScript, a programming language.
 * Inputs: documents as { name (shown to the sender), pdf (path) }, the output path, options, a logger.
 * Fails with FaxError: 'no-document' (nothing given), 'bad-document' (not a PDF, PostScript posing as PDF,
 * damaged, crashed gs, too costly in CPU time; the sentence names the document), 'too-large' (over
 * maxPages), 'temporary' (gs missing or killed by the system, disk full, the deadline passed),
 * 'internal' (the result failed validation).
 */
import { mkdtemp, open, readFile, rename, rm, statfs, symlink } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Compression, DitherMode, Paper, Resolution } from '../config/schema.js';
import { FaxError, oneLine, toFaxError } from '../errors.js';
import { removeOnSignal } from '../fsutil/atomic.js';
import type { Logger } from '../log.js';
import { readTiff } from '../tiff/read.js';
import { mergeTiffFiles } from '../tiff/merge.js';
import { checkFaxPages, structureProblems } from '../tiff/validate.js';
import { faxGeometry } from './geometry.js';
import {
  buildAnalysisArgs,
  buildPageCountArgs,
  buildRenderArgs,
  locateTrouble,
  looksLikeIoTrouble,
  parsePageCount,
  runGhostscript,
  summariseGsOutput,
  type Screens,
} from './ghostscript.js';
import { analysePgms, wantsScreen } from './grey.js';
import type { ToolResult } from '../exec/run.js';
import type { Budget } from '../exec/budget.js';
import { judge } from '../exec/verdict.js';
import { checkDeadline, cpuError, deadlineError } from '../exec/limits.js';
import { effectiveWorkers, planRuns, type GsRun } from './plan.js';
import { countPdfPages } from './pdf-pages.js';

export interface ConvertOptions {
  gs: string;
  /** no longer run on gs's output (structureProblems checks it); kept for callers that pass it */
  tiffinfo: string;
  resolution: Resolution;
  paper: Paper;
  compression: Compression;
  maxPages: number;
  /** the limits of the whole run: wall deadline and CPU allowance */
  budget: Budget;
  /** gs processes at once; 0: one per core */
  parallel: number;
  /** grey: 'never' threshold, 'always' the line screen, 'auto' the line screen on pages with grey areas */
  dither: DitherMode;
}

/** What the steps of one conversion share. */
interface Conversion {
  inputs: ConvertInput[];
  /** the scratch directory: gs's working directory, where in-N.pdf and the parts are */
  work: string;
  opts: ConvertOptions;
  geometry: ReturnType<typeof faxGeometry>;
  /** gs processes at once */
  workers: number;
  log: Logger;
}

/** How each page of one document renders grey. */
interface PageScreen {
  /** the line screen (else threshold) */
  line: boolean;
  /** the page has no tone at all, only black and white (grey.ts anyTone): it renders the same under either screen */
  plain: boolean;
}

export interface ConvertResult {
  pages: number;
  perDocument: { name: string; pages: number }[];
  bytes: number;
}

export interface ConvertInput {
  /** name shown to the sender, e.g. the attachment's file name */
  name: string;
  /** path of the PDF */
  pdf: string;
}

/** Free space below which a failed gs run is blamed on the disk, not the document. */
const LOW_DISK_BYTES = 32 * 1024 * 1024;

/** The sender-facing name of a document, bounded and printable. */
function shown(name: string): string {
  return oneLine(name, 80) || 'attachment';
}

/** Convert PDFs to one fax TIFF at outTiff (see header). */
export async function convertToFax(
  inputs: ConvertInput[],
  outTiff: string,
  opts: ConvertOptions,
  log: Logger,
): Promise<ConvertResult> {
  if (inputs.length === 0) throw new FaxError('no-document', 'There was no document to fax.');
  const started = performance.now();
  checkDeadline(opts.budget);

  // Scratch directory beside the output: same filesystem, so the final rename is atomic.
  const work = await mkdtemp(join(dirname(resolve(outTiff)), '.convert-')).catch((err: unknown) => {
    throw toFaxError(err, 'converting the documents');
  });
  const forget = removeOnSignal(work);
  try {
    // gs sees only our own plain names (in-0.pdf, ...), never a path or name from the mail, and each starts
    // with "%PDF-".
    for (const [i, input] of inputs.entries()) await stageInput(input, join(work, `in-${i}.pdf`));
    const workers = effectiveWorkers(opts.parallel, availableParallelism());

    const geometry = faxGeometry(opts.resolution, opts.paper);
    const conversion: Conversion = { inputs, work, opts, geometry, workers, log };
    // 0. Pages from the PDFs themselves where they say it trustworthily (pdf-pages.ts: no gs start); gs counts
    // the others. A known total over maxPages is refused here, before any tool runs.
    const known = await Promise.all(inputs.map((_, i) => countPdfPages(join(work, `in-${i}.pdf`))));
    log.info({ step: 'pdf-pages', pages: known });
    if (known.every((n) => n !== undefined)) {
      const sum = (known as number[]).reduce((a, b) => a + b, 0);
      if (sum > opts.maxPages)
        throw new FaxError(
          'too-large',
          `The documents make ${sum} fax pages; at most ${opts.maxPages} pages can be sent in one fax.`,
          { detail: { pages: sum, maxPages: opts.maxPages } },
        );
    }
    // In auto mode the pages must first be rendered small in grey to choose their screens (countAllPages). With
    // a second core and page counts the PDFs gave, the fax render starts at the same time, in the runs the
    // plan will make, with one screen for every page, and is kept when every page wants that screen or has
    // no tone at all (else it is abandoned and the runs render again with each page's own screen). The guess:
    // the line screen for a small fax (one run), threshold for a big one (ranges): long documents are mostly
    // text, often with light tints that want threshold (bench/README.md, "speculative render").
    const spec =
      workers > 1 && opts.dither === 'auto' && known.every((n) => n !== undefined)
        ? startSpeculativeRender(conversion, known as number[])
        : undefined;

    // 1. Count pages (gs only where pdf-pages.ts could not, or to analyse grey in auto mode); countAllPages
    // refuses (too-large) as soon as the running total passes maxPages.
    let pageCounts: number[];
    let screens: PageScreen[][];
    try {
      ({ counts: pageCounts, screens } = await countAllPages(conversion, known));
    } catch (err) {
      await spec?.abandon();
      throw err;
    }
    const total = pageCounts.reduce((a, b) => a + b, 0);

    // 2. Render.
    const runs = planRuns(pageCounts, workers);
    log.info({
      step: 'convert-plan',
      pages: total,
      documents: inputs.length,
      runs: runs.length,
      workers,
      resolution: opts.resolution,
      paper: opts.paper,
      compression: opts.compression,
      speculative: spec !== undefined,
    });
    let parts: string[] | undefined;
    // The speculative render used one screen everywhere: its pages are right when each is plain (no tone: the
    // same under either screen) or wants that screen, and the plan is the one it rendered.
    const specFits =
      spec !== undefined &&
      screens.flat().every((p) => p.plain || p.line === spec.line) &&
      JSON.stringify(runs) === JSON.stringify(spec.runs);
    if (spec && specFits) parts = await spec.use();
    else await spec?.abandon();
    parts ??= await renderAll(conversion, runs, screens);

    // 3. Join, 4. check, 5. publish.
    const joined = join(work, 'fax.tif');
    const merged = await mergeTiffFiles(parts, joined, total);
    // Every part's structure was checked as soon as its gs run ended; the merge copies those bytes as they
    // are, so the joined file only needs its directories checked here.
    const problems = checkFaxPages(readTiff(await readFile(joined)), {
      pages: total,
      ydpi: geometry.ydpi,
      width: geometry.width,
    });
    if (problems.length > 0) {
      throw new FaxError(
        'internal',
        'The converted fax failed its final check on the fax server; it will be tried again.',
        { detail: { file: joined, problems: problems.slice(0, 10) } },
      );
    }
    await rename(joined, outTiff);
    const ms = Math.round(performance.now() - started);
    log.info({ step: 'converted', pages: total, bytes: merged.bytes, ms });
    return {
      pages: total,
      perDocument: inputs.map((d, i) => ({ name: d.name, pages: pageCounts[i]! })),
      bytes: merged.bytes,
    };
  } catch (err) {
    throw toFaxError(err, 'converting the documents');
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
    forget();
  }
}

/** Bytes before "%PDF-" that make gs run a file as PostScript (after it skips bytes <= 0x20), or switch language. */
const POSTSCRIPT_START = /^[\x00-\x20]*(?:%!|%%|\xc5\xd0\xd3\xc6)|\x1b%-12345X/;

/**
 * Put document `input` where gs reads it (`dest`, our own name), with "%PDF-" as its very first bytes.
 * PDF readers accept the header anywhere in the first 1024 bytes (some generators put junk first), but gs
 * picks its interpreter from the first bytes: a file that starts with "%!" or "%%" runs as PostScript even
 * when "%PDF-" follows (a "polyglot"), and PostScript is a programming language that can read and write
 * files. So a PDF whose header is not at byte 0 is refused when what comes first is PostScript (or a PJL
 * language switch), and otherwise copied from the header on; gs never sees the bytes before it.
 */
async function stageInput(input: ConvertInput, dest: string): Promise<void> {
  const fh = await open(input.pdf, 'r');
  let offset: number;
  try {
    const head = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const text = head.subarray(0, bytesRead).toString('latin1');
    offset = text.indexOf('%PDF-');
    if (offset < 0) {
      throw new FaxError('bad-document', `The document "${shown(input.name)}" is not a readable PDF file.`, {
        detail: { document: input.name },
      });
    }
    if (offset > 0 && POSTSCRIPT_START.test(text.slice(0, offset))) {
      throw new FaxError(
        'bad-document',
        `The document "${shown(input.name)}" is not a plain PDF file: it starts with a PostScript program, ` +
          `which this fax server does not run. Please send it as a normal PDF.`,
        {
          detail: { document: input.name, reason: 'postscript before the PDF header', offset },
        },
      );
    }
  } finally {
    await fh.close();
  }
  if (offset === 0) {
    await symlink(resolve(input.pdf), dest);
    return;
  }
  await pipeline(createReadStream(input.pdf, { start: offset }), createWriteStream(dest, { flags: 'wx', mode: 0o600 }));
}

/** Run fn over items with at most n at once; resolves when all are done (first rejection re-thrown after). */
async function mapPool<T, R>(
  items: T[],
  n: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]!, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, () => worker()));
  return results;
}

/** The first failure in plan order, ignoring runs we cancelled ourselves. */
function firstFailure<R>(results: PromiseSettledResult<R>[]): unknown {
  for (const r of results) if (r.status === 'rejected' && r.reason !== CANCELLED) return r.reason;
  for (const r of results) if (r.status === 'rejected') return r.reason;
  return undefined;
}

const CANCELLED = Symbol('cancelled');

/** A gs run that did not finish normally, as the FaxError to report (or CANCELLED). See lib/exec/verdict.ts. */
async function classifyFailure(
  r: ToolResult,
  doc: number,
  inputs: ConvertInput[],
  work: string,
  budget: Budget,
): Promise<FaxError | typeof CANCELLED> {
  const name = shown(inputs[doc]!.name);
  const detail = {
    document: inputs[doc]!.name,
    exitCode: r.exitCode,
    signal: r.signal,
    killedBy: r.killedBy,
    cpuMs: r.cpuMs,
    gs: summariseGsOutput(r.stdout, r.stderr),
  };
  const systemTrouble =
    looksLikeIoTrouble(r.stdout, r.stderr) ||
    (r.spawnError === undefined && r.killedBy === undefined && (await diskIsLow(work)));
  const v = judge(r, systemTrouble);
  switch (v.kind) {
    case 'cancelled':
      return CANCELLED;
    case 'deadline':
    case 'timeout':
      return deadlineError(budget);
    case 'cpu':
      return cpuError(budget, inputs[doc]!.name);
    case 'not-started':
      return new FaxError(
        'temporary',
        `Ghostscript could not be started on the fax server (${v.errno}); the fax will be tried again.`,
        { detail: { ...detail, errno: v.errno } },
      );
    case 'signal':
      if (v.blame === 'system')
        return new FaxError(
          'temporary',
          `Ghostscript was stopped (${v.signal}) while converting "${name}"; the fax will be tried again.`,
          { detail },
        );
      return new FaxError(
        'bad-document',
        `The document "${name}" could not be converted (it made the converter crash); it may be damaged.`,
        { detail },
      );
    case 'ok':
    case 'exit':
      if (v.kind === 'exit' && v.blame === 'system') {
        return new FaxError(
          'temporary',
          'The fax server ran out of disk space or memory, or could not write its files, while converting the ' +
            'documents; the fax will be tried again.',
          { detail },
        );
      }
      return new FaxError('bad-document', `The document "${name}" could not be converted; it may be damaged.`, {
        detail,
      });
  }
}

async function diskIsLow(dir: string): Promise<boolean> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize < LOW_DISK_BYTES;
  } catch {
    return false;
  }
}

async function countAllPages(
  c: Conversion,
  known: (number | undefined)[],
): Promise<{ counts: number[]; screens: PageScreen[][] }> {
  const { inputs, work, opts, geometry, workers, log } = c;
  const cancel = new AbortController();
  let running = 0;
  let counted = 0;
  const results = await mapPool(inputs, workers, async (input, i) => {
    if (cancel.signal.aborted) throw CANCELLED;
    // The PDF's own count is enough unless the pages' grey must be analysed (auto).
    const own = known[i];
    if (own !== undefined && opts.dither !== 'auto') {
      running += own;
      counted++;
      return {
        pages: own,
        screens: Array.from({ length: own }, () => ({ line: opts.dither === 'always', plain: false })),
      };
    }
    const analysis = `analysis-${i}.pgm`;
    const args =
      opts.dither === 'auto'
        ? buildAnalysisArgs(`in-${i}.pdf`, analysis, geometry, opts.maxPages)
        : buildPageCountArgs(`in-${i}.pdf`);
    const r = await runGhostscript(opts.gs, args, { cwd: work, budget: opts.budget, cancel: cancel.signal });
    const pages = r.ok ? parsePageCount(r.stdout) : undefined;
    log.info({
      step: 'count-pages',
      document: shown(input.name),
      pages,
      own,
      ms: r.wallMs,
      cpuMs: r.cpuMs,
      exitCode: r.exitCode,
      killedBy: r.killedBy,
    });
    try {
      if (!r.ok) throw await classifyFailure(r, i, inputs, work, opts.budget);
      if (pages === undefined || pages < 1) {
        throw new FaxError(
          'bad-document',
          `The document "${shown(input.name)}" could not be read; it may be damaged.`,
          { detail: { document: input.name, gs: summariseGsOutput(r.stdout, r.stderr) } },
        );
      }
      running += pages;
      counted++;
      if (running > opts.maxPages) {
        // Stop counting the rest: the fax is refused anyway.
        const howMany = counted === inputs.length ? `${running}` : `${running} or more`;
        throw new FaxError(
          'too-large',
          `The documents make ${howMany} fax pages; at most ${opts.maxPages} pages can be sent in one fax.`,
          { detail: { pagesSoFar: running, maxPages: opts.maxPages } },
        );
      }
      const screens =
        opts.dither === 'auto'
          ? await chooseScreens(join(work, analysis), pages)
          : Array.from({ length: pages }, () => ({ line: opts.dither === 'always', plain: false }));
      if (opts.dither === 'auto')
        log.info({
          step: 'screens',
          document: shown(input.name),
          pages: screens.map((p) => (p.line ? 'L' : p.plain ? '-' : 'T')).join(''),
        });
      return { pages, screens };
    } catch (err) {
      cancel.abort();
      throw err;
    }
  });
  const failure = firstFailure(results);
  if (failure !== undefined) throw failure;
  const done = results.map((r) => (r as PromiseFulfilledResult<{ pages: number; screens: PageScreen[] }>).value);
  return { counts: done.map((d) => d.pages), screens: done.map((d) => d.screens) };
}

/**
 * Each page's screen from the analysis render (grey.ts). When the render does not hold exactly one image
 * per page (a page that failed to draw), every page gets the line screen: legible whatever it holds, and the
 * real render will report the damage.
 */
async function chooseScreens(pgm: string, pages: number): Promise<PageScreen[]> {
  const looks = await readFile(pgm).then(analysePgms, () => []);
  if (looks.length !== pages) return Array.from({ length: pages }, () => ({ line: true, plain: false }));
  return looks.map((p) => ({ line: wantsScreen(p), plain: !p.anyTone }));
}

/** The screens of one planned run: its documents' pages, or its page range of one document. */
function runScreens(run: GsRun, screens: PageScreen[][]): Screens {
  const pages =
    run.firstPage !== undefined
      ? screens[run.docs[0]!]!.slice(run.firstPage - 1, run.lastPage!)
      : run.docs.flatMap((d) => screens[d]!);
  return pages.map((p) => p.line);
}

async function renderAll(
  c: Conversion,
  runs: GsRun[],
  screens: PageScreen[][],
  speculative?: { cancel: AbortSignal },
): Promise<string[]> {
  const { inputs, work, opts, geometry, workers, log } = c;
  const cancel = new AbortController();
  speculative?.cancel.addEventListener('abort', () => cancel.abort(), { once: true });
  // Longest runs start first so the parallel runs finish close together; results keep plan order.
  const order = runs.map((_, i) => i).sort((a, b) => runs[b]!.pages - runs[a]!.pages);
  const outcome = new Array<PromiseSettledResult<string>>(runs.length);
  const settled = await mapPool(order, workers, async (k) => {
    const run = runs[k]!;
    const firstDoc = run.docs[0]!;
    if (cancel.signal.aborted) throw CANCELLED;
    const output = `${speculative ? 'spec-' : ''}part-${k}.tif`;
    const args = buildRenderArgs({
      inputs: run.docs.map((d) => `in-${d}.pdf`),
      output,
      geometry,
      compression: opts.compression,
      screens: runScreens(run, screens),
      ...(run.firstPage !== undefined ? { firstPage: run.firstPage, lastPage: run.lastPage! } : {}),
    });
    const r = await runGhostscript(opts.gs, args, { cwd: work, budget: opts.budget, cancel: cancel.signal });
    // In a multi-document run, blame the document gs was on when it complained or stopped.
    const where = locateTrouble(r.stdout);
    const blamed = run.docs[Math.max(0, Math.min(where.fileIndex, run.docs.length - 1))] ?? firstDoc;
    // gs exited 0: check the part's structure ourselves (validate.ts structureProblems), no second decode.
    const problems = r.ok
      ? await readFile(join(work, output)).then(
          (b) => structureProblems(b, run.pages),
          (e: unknown) => [String(e)],
        )
      : [];
    log.info({
      step: 'render',
      run: k,
      speculative: speculative !== undefined,
      documents: run.docs.map((d) => shown(inputs[d]!.name)),
      first: run.firstPage,
      last: run.lastPage,
      pages: run.pages,
      ms: r.wallMs,
      cpuMs: r.cpuMs,
      exitCode: r.exitCode,
      signal: r.signal,
      killedBy: r.killedBy,
      problems: problems.slice(0, 3),
    });
    if (r.ok && problems.length === 0) return join(work, output);
    // A page's strip cut short: our output is wrong, not the document ('internal'). Missing pages or an
    // unreadable file fall through to the document's fault, as gs's own "page will be missing" does.
    if (r.ok && problems.every((p) => p.startsWith('page '))) {
      cancel.abort();
      throw new FaxError(
        'internal',
        'The converted fax failed its final check on the fax server; it will be tried again.',
        { detail: { file: output, problems: problems.slice(0, 10) } },
      );
    }
    cancel.abort();
    if (r.ok) {
      // gs said all was well but pages are missing ("page will be missing in the output"): the document's fault.
      throw await classifyFailure({ ...r, ok: false }, blamed, inputs, work, opts.budget);
    }
    throw await classifyFailure(r, blamed, inputs, work, opts.budget);
  });
  order.forEach((k, i) => {
    outcome[k] = settled[i]!;
  });
  const failure = firstFailure(outcome);
  if (failure !== undefined) throw failure;
  return outcome.map((o) => (o as PromiseFulfilledResult<string>).value);
}

interface SpeculativeRender {
  runs: GsRun[];
  /** its screen on every page: the line screen (else threshold) */
  line: boolean;
  /** Its parts, if every run produced its pages and they passed their check; undefined: render normally. */
  use(): Promise<string[] | undefined>;
  /** Stop it and wait until every gs is gone. */
  abandon(): Promise<void>;
}

/** The runs planned for these page counts, rendered with one screen on every page before the screens are known. */
function startSpeculativeRender(c: Conversion, counts: number[]): SpeculativeRender {
  const cancel = new AbortController();
  const runs = planRuns(counts, c.workers);
  const line = runs.length === 1;
  const screens = counts.map((n) => Array.from({ length: n }, () => ({ line, plain: false })));
  // A failed speculative run is not reported: the normal render runs and reports what it finds.
  const running = renderAll(c, runs, screens, { cancel: cancel.signal }).then(
    (parts) => parts,
    () => undefined,
  );
  return {
    runs,
    line,
    use: () => running,
    async abandon() {
      cancel.abort();
      await running;
    },
  };
}
