/*
 * doctor.ts: `faxmail doctor`, a live installation checked end to end. Each check gives one line: its
 * status (ok, WARN, FAIL, skip), what it found and, when it did not pass, the fix. Groups:
 *   config     the whole configuration, users, groups, permissions (lib/config/load.ts, system depth)
 *   node       the running Node is new enough
 *   tools      Ghostscript, tiffinfo, tiff2pdf, tnef, the body font, LibreOffice: present, with versions
 *   spool      directories writable by the spool owner, nothing inside owned by anyone else
 *   postfix    postconf/postmap: the master.cf pipe service (user, flags, argv), the transport map's answer
 *              for the fax domain, recipient_delimiter, the recipient limit, the time limit, relay_domains
 *   asterisk   asterisk -rx, when Asterisk is running: the fax modules (res_fax, res_fax_spandsp; chan_pjsip and
 *              res_pjsip_t38 when callfile.channel is PJSIP), the trunk's PJSIP endpoint and how it carries
 *              faxes, the faxmail contexts, the globals, app_playtones where a shared voice and fax line
 *              (Gosub(faxmail-detect)) is wired, the outgoing directory writable by the user Asterisk runs as
 *   sample     a built-in sample mail through sendfax --dry-run, as Postfix would run it (nothing kept)
 *   queue      the queue's timer: `faxmail run` finished within the last 5 minutes (HOOKS below)
 * Exit status for monitoring: 0 all passed, 1 a warning, 2 a failure (the Nagios convention).
 * Runs only read-only commands; the sample run keeps nothing (sendfax --dry-run). Never throws for a
 * failed check: every failure is a line.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadConfigDetailed, canWrite } from '../config/load.js';
import { lookupUser, type Account } from '../accounts.js';
import type { Config } from '../config/schema.js';
import { resolveDestination } from '../policy/number.js';
import { matchesSenderPattern } from '../policy/sender.js';
import type { Print } from '../cli/entry.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  group: string;
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface DoctorOptions {
  configPath: string;
  values: Record<string, string | boolean | undefined>;
  env: NodeJS.ProcessEnv;
  out: Print;
}

/** The minimum Node: zlib.crc32 arrived in 20.15 (and 22.2). */
const MIN_NODE = [20, 15, 0] as const;

/** Checks later issues add: each returns its lines (the queue's timer: checkQueueTimer below). */
const HOOKS: ((config: Readonly<Config>, skipGroups: ReadonlySet<string>) => Promise<CheckResult[]>)[] = [
  checkQueueTimer,
];

/**
 * The queue's timer (issue 9): `faxmail run` every 30 s applies reports a busy or killed faxmail-notify
 * left, finds lost calls, starts retries when they are due and finishes what a crash interrupted. Judged
 * by what it did (<spool>/last-run, touched by every run that finished), whatever runs it; the fix names
 * what is installed here: the systemd timer, or the cron.d line.
 */
async function checkQueueTimer(config: Readonly<Config>, skipGroups: ReadonlySet<string>): Promise<CheckResult[]> {
  if (skipGroups.has('queue')) return [skip('queue', '*', 'skipped (--skip queue)')];
  const { runStampPath, RUN_STALE_MS } = await import('../queue/records.js');
  const { spoolPaths } = await import('../spool/jobs.js');
  const stamp = runStampPath(spoolPaths(config.paths.spool));
  let fix: string;
  if (existsSync('/run/systemd/system')) {
    const enabled = (await run('systemctl', ['is-enabled', 'faxmail-run.timer'])).stdout.trim();
    const active = (await run('systemctl', ['is-active', 'faxmail-run.timer'])).stdout.trim();
    fix =
      enabled === 'enabled' && active === 'active'
        ? 'the timer is enabled and active, so its runs fail: journalctl -u faxmail-run.service says why'
        : `systemctl enable --now faxmail-run.timer (it is ${enabled || 'not installed'}, ` +
          `${active || 'inactive'}; make install installs it)`;
  } else if (existsSync('/etc/cron.d/faxmail')) {
    fix =
      '/etc/cron.d/faxmail is there: is cron running (service cron status)? Its runs may fail: run `faxmail ' +
      'run` by hand and read what it says';
  } else {
    fix =
      'make install installs the timer (systemd: faxmail-run.timer; without systemd: /etc/cron.d/faxmail), or ' +
      'run `faxmail run` every 30 s from your own scheduler';
  }
  const at = (() => {
    try {
      return statSync(stamp).mtimeMs;
    } catch {
      return undefined;
    }
  })();
  if (at === undefined)
    return [warn('queue', 'timer', `faxmail run has not finished here yet (${stamp} is missing)`, fix)];
  const age = Math.round((Date.now() - at) / 1000);
  if (age * 1000 > RUN_STALE_MS)
    return [
      fail(
        'queue',
        'timer',
        `faxmail run last finished ${age} s ago (it should every 30 s): retries, lost calls and reports a ` +
          `busy faxmail-notify left all wait`,
        fix,
      ),
    ];
  return [ok('queue', 'timer', `faxmail run last finished ${age} s ago`)];
}

