/*
 * asterisk-config.ts: the Asterisk configuration files faxmail needs, as text. README "Asterisk" shows
 * them for a production server (rendered here with the default paths; test/readme.test.ts checks the
 * README against these functions), and the test bed (asterisk-bed.ts) writes the same files with its own
 * directories and the far ends added. Pure.
 */

/** The modules faxmail's dialplan template needs (autoload off: nothing else, no network listeners). */
export const FAXMAIL_MODULES = [
  'res_timing_timerfd', // a timing source for the fax engine
  'pbx_config', // extensions.conf
  'pbx_spool', // call files
  'res_fax',
  'res_fax_spandsp', // SendFAX / ReceiveFAX
  'app_system', // TrySystem(faxmail-notify ...)
  'res_speech',
  'res_agi', // app_stack will not load without it
  'app_stack', // Gosub, and the runner of hangup handlers
  'app_exec', // ExecIf
  'app_verbose', // Log
  'app_playtones', // ringing while [faxmail-detect] listens for fax tones (shared voice and fax lines)
  'func_strings', // FILTER, STRFTIME
  'func_channel', // CHANNEL(hangup_handler_push)
  'func_callerid',
  'func_groupcount', // GROUP, GROUP_COUNT
  'func_logic',
  'codec_ulaw',
  'codec_alaw',
] as const;

/** What the test bed loads besides: its far ends (tones, time limits, FILE) and `channel originate`. */
export const BED_EXTRA_MODULES = ['func_timeout', 'func_env', 'res_clioriginate'] as const;

/** Configuration files Asterisk looks for at start-up and complains about when missing; empty is fine. */
export const EMPTY_CONFIGS = ['acl.conf', 'ccss.conf', 'cdr.conf', 'cel.conf', 'features.conf', 'manager.conf', 'res_fax.conf', 'udptl.conf'] as const;

/** Asterisk's own directories (asterisk.conf [directories]). */
export interface AsteriskDirs {
  etc: string;
  run: string;
  spool: string;
  log: string;
  /** astvarlibdir, astdbdir, astkeydir */
  lib: string;
  cache: string;
}

/** asterisk.conf: [options] as README shows it; [directories] only for a private instance. */
export function renderAsteriskConf(dirs?: AsteriskDirs): string {
  const parts: string[] = [];
  if (dirs) {
    parts.push(
      '[directories]',
      `astcachedir => ${dirs.cache}`,
      `astetcdir => ${dirs.etc}`,
      'astmoddir => /usr/lib/asterisk/modules',
      `astvarlibdir => ${dirs.lib}`,
      `astdbdir => ${dirs.lib}`,
      `astkeydir => ${dirs.lib}`,
      // the installed data dir (it holds documentation/; start-up fails without it)
      'astdatadir => /var/lib/asterisk',
      'astagidir => /var/lib/asterisk/agi-bin',
      `astspooldir => ${dirs.spool}`,
      `astrundir => ${dirs.run}`,
      `astlogdir => ${dirs.log}`,
      'astsbindir => /usr/sbin',
      '',
    );
  }
  parts.push('[options]', '; "Executing [...]" lines of every call in the full log (where to look when a fax goes wrong)', 'verbose = 3', '');
  return parts.join('\n');
}

/** modules.conf: autoload off, faxmail's modules (plus `extra`). */
export function renderModulesConf(extra: readonly string[] = []): string {
  return ['[modules]', 'autoload = no', ...[...FAXMAIL_MODULES, ...extra].map((m) => `load => ${m}.so`), ''].join('\n');
}

/** logger.conf: problems in messages, every call step too in full; times to the millisecond. */
export function renderLoggerConf(): string {
  return ['[general]', 'dateformat = %F %T.%3q', '', '[logfiles]', 'messages => notice,warning,error', 'full => notice,warning,error,verbose', ''].join('\n');
}

/** indications.conf: a default country (Asterisk warns at start without one); its tones for busy and ringing. */
export function renderIndicationsConf(): string {
  return [
    '[general]',
    'country = jp',
    '',
    '[jp]',
    'description = Japan',
    'ringcadence = 1000,2000',
    'dial = 400',
    'busy = 400/500,0/500',
    'ring = 400+15/1000,0/2000',
    'congestion = 400/500,0/500',
    '',
  ].join('\n');
}

/** Where faxmail lives, as the dialplan's [globals] name it. */
export interface FaxmailGlobals {
  notify: string;
  spool: string;
  config: string;
}

/** The production paths (scripts/install.sh defaults; the template's own [globals]). */
export const DEFAULT_GLOBALS: FaxmailGlobals = {
  notify: '/usr/local/libexec/faxmail/faxmail-notify',
  spool: '/var/spool/faxmail',
  config: '/etc/faxmail/faxmail.toml',
};

/** The example settings README shows after the include; the bed uses them too (and checks they win). */
export const EXAMPLE_SETTINGS = ['FAXMAIL_STATIONID=+81 3 5555 0000', 'FAXMAIL_HEADER=Example Office fax'];

/**
 * The lines an admin adds to extensions.conf: include the shipped template unchanged, then a [globals]
 * section AFTER it (Asterisk merges [globals] sections in order; a later line wins).
 */
export function renderExtensionsInclude(globals: FaxmailGlobals, more: string[] = []): string {
  return [
    '#include extensions_faxmail.conf',
    '',
    '[globals]',
    `FAXMAIL_NOTIFY=${globals.notify}`,
    `FAXMAIL_SPOOL=${globals.spool}`,
    `FAXMAIL_CONFIG=${globals.config}`,
    ...more,
    '',
  ].join('\n');
}

/**
 * A shared voice and fax number in the admin's inbound context (README "Shared voice and fax lines"): the
 * first line Gosubs to [faxmail-detect], which keeps fax calls; `voice` are the admin's own lines after it.
 */
export function renderSharedLine(exten: string, voice: string[]): string {
  return [`exten => ${exten},1,Gosub(faxmail-detect,\${EXTEN},1)`, ...voice.map((l) => ` same => n,${l}`)].join('\n');
}
