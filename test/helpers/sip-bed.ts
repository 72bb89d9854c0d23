/*
 * sip-bed.ts: faxmail's Asterisk and "the carrier" (a second Asterisk: the phone network and the fax
 * machines on it) joined by a SIP trunk, for test/sip/ and the bench.
 *
 * startSipBed() makes two network namespaces and joins them with netwire (netns.ts): faxmail's side is
 * 10.64.0.1, the carrier 10.64.0.2, and the link loses, delays and jitters packets as the test says
 * (signalling and media alike, as `tc netem` on the trunk would). Then, in parallel:
 *   - faxmail's bed (asterisk-bed.ts, inside the first namespace) with the shipped template byte for byte,
 *     README's SIP trunk lines (asterisk-config.ts renderPjsipTrunk(), renderTrunkContext()) and
 *     callfile.channel = PJSIP/{number}@trunk, as an admin sets it. Mail goes to .eml files (mailDir): the
 *     namespace has no route to an SMTP server on the host.
 *   - the carrier (inside the second namespace): PJSIP endpoint `faxmail` (T.38 with redundancy: a carrier
 *     with a T.38 gateway) and `faxmail-audio` (the same customer without T.38: a re-INVITE to T.38 gets 488).
 * Far ends behind the carrier (the number's first three digits pick one; farNumber() makes fresh ones):
 *   t38       a fax machine behind the carrier's T.38 gateway: answers, plays CED, asks for T.38
 *             (re-INVITE); if faxmail refuses, goes on as audio (ReceiveFAX option f)
 *   audio     a fax machine on a G.711-only path: never asks for T.38 (ReceiveFAX option F)
 *   busy      486 Busy Here
 *   dropOnce  the first call to the number is answered and ends 2 s later, while faxmail's SendFAX still
 *             waits for the switch to T.38 (T38_NEG_ERROR); later calls reach a `t38` fax machine
 * Each far-end call logs "carrier farend: done <number> status .. error .. pages .. mode T38|audio" and
 * keeps the received TIFF as <farendDir>/<number>-<uniqueid>.tif.
 * Inbound faxes: receive() drops a call file on the carrier: Channel PJSIP/<did>@faxmail (or
 * @faxmail-audio), a caller number unique to the call, and SendFAX of the test's TIFF on the answered leg
 * (option f: T.38 when faxmail asks for it and the endpoint has it, else audio);
 * faxmail's Asterisk gets the call on its trunk and [from-trunk] sends it to [faxmail-receive].
 *
 * stop() stops both Asterisks, the link and the namespaces; a test process that dies leaves nothing either
 * (exit hooks, and the reaping of beds and namespaces whose process is gone). Needs root.
 */
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LogSlice,
  OWNER_FILE,
  ensureAsteriskUser,
  launchAsterisk,
  parseLog,
  reapStaleBeds,
  startBed,
  type AsteriskProcess,
  type Bed,
  type BedOptions,
} from './asterisk-bed.js';
import {
  EMPTY_CONFIGS,
  PJSIP_MODULES,
  TRUNK_DIDS,
  renderAsteriskConf,
  renderIndicationsConf,
  renderLoggerConf,
  renderModulesConf,
  renderPjsipTrunk,
  renderTrunkContext,
  type AsteriskDirs,
} from './asterisk-config.js';
import { WIRE_A, WIRE_B, createNetns, deleteNetns, startWire, type LineCondition, type Wire } from './netns.js';
import { readInboundRecord, type InboundRecord } from '../../lib/inbound/record.js';
import { spoolPaths } from '../../lib/spool/jobs.js';
import { waitUntil } from './wait.js';

export type SipFarEnd = 't38' | 'audio' | 'busy' | 'dropOnce';
const PREFIX: Readonly<Record<SipFarEnd, string>> = { t38: '041', audio: '042', busy: '043', dropOnce: '044' };
/** the far ends' station id */
export const CARRIER_STATION = '+81 4 1234 0000';

let seq = 0;
/** A fresh number that reaches far end `kind` through the carrier (10 digits: the bed's numbers.allow). */
export function farNumber(kind: SipFarEnd): string {
  seq += 1;
  return `${PREFIX[kind]}${String((process.pid % 1000) * 10000 + seq).padStart(7, '0')}`;
}

export interface SipBedOptions {
  name?: string;
  /** faxmail's trunk has T.38 (README's endpoint; default) or not (t38_udptl left out) */
  t38?: boolean;
  /** the link from the first packet on (change it later with wire.set()) */
  line?: LineCondition;
  /** seed of the link's random loss and jitter (default: from the clock; logged by the test) */
  seed?: number;
  /** faxmail.toml sections, as startBed() takes them */
  sections?: BedOptions['sections'];
}

