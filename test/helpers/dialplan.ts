/*
 * dialplan.ts: read asterisk/extensions_faxmail.conf the way Asterisk does, for tests.
 *   parseDialplan(text)            contexts -> extensions -> priorities, plus [globals]
 *   checkShellLines(plan)          every System()/AGI() line against faxmail's rule (see the template's
 *                                  header): each ${...} is FILTER(<safe set>,...) inside single quotes,
 *                                  no $[...], and the literal text has no comma or shell metacharacter
 *   runExtension(plan, ctx, exten, vars)   a small interpreter: Set, ExecIf, GotoIf, Goto, Gosub/Return,
 *                                  hangup handlers, System (recorded, with the argv /bin/sh would build),
 *                                  SendFAX/ReceiveFAX (recorded); variables substituted like
 *                                  pbx_substitute_variables, FILTER evaluated like func_strings.c
 *   notifyCommandFor(ctx, exten, vars)     the argv of the faxmail-notify run the template makes
 *   shellSplit(command)            sh word splitting for the forms the template uses (words and
 *                                  '...'); anything else the shell would interpret throws
 * Not a general Asterisk: unknown applications are recorded and skipped.
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
export function splitApp(text: string): { app: string; args: string } {
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

let shipped: Dialplan | undefined;
/** The template shipped in asterisk/, parsed once. */
export function shippedDialplan(): Dialplan {
  shipped ??= parseDialplan(readFileSync(TEMPLATE_PATH, 'utf8'));
  return shipped;
}

