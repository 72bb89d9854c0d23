/*
 * geometry.ts: the pixel size and resolution of a fax page. Pure.
 * Every page is 1728 pixels wide at 204 dpi (215 mm, the T.4 scan line for A4 and Letter; spandsp refuses
 * 1686 or 1653), 98/196/391 lines per inch, and as tall as the chosen paper at that line density.
 */
import type { Paper, Resolution } from '../config/schema.js';

const FAX_WIDTH = 1728;
const FAX_XDPI = 204;

/** Vertical lines per inch for each resolution (T.4/T.30 standard, fine, superfine). */
const FAX_YDPI: Readonly<Record<Resolution, number>> = Object.freeze({
  standard: 98,
  fine: 196,
  superfine: 391,
});

/** Paper height in inches: A4 297 mm, Letter 11 in. */
const PAPER_HEIGHT_INCHES: Readonly<Record<Paper, number>> = Object.freeze({ a4: 297 / 25.4, letter: 11 });

export interface FaxGeometry {
  width: number;
  height: number;
  xdpi: number;
  ydpi: number;
}

/** Page geometry for a resolution and paper, e.g. fine A4 = 1728 x 2292 at 204 x 196. */
export function faxGeometry(resolution: Resolution, paper: Paper): FaxGeometry {
  const ydpi = FAX_YDPI[resolution];
  return { width: FAX_WIDTH, height: Math.round(PAPER_HEIGHT_INCHES[paper] * ydpi), xdpi: FAX_XDPI, ydpi };
}
