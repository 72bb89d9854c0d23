/*
 * man.ts: man pages in roff, made from the same definitions as --help (spec.ts) and the configuration
 * schema (faxmail.toml(5)). Pure. tools/gen-man.ts writes them at build time; install.sh installs them.
 */
import { SCHEMA_ENTRIES, REMOVED } from '../config/schema.js';
import { tomlValue } from '../config/docs.js';
import { VERSION, type OptionSpec, type ProgramSpec } from './spec.js';

/** Text safe in roff: backslashes doubled, a leading dot or quote escaped, dashes in options kept as \-. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

function optionLine(o: OptionSpec): string {
  const names = [o.alias ? `\\fB\\-${o.alias}\\fR` : '', `\\fB${roff(`--${o.name}`)}\\fR`].filter(Boolean).join(', ');
  return o.type === 'string' ? `${names} \\fI${roff(o.value ?? 'VALUE')}\\fR` : names;
}

function options(list: readonly OptionSpec[]): string[] {
  const out: string[] = [];
  for (const o of list) out.push('.TP', optionLine(o), roff(o.describe + (o.required ? ' (required)' : '')));
  return out;
}

const header = (name: string, section: number, summary: string) => [
  `.TH ${name.toUpperCase().replace(/-/g, '\\-')} ${section} "" "faxmail ${VERSION}" "faxmail"`,
  '.SH NAME',
  `${roff(name)} \\- ${roff(summary)}`,
];

/** The man page of one program, section 8. */
export function renderManPage(p: ProgramSpec): string {
  const lines = header(p.name, 8, p.summary);
  lines.push('.SH SYNOPSIS');
  if (p.commands.length === 0) {
    lines.push(
      `.B ${roff(p.name)}`,
      roff(
        p.options
          .filter((o) => o.name !== 'help' && o.name !== 'version')
          .map((o) =>
            o.required
              ? `--${o.name} ${o.value ?? ''}`.trim()
              : `[--${o.name}${o.type === 'string' ? ` ${o.value ?? ''}` : ''}]`,
          )
          .join(' '),
      ),
    );
  } else {
    for (const c of p.commands) {
      const pos = (c.positionals ?? [])
        .map((x) =>
          x.required
            ? `${x.name.toUpperCase()}${x.variadic ? '...' : ''}`
            : `[${x.name.toUpperCase()}${x.variadic ? '...' : ''}]`,
        )
        .join(' ');
      const opts = c.options.map((o) => `[--${o.name}${o.type === 'string' ? ` ${o.value ?? ''}` : ''}]`).join(' ');
      lines.push('.br', `.B ${roff(p.name)} ${roff(c.name)}`, roff(`${pos} ${opts} [--config FILE]`.trim()));
    }
    lines.push('.br', `.B ${roff(p.name)}`, '\\-\\-help | \\-\\-version');
  }
  lines.push('.SH DESCRIPTION');
  for (const para of p.description) lines.push('.PP', roff(para));
  if (p.commands.length > 0) {
    lines.push('.SH COMMANDS');
    for (const c of p.commands) {
      lines.push(
        '.TP',
        (
          `\\fB${roff(c.name)}\\fR ` +
          `${(c.positionals ?? []).map((x) => `\\fI${roff(x.name.toUpperCase())}\\fR`).join(' ')}`
        ).trim(),
        roff(c.summary),
      );
      if (c.details) lines.push('.IP', roff(c.details));
      if (c.options.length) {
        lines.push('.RS');
        lines.push(...options(c.options));
        lines.push('.RE');
      }
    }
  }
  lines.push('.SH OPTIONS', ...options(p.options));
  lines.push('.SH EXIT STATUS');
  for (const [code, meaning] of p.exit) lines.push('.TP', `\\fB${code}\\fR`, roff(meaning));
  lines.push(
    '.SH ENVIRONMENT',
    '.TP',
    '\\fBFAXMAIL_CONFIG\\fR',
    'the configuration file when \\-\\-config is not given',
  );
  lines.push('.SH FILES', '.TP', '\\fI/etc/faxmail/faxmail.toml\\fR', 'the configuration, see \\fBfaxmail.toml\\fR(5)');
  lines.push('.SH EXAMPLES');
  for (const [cmd, what] of p.examples) lines.push('.TP', `\\fB${roff(cmd)}\\fR`, roff(what));
  lines.push(
    '.SH SEE ALSO',
    p.seeAlso.map((x) => `\\fB${roff(x.replace(/\(\d\)$/, ''))}\\fR${/\(\d\)$/.exec(x)?.[0] ?? ''}`).join(', '),
  );
  return lines.join('\n') + '\n';
}

/** faxmail.toml(5): every section and key from the schema. */
export function renderConfigManPage(): string {
  const lines = header('faxmail.toml', 5, 'configuration file of the faxmail gateway');
  lines.push(
    '.SH DESCRIPTION',
    '.PP',
    roff(
      'faxmail reads one TOML file, /etc/faxmail/faxmail.toml, or the file named by --config or ' +
        'FAXMAIL_CONFIG. Every key is optional; the defaults are shown. Phone numbers are strings: keep ' +
        'the quotes, so leading zeros survive.',
    ),
    '.PP',
    roff(
      'The whole file is checked when a command starts: every problem is listed at once as file:line:column: ' +
        'key: what is wrong. faxmail check-config also resolves users and groups and checks the ' +
        'directories for the user that owns the spool; faxmail config prints the settings in force (-n: ' +
        'only those the file sets).',
    ),
  );
  for (const [section, keys] of SCHEMA_ENTRIES) {
    lines.push(`.SH [${section.toUpperCase()}]`);
    for (const [key, spec] of keys) {
      lines.push(
        '.TP',
        `\\fB${roff(key)}\\fR = \\fI${roff(tomlValue(spec.default))}\\fR (${roff(spec.type)})`,
        roff(spec.doc),
      );
    }
  }
  lines.push('.SH REMOVED KEYS', '.PP', 'Setting one of these is an error that says what to do instead.');
  for (const [key, why] of Object.entries(REMOVED)) lines.push('.TP', `\\fB${roff(key)}\\fR`, roff(why));
  lines.push('.SH SEE ALSO', '\\fBfaxmail\\fR(8), \\fBsendfax\\fR(8), \\fBfaxmail\\-notify\\fR(8)');
  return lines.join('\n') + '\n';
}
