/*
 * schema.ts: every configuration key, its type, default, check and one-line doc, in one declarative table.
 * The Config type is inferred from this table (no second, hand-written interface to drift), and the docs
 * are generated from it: faxmail.example.toml, the README's key tables and faxmail.toml(5)
 * (tools/gen-config-docs.ts; test/config/docs.test.ts checks they are in step).
 * Keys that were removed are listed in REMOVED with the sentence an admin who still sets them reads.
 * Why our own small builders and not valibot or zod: the checks that matter here (paths on disk, users,
 * addresses as nodemailer parses them, dial patterns) are our own code either way, and a schema library
 * would add a module to the start-up of every sendfax and faxmail-notify run for a few typeofs.
 */
import {
  bool,
  int,
  list,
  oneOf,
  path,
  str,
  table,
  checkInt,
  regexProblem,
  isTable,
  describe,
  type Spec,
  type SpecValue,
  type CheckContext,
} from './spec.js';
import { isMailbox } from '../mailbox.js';
import { senderPatternProblem } from '../policy/sender.js';
import { fromSettingProblem } from '../mail/address.js';
import { COUNTRY_CODES } from '../policy/countries.js';
import { daysProblem, hoursProblem, zoneProblem } from '../policy/hours.js';

export type Resolution = 'standard' | 'fine' | 'superfine';
export type Paper = 'a4' | 'letter';
export type Compression = 'g3' | 'g4';
/** fax.dither: grey areas as the line screen on pages that have them, on every page, or never (threshold). */
export type DitherMode = 'auto' | 'always' | 'never';
export type MailTransportKind = 'sendmail' | 'smtp' | 'directory';
export type Locale = 'en' | 'ja';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RewriteRule {
  /** regular expression matched against the normalised number */
  match: string;
  /** replacement ($1 etc. allowed) */
  replace: string;
}

export interface RetryRule {
  /** seconds before the next try */
  after: number;
  /** total tries for this outcome class, including the first */
  max_attempts: number;
}

/** Outcome classes of an outbound attempt (see lib/fax-result/classify.ts). */
export const RETRY_CLASSES = [
  'busy',
  'no_answer',
  'congestion',
  'line_error',
  'dropped',
  'incompatible',
  'local_error',
  'unknown',
] as const;
export type RetryClass = (typeof RETRY_CLASSES)[number];
/** The classes that may be retried, each with a [retry] rule; the others never are (lib/notify/retry.ts). */
export const RETRYABLE_CLASSES = ['busy', 'no_answer', 'congestion', 'line_error', 'dropped', 'unknown'] as const;
export type RetryableClass = (typeof RETRYABLE_CLASSES)[number];

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
const userName = (what: string) => (v: string) =>
  NAME.test(v) || /^[0-9]+$/.test(v)
    ? undefined
    : `must be a ${what} name (letters, digits, _ . -), not ${JSON.stringify(v.slice(0, 40))}`;
// Settings may name a local mailbox (root@localhost, the usual admin address on a mail server).
const mailbox = (v: string) =>
  isMailbox(v, { local: true })
    ? undefined
    : `must be a plain mail address like user@example.com or root@localhost, not ${JSON.stringify(v.slice(0, 80))}`;
const pattern = (v: string) => regexProblem(v);

function retry(after: number, max: number, doc: string): Spec<RetryRule> {
  return table({ after, max_attempts: max }, doc, '{ after = SECONDS, max_attempts = N }', (t, ctx) => {
    let ok = true;
    for (const k of Object.keys(t)) {
      if (k !== 'after' && k !== 'max_attempts') {
        ctx.report('is not a setting here (only after and max_attempts)', [k]);
        ok = false;
      }
    }
    const a = checkInt(t['after'] ?? after, 0, 7 * 86400, ctx, ['after']);
    const m = checkInt(t['max_attempts'] ?? max, 1, 100, ctx, ['max_attempts']);
    return ok && a !== undefined && m !== undefined ? { after: a, max_attempts: m } : undefined;
  });
}

