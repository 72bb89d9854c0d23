/*
 * linesim.ts: run the fax line simulator (tools/linesim) from tests.
 *
 * The simulator is a small C program: a spandsp sender and a spandsp receiver, set up like Asterisk's
 * SendFAX and ReceiveFAX, talk over simulated G.711 audio in simulated time. transmitFax() sends a TIFF
 * through it and returns what each side reported, as Asterisk's FAXOPT() would show it, and leaves the
 * received TIFF where ReceiveFAX would have written it.
 *
 * How it fails: buildLineSim() rejects when make fails (missing gcc or libspandsp-dev); transmitFax()
 * rejects when the simulator exits non-zero (bad option, unreadable input, unwritable output) or prints
 * no result line. A fax that FAILED is a normal result, not a rejection.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from './paths.js';

const lineSimDir = join(repoRoot, 'tools', 'linesim');
export const lineSimPath = join(lineSimDir, 'linesim');

/** One side's view of the call (the fields FAXOPT() offers, plus a few from spandsp's statistics). */
export interface LineSimSide {
  status: 'SUCCESS' | 'FAILED';
  /** spandsp's t30_completion_code_to_str() text; "OK" on success. */
  error: string;
  /** spandsp's T30_ERR_* completion code; 0 on success. */
  code: number;
  /** bits per second of the image modem (14400, 9600, ...). */
  bit_rate: number;
  /** resolution of the last page in dpi, "204x196". */
  resolution: string;
  /** the same in pixels per metre, as FAXOPT(resolution) shows it: "8031x7700". */
  resolution_ppm: string;
  ecm: boolean;
  /** compression used on the line. */
  compression: 'T4_1D' | 'T4_2D' | 'T6' | 'NONE';
  /** width and length in pixels of the last page (spandsp 0.0.6 gives the receiver length 0 once the call is over). */
  width: number;
  length: number;
  local_station_id: string;
  remote_station_id: string;
}

export interface LineSimResult extends LineSimSide {
  /** pages that arrived at the receiver. */
  pages: number;
  /** pages the sender got confirmed. */
  pages_sent: number;
  /** simulated seconds on the line. */
  line_time: number;
  /** true when the --timeout limit ended the call. */
  timed_out: boolean;
  /** what SendFAX would report (the top-level status fields repeat these). */
  sender: LineSimSide & { pages_sent: number; pages_in_file: number };
  /** what ReceiveFAX would report; null when nobody answered. file: whether a received TIFF exists. */
  receiver: (LineSimSide & { pages: number; file: boolean }) | null;
  /** the simulator's stderr (spandsp warnings; its protocol log with verbose). */
  stderr: string;
}

export interface LineSimOptions {
  /** error correction mode on both sides (default true). */
  ecm?: boolean;
  /** line compressions both sides offer (default 'all'). */
  compression?: 't4-1d' | 't4-2d' | 't6' | 'all';
  /** G.711 law on the line (default 'alaw'). */
  law?: 'alaw' | 'ulaw';
  /** sender's TSI, up to 20 printable ASCII characters. */
  senderIdent?: string;
  /** receiver's CSI, up to 20 printable ASCII characters. */
  receiverIdent?: string;
  /** header line the sender prints on top of each page. */
  header?: string;
  /** simulated time limit in seconds (default 600). */
  timeout?: number;
  /** the receiver hangs up after this many simulated seconds. */
  hangupAfter?: number;
  /** the receiver hangs up 2 s after its Nth page arrived. */
  hangupAfterPages?: number;
  /** the receiver supports standard resolution (204x98) only. */
  standardOnly?: boolean;
  /** nobody answers: the sender hears silence until its T.30 timer runs out. */
  noAnswer?: boolean;
  /** white noise on the line in dBm0 (from about -46 up the modems take it for a carrier). */
  noise?: number;
  /** spandsp's protocol log into stderr. */
  verbose?: boolean;
}

let building: Promise<string> | undefined;

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Build tools/linesim/linesim when it is missing or older than its source; returns its path. */
export function buildLineSim(): Promise<string> {
  building ??= (async () => {
    const [bin, src, mk] = await Promise.all([
      mtime(lineSimPath),
      mtime(join(lineSimDir, 'linesim.c')),
      mtime(join(lineSimDir, 'Makefile')),
    ]);
    if (bin === undefined || (src ?? 0) > bin || (mk ?? 0) > bin) {
      const r = await execa('make', ['-C', lineSimDir, 'linesim'], { reject: false, all: true, timeout: 120_000 });
      if (r.exitCode !== 0) throw new Error(`building the line simulator failed (make exit ${r.exitCode}):\n${r.all}`);
    }
    return lineSimPath;
  })();
  // A failed build is not cached: the next caller tries again.
  building.catch(() => (building = undefined));
  return building;
}

/** The simulator's argv for these options (always --name=value, so no value is read as an option). */
export function lineSimArgs(input: string, output: string, opts: LineSimOptions = {}): string[] {
  const args = [`--input=${input}`, `--output=${output}`];
  if (opts.ecm !== undefined) args.push(opts.ecm ? '--ecm' : '--no-ecm');
  if (opts.compression) args.push(`--compression=${opts.compression}`);
  if (opts.law) args.push(opts.law === 'ulaw' ? '--ulaw' : '--alaw');
  if (opts.senderIdent !== undefined) args.push(`--sender-ident=${opts.senderIdent}`);
  if (opts.receiverIdent !== undefined) args.push(`--receiver-ident=${opts.receiverIdent}`);
  if (opts.header !== undefined) args.push(`--header=${opts.header}`);
  if (opts.timeout !== undefined) args.push(`--timeout=${opts.timeout}`);
  if (opts.hangupAfter !== undefined) args.push(`--hangup-after=${opts.hangupAfter}`);
  if (opts.hangupAfterPages !== undefined) args.push(`--hangup-after-pages=${opts.hangupAfterPages}`);
  if (opts.standardOnly) args.push('--standard-only');
  if (opts.noAnswer) args.push('--no-answer');
  if (opts.noise !== undefined) args.push(`--noise=${opts.noise}`);
  if (opts.verbose) args.push('--verbose');
  return args;
}

/** Send input (a TIFF) through the simulated line; the receiver writes what arrived to output. */
export async function transmitFax(input: string, output: string, opts: LineSimOptions = {}): Promise<LineSimResult> {
  const bin = await buildLineSim();
  const r = await execa(bin, lineSimArgs(input, output, opts), { reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) {
    throw new Error(`linesim exited ${r.exitCode ?? r.signal}: ${r.stderr.trim() || '(no message)'}`);
  }
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let parsed: Omit<LineSimResult, 'stderr'>;
  try {
    parsed = JSON.parse(line) as Omit<LineSimResult, 'stderr'>;
  } catch (err) {
    throw new Error(`linesim printed no result line: ${JSON.stringify(r.stdout.slice(0, 200))}`, { cause: err });
  }
  return { ...parsed, stderr: r.stderr };
}
