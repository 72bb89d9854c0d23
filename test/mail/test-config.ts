/*
 * test-config.ts: a throw-away spool and a validated Config for mail and inbound tests.
 * `extra` is TOML appended to the generated [paths] section (start it with a section header).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/schema.js';

export interface TestEnv {
  dir: string;
  spool: string;
  configFile: string;
  config: Readonly<Config>;
}

export function makeTestEnv(extra = '', name = 'faxmail-mail-'): TestEnv {
  const dir = mkdtempSync(join(tmpdir(), name));
  for (const d of ['spool', 'outgoing', 'tmp', 'mail']) mkdirSync(join(dir, d));
  const text = `[paths]\nspool = "${dir}/spool"\noutgoing = "${dir}/outgoing"\ntmp = "${dir}/tmp"\nlog = "${dir}/faxmail.log"\n${extra}\n`;
  const configFile = join(dir, 'faxmail.toml');
  writeFileSync(configFile, text);
  return { dir, spool: join(dir, 'spool'), configFile, config: parseConfig(text, configFile) };
}

/** [mail] section for the loopback SMTP sink. */
export function smtpSection(port: number, timeout = 5): string {
  return `[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = ${port}\nsmtp_timeout = ${timeout}\n`;
}
