/*
 * dispatch.ts: who may dial now. A pure function from the queue's state and `now` to actions; the thin
 * part that reads the spool and carries the actions out under the spool lock is apply.ts.
 *
 * Rules, in the order they are applied:
 *   1. lost: a dialling job whose call file is gone and whose result has not come is given up as a lost
 *      attempt (the caller records it; retried by rule). Asterisk removes a call file only after the whole
 *      call, the dialplan's report included, so a file that is gone means the call is over; the caller has
 *      applied every report stored before it looked (apply.ts). Only a call file removed by hand while its
 *      call is still on would be wrong, so: when Asterisk's channel list was read (`live` known), a job
 *      with no live channel is lost at once; when it could not be read, only `lost_after` after its call
 *      started. A lost job stops holding its channel and its number in this same pass.
 *   2. channels: at most `maxCalls` calls at once (the trunk's fax channels), counting dialling jobs, calls
 *      whose result is in but whose call Asterisk has not finished (`finishing`: the dialplan runs
 *      faxmail-notify before it hangs up and removes the call file), and calls we know of outside the
 *      spool (`extraCalls`, e.g. received faxes seen on Asterisk's channels).
 *   3. one call per number: a number with a dialling or finishing job (or listed in `busyNumbers`) gets
 *      no second call.
 *   4. a job dials only when due (`notBefore`: its first moment, or the time its retry rule gave it) and
 *      inside the sending window (hours.ts); held jobs never dial.
 *   5. per-sender limits over the last hour (calls started, pages dialled; retries count). A sender over a
 *      limit waits: the mail was accepted by the sender checks already, so bouncing it would throw away a
 *      fax we promised to send, and the hour frees up by itself. (Too many faxes *waiting* for one sender
 *      bounce at sendfax instead: queue.sender_max_waiting.)
 *   6. fair turns: each free channel goes to the sender whose last call started longest ago (never: first),
 *      and within a sender to its oldest job. One person's mailing of 200 faxes takes one channel in turn
 *      with everyone else, not all of them.
 * The answer also says, for every job that waits, why and until when it cannot dial by the clock alone,
 * and `wakeAt`, the earliest moment the clock alone could let a waiting job dial.
 */
import { isOpen, nextOpen, type SendingWindow } from '../policy/hours.js';

export interface QueueSettings {
  maxCalls: number;
  oneCallPerNumber: boolean;
  /** ms */
  lostAfter: number;
  window: SendingWindow | undefined;
  senderFaxesPerHour: number;
  senderPagesPerHour: number;
}

export interface QueueEntry {
  id: string;
  number: string;
  /** who the fair turns and limits count by (lower-cased address) */
  sender: string;
  pages: number;
  state: 'queued' | 'dialling' | 'held';
  /** ms: earliest start (queued), or when the call started (dialling) */
  notBefore: number;
  /** ms: order within a sender */
  created: number;
  /** dialling only: is the call file still in Asterisk's outgoing dir (the call is waiting, ringing or on)? */
  callFilePresent?: boolean;
  /** dialling only: does Asterisk's channel list show a channel of this job? undefined: the list was not read */
  live?: boolean;
}

/** A call whose report has been applied while Asterisk still holds its call file (it is hanging up). */
export interface FinishingCall {
  job: string;
  number: string;
}

/** A call start within the last hour (also those of jobs already finished). */
export interface RecentStart {
  sender: string;
  pages: number;
  at: number;
}

export interface DispatchInput {
  jobs: readonly QueueEntry[];
  recent: readonly RecentStart[];
  settings: QueueSettings;
  now: number;
  /** numbers busy outside the spool's view */
  busyNumbers?: ReadonlySet<string>;
  /** calls on the trunk that are not dialling jobs */
  extraCalls?: number;
  /** calls that have reported but not yet ended on Asterisk (see rule 2) */
  finishing?: readonly FinishingCall[];
}

export type WaitReason = 'channels' | 'number' | 'not-due' | 'hours' | 'sender-limit' | 'held';

export interface Wait {
  job: string;
  reason: WaitReason;
  /** ms when the clock alone lets it go (not for channels, number, held) */
  until?: number;
}

export interface DispatchPlan {
  /** jobs to move to dialling now, in this order */
  start: string[];
  /** dialling jobs to give up as lost attempts */
  lost: string[];
  waits: Wait[];
  /** ms: the earliest moment a waiting job could become startable by the clock alone */
  wakeAt?: number;
  /** channels in use after the plan is carried out */
  inFlight: number;
}

