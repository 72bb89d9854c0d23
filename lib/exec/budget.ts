/*
 * budget.ts: the limits one whole run (one sendfax, one received fax) shares between all the external
 * tools it starts: a wall-clock deadline, and a CPU-time allowance for the converters taken together.
 * Why two limits: wall time measures the machine as much as the document (a healthy letter on an overloaded
 * server is slow), CPU time measures the document (a decompression bomb is slow on an idle server too).
 * So running out of CPU time is the document's fault (65, bounce), running out of wall time is the
 * server's (75, Postfix tries again later). See README "Time limits".
 * Pure bookkeeping; lib/exec/run.ts adds the CPU time of each tool as it samples it.
 */

export interface Budget {
  /** performance.now() value at which the whole run must be over */
  readonly deadline: number;
  /** wall seconds the run was given (for sentences) */
  readonly wallSeconds: number;
  /** CPU milliseconds all tools together may use; Infinity: no CPU limit */
  readonly cpuLimitMs: number;
  /** CPU milliseconds of tools that have ended */
  cpuDoneMs: number;
  /** CPU milliseconds of tools still running, by run id (the latest sample of each) */
  readonly cpuLive: Map<number, number>;
  /** aborted when the deadline passes: running tools are killed, callers stop at their next step */
  readonly signal: AbortSignal;
  /** stop the deadline timer (the run is over) */
  dispose(): void;
}

/** A budget of `wallSeconds` from now, and `cpuSeconds` of tool CPU time (Infinity for none). */
export function createBudget(wallSeconds: number, cpuSeconds = Infinity): Budget {
  const controller = new AbortController();
  const ms = Math.max(0, wallSeconds * 1000);
  const timer = setTimeout(() => controller.abort(new DeadlineExceeded(wallSeconds)), ms);
  // A pending deadline must not keep a finished process alive.
  timer.unref();
  return {
    deadline: performance.now() + ms,
    wallSeconds,
    cpuLimitMs: cpuSeconds * 1000,
    cpuDoneMs: 0,
    cpuLive: new Map(),
    signal: controller.signal,
    dispose: () => clearTimeout(timer),
  };
}

/** Run `fn` under a budget of its own (createBudget's arguments), whose timer stops when `fn` settles. */
export async function withBudget<T>(
  wallSeconds: number,
  cpuSeconds: number,
  fn: (budget: Budget) => Promise<T>,
): Promise<T> {
  const budget = createBudget(wallSeconds, cpuSeconds);
  try {
    return await fn(budget);
  } finally {
    budget.dispose();
  }
}

/** The abort reason of a budget whose deadline passed. */
class DeadlineExceeded extends Error {
  constructor(readonly seconds: number) {
    super(`the run's deadline of ${seconds} s passed`);
    this.name = 'DeadlineExceeded';
  }
}

/** CPU milliseconds used so far by the tools of this budget (ended ones and the latest samples of live ones). */
export function cpuUsedMs(b: Budget): number {
  let sum = b.cpuDoneMs;
  for (const v of b.cpuLive.values()) sum += v;
  return sum;
}

/** Has the run used up its CPU allowance? */
export function cpuExhausted(b: Budget): boolean {
  return cpuUsedMs(b) > b.cpuLimitMs;
}