/** One call a far end (or a calling machine) had, from the carrier's log. */
export interface CarrierCall {
  number: string;
  status: string;
  error: string;
  pages: number;
  /** T38 or audio: what the trunk carried */
  mode: string;
}

export interface SipInboundCall {
  did: string;
  /** the carrier's path to faxmail has T.38 (endpoint faxmail) or not (faxmail-audio: 488 to a re-INVITE) */
  t38: boolean;
  tiff: string;
  station?: string;
  callerName?: string;
}

export interface Carrier {
  root: string;
  astConf: string;
  logFile: string;
  farendDir: string;
  bootProblems: string[];
  rx(command: string): Promise<string>;
  mark(): LogSlice;
}

export interface SipBed {
  faxmail: Bed;
  carrier: Carrier;
  wire: Wire;
  seed: number;
  /** the calls far end `number` had, in order (from the carrier's log) */
  farEndCalls(number: string): CarrierCall[];
  /** the TIFFs far end `number` received, oldest first */
  farEndTiffs(number: string): string[];
  /** place an inbound call; resolves to the caller number that identifies it */
  receive(call: SipInboundCall): Promise<string>;
  /** the calling machine's view of the inbound call from `callerNum` (once it ended) */
  callerCalls(callerNum: string): CarrierCall[];
  /** faxmail's record of the inbound call from `callerNum`, once it is final */
  inboundRecord(callerNum: string, timeoutMs: number): Promise<InboundRecord>;
  stop(): Promise<void>;
}

// NoOp("<channel>", "carrier farend: done ...") in new stack
const DONE = /carrier (farend|caller): done (\d+) status (\S*) error (.*?) pages (\d*) mode (\w*)"\)/;

function callsIn(logFile: string, who: 'farend' | 'caller', number: string): CarrierCall[] {
  if (!existsSync(logFile)) return [];
  const out: CarrierCall[] = [];
  for (const l of parseLog(readFileSync(logFile, 'utf8'))) {
    const m = DONE.exec(l.text);
    if (m && m[1] === who && m[2] === number)
      out.push({ number, status: m[3]!, error: m[4]!.trim(), pages: Number(m[5] || 0), mode: m[6]! });
  }
  return out;
}

function carrierPjsip(): string {
  const endpoint = (name: string, t38: boolean): string[] => [
    `[${name}]`,
    'type = endpoint',
    'transport = transport-udp',
    'context = carrier-in',
    'aors = faxmail',
    'disallow = all',
    'allow = alaw',
    'direct_media = no',
    ...(t38 ? ['t38_udptl = yes', 't38_udptl_ec = redundancy', 't38_udptl_maxdatagram = 400'] : []),
    '',
  ];
  return [
    '; the carrier (test/helpers/sip-bed.ts)',
    '[transport-udp]',
    'type = transport',
    'protocol = udp',
    'bind = 0.0.0.0:5060',
    '',
    "; faxmail through the carrier's T.38 gateway",
    ...endpoint('faxmail', true),
    '; faxmail through a part of the network without T.38',
    ...endpoint('faxmail-audio', false),
    '[faxmail]',
    'type = aor',
    `contact = sip:${WIRE_A}:5060`,
    '',
    '[faxmail]',
    'type = identify',
    'endpoint = faxmail',
    `match = ${WIRE_A}`,
    '',
  ].join('\n');
}

