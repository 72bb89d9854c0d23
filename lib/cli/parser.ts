/*
 * parser.ts: the one argument parser of all three commands, built with yargs from a ProgramSpec
 * (spec.ts). Same behaviour everywhere: -h/--help and --version on the program and on every subcommand,
 * unknown options and missing values refused, a string option takes exactly the next argument as its value
 * (faxmail-notify gets station ids like "-x" or "" from far ends), --name=value works too.
 * Returns a value; never prints and never exits: bin/ decides what a usage error means (64 for the
 * admin, 75 with an enhanced status for Postfix). Fails with FaxError('usage').
 */
import yargs, { type Argv } from 'yargs';
import { FaxError } from '../errors.js';
import { VERSION, type OptionSpec, type ProgramSpec, type CommandSpec } from './spec.js';

export type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string }
  | { kind: 'run'; command: string; values: Record<string, string | boolean | undefined>; positionals: string[] };

function addOptions(y: Argv, options: readonly OptionSpec[], requiredAllowed: boolean): Argv {
  for (const o of options) {
    y = y.option(o.name, {
      type: o.type,
      describe: o.describe,
      ...(o.alias ? { alias: o.alias } : {}),
      ...(o.type === 'string' ? { nargs: 1, requiresArg: true } : {}),
      ...(o.required && requiredAllowed ? { demandOption: true } : {}),
    });
  }
  return y;
}

function commandString(c: CommandSpec): string {
  return [c.name, ...(c.positionals ?? []).map((p) => (p.required ? `<${p.name}${p.variadic ? '..' : ''}>` : `[${p.name}${p.variadic ? '..' : ''}]`))].join(' ');
}

/** Parse argv (without node and the script) for `program`. */
export function parseCommandLine(program: ProgramSpec, argv: readonly string[]): Parsed {
  // Help and version are answered before anything is required, on the program and on each subcommand.
  const wantsHelp = argv.some((a) => a === '--help' || a === '-h');
  const wantsVersion = argv.includes('--version');
  let y = yargs([...argv])
    .scriptName(program.name)
    .parserConfiguration({
      'dot-notation': false,
      'nargs-eats-options': true,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'boolean-negation': false,
      'camel-case-expansion': false,
      'strip-aliased': true,
    })
    .help(false)
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .strict()
    .fail((msg, err) => {
      throw new FaxError('usage', msg || (err ? err.message : 'Wrong arguments.'));
    });
  y = addOptions(y, program.options, !wantsHelp && !wantsVersion);
  if (program.commands.length === 0) {
    y = y.usage(`${program.name} ${program.options.filter((o) => o.required).map((o) => `--${o.name} ${o.value ?? ''}`.trim()).join(' ')} [options]\n\n${program.summary}`);
  } else {
    y = y.usage(`${program.name} <command> [options]\n\n${program.summary}`);
    for (const c of program.commands) {
      y = y.command(commandString(c), c.summary, (sub) => {
        for (const p of c.positionals ?? []) sub = sub.positional(p.name, { type: 'string', describe: p.describe, ...(p.variadic ? { array: true } : {}) });
        return addOptions(sub, c.options, !wantsHelp && !wantsVersion);
      });
    }
    if (!wantsHelp && !wantsVersion) y = y.demandCommand(1, `Name a command: ${program.commands.map((c) => c.name).join(', ')} (${program.name} --help lists them).`);
  }
  if (wantsVersion && !wantsHelp) return { kind: 'version', text: `${program.name} ${VERSION}` };
  if (wantsHelp) {
    const name = argv.find((a) => !a.startsWith('-'));
    const sub = program.commands.find((c) => c.name === name);
    if (sub) {
      // The subcommand's own help: its options and positionals.
      let sy = yargs([]).scriptName(`${program.name} ${sub.name}`).help(false).version(false).wrap(Math.min(110, process.stdout.columns || 100)).usage(`${program.name} ${commandString(sub)} [options]\n\n${sub.summary}${sub.details ? `\n\n${sub.details}` : ''}`);
      for (const p of sub.positionals ?? []) sy = sy.positional(p.name, { type: 'string', describe: p.describe });
      sy = addOptions(sy, [...sub.options, ...program.options], false);
      return { kind: 'help', text: helpText(sy) };
    }
    return { kind: 'help', text: helpText(y) };
  }
  const parsed = y.parseSync() as Record<string, unknown> & { _: (string | number)[] };
  const positionalsRaw = parsed._.map(String);
  const command = program.commands.length > 0 ? (positionalsRaw[0] ?? '') : '';
  const values: Record<string, string | boolean | undefined> = {};
  const known = new Set([...program.options, ...(program.commands.find((c) => c.name === command)?.options ?? [])].map((o) => o.name));
  const positionals: string[] = [];
  for (const [k, v] of Object.entries(parsed)) {
    if (k === '_' || k === '$0') continue;
    if (known.has(k)) {
      if (Array.isArray(v)) throw new FaxError('usage', `Option --${k} was given twice.`);
      values[k] = typeof v === 'boolean' ? v : v === undefined ? undefined : String(v);
    }
    else if (Array.isArray(v)) positionals.push(...v.map(String));
    else if (typeof v === 'string') positionals.push(v);
  }
  return { kind: 'run', command, values, positionals };
}

/** yargs' help text, captured instead of printed. */
function helpText(y: Argv): string {
  let text = '';
  y.showHelp((s: string) => {
    text = s;
  });
  return text;
}
