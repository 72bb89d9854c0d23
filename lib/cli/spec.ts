/*
 * spec.ts: the three commands' arguments, declared once. The parser (parser.ts, yargs), `--help`, the man
 * pages (man.ts: faxmail(8), sendfax(8), faxmail-notify(8)) and bash completion (completion.ts) are all
 * made from these definitions, so they cannot disagree. Pure data; no imports beyond types.
 * faxmail-notify's flag names are a contract with asterisk/extensions_faxmail.conf: do not rename them.
 */

export const VERSION = '0.1.0';

export interface OptionSpec {
  name: string;
  alias?: string;
  /** string options take exactly one value, the next argument as it is (even "" or "-x") */
  type: 'string' | 'boolean';
  /** placeholder in synopses, e.g. FILE */
  value?: string;
  describe: string;
  required?: boolean;
  /** completion hint */
  complete?: 'file' | 'job' | 'key';
}

export interface PositionalSpec {
  name: string;
  describe: string;
  required: boolean;
  /** more than one value */
  variadic?: boolean;
  complete?: 'job' | 'key' | 'file';
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** longer text for the man page */
  details?: string;
  positionals?: PositionalSpec[];
  options: OptionSpec[];
}

export interface ProgramSpec {
  name: 'faxmail' | 'sendfax' | 'faxmail-notify';
  summary: string;
  /** man page DESCRIPTION paragraphs */
  description: string[];
  /** options of the program itself (sendfax) or taken by every subcommand */
  options: OptionSpec[];
  commands: CommandSpec[];
  exit: [number | string, string][];
  examples: [string, string][];
  seeAlso: string[];
}

const config: OptionSpec = {
  name: 'config',
  type: 'string',
  value: 'FILE',
  describe: 'configuration file (default: $FAXMAIL_CONFIG, else /etc/faxmail/faxmail.toml)',
  complete: 'file',
};
const json: OptionSpec = { name: 'json', type: 'boolean', describe: 'print JSON instead of text' };
const help: OptionSpec = { name: 'help', alias: 'h', type: 'boolean', describe: 'print this help and exit' };
const version: OptionSpec = { name: 'version', type: 'boolean', describe: 'print the version and exit' };
/** Every program takes these. */
const COMMON_OPTIONS: readonly OptionSpec[] = [config, help, version];

/** The one argument of the commands that act on a job. */
const jobArg: PositionalSpec = {
  name: 'job',
  describe: 'job id, or a unique prefix of one (at least 4 characters)',
  required: true,
  complete: 'job',
};

const ROOT_NOTE =
  'Started as root, it switches to the owner of the spool (paths.spool, normally the Asterisk user: its uid, ' +
  'primary group and supplementary groups) before it touches the spool or the log, so files stay owned ' +
  'by that user; it refuses to run, saying how to run it, when the spool is missing.';

