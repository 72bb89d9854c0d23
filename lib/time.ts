/*
 * time.ts: times and durations for people, the one place they are written. Times are in the machine's
 * local time zone with its offset (`2026-11-23 19:15:00 +0900`); records keep ISO UTC. Each printed form
 * (the admin's, a receipt's, a received fax's, a page header's, a Japanese date) is an option here, so
 * what a mail or a page shows stays as documented. Pure apart from the zone, which comes from the
 * environment (TZ) as for every program.
 */
import type { Locale } from './config/schema.js';

export interface TimeFormat {
  /** HH:MM:SS (default) or HH:MM */
  seconds?: boolean;
  /** the offset: +0900 (default), +09:00 (receipts), (+09:00) (received faxes) */
  zone?: 'compact' | 'colon' | 'parenthesised';
}

const pad = (n: number): string => String(Math.abs(n)).padStart(2, '0');

/** An ISO time (or Date) as local `YYYY-MM-DD HH:MM:SS +ZZZZ`; '-' for none, text that is no time as it is. */
export function localTime(when: string | Date | undefined, format: TimeFormat = {}): string {
  if (when === undefined || when === '') return '-';
  const d = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(d.getTime())) return String(when);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const [zh, zm] = [pad(Math.trunc(off / 60)), pad(off % 60)];
  const zone =
    format.zone === 'colon'
      ? `${sign}${zh}:${zm}`
      : format.zone === 'parenthesised'
        ? `(${sign}${zh}:${zm})`
        : `${sign}${zh}${zm}`;
  const seconds = format.seconds === false ? '' : `:${pad(d.getSeconds())}`;
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}${seconds}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock} ${zone}`;
}

/** A date as Japanese writes it, local: `2026年12月2日 09:30`. */
export function japaneseDate(d: Date): string {
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A call's length in words, rounded to the second: `1 min 5 s`, `1分5秒`; '' when unknown or negative. */
export function formatDuration(seconds: number | undefined, locale: Locale): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  if (locale === 'ja') return m > 0 ? `${m}分${s % 60}秒` : `${s}秒`;
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}