const ok = (group: string, name: string, detail: string): CheckResult => ({ group, name, status: 'ok', detail });
const warn = (group: string, name: string, detail: string, fix: string): CheckResult => ({
  group,
  name,
  status: 'warn',
  detail,
  fix,
});
const fail = (group: string, name: string, detail: string, fix: string): CheckResult => ({
  group,
  name,
  status: 'fail',
  detail,
  fix,
});
const skip = (group: string, name: string, detail: string): CheckResult => ({ group, name, status: 'skip', detail });

/** A program from PATH, else from the sbin directories (postconf, postmap and asterisk live there). */
function findProgram(name: string): string {
  const dirs = [...(process.env['PATH'] ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) if (existsSync(join(d, name))) return join(d, name);
  return name;
}

async function run(
  cmd: string,
  args: string[],
  opts: { timeout?: number; input?: string; uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {},
) {
  return execa(cmd, args, {
    reject: false,
    timeout: opts.timeout ?? 20_000,
    all: true,
    stripFinalNewline: true,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
    ...(opts.env ? { env: opts.env, extendEnv: false } : {}),
  });
}

/** Is `version` (e.g. v20.14.0) at least `min`? Pure. */
export function versionAtLeast(version: string, min: readonly number[]): boolean {
  const parts = version
    .replace(/^v/, '')
    .split('.')
    .map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

function checkNode(version = process.version): CheckResult {
  const min = MIN_NODE.join('.');
  return versionAtLeast(version, MIN_NODE)
    ? ok('node', 'version', `Node ${version} (at least ${min} needed)`)
    : fail(
        'node',
        'version',
        `Node ${version} is older than ${min} (faxmail needs zlib.crc32)`,
        'install Node 20.15 or later: see README, "Getting Node"; then make install again',
      );
}

async function checkTools(c: Readonly<Config>): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const gs = await run(c.paths.gs, ['--version'], { timeout: 10_000 });
  out.push(
    gs.exitCode === 0
      ? ok('tools', 'ghostscript', `${c.paths.gs} ${gs.stdout.trim()}`)
      : fail(
          'tools',
          'ghostscript',
          `${c.paths.gs} does not run (${gs.shortMessage ?? gs.exitCode})`,
          'apt-get install ghostscript, or set paths.gs',
        ),
  );
  for (const [name, path] of [
    ['tiffinfo', c.paths.tiffinfo],
    ['tiff2pdf', c.paths.tiff2pdf],
  ] as const) {
    const r = await run(path, [], { timeout: 10_000 });
    const v = /Version ([0-9.]+)/.exec(r.all ?? '')?.[1];
    out.push(
      v
        ? ok('tools', name, `${path} (libtiff ${v})`)
        : fail('tools', name, `${path} does not run`, `apt-get install libtiff-tools, or set paths.${name}`),
    );
  }
  if (c.paths.tnef === '')
    out.push(
      warn('tools', 'tnef', 'not installed: winmail.dat attachments are refused with a note', 'apt-get install tnef'),
    );
  else {
    const r = await run(c.paths.tnef, ['--version'], { timeout: 10_000 });
    out.push(
      r.exitCode === 0
        ? ok('tools', 'tnef', `${c.paths.tnef} ${(r.stdout.split('\n')[0] ?? '').trim()}`)
        : fail('tools', 'tnef', `${c.paths.tnef} does not run`, 'apt-get install tnef, or set paths.tnef = ""'),
    );
  }
  out.push(
    c.paths.body_font === ''
      ? warn(
          'tools',
          'font',
          'no body font: +body pages cannot be made',
          'apt-get install fonts-ipafont-gothic, or set paths.body_font',
        )
      : ok('tools', 'font', c.paths.body_font),
  );
  out.push(
    c.paths.libreoffice === ''
      ? ok('tools', 'libreoffice', 'not configured: office files are refused with a note')
      : ok('tools', 'libreoffice', c.paths.libreoffice),
  );
  return out;
}

/** Files below `dir` (at most `limit`) not owned by `uid`. */
function foreignFiles(dir: string, uid: number, limit = 5): string[] {
  const found: string[] = [];
  const walk = (d: string, depth: number) => {
    if (found.length >= limit || depth > 4) return;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = lstatSync(p);
        if (st.uid !== uid) found.push(p);
        if (found.length >= limit) return;
        if (st.isDirectory()) walk(p, depth + 1);
      } catch {
        // vanished meanwhile
      }
    }
  };
  walk(dir, 0);
  return found;
}