const rewrites: Spec<RewriteRule[]> = {
  default: [],
  doc: 'dial rules applied in order to the normalised number, e.g. [{ match = "^\\\\+81", replace = "0" }]',
  type: 'list of { match, replace }',
  check(v: unknown, ctx: CheckContext) {
    if (!Array.isArray(v))
      return void ctx.report(`must be a list of { match = "...", replace = "..." } tables, not ${describe(v)}`);
    let ok = true;
    const out: RewriteRule[] = [];
    v.forEach((rule, i) => {
      if (!isTable(rule)) {
        ok = false;
        ctx.report(`must be a table { match = "...", replace = "..." }, not ${describe(rule)}`, [i]);
        return;
      }
      for (const k of Object.keys(rule)) {
        if (k !== 'match' && k !== 'replace') {
          ok = false;
          ctx.report('is not a setting here (only match and replace)', [i, k]);
        }
      }
      for (const k of ['match', 'replace'] as const) {
        if (typeof rule[k] !== 'string') {
          ok = false;
          ctx.report(`needs a string, not ${describe(rule[k])}`, [i, k]);
        }
      }
      const why = typeof rule['match'] === 'string' ? regexProblem(rule['match']) : undefined;
      if (why) {
        ok = false;
        ctx.report(why, [i, 'match']);
      }
      if (ok) out.push({ match: rule['match'] as string, replace: rule['replace'] as string });
    });
    return ok ? out : undefined;
  },
};

/** fax.dither; true and false are the spellings from before "auto" existed and keep their meaning. */
const dither: Spec<DitherMode> = {
  default: 'auto',
  doc: 'grey and photos: auto (line screen on pages with grey areas, threshold on text pages), always, never',
  type: 'auto | always | never',
  check(v: unknown, ctx: CheckContext) {
    if (v === true) return 'always';
    if (v === false) return 'never';
    if (v === 'auto' || v === 'always' || v === 'never') return v;
    return void ctx.report(
      `must be "auto", "always" or "never" (true and false still mean "always" and "never"), not ${describe(v)}`,
    );
  },
};

const LOGIN = /^[^\s\x00-\x1f\x7f]{1,256}$/;
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;
/** A setting that holds a domain, or "" for none. */
const domainOrEmpty = {
  test: (v: string) =>
    v === '' || DOMAIN.test(v) ? undefined : `must be a domain like example.com, not ${JSON.stringify(v.slice(0, 60))}`,
  type: 'domain or ""',
};

/** senders.logins: login -> the sender patterns it may send as. */
const logins: Spec<Record<string, string[]>> = table(
  {} as Record<string, string[]>,
  'what each login may send as: { "alice" = ["alice@example.com"] }; unlisted logins: their own mailbox',
  'table of "login" = [sender patterns]',
  (t, ctx) => {
    let ok = true;
    for (const [login, patterns] of Object.entries(t)) {
      if (!LOGIN.test(login)) {
        ok = false;
        ctx.report(`${JSON.stringify(login.slice(0, 40))} is not a login name (no spaces or control characters)`, [
          login,
        ]);
      }
      if (!Array.isArray(patterns)) {
        ok = false;
        ctx.report(`must be a list of addresses or sender patterns, not ${describe(patterns)}`, [login]);
        continue;
      }
      patterns.forEach((p, i) => {
        const why = typeof p === 'string' ? senderPatternProblem(p) : `must be a string, not ${describe(p)}`;
        if (why) {
          ok = false;
          ctx.report(why, [login, i]);
        }
      });
    }
    return ok ? (t as Record<string, string[]>) : undefined;
  },
);

