/*
 * time.ts: times for people, in the machine's local time zone with its offset, as mails show them
 * (`2026-11-23 19:15:00 +0900`). Records keep ISO UTC; only what is printed for the admin is local. Pure
 * apart from the zone, which comes from the environment (TZ) as for every program.
 */

/** An ISO time (or Date) as local `YYYY-MM-DD HH:MM:SS +ZZZZ`; text that is not a time comes back as it is. */
export function localTime(when: string | Date | undefined): string {
  if (when === undefined || when === '') return '-';
  const d = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(d.getTime())) return String(when);
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ` +
    `${off >= 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`
  );
}