export const FAXMAIL: ProgramSpec = {
  name: 'faxmail',
  summary: 'administer the faxmail mail-to-fax and fax-to-mail gateway',
  description: [
    "faxmail is the administrator's command of the faxmail gateway: it lists jobs, received faxes and mails " +
      "waiting in the outbox, holds, releases, retries and cancels jobs, runs the queue (the timer's " +
      '`faxmail run`), sends the outbox, removes what the [retention] settings no longer keep, checks the ' +
      'configuration and the whole installation. faxmail send faxes files from the shell.',
    'JOB is a job id or a unique prefix of one, at least 4 characters.',
    'Times are printed in local time. Every listing takes --json for scripts and monitoring.',
    ROOT_NOTE,
  ],
  options: [...COMMON_OPTIONS],
  commands: [
    {
      name: 'status',
      summary: 'jobs by state, mails waiting in the outbox, received faxes, call reports, and what needs the admin',
      details:
        'The exit status is 1 when something needs the admin (the "needs attention" list: a lost call, a job ' +
        'held too long, a receipt or notice that cannot be sent, a call report that cannot be matched or ' +
        'was not applied, an unreadable record, a received fax nobody got), so monitoring can run it.',
      options: [json],
    },
    {
      name: 'show',
      summary: 'one job and its attempts',
      positionals: [jobArg],
      options: [{ ...json, describe: 'print the job record as it is' }],
    },
    {
      name: 'list',
      summary: 'jobs, one a line',
      options: [
        {
          name: 'state',
          type: 'string',
          value: 'STATE',
          describe: 'only jobs in this state: queued, dialling, held, sent, failed or cancelled',
        },
        {
          name: 'since',
          type: 'string',
          value: 'TIME',
          describe: 'only jobs changed since TIME: 45m, 2h, 3d or a date',
        },
        json,
      ],
    },
    {
      name: 'run',
      summary:
        "the queue's timer run (every 30 s): apply stored call reports, finish what a crash interrupted, give " +
        'up lost calls, start queued faxes while a channel is free, retry pending receipts, flush the ' +
        'outbox',
      details:
        'Installed as the systemd timer faxmail-run.timer (or a cron.d line). Safe to run by hand at any time ' +
        'and as often as you like: everything it does is idempotent. The exit status is 75 when ' +
        'something could not be done (it is tried again next time).',
      options: [],
    },
    {
      name: 'retry',
      summary:
        'dial again now: a queued or held job at once (when a channel and its number are free), a failed job once more',
      positionals: [jobArg],
      options: [],
    },
    {
      name: 'hold',
      summary: 'keep a queued job from dialling until it is released',
      positionals: [jobArg],
      options: [],
    },
    {
      name: 'release',
      summary: 'let a held job dial again',
      positionals: [jobArg],
      options: [],
    },
    {
      name: 'received',
      summary: 'received faxes: when, to which number, from whom, pages, to whom they were mailed',
      options: [json],
    },
    {
      name: 'cancel',
      summary:
        'cancel a job: a call file Asterisk has not started is taken back, a call on the line is hung up (the ' +
        'next job for that number dials when it has ended); the sender is told',
      positionals: [jobArg],
      options: [],
    },
    {
      name: 'send',
      summary:
        'fax files from the shell: PDF, TIFF, JPEG, PNG or office documents, through the same number rules, ' +
        'conversion, queue and receipts as a mail to fax+NUMBER@',
      details:
        'The files are faxed in the order given, as one fax. The receipt (or the failure notice) is mailed to ' +
        '--notify, else to the local mailbox of the user who ran the command (<user>@send.notify_domain, ' +
        'or <user>@localhost). Who may use it: root, the owner of the spool, and members of the group ' +
        'named by send.group. A member of that group runs it as themselves: faxmail reads the files with ' +
        'their rights and hands them to `faxmail submit` as the spool owner through sudo (the rule ' +
        'scripts/install.sh writes to /etc/sudoers.d/faxmail). Everyone else is refused (77). With ' +
        '--wait it follows the job to its end and exits 0 only when the fax was sent; Ctrl-C stops ' +
        'waiting, not the fax.',
      positionals: [
        {
          name: 'number',
          describe:
            'the fax number, written as in fax+NUMBER@ (spaces, dashes, dots, brackets and a leading + are fine)',
          required: true,
        },
        {
          name: 'file',
          describe: 'the documents, faxed in this order',
          required: true,
          variadic: true,
          complete: 'file',
        },
      ],
      options: [
        {
          name: 'notify',
          type: 'string',
          value: 'ADDR',
          describe: 'mail the receipt or failure notice to ADDR (default: your local mailbox)',
        },
        {
          name: 'subject',
          type: 'string',
          value: 'TEXT',
          describe: 'the subject shown in the receipt and on the cover page',
        },
        {
          name: 'resolution',
          type: 'string',
          value: 'RES',
          describe: 'standard, fine or superfine (default: fax.resolution)',
        },
        {
          name: 'cover',
          type: 'boolean',
          describe: 'put a cover page first (recipient, sender, date, pages, subject, note)',
        },
        { name: 'no-cover', type: 'boolean', describe: 'no cover page, even when fax.cover_page is true' },
        {
          name: 'to',
          type: 'string',
          value: 'NAME',
          describe: 'the recipient named on the cover page, e.g. "Dr. Tanaka"',
        },
        { name: 'note', type: 'string', value: 'TEXT', describe: 'a note on the cover page (implies --cover)' },
        {
          name: 'wait',
          type: 'boolean',
          describe: 'follow the job to its end; exit 0 only when the fax was sent, 1 when it was not',
        },
      ],
    },
    {
      name: 'submit',
      summary:
        'read a fax request (options and files) on standard input: what faxmail send hands over through sudo ' +
        'for members of send.group; not for direct use',
      details:
        'Run as the spool owner by sudo, from the wrapper $LIBEXECDIR/faxmail-submit, which names the ' +
        'configuration itself: the user who ran faxmail send (SUDO_USER) must be root, the spool owner ' +
        'or a member of send.group. Exit status as for send.',
      options: [],
    },
    { name: 'flush', summary: 'send the receipts and received faxes waiting in the outbox', options: [] },
    {
      name: 'cleanup',
      summary: 'remove finished jobs and received faxes older than the [retention] settings',
      details:
        'Finished jobs (sent, failed, cancelled) go retention.sent_days after their last change, delivered ' +
        'received faxes retention.received_days after delivery. Jobs still waiting, mails still in the ' +
        'outbox and received faxes not yet delivered are never removed.',
      options: [{ name: 'dry-run', type: 'boolean', describe: 'only list what would be removed' }, json],
    },
    {
      name: 'check-config',
      summary:
        'check the configuration: every problem with file:line:column and key; users, groups and permissions ' +
        'too; then print the number rules in effect and where each came from (numbers.country)',
      options: [],
    },
    {
      name: 'config',
      summary: 'print the configuration in force, one section.key = value line each (like postconf)',
      positionals: [
        {
          name: 'key',
          describe: 'only these keys or sections (e.g. fax.resolution, retry)',
          required: false,
          variadic: true,
          complete: 'key',
        },
      ],
      options: [
        {
          name: 'non-default',
          alias: 'n',
          type: 'boolean',
          describe: 'only the keys set in the file (like postconf -n)',
        },
        { name: 'defaults', alias: 'd', type: 'boolean', describe: 'the built-in defaults, ignoring the file' },
        json,
      ],
    },
    {
      name: 'doctor',
      summary: 'check a live installation end to end: one line per check with a fix for each failure',
      details:
        'Checks the configuration, Node, Ghostscript, the libtiff tools, tnef and the font, the directories ' +
        'and their permissions for the Asterisk user, Postfix (postconf, postmap -q: the master.cf ' +
        'service, transport map, recipient_delimiter, recipient limit, time limit, relay_domains), ' +
        'Asterisk when it is running (asterisk -rx: res_fax_spandsp, the faxmail contexts, globals, the ' +
        'outgoing directory), a dry run of a built-in sample mail through sendfax, and the queue timer ' +
        '(faxmail run finished within the last 5 minutes). The exit status is 0 when every check passed, ' +
        '1 when one only warns, 2 when one failed: usable from monitoring.',
      options: [
        {
          name: 'domain',
          type: 'string',
          value: 'DOMAIN',
          describe: 'the fax mail domain to test the transport map with (default: from the transport map)',
        },
        {
          name: 'postfix-config',
          type: 'string',
          value: 'DIR',
          describe: 'Postfix configuration directory (default: the system one)',
          complete: 'file',
        },
        {
          name: 'asterisk-config',
          type: 'string',
          value: 'FILE',
          describe: "Asterisk's asterisk.conf, for a private instance (default: the system one)",
          complete: 'file',
        },
        {
          name: 'skip',
          type: 'string',
          value: 'GROUPS',
          describe: 'comma-separated check groups to leave out: postfix, asterisk, sample, queue',
        },
        json,
      ],
    },
  ],
  exit: [
    [0, 'done (send: queued; send --wait: sent)'],
    [
      1,
      'status: something needs the admin; doctor: a check warned; send --wait: the fax was not sent (failed ' +
        'or cancelled)',
    ],
    [2, 'doctor: a check failed'],
    [64, 'wrong arguments'],
    [65, 'send: a file cannot be faxed (not a document faxmail knows, or damaged)'],
    [66, 'no such job; send: a file does not exist or cannot be read'],
    [67, 'send: not a fax number'],
    [75, 'a temporary problem (also: mails still waiting after a flush that failed)'],
    [
      77,
      'not allowed: the spool or log cannot be read or written by this user; send: this user may not fax, or ' +
        'the number is refused',
    ],
    [78, 'the configuration has a problem'],
    [130, 'send --wait: interrupted while waiting (the fax goes on)'],
  ],
  examples: [
    ['faxmail send --wait 03-1234-5678 invoice.pdf', 'fax a PDF and wait until it went through'],
    ['faxmail status', 'what is waiting, what is in the outbox, what needs you'],
    ['faxmail list --state queued', 'the faxes waiting for a channel, their number or their time'],
    ['faxmail config -n', 'the settings your file changes'],
    ['faxmail doctor --json', 'every check, for monitoring'],
  ],
  seeAlso: ['sendfax(8)', 'faxmail-notify(8)', 'faxmail.toml(5)', 'postconf(1)', 'asterisk(8)'],
};

