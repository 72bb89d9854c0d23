/*
 * limits.ts: the two sentences for a run that hit one of its limits (lib/exec/budget.ts), so every step of
 * sendfax says the same thing: the wall-clock deadline is the server's trouble (75: the mail waits in
 * Postfix's queue and is tried again), the CPU allowance is the document's (65: bounced at once).
 */
import { FaxError, oneLine } from '../errors.js';
import type { Budget } from './budget.js';

function seconds(s: number): string {
  const n = Math.round(s * 10) / 10;
  return `${n} second${n === 1 ? '' : 's'}`;
}

/** The run's deadline passed: the machine is too slow or too busy right now. */
export function deadlineError(budget: Budget): FaxError {
  return new FaxError(
    'temporary',
    `The fax server is too busy to convert this mail now (it took longer than ` +
      `${seconds(budget.wallSeconds)}); it will be tried again later.`,
    {
      detail: { deadlineSec: budget.wallSeconds },
    },
  );
}

/** The converters used up the run's CPU allowance on `document`: it is too costly to convert. */
export function cpuError(budget: Budget, document: string): FaxError {
  const name = oneLine(document, 80) || 'attachment';
  return new FaxError(
    'bad-document',
    `The document "${name}" needs more than ${seconds(budget.cpuLimitMs / 1000)} of computing time to ` +
      `convert; it may be damaged or too complex.`,
    {
      detail: { document, cpuLimitSec: budget.cpuLimitMs / 1000 },
    },
  );
}

/** Throw the deadline error if the run's deadline has passed (checked between steps). */
export function checkDeadline(budget: Budget | undefined): void {
  if (budget?.signal.aborted) throw deadlineError(budget);
}
