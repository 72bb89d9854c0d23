/*
 * outcome.ts: turn a command's result or error into the exit status and the text printed for Postfix
 * or the admin. Pure; bin/ prints and exits. Postfix puts up to 4096 bytes of output into the bounce,
 * newlines becoming spaces, and an enhanced status code at the start wins over the exit status.
 */
import { toFaxError, oneLine } from '../errors.js';
import { exitStatusFor, enhancedStatusFor, type ExitStatus } from '../sysexits.js';

export interface Outcome {
  status: ExitStatus;
  text: string;
}

/** Bounce text limit, with room for Postfix's own words. */
const MAX_REPLY_BYTES = 3900;

/** The failure text: one line "<enhanced status> <sentence>", bounded; for the mail pipe without server paths. */
export function failureOutcome(err: unknown, surface: 'pipe' | 'cli'): Outcome {
  const e = toFaxError(err);
  const sentence = surface === 'pipe' ? withoutPaths(e.message) : e.message;
  return {
    status: exitStatusFor(e.code, surface),
    text: boundBytes(`${enhancedStatusFor(e.code)} ${oneLine(sentence, 600)}`, MAX_REPLY_BYTES) + '\n',
  };
}

/**
 * Every absolute path in `text` cut to its last part ("/etc/faxmail/faxmail.toml" -> "faxmail.toml").
 * What sendfax prints goes into bounces and delay notices, which the sender reads: the server's layout is
 * none of their business (the log has the full paths). A last safety net: sentences are written without
 * paths in the first place.
 */
export function withoutPaths(text: string): string {
  return text.replace(
    /(^|[\s("'=:,[])\/(?:[^\s/"'(),;[\]]+\/)*([^\s/"'(),;[\]]*)/g,
    (_m, before: string, last: string) => `${before}${last || '…'}`,
  );
}

function boundBytes(text: string, max: number): string {
  const buf = Buffer.from(text);
  if (buf.length <= max) return text;
  // Cut on a character boundary.
  let cut = buf.subarray(0, max - 3).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return cut + '...';
}
