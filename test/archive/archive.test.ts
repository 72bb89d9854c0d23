/*
 * archive.test.ts: [archive] through the real paths: a fax reported sent by faxmail-notify's library call
 * and a received fax both land in <directory>/YYYY/MM as PDF + JSON sidecar (the PDF's SHA-256 in the
 * sidecar); an archive that cannot be written costs neither the receipt nor the received-fax mail and is
 * logged; `faxmail cleanup` honours archive.keep_days (0: for ever).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { archiveFax, archiveMonthDir, cleanupArchive, type ArchiveRecord } from '../../lib/archive/archive.js';
import { parseConfig } from '../../lib/config/load.js';
import { handleReceived } from '../../lib/inbound/receive.js';
import { reportSent } from '../../lib/notify/outbound.js';
import { cleanupSpool } from '../../lib/admin/cleanup.js';
import { makeReceivedFax } from '../helpers/received-fixtures.js';
import { makeJob, makeNotifyEnv, readMails, type NotifyEnv } from '../notify/env.js';

/** A logger whose lines can be read back. */
function recordingLogger(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void out.push(s) });
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function archivedEnv(keepDays = 0): Promise<NotifyEnv & { archive: string }> {
  const probe = await makeNotifyEnv();
  const archive = join(probe.root, 'archive');
  mkdirSync(archive);
  const env = await makeNotifyEnv({
    toml: `[archive]\ndirectory = "${archive}"\nkeep_days = ${keepDays}\n[inbound]\ndefault = ["desk@example.com"]\n`,
  });
  return { ...env, archive };
}

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function sentReport(job: string): Parameters<typeof reportSent>[1] {
  return {
    job,
    attempt: 1,
    status: 'SUCCESS',
    error: 'OK',
    pages: 2,
    rate: 14400,
    resolution: '8031x7700',
    remoteId: 'FAR END 1',
  };
}