function carrierExtensions(farend: string, calls: string): string {
  const done = (who: string): string =>
    `NoOp(carrier ${who}: done \${FAREND_NUM} status \${FAXOPT(status)} error \${FAXOPT(error)} pages ` +
    `\${FAXOPT(pages)} mode \${FAXMODE})`;
  const fax = (kind: SipFarEnd, options: string): string[] => [
    `exten => _${PREFIX[kind]}XXXXXXX,1,NoOp(carrier farend: ${kind} fax answers \${EXTEN})`,
    ' same => n,Set(FAREND_NUM=${EXTEN})',
    ' same => n,Answer()',
    ` same => n,Set(FAXOPT(localstationid)=${CARRIER_STATION})`,
    ` same => n,ReceiveFAX(\${CARRIER_FAREND}/\${EXTEN}-\${UNIQUEID}.tif${options})`,
    ' same => n,Hangup()',
  ];
  return [
    '; the carrier and the far ends behind it (test/helpers/sip-bed.ts)',
    '[globals]',
    `CARRIER_FAREND=${farend}`,
    `CARRIER_CALLS=${calls}`,
    '',
    '; calls from faxmail: the number picks the far end',
    '[carrier-in]',
    ...fax('t38', ',f'),
    ...fax('audio', ',F'),
    `exten => _${PREFIX.dropOnce}XXXXXXX,1,NoOp(carrier farend: dropOnce answers \${EXTEN})`,
    ' same => n,Set(FAREND_NUM=${EXTEN})',
    ' same => n,Set(FILE(${CARRIER_CALLS}/${EXTEN},,,a)=x)',
    ' same => n,GotoIf($[${LEN(${FILE(${CARRIER_CALLS}/${EXTEN})})} > 1]?fax)',
    ' same => n,Answer()',
    ' same => n,Wait(2)',
    ' same => n,Hangup()',
    ' same => n(fax),Answer()',
    ` same => n,Set(FAXOPT(localstationid)=${CARRIER_STATION})`,
    ' same => n,ReceiveFAX(${CARRIER_FAREND}/${EXTEN}-${UNIQUEID}.tif,f)',
    ' same => n,Hangup()',
    `exten => _${PREFIX.busy}XXXXXXX,1,NoOp(carrier farend: busy \${EXTEN})`,
    ' same => n,Busy(5)',
    `exten => h,1,${done('farend')}`,
    '',
    '; calls to faxmail (call files): the answered leg is the calling fax machine',
    '[carrier-tx]',
    'exten => _X.,1,NoOp(carrier caller: ${EXTEN} sends)',
    ' same => n,Set(FAREND_NUM=${EXTEN})',
    ' same => n,Set(FAXOPT(localstationid)=${TX_STATION})',
    ' same => n,SendFAX(${TX_TIFF},f)',
    ' same => n,Hangup()',
    `exten => h,1,${done('caller')}`,
    '',
  ].join('\n');
}

interface StartedCarrier extends Carrier {
  process: AsteriskProcess;
  outgoing: string;
  staging: string;
}

