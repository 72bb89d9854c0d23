/*
 * parser.ts: the one argument parser of all three commands, driven by a ProgramSpec (spec.ts).
 * Tokenising is yargs-parser's (the parser inside yargs, 36 KB instead of yargs' 230 KB: sendfax and
 * faxmail-notify start once per mail and per call, so only the parser is loaded); checking (unknown options,
 * missing values, required options, subcommands, positionals) and the help text are ours, made from the
 * same spec as the man pages and the completion. Same behaviour everywhere: -h/--help and --version on
 * the program and on every subcommand, answered before anything is required; unknown options refused;
 * a string option takes exactly the next argument as its value, even "" or "-x" (faxmail-notify gets
 * station ids like that from far ends); --name=value works too; an option given twice is refused.
 * Returns a value; never prints and never exits: bin/ decides what a usage error means (64 for the
 * admin, 75 with an enhanced status for Postfix). Fails with FaxError('usage').
 */
import yargsParser from 'yargs-parser';
import { FaxError, oneLine } from '../errors.js';
import { VERSION, type CommandSpec, type OptionSpec, type ProgramSpec } from './spec.js';

export type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string }
  | { kind: 'run'; command: string; values: Record<string, string | boolean | undefined>; positionals: string[] };

/** Parse argv (without node and the script) for `program`. */
export function parseCommandLine(program: ProgramSpec, argv: readonly string[]): Parsed {
  // Help and version win over everything else, wherever they stand (but not as an option's value).
  const all = [...program.options, ...program.commands.flatMap((c) => c.options)];
  const raw = tokenize(argv, all);
  const words = raw._.map(String);
  const command = program.commands.length > 0 ? words[0] : undefined;
  const sub = program.commands.find((c) => c.name === command);
  if (raw['help'] === true) return { kind: 'help', text: renderHelp(program, sub) };
  if (raw['version'] === true) return { kind: 'version', text: `${program.name} ${VERSION}` };

  if (program.commands.length > 0) {
    if (command === undefined)
      throw new FaxError(
        'usage',
        `Name a command: ${program.commands.map((c) => c.name).join(', ')} (${program.name} --help lists them).`,
      );
    if (!sub)
      throw new FaxError(
        'usage',
        `Unknown command "${oneLine(command, 40)}": use one of ${program.commands.map((c) => c.name).join(', ')}.`,
      );
  }
  const options = [...program.options, ...(sub?.options ?? [])];
  const known = new Map<string, OptionSpec>();
  for (const o of options) {
    known.set(o.name, o);
    if (o.alias) known.set(o.alias, o);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === '_' || k === '--') continue;
    const o = known.get(k);
    if (!o)
      throw new FaxError(
        'usage',
        `Unknown option ${k.length === 1 ? '-' : '--'}${oneLine(k, 40)}${sub ? ` for "${sub.name}"` : ''} ` +
          `(${program.name}${sub ? ` ${sub.name}` : ''} --help lists the options).`,
      );
    if (Array.isArray(v)) throw new FaxError('usage', `Option --${o.name} was given twice.`);
    if (o.type === 'boolean') {
      if (typeof v !== 'boolean') throw new FaxError('usage', `Option --${o.name} takes no value.`);
      values[o.name] = v;
    } else {
      if (typeof v !== 'string') throw new FaxError('usage', `Option --${o.name} needs a value.`);
      values[o.name] = v;
    }
  }
  const missing = options.filter((o) => o.required && values[o.name] === undefined).map((o) => `--${o.name}`);
  if (missing.length > 0)
    throw new FaxError('usage', `Missing ${missing.join(', ')}${sub ? ` for "${sub.name}"` : ''}.`);

  const positionals = words.slice(sub ? 1 : 0);
  const specs = sub?.positionals ?? [];
  const variadic = specs.some((p) => p.variadic);
  const required = specs.filter((p) => p.required);
  if (positionals.length < required.length)
    throw new FaxError(
      'usage',
      `Missing ${required
        .slice(positionals.length)
        .map((p) => p.name.toUpperCase())
        .join(', ')}${sub ? ` for "${sub.name}"` : ''}.`,
    );
  if (!variadic && positionals.length > specs.length)
    throw new FaxError('usage', `Unexpected argument "${oneLine(positionals[specs.length]!, 40)}".`);
  return { kind: 'run', command: sub?.name ?? '', values, positionals };
}

