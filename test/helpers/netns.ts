/*
 * netns.ts: network namespaces and the link between them, for the SIP trunk tests (sip-bed.ts).
 *
 * createNetns() makes a network namespace with `ip netns add` and brings its loopback up. Its name holds
 * the test process's pid (faxmail-<pid>-<n>-<tag>), so a later test process deletes the namespaces of a
 * process that died (reapStaleNetns(), after killing what still runs inside), and the exit hook deletes
 * this process's own, whatever ends it. Several test processes may hold namespaces at once: each has its
 * own loopback, ports and addresses, so two beds never collide.
 *
 * startWire() joins two namespaces with tools/netwire (a TUN device in each; netwire.c says why not
 * `tc netem`): a point-to-point link 10.64.0.1 <-> 10.64.0.2 whose loss, delay and jitter the test sets
 * at start and may change while calls run; stats() counts what it carried and dropped.
 *
 * Needs root, iproute2 and gcc (netwire is built with make on first use). Throws with the command's output.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from './paths.js';
import { alive } from './process.js';

const NETNS_DIR = '/run/netns';
const PREFIX = 'faxmail-';
const NAME = /^faxmail-(\d+)-\d+-[a-z0-9]+$/;

const mine = new Set<string>();
let seq = 0;
let hooked = false;

function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** Kill every process in namespace `name`, then delete it. Never throws. */
export function deleteNetns(name: string): void {
  try {
    for (const pid of execFileSync('ip', ['netns', 'pids', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  } catch {
    /* no such namespace */
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
  mine.delete(name);
}

/** Delete the namespaces of test processes that are gone. */
function reapStaleNetns(): void {
  if (!existsSync(NETNS_DIR)) return;
  for (const name of readdirSync(NETNS_DIR)) {
    const m = NAME.exec(name);
    if (m && !alive(Number(m[1]))) deleteNetns(name);
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const name of [...mine]) deleteNetns(name);
  });
}

/** A new namespace with its loopback up; `tag` (a-z0-9) says what it is for. */
export function createNetns(tag: string): string {
  if (!/^[a-z0-9]{1,12}$/.test(tag)) throw new Error(`bad namespace tag ${tag}`);
  hook();
  reapStaleNetns();
  seq += 1;
  const name = `${PREFIX}${process.pid}-${seq}-${tag}`;
  ip(['netns', 'add', name]);
  mine.add(name);
  ip(['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** The link's impairment, as netem would put it: loss in percent, delay and jitter in ms. */
export interface LineCondition {
  loss?: number;
  delay?: number;
  jitter?: number;
}

export interface WireStats {
  /** packets from A to B: read, dropped, delivered; then B to A */
  aToB: { in: number; dropped: number; out: number };
  bToA: { in: number; dropped: number; out: number };
}

export interface Wire {
  /** the address of A's end and of B's end */
  a: string;
  b: string;
  set(c: LineCondition): void;
  stats(): Promise<WireStats>;
  stop(): Promise<WireStats | undefined>;
}

export const WIRE_A = '10.64.0.1';
export const WIRE_B = '10.64.0.2';
const WIRE_DIR = join(repoRoot, 'tools', 'netwire');
const WIRE_BIN = join(WIRE_DIR, 'netwire');

let building: Promise<void> | undefined;
function buildWire(): Promise<void> {
  building ??= (async () => {
    const r = await execa('make', ['-s', '-C', WIRE_DIR, 'netwire'], { reject: false, all: true, timeout: 120_000 });
    if (r.exitCode !== 0) throw new Error(`building tools/netwire failed (make exit ${r.exitCode}):\n${r.all}`);
  })();
  building.catch(() => (building = undefined));
  return building;
}

function parseStats(line: string): WireStats {
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  return { aToB: { in: n[0]!, dropped: n[1]!, out: n[2]! }, bToA: { in: n[3]!, dropped: n[4]!, out: n[5]! } };
}

/**
 * Join namespaces `a` and `b` (device `fmwire` in each, addresses WIRE_A and WIRE_B) through netwire,
 * with `condition` from the first packet on. `seed` makes the loss pattern repeatable.
 */
export async function startWire(
  a: string,
  b: string,
  condition: LineCondition = {},
  seed = Date.now() % 1_000_000_007,
): Promise<Wire> {
  await buildWire();
  const args = [
    '--seed',
    String(seed),
    '--loss',
    String(condition.loss ?? 0),
    '--delay',
    String(condition.delay ?? 0),
    '--jitter',
    String(condition.jitter ?? 0),
    a,
    'fmwire',
    b,
    'fmwire',
  ];
  const child: ChildProcess = spawn(WIRE_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const nextLine = (timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolve(queued);
      const t = setTimeout(() => reject(new Error(`netwire said nothing for ${timeoutMs} ms: ${stderr}`)), timeoutMs);
      waiters.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
      void exited.then((code) => {
        clearTimeout(t);
        reject(new Error(`netwire exited (${code}): ${stderr}`));
      });
    });
  // generous: three beds may start at once on a loaded machine
  const ready = await nextLine(30_000);
  if (ready !== 'ready') throw new Error(`netwire: ${ready} ${stderr}`);
  for (const [ns, mine, peer] of [
    [a, WIRE_A, WIRE_B],
    [b, WIRE_B, WIRE_A],
  ] as const) {
    ip(['-n', ns, 'addr', 'add', mine, 'peer', peer, 'dev', 'fmwire']);
    ip(['-n', ns, 'link', 'set', 'fmwire', 'up']);
  }
  let stopped: Promise<WireStats | undefined> | undefined;
  return {
    a: WIRE_A,
    b: WIRE_B,
    set(c) {
      const cmds = [
        c.loss !== undefined ? `loss ${c.loss}` : '',
        c.delay !== undefined ? `delay ${c.delay}` : '',
        c.jitter !== undefined ? `jitter ${c.jitter}` : '',
      ].filter(Boolean);
      child.stdin!.write(cmds.map((x) => `${x}\n`).join(''));
    },
    async stats() {
      child.stdin!.write('stats\n');
      return parseStats(await nextLine(5_000));
    },
    stop() {
      stopped ??= (async () => {
        child.stdin!.end();
        const last = await nextLine(5_000).catch(() => undefined);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
        child.kill('SIGKILL');
        return last?.startsWith('stats') ? parseStats(last) : undefined;
      })();
      return stopped;
    },
  };
}