export const SENDFAX: ProgramSpec = {
  name: 'sendfax',
  summary: 'queue one mail as a fax (the Postfix pipe(8) delivery agent of faxmail)',
  description: [
    'Postfix runs sendfax from master.cf for mail to fax+NUMBER@your fax domain, one recipient per run, as ' +
      'the Asterisk user. It reads the mail on standard input, checks the sender and the number, converts ' +
      "the documents into one fax TIFF and queues the job for Asterisk. It lives in faxmail's libexec " +
      "directory, not on PATH, so it does not shadow HylaFAX's or mgetty's sendfax.",
    'The first output line starts with an enhanced status code and a sentence the sender can read; Postfix ' +
      'puts it into the bounce.',
    ROOT_NOTE,
  ],
  options: [
    {
      name: 'sender',
      type: 'string',
      value: 'ADDR',
      describe: 'envelope sender (${sender} in master.cf)',
      required: true,
    },
    { name: 'recipient', type: 'string', value: 'ADDR', describe: 'envelope recipient (${recipient})', required: true },
    {
      name: 'extension',
      type: 'string',
      value: 'NUMBER',
      describe: 'the address extension, the number to dial (${extension}); default: from the recipient',
    },
    {
      name: 'client-address',
      type: 'string',
      value: 'IP',
      describe:
        "the SMTP client's address (${client_address}; empty: submitted on this host); needed by senders.require_auth",
    },
    {
      name: 'sasl-user',
      type: 'string',
      value: 'LOGIN',
      describe: 'the SMTP AUTH login (${sasl_username}; empty: no login); needed by senders.require_auth',
    },
    {
      name: 'dry-run',
      type: 'boolean',
      describe: 'check and convert, print one JSON line, and keep nothing: no job, no call file',
    },
    {
      name: 'save-tiff',
      type: 'string',
      value: 'FILE',
      describe: 'with --dry-run: write the fax TIFF to FILE (which must not exist)',
      complete: 'file',
    },
    ...COMMON_OPTIONS,
  ],
  commands: [],
  exit: [
    [0, 'queued'],
    [65, 'no faxable document, or a damaged one (bounces)'],
    [67, 'not a fax number (bounces)'],
    [75, 'a temporary problem, a configuration error or wrong arguments: Postfix defers the mail and tries again'],
    [77, 'sender or number refused (bounces)'],
  ],
  examples: [
    [
      'sendfax --dry-run --sender a@example.com --recipient fax+0312345678@fax.example.com < mail.eml',
      'see what a mail would become',
    ],
  ],
  seeAlso: ['faxmail(8)', 'faxmail-notify(8)', 'faxmail.toml(5)', 'pipe(8)', 'master(5)'],
};