function checkSpool(c: Readonly<Config>, owner: Account): CheckResult[] {
  const out: CheckResult[] = [];
  const dirs: [string, string][] = [
    ['spool', c.paths.spool],
    ['tmp', c.paths.tmp],
    ['outgoing', c.paths.outgoing],
  ];
  if (c.paths.log !== '-') dirs.push(['log dir', dirname(c.paths.log)]);
  for (const [name, d] of dirs) {
    const w = canWrite(owner, d);
    out.push(
      w
        ? ok('spool', name, `${d} writable by ${owner.name}`)
        : fail(
            'spool',
            name,
            `${d} ${w === undefined ? 'is missing' : `is not writable by ${owner.name}`}`,
            `mkdir -p ${d} && chown ${owner.name} ${d}`,
          ),
    );
  }
  for (const [name, d] of [
    ['spool', c.paths.spool],
    ['log', c.paths.log === '-' ? '' : dirname(c.paths.log)],
  ] as const) {
    if (!d || !existsSync(d)) continue;
    const foreign = foreignFiles(d, owner.uid).filter(
      (p) => name !== 'log' || basename(p).startsWith(basename(c.paths.log)),
    );
    out.push(
      foreign.length === 0
        ? ok('spool', `${name} owner`, `everything in ${d} is owned by ${owner.name}`)
        : fail(
            'spool',
            `${name} owner`,
            `owned by someone else: ${foreign.join(', ')}`,
            `chown -R ${owner.name}: ${name === 'log' ? c.paths.log : d} (a faxmail command run as root by an ` +
              `older version, or by hand)`,
          ),
    );
  }
  return out;
}

interface PipeService {
  name: string;
  user: string;
  flags: string;
  argv: string[];
}

/** The pipe services in `postconf -M` output whose argv runs sendfax. Pure. */
export function findSendfaxServices(postconfM: string): PipeService[] {
  const out: PipeService[] = [];
  for (const line of postconfM.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] !== 'unix' || f[7] !== 'pipe') continue;
    const rest = f.slice(8);
    const argvAt = rest.findIndex((x) => x.startsWith('argv='));
    if (argvAt < 0) continue;
    const argv = [rest[argvAt]!.slice(5), ...rest.slice(argvAt + 1)];
    if (!argv.some((a) => /sendfax(\.m?js)?$/.test(a))) continue;
    const attr = (k: string) =>
      rest
        .slice(0, argvAt)
        .find((x) => x.startsWith(`${k}=`))
        ?.slice(k.length + 1) ?? '';
    out.push({ name: f[0]!, user: attr('user').split(':')[0]!, flags: attr('flags'), argv });
  }
  return out;
}

/** The fax domain from a regexp/pcre transport map line like /^fax\+[^@]+@fax\.example\.com$/ fax:. Pure. */
export function domainFromTransportMap(text: string, service: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^\/\^?fax\\\+\[\^@\]\+@(.+?)\$?\/\s+(\S+)/.exec(line.trim());
    if (m && m[2]!.startsWith(`${service}:`)) return m[1]!.replace(/\\\./g, '.');
  }
  return undefined;
}

interface PostfixFound {
  service?: PipeService;
  domain?: string;
}

