/*
 * flowed.ts: text/plain; format=flowed (RFC 3676). A line ending in a space continues on the next line,
 * so the sender's paragraphs come back whole; a leading space added by the sender ("space-stuffing") goes;
 * with delsp=yes the space at a soft break was added too and goes as well. The signature separator
 * "-- " is never joined. Pure; never throws.
 */

/** Undo format=flowed on a text whose lines end in '\n'. */
export function decodeFlowed(text: string, delSp: boolean): string {
  const out: string[] = [];
  let paragraph: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.startsWith(' ') ? raw.slice(1) : raw;
    const soft = line.endsWith(' ') && line !== '-- ';
    paragraph = (paragraph ?? '') + (soft && delSp ? line.slice(0, -1) : line);
    if (!soft) {
      out.push(paragraph);
      paragraph = undefined;
    }
  }
  if (paragraph !== undefined) out.push(paragraph);
  return out.join('\n');
}