const HOUR = 3_600_000;

export function dispatch(input: DispatchInput): DispatchPlan {
  const { settings: s, now } = input;
  const lost: string[] = [];
  const busy = new Set(input.busyNumbers ?? []);
  let inFlight = input.extraCalls ?? 0;
  for (const f of input.finishing ?? []) {
    inFlight++;
    busy.add(f.number);
  }
  for (const j of input.jobs) {
    if (j.state !== 'dialling') continue;
    if (!j.callFilePresent && (j.live === false || (j.live === undefined && now - j.notBefore >= s.lostAfter))) {
      lost.push(j.id);
      continue;
    }
    inFlight++;
    busy.add(j.number);
  }

  // Starts in the last hour, per sender, grow as this pass starts calls.
  const recent = new Map<string, RecentStart[]>();
  for (const r of input.recent) {
    if (now - r.at >= HOUR || r.at > now) continue;
    const list = recent.get(r.sender) ?? [];
    list.push(r);
    recent.set(r.sender, list);
  }
  const lastTurn = (sender: string): number => Math.max(-Infinity, ...(recent.get(sender) ?? []).map((r) => r.at));

  /** When may `j` start as far as the sender's hourly limits go (now, or later)? */
  const senderFreeAt = (j: QueueEntry): number => {
    const list = (recent.get(j.sender) ?? []).slice().sort((a, b) => a.at - b.at);
    let at = now;
    if (s.senderFaxesPerHour > 0 && list.length >= s.senderFaxesPerHour) {
      at = Math.max(at, list[list.length - s.senderFaxesPerHour]!.at + HOUR);
    }
    if (s.senderPagesPerHour > 0) {
      // Drop the oldest starts until this job fits; a fax bigger than the limit goes alone in its hour.
      let pages = list.reduce((n, r) => n + r.pages, 0);
      for (const r of list) {
        if (pages === 0 || pages + j.pages <= s.senderPagesPerHour) break;
        pages -= r.pages;
        at = Math.max(at, r.at + HOUR);
      }
    }
    return at;
  };

  const waits = new Map<string, Wait>();
  const candidates: QueueEntry[] = [];
  for (const j of input.jobs) {
    if (j.state === 'held') {
      waits.set(j.id, { job: j.id, reason: 'held' });
      continue;
    }
    if (j.state !== 'queued') continue;
    if (j.notBefore > now) {
      waits.set(j.id, { job: j.id, reason: 'not-due', until: nextOpen(s.window, j.notBefore) ?? j.notBefore });
      continue;
    }
    if (!isOpen(s.window, now)) {
      const until = nextOpen(s.window, now);
      waits.set(j.id, until === undefined ? { job: j.id, reason: 'hours' } : { job: j.id, reason: 'hours', until });
      continue;
    }
    candidates.push(j);
  }

  const start: string[] = [];
  const taken = new Set<string>();
  while (inFlight < s.maxCalls) {
    let best: QueueEntry | undefined;
    let bestTurn = 0;
    for (const j of candidates) {
      if (taken.has(j.id)) continue;
      if (s.oneCallPerNumber && busy.has(j.number)) continue;
      const freeAt = senderFreeAt(j);
      if (freeAt > now) {
        waits.set(j.id, { job: j.id, reason: 'sender-limit', until: nextOpen(s.window, freeAt) ?? freeAt });
        continue;
      }
      const turn = lastTurn(j.sender);
      // Longest since the sender's last call first; then the oldest job; then the id, so the order is total.
      if (
        !best ||
        turn < bestTurn ||
        (turn === bestTurn && (j.created < best.created || (j.created === best.created && j.id < best.id)))
      ) {
        best = j;
        bestTurn = turn;
      }
    }
    if (!best) break;
    taken.add(best.id);
    waits.delete(best.id);
    start.push(best.id);
    inFlight++;
    busy.add(best.number);
    const list = recent.get(best.sender) ?? [];
    list.push({ sender: best.sender, pages: best.pages, at: now });
    recent.set(best.sender, list);
  }
  for (const j of candidates) {
    if (taken.has(j.id) || waits.has(j.id)) continue;
    waits.set(j.id, { job: j.id, reason: s.oneCallPerNumber && busy.has(j.number) ? 'number' : 'channels' });
  }
  const plan: DispatchPlan = { start, lost, waits: [...waits.values()], inFlight };
  const clock = plan.waits.map((w) => w.until).filter((t): t is number => t !== undefined && t > now);
  if (clock.length) plan.wakeAt = Math.min(...clock);
  return plan;
}
