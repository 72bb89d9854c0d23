/*
 * page-geometry.ts: paper sizes and where an image goes on a page. Pure; never fails.
 */
import type { Paper } from '../config/schema.js';

/** Page size in PostScript points (1/72 inch), portrait. */
export const PAPER_POINTS: Readonly<Record<Paper, { width: number; height: number }>> = {
  a4: { width: 595.28, height: 841.89 },
  letter: { width: 612, height: 792 },
};

export const MM = 72 / 25.4;

export interface Placement {
  pageWidth: number;
  pageHeight: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Resolution metadata below or above this is nonsense (or a default nobody set on purpose). */
const MIN_DPI = 30;
const MAX_DPI = 2400;

/**
 * Place an image of pixelWidth x pixelHeight (as displayed, i.e. after EXIF rotation) on a fax page.
 * The page is the configured paper, turned landscape for a landscape image (the fax stage turns such
 * pages back to portrait). With plausible resolution metadata the image keeps its printed size when
 * that fits; otherwise (no metadata, or bigger than the page) it is scaled to fill the page, aspect
 * kept. The image is centred.
 */
export function placeImage(
  pixelWidth: number,
  pixelHeight: number,
  dpi: { x: number; y: number } | undefined,
  paper: Paper,
): Placement {
  const useDpi = dpi && dpi.x >= MIN_DPI && dpi.x <= MAX_DPI && dpi.y >= MIN_DPI && dpi.y <= MAX_DPI;
  // Natural size in points; without metadata only the aspect ratio matters.
  const natW = useDpi ? (pixelWidth / dpi.x) * 72 : pixelWidth;
  const natH = useDpi ? (pixelHeight / dpi.y) * 72 : pixelHeight;
  const p = PAPER_POINTS[paper];
  const landscape = natW > natH;
  const pageWidth = landscape ? p.height : p.width;
  const pageHeight = landscape ? p.width : p.height;
  let width: number;
  let height: number;
  // 2% slack: a full-page scan whose metadata says 8.5x11.02 inches still prints at its own size.
  if (useDpi && natW <= pageWidth * 1.02 && natH <= pageHeight * 1.02) {
    const shrink = Math.min(1, pageWidth / natW, pageHeight / natH);
    width = natW * shrink;
    height = natH * shrink;
  } else {
    const scale = Math.min(pageWidth / natW, pageHeight / natH);
    width = natW * scale;
    height = natH * scale;
  }
  return { pageWidth, pageHeight, x: (pageWidth - width) / 2, y: (pageHeight - height) / 2, width, height };
}
