/*
 * queue-drain.ts: case 11 of the suite: the dispatcher drains 30 queued faxes through 2 channels on a fake
 * clock (test/helpers/queue-sim.ts, the real dispatcher and retry rules). Line times are measured: faxes of
 * 1 to 6 pages (fine, text pages) are sent through the line simulator (tools/linesim, spandsp over G.711)
 * and each job takes the simulated seconds its page count took, plus call set-up. Four of the 20 numbers
 * answer busy for the first 4 minutes (a busy attempt holds a channel for BUSY_SECONDS, then the job
 * retries by the busy rule, 180 s later). Six senders, one of them with half the jobs.
 *   ideal    = the channel-seconds every call really used (successful line times and busy attempts) / 2
 *   makespan = from the first start to the end of the last call
 * The goal is makespan / ideal <= 1.05: channels are never idle while a job may dial.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeFaxTiff } from '../test/helpers/received-fixtures.js';
import { transmitFax } from '../test/helpers/linesim.js';
import { simulate, type SimJob } from '../test/helpers/queue-sim.js';
import { parseConfig } from '../lib/config/load.js';

/** Dialling, ring-back and the busy tone until Asterisk gives up: the channel time of a busy attempt. */
const BUSY_SECONDS = 8;
/** Dial and answer before the fax handshake starts (not in the line simulator's time). */
const SETUP_SECONDS = 6;

export interface DrainResult {
  lineTimes: Record<number, number>;
  jobs: number;
  calls: number;
  busyCalls: number;
  ideal: number;
  makespan: number;
  ratio: number;
  utilisation: number;
  maxInFlight: number;
}

export async function queueDrain(workDir: string): Promise<DrainResult> {
  const dir = join(workDir, 'queue-drain');
  mkdirSync(dir, { recursive: true });
  const lineTimes: Record<number, number> = {};
  for (const pages of [1, 2, 3, 4, 6]) {
    const tiff = await makeFaxTiff({ pages, dir, resolution: 'fine' });
    const r = await transmitFax(tiff, join(dir, `rx-${pages}.tif`));
    if (r.status !== 'SUCCESS') throw new Error(`linesim: a ${pages}-page fax failed (${r.error})`);
    lineTimes[pages] = r.line_time + SETUP_SECONDS;
  }
  const pagesOf = [1, 2, 1, 3, 1, 2, 4, 1, 6, 2, 1, 3, 2, 1, 1, 4, 2, 1, 3, 6, 1, 2, 1, 3, 2, 1, 4, 1, 2, 3];
  const senders = ['bulk', 'clinic', 'bulk', 'law', 'bulk', 'office', 'bulk', 'logistics', 'bulk', 'school'];
  const numbers = Array.from({ length: 20 }, (_, i) => `0452${String(100000 + i * 37).padStart(6, '0')}`);
  const t0 = Date.parse('2026-12-07T09:00:00Z');
  const jobs: SimJob[] = pagesOf.map((pages, i) => ({
    id: `j${String(i).padStart(2, '0')}`,
    number: numbers[(i * 7) % numbers.length]!,
    sender: senders[i % senders.length]!,
    pages,
    arrival: t0,
    lineTime: lineTimes[pages]!,
  }));
  const busyUntil = new Map(numbers.slice(0, 4).map((n) => [n, t0 + 240_000] as const));
  const config = parseConfig('[paths]\nspool = "/tmp"\n[queue]\nmax_calls = 2\n', 'bench', { checkPaths: false });
  const r = simulate(jobs, t0, {
    settings: {
      maxCalls: 2,
      oneCallPerNumber: true,
      lostAfter: 3600_000,
      window: undefined,
      senderFaxesPerHour: 0,
      senderPagesPerHour: 0,
    },
    rules: config.retry,
    busyUntil,
    busySeconds: BUSY_SECONDS,
    until: t0 + 86_400_000,
  });
  if (r.finished.size !== jobs.length) throw new Error(`only ${r.finished.size} of ${jobs.length} jobs ended`);
  const channelSeconds = r.starts.reduce((n, s) => n + (s.end - s.at) / 1000, 0);
  const ideal = channelSeconds / 2;
  const makespan = (Math.max(...r.starts.map((s) => s.end)) - Math.min(...r.starts.map((s) => s.at))) / 1000;
  return {
    lineTimes,
    jobs: jobs.length,
    calls: r.starts.length,
    busyCalls: r.starts.filter((s) => s.busy).length,
    ideal,
    makespan,
    ratio: makespan / ideal,
    utilisation: r.utilisation,
    maxInFlight: r.maxInFlight,
  };
}
