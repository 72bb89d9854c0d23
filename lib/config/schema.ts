/*
 * schema.ts: every configuration key, its type and its default, in one declarative table.
 * The loader (load.ts) checks a parsed TOML document against this table: unknown keys, wrong types and
 * missing directories are reported with the key's dotted name. Keep faxmail.example.toml in step
 * (test/config/example.test.ts checks that every key here is documented there).
 */

export type Resolution = 'standard' | 'fine' | 'superfine';
export type Paper = 'a4' | 'letter';
export type Compression = 'g3' | 'g4';
export type MailTransportKind = 'sendmail' | 'smtp' | 'directory';
export type Locale = 'en' | 'ja';

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

/** Outcome classes of an outbound attempt (see lib/notify/classify.ts). */
export const RETRY_CLASSES = ['busy', 'no_answer', 'congestion', 'line_error', 'dropped', 'incompatible', 'local_error', 'unknown'] as const;
export type RetryClass = (typeof RETRY_CLASSES)[number];

export interface Config {
  /** where the file was read from ('' for built-in defaults) */
  source: string;
  paths: {
    spool: string;
    outgoing: string;
    tmp: string;
    log: string;
    gs: string;
    tiff2pdf: string;
    tiffinfo: string;
    sendmail: string;
    libreoffice: string;
    tnef: string;
    body_font: string;
    templates: string;
  };
  callfile: {
    owner: string;
    group: string;
    channel: string;
    context: string;
    extension: string;
    caller_id: string;
    wait_time: number;
    archive: boolean;
  };
  fax: {
    resolution: Resolution;
    paper: Paper;
    compression: Compression;
    max_pages: number;
    max_documents: number;
    convert_timeout: number;
    body_page: boolean;
    min_image_bytes: number;
    parallel: number;
    dither: boolean;
    cover_page: boolean;
  };
  numbers: {
    rewrite: RewriteRule[];
    allow: string[];
    deny: string[];
    min_digits: number;
    max_digits: number;
  };
  senders: {
    allow: string[];
    allow_any_sender: boolean;
  };
  retry: Record<RetryClass, RetryRule> & {
    one_call_per_number: boolean;
    busy_wait: number;
  };
  notify: {
    from: string;
    locale: Locale;
    attach_pdf: boolean;
    admin: string;
    report_empty_receive: boolean;
    copy_to: string[];
  };
  inbound: {
    recipients: Record<string, string[]>;
    default: string[];
    keep_days: number;
    attach_tiff: boolean;
  };
  archive: {
    directory: string;
    keep_days: number;
  };
  asterisk: {
    binary: string;
    config: string;
    cli_timeout: number;
  };
  mail: {
    transport: MailTransportKind;
    directory: string;
    smtp_host: string;
    smtp_port: number;
    smtp_secure: boolean;
    smtp_starttls: boolean;
    smtp_user: string;
    smtp_password: string;
    smtp_timeout: number;
  };
}

/** How a key's value is checked. */
export type KeyType =
  | { kind: 'string' }
  | { kind: 'path'; mustExist?: 'dir' | 'file' | 'exe'; optional?: boolean }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'strings' }
  | { kind: 'address' }
  | { kind: 'addresses' }
  | { kind: 'regexes' }
  | { kind: 'rewrites' }
  | { kind: 'retry' }
  | { kind: 'recipients' };

export interface KeySpec {
  type: KeyType;
  default: unknown;
  /** one line for the example file and the README */
  doc: string;
}

const s = (d: string, doc: string): KeySpec => ({ type: { kind: 'string' }, default: d, doc });
const int = (d: number, min: number, max: number, doc: string): KeySpec => ({ type: { kind: 'int', min, max }, default: d, doc });
const bool = (d: boolean, doc: string): KeySpec => ({ type: { kind: 'bool' }, default: d, doc });
const path = (d: string, mustExist: 'dir' | 'file' | 'exe' | undefined, doc: string, optional = false): KeySpec => ({
  type: mustExist ? { kind: 'path', mustExist, optional } : { kind: 'path', optional },
  default: d,
  doc,
});
const retry = (after: number, max: number, doc: string): KeySpec => ({ type: { kind: 'retry' }, default: { after, max_attempts: max }, doc });

