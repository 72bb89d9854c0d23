/*
 * test-config.ts: a throw-away spool and a validated Config for mail and inbound tests, and the SMTP sink
 * those tests share. `extra` is TOML appended to the generated [paths] section (start it with a section
 * header). The layout and the TOML come from test/helpers/test-config.ts.
 */
import { rmSync, writeFileSync } from 'node:fs';
import type { Test } from 'uvu';
import { parseConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/schema.js';
import { makeTempInstall, renderTestConfig } from '../helpers/test-config.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

export interface TestEnv {
  dir: string;
  spool: string;
  configFile: string;
  config: Readonly<Config>;
}

export function makeTestEnv(extra = '', name = 'faxmail-mail-'): TestEnv {
  const install = makeTempInstall(name);
  const text = renderTestConfig(install, { paths: extra });
  writeFileSync(install.configPath, text);
  return {
    dir: install.root,
    spool: install.spool,
    configFile: install.configPath,
    config: parseConfig(text, install.configPath),
  };
}

/** [mail] section for the loopback SMTP sink. */
export function smtpSection(port: number, timeout = 5): string {
  return `[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = ${port}\nsmtp_timeout = ${timeout}\n`;
}

/**
 * One SMTP sink for a test file: started in a before hook (before hooks registered later run after it) and
 * handed to `started`; reset to accepting every recipient with no messages before each test; closed after
 * the last test, when the envs pushed onto the returned list are removed too.
 */
export function useSmtpSink(suite: Test, started: (sink: SmtpSink) => void): TestEnv[] {
  let sink: SmtpSink | undefined;
  const envs: TestEnv[] = [];
  suite.before(async () => {
    sink = await startSmtpSink();
    started(sink);
  });
  suite.after(async () => {
    await sink!.close();
    for (const e of envs) rmSync(e.dir, { recursive: true, force: true });
  });
  suite.before.each(() => {
    sink!.setMode('accept');
    sink!.messages.length = 0;
    sink!.rejectRecipients.clear();
  });
  return envs;
}