/** yargs-parser with the rules above; unknown options come back as their own keys. */
function tokenize(argv: readonly string[], options: readonly OptionSpec[]): yargsParser.Arguments {
  const strings = [...new Set(options.filter((o) => o.type === 'string').map((o) => o.name))];
  const booleans = [...new Set(options.filter((o) => o.type === 'boolean').map((o) => o.name))];
  const alias: Record<string, string> = {};
  for (const o of options) if (o.alias) alias[o.name] = o.alias;
  return yargsParser([...argv], {
    string: strings,
    boolean: booleans,
    alias,
    // Exactly one value each, taken even when it looks like an option.
    narg: Object.fromEntries(strings.map((s) => [s, 1])),
    configuration: {
      'nargs-eats-options': true,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'boolean-negation': false,
      'camel-case-expansion': false,
      'strip-aliased': true,
      'duplicate-arguments-array': true,
      'flatten-duplicate-arrays': false,
      'greedy-arrays': false,
      'short-option-groups': false,
    },
  });
}

function optionName(o: OptionSpec): string {
  return `${o.alias ? `-${o.alias}, ` : ''}--${o.name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
}

function table(rows: [string, string][], indent = 2): string[] {
  const width = Math.min(34, Math.max(...rows.map(([a]) => a.length)) + 2);
  return rows.map(
    ([a, b]) =>
      `${' '.repeat(indent)}${a.length + 2 > width ? `${a}\n${' '.repeat(indent + width)}` : a.padEnd(width)}${b}`,
  );
}

function commandUsage(program: ProgramSpec, c: CommandSpec): string {
  return [
    program.name,
    c.name,
    ...(c.positionals ?? []).map((p) =>
      p.required
        ? `${p.name.toUpperCase()}${p.variadic ? '...' : ''}`
        : `[${p.name.toUpperCase()}${p.variadic ? '...' : ''}]`,
    ),
  ].join(' ');
}

/** The --help text of a program or one of its subcommands. Pure. */
function renderHelp(program: ProgramSpec, sub?: CommandSpec): string {
  const out: string[] = [];
  if (sub) {
    out.push(`usage: ${commandUsage(program, sub)} [options]`, '', sub.summary);
    if (sub.details) out.push('', sub.details);
    for (const p of sub.positionals ?? []) out.push('', ...table([[p.name.toUpperCase(), p.describe]]));
    out.push(
      '',
      'options:',
      ...table(
        [...sub.options, ...program.options].map((o) => [
          optionName(o),
          o.describe + (o.required ? ' (required)' : ''),
        ]),
      ),
    );
    return out.join('\n');
  }
  if (program.commands.length === 0) {
    const req = program.options.filter((o) => o.required).map((o) => `--${o.name} ${o.value ?? ''}`.trim());
    out.push(`usage: ${program.name} ${req.join(' ')} [options]`, '', program.summary, '', 'options:');
    out.push(...table(program.options.map((o) => [optionName(o), o.describe + (o.required ? ' (required)' : '')])));
  } else {
    out.push(`usage: ${program.name} <command> [options]`, '', program.summary, '', 'commands:');
    out.push(...table(program.commands.map((c) => [commandUsage(program, c), c.summary])));
    out.push('', 'options (every command):', ...table(program.options.map((o) => [optionName(o), o.describe])));
    out.push('', `${program.name} COMMAND --help shows a command's own options.`);
  }
  out.push(
    '',
    'exit status:',
    ...table(program.exit.map(([code, what]) => [String(code), what])),
    '',
    `man ${program.name} has the details.`,
  );
  return out.join('\n');
}
