/*
 * html-text.ts: the readable text of an HTML mail body, for the body page. Drops comments, <head>,
 * <script> and <style>; block elements and <br> become line breaks, list items get a dash, table cells a
 * space; character references are decoded. Pure, linear-time regular expressions; never fails.
 */

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ensp: ' ',
  emsp: ' ',
  thinsp: ' ',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  yen: '¥',
  euro: '€',
  pound: '£',
  cent: '¢',
  sect: '§',
  para: '¶',
  deg: '°',
  plusmn: '±',
  times: '×',
  divide: '÷',
  shy: '',
  zwj: '',
  zwnj: '',
  auml: 'ä',
  ouml: 'ö',
  uuml: 'ü',
  Auml: 'Ä',
  Ouml: 'Ö',
  Uuml: 'Ü',
  szlig: 'ß',
  eacute: 'é',
  egrave: 'è',
  agrave: 'à',
  ccedil: 'ç',
};

const BLOCK =
  'address|article|aside|blockquote|center|dd|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|' +
  'hr|main|nav|ol|p|pre|section|table|tbody|thead|tfoot|tr|ul';

/** Decode &amp; &#123; &#x1F600; and the common named references; unknown ones stay as written. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(code);
    }
    return NAMED[ref] ?? whole;
  });
}

/** Flowing (non-<pre>) HTML to text: tags to breaks or spaces, whitespace collapsed. */
function flowToText(html: string): string {
  let s = html.replace(/[ \t\n\f]+/g, ' ');
  s = s.replace(/<br\b[^>]*>/gi, '\n');
  s = s.replace(/<li\b[^>]*>/gi, '\n- ');
  s = s.replace(new RegExp(`</?(?:${BLOCK})\\b[^>]*>`, 'gi'), '\n');
  s = s.replace(/<\/t[dh]\s*>/gi, ' ');
  s = s.replace(/<img\b[^>]*\balt\s*=\s*"([^"]*)"[^>]*>/gi, ' $1 ');
  s = s.replace(/<[^>]*>/g, '');
  return s.replace(/ {2,}/g, ' ').replace(/ ?\n ?/g, '\n');
}

/** Turn an HTML body into plain text lines. */
export function htmlToText(html: string): string {
  let s = html.replace(/\r\n?/g, '\n');
  s = s.replace(/<!--[\s\S]*?-->/g, '');
  s = s.replace(/<(script|style|head|title|template|noscript)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '');
  // Outside <pre>, source line breaks and runs of spaces are one space; inside, they are kept.
  const chunks = s.split(/(<pre\b[^>]*>[\s\S]*?<\/pre\s*>)/i);
  s = chunks.map((c, i) => (i % 2 === 1 ? `\n${c.replace(/<[^>]*>/g, '')}\n` : flowToText(c))).join('');
  s = decodeEntities(s);
  const lines = s.split('\n').map((l) => l.replace(/[ \t\u00a0]+$/, ''));
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
