/*
 * template.ts: the one small template language for every mail faxmail writes (receipts, failure notices,
 * received faxes, empty-call reports), so an admin can reword them without code, and the loading of the
 * template files by name.
 *   {{name}} {{a.b}}                  a value (HTML-escaped in HTML templates; missing values are empty)
 *   {{#if name}} ... {{else}} ... {{/if}}   a block shown when the value is non-empty / non-zero / true
 *   {{#each list}} ... {{/each}}      a block per list item; inside, names look in the item first, then
 *                                     outside; {{@index}} is 0-based, {{@number}} 1-based
 *   {{! comment }}                    nothing
 * No raw output and no code: whatever a value holds (a station id, a Subject), it can only ever be text.
 * A .txt template starts with "Subject: ..."; that line is a template of its own, so no value can move
 * text between the Subject and the body, and the rendered Subject is always one clean line.
 * Files: "<name>.<locale>.txt|html" in config.paths.templates win over the built-in ones in templates/.
 * Inputs: template text, a data object, 'text' or 'html'. compileTemplate fails with FaxError('config')
 * naming the template and the line of the first syntax error; rendering never fails. Loading logs a
 * broken admin template and uses the built-in one; only a missing built-in file is FaxError('internal').
 */
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locale } from '../config/schema.js';
import { FaxError, oneLine } from '../errors.js';
import type { Logger } from '../log.js';

export type TemplateMode = 'text' | 'html';

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; path: string }
  | { kind: 'if'; path: string; then: Node[]; else: Node[] }
  | { kind: 'each'; path: string; body: Node[] };

export interface CompiledTemplate {
  name: string;
  nodes: Node[];
}

