/*
 * text.ts: a value from outside (a caller name, a station id, a Subject, an error from a tool) made into
 * one printable line, the one way every module does it. Pure; never fails.
 */

export interface CleanLineOptions {
  /** the longest result in characters (code points); longer text ends in "…" (default: no bound) */
  max?: number;
  /**
   * Also blank direction marks and overrides, zero-width characters and the BOM: for text a reader must
   * see as it is ordered (a name next to a number), where an override could reorder what is shown.
   */
  invisible?: boolean;
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: whatever could end a line.
const BREAKS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+/g;

/** One line: control and line-separator characters become spaces, runs of spaces one, trimmed, bounded. */
export function cleanLine(text: string, options: CleanLineOptions = {}): string {
  let flat = text.replace(BREAKS, ' ');
  if (options.invisible) flat = flat.replace(INVISIBLE, ' ');
  flat = flat.replace(/\s+/g, ' ').trim();
  const max = options.max ?? Number.POSITIVE_INFINITY;
  if (flat.length <= max) return flat;
  // Count code points, so a cut never splits a character outside the BMP.
  const chars = Array.from(flat);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}
