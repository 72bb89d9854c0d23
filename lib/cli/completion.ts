/*
 * completion.ts: bash completion for faxmail (and sendfax / faxmail-notify, for admins who run them by
 * their libexec path), made from spec.ts like --help. Pure. Job ids complete from `faxmail status --json`
 * and configuration keys from `faxmail config`, so the script never reads the spool itself.
 */
import { PROGRAMS, type OptionSpec, type ProgramSpec } from './spec.js';

const flags = (list: readonly OptionSpec[]) =>
  list.flatMap((o) => [`--${o.name}`, ...(o.alias ? [`-${o.alias}`] : [])]).join(' ');
const fnName = (p: ProgramSpec) => `_${p.name.replace(/-/g, '_')}`;

function programFunction(p: ProgramSpec): string[] {
  const valueFlags = p.options.concat(p.commands.flatMap((c) => c.options)).filter((o) => o.type === 'string');
  const fileFlags = valueFlags.filter((o) => o.complete === 'file').map((o) => `--${o.name}`);
  const otherValueFlags = valueFlags.filter((o) => o.complete !== 'file').map((o) => `--${o.name}`);
  const lines = [
    `${fnName(p)}() {`,
    '  local cur prev cmd i',
    '  cur=${COMP_WORDS[COMP_CWORD]}',
    '  prev=${COMP_WORDS[COMP_CWORD-1]}',
    `  case "$prev" in`,
    ...(fileFlags.length
      ? [`    ${[...new Set(fileFlags)].join('|')}) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;`]
      : []),
    ...(otherValueFlags.length ? [`    ${[...new Set(otherValueFlags)].join('|')}) COMPREPLY=(); return ;;`] : []),
    '  esac',
  ];
  if (p.commands.length === 0) {
    lines.push(`  COMPREPLY=( $(compgen -W "${flags(p.options)}" -- "$cur") )`, '}');
    return lines;
  }
  lines.push(
    '  cmd=',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case "${COMP_WORDS[i]}" in',
    `      ${[...new Set(valueFlags.map((o) => `--${o.name}`))].join('|') || '--'}) i=$((i + 1)) ;;`,
    '      -*) ;;',
    '      *) cmd=${COMP_WORDS[i]}; break ;;',
    '    esac',
    '  done',
    '  case "$cmd" in',
    `    "") COMPREPLY=( $(compgen -W "${p.commands.map((c) => c.name).join(' ')} ${flags(p.options)}" -- "$cur") ) ;;`,
  );
  for (const c of p.commands) {
    const pos = c.positionals?.[0]?.complete;
    const words = `${flags(c.options)} ${flags(p.options)}`;
    if (c.positionals?.some((x) => x.complete === 'file')) {
      lines.push(
        `    ${c.name}) if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W "${words}" -- "$cur") ); else ` +
          `COMPREPLY=( $(compgen -f -- "$cur") ); fi ;;`,
      );
    } else if (pos === 'job' && p.name === 'faxmail') {
      lines.push(
        `    ${c.name}) if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W "${words}" -- "$cur") ); else ` +
          `COMPREPLY=( $(compgen -W "$(faxmail status --json 2>/dev/null | sed -n 's/^ *"id": ` +
          `"\\([0-9a-f-]*\\)".*/\\1/p')" -- "$cur") ); fi ;;`,
      );
    } else if (pos === 'key' && p.name === 'faxmail') {
      lines.push(
        `    ${c.name}) if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W "${words}" -- "$cur") ); else ` +
          `COMPREPLY=( $(compgen -W "$(faxmail config --defaults 2>/dev/null | sed 's/ = .*//')" -- ` +
          `"$cur") ); fi ;;`,
      );
    } else {
      lines.push(`    ${c.name}) COMPREPLY=( $(compgen -W "${words}" -- "$cur") ) ;;`);
    }
  }
  lines.push('  esac', '}');
  return lines;
}

/** The bash completion file (installed as /usr/share/bash-completion/completions/faxmail). */
export function renderBashCompletion(): string {
  const lines = ['# bash completion for faxmail, sendfax and faxmail-notify (generated from lib/cli/spec.ts)'];
  for (const p of PROGRAMS) lines.push(...programFunction(p), `complete -F ${fnName(p)} ${p.name}`, '');
  return lines.join('\n');
}
