/*
 * spec.ts: the building blocks of the configuration schema. Each builder returns a Spec<T>: its default,
 * a one-line doc, a short type name for the docs, and a check that turns a parsed TOML value into a T or
 * reports problems. The TypeScript type of the whole configuration is inferred from these (schema.ts), so
 * a key's type, default, check and documentation are written once.
 * Checks never throw: they report every problem they find (with a sub-path such as [2] or ['after'] so the
 * loader can point at the exact line) and the loader lists them all at once.
 */
import { accessSync, constants, statSync } from 'node:fs';

/** Where a problem sits below its key: list indexes and table keys. */
export type SubPath = readonly (string | number)[];

export interface CheckContext {
  /** the value was written in the file (not a default) */
  readonly explicit: boolean;
  /** check paths against the file system */
  readonly checkPaths: boolean;
  report(message: string, at?: SubPath): void;
}

export interface Spec<T> {
  readonly default: T;
  readonly doc: string;
  /** short type description for the docs, e.g. "integer 1-100" */
  readonly type: string;
  /** never printed by `faxmail config` */
  readonly secret?: boolean;
  /** the checked value, or undefined after reporting problems */
  check(value: unknown, ctx: CheckContext): T | undefined;
}

export type SpecValue<S> = S extends Spec<infer T> ? T : never;

const LINE_BREAK = /[\r\n\0]/;

export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null || v === undefined) return 'nothing';
  if (isTable(v)) return 'a table';
  if (v instanceof Date) return 'a date';
  const text = typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
  return `${typeof v === 'bigint' ? 'number' : typeof v} ${text}`.slice(0, 80);
}

export function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function spec<T>(d: T, doc: string, type: string, check: Spec<T>['check'], extra: Partial<Spec<T>> = {}): Spec<T> {
  return { default: d, doc, type, check, ...extra };
}

/** A single-line string; `test` may refuse it with a reason. */
export function str(
  d: string,
  doc: string,
  options: { test?: (v: string) => string | undefined; type?: string; secret?: boolean } = {},
): Spec<string> {
  return spec(
    d,
    doc,
    options.type ?? 'string',
    (v, ctx) => {
      if (typeof v !== 'string') return void ctx.report(`must be a string, not ${describe(v)}`);
      if (LINE_BREAK.test(v)) return void ctx.report('must be a single line');
      const why = options.test?.(v);
      if (why) return void ctx.report(why);
      return v;
    },
    options.secret ? { secret: true } : {},
  );
}

export function int(d: number, min: number, max: number, doc: string): Spec<number> {
  return spec(d, doc, `integer ${min}-${max}`, (v, ctx) => checkInt(v, min, max, ctx, []));
}

export function checkInt(v: unknown, min: number, max: number, ctx: CheckContext, at: SubPath): number | undefined {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n))
    return void ctx.report(`must be a whole number, not ${describe(v)}`, at);
  if (n < min || n > max) return void ctx.report(`must be between ${min} and ${max}, not ${n}`, at);
  return n;
}

export function bool(d: boolean, doc: string): Spec<boolean> {
  return spec(d, doc, 'true or false', (v, ctx) =>
    typeof v === 'boolean' ? v : void ctx.report(`must be true or false, not ${describe(v)}`),
  );
}

export function oneOf<const V extends string>(values: readonly V[], d: NoInfer<V>, doc: string): Spec<V> {
  const list = values.map((x) => `"${x}"`).join(', ');
  return spec(d, doc, values.join(' | '), (v, ctx) =>
    typeof v === 'string' && (values as readonly string[]).includes(v)
      ? (v as V)
      : void ctx.report(`must be one of ${list}, not ${describe(v)}`),
  );
}

/** A list of single-line strings, each checked by `test` (which returns a reason to refuse). */
export function list(
  d: string[],
  doc: string,
  type: string,
  test: (v: string) => string | undefined = () => undefined,
): Spec<string[]> {
  return spec(d, doc, type, (v, ctx) => {
    if (!Array.isArray(v)) return void ctx.report(`must be a list of strings, not ${describe(v)}`);
    let ok = true;
    v.forEach((item, i) => {
      const why =
        typeof item !== 'string'
          ? `must be a string, not ${describe(item)}`
          : LINE_BREAK.test(item)
            ? 'must be a single line'
            : test(item);
      if (why) {
        ok = false;
        ctx.report(why, [i]);
      }
    });
    return ok ? (v as string[]) : undefined;
  });
}

export type PathKind = 'dir' | 'file' | 'exe';

/**
 * An absolute path. `mustExist` is checked when the config is loaded with paths on; an `optional` path may
 * be empty, and an optional tool that is simply not installed (default value, not found) switches its
 * feature off instead of failing.
 */
export function path(
  d: string,
  doc: string,
  options: { mustExist?: PathKind; optional?: boolean; dash?: boolean; missing?: string } = {},
): Spec<string> {
  const type = options.mustExist === 'dir' ? 'directory' : options.mustExist === 'exe' ? 'program' : 'path';
  return spec(d, doc, options.optional ? `${type} or ""` : type, (v, ctx) => {
    if (typeof v !== 'string') return void ctx.report(`must be a path (string), not ${describe(v)}`);
    if (LINE_BREAK.test(v)) return void ctx.report('must be a single-line path');
    if (v === '') return options.optional ? '' : void ctx.report('must not be empty');
    if (options.dash && v === '-') return v;
    if (!v.startsWith('/')) return void ctx.report(`must be an absolute path, not ${JSON.stringify(v)}`);
    if (!ctx.checkPaths || !options.mustExist) return v;
    const problem = pathProblem(v, options.mustExist);
    if (problem === undefined) return v;
    if (options.optional && !ctx.explicit) return '';
    return void ctx.report(
      `${v} ${problem}` +
        `${options.missing && /not an existing|does not exist/.test(problem) ? `: ${options.missing}` : ''}`,
    );
  });
}

function pathProblem(p: string, kind: PathKind): string | undefined {
  try {
    const st = statSync(p);
    if (kind === 'dir' && !st.isDirectory()) return 'is not a directory';
    if (kind !== 'dir' && !st.isFile()) return 'is not a file';
    if (kind === 'exe') accessSync(p, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return kind === 'dir' ? 'is not an existing directory' : 'does not exist';
    if (code === 'EACCES') return kind === 'exe' ? 'is not executable' : 'is not accessible';
    return `cannot be checked (${code ?? 'error'})`;
  }
}

/** A regular expression, compiled the way it will be used. */
export function regexProblem(source: string, flags = ''): string | undefined {
  try {
    new RegExp(source, flags);
    return undefined;
  } catch (err) {
    return (
      `${JSON.stringify(source)} is not a valid regular expression ` +
      `(${(err as Error).message.replace(/^Invalid regular expression: /, '')})`
    );
  }
}

/** A table whose keys are all known, each checked by its own function; unknown keys are reported. */
export function table<T>(
  d: T,
  doc: string,
  type: string,
  check: (t: Record<string, unknown>, ctx: CheckContext) => T | undefined,
): Spec<T> {
  return spec(d, doc, type, (v, ctx) =>
    isTable(v) ? check(v, ctx) : void ctx.report(`must be a table (${type}), not ${describe(v)}`),
  );
}