const recipients: Spec<Record<string, string[]>> = table(
  {} as Record<string, string[]>,
  'received faxes by dialled number: { "0312345678" = ["a@example.com", "b@example.com"] }',
  'table of "number" = [addresses]',
  (t, ctx) => {
    let ok = true;
    for (const [did, addresses] of Object.entries(t)) {
      if (!/^\+?[0-9]{1,32}$/.test(did)) {
        ok = false;
        ctx.report(`"${did.slice(0, 40)}" is not a dialled number (digits only, in quotes)`, [did]);
      }
      if (!Array.isArray(addresses) || addresses.length === 0) {
        ok = false;
        ctx.report('must be a non-empty list of mail addresses', [did]);
        continue;
      }
      addresses.forEach((a, i) => {
        const why = typeof a === 'string' ? mailbox(a) : `must be a mail address, not ${describe(a)}`;
        if (why) {
          ok = false;
          ctx.report(why, [did, i]);
        }
      });
    }
    return ok ? (t as Record<string, string[]>) : undefined;
  },
);

/** section -> key -> spec. Order here is the order of the docs. */
export const SCHEMA = {
  paths: {
    spool: path(
      '/var/spool/faxmail',
      'faxmail spool: jobs/, inbound/, outbox/ live here; owned and writable by the Asterisk user',
      { mustExist: 'dir', missing: 'create it with `make install` (scripts/install.sh), owned by the Asterisk user' },
    ),
    outgoing: path('/var/spool/asterisk/outgoing', "Asterisk's outgoing call-file directory", {
      mustExist: 'dir',
      missing: "is Asterisk installed? set it to Asterisk's spool directory + /outgoing",
    }),
    tmp: path(
      '/var/spool/asterisk/faxmail-tmp',
      'where call files are written before the rename; must be on the same filesystem as outgoing',
      { mustExist: 'dir', missing: 'create it with `make install` (scripts/install.sh), owned by the Asterisk user' },
    ),
    log: path('/var/log/faxmail/faxmail.log', "log file (JSON lines); '-' logs to stderr", { dash: true }),
    gs: path('/usr/bin/gs', 'Ghostscript binary', { mustExist: 'exe' }),
    tiff2pdf: path('/usr/bin/tiff2pdf', 'tiff2pdf from libtiff-tools (TIFF documents and received faxes)', {
      mustExist: 'exe',
    }),
    tiffinfo: path('/usr/bin/tiffinfo', 'tiffinfo from libtiff-tools (decodes every page to validate the fax)', {
      mustExist: 'exe',
    }),
    sendmail: path('/usr/sbin/sendmail', 'sendmail binary used when mail.transport = "sendmail"'),
    libreoffice: path(
      '/usr/bin/soffice',
      "LibreOffice's soffice for .docx/.xlsx/.pptx/.odt/.doc/.rtf (Debian: libreoffice-writer-nogui etc.); " +
        'empty or not installed: office files are refused with a note',
      { mustExist: 'exe', optional: true },
    ),
    tnef: path('/usr/bin/tnef', 'tnef, to unpack winmail.dat; empty: winmail.dat is refused with a note', {
      mustExist: 'exe',
      optional: true,
    }),
    body_font: path(
      '/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf',
      'TrueType font for the body page (must cover Japanese if you fax Japanese text)',
      { mustExist: 'file', optional: true },
    ),
    templates: path(
      '',
      'directory with your own mail templates (see lib/mail/templates/README.md); empty: the built-in ones',
      { mustExist: 'dir', optional: true },
    ),
  },
  log: {
    level: oneOf<LogLevel>(
      ['debug', 'info', 'warn', 'error'],
      'info',
      'least important log lines written: debug, info, warn or error',
    ),
  },
  callfile: {
    owner: str('asterisk', 'user that owns the call files and the spool (Asterisk must be able to rewrite them)', {
      test: userName('user'),
      type: 'user name',
    }),
    group: str('asterisk', 'group of the call files', { test: userName('group'), type: 'group name' }),
    channel: str('PJSIP/{number}@trunk', 'channel to dial; {number} is replaced by the validated, rewritten number', {
      test: (v) => (v.includes('{number}') ? undefined : 'must contain {number}, where the dialled number goes'),
    }),
    context: str('faxmail-send', 'dialplan context that sends the fax (asterisk/extensions_faxmail.conf)'),
    extension: str('send', 'extension in that context'),
    caller_id: str('', 'caller id for the call, e.g. "Office Fax" <0312345678>; empty: the trunk default'),
    wait_time: int(45, 5, 300, 'seconds to let the far end ring'),
    archive: bool(false, 'keep finished call files in outgoing_done/'),
  },
  fax: {
    resolution: oneOf<Resolution>(
      ['standard', 'fine', 'superfine'],
      'fine',
      'standard (204x98), fine (204x196) or superfine (204x391)',
    ),
    paper: oneOf<Paper>(['a4', 'letter'], 'a4', 'page size the content is fitted to: a4 or letter'),
    compression: oneOf<Compression>(['g3', 'g4'], 'g4', 'TIFF compression handed to Asterisk: g4 (smaller) or g3'),
    max_pages: int(100, 1, 10000, 'refuse a fax with more pages than this'),
    max_documents: int(20, 1, 1000, 'refuse a mail with more faxable attachments than this'),
    convert_timeout: int(
      120,
      1,
      3600,
      'CPU seconds the converters (Ghostscript, libtiff, tnef, LibreOffice) may use together on one mail; a ' +
        'mail that needs more is refused (65); must be below time_limit',
    ),
    time_limit: int(
      480,
      1,
      3600,
      "wall-clock seconds for a whole sendfax run; keep it below Postfix's fax_time_limit (600s); past it the " +
        'mail is deferred (75)',
    ),
    body_page: bool(false, 'render the mail body as the first page (per mail: +body in the Subject)'),
    min_image_bytes: int(
      8192,
      0,
      10_000_000,
      'inline images smaller than this many bytes (signature logos) are skipped',
    ),
    parallel: int(0, 0, 64, 'Ghostscript processes per fax for big documents; 0: one per CPU core'),
    dither,
    cover_page: bool(
      false,
      'put a cover page first: recipient, sender, date, pages, subject, the mail text as a note (per mail: ' +
        '+cover / +nocover)',
    ),
  },
  numbers: {
    country: {
      ...oneOf(
        COUNTRY_CODES,
        '',
        "JP, US, CA, GB (UK), DE or FR: that country's dial rules, allow and deny patterns for the three keys " +
          'below that you do not set',
      ),
      type: `"" or ${COUNTRY_CODES.filter((c) => c !== '').join(', ')}`,
    },
    rewrite: rewrites,
    allow: list(
      ['^0[1-9][0-9]{5,13}$'],
      'a rewritten number must match one of these patterns',
      'list of patterns',
      pattern,
    ),
    deny: list(
      ['^00', '^0(90|900|990|190|137|138)'],
      'a rewritten number matching any of these is refused (premium rate, international)',
      'list of patterns',
      pattern,
    ),
    min_digits: int(3, 1, 32, 'fewest digits a number may have'),
    max_digits: int(20, 1, 32, 'most digits a number may have'),
  },
  senders: {
    allow: list(
      [],
      'who may send: "user@example.com", "@example.com" (domain), "*.example.com", "/regex/" (whole address)',
      'list of sender patterns',
      senderPatternProblem,
    ),
    allow_any_sender: bool(false, 'with an empty allow list, accept every sender (only on a closed network)'),
    require_auth: bool(
      false,
      'mail from outside this host needs an SMTP AUTH login allowed to send as every author (master.cf passes it)',
    ),
    logins,
    login_domain: str(
      '',
      'domain of logins without @ for the own-mailbox rule: login alice sends as alice@<login_domain>',
      domainOrEmpty,
    ),
  },
  send: {
    group: str(
      '',
      'members of this group may fax files with `faxmail send` (through sudo, README "Sending from the ' +
        'shell"); empty: only root and the spool owner',
      { test: (v) => (v === '' ? undefined : userName('group')(v)), type: 'group name or ""' },
    ),
    notify_domain: str(
      '',
      'receipts of `faxmail send` go to <user>@<this domain> unless --notify names an address; empty: ' +
        '<user>@localhost, the local mailbox',
      domainOrEmpty,
    ),
  },
  retry: {
    busy: retry(180, 6, 'far end busy'),
    no_answer: retry(300, 4, 'no answer'),
    congestion: retry(300, 4, 'network congestion or call failure before answer'),
    line_error: retry(300, 3, 'answered, but training or line errors (noise, modem trouble)'),
    dropped: retry(180, 3, 'the call dropped in the middle of the fax'),
    unknown: retry(300, 2, 'any other failure'),
    one_call_per_number: bool(true, 'at most one job per destination number dials at a time'),
  },
  queue: {
    max_calls: int(
      2,
      1,
      1000,
      "simultaneous outbound fax calls: the trunk's fax channels (other jobs wait in faxmail's queue)",
    ),
    count_received: bool(
      true,
      "received faxes on Asterisk's channels take one of max_calls (they come in over the same trunk); false " +
        'when they arrive over other lines',
    ),
    lost_after: int(
      3600,
      300,
      7 * 86400,
      'seconds after a call started before it counts as lost when its call file is gone, no result came and ' +
        "Asterisk's channel list cannot be read (with the list: at once); retried by rule, admin told",
    ),
    sending_hours: str(
      '',
      'local time when calls may start, "08:00-20:00" (a window past midnight, "22:00-06:00", is allowed); ' +
        'empty: any time',
      { test: hoursProblem, type: '"HH:MM-HH:MM" or ""' },
    ),
    sending_days: str(
      'mon-sun',
      'days when calls may start: a range "mon-fri", a list "mon,wed,fri", or both "mon-wed,sat"',
      { test: daysProblem, type: 'day names' },
    ),
    time_zone: str('', 'IANA time zone of sending_hours, e.g. "Asia/Tokyo"; empty: the server\'s local time', {
      test: zoneProblem,
      type: 'time zone or ""',
    }),
    sender_faxes_per_hour: int(
      0,
      0,
      100_000,
      'calls one sender may start in any hour (retries count); more wait their turn in the queue; 0: no limit',
    ),
    sender_pages_per_hour: int(
      0,
      0,
      1_000_000,
      'pages one sender may have dialled in any hour (a bigger fax still goes alone); 0: no limit',
    ),
    sender_max_waiting: int(
      0,
      0,
      100_000,
      'unfinished faxes one sender may have; a mail beyond that bounces with a sentence; 0: no limit',
    ),
    held_alert_after: int(
      86_400,
      60,
      365 * 86400,
      '`faxmail status` exits 1 when a job has been on hold longer than this many seconds',
    ),
    notice_alert_after: int(
      3600,
      60,
      30 * 86400,
      '`faxmail status` exits 1 when a receipt or notice has waited in the outbox longer than this many seconds',
    ),
  },

  notify: {
    from: str(
      'faxmail@localhost',
      'From of receipts and received faxes: "fax@example.com" or "Fax Server <fax@example.com>"',
      { test: fromSettingProblem, type: 'mail address' },
    ),
    locale: oneOf<Locale>(['en', 'ja'], 'en', 'language of receipts: en or ja'),
    attach_pdf: bool(true, 'attach the sent fax as a PDF to the success receipt'),
    admin: str('', 'address told about receives with no page and undeliverable notices; empty: nobody', {
      test: (v) => (v === '' ? undefined : mailbox(v)),
      type: 'mail address or ""',
    }),
    report_empty_receive: bool(false, 'mail the admin when a call delivered no page'),
    copy_to: list(
      [],
      'blind copy of every receipt, failure notice, received fax and admin report to these addresses',
      'list of mail addresses',
      mailbox,
    ),
  },
  inbound: {
    recipients,
    default: list([], 'recipients for numbers not listed above', 'list of mail addresses', mailbox),
    attach_tiff: bool(false, 'attach the TIFF as well as the PDF'),
  },
  archive: {
    directory: path(
      '',
      'keep every sent and received fax here as PDF with a JSON sidecar, by year/month; empty: no archive',
      { mustExist: 'dir', optional: true },
    ),
    keep_days: int(0, 0, 36500, 'days archived faxes are kept (faxmail cleanup); 0: for ever'),
  },
  retention: {
    sent_days: int(
      30,
      0,
      3650,
      'days a finished outgoing job (sent, failed, cancelled: its documents, fax TIFF and record) stays in ' +
        'the spool; 0: removed by the next cleanup',
    ),
    received_days: int(
      30,
      0,
      3650,
      'days a delivered received fax (TIFF, PDF, record) stays in the spool; 0: removed by the next cleanup',
    ),
  },
  asterisk: {
    binary: path(
      '/usr/sbin/asterisk',
      'the asterisk program, used as `asterisk -rx` to hang up the call of a cancelled job; empty: never',
      { mustExist: 'exe', optional: true },
    ),
    config: path('', "Asterisk's asterisk.conf (passed as -C); empty: Asterisk's default /etc/asterisk/asterisk.conf", {
      mustExist: 'file',
      optional: true,
    }),
    cli_timeout: int(10, 1, 120, 'seconds one Asterisk CLI command may take'),
  },
  mail: {
    transport: oneOf<MailTransportKind>(
      ['sendmail', 'smtp', 'directory'],
      'sendmail',
      'sendmail (the local Postfix), smtp, or directory (.eml files, for tests and the demo)',
    ),
    directory: path('', 'with transport = "directory": where the .eml files go', { optional: true }),
    smtp_host: str('localhost', 'SMTP server'),
    smtp_port: int(25, 1, 65535, 'SMTP port'),
    smtp_secure: bool(false, 'TLS from the start (port 465)'),
    smtp_starttls: bool(false, 'require STARTTLS'),
    smtp_user: str('', 'SMTP user; empty: no authentication'),
    smtp_password: str('', 'SMTP password', { secret: true }),
    smtp_timeout: int(30, 1, 600, 'seconds for each SMTP step (connect, greeting, each command)'),
  },
} as const satisfies Record<string, Record<string, Spec<unknown>>>;

