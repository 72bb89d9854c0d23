/*
 * filename.ts: the sender's attachment names, made safe to show and log. They are never used as file
 * names on disk (stored files get our own names such as 03-doc.pdf); this is only display metadata.
 * Pure; never fails.
 */

/** Longest name kept, in characters (the extension survives the cut). */
const MAX_NAME_LENGTH = 120;

/**
 * Tidy a decoded attachment name: NFC, no control or bidi-override characters (which can disguise
 * "gpj.exe" as "exe.jpg"), no path (a name like "../../x" keeps only "x"), spaces collapsed, length
 * bounded keeping the extension. Returns '' when nothing printable is left.
 */
export function sanitizeFilename(raw: string | undefined, max = MAX_NAME_LENGTH): string {
  if (!raw) return '';
  let name = raw.normalize('NFC');
  name = name.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
  const slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  if (slash >= 0) name = name.slice(slash + 1);
  name = name.replace(/\s+/g, ' ').trim();
  if (/^\.+$/.test(name)) return '';
  const chars = Array.from(name);
  if (chars.length <= max) return name;
  const ext = extensionOf(name);
  const keep = ext && ext.length < 10 ? ext.length + 1 : 0;
  return chars.slice(0, max - keep - 1).join('') + '…' + (keep ? `.${ext}` : '');
}

/** The lower-case extension of a name without the dot ('' when none). */
export function extensionOf(name: string): string {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(name.trim());
  return m ? m[1]!.toLowerCase() : '';
}
