/*
 * hours.ts: the sending window ([queue] sending_hours, sending_days, time_zone). Pure, apart from reading
 * the zone's rules through Intl. A window is a set of weekdays and a span of local minutes; a span whose end
 * is before its start runs past midnight and belongs to the day it starts on ("fri 22:00-06:00" ends
 * Saturday 06:00). Only the start of a call is limited: a call that started inside the window runs to its end.
 * hoursProblem, daysProblem and zoneProblem are the config schema's checks (lib/config/schema.ts); parseWindow
 * fails with FaxError('config') naming the key for a value that slipped past them.
 */
import { FaxError } from '../errors.js';

export interface SendingWindow {
  /** 0 = Sunday ... 6 = Saturday */
  days: ReadonlySet<number>;
  /** minutes after local midnight; from === to means the whole day */
  from: number;
  to: number;
  /** IANA zone, or undefined for the process's local zone */
  timeZone: string | undefined;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The weekdays of queue.sending_days, or the reason the text is not such a list. */
function parseDays(text: string): Set<number> | string {
  const days = new Set<number>();
  const bad = `must be day names like "mon-fri", "mon,wed,fri" or "mon-wed,sat", not "${text.slice(0, 40)}"`;
  for (const part of text
    .toLowerCase()
    .split(',')
    .map((p) => p.trim())) {
    const m = /^([a-z]{3})(?:-([a-z]{3}))?$/.exec(part);
    if (!m) return bad;
    const a = DAY_NAMES.indexOf(m[1]!);
    const b = m[2] === undefined ? a : DAY_NAMES.indexOf(m[2]);
    if (a < 0 || b < 0) return bad;
    // mon-sun wraps through the week's end like a clock: fri-mon is fri, sat, sun, mon.
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  return days;
}

function parseClock(text: string): number | undefined {
  const m = /^([01]?[0-9]|2[0-4]):([0-5][0-9])$/.exec(text.trim());
  if (!m) return undefined;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return v <= 24 * 60 ? v : undefined;
}

/** [from, to] minutes of queue.sending_hours ('' = the whole day), or the reason it is not a span. */
function parseHours(text: string): [number, number] | string {
  if (text.trim() === '') return [0, 0];
  const m = /^([^-]+)-([^-]+)$/.exec(text.trim());
  const f = m ? parseClock(m[1]!) : undefined;
  const t = m ? parseClock(m[2]!) : undefined;
  if (f === undefined || t === undefined)
    return `must be a span of local time like "08:00-20:00", not "${text.slice(0, 40)}"`;
  return [f % 1440, t % 1440];
}

/** Why a value of queue.sending_hours cannot be used (the config schema's check); undefined when it can. */
export function hoursProblem(text: string): string | undefined {
  const h = parseHours(text);
  return typeof h === 'string' ? h : undefined;
}

/** The same for queue.sending_days. */
export function daysProblem(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const d = parseDays(text);
  return typeof d === 'string' ? d : undefined;
}

/** The same for queue.time_zone. */
export function zoneProblem(timeZone: string): string | undefined {
  if (timeZone === '') return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return undefined;
  } catch {
    return `must be an IANA time zone such as "Europe/Berlin" or "Asia/Tokyo", not "${timeZone.slice(0, 40)}"`;
  }
}

/**
 * The window from the three settings; undefined when calls may start at any time. The config schema has
 * checked them already; a value that still cannot be read fails with FaxError('config') naming the key.
 */
export function parseWindow(hours: string, days: string, timeZone: string): SendingWindow | undefined {
  const daySet = parseDays(days.trim() === '' ? 'mon-sun' : days);
  if (typeof daySet === 'string') throw new FaxError('config', `Setting "queue.sending_days" ${daySet}.`);
  const span = parseHours(hours);
  if (typeof span === 'string') throw new FaxError('config', `Setting "queue.sending_hours" ${span}.`);
  const zone = zoneProblem(timeZone);
  if (zone) throw new FaxError('config', `Setting "queue.time_zone" ${zone}.`);
  const [from, to] = span;
  if (daySet.size === 7 && from === to) return undefined;
  return { days: daySet, from, to, timeZone: timeZone === '' ? undefined : timeZone };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(key, f);
  }
  return f;
}

/** Weekday (0 = Sunday) and minute of the day of `ms` in the window's zone. */
export function localClock(ms: number, timeZone: string | undefined): { day: number; minute: number } {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type === 'weekday') day = DAY_NAMES.indexOf(p.value.toLowerCase().slice(0, 3));
    else if (p.type === 'hour') hour = Number(p.value) % 24;
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

/** May a call start at `ms`? */
export function isOpen(w: SendingWindow | undefined, ms: number): boolean {
  if (!w) return true;
  const { day, minute } = localClock(ms, w.timeZone);
  if (w.from === w.to) return w.days.has(day);
  if (w.from < w.to) return w.days.has(day) && minute >= w.from && minute < w.to;
  // Past midnight: the evening part belongs to today, the morning part to yesterday's window.
  if (minute >= w.from) return w.days.has(day);
  if (minute < w.to) return w.days.has((day + 6) % 7);
  return false;
}

const MINUTE = 60_000;
const STEP = 15 * MINUTE;

/**
 * The first minute at or after `ms` when a call may start (`ms` itself when open now); undefined if the
 * window never opens (no days). Steps through the week a quarter of an hour at a time, then finds the
 * minute: about 700 clock reads at most, and right across DST changes without date arithmetic.
 */
export function nextOpen(w: SendingWindow | undefined, ms: number): number | undefined {
  if (isOpen(w, ms)) return ms;
  if (!w || w.days.size === 0) return undefined;
  const start = Math.ceil(ms / MINUTE) * MINUTE;
  // A window shorter than the step must not fall between two steps.
  const span = (w.to - w.from + 1440) % 1440 || 1440;
  const step = Math.min(STEP, span * MINUTE);
  for (let t = start; t <= ms + 8 * 86_400_000; t += step) {
    if (!isOpen(w, t)) continue;
    let first = t;
    while (first - MINUTE >= start && isOpen(w, first - MINUTE)) first -= MINUTE;
    return first;
  }
  return undefined;
}