async function checkPostfix(
  c: Readonly<Config>,
  owner: Account,
  opts: DoctorOptions,
  found: PostfixFound,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const cdir = typeof opts.values['postfix-config'] === 'string' ? ['-c', opts.values['postfix-config']] : [];
  const postconf = (...args: string[]) => run(findProgram('postconf'), [...cdir, ...args]);
  const version = await postconf('-h', 'mail_version');
  if (version.exitCode !== 0)
    return [
      fail(
        'postfix',
        'postconf',
        `postconf does not run (${(version.all ?? '').split('\n')[0] ?? version.exitCode})`,
        'apt-get install postfix; or pass --postfix-config DIR, or --skip postfix',
      ),
    ];
  out.push(ok('postfix', 'postconf', `Postfix ${version.stdout.trim()}${cdir.length ? ` (${cdir[1]})` : ''}`));

  const m = await postconf('-M');
  const services = findSendfaxServices(m.stdout);
  const svc = services[0];
  if (!svc) {
    out.push(
      fail(
        'postfix',
        'master.cf',
        'no pipe service in master.cf runs sendfax',
        'append postfix/master.cf to master.cf (see README, Postfix) and postfix reload',
      ),
    );
    return out;
  }
  found.service = svc;
  const problems: string[] = [];
  if (svc.user !== owner.name) problems.push(`user=${svc.user || '(none)'} but the spool belongs to ${owner.name}`);
  if (!svc.flags.includes('R')) problems.push('flags lack R (Return-Path)');
  if (!svc.flags.includes('q')) problems.push('flags lack q (quoted addresses)');
  const prog = svc.argv[0]!;
  if (!existsSync(prog)) problems.push(`${prog} does not exist`);
  // senders.require_auth needs to know who logged in and from where; without these sendfax defers every mail.
  const needed: [string, string][] = [
    ['--sender', '${sender}'],
    ['--recipient', '${recipient}'],
  ];
  if (c.senders.require_auth)
    needed.push(['--client-address', '${client_address}'], ['--sasl-user', '${sasl_username}']);
  for (const [flag, macro] of needed) {
    if (
      !svc.argv.some((a) => a === `${flag}=${macro}`) &&
      !svc.argv.some((a, i) => a === flag && svc.argv[i + 1] === macro)
    )
      problems.push(
        `argv lacks ` +
          `${flag}=${macro}` +
          `${flag === '--client-address' || flag === '--sasl-user' ? ' (senders.require_auth needs it)' : ''}`,
      );
  }
  out.push(
    problems.length === 0
      ? ok('postfix', 'master.cf', `service ${svc.name}: pipe user=${svc.user} flags=${svc.flags} argv=${svc.argv[0]}`)
      : fail(
          'postfix',
          'master.cf',
          `service ${svc.name}: ${problems.join('; ')}`,
          `make the ${svc.name} line match postfix/master.cf (user=${owner.name} flags=Rq ` +
            `argv=<libexec>/sendfax --sender=\${sender} --recipient=\${recipient} ` +
            `--extension=\${extension} --client-address=\${client_address} --sasl-user=\${sasl_username}), ` +
            `then postfix reload`,
        ),
  );

  const limit = (await postconf('-h', `${svc.name}_destination_recipient_limit`)).stdout.trim();
  out.push(
    limit === '1'
      ? ok('postfix', 'recipient limit', `${svc.name}_destination_recipient_limit = 1`)
      : fail(
          'postfix',
          'recipient limit',
          `${svc.name}_destination_recipient_limit = ${limit || '(default)'}: one sendfax run would get every ` +
            `recipient`,
          `postconf -e '${svc.name}_destination_recipient_limit = 1' && postfix reload`,
        ),
  );

  const tl = (await postconf('-x', '-h', `${svc.name}_time_limit`)).stdout.trim();
  const seconds = parseDuration(tl);
  // sendfax defers (75) at fax.time_limit; Postfix bounces at its own limit, so that must come later.
  const need = c.fax.time_limit + 60;
  out.push(
    seconds !== undefined && seconds >= need
      ? ok('postfix', 'time limit', `${svc.name}_time_limit = ${tl}`)
      : fail(
          'postfix',
          'time limit',
          `${svc.name}_time_limit = ${tl || '?'} is less than fax.time_limit + 60 s (${need} s): a slow ` +
            `conversion would bounce instead of being deferred`,
          `postconf -e '${svc.name}_time_limit = ${Math.max(600, need)}s' && postfix reload`,
        ),
  );

  const delim = (await postconf('-h', 'recipient_delimiter')).stdout.trim();
  out.push(
    delim.includes('+')
      ? ok('postfix', 'recipient_delimiter', `recipient_delimiter = ${delim}`)
      : fail(
          'postfix',
          'recipient_delimiter',
          `recipient_delimiter = ${delim || '(empty)'}: fax+NUMBER gives no extension`,
          "postconf -e 'recipient_delimiter = +' && postfix reload",
        ),
  );

  const maps = (await postconf('-x', '-h', 'transport_maps')).stdout
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  let domain = typeof opts.values['domain'] === 'string' ? opts.values['domain'] : undefined;
  if (!domain) {
    for (const map of maps) {
      const file = map.replace(/^(regexp|pcre):/, '');
      if (file !== map && existsSync(file)) domain = domainFromTransportMap(readFileSync(file, 'utf8'), svc.name);
      if (domain) break;
    }
  }
  if (!domain) {
    out.push(
      fail(
        'postfix',
        'transport map',
        `no transport map routes fax+NUMBER@... to ${svc.name}: (transport_maps = ${maps.join(', ') || '(empty)'})`,
        "install postfix/transport.regexp and postconf -e 'transport_maps = " +
          "regexp:/etc/postfix/faxmail/transport.regexp' (or pass --domain)",
      ),
    );
    return out;
  }
  found.domain = domain;
  const probe = `fax+0312345678@${domain}`;
  let answer = '';
  for (const map of maps) {
    const q = await run(findProgram('postmap'), [...cdir, '-q', probe, map]);
    if (q.exitCode === 0 && q.stdout.trim()) {
      answer = q.stdout.trim();
      break;
    }
  }
  out.push(
    answer.startsWith(`${svc.name}:`)
      ? ok('postfix', 'transport map', `postmap -q ${probe} answers ${answer}`)
      : fail(
          'postfix',
          'transport map',
          `postmap -q ${probe} answers ${answer || 'nothing'}, not ${svc.name}:`,
          `fix the transport map so fax+NUMBER@${domain} goes to ${svc.name}: (postfix/transport.regexp)`,
        ),
  );

  const relay = (await postconf('-x', '-h', 'relay_domains')).stdout.trim();
  const mydest = (await postconf('-x', '-h', 'mydestination')).stdout.trim();
  const listed = (v: string) => v.split(/[\s,]+/).some((d) => d.toLowerCase() === domain!.toLowerCase());
  out.push(
    listed(relay) || listed(mydest)
      ? ok('postfix', 'relay_domains', `${domain} is in ${listed(relay) ? 'relay_domains' : 'mydestination'}`)
      : warn(
          'postfix',
          'relay_domains',
          `${domain} is not in relay_domains: mail for it arriving by SMTP is refused (relay access denied)`,
          `postconf -e "relay_domains = $(postconf -h relay_domains), ${domain}" && postfix reload`,
        ),
  );
  return out;
}

