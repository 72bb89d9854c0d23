/*
 * template.ts: the templates of every mail faxmail writes (receipts, failure notices, received faxes,
 * empty-call reports) and of the cover page, so an admin can reword them without code, and the loading of
 * the template files by name. The language is Handlebars (its manual applies; templates/README.md says
 * what faxmail allows): values, {{#if}}/{{else}}, {{#each}} with {{@index}}, {{inc @index}} (counting
 * from 1), comments. No partials, no helpers beyond the built-in ones and `inc`, and no raw output
 * ({{{ }}}) in HTML templates: every value (a station id, a Subject, a file name) comes from outside, so
 * in HTML it is always escaped; text templates do not escape. No prototype access (Handlebars' default).
 * A .txt template starts with "Subject: ..."; that line is a template of its own, so no value can move
 * text between the Subject and the body, and the rendered Subject is always one clean line.
 * Files: "<name>.<locale>.txt|html" in config.paths.templates win over the built-in ones in templates/.
 * Inputs: template text, a data object; the mode comes from the file name (.html escapes). compileTemplate
 * fails with FaxError('config') naming the template and the line of the first error; rendering never
 * fails. Loading logs a broken admin template and uses the built-in one; only a missing built-in file is
 * FaxError('internal'). Handlebars is loaded on the first template compiled: runs that write no mail skip it.
 */
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// CompileOptions and TemplateSpecification are global in Handlebars' types.
import type { HelperOptions, TemplateDelegate } from 'handlebars';
import type { Locale } from '../config/schema.js';
import { FaxError, oneLine } from '../errors.js';
import { cleanLine } from '../text.js';
import type { Logger } from '../log.js';
import { PRECOMPILED } from './builtin-templates.js';

export type TemplateMode = 'text' | 'html';

export interface CompiledTemplate {
  name: string;
  render: TemplateDelegate;
}

type Handlebars = typeof import('handlebars');
let engine: Promise<Handlebars> | undefined;
let runtime: Promise<Handlebars> | undefined;

/** Faxmail's own Handlebars environment (the global one stays untouched), loaded once, on first use. */
function handlebars(): Promise<Handlebars> {
  engine ??= import('handlebars').then(({ default: hb }) => withHelpers(hb));
  return engine;
}

/** The same with Handlebars' runtime only: enough for precompiled templates (builtin-templates.ts). */
function handlebarsRuntime(): Promise<Handlebars> {
  runtime ??= (import('handlebars/runtime') as unknown as Promise<{ default: Handlebars }>).then(({ default: hb }) =>
    withHelpers(hb),
  );
  return runtime;
}

function withHelpers(hb: Handlebars): Handlebars {
  {
    const env = hb.create();
    // Handlebars writes its warnings (a denied prototype property) to the console, which is sendfax's
    // answer to Postfix; a level above 'error' silences them (the logger is shared by every environment).
    env.logger.level = 4;
    // {{inc @index}}: the 1-based number of an {{#each}} item, for lists people read.
    env.registerHelper('inc', (n: unknown, _options?: HelperOptions) => (typeof n === 'number' ? n + 1 : ''));
    return env;
  }
}

// Only the built-in helpers that print or branch, and `inc`; `log` writes to the console (our stdout is
// Postfix's bounce text), so it is unknown here, and so is every other name used as a helper.
const KNOWN_HELPERS = { inc: true, log: false } as const;

type Loc = { start: { line: number } } | undefined;

/** The constructs faxmail refuses in a template, found by walking the parsed template. */
function refusal(node: unknown, mode: TemplateMode): { what: string; loc: Loc } | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    for (const n of node) {
      const r = refusal(n, mode);
      if (r) return r;
    }
    return undefined;
  }
  const n = node as { type?: string; escaped?: boolean; loc?: Loc };
  if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement')
    return { what: 'partials ({{> name}}) are not available', loc: n.loc };
  if (n.type === 'Decorator' || n.type === 'DecoratorBlock')
    return { what: 'decorators ({{* name}}) are not available', loc: n.loc };
  if (mode === 'html' && n.type === 'MustacheStatement' && n.escaped === false)
    return {
      what: 'raw output ({{{ }}} or {{& }}) is not allowed: every value comes from outside and is always escaped',
      loc: n.loc,
    };
  for (const key of ['body', 'program', 'inverse'] as const) {
    const r = refusal((node as Record<string, unknown>)[key], mode);
    if (r) return r;
  }
  return undefined;
}

/** Handlebars' error as one sentence and a line: "Parse error on line 3: ... got 'EOF'" -> line 3, words. */
function describe(err: unknown): { what: string; line: number | undefined } {
  const message = err instanceof Error ? err.message : String(err);
  const parse = /^Parse error on line (\d+):[\s\S]*got '([A-Z_]+)'/.exec(message);
  if (parse) {
    const got = parse[2]!;
    const what =
      got === 'EOF'
        ? 'a block ({{#...}}) is never closed'
        : got === 'OPEN_ENDBLOCK'
          ? 'a closing tag ({{/...}}) without an open block'
          : got === 'INVERSE' || got === 'OPEN_INVERSE_CHAIN'
            ? '{{else}} outside a block'
            : `unexpected ${got.toLowerCase().replace(/_/g, ' ')}`;
    return { what, line: Number(parse[1]) };
  }
  const line = (err as { lineNumber?: unknown }).lineNumber;
  return {
    what: oneLine(message.replace(/ - \d+:\d+$/, ''), 200),
    line: typeof line === 'number' ? line : undefined,
  };
}