type Schema = typeof SCHEMA;
/** The checked configuration, inferred from SCHEMA. */
export type Config = { source: string } & { [S in keyof Schema]: { [K in keyof Schema[S]]: SpecValue<Schema[S][K]> } };

/** Keys that no longer exist, and what to do instead. Setting one is an error that says so. */
export const REMOVED: Readonly<Record<string, string>> = {
  'retry.busy_wait':
    'a job waiting for its number dials as soon as the call before it ends, so there is nothing to wait for; ' +
    'for the pause after a busy signal set retry.busy.after',
  'retry.incompatible':
    'a far end that cannot take the fax (not a fax machine, size, resolution) fails the same way every time, ' +
    'so it is never retried; remove the key',
  'retry.local_error':
    'a fax file this server cannot read fails the same way every time, so it is never retried; remove the key',
  'inbound.keep_days': 'use retention.received_days (received faxes) and retention.sent_days (sent jobs)',
};

/** A generic view of SCHEMA for code that walks it (loader, docs). */
export const SCHEMA_ENTRIES: readonly (readonly [string, readonly (readonly [string, Spec<unknown>])[]])[] =
  Object.entries(SCHEMA).map(
    ([section, keys]) => [section, Object.entries(keys as Record<string, Spec<unknown>>)] as const,
  );