function parseDuration(v: string): number | undefined {
  const m = /^([0-9]+)([smhdw]?)$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as Record<string, number>)[m[2]!]!;
}

async function checkAsterisk(c: Readonly<Config>, opts: DoctorOptions): Promise<CheckResult[]> {
  // --asterisk-config, else the [asterisk] settings faxmail itself uses to reach Asterisk.
  const astConf =
    typeof opts.values['asterisk-config'] === 'string' ? opts.values['asterisk-config'] : c.asterisk.config;
  const conf = astConf ? ['-C', astConf] : [];
  const binary = c.asterisk.binary && existsSync(c.asterisk.binary) ? c.asterisk.binary : findProgram('asterisk');
  const rx = (command: string) => run(binary, [...conf, '-rx', command], { timeout: 15_000 });
  const v = await rx('core show version');
  if (v.exitCode !== 0 || !/^Asterisk /m.test(v.stdout)) {
    return [
      warn(
        'asterisk',
        'reachable',
        `asterisk -rx does not answer (${(v.all ?? '').split('\n').filter(Boolean).pop() ?? v.exitCode}); ` +
          `Asterisk checks skipped`,
        'start Asterisk (systemctl start asterisk), or run doctor as root or as the Asterisk user; ' +
          '--asterisk-config FILE for a private instance',
      ),
    ];
  }
  const out: CheckResult[] = [ok('asterisk', 'reachable', (v.stdout.split('\n')[0] ?? '').trim())];
  for (const m of faxModules(c.callfile.channel)) {
    const mod = await rx(`module show like ${m.name}`);
    out.push(
      new RegExp(`^${m.name}\\.so\\s.*\\bRunning\\b`, 'm').test(mod.stdout)
        ? ok('asterisk', m.name, 'loaded')
        : fail(
            'asterisk',
            m.name,
            `not loaded: ${m.why}`,
            `build Asterisk with it (scripts/build-asterisk.sh), add 'load => ${m.name}.so' to modules.conf, ` +
              `then asterisk -rx 'module load ${m.name}.so'`,
          ),
    );
  }
  const endpoint = pjsipEndpoint(c.callfile.channel);
  if (endpoint) out.push(...checkEndpoint(endpoint, (await rx(`pjsip show endpoint ${endpoint}`)).stdout));
  for (const ctx of [c.callfile.context, 'faxmail-receive']) {
    const d = await rx(`dialplan show ${ctx}`);
    out.push(
      new RegExp(`\\[ Context '${ctx}'`).test(d.stdout)
        ? ok('asterisk', `context ${ctx}`, 'loaded')
        : fail(
            'asterisk',
            `context ${ctx}`,
            'not in the dialplan',
            "cp asterisk/extensions_faxmail.conf /etc/asterisk/; add '#include extensions_faxmail.conf' to " +
              'extensions.conf; dialplan reload',
          ),
    );
  }
  // A shared voice and fax line (Gosub(faxmail-detect)) plays ringing with Playtones: without app_playtones,
  // every call to that number, voice calls too, would be hung up. Checked only where one is wired.
  const all = await rx('dialplan show');
  if (/Gosub\(faxmail-detect[,)]/.test(all.stdout)) {
    const pt = await rx('module show like app_playtones');
    out.push(
      /app_playtones\.so/.test(pt.stdout)
        ? ok('asterisk', 'shared lines', 'Gosub(faxmail-detect) is used; app_playtones is loaded')
        : fail(
            'asterisk',
            'shared lines',
            'Gosub(faxmail-detect) is used, but app_playtones is not loaded: every call to a shared voice and ' +
              'fax number is hung up',
            "add 'load => app_playtones.so' to modules.conf; module load app_playtones.so",
          ),
    );
  }
  const g = await rx('dialplan show globals');
  const notify = /FAXMAIL_NOTIFY=(\S+)/.exec(g.stdout)?.[1];
  if (!notify)
    out.push(
      warn(
        'asterisk',
        'globals',
        'FAXMAIL_NOTIFY is not among the globals (the contexts fall back to their defaults)',
        'move the FAXMAIL_* lines into your first [globals] or use [globals](+); dialplan reload',
      ),
    );
  else
    out.push(
      existsSync(notify)
        ? ok('asterisk', 'globals', `FAXMAIL_NOTIFY=${notify}`)
        : fail(
            'asterisk',
            'globals',
            `FAXMAIL_NOTIFY=${notify} does not exist`,
            'set FAXMAIL_NOTIFY to the installed faxmail-notify (make install prints it); dialplan reload',
          ),
    );
  const s = await rx('core show settings');
  // Asterisk 22 prints "User name and group:  asterisk/asterisk" (or "(N/A)" when it runs as root).
  const user = /User name and group:\s*([^\s/]+)\//.exec(s.stdout)?.[1];
  const spool = /Spool directory:\s*(\S+)/.exec(s.stdout)?.[1];
  if (spool && join(spool, 'outgoing') !== c.paths.outgoing)
    out.push(
      fail(
        'asterisk',
        'outgoing',
        `Asterisk reads call files from ${join(spool, 'outgoing')}, but paths.outgoing is ${c.paths.outgoing}`,
        `set paths.outgoing = "${join(spool, 'outgoing')}"`,
      ),
    );
  else {
    const account = user && !user.startsWith('(') ? lookupUser(user) : lookupUser(0);
    const w = account ? canWrite(account, c.paths.outgoing) : undefined;
    out.push(
      w
        ? ok('asterisk', 'outgoing', `${c.paths.outgoing} writable by ${account!.name}, the user Asterisk runs as`)
        : fail(
            'asterisk',
            'outgoing',
            `${c.paths.outgoing} is not writable by ${user ?? 'the Asterisk user'}`,
            `chown ${user ?? 'asterisk'} ${c.paths.outgoing}`,
          ),
    );
  }
  return out;
}

