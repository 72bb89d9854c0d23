/*
 * html-text.ts: the readable text of an HTML mail body, for the body page, by html-to-text (the converter
 * mailparser uses; required on the first HTML-only mail, so other runs never load it). Kept:
 * paragraphs and line breaks, headings as written, list items with a dash, tables as aligned columns,
 * link text; dropped: <head>, <script>, <style>, comments, images and link addresses (on paper a URL
 * cannot be clicked, and most mail links are long tracking addresses). Character references are decoded.
 * Hostile input stays bounded: the HTML is cut at MAX_HTML_CHARS (more text than the body page prints),
 * and nesting deeper than any real mail (which the parser handles in quadratic time) is flattened to its
 * text first. Never fails.
 */
import { createRequire } from 'node:module';

// A runtime require, not an import: the bundles leave it to node_modules and load it only when called.
const require = createRequire(import.meta.url);

/** HTML longer than this is cut: it holds more text than the body page prints (MAX_RENDER_CHARS). */
export const MAX_HTML_CHARS = 1_000_000;
/** Nesting deeper than this is no layout a person wrote; its tags are dropped and its text kept. */
export const MAX_NESTING = 500;

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } }));

let converter: ((html: string) => string) | undefined;

/** The configured converter, made on first use. */
function htmlConverter(): (html: string) => string {
  const { compile } = require('html-to-text') as typeof import('html-to-text');
  converter ??= compile({
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      ...HEADINGS,
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, maxColumnWidth: 60 } },
      { selector: 'ul', options: { itemPrefix: '- ' } },
    ],
    // A backstop only: nestingOf() flattens deep input first (deeper nodes would print as "...").
    limits: { maxDepth: 2 * MAX_NESTING, maxInputLength: MAX_HTML_CHARS + 1000 },
  });
  return converter;
}

// Elements that never hold others, or whose end tag browsers imply (<p><p>): they add no depth.
const FLAT = /^(?:area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr|p|li|dt|dd|tr|td|th|option)$/i;

/** The deepest nesting of elements in `html`, by a linear scan of its tags. */
export function nestingOf(html: string): number {
  let depth = 0;
  let deepest = 0;
  for (const m of html.matchAll(/<(\/?)([A-Za-z][A-Za-z0-9]*)[^<>]*?(\/?)>/g)) {
    if (FLAT.test(m[2]!) || m[3] === '/') continue;
    depth = m[1] === '/' ? Math.max(0, depth - 1) : depth + 1;
    if (depth > deepest) deepest = depth;
  }
  return deepest;
}

/** Turn an HTML body into plain text lines. */
export function htmlToText(html: string): string {
  let source = html.length > MAX_HTML_CHARS ? html.slice(0, MAX_HTML_CHARS) : html;
  // [^<>]: each scan stops at the next tag, so the scans stay linear on "<a<a<a..." too.
  if (nestingOf(source) > MAX_NESTING) source = source.replace(/<[^<>]*>/g, ' ');
  // No-break spaces are plain spaces on paper (the body page wraps at spaces).
  const text = htmlConverter()(source)
    .replace(/\u00a0/g, ' ')
    .trim();
  return html.length > MAX_HTML_CHARS
    ? `${text}\n\n[… the rest of the HTML mail (${html.length - MAX_HTML_CHARS} characters) was cut …]`
    : text;
}
