/*
 * sendfax-env.ts: a throw-away faxmail installation for tests: spool, outgoing and tmp directories in a
 * temp dir, a config file, and a runner that pipes a mail into the BUILT sendfax exactly as Postfix does.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { binPath } from './paths.js';
import { makeTempInstall, renderTestConfig, sendfaxSections, type Install } from './test-config.js';

export type TestEnv = Install;

export interface EnvOptions {
  /** extra TOML appended to the generated config (sections must not repeat the generated ones) */
  extraToml?: string;
  /** settings merged into the generated [fax] section, as TOML lines */
  fax?: string;
  senders?: string;
  numbers?: string;
  /** the [queue] section's body (default: a channel for every job, test-config.ts NO_ASTERISK_QUEUE) */
  queue?: string;
}

/** Make a temp installation; every path in its config lives under `root`. */
export function makeTestEnv(options: EnvOptions = {}): TestEnv {
  const env = makeTempInstall('faxmail-env-');
  chmodSync(env.root, 0o755);
  const toml = renderTestConfig(env, {
    callfile: { owner: 'root', group: 'root' },
    sections: sendfaxSections(env, {
      fax: options.fax ?? '',
      numbers:
        options.numbers ??
        'allow = ["^0[1-9][0-9]{5,13}$"]\ndeny = ["^0990"]\nrewrite = [{ match = "^\\\\+81", replace = "0" }]',
      senders: options.senders ?? 'allow = ["@example.org", "boss@example.net"]',
      ...(options.queue !== undefined ? { queue: options.queue } : {}),
    }),
    extra: options.extraToml ?? '',
  });
  writeFileSync(env.configPath, toml);
  return env;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  firstLine: string;
}

/** Pipe `mail` into the built sendfax with Postfix-style arguments. */
export function runSendfax(
  env: TestEnv,
  mail: Buffer | string,
  args: { sender?: string; recipient?: string; extension?: string; extra?: string[] } = {},
): Promise<RunResult> {
  const recipient = args.recipient ?? `fax+${args.extension ?? '0312345678'}@fax.example.com`;
  const argv = [
    binPath('sendfax'),
    `--config=${env.configPath}`,
    `--sender=${args.sender ?? 'alice@example.org'}`,
    `--recipient=${recipient}`,
  ];
  if (args.extension !== undefined) argv.push(`--extension=${args.extension}`);
  argv.push(...(args.extra ?? []));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, firstLine: stdout.split('\n')[0] ?? '' }));
    child.stdin.on('error', () => undefined); // a rejected mail may not be read in full
    child.stdin.end(mail);
  });
}