/** The Asterisk modules faxmail's calls need with this callfile.channel, and what breaks without each. Pure. */
export function faxModules(channel: string): { name: string; why: string }[] {
  const mods = [
    { name: 'res_fax', why: 'SendFAX and ReceiveFAX do not exist' },
    {
      name: 'res_fax_spandsp',
      why: 'Asterisk cannot send or receive faxes (build it with libspandsp-dev and libtiff-dev present)',
    },
  ];
  if (/^PJSIP\//i.test(channel)) {
    mods.push(
      { name: 'chan_pjsip', why: `callfile.channel ${channel} needs it: no call can be placed` },
      {
        name: 'res_pjsip_t38',
        why: 'no T.38 on the SIP trunk: every fax goes as audio, and faxes to a carrier that expects T.38 fail',
      },
    );
  }
  return mods;
}

/** The PJSIP endpoint callfile.channel dials through (PJSIP/{number}@trunk -> trunk), if any. Pure. */
export function pjsipEndpoint(channel: string): string | undefined {
  return /^PJSIP\/[^@]*@([A-Za-z0-9_.-]+)$/i.exec(channel)?.[1];
}

/**
 * `pjsip show endpoint NAME`: the endpoint exists, and how it carries faxes (T.38 with error correction, or
 * audio only; direct_media; its codecs). Pure.
 */
export function checkEndpoint(name: string, output: string): CheckResult[] {
  if (!new RegExp(`^\\s*Endpoint:\\s+${name.replace(/[.]/g, '\\.')}\\b`, 'm').test(output)) {
    return [
      fail(
        'asterisk',
        `endpoint ${name}`,
        `callfile.channel dials through PJSIP endpoint ${name}, but Asterisk has no such endpoint`,
        `define [${name}] (type = endpoint, aor, identify) in pjsip.conf as README "SIP trunk" shows, then ` +
          `asterisk -rx 'module reload res_pjsip.so'`,
      ),
    ];
  }
  const value = (key: string): string => new RegExp(`^\\s*${key}\\s*:\\s*(.*?)\\s*$`, 'm').exec(output)?.[1] ?? '';
  const t38 = /^(yes|true)$/i.test(value('t38_udptl'));
  const ec = value('t38_udptl_ec');
  const codecs = value('allow').replace(/[()]/g, '').trim();
  const out: CheckResult[] = [];
  const media = `codecs ${codecs || '?'}`;
  if (t38 && ec !== 'redundancy' && ec !== 'fec') {
    out.push(
      warn(
        'asterisk',
        `endpoint ${name}`,
        `T.38 without error correction (t38_udptl_ec = ${ec || 'none'}): one lost packet can fail a fax`,
        `set t38_udptl_ec = redundancy on [${name}] (README "SIP trunk")`,
      ),
    );
  } else {
    out.push(
      ok(
        'asterisk',
        `endpoint ${name}`,
        t38 ? `T.38 with ${ec}, audio fallback; ${media}` : `no T.38: faxes go as G.711 audio; ${media}`,
      ),
    );
  }
  if (/^(yes|true)$/i.test(value('direct_media')))
    out.push(
      warn(
        'asterisk',
        `endpoint ${name} media`,
        'direct_media = yes: bridged calls may send the media around Asterisk, where res_fax cannot see it',
        `set direct_media = no on [${name}]`,
      ),
    );
  if (codecs && !/\b(alaw|ulaw)\b/.test(codecs))
    out.push(
      fail(
        'asterisk',
        `endpoint ${name} codecs`,
        `codecs ${codecs}: no G.711 (alaw or ulaw), so a fax cannot go as audio`,
        `set disallow = all and allow = alaw (or ulaw, as your carrier uses) on [${name}]`,
      ),
    );
  return out;
}

