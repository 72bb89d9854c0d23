/*
 * wait.ts: the one way tests wait. `waitUntil` polls a check until it answers or a deadline passes, so a test
 * waits as long as the machine needs and no longer, and a timeout says what never happened. `sleep` is for
 * the few places where the pause itself is the point (a lock held a while, a deliberate delay); each caller
 * says why in a comment.
 */

/** Resolve after `ms` milliseconds. Not for waiting on an event: use waitUntil. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Call `check` every `everyMs` until it returns something other than undefined, null or false, and return
 * that. An error thrown by `check` counts as "not yet" (a file read half-written, a server still starting);
 * the last one is quoted if the deadline passes. Past `timeoutMs` the wait fails naming `what`.
 */
export async function waitUntil<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message ?? String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

/** `work`, or a failure naming `what` if it has not settled after `timeoutMs` (a hang fails instead of stalling). */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