// ------------------------------------------------------------------------------------------------
// Substitution, as pbx_substitute_variables_helper does it.

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
export function separateArgs(text: string, delim: string, max: number): string[] {
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

/** FILTER(allowed,string). */
export function evalFilter(args: string): string {
  const [allowed, value] = separateArgs(args, ',', 2);
  if (value === undefined) return '';
  const set = filterSet(allowed!);
  // FILTER works on bytes (chars here; test values are ASCII or get dropped whole).
  let out = '';
  for (const ch of Buffer.from(value, 'utf8').toString('latin1')) if (set.has(ch)) out += ch;
  return out;
}

export interface Channel {
  vars: Map<string, string>;
  globals: Record<string, string>;
  /** fixed clock for EPOCH / STRFTIME */
  epoch: number;
}

function strftime(epoch: number, format: string): string {
  const d = new Date(epoch * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return format.replace(/%([YmdHMS%])/g, (_, k: string) =>
    ({ Y: String(d.getFullYear()), m: p(d.getMonth() + 1), d: p(d.getDate()), H: p(d.getHours()), M: p(d.getMinutes()), S: p(d.getSeconds()), '%': '%' })[k]!,
  );
}

function readVar(ch: Channel, name: string): string {
  if (name === 'EPOCH') return String(ch.epoch);
  return ch.vars.get(name) ?? ch.globals[name] ?? '';
}

function callFunction(ch: Channel, name: string, args: string): string {
  switch (name) {
    case 'FILTER':
      return evalFilter(args);
    case 'STRFTIME': {
      const [epoch, , format] = separateArgs(args, ',', 3);
      return strftime(Number(epoch) || ch.epoch, format ?? '%c');
    }
    default:
      // FAXOPT(status), CALLERID(num), GROUP_COUNT(fax@faxmail), ...: whatever the test set.
      return ch.vars.get(`${name}(${args})`) ?? '';
  }
}

/** Substitute ${...} and $[...] in `text`. */
export function substitute(ch: Channel, text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '$' && (text[i + 1] === '{' || text[i + 1] === '[')) {
      const end = findClose(text, i);
      if (end < 0) {
        out += text.slice(i);
        break;
      }
      const inner = substitute(ch, text.slice(i + 2, end));
      if (text[i + 1] === '[') {
        out += evalExpression(inner);
      } else {
        const paren = inner.indexOf('(');
        if (paren > 0 && inner.endsWith(')')) out += callFunction(ch, inner.slice(0, paren), inner.slice(paren + 1, inner.lastIndexOf(')')));
        else out += readVar(ch, inner);
      }
      i = end + 1;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// $[...] expressions: enough of ast_expr2 for the template (| & comparisons + - * / % and "strings").

type Tok = { kind: 'op'; v: string } | { kind: 'val'; v: string };

function tokenize(expr: string): Tok[] {
  const toks: Tok[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(!=|<=|>=|=~|[|&=<>+\-*/%()])|([^\s|&=<>+\-*/%()"!]+))/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(expr)) !== null && m[0] !== '') {
    if (m[1] !== undefined) toks.push({ kind: 'val', v: m[1].slice(1, -1) });
    else if (m[2] !== undefined) toks.push({ kind: 'op', v: m[2] });
    else toks.push({ kind: 'val', v: m[3]! });
  }
  return toks;
}

export function evalExpression(expr: string): string {
  const toks = tokenize(expr);
  let pos = 0;
  const num = (v: string): number | undefined => (/^\s*-?[0-9]+(\.[0-9]+)?\s*$/.test(v) ? Number(v) : undefined);
  const levels: string[][] = [['|'], ['&'], ['=', '!=', '<', '>', '<=', '>='], ['+', '-'], ['*', '/', '%']];
  const apply = (op: string, a: string, b: string): string => {
    const x = num(a);
    const y = num(b);
    const both = x !== undefined && y !== undefined;
    const truth = (v: string): boolean => v !== '' && v !== '0';
    switch (op) {
      case '|':
        return truth(a) ? a : b;
      case '&':
        return truth(a) && truth(b) ? a : '0';
      case '=':
        return (both ? x === y : a === b) ? '1' : '0';
      case '!=':
        return (both ? x !== y : a !== b) ? '1' : '0';
      case '<':
        return (both ? x! < y! : a < b) ? '1' : '0';
      case '>':
        return (both ? x! > y! : a > b) ? '1' : '0';
      case '<=':
        return (both ? x! <= y! : a <= b) ? '1' : '0';
      case '>=':
        return (both ? x! >= y! : a >= b) ? '1' : '0';
      default: {
        if (!both) throw new Error(`non-numeric operand in $[${expr}]`);
        const r = op === '+' ? x! + y! : op === '-' ? x! - y! : op === '*' ? x! * y! : op === '/' ? Math.trunc(x! / y!) : x! % y!;
        return String(r);
      }
    }
  };
  const primary = (): string => {
    const t = toks[pos++];
    if (!t) return '';
    if (t.kind === 'op' && t.v === '(') {
      const v = level(0);
      pos++; // ')'
      return v;
    }
    if (t.kind === 'op' && t.v === '-') return String(-(num(primary()) ?? 0));
    return t.v;
  };
  const level = (n: number): string => {
    if (n >= levels.length) return primary();
    let left = level(n + 1);
    for (;;) {
      const t = toks[pos];
      if (!t || t.kind !== 'op' || !levels[n]!.includes(t.v)) return left;
      pos++;
      left = apply(t.v, left, level(n + 1));
    }
  };
  return level(0);
}

// ------------------------------------------------------------------------------------------------
// sh word splitting (the subset the template may use).

/** Characters that mean nothing to sh outside quotes (in the middle of a word). */
const SH_PLAIN = /[A-Za-z0-9_./+=:@%,-]/;

/** Split a command line like /bin/sh would; throws on anything the shell would interpret. */
export function shellSplit(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote at ${i} in: ${command}`);
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (SH_PLAIN.test(c)) {
      word = (word ?? '') + c;
    } else {
      throw new Error(`shell would interpret ${JSON.stringify(c)} at ${i} in: ${command}`);
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

// ------------------------------------------------------------------------------------------------
// The rule for System()/AGI() lines.

/** What FILTER may let through onto a shell line: no metacharacter, quote, backslash or comma. */
export const SAFE_FILTER_CHARS = new Set('-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz +._/'.split(''));
/** Literal text allowed on a System() line outside the expansions. */
const SAFE_LITERAL = /^[A-Za-z0-9 _./+=:@%'-]*$/;
/** Values a remote party controls, or that hold spaces and commas. */
export const UNTRUSTED = ['CALLERID(', 'FAXOPT(remotestationid)', 'FAXOPT(error)', 'EXTEN', 'CONNECTEDLINE(', 'SIP_HEADER(', 'PJSIP_HEADER('];

export interface LineProblem {
  context: string;
  exten: string;
  line: number;
  problem: string;
}

/** Top-level ${...}/$[...] expansions of a text, with their positions. */
export function topLevelExpansions(text: string): { start: number; end: number; body: string; kind: '{' | '[' }[] {
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

/** Check one System()/AGI() argument text; returns the problems found. */
export function checkShellArgument(args: string): string[] {
  const problems: string[] = [];
  const expansions = topLevelExpansions(args);
  let literal = '';
  let last = 0;
  let quoted = false;
  for (const e of expansions) {
    const before = args.slice(last, e.start);
    literal += before;
    for (const c of before) if (c === "'") quoted = !quoted;
    last = e.end + 1;
    const shown = args.slice(e.start, e.end + 1);
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
    const allowed = filterSet(set!);
    const bad = [...allowed].filter((c) => !SAFE_FILTER_CHARS.has(c));
    if (bad.length > 0) problems.push(`${shown}: FILTER lets through ${JSON.stringify(bad.join(''))}`);
    if (!quoted) problems.push(`${shown} is not inside single quotes`);
  }
  const after = args.slice(last);
  literal += after;
  for (const c of after) if (c === "'") quoted = !quoted;
  if (quoted) problems.push('unbalanced single quotes');
  if (literal.includes(',')) problems.push('a comma outside FILTER() splits the System() argument');
  if (!SAFE_LITERAL.test(literal)) problems.push(`literal text has shell metacharacters: ${JSON.stringify(literal.replace(/[A-Za-z0-9 _./+=:@%'-]/g, ''))}`);
  // Belt and braces: no untrusted name outside a FILTER.
  const outside = expansions.filter((e) => !/^FILTER\(/.test(e.body)).map((e) => e.body);
  for (const name of UNTRUSTED) if (outside.some((b) => b.includes(name))) problems.push(`${name} reaches the shell unfiltered`);
  return problems;
}

/** Every System()/AGI() line of a dialplan against the rule. */
export function checkShellLines(plan: Dialplan): LineProblem[] {
  const problems: LineProblem[] = [];
  for (const ctx of plan.contexts.values()) {
    for (const ext of ctx.extensions.values()) {
      for (const p of ext.priorities) {
        const lines: string[] = [];
        if (/^(System|TrySystem|AGI|EAGI|DeadAGI)$/i.test(p.app)) lines.push(p.args);
        // An application run through ExecIf(...?System(...)) counts too.
        const inner = /\?\s*(System|TrySystem|AGI|EAGI)\((.*)\)\s*$/is.exec(p.args);
        if (inner) lines.push(inner[2]!);
        // Setting a variable from the shell (SHELL()) is just as dangerous.
        if (/\$\{SHELL\(/i.test(p.args)) problems.push({ context: ctx.name, exten: ext.name, line: p.line, problem: 'SHELL() used' });
        for (const text of lines) for (const problem of checkShellArgument(text)) problems.push({ context: ctx.name, exten: ext.name, line: p.line, problem });
      }
    }
  }
  return problems;
}

// ------------------------------------------------------------------------------------------------
// The interpreter.

export interface SystemCall {
  context: string;
  exten: string;
  line: number;
  /** the command after substitution (what /bin/sh -c gets) */
  command: string;
  /** true if a comma cut the command (System() takes only the first argument) */
  cut: boolean;
  argv: string[];
}

export interface Trace {
  apps: { app: string; args: string; context: string; exten: string; line: number }[];
  systems: SystemCall[];
  vars: Map<string, string>;
  /** how the main part ended */
  ended: 'hangup' | 'congestion' | 'fell-through';
}

/** Does extension `name` match the dialled `exten`? (_X. patterns) */
export function extenMatches(name: string, exten: string): boolean {
  if (!name.startsWith('_')) return name === exten;
  let re = '^';
  const pat = name.slice(1);
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === 'X') re += '[0-9]';
    else if (c === 'Z') re += '[1-9]';
    else if (c === 'N') re += '[2-9]';
    else if (c === '.') re += '.+';
    else if (c === '!') re += '.*';
    else if (c === '[') {
      const end = pat.indexOf(']', i);
      re += `[${pat.slice(i + 1, end)}]`;
      i = end;
    } else re += c.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  }
  return new RegExp(re + '$').test(exten);
}

function findExten(plan: Dialplan, context: string, exten: string): Extension {
  const ctx = plan.contexts.get(context);
  if (!ctx) throw new Error(`no context [${context}]`);
  const exact = ctx.extensions.get(exten);
  if (exact && !exten.startsWith('_')) return exact;
  for (const e of ctx.extensions.values()) if (extenMatches(e.name, exten)) return e;
  throw new Error(`no extension ${exten} in [${context}]`);
}

export interface RunOptions {
  /** EPOCH while the extension runs (default: now) */
  epoch?: number;
  /** EPOCH when the hangup handlers run (default: epoch), to model a call that took time */
  hangupEpoch?: number;
  /** variables that appear when the call ends (e.g. the FAXOPT() results of SendFAX/ReceiveFAX) */
  hangupVars?: Record<string, string>;
  /** run only the main part, not the pushed hangup handlers */
  skipHandlers?: boolean;
}

interface Frame {
  context: string;
  exten: string;
  index: number;
}

/**
 * Run `exten` in `context` with channel variables `vars` (keys like 'FAXMAIL_JOB', 'FAXOPT(status)',
 * 'CALLERID(name)', 'REASON', 'UNIQUEID'), then the pushed hangup handlers, like Asterisk does.
 */
export function runExtension(plan: Dialplan, context: string, exten: string, vars: Record<string, string>, options: RunOptions = {}): Trace {
  const ch: Channel = { vars: new Map(Object.entries(vars)), globals: plan.globals, epoch: options.epoch ?? Math.floor(Date.now() / 1000) };
  if (!ch.vars.has('EXTEN')) ch.vars.set('EXTEN', exten);
  const trace: Trace = { apps: [], systems: [], vars: ch.vars, ended: 'fell-through' };
  const handlers: Frame[] = [];

  const runFrom = (start: Frame): 'hangup' | 'congestion' | 'fell-through' => {
    const stack: Frame[] = [];
    let frame: Frame = { ...start };
    for (let steps = 0; steps < 1000; steps++) {
      const ext = findExten(plan, frame.context, frame.exten);
      const p = ext.priorities[frame.index];
      if (!p) return 'fell-through';
      ch.vars.set('EXTEN', frame.exten);
      const gotoTarget = (target: string): void => {
        const parts = target.split(',').map((s) => s.trim());
        const prio = parts.pop()!;
        if (parts.length === 2) frame = { context: parts[0]!, exten: parts[1]!, index: 0 };
        else if (parts.length === 1) frame = { context: frame.context, exten: parts[0]!, index: 0 };
        const e = findExten(plan, frame.context, frame.exten);
        const idx = /^[0-9]+$/.test(prio) ? e.priorities.findIndex((q) => q.priority === Number(prio)) : e.priorities.findIndex((q) => q.label === prio);
        if (idx < 0) throw new Error(`no priority ${target}`);
        frame.index = idx;
      };
      let data = p.args;
      let app = p.app;
      if (/^ExecIf$/i.test(app)) {
        const sub = substitute(ch, data);
        const q = sub.indexOf('?');
        const cond = sub.slice(0, q).trim();
        frame.index++;
        if (cond === '' || cond === '0') continue;
        ({ app, args: data } = splitApp(sub.slice(q + 1)));
      } else {
        data = substitute(ch, data);
        frame.index++;
      }
      trace.apps.push({ app, args: data, context: frame.context, exten: frame.exten, line: p.line });
      switch (app.toLowerCase()) {
        case 'set': {
          const eq = data.indexOf('=');
          const name = data.slice(0, eq).trim();
          const value = data.slice(eq + 1);
          if (name === 'CHANNEL(hangup_handler_push)') {
            const [c, e, pr] = value.split(',');
            const target = findExten(plan, c!, e!);
            handlers.push({ context: c!, exten: e!, index: target.priorities.findIndex((q) => String(q.priority) === pr || q.label === pr) });
          } else ch.vars.set(name, value);
          break;
        }
        case 'goto':
          gotoTarget(data);
          break;
        case 'gotoif': {
          const q = data.indexOf('?');
          const cond = data.slice(0, q).trim();
          const [yes, no] = data.slice(q + 1).split(':');
          const target = cond !== '' && cond !== '0' ? yes : no;
          if (target && target.trim() !== '') gotoTarget(target);
          break;
        }
        case 'gosub': {
          stack.push({ ...frame });
          gotoTarget(data);
          break;
        }
        case 'return': {
          const back = stack.pop();
          if (!back) return 'fell-through';
          frame = back;
          break;
        }
        case 'system':
        case 'trysystem': {
          const parts = separateArgs(data, ',', 2);
          const command = parts[0]!;
          trace.systems.push({ context: frame.context, exten: frame.exten, line: p.line, command, cut: parts.length > 1, argv: shellSplit(command) });
          break;
        }
        case 'hangup':
          return 'hangup';
        case 'congestion':
        case 'busy':
          return 'congestion';
        default:
          break; // NoOp, Answer, SendFAX, ReceiveFAX, ...: recorded only
      }
    }
    throw new Error('dialplan loop (1000 steps)');
  };

  trace.ended = runFrom({ context, exten, index: 0 });
  // Hangup handlers run last-pushed first, each like a Gosub ending in Return.
  if (options.skipHandlers) return trace;
  if (options.hangupEpoch !== undefined) ch.epoch = options.hangupEpoch;
  for (const [k, v] of Object.entries(options.hangupVars ?? {})) ch.vars.set(k, v);
  while (handlers.length > 0) runFrom(handlers.pop()!);
  return trace;
}

/** argv of the faxmail-notify run made by `exten` in `context` (the first System() calling it). */
export function notifyCommandFor(context: string, exten: string, vars: Record<string, string>, plan: Dialplan = shippedDialplan(), options: RunOptions = {}): string[] {
  const trace = runExtension(plan, context, exten, vars, options);
  const notify = evalFilter(`-0-9A-Za-z/._,${trace.vars.get('FAXMAIL_NOTIFY') ?? plan.globals['FAXMAIL_NOTIFY'] ?? ''}`);
  const call = trace.systems.find((s) => s.argv[0] === notify) ?? trace.systems[0];
  if (!call) throw new Error(`[${context}] ${exten} ran no System()`);
  if (call.cut) throw new Error(`a comma cut the System() line ${call.line}: ${call.command}`);
  return call.argv;
}
