/*
 * dialplan-lint.ts: a static reading of asterisk/extensions_faxmail.conf, for the fast half of
 * test/asterisk/template.test.ts. It parses contexts, extensions and priorities, and checks every line that
 * runs a shell (System, TrySystem, AGI) against the rule in the template's header:
 *   - the argument neither starts nor ends with a quote (app_system strips one of each);
 *   - it starts with the program, ${FILTER(<path set>,${FAXMAIL_NOTIFY})}, and may end with `</dev/null`;
 *   - every other ${...} is FILTER(<set>,...) with a written-out set of safe characters, inside single
 *     quotes; no $[...]; no other shell syntax, and no value a caller controls outside FILTER;
 *   - the next priority reads ${SYSTEMSTATUS}, and a Log(WARNING,...) in the extension names the job or fax.
 * It does not run the dialplan: the real Asterisk of the test bed (asterisk-bed.ts) does that.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export const TEMPLATE_PATH = join(repoRoot, 'asterisk', 'extensions_faxmail.conf');

export interface Priority {
  priority: number;
  label?: string;
  app: string;
  /** the application's argument text, as written */
  args: string;
  line: number;
}

export interface Extension {
  name: string;
  priorities: Priority[];
}

export interface Context {
  name: string;
  extensions: Map<string, Extension>;
}

export interface Dialplan {
  globals: Record<string, string>;
  contexts: Map<string, Context>;
}

/** Split "App(args)" into name and argument text (up to the last ')'). */
function splitApp(text: string): { app: string; args: string } {
  const open = text.indexOf('(');
  if (open < 0) return { app: text.trim(), args: '' };
  const close = text.lastIndexOf(')');
  return { app: text.slice(0, open).trim(), args: text.slice(open + 1, close > open ? close : text.length) };
}

/** Remove a ';' comment (not '\;'). */
function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === ';') return line.slice(0, i);
  }
  return line;
}

export function parseDialplan(text: string): Dialplan {
  const plan: Dialplan = { globals: {}, contexts: new Map() };
  let context: Context | undefined;
  let inGlobals = false;
  let lastExten: Extension | undefined;
  let lastPriority = 0;
  text.split('\n').forEach((raw, i) => {
    const line = stripComment(raw).trim();
    if (line === '') return;
    const header = /^\[([^\]]+)\](\(\+\))?$/.exec(line);
    if (header) {
      const name = header[1]!;
      inGlobals = name === 'globals';
      context = undefined;
      lastExten = undefined;
      if (!inGlobals && name !== 'general') {
        context = plan.contexts.get(name) ?? { name, extensions: new Map() };
        plan.contexts.set(name, context);
      }
      return;
    }
    if (inGlobals) {
      const m = /^([A-Za-z0-9_]+)\s*=>?\s*(.*)$/.exec(line);
      if (!m) throw new Error(`line ${i + 1}: not a NAME=value line in [globals]`);
      plan.globals[m[1]!] = m[2]!;
      return;
    }
    if (!context) throw new Error(`line ${i + 1}: outside any context`);
    const m = /^(exten|same)\s*=>\s*(.*)$/.exec(line);
    if (!m) {
      if (/^(include|switch|ignorepat)\s*=>/.test(line)) return;
      throw new Error(`line ${i + 1}: not an exten/same line: ${line}`);
    }
    let rest = m[2]!;
    let exten: Extension;
    if (m[1] === 'exten') {
      const comma = rest.indexOf(',');
      const name = rest.slice(0, comma).trim();
      rest = rest.slice(comma + 1);
      exten = context.extensions.get(name) ?? { name, priorities: [] };
      context.extensions.set(name, exten);
    } else {
      if (!lastExten) throw new Error(`line ${i + 1}: same => without an extension`);
      exten = lastExten;
    }
    const pm = /^\s*([0-9]+|n)(?:\(([A-Za-z0-9_-]+)\))?\s*,(.*)$/.exec(rest);
    if (!pm) throw new Error(`line ${i + 1}: bad priority in ${line}`);
    const priority = pm[1] === 'n' ? lastPriority + 1 : Number(pm[1]);
    lastPriority = priority;
    const { app, args } = splitApp(pm[3]!.trim());
    const p: Priority = { priority, app, args, line: i + 1 };
    if (pm[2]) p.label = pm[2];
    exten.priorities.push(p);
    exten.priorities.sort((a, b) => a.priority - b.priority);
    lastExten = exten;
  });
  return plan;
}

/** The template shipped in asterisk/, parsed. */
export function shippedDialplan(): Dialplan {
  return parseDialplan(readFileSync(TEMPLATE_PATH, 'utf8'));
}

