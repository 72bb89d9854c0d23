/*
 * log.ts: pino loggers writing one JSON line per step. Every job line carries `job`.
 * Never log a message body or attachment content: only sizes, names (bounded) and ids.
 * sendfax must not write logs to stderr (Postfix would put them in the bounce), so when the log file
 * cannot be opened it falls back to `fallback` ('none' for the mail pipe, 'stderr' for the admin CLI).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(file: string, name: string, fallback: 'stderr' | 'none' = 'none', level = 'info'): Logger {
  const base = { name, pid: process.pid };
  if (file === '-')
    return pino({ base, level, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
  try {
    mkdirSync(dirname(file), { recursive: true });
    // sync: our processes are short-lived and must not lose the last lines on exit.
    const dest = pino.destination({ dest: file, sync: true, append: true, mkdir: true });
    return pino({ base, level, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  } catch {
    if (fallback === 'stderr')
      return pino({ base, level, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
    return pino({ base, level: 'silent' });
  }
}

/** A logger that writes nothing, for library calls made without one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