const s = (name: string, describe: string, required = true): OptionSpec => ({
  name,
  type: 'string',
  value: name.toUpperCase().replace(/-/g, '_'),
  describe,
  required,
});
const resultOptions = [
  s('status', 'FAXOPT(status): SUCCESS or FAILED'),
  s('error', 'FAXOPT(error)'),
  s('pages', 'FAXOPT(pages)'),
  s('rate', 'FAXOPT(rate), bit/s'),
  s('resolution', 'FAXOPT(resolution)'),
  s('remote-id', 'FAXOPT(remotestationid)'),
];

export const FAXMAIL_NOTIFY: ProgramSpec = {
  name: 'faxmail-notify',
  summary: 'record the result of a fax call (run by the faxmail Asterisk dialplan)',
  description: [
    "Asterisk's dialplan (asterisk/extensions_faxmail.conf) runs faxmail-notify at the end of every fax call: " +
      'for a sent fax (hangup handler), an unanswered call (the failed extension) and a received fax. A ' +
      "call report is first stored as it is in the spool's reports/ directory, then applied: the result " +
      "recorded, a retry queued by its rule, the queue's dispatcher run, the receipt mailed. It lives in " +
      "faxmail's libexec directory.",
    'Every option takes exactly one value, the next argument as it is, so an empty or dash-led value from the ' +
      'far end is a value, never an option; a value it cannot read is kept and shown as unknown. It also ' +
      'sends mail waiting in the outbox, for at most 5 seconds.',
    ROOT_NOTE,
  ],
  options: [...COMMON_OPTIONS],
  commands: [
    {
      name: 'sent',
      summary: 'the result of an answered outgoing call',
      options: [
        s('job', 'job id'),
        s('attempt', 'attempt number'),
        ...resultOptions,
        s('mode', 'FAXMODE: T38 or audio (what the line carried)', false),
        s('duration', 'call seconds', false),
      ],
    },
    {
      name: 'unanswered',
      summary: 'an outgoing call that was not answered',
      options: [s('job', 'job id'), s('attempt', 'attempt number'), s('reason', '${REASON} of the failed extension')],
    },
    {
      name: 'received',
      summary: 'a received fax',
      options: [
        s('id', 'inbound id (the TIFF name)'),
        s('did', 'the dialled number'),
        s('caller-num', 'CALLERID(num)'),
        s('caller-name', 'CALLERID(name)'),
        ...resultOptions,
        s('mode', 'FAXMODE: T38 or audio (what the line carried)', false),
        s('duration', 'call seconds', false),
      ],
    },
    { name: 'flush', summary: 'send the mails waiting in the outbox', options: [] },
    {
      name: 'next',
      summary: 'wait until Asterisk has ended the call of a call file, then start the calls its end lets dial',
      details:
        'faxmail-notify starts this itself, in the background, after a call report (the reporting call still ' +
        'holds its trunk channel until the dialplan is done). It gives up after 5 minutes; faxmail run ' +
        'does the same work every 30 s.',
      options: [s('after', 'the call file of the call that reported, e.g. faxmail-<job>-<attempt>.call')],
    },
  ],
  exit: [
    [
      0,
      'done (also a duplicate report, a report stored for later, a report about a job that is gone, and a ' +
        'mail queued in the outbox)',
    ],
    [64, 'wrong arguments'],
    [75, 'a temporary problem'],
    [78, 'the configuration has a problem'],
  ],
  examples: [['faxmail-notify flush', 'send what waits in the outbox']],
  seeAlso: ['faxmail(8)', 'sendfax(8)', 'faxmail.toml(5)'],
};

export const PROGRAMS: readonly ProgramSpec[] = [FAXMAIL, SENDFAX, FAXMAIL_NOTIFY];