/** section -> key -> spec. Order here is the order of the example file. */
export const SCHEMA: Readonly<Record<string, Readonly<Record<string, KeySpec>>>> = {
  paths: {
    spool: path('/var/spool/faxmail', 'dir', 'faxmail spool: jobs/, inbound/, outbox/ live here; writable by the Asterisk user'),
    outgoing: path('/var/spool/asterisk/outgoing', 'dir', "Asterisk's outgoing call-file directory"),
    tmp: path('/var/spool/asterisk/faxmail-tmp', 'dir', 'where call files are written before the rename; must be on the same filesystem as outgoing'),
    log: path('/var/log/faxmail/faxmail.log', undefined, "log file (JSON lines); '-' logs to stderr"),
    gs: path('/usr/bin/gs', 'exe', 'Ghostscript binary'),
    tiff2pdf: path('/usr/bin/tiff2pdf', 'exe', 'tiff2pdf from libtiff-tools (TIFF documents and received faxes)'),
    tiffinfo: path('/usr/bin/tiffinfo', 'exe', 'tiffinfo from libtiff-tools (decodes every page to validate the fax)'),
    sendmail: path('/usr/sbin/sendmail', undefined, 'sendmail binary used when mail.transport = "sendmail"'),
    libreoffice: path('/usr/bin/soffice', 'exe', "LibreOffice's soffice for .docx/.xlsx/.pptx/.odt/.doc/.rtf (Debian: libreoffice-writer-nogui etc.); empty or not installed: office files are refused with a note", true),
    tnef: path('/usr/bin/tnef', 'exe', 'tnef, to unpack winmail.dat; empty: winmail.dat is refused with a note', true),
    body_font: path('/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf', 'file', 'TrueType font for the body page (must cover Japanese if you fax Japanese text)', true),
    templates: path('', 'dir', 'directory with your own mail templates (see lib/notify/templates/README.md); empty: the built-in ones', true),
  },
  callfile: {
    owner: s('asterisk', 'user that owns the call files (Asterisk must be able to rewrite them)'),
    group: s('asterisk', 'group of the call files'),
    channel: s('PJSIP/{number}@trunk', 'channel to dial; {number} is replaced by the validated, rewritten number'),
    context: s('faxmail-send', 'dialplan context that sends the fax (asterisk/extensions_faxmail.conf)'),
    extension: s('send', 'extension in that context'),
    caller_id: s('', 'caller id for the call, e.g. "Office Fax" <0312345678>; empty: the trunk default'),
    wait_time: int(45, 5, 300, 'seconds to let the far end ring'),
    archive: bool(false, 'keep finished call files in outgoing_done/'),
  },
  fax: {
    resolution: { type: { kind: 'enum', values: ['standard', 'fine', 'superfine'] }, default: 'fine', doc: 'standard (204x98), fine (204x196) or superfine (204x391)' },
    paper: { type: { kind: 'enum', values: ['a4', 'letter'] }, default: 'a4', doc: 'page size the content is fitted to: a4 or letter' },
    compression: { type: { kind: 'enum', values: ['g3', 'g4'] }, default: 'g4', doc: 'TIFF compression handed to Asterisk: g4 (smaller) or g3' },
    max_pages: int(100, 1, 10000, 'refuse a fax with more pages than this'),
    max_documents: int(20, 1, 1000, 'refuse a mail with more faxable attachments than this'),
    convert_timeout: int(120, 5, 3600, 'seconds Ghostscript may spend on one mail before it is refused'),
    body_page: bool(false, 'render the mail body as the first page (per mail: +body in the Subject)'),
    min_image_bytes: int(8192, 0, 10_000_000, 'inline images smaller than this many bytes (signature logos) are skipped'),
    parallel: int(0, 0, 64, 'Ghostscript processes per fax for big documents; 0: one per CPU core'),
    dither: bool(false, 'halftone grey and colour areas (photos) instead of the default threshold'),
    cover_page: bool(false, 'put a cover page first: recipient, sender, date, pages, subject, the mail text as a note (per mail: +cover / +nocover)'),
  },
  numbers: {
    rewrite: { type: { kind: 'rewrites' }, default: [], doc: 'dial rules applied in order to the normalised number, e.g. [{ match = "^\\\\+81", replace = "0" }]' },
    allow: { type: { kind: 'regexes' }, default: ['^0[1-9][0-9]{5,13}$'], doc: 'a rewritten number must match one of these patterns' },
    deny: { type: { kind: 'regexes' }, default: ['^00', '^0(90|900|190|137|138)'], doc: 'a rewritten number matching any of these is refused (premium rate, international)' },
    min_digits: int(3, 1, 32, 'fewest digits a number may have'),
    max_digits: int(20, 1, 32, 'most digits a number may have'),
  },
  senders: {
    allow: { type: { kind: 'strings' }, default: [], doc: 'who may send: "user@example.com", "@example.com" (domain), "/regex/"' },
    allow_any_sender: bool(false, 'with an empty allow list, accept every sender (only on a closed network)'),
  },
  retry: {
    busy: retry(180, 6, 'far end busy'),
    no_answer: retry(300, 4, 'no answer'),
    congestion: retry(300, 4, 'network congestion or call failure before answer'),
    line_error: retry(300, 3, 'answered, but training or line errors (noise, modem trouble)'),
    dropped: retry(180, 3, 'the call dropped in the middle of the fax'),
    incompatible: retry(0, 1, 'the far end cannot receive this fax (not a fax, size, resolution): never retried'),
    local_error: retry(0, 1, 'the fax file could not be read on this server: never retried'),
    unknown: retry(300, 2, 'any other failure'),
    one_call_per_number: bool(true, 'at most one job per destination number dials at a time'),
    busy_wait: int(60, 5, 3600, 'seconds a job waits while another job dials the same number'),
  },
  notify: {
    from: s('faxmail@localhost', 'From address of receipts and received faxes'),
    locale: { type: { kind: 'enum', values: ['en', 'ja'] }, default: 'en', doc: 'language of receipts: en or ja' },
    attach_pdf: bool(true, 'attach the sent fax as a PDF to the success receipt'),
    admin: { type: { kind: 'address' }, default: '', doc: 'address told about receives with no page and undeliverable notices; empty: nobody' },
    report_empty_receive: bool(false, 'mail the admin when a call delivered no page'),
    copy_to: { type: { kind: 'addresses' }, default: [], doc: 'blind copy of every receipt, failure notice, received fax and admin report to these addresses' },
  },
  inbound: {
    recipients: { type: { kind: 'recipients' }, default: {}, doc: 'received faxes by dialled number: { "0312345678" = ["a@example.com", "b@example.com"] }' },
    default: { type: { kind: 'addresses' }, default: [], doc: 'recipients for numbers not listed above' },
    keep_days: int(30, 0, 3650, 'days received TIFF and PDF stay in the spool (faxmail cleanup)'),
    attach_tiff: bool(false, 'attach the TIFF as well as the PDF'),
  },
  archive: {
    directory: path('', 'dir', 'keep every sent and received fax here as PDF with a JSON sidecar, by year/month; empty: no archive', true),
    keep_days: int(0, 0, 36500, 'days archived faxes are kept (faxmail cleanup); 0: for ever'),
  },
  asterisk: {
    binary: path('/usr/sbin/asterisk', 'exe', "the asterisk program, used as `asterisk -rx` to hang up the call of a cancelled job; empty: never", true),
    config: path('', 'file', "Asterisk's asterisk.conf (passed as -C); empty: Asterisk's default /etc/asterisk/asterisk.conf", true),
    cli_timeout: int(10, 1, 120, 'seconds one Asterisk CLI command may take'),
  },
  mail: {
    transport: { type: { kind: 'enum', values: ['sendmail', 'smtp', 'directory'] }, default: 'sendmail', doc: 'sendmail (the local Postfix), smtp, or directory (.eml files, for tests and the demo)' },
    directory: path('', undefined, 'with transport = "directory": where the .eml files go', true),
    smtp_host: s('localhost', 'SMTP server'),
    smtp_port: int(25, 1, 65535, 'SMTP port'),
    smtp_secure: bool(false, 'TLS from the start (port 465)'),
    smtp_starttls: bool(false, 'require STARTTLS'),
    smtp_user: s('', 'SMTP user; empty: no authentication'),
    smtp_password: s('', 'SMTP password'),
    smtp_timeout: int(30, 1, 600, 'seconds for each SMTP step (connect, greeting, each command)'),
  },
};