/** How every template is compiled (scripts/bundle.mjs precompiles the built-in ones with the same). */
export function compileOptions(mode: TemplateMode): CompileOptions {
  return { noEscape: mode === 'text', strict: false, knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true };
}

/**
 * Compile template text; `name` appears in error messages, whose line numbers start at `firstLine`.
 * HTML templates escape every value; text templates do not.
 */
export async function compileTemplate(
  source: string,
  name: string,
  mode: TemplateMode,
  firstLine = 1,
): Promise<CompiledTemplate> {
  const hb = await handlebars();
  const fail = (what: string, line: number | undefined): never => {
    const where = line === undefined ? '' : ` on line ${firstLine - 1 + line}`;
    throw new FaxError('config', `The mail template ${name} has an error${where}: ${what}.`);
  };
  try {
    const ast = hb.parse(source);
    const refused = refusal(ast.body, mode);
    if (refused) fail(refused.what, refused.loc?.start.line);
    const render = hb.compile(ast, compileOptions(mode));
    // Handlebars compiles on the first call; one call with no values surfaces unknown helpers and blocks
    // without their value ({{#each}}) now, where a broken admin copy can still fall back to the built-in one.
    render({});
    return { name, render };
  } catch (err) {
    if (err instanceof FaxError) throw err;
    const { what, line } = describe(err);
    return fail(what, line);
  }
}

/** Render a compiled template with `data`. */
export function renderTemplate(template: CompiledTemplate, data: Record<string, unknown>): string {
  return template.render(data);
}

/** A .txt mail template: the Subject line and the body, compiled apart. */
export interface CompiledMailText {
  name: string;
  subject: CompiledTemplate;
  body: CompiledTemplate;
}

// "Subject: ..." and the one empty line after it; a template without it has an empty Subject.
const SUBJECT_LINE = /^Subject:[ \t]*(.*?)[ \t]*(?:\r?\n(?:\r?\n)?|$)/;

/** Compile a .txt mail template: first line "Subject: ...", then the body (both text, not escaped). */
export async function compileMailText(source: string, name: string): Promise<CompiledMailText> {
  const { subject, body, bodyLine } = splitMailText(source);
  return {
    name,
    subject: await compileTemplate(subject, name, 'text'),
    body: await compileTemplate(body, name, 'text', bodyLine),
  };
}

/** A .txt mail template's Subject line (without "Subject:") and its body, and the body's first line number. */
export function splitMailText(source: string): { subject: string; body: string; bodyLine: number } {
  const m = SUBJECT_LINE.exec(source);
  if (!m) return { subject: '', body: source, bodyLine: 1 };
  return { subject: m[1]!, body: source.slice(m[0].length), bodyLine: 1 + (m[0].match(/\n/g)?.length ?? 0) };
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
  compile: (source: string, name: string) => Promise<T>,
  precompiled: (spec: unknown, name: string) => Promise<T>,
  log?: Logger,
): Promise<T> {
  if (overrideDir !== '') {
    const path = join(overrideDir, file);
    const text = await readIfFile(path);
    if (text !== undefined) {
      try {
        return await compile(text, path);
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
  const spec = PRECOMPILED?.[`${compile === compileMailText ? 'mail' : 'template'}:${file}`];
  if (spec !== undefined) return precompiled(spec, path);
  const text = await readIfFile(path);
  if (text === undefined) throw new FaxError('internal', `The built-in mail template ${file} is missing.`);
  return compile(text, path);
}

/** One template by file name (e.g. "success.en.html": escaped, as .html), the admin's copy first. */
export function loadTemplate(file: string, overrideDir: string, log?: Logger): Promise<CompiledTemplate> {
  const mode: TemplateMode = file.endsWith('.html') ? 'html' : 'text';
  return loadFile(
    file,
    overrideDir,
    (source, name) => compileTemplate(source, name, mode),
    async (spec, name) => ({ name, render: (await handlebarsRuntime()).template(spec as TemplateSpecification) }),
    log,
  );
}

/** One .txt mail template by file name (e.g. "inbound.ja.txt"), the admin's copy first. */
function loadMailText(file: string, overrideDir: string, log?: Logger): Promise<CompiledMailText> {
  return loadFile(
    file,
    overrideDir,
    compileMailText,
    async (spec, name) => {
      const hb = await handlebarsRuntime();
      const parts = spec as { subject: TemplateSpecification; body: TemplateSpecification };
      return {
        name,
        subject: { name, render: hb.template(parts.subject) },
        body: { name, render: hb.template(parts.body) },
      };
    },
    log,
  );
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
    subject: cleanLine(renderTemplate(txt.subject, data), { max: 200 }),
    text: renderTemplate(txt.body, data),
  };
  if (options.html)
    out.html = renderTemplate(await loadTemplate(`${name}.${locale}.html`, options.templatesDir, options.log), data);
  return out;
}