/** Index of the bracket closing the one opened at `start` ('${' or '$['), counting nested ones. */
function findClose(text: string, start: number): number {
  const open = text[start + 1]!;
  const close = open === '{' ? '}' : ']';
  let depth = 0;
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '$' && (text[i + 1] === '{' || text[i + 1] === '[')) {
      // a nested expansion of either kind
      const end = findClose(text, i);
      if (end < 0) return -1;
      i = end;
      continue;
    }
    if (text[i] === open) depth++;
    else if (text[i] === close) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** __ast_app_separate_args in raw mode: split at `delim` outside (), [] and "", at most `max` parts. */
function separateArgs(text: string, delim: string, max: number): string[] {
  const out: string[] = [];
  let paren = 0;
  let bracket = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < text.length && out.length < max - 1; i++) {
    const c = text[i]!;
    if (c === '(') paren++;
    else if (c === ')') paren = Math.max(0, paren - 1);
    else if (c === '[') bracket++;
    else if (c === ']') bracket = Math.max(0, bracket - 1);
    else if (c === '"') quote = !quote;
    else if (c === '\\') i++;
    else if (c === delim && paren === 0 && bracket === 0 && !quote) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** ast_get_encoded_char: one character of a FILTER set, with backslash escapes. */
function encodedChar(text: string, i: number): { c: number; next: number } | undefined {
  if (i >= text.length) return undefined;
  if (text[i] !== '\\') return { c: text.charCodeAt(i) & 0xff, next: i + 1 };
  const n = text[i + 1];
  if (n === undefined) return undefined;
  const simple: Record<string, number> = { n: 10, r: 13, a: 7, b: 8, f: 12, t: 9, v: 11 };
  if (n in simple) return { c: simple[n]!, next: i + 2 };
  if (n === 'x') {
    const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2));
    if (!m) return undefined;
    return { c: parseInt(m[0], 16), next: i + 2 + m[0].length };
  }
  if (n === '0') {
    const m = /^[0-7]{0,3}/.exec(text.slice(i + 2))!;
    return { c: m[0] ? parseInt(m[0], 8) & 0xff : 0, next: i + 2 + m[0].length };
  }
  return { c: n.charCodeAt(0) & 0xff, next: i + 2 };
}

/** The characters a FILTER set allows, expanded as func_strings.c does (ranges "a-z", "-" literal first). */
export function filterSet(allowed: string): Set<string> {
  const set = new Set<string>();
  let i = 0;
  while (i < allowed.length) {
    const first = encodedChar(allowed, i);
    if (!first) break;
    i = first.next;
    if (allowed[i] === '-') {
      const second = encodedChar(allowed, i + 1);
      const c2 = second ? second.c : first.c;
      i = second ? second.next : i + 1;
      for (let ac = first.c; ; ac = (ac + 1) & 0xff) {
        set.add(String.fromCharCode(ac));
        if (ac === c2) break;
      }
    } else {
      set.add(String.fromCharCode(first.c));
    }
  }
  set.delete('\0');
  return set;
}

/** Characters a FILTER set on a shell line may let through: no metacharacter, quote, backslash or comma. */
const SAFE_FILTER_CHARS = new Set('-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz +._/'.split(''));
/** Literal text allowed on a shell line outside the expansions (before the final `</dev/null`). */
const SAFE_LITERAL = /^[A-Za-z0-9 _./+=:@%'-]*$/;
/** Values a remote party controls, or that hold spaces and commas. */
const UNTRUSTED = [
  'CALLERID(',
  'FAXOPT(remotestationid)',
  'FAXOPT(error)',
  'EXTEN',
  'CONNECTEDLINE(',
  'SIP_HEADER(',
  'PJSIP_HEADER(',
];
const PROGRAM = /^\$\{FILTER\(-0-9A-Za-z\/\._,\$\{FAXMAIL_NOTIFY\}\)\} /;
const REDIRECT = ' </dev/null';

export interface LineProblem {
  context: string;
  exten: string;
  line: number;
  problem: string;
}

/** Top-level ${...}/$[...] expansions of a text, with their positions. */
function topLevelExpansions(text: string): { start: number; end: number; body: string; kind: '{' | '[' }[] {
  const out: { start: number; end: number; body: string; kind: '{' | '[' }[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '$' && (text[i + 1] === '{' || text[i + 1] === '[')) {
      const end = findClose(text, i);
      if (end < 0) {
        out.push({ start: i, end: text.length - 1, body: text.slice(i + 2), kind: text[i + 1] as '{' | '[' });
        break;
      }
      out.push({ start: i, end, body: text.slice(i + 2, end), kind: text[i + 1] as '{' | '[' });
      i = end;
    }
  }
  return out;
}

