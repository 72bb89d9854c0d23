/*
 * sysexits.ts: the one table that turns an error code into an exit status and an enhanced mail status.
 * Postfix pipe(8) defers on 75 (and 71) and bounces on everything else; when the first output line begins
 * with an enhanced status code, that code wins. See shared/notes/postfix.md.
 */

export const EX = {
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  NOUSER: 67,
  SOFTWARE: 70,
  OSERR: 71,
  CANTCREAT: 73,
  IOERR: 74,
  TEMPFAIL: 75,
  NOPERM: 77,
  CONFIG: 78,
} as const;

export type ExitStatus = (typeof EX)[keyof typeof EX];

/** Every failure faxmail can report. Each has one row in EXIT_TABLE. */
export type ErrorCode =
  | 'config' // the configuration file is wrong
  | 'usage' // bad command-line arguments
  | 'temporary' // spool not writable, disk full, gs crashed, mail server down: try again later
  | 'internal' // a bug; treated as temporary so nothing is lost
  | 'no-document' // the mail has nothing faxable
  | 'bad-document' // a document is corrupt or cannot be converted
  | 'too-large' // more pages / bytes than allowed
  | 'bad-number' // the destination is not a phone number
  | 'number-refused' // the destination is a number, but policy forbids it
  | 'sender-refused' // the sender may not send faxes
  | 'not-found' // a job or file the admin named does not exist
  | 'not-allowed'; // the user running an admin command may not read or write the spool or log

interface ExitRow {
  /** exit status for the mail pipe (sendfax) */
  pipe: ExitStatus;
  /** exit status for the admin CLI and faxmail-notify */
  cli: ExitStatus;
  /** RFC 3463 enhanced status code printed first so Postfix uses it */
  status: string;
}

const EXIT_TABLE: Readonly<Record<ErrorCode, ExitRow>> = Object.freeze({
  // A typo in the config must not bounce every fax: sendfax defers (75) until the admin fixes it.
  config: { pipe: EX.TEMPFAIL, cli: EX.CONFIG, status: '4.3.5' },
  usage: { pipe: EX.TEMPFAIL, cli: EX.USAGE, status: '4.3.5' },
  temporary: { pipe: EX.TEMPFAIL, cli: EX.TEMPFAIL, status: '4.3.0' },
  internal: { pipe: EX.TEMPFAIL, cli: EX.SOFTWARE, status: '4.3.0' },
  'no-document': { pipe: EX.DATAERR, cli: EX.DATAERR, status: '5.6.0' },
  'bad-document': { pipe: EX.DATAERR, cli: EX.DATAERR, status: '5.6.0' },
  'too-large': { pipe: EX.DATAERR, cli: EX.DATAERR, status: '5.3.4' },
  'bad-number': { pipe: EX.NOUSER, cli: EX.NOUSER, status: '5.1.1' },
  'number-refused': { pipe: EX.NOPERM, cli: EX.NOPERM, status: '5.7.1' },
  'sender-refused': { pipe: EX.NOPERM, cli: EX.NOPERM, status: '5.7.1' },
  'not-found': { pipe: EX.DATAERR, cli: EX.NOINPUT, status: '5.1.1' },
  'not-allowed': { pipe: EX.TEMPFAIL, cli: EX.NOPERM, status: '4.3.0' },
});

/** Exit status for a code, for the pipe (sendfax) or for the interactive commands. */
export function exitStatusFor(code: ErrorCode, surface: 'pipe' | 'cli'): ExitStatus {
  return EXIT_TABLE[code][surface];
}

/** Enhanced status code for a code, e.g. "5.1.1". */
export function enhancedStatusFor(code: ErrorCode): string {
  return EXIT_TABLE[code].status;
}