test('a sent fax: receipt mailed, then PDF + sidecar in YYYY/MM', async () => {
  const env = await archivedEnv();
  const job = await makeJob(env, { subject: 'Invoice 42', replyTo: 'alice@example.org' });
  const now = new Date(2026, 11, 2, 9, 30);
  const r = await reportSent(env.config, sentReport(job.id), env.log, now);
  assert.is(r.action, 'sent');
  assert.is(r.receipt, 'sent');
  assert.is((await readMails(env)).length, 1);
  const dir = archiveMonthDir(env.archive, now);
  assert.ok(dir.endsWith(join('2026', '12')));
  const rec = JSON.parse(readFileSync(join(dir, `sent-${job.id}.json`), 'utf8')) as ArchiveRecord;
  assert.is(rec.kind, 'sent');
  assert.is(rec.number, job.number);
  assert.is(rec.pages, job.pages);
  assert.is(rec.remoteStationId, 'FAR END 1');
  assert.is(rec.subject, 'Invoice 42');
  assert.is(rec.sender, 'alice@example.org');
  const pdf = join(dir, rec.pdf);
  assert.is(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
  assert.is(rec.sha256, sha(pdf));
  assert.is(rec.bytes, readFileSync(pdf).length);
  // Nothing half-written is left beside them.
  assert.equal(readdirSync(dir).sort(), [`sent-${job.id}.json`, `sent-${job.id}.pdf`]);
});

test('a received fax: mailed, then archived with its caller and recipients', async () => {
  const env = await archivedEnv();
  const fax = await makeReceivedFax({ pages: 2, resolution: 'fine', dir: env.root });
  const id = 'rx-archive-1';
  mkdirSync(join(env.paths.inbound), { recursive: true });
  copyFileSync(fax.tiff, join(env.paths.inbound, `${id}.tif`));
  const out = await handleReceived(
    env.config,
    {
      id,
      did: '0312345678',
      callerNum: '0311112222',
      callerName: 'ACME',
      remoteId: 'ACME 1',
      status: 'SUCCESS',
      errorKey: 'OK',
      pages: 2,
      rate: 14400,
      resolution: '8031x7700',
    },
    env.log,
  );
  assert.is(out.state, 'delivered');
  const month = readdirSync(env.archive);
  assert.is(month.length, 1);
  const dir = join(env.archive, month[0]!, readdirSync(join(env.archive, month[0]!))[0]!);
  const rec = JSON.parse(readFileSync(join(dir, `received-${id}.json`), 'utf8')) as ArchiveRecord;
  assert.is(rec.kind, 'received');
  assert.is(rec.pages, 2);
  assert.is(rec.callerNum, '0311112222');
  assert.equal(rec.recipients, ['desk@example.com']);
  assert.is(rec.sha256, sha(join(dir, rec.pdf)));
  assert.ok(readFileSync(join(dir, rec.pdf)).equals(readFileSync(join(env.paths.inbound, `${id}.pdf`))));
});

test('an archive that cannot be written: the receipt still goes, the failure is logged', async () => {
  const env = await archivedEnv();
  const now = new Date(2026, 0, 15, 12, 0);
  // The year directory is a file: mkdir of YYYY/MM fails.
  writeFileSync(join(env.archive, '2026'), 'in the way');
  const rec = recordingLogger();
  const job = await makeJob(env);
  const r = await reportSent(env.config, sentReport(job.id), rec.log, now);
  assert.is(r.receipt, 'sent');
  assert.is((await readMails(env)).length, 1);
  const failed = rec.lines().filter((l) => l['msg'] === 'archive failed');
  assert.is(failed.length, 1);
  assert.is(failed[0]!['level'], 50);
  assert.is(failed[0]!['job'], job.id);
});

test('cleanup honours archive.keep_days; 0 keeps everything; empty month and year directories go', async () => {
  const env = await archivedEnv(30);
  const pdf = join(env.root, 'x.pdf');
  writeFileSync(pdf, '%PDF-1.4\n%%EOF\n');
  const base = { kind: 'sent' as const, number: '0312345678', pages: 1, remoteStationId: '', status: 'SUCCESS' };
  const now = new Date(2026, 5, 30, 12, 0);
  const old = await archiveFax(
    env.config,
    { ...base, id: 'old-1', at: new Date(2026, 3, 1).toISOString() },
    pdf,
    env.log,
  );
  const recent = await archiveFax(
    env.config,
    { ...base, id: 'new-1', at: new Date(2026, 5, 20).toISOString() },
    pdf,
    env.log,
  );
  assert.ok(old && recent);
  // A PDF whose sidecar never came (a crash in between), old.
  const orphan = join(archiveMonthDir(env.archive, new Date(2026, 3, 1)), 'sent-orphan.pdf');
  writeFileSync(orphan, '%PDF-1.4\n');
  utimesSync(orphan, new Date(2026, 3, 1), new Date(2026, 3, 1));
  const keepAll = parseConfig(
    readFileSync(env.configPath, 'utf8').replace('keep_days = 30', 'keep_days = 0'),
    env.configPath,
  );
  assert.equal((await cleanupArchive(keepAll, env.log, { now })).removed, []);
  const dry = await cleanupSpool(env.config, env.log, { now, dryRun: true });
  assert.equal(dry.archive, ['sent-old-1']);
  assert.ok(existsSync(old!));
  const r = await cleanupSpool(env.config, env.log, { now });
  assert.equal(r.archive, ['sent-old-1']);
  assert.not.ok(existsSync(old!));
  assert.not.ok(existsSync(old!.replace(/\.json$/, '.pdf')));
  assert.not.ok(existsSync(orphan));
  assert.not.ok(existsSync(archiveMonthDir(env.archive, new Date(2026, 3, 1))), 'empty month directory removed');
  assert.ok(existsSync(recent!) && existsSync(recent!.replace(/\.json$/, '.pdf')));
});

test.run();