async function startCarrier(netns: string, name: string): Promise<StartedCarrier> {
  const user = ensureAsteriskUser();
  const root = mkdtempSync(join(tmpdir(), `faxmail-bed-carrier-${name}-`));
  chmodSync(root, 0o755);
  writeFileSync(join(root, OWNER_FILE), String(process.pid));
  const ast = join(root, 'asterisk');
  const dirs: AsteriskDirs = {
    etc: join(ast, 'etc'),
    run: join(ast, 'run'),
    spool: join(ast, 'spool'),
    log: join(ast, 'log'),
    lib: join(ast, 'lib'),
    cache: join(ast, 'cache'),
  };
  const farendDir = join(root, 'farend');
  const outgoing = join(dirs.spool, 'outgoing');
  const staging = join(dirs.spool, 'staging');
  const tx = join(root, 'tx');
  const calls = join(root, 'calls');
  for (const d of [...Object.values(dirs), farendDir, outgoing, staging, tx, calls])
    mkdirSync(d, { recursive: true, mode: 0o755 });
  for (const d of [ast, ...Object.values(dirs).filter((d) => d !== dirs.etc), farendDir, outgoing, staging, calls])
    chownSync(d, user.uid, user.gid);
  const astConf = join(dirs.etc, 'asterisk.conf');
  writeFileSync(astConf, renderAsteriskConf(dirs));
  // func_env: FILE() for dropOnce
  writeFileSync(join(dirs.etc, 'modules.conf'), renderModulesConf([...PJSIP_MODULES, 'func_env']));
  writeFileSync(join(dirs.etc, 'logger.conf'), renderLoggerConf());
  writeFileSync(join(dirs.etc, 'indications.conf'), renderIndicationsConf());
  for (const f of EMPTY_CONFIGS) writeFileSync(join(dirs.etc, f), '');
  writeFileSync(join(dirs.etc, 'pjsip.conf'), carrierPjsip());
  writeFileSync(join(dirs.etc, 'extensions.conf'), carrierExtensions(farendDir, calls));
  for (const f of readdirSync(dirs.etc)) chmodSync(join(dirs.etc, f), 0o644);
  const logFile = join(dirs.log, 'full');
  try {
    const p = await launchAsterisk({ root, astConf, runDir: dirs.run, logFile, netns });
    return {
      root,
      astConf,
      logFile,
      farendDir,
      bootProblems: p.bootProblems,
      rx: p.rx,
      mark: () => new LogSlice(logFile, existsSync(logFile) ? readFileSync(logFile).length : 0),
      process: p,
      outgoing,
      staging,
    };
  } catch (err) {
    if (!process.env['FAXMAIL_E2E_KEEP']) rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

let callerSeq = 0;

/** Start a SIP bed (see the header). */
export async function startSipBed(options: SipBedOptions = {}): Promise<SipBed> {
  if (process.getuid?.() !== 0)
    throw new Error('the SIP test bed must run as root (network namespaces, the asterisk user)');
  const name = options.name ?? 'sip';
  const seed = options.seed ?? Math.floor(Math.random() * 1_000_000_000);
  reapStaleBeds();
  const nsF = createNetns('fax');
  const nsC = createNetns('carrier');
  let wire: Wire | undefined;
  const started: { faxmail?: Bed; carrier?: StartedCarrier } = {};
  const cleanup = async (): Promise<void> => {
    await Promise.all([
      started.faxmail?.stop().catch(() => undefined),
      started.carrier?.process.stop().catch(() => undefined),
    ]);
    if (started.carrier && !process.env['FAXMAIL_E2E_KEEP'])
      rmSync(started.carrier.root, { recursive: true, force: true });
    await wire?.stop().catch(() => undefined);
    deleteNetns(nsF);
    deleteNetns(nsC);
  };
  try {
    wire = await startWire(nsF, nsC, options.line ?? {}, seed);
    const t38 = options.t38 ?? true;
    const [faxmail, carrier] = await Promise.allSettled([
      startBed({
        name,
        netns: nsF,
        channel: 'PJSIP/{number}@trunk',
        modules: PJSIP_MODULES,
        asteriskFiles: { 'pjsip.conf': renderPjsipTrunk({ carrier: WIRE_B, port: 5060, codec: 'alaw', t38 }) },
        extensions: renderTrunkContext(TRUNK_DIDS),
        mailDir: true,
        ...(options.sections ? { sections: options.sections } : {}),
      }),
      startCarrier(nsC, name),
    ]);
    if (faxmail.status === 'fulfilled') started.faxmail = faxmail.value;
    if (carrier.status === 'fulfilled') started.carrier = carrier.value;
    if (faxmail.status === 'rejected') throw faxmail.reason;
    if (carrier.status === 'rejected') throw carrier.reason;
  } catch (err) {
    await cleanup();
    throw err;
  }
  const fm = started.faxmail!;
  const c = started.carrier!;
  const user = ensureAsteriskUser();
  return {
    faxmail: fm,
    carrier: c,
    wire: wire!,
    seed,
    farEndCalls: (number) => callsIn(c.logFile, 'farend', number),
    farEndTiffs: (number) =>
      readdirSync(c.farendDir)
        .filter((f) => f.startsWith(`${number}-`) && f.endsWith('.tif'))
        .sort(
          (a, b) =>
            Number(a.slice(number.length + 1, -4).split('.')[0]) - Number(b.slice(number.length + 1, -4).split('.')[0]),
        )
        .map((f) => join(c.farendDir, f)),
    async receive(call) {
      callerSeq += 1;
      const callerNum = `09${String((process.pid % 1000) * 100000 + callerSeq).padStart(8, '0')}`;
      const tiff = join(c.root, 'tx', `${callerNum}.tif`);
      copyFileSync(call.tiff, tiff);
      chmodSync(tiff, 0o644);
      const lines = [
        `Channel: PJSIP/${call.did}@${call.t38 ? 'faxmail' : 'faxmail-audio'}`,
        `CallerID: "${call.callerName ?? 'Sender Co'}" <${callerNum}>`,
        'WaitTime: 30',
        'MaxRetries: 0',
        'Context: carrier-tx',
        `Extension: ${callerNum}`,
        'Priority: 1',
        `Setvar: TX_TIFF=${tiff}`,
        `Setvar: TX_STATION=${call.station ?? CARRIER_STATION}`,
        '',
      ];
      const staged = join(c.staging, `${callerNum}.call`);
      writeFileSync(staged, lines.join('\n'));
      chownSync(staged, user.uid, user.gid);
      renameSync(staged, join(c.outgoing, `${callerNum}.call`));
      return callerNum;
    },
    callerCalls: (callerNum) => callsIn(c.logFile, 'caller', callerNum),
    async inboundRecord(callerNum, timeoutMs) {
      const paths = spoolPaths(fm.install.spool);
      return waitUntil(
        async () => {
          for (const f of existsSync(paths.inbound) ? readdirSync(paths.inbound) : []) {
            if (!f.endsWith('.json')) continue;
            const rec = await readInboundRecord(paths, f.slice(0, -5)).catch(() => undefined);
            if (rec && rec.callerNum === callerNum && rec.state !== 'no-recipient') return rec;
          }
          return undefined;
        },
        timeoutMs,
        `faxmail's record of the call from ${callerNum}`,
        500,
      );
    },
    stop: cleanup,
  };
}