/** Check one shell line's argument text; returns the problems found. */
export function checkShellArgument(args: string): string[] {
  const problems: string[] = [];
  if (/^\s*['"]/.test(args)) problems.push('the argument starts with a quote (app_system strips it)');
  if (/['"]\s*$/.test(args)) problems.push('the argument ends with a quote (app_system strips it)');
  let text = args;
  if (PROGRAM.test(text)) text = text.replace(PROGRAM, '');
  else problems.push('the line does not start with the program ${FILTER(-0-9A-Za-z/._,${FAXMAIL_NOTIFY})}');
  if (text.endsWith(REDIRECT)) text = text.slice(0, -REDIRECT.length);
  const expansions = topLevelExpansions(text);
  let literal = '';
  let last = 0;
  let quoted = false;
  for (const e of expansions) {
    const before = text.slice(last, e.start);
    literal += before;
    for (const c of before) if (c === "'") quoted = !quoted;
    last = e.end + 1;
    const shown = text.slice(e.start, e.end + 1);
    if (e.kind === '[') {
      problems.push(`expression ${shown} on a shell line (its result is not filtered)`);
      continue;
    }
    const m = /^FILTER\((.*)\)$/s.exec(e.body);
    if (!m) {
      problems.push(`${shown} is not wrapped in FILTER()`);
      continue;
    }
    const [set, inner] = separateArgs(m[1]!, ',', 2);
    if (inner === undefined || inner.trim() === '') {
      problems.push(`${shown}: FILTER without a value`);
      continue;
    }
    if (/\$/.test(set!)) problems.push(`${shown}: the FILTER set is computed, not written out`);
    const bad = [...filterSet(set!)].filter((c) => !SAFE_FILTER_CHARS.has(c));
    if (bad.length > 0) problems.push(`${shown}: FILTER lets through ${JSON.stringify(bad.join(''))}`);
    if (!quoted) problems.push(`${shown} is not inside single quotes`);
  }
  const after = text.slice(last);
  literal += after;
  for (const c of after) if (c === "'") quoted = !quoted;
  if (quoted) problems.push('unbalanced single quotes');
  if (literal.includes(',')) problems.push('a comma outside FILTER() on a shell line');
  if (!SAFE_LITERAL.test(literal))
    problems.push(
      `literal text has shell metacharacters: ${JSON.stringify(literal.replace(/[A-Za-z0-9 _./+=:@%'-]/g, ''))}`,
    );
  const outside = expansions.filter((e) => !/^FILTER\(/.test(e.body)).map((e) => e.body);
  for (const name of UNTRUSTED)
    if (outside.some((b) => b.includes(name))) problems.push(`${name} reaches the shell unfiltered`);
  return problems;
}

const SHELL_APPS = /^(System|TrySystem|AGI|EAGI|DeadAGI)$/i;

/** Every shell line of a dialplan against the rule, and the SYSTEMSTATUS check after it. */
export function checkShellLines(plan: Dialplan): LineProblem[] {
  const problems: LineProblem[] = [];
  for (const ctx of plan.contexts.values()) {
    for (const ext of ctx.extensions.values()) {
      ext.priorities.forEach((p, i) => {
        const add = (problem: string): void => {
          problems.push({ context: ctx.name, exten: ext.name, line: p.line, problem });
        };
        if (/\$\{SHELL\(/i.test(p.args)) add('SHELL() used');
        if (/\?\s*(System|TrySystem|AGI|EAGI)\(/i.test(p.args))
          add('a shell application inside ExecIf: its SYSTEMSTATUS is not checked');
        if (!SHELL_APPS.test(p.app)) return;
        if (/AGI/i.test(p.app)) add('AGI is not used by faxmail');
        for (const problem of checkShellArgument(p.args)) add(problem);
        const next = ext.priorities[i + 1];
        if (!next || !/\$\{SYSTEMSTATUS\}/.test(next.args)) add('the next priority does not read ${SYSTEMSTATUS}');
        const warn = ext.priorities.slice(i + 1).find((q) => q.app === 'Log');
        if (
          !warn ||
          !/^WARNING,/.test(warn.args) ||
          !/\$\{FILTER\([^,]+,\$\{(FAXMAIL_JOB|FAXMAIL_INID)\}\)\}/.test(warn.args)
        )
          add('no Log(WARNING,...) naming the job or fax when the command fails');
        if (warn && /[,:]/.test(warn.args.slice('WARNING,'.length).replace(/\$\{[^}]*\}/g, '')))
          add('the WARNING text has a comma or colon (Log splits at it)');
      });
    }
  }
  return problems;
}
