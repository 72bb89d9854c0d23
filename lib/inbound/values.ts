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

/** The values of one received-fax mail, all text ("" or "-" when unknown). */
export type InboundValues = Record<string, string>;

/** An outside value made printable: one line, no control or direction-override characters, bounded. */
export function cleanValue(text: string, max = 80): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** "2024-06-03 14:05:09 (+09:00)" in the server's time zone. */
export function formatTime(d: Date): string {
  const p = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = `${off >= 0 ? '+' : '-'}${p(Math.trunc(off / 60))}:${p(off % 60)}`;
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} (${zone})`
  );
}

export function formatDuration(seconds: number | undefined, locale: Locale): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  if (locale === 'ja') return m > 0 ? `${m}分${s % 60}秒` : `${s}秒`;
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

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
  const n = cleanValue(name, 60);
  const d = cleanValue(num, 40);
  if (n && d && n !== d) return `${n} (${d})`;
  if (d || n) return d || n;
  return locale === 'ja' ? '不明な番号' : 'an unknown number';
}
