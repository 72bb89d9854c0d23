/*
 * plan.ts: how to split a fax's documents into Ghostscript runs. Pure.
 * A small fax (fewer than SMALL_FAX_PAGES pages in all) or a single worker: one run over all documents,
 * so gs starts once. Otherwise each document is its own run, and a long document is cut into up to
 * `workers` page ranges of at least MIN_RANGE_PAGES pages that run in parallel; the TIFFs are joined in
 * plan order afterwards (lib/tiff/merge.ts), so the page order never depends on which run ends first.
 */

/** Below this many pages in all, starting more gs processes costs more than it saves. */
const SMALL_FAX_PAGES = 8;
/** A range shorter than this is not worth a gs start-up (about as long as rendering 4 text pages). */
const MIN_RANGE_PAGES = 4;

export interface GsRun {
  /** indexes into the documents, in order */
  docs: number[];
  /** page range (1-based, inclusive) within the single document; absent: whole documents */
  firstPage?: number;
  lastPage?: number;
  /** pages this run produces */
  pages: number;
}

/** Split documents with the given page counts into runs for `workers` parallel gs processes. */
export function planRuns(pageCounts: number[], workers: number): GsRun[] {
  const total = pageCounts.reduce((a, b) => a + b, 0);
  if (pageCounts.length === 0) return [];
  if (workers <= 1 || total < SMALL_FAX_PAGES) {
    return [{ docs: pageCounts.map((_, i) => i), pages: total }];
  }
  const runs: GsRun[] = [];
  pageCounts.forEach((pages, doc) => {
    const ranges = Math.max(1, Math.min(workers, Math.floor(pages / MIN_RANGE_PAGES)));
    if (ranges === 1) {
      runs.push({ docs: [doc], pages });
      return;
    }
    // Spread the remainder over the first ranges: 10 pages in 3 ranges = 4, 3, 3.
    const base = Math.floor(pages / ranges);
    const extra = pages % ranges;
    let first = 1;
    for (let r = 0; r < ranges; r++) {
      const n = base + (r < extra ? 1 : 0);
      runs.push({ docs: [doc], firstPage: first, lastPage: first + n - 1, pages: n });
      first += n;
    }
  });
  return runs;
}

/** Effective number of gs processes: the configured value, or one per core when it is 0. */
export function effectiveWorkers(parallel: number, cores: number): number {
  return Math.max(1, parallel > 0 ? parallel : cores);
}