/** A sender address the allow list accepts, for the sample mail; undefined if none can be made. Pure. */
export function sampleSender(c: Readonly<Config>): string | undefined {
  const candidates: string[] = [];
  for (const p of c.senders.allow) {
    const t = p.trim();
    if (t.startsWith('/')) continue;
    if (t.includes('@') && !t.startsWith('@')) candidates.push(t);
    else candidates.push(`faxmail-doctor@${t.replace(/^\*\./, '').replace(/^@/, '')}`);
  }
  if (c.senders.allow.length === 0 && c.senders.allow_any_sender) candidates.push('faxmail-doctor@example.com');
  return candidates.find(
    (a) =>
      c.senders.allow.some((p) => matchesSenderPattern(a, p)) ||
      (c.senders.allow.length === 0 && c.senders.allow_any_sender),
  );
}

/** A number the number rules accept, for the sample mail. Pure. */
export function sampleNumber(c: Readonly<Config>): string | undefined {
  for (const n of [
    '0312345678',
    '0612345678',
    '+81312345678',
    '2025550123',
    '02012345678',
    '0123456789',
    '5551234',
    '123',
  ]) {
    try {
      resolveDestination(n, c.numbers);
      return n;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/** A small one-page PDF, written by hand (no generator needed). */
function samplePdf(): Buffer {
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const content = 'BT /F1 24 Tf 72 720 Td (faxmail doctor sample page) Tj ET';
  objs[3] = `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf +=
    `xref\n0 ${objs.length + 1}\n0000000000 65535 f ` +
    `\n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

export function sampleMail(from: string, to: string): string {
  const pdf = samplePdf().toString('base64').replace(/.{76}/g, '$&\n');
  return [
    `From: faxmail doctor <${from}>`,
    `To: ${to}`,
    'Subject: faxmail doctor sample',
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    'Message-ID: <doctor.sample@faxmail>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'A sample fax made by faxmail doctor.',
    '--b',
    'Content-Type: application/pdf; name="sample.pdf"',
    'Content-Disposition: attachment; filename="sample.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    pdf,
    '--b--',
    '',
  ].join('\r\n');
}

/** The sendfax next to this program (the bundle in an install, the built file in a checkout). */
function siblingSendfax(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [
    join(here, '../../bundle/sendfax.mjs'),
    join(here, '../../dist/bundle/sendfax.mjs'),
    join(here, '../../bin/sendfax.js'),
  ])
    if (existsSync(p)) return [process.execPath, p];
  return [];
}

async function checkSample(c: Readonly<Config>, found: PostfixFound, owner: Account): Promise<CheckResult> {
  const sender = sampleSender(c);
  const number = sampleNumber(c);
  if (!sender) return skip('sample', 'dry run', 'no sample sender fits senders.allow (only /regex/ entries)');
  if (!number) return skip('sample', 'dry run', 'no sample number passes the [numbers] rules');
  const domain = found.domain ?? 'fax.example.com';
  const recipient = `fax+${number}@${domain}`;
  let argv: string[];
  let how: string;
  if (found.service) {
    // Unknown macros (client_address, sasl_username) become empty: a local submission without a login.
    const macros: Record<string, string> = {
      sender,
      recipient,
      extension: number,
      user: 'fax',
      nexthop: domain,
      mailbox: `fax+${number}`,
      domain,
      original_recipient: recipient,
    };
    argv = found.service.argv.map((a) => a.replace(/\$\{([a-z_]+)\}/g, (_, k: string) => macros[k] ?? ''));
    if (!argv.some((a) => a.startsWith('--config'))) argv.push('--config', c.source);
    how = `as master.cf runs it, as ${found.service.user || owner.name}`;
  } else {
    // A local submission without a login, as sendmail on this host would make it (senders.require_auth lets it pass).
    const sibling = siblingSendfax();
    argv =
      sibling.length === 0
        ? []
        : [
            ...sibling,
            '--config',
            c.source,
            '--sender',
            sender,
            '--recipient',
            recipient,
            '--extension',
            number,
            '--client-address',
            '',
            '--sasl-user',
            '',
          ];
    how = 'the sendfax beside this faxmail';
  }
  if (argv.length === 0) return fail('sample', 'dry run', 'no sendfax found', 'make install');
  argv.push('--dry-run');
  const asRoot = process.getuid?.() === 0;
  const runAs = asRoot && found.service?.user ? lookupUser(found.service.user) : undefined;
  const r = await run(argv[0]!, argv.slice(1), {
    input: sampleMail(sender, recipient),
    timeout: (c.fax.time_limit + 30) * 1000,
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
  });
  const first = (r.stdout.split('\n')[0] ?? '').trim();
  if (r.exitCode === 0) {
    try {
      const j = JSON.parse(first) as { pages: number; number: string };
      return ok(
        'sample',
        'dry run',
        `sendfax (${how}) converted a ${j.pages}-page sample for ${j.number}; nothing kept`,
      );
    } catch {
      // fall through
    }
  }
  return fail(
    'sample',
    'dry run',
    `sendfax (${how}) exited ${r.exitCode ?? r.signal}: ${(first || r.stderr || '').slice(0, 300)}`,
    'the sentence above names the problem; faxmail check-config and the log tell more',
  );
}

/** Every check, in order. */
async function collectChecks(opts: DoctorOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const skipGroups = new Set(
    String(opts.values['skip'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  let config: Readonly<Config> | undefined;
  try {
    // The run-time depth first: with it the other groups can still be checked when only users or
    // permissions are wrong (those are reported here and again, with their own fix, below).
    config = loadConfigDetailed(opts.configPath).config;
    loadConfigDetailed(opts.configPath, { system: true });
    results.push(ok('config', 'file', `${opts.configPath} is valid`));
  } catch (err) {
    const lines = (err as Error).message.split('\n');
    results.push(
      fail(
        'config',
        'file',
        lines.slice(1).join('; ') || lines[0]!,
        `fix each key named (faxmail check-config lists them with line numbers)`,
      ),
    );
  }
  results.push(checkNode());
  if (!config) {
    results.push(skip('tools', '*', 'needs a valid configuration'));
    return results;
  }
  results.push(...(await checkTools(config)));
  let owner: Account | undefined;
  try {
    owner = lookupUser(statSync(config.paths.spool).uid);
  } catch {
    owner = undefined;
  }
  owner ??= lookupUser(config.callfile.owner);
  if (!owner) {
    results.push(
      fail('spool', 'owner', `no account owns ${config.paths.spool}`, `chown -R asterisk: ${config.paths.spool}`),
    );
    return results;
  }
  results.push(...checkSpool(config, owner));
  const found: PostfixFound = {};
  if (skipGroups.has('postfix')) results.push(skip('postfix', '*', 'skipped (--skip postfix)'));
  else results.push(...(await checkPostfix(config, owner, opts, found)));
  if (skipGroups.has('asterisk')) results.push(skip('asterisk', '*', 'skipped (--skip asterisk)'));
  else results.push(...(await checkAsterisk(config, opts)));
  if (skipGroups.has('sample')) results.push(skip('sample', '*', 'skipped (--skip sample)'));
  else results.push(await checkSample(config, found, owner));
  for (const hook of HOOKS) results.push(...(await hook(config, skipGroups)));
  return results;
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** One line per check, the fix after it. Pure. */
function formatChecks(results: readonly CheckResult[]): string[] {
  return results.map(
    (r) =>
      `${LABEL[r.status]}  ${`${r.group}: ${r.name}`.padEnd(32)} ${r.detail}${r.fix ? `\n      fix: ${r.fix}` : ''}`,
  );
}

function doctorExitStatus(results: readonly CheckResult[]): number {
  if (results.some((r) => r.status === 'fail')) return 2;
  if (results.some((r) => r.status === 'warn')) return 1;
  return 0;
}

export async function runDoctor(opts: DoctorOptions): Promise<number> {
  const results = await collectChecks(opts);
  const status = doctorExitStatus(results);
  if (opts.values['json'] === true) opts.out(JSON.stringify({ status, checks: results }, null, 2));
  else {
    for (const line of formatChecks(results)) opts.out(line);
    const n = (s: CheckStatus) => results.filter((r) => r.status === s).length;
    opts.out(`doctor: ${n('ok')} ok, ${n('warn')} warnings, ${n('fail')} failures, ${n('skip')} skipped`);
  }
  return status;
}
