/*
 * queue-sim.ts: a fake clock for the dispatcher (lib/queue/dispatch.ts). Jobs arrive, the dispatcher runs
 * on the events that run it in production (a new job from sendfax, a call report, the 30-second timer of
 * `faxmail run`), started calls take their line time, a far end that is busy answers busy after a few
 * seconds and the job retries by the real retry rules (lib/notify/retry.ts). Time advances in whole seconds.
 * Measures, second by second, how many channels are in use and how many could be: used / min(max_calls,
 * in use + jobs that may dial now). Used by test/queue/dispatch.test.ts and the bench.
 */
import { dispatch, type QueueEntry, type QueueSettings, type RecentStart } from '../../lib/queue/dispatch.js';
import { isOpen } from '../../lib/policy/hours.js';
import { decideRetry, type RetryRules } from '../../lib/notify/retry.js';
import type { Attempt } from '../../lib/spool/types.js';

export interface SimJob {
  id: string;
  number: string;
  sender: string;
  pages: number;
  /** ms */
  arrival: number;
  /** seconds on the line for a successful call */
  lineTime: number;
}

export interface SimOptions {
  settings: QueueSettings;
  rules: RetryRules;
  /** far ends that answer busy until this time (ms) */
  busyUntil?: Map<string, number>;
  /** seconds a busy attempt holds a channel (dial, ring back, busy tone) */
  busySeconds?: number;
  /** seconds between `faxmail run` timer runs */
  timerSeconds?: number;
  /** ms; the simulation stops when every job is final or at this time */
  until: number;
}

export interface SimStart {
  job: string;
  sender: string;
  number: string;
  at: number;
  end: number;
  busy: boolean;
}

export interface SimResult {
  starts: SimStart[];
  /** ms when the last job became final */
  makespanEnd: number;
  finished: Map<string, 'sent' | 'failed'>;
  /** channel-seconds used / channel-seconds that could have been used while work could dial */
  utilisation: number;
  usedSeconds: number;
  demandSeconds: number;
  maxInFlight: number;
}

interface State {
  job: SimJob;
  state: 'queued' | 'dialling' | 'sent' | 'failed';
  notBefore: number;
  attempts: Attempt[];
  callEnd?: number;
  busyCall?: boolean;
}

export function simulate(jobs: readonly SimJob[], first: number, o: SimOptions): SimResult {
  const busySeconds = o.busySeconds ?? 8;
  const timer = (o.timerSeconds ?? 30) * 1000;
  const states = new Map<string, State>();
  const recent: RecentStart[] = [];
  const starts: SimStart[] = [];
  const finished = new Map<string, 'sent' | 'failed'>();
  let used = 0;
  let demand = 0;
  let maxInFlight = 0;
  let end = first;
  const pending = [...jobs].sort((a, b) => a.arrival - b.arrival);

  const runDispatcher = (now: number): void => {
    const entries: QueueEntry[] = [];
    for (const st of states.values()) {
      if (st.state !== 'queued' && st.state !== 'dialling') continue;
      entries.push({
        id: st.job.id,
        number: st.job.number,
        sender: st.job.sender,
        pages: st.job.pages,
        state: st.state,
        notBefore: st.notBefore,
        created: st.job.arrival,
        callFilePresent: true,
      });
    }
    const plan = dispatch({ jobs: entries, recent, settings: o.settings, now });
    for (const id of plan.start) {
      const st = states.get(id)!;
      const busy = (o.busyUntil?.get(st.job.number) ?? -Infinity) > now;
      st.state = 'dialling';
      st.notBefore = now;
      st.busyCall = busy;
      st.callEnd = now + (busy ? busySeconds : st.job.lineTime) * 1000;
      recent.push({ sender: st.job.sender, pages: st.job.pages, at: now });
      starts.push({ job: id, sender: st.job.sender, number: st.job.number, at: now, end: st.callEnd, busy });
    }
  };

  for (let now = first; now <= o.until; now += 1000) {
    let event = false;
    // Calls that end now report (faxmail-notify): record, decide, then the dispatcher runs.
    for (const st of states.values()) {
      if (st.state !== 'dialling' || st.callEnd! > now) continue;
      event = true;
      const n = st.attempts.length + 1;
      const attempt: Attempt = st.busyCall
        ? {
            n,
            at: new Date(now).toISOString(),
            status: 'UNANSWERED',
            class: 'busy',
            error: 'busy',
            reason: 5,
            pages: 0,
            rate: 0,
            resolution: '',
            remoteStationId: '',
          }
        : {
            n,
            at: new Date(now).toISOString(),
            status: 'SUCCESS',
            class: '',
            error: '',
            pages: st.job.pages,
            rate: 14400,
            resolution: '204x196',
            remoteStationId: '',
          };
      st.attempts.push(attempt);
      const d = decideRetry(st.attempts, o.rules, new Date(now));
      if (!st.busyCall) st.state = 'sent';
      else if (d.retry) {
        st.state = 'queued';
        st.notBefore = d.at.getTime();
      } else st.state = 'failed';
      if (st.state === 'sent' || st.state === 'failed') {
        finished.set(st.job.id, st.state);
        end = Math.max(end, now);
      }
    }
    // New mail (sendfax ends with a dispatcher run).
    while (pending.length && pending[0]!.arrival <= now) {
      const job = pending.shift()!;
      states.set(job.id, { job, state: 'queued', notBefore: job.arrival, attempts: [] });
      event = true;
    }
    if (event || (now - first) % timer === 0) runDispatcher(now);

    // Measure this second.
    let inFlight = 0;
    const busyNumbers = new Set<string>();
    for (const st of states.values()) {
      if (st.state === 'dialling') {
        inFlight++;
        busyNumbers.add(st.job.number);
      }
    }
    let couldDial = 0;
    const counted = new Set<string>();
    if (isOpen(o.settings.window, now)) {
      for (const st of states.values()) {
        if (st.state !== 'queued' || st.notBefore > now) continue;
        if (o.settings.oneCallPerNumber && (busyNumbers.has(st.job.number) || counted.has(st.job.number))) continue;
        counted.add(st.job.number);
        couldDial++;
      }
    }
    used += inFlight;
    demand += Math.min(o.settings.maxCalls, inFlight + couldDial);
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (pending.length === 0 && finished.size === jobs.length) break;
  }
  return {
    starts,
    makespanEnd: end,
    finished,
    utilisation: demand === 0 ? 1 : used / demand,
    usedSeconds: used,
    demandSeconds: demand,
    maxInFlight,
  };
}
