/*
 * values.ts: the values a received-fax mail sees (templates inbound.* and empty-receive.* in
 * lib/mail/templates/, rendered by lib/mail/template.ts; every name is listed in its README.md).
 *
 * Values that a remote party controls (caller name and number, station id) arrive FILTERed by the
 * dialplan, but are cleaned again here: control characters, line separators and bidi overrides become
 * spaces and the length is bounded. The template engine escapes them in HTML and inserts them in one
 * pass, so a value that looks like {{name}} stays text. Pure functions; nothing here fails or reaches a
 * shell.
 */
import type { Locale } from '../config/schema.js';
import { cleanLine } from '../text.js';

/** The values of one received-fax mail, all text ("" or "-" when unknown). */
export type InboundValues = Record<string, string>;

export function formatPages(pages: number, locale: Locale): string {
  if (locale === 'ja') return `${pages}枚`;
  return pages === 1 ? '1 page' : `${pages} pages`;
}

/** FAXOPT(resolution) is pixels per metre ("8031x7700"); dpi from the TIFF wins when known. */
export function formatResolution(dpi: { x: number; y: number } | undefined, faxopt: string, locale: Locale): string {
  let x = dpi?.x;
  let y = dpi?.y;
  if (!x || !y) {
    const m = /^(\d{1,6})x(\d{1,6})$/.exec(faxopt);
    if (!m) return '-';
    x = Number(m[1]) * 0.0254;
    y = Number(m[2]) * 0.0254;
  }
  const rx = Math.round(x);
  const ry = Math.round(y);
  const names: Record<Locale, [string, string, string]> = {
    en: ['standard', 'fine', 'superfine'],
    ja: ['標準', 'ファイン', 'スーパーファイン'],
  };
  const which = ry < 150 ? 0 : ry < 300 ? 1 : 2;
  return locale === 'ja' ? `${rx}x${ry} dpi（${names.ja[which]}）` : `${rx}x${ry} dpi (${names.en[which]})`;
}

/** How to name the caller: "Name (number)", the number alone, or "unknown". */
export function formatCaller(name: string, num: string, locale: Locale): string {
  const n = cleanLine(name, { max: 60, invisible: true });
  const d = cleanLine(num, { max: 40, invisible: true });
  if (n && d && n !== d) return `${n} (${d})`;
  if (d || n) return d || n;
  return locale === 'ja' ? '不明な番号' : 'an unknown number';
}
