/*
 * headers.ts: a header block (the bytes before the first empty line of a mail or a MIME part) as a list of
 * fields, in order, names in lower case, values unfolded but not decoded (RFC 5322 section 2.2.3).
 * Bytes are read as UTF-8 (RFC 6532; 8-bit junk becomes U+FFFD). A line that is neither a field nor a
 * continuation (an mbox "From " line) is skipped. Pure; never throws.
 */

export interface HeaderField {
  /** lower case, e.g. 'content-type' */
  name: string;
  /** unfolded, trimmed, encoded words still encoded */
  value: string;
}

/** The fields of a header block. */
export function parseHeaderBlock(block: Uint8Array): HeaderField[] {
  const fields: HeaderField[] = [];
  const text = Buffer.from(block.buffer, block.byteOffset, block.length).toString('utf8');
  let current: HeaderField | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      // Unfolding removes the line break only; the whitespace that starts the continuation stays.
      if (current) current.value += line;
      continue;
    }
    const colon = line.indexOf(':');
    current = undefined;
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!name || /\s/.test(name)) continue;
    current = { name, value: line.slice(colon + 1) };
    fields.push(current);
  }
  for (const f of fields) f.value = f.value.trim();
  return fields;
}

/** The value of the first field of that name ('' when there is none). */
export function firstValue(fields: readonly HeaderField[], name: string): string {
  return fields.find((f) => f.name === name)?.value ?? '';
}

/** The values of every field of that name, in order. */
export function allValues(fields: readonly HeaderField[], name: string): string[] {
  return fields.filter((f) => f.name === name).map((f) => f.value);
}
