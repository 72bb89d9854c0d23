/*
 * asterisk-config.ts: the Asterisk configuration files faxmail needs, as text. README "Asterisk" shows
 * them for a production server (rendered here with the default paths; test/readme.test.ts checks the
 * README against these functions), and the test bed (asterisk-bed.ts) writes the same files with its own
 * directories and the far ends added. Pure.
 */

/** The modules faxmail's dialplan template needs (autoload off: nothing else, no network listeners). */
const FAXMAIL_MODULES = [
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
export const EMPTY_CONFIGS = [
  'acl.conf',
  'ccss.conf',
  'cdr.conf',
  'cel.conf',
  'features.conf',
  'manager.conf',
  'res_fax.conf',
  'udptl.conf',
  'pjproject.conf',
] as const;

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
  parts.push(
    '[options]',
    '; "Executing [...]" lines of every call in the full log (where to look when a fax goes wrong)',
    'verbose = 3',
    '',
  );
  return parts.join('\n');
}

/** modules.conf: autoload off, faxmail's modules (plus `extra`). */
export function renderModulesConf(extra: readonly string[] = []): string {
  return ['[modules]', 'autoload = no', ...[...FAXMAIL_MODULES, ...extra].map((m) => `load => ${m}.so`), ''].join('\n');
}

/** logger.conf: problems in messages, every call step too in full; times to the millisecond. */
export function renderLoggerConf(): string {
  return [
    '[general]',
    'dateformat = %F %T.%3q',
    '',
    '[logfiles]',
    'messages => notice,warning,error',
    'full => notice,warning,error,verbose',
    '',
  ].join('\n');
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

// ---------------------------------------------------------------------------------------------------
// SIP trunk (README "SIP trunk"; test/sip/ runs faxmail's Asterisk with exactly these lines).

/** The modules a PJSIP trunk with T.38 needs on top of FAXMAIL_MODULES (udptl is in the core). */
export const PJSIP_MODULES = [
  'res_sorcery_config',
  'res_sorcery_memory',
  'res_sorcery_astdb', // res_pjsip will not load without the three sorcery modules
  'res_pjproject',
  'res_pjsip',
  'res_pjsip_session',
  'res_pjsip_pubsub', // chan_pjsip needs it
  'res_pjsip_sdp_rtp', // audio (G.711) in the SDP
  'res_pjsip_t38', // the re-INVITE to T.38 (image/t38 over UDPTL)
  'res_pjsip_endpoint_identifier_ip', // [trunk] type=identify: calls from the carrier's address
  'res_pjsip_caller_id', // caller ids in From/P-Asserted-Identity: the office's number out, the sender's in
  'res_pjsip_authenticator_digest', // (else every call from the carrier logs a WARNING)
  'res_pjsip_outbound_authenticator_digest', // if the carrier wants a password for your calls
  'res_pjsip_outbound_registration', // if the carrier wants you to register
  'res_rtp_asterisk',
  'chan_pjsip',
] as const;

/** What differs between one trunk and another (everything else in renderPjsipTrunk() is for fax). */
export interface TrunkSettings {
  /** the carrier's SIP server: host name or address */
  carrier: string;
  /** its port (5060) */
  port: number;
  /** G.711 law of the carrier: alaw (Japan, Europe) or ulaw (North America) */
  codec: 'alaw' | 'ulaw';
  /** t38_udptl: the carrier passes T.38 (ask them); no: G.711 only */
  t38: boolean;
}

/** The README's example values. */
export const README_TRUNK: TrunkSettings = { carrier: 'sip.carrier.example', port: 5060, codec: 'alaw', t38: true };

/**
 * pjsip.conf for a trunk that carries faxes: one endpoint named `trunk` (callfile.channel =
 * PJSIP/{number}@trunk), its address of record, and the `identify` that maps the carrier's calls to it.
 * With t38 = false the T.38 lines are left out (t38_udptl defaults to no).
 */
export function renderPjsipTrunk(t: TrunkSettings): string {
  const t38 = t.t38
    ? [
        '; T.38: the carrier switches the call to fax packets (UDPTL) when a fax machine answers, or we',
        '; ask it to when we receive. Redundancy resends the last packets in every packet, so a lost one',
        '; costs nothing; 400 bytes leaves room for it.',
        't38_udptl = yes',
        't38_udptl_ec = redundancy',
        't38_udptl_maxdatagram = 400',
      ]
    : ['; no T.38 from this carrier: faxes go as G.711 audio (keep the line clean: no other codec)'];
  return [
    '[transport-udp]',
    'type = transport',
    'protocol = udp',
    'bind = 0.0.0.0:5060',
    '',
    '[trunk]',
    'type = endpoint',
    'transport = transport-udp',
    'context = from-trunk',
    'aors = trunk',
    '; fax needs G.711 end to end: no compressing codec, no transcoding',
    'disallow = all',
    `allow = ${t.codec}`,
    '; media through Asterisk: res_fax must see every packet',
    'direct_media = no',
    '; a fax-only trunk: every call goes to [faxmail-receive] by its number, no tone detection needed',
    'fax_detect = no',
    ...t38,
    '',
    '[trunk]',
    'type = aor',
    `contact = sip:${t.carrier}:${t.port}`,
    '',
    '[trunk]',
    'type = identify',
    'endpoint = trunk',
    `match = ${t.carrier}`,
    '',
  ].join('\n');
}

/** The fax numbers README's trunk context sends to faxmail (the test bed's faxmail.toml has their recipients). */
export const TRUNK_DIDS = ['0311110000', '0311110001'];

/** extensions.conf: the context the trunk delivers to sends each fax number to [faxmail-receive]. */
export function renderTrunkContext(dids: readonly string[]): string {
  return ['[from-trunk]', ...dids.map((d) => `exten => ${d},1,Goto(faxmail-receive,\${EXTEN},1)`), ''].join('\n');
}

/**
 * A shared voice and fax number in the admin's inbound context (README "Shared voice and fax lines"): the
 * first line Gosubs to [faxmail-detect], which keeps fax calls; `voice` are the admin's own lines after it.
 */
export function renderSharedLine(exten: string, voice: string[]): string {
  return [`exten => ${exten},1,Gosub(faxmail-detect,\${EXTEN},1)`, ...voice.map((l) => ` same => n,${l}`)].join('\n');
}