const TAG = /\{\{\s*([#/!]?)\s*([^}]*?)\s*\}\}/g;
const PATH = /^@?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Parse template text; `name` appears in error messages, whose line numbers start at `firstLine`. */
export function compileTemplate(source: string, name: string, firstLine = 1): CompiledTemplate {
  const root: Node[] = [];
  // Stack of open blocks: where children go, and which block (for {{else}} and the closing tag).
  const stack: { block: Extract<Node, { kind: 'if' | 'each' }> | undefined; into: Node[]; line: number }[] = [
    { block: undefined, into: root, line: 1 },
  ];
  let last = 0;
  const lineAt = (i: number): number => firstLine - 1 + source.slice(0, i).split('\n').length;
  const fail = (i: number, what: string): never => {
    throw new FaxError('config', `The mail template ${name} has an error on line ${lineAt(i)}: ${what}.`);
  };
  for (const m of source.matchAll(TAG)) {
    const at = m.index;
    const top = stack[stack.length - 1]!;
    if (at > last) top.into.push({ kind: 'text', text: source.slice(last, at) });
    last = at + m[0].length;
    const sigil = m[1]!;
    const body = m[2]!;
    if (sigil === '!') continue;
    if (sigil === '#') {
      const [keyword, path, extra] = body.split(/\s+/);
      if (keyword !== 'if' && keyword !== 'each') fail(at, `unknown block {{#${keyword}}}`);
      if (!path || !PATH.test(path) || extra !== undefined) fail(at, `{{#${keyword}}} needs one name`);
      const block: Extract<Node, { kind: 'if' | 'each' }> =
        keyword === 'if' ? { kind: 'if', path: path!, then: [], else: [] } : { kind: 'each', path: path!, body: [] };
      top.into.push(block);
      stack.push({ block, into: block.kind === 'if' ? block.then : block.body, line: lineAt(at) });
      continue;
    }
    if (sigil === '/') {
      if (!top.block) fail(at, `{{/${body}}} without an open block`);
      const expected = top.block!.kind;
      if (body !== expected) fail(at, `{{/${body}}} closes a {{#${expected}}} block`);
      stack.pop();
      continue;
    }
    if (body === 'else') {
      if (top.block?.kind !== 'if' || top.into === top.block.else) fail(at, '{{else}} outside an {{#if}} block');
      top.into = (top.block as Extract<Node, { kind: 'if' }>).else;
      continue;
    }
    if (!PATH.test(body)) fail(at, `"{{${body}}}" is not a name`);
    top.into.push({ kind: 'value', path: body });
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]!;
    throw new FaxError(
      'config',
      `The mail template ${name} has an error: the {{#${open.block!.kind}}} block from line ${open.line} is ` +
        `never closed.`,
    );
  }
  if (last < source.length) root.push({ kind: 'text', text: source.slice(last) });
  return { name, nodes: root };
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

type Scope = { data: unknown; index?: number; parent?: Scope };

function lookup(scope: Scope | undefined, path: string): unknown {
  if (path === '@index') return scope?.index;
  if (path === '@number') return scope?.index === undefined ? undefined : scope.index + 1;
  const parts = path.split('.');
  for (let s = scope; s; s = s.parent) {
    let value: unknown = s.data;
    let found = true;
    for (const part of parts) {
      if (value !== null && typeof value === 'object' && Object.hasOwn(value, part)) {
        value = (value as Record<string, unknown>)[part];
      } else {
        found = false;
        break;
      }
    }
    if (found) return value;
  }
  return undefined;
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== undefined && value !== null && value !== false && value !== '' && value !== 0;
}

function show(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return '';
}

function renderNodes(nodes: Node[], scope: Scope, mode: TemplateMode, out: string[]): void {
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out.push(node.text);
        break;
      case 'value': {
        const text = show(lookup(scope, node.path));
        out.push(mode === 'html' ? escapeHtml(text) : text);
        break;
      }
      case 'if':
        renderNodes(truthy(lookup(scope, node.path)) ? node.then : node.else, scope, mode, out);
        break;
      case 'each': {
        const list = lookup(scope, node.path);
        if (!Array.isArray(list)) break;
        list.forEach((item, index) => {
          renderNodes(node.body, { data: item, index, parent: scope }, mode, out);
        });
        break;
      }
    }
  }
}

/** Render a compiled template with `data`. */
export function renderTemplate(template: CompiledTemplate, data: Record<string, unknown>, mode: TemplateMode): string {
  const out: string[] = [];
  renderNodes(template.nodes, { data }, mode, out);
  return out.join('');
}

/** A .txt mail template: the Subject line and the body, compiled apart. */
export interface CompiledMailText {
  name: string;
  subject: CompiledTemplate;
  body: CompiledTemplate;
}

// "Subject: ..." and the one empty line after it; a template without it has an empty Subject.
const SUBJECT_LINE = /^Subject:[ \t]*(.*?)[ \t]*(?:\r?\n(?:\r?\n)?|$)/;

/** Parse a .txt mail template: first line "Subject: ...", then the body. */
export function compileMailText(source: string, name: string): CompiledMailText {
  const m = SUBJECT_LINE.exec(source);
  if (!m) return { name, subject: compileTemplate('', name), body: compileTemplate(source, name) };
  const bodyLine = 1 + (m[0].match(/\n/g)?.length ?? 0);
  return {
    name,
    subject: compileTemplate(m[1]!, name),
    body: compileTemplate(source.slice(m[0].length), name, bodyLine),
  };
}

/** A Subject header value: one line, no control or line-separator characters, at most 200 characters. */
export function cleanSubject(text: string): string {
  return oneLine(text.replace(/[\u0080-\u009f\u2028\u2029]+/g, ' '), 200);
}

const here = dirname(fileURLToPath(import.meta.url));

/** The built-in templates: next to this module, or in the source tree when running from dist/. */
export function builtinTemplateDir(): string {
  // next to the module (tsc output copied), dist/bundle/ (esbuild bundle), or dist/lib/mail/ (tsc output)
  const candidates = [
    join(here, 'templates'),
    join(here, '..', '..', 'lib', 'mail', 'templates'),
    join(here, '..', '..', '..', 'lib', 'mail', 'templates'),
  ];
  return candidates.find((d) => existsSync(join(d, 'success.en.txt'))) ?? candidates[0]!;
}

async function readIfFile(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** One template file by name: the admin's copy if present and valid, else the built-in one. */
async function loadFile<T>(
  file: string,
  overrideDir: string,
  compile: (source: string, name: string) => T,
  log?: Logger,
): Promise<T> {
  if (overrideDir !== '') {
    const path = join(overrideDir, file);
    const text = await readIfFile(path);
    if (text !== undefined) {
      try {
        return compile(text, path);
      } catch (err) {
        // A typo in an admin's copy must never lose a mail: say so in the log and use the built-in one.
        log?.warn(
          { template: path, err: err instanceof Error ? err.message : String(err) },
          'template broken; using the built-in one',
        );
      }
    }
  }
  const path = join(builtinTemplateDir(), file);
  const text = await readIfFile(path);
  if (text === undefined) throw new FaxError('internal', `The built-in mail template ${file} is missing.`);
  return compile(text, path);
}

/** One template by file name (e.g. "success.en.html"), the admin's copy first. */
export function loadTemplate(file: string, overrideDir: string, log?: Logger): Promise<CompiledTemplate> {
  return loadFile(file, overrideDir, compileTemplate, log);
}

/** One .txt mail template by file name (e.g. "inbound.ja.txt"), the admin's copy first. */
function loadMailText(file: string, overrideDir: string, log?: Logger): Promise<CompiledMailText> {
  return loadFile(file, overrideDir, compileMailText, log);
}

export interface RenderedMail {
  /** one clean line; empty when the template has no Subject line (the caller supplies one) */
  subject: string;
  text: string;
  /** only when asked for */
  html?: string;
}

/**
 * Render the mail "<name>.<locale>.txt" (Subject and text) and, with `html`, "<name>.<locale>.html",
 * each from config.paths.templates (`templatesDir`) when the admin has a valid copy there.
 */
export async function renderMail(
  name: string,
  locale: Locale,
  data: Record<string, unknown>,
  options: { templatesDir: string; html: boolean; log?: Logger },
): Promise<RenderedMail> {
  const txt = await loadMailText(`${name}.${locale}.txt`, options.templatesDir, options.log);
  const out: RenderedMail = {
    subject: cleanSubject(renderTemplate(txt.subject, data, 'text')),
    text: renderTemplate(txt.body, data, 'text'),
  };
  if (options.html)
    out.html = renderTemplate(
      await loadTemplate(`${name}.${locale}.html`, options.templatesDir, options.log),
      data,
      'html',
    );
  return out;
}
