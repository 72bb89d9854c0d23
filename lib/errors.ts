/*
 * errors.ts: failures as values. A FaxError carries a code (see sysexits.ts) and one sentence that the
 * person who sent the mail, or the admin, can read. Only bin/ turns a FaxError into an exit status.
 */
import type { ErrorCode } from './sysexits.js';
import { cleanLine } from './text.js';

export class FaxError extends Error {
  readonly code: ErrorCode;
  /** Extra detail for logs (never shown to the sender). */
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, sentence: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(sentence, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FaxError';
    this.code = code;
    this.detail = options?.detail;
  }
}

export function isFaxError(value: unknown): value is FaxError {
  return value instanceof FaxError;
}

/** Node errno codes that mean "the machine is in trouble, try again later". */
const TRANSIENT_ERRNO = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'EIO',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'ENOMEM',
  'EBUSY',
  'ENOENT',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
]);

/**
 * Turn anything thrown into a FaxError. Unknown failures become 'temporary' (I/O) or 'internal' (bugs);
 * both defer the mail, so nothing is lost.
 */
export function toFaxError(err: unknown, what = 'processing the fax'): FaxError {
  if (err instanceof FaxError) return err;
  const errno = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (TRANSIENT_ERRNO.has(errno)) {
    return new FaxError(
      'temporary',
      `A temporary problem on the fax server stopped ${what} (${errno}); it will be tried again.`,
      { cause: err },
    );
  }
  return new FaxError('internal', `An unexpected error on the fax server stopped ${what}; it will be tried again.`, {
    cause: err,
  });
}

/** One printable line from an error's message: no control characters, bounded length. */
export function oneLine(text: string, max = 400): string {
  return cleanLine(text, { max });
}
