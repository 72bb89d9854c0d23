/*
 * test/ mirrors lib/ (issue 13): the tests of lib/<area>/<module>.ts live in test/<area>/<module>.test.ts,
 * with more of them, where one file would be too long, in test/<area>/<module>-<aspect>.test.ts. Tests of
 * behaviour across modules (the black-box sendfax runs in test/sendfax/, test/asterisk/, test/sip/,
 * test/e2e/) keep their own names in their areas.
 * A module without such a file must be in UNTESTED_HERE below, saying where it is tested instead, so a new
 * module cannot go untested silently; an entry that gains its own test file or disappears must leave the list.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './helpers/paths.js';

/** lib/ modules (path under lib/ without .ts) tested elsewhere, and where. */
const UNTESTED_HERE: Record<string, string> = {
  // pure type files
  'mail/types': 'types only',
  'spool/types': 'types, and parseFaxMode (sip/trunk.test.ts: the T.38 or audio mode of each attempt)',
  errors: 'the error type; its codes and sentences are asserted by every module test that fails on purpose',
  // tested through the module that uses them
  'cli/signals': 'process-state.test.ts, exec/run.test.ts (our own exit kills tools), sendfax/rejections (SIGTERM)',
  'documents/page-font': 'documents/body-page.test.ts, documents/cover-page.test.ts (the font, Helvetica fallback)',
  'mail/builtin-templates': 'undefined outside the bundles; the bundled receipts: notify/*.test.ts, inbound/*.test.ts',
  'mime/types': 'mime/part.test.ts, mime/parse.test.ts (application/octet-stream parts typed by their file name)',
  'admin/cancel': 'admin/faxmail-cli.test.ts (faxmail cancel), asterisk/race.test.ts (cancel during a call)',
  'admin/cleanup': 'queue/recover.test.ts, archive/archive.test.ts',
  'admin/queue-actions': 'queue/recover.test.ts (list, retry, hold, release, prefix ids)',
  'admin/show': 'queue/recover.test.ts (formatJob), admin/faxmail-cli.test.ts',
  'asterisk/cli': 'asterisk/queue.test.ts (parseConcise against a real Asterisk), admin/doctor-asterisk.test.ts',
  'cli/completion': 'cli/man.test.ts',
  'cli/entry': 'every run of a built command: admin/faxmail-cli.test.ts, cli/non-root.test.ts, sendfax/*.test.ts',
  'cli/privileges': 'cli/root-safe.test.ts (every command as root and as the spool owner)',
  'cli/spec': 'cli/parser.test.ts, cli/man.test.ts',
  'config/locate': 'config/load-problems.test.ts (file:line:column of every problem)',
  'config/schema': 'config/load.test.ts, config/docs.test.ts',
  'config/spec': 'config/load.test.ts (every builder through the schema)',
  'documents/image-info': 'documents/image-pdf.test.ts',
  'documents/page-geometry': 'documents/image-pdf.test.ts',
  'exec/budget': 'exec/run.test.ts, documents/office.test.ts',
  'exec/cpu': 'exec/run.test.ts',
  'exec/limits': 'sendfax/limits.test.ts (the two sentences in bounces)',
  'exec/verdict': 'exec/run.test.ts',
  'fax-result/catalog': 'fax-result/classify.test.ts',

  'fsutil/atomic': 'sendfax/parallel.test.ts (no partial call file ever visible), queue/sendfax-kill.test.ts',
  'inbound/cleanup': 'admin/faxmail-cli.test.ts (faxmail cleanup, retention.received_days)',
  'inbound/record': 'inbound/receive.test.ts',
  log: 'cli/log-level.test.ts (the level, in the commands themselves)',
  'mail/address': 'mail/transport.test.ts',
  'mail/admin-report': 'queue/recover.test.ts (a lost call reported to notify.admin)',
  'mail/compose': 'mail/transport.test.ts, config/load-problems.test.ts',
  'mail/outbox': 'mail/deliver.test.ts',
  mailbox: 'policy/sender.test.ts',
  'notify/receipt': 'mail/template.test.ts, notify/outbound.test.ts',
  'queue/apply': 'notify/outbound.test.ts, queue/recover.test.ts',
  'queue/follow': 'notify/outbound.test.ts (the follower starts the job that waited)',
  'queue/limits': 'sendfax/rejections.test.ts (queue.sender_max_waiting)',
  'queue/mailkey': 'queue/sendfax-kill.test.ts (one mail, one job)',
  'queue/reports': 'queue/recover.test.ts',
  'sendfax/enter-job': 'the black-box sendfax runs: sendfax/*.test.ts',
  'sendfax/fax-image': 'sendfax/documents.test.ts, cli/send.test.ts',
  'sendfax/send-files': 'cli/send.test.ts, asterisk/send.test.ts',
  'spool/job-id': 'admin/status.test.ts, queue/recover.test.ts',
  'spool/jobs': 'queue/records.test.ts, queue/recover.test.ts',
  sysexits: 'config/load.test.ts, policy/number.test.ts; the exit statuses of cli/root-safe and cli/non-root',
};

function modules(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...modules(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(join(repoRoot, 'lib'), p).slice(0, -3));
  }
  return out;
}

/** Has lib/<mod>.ts a test file of its own (test/<mod>.test.ts or test/<mod>-<aspect>.test.ts)? */
function hasOwnTest(mod: string): boolean {
  const slash = mod.lastIndexOf('/');
  const dir = join(repoRoot, 'test', mod.slice(0, slash + 1));
  const base = mod.slice(slash + 1);
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((f) => f === `${base}.test.ts` || (f.startsWith(`${base}-`) && f.endsWith('.test.ts')));
}

const all = modules(join(repoRoot, 'lib'));

test('every lib/ module has its test file, or is in the list saying where it is tested', () => {
  const missing = all.filter((m) => !hasOwnTest(m) && !(m in UNTESTED_HERE));
  assert.equal(missing, [], `lib/ modules without test/<area>/<module>.test.ts: ${missing.join(', ')}`);
});

test('the list holds no module that has its own test file now, or no longer exists', () => {
  const stale = Object.keys(UNTESTED_HERE).filter((m) => !all.includes(m) || hasOwnTest(m));
  assert.equal(stale, [], `remove from UNTESTED_HERE: ${stale.join(', ')}`);
});

test('the check sees the tree: known modules and their tests are found', () => {
  assert.ok(all.includes('mime/parse') && hasOwnTest('mime/parse'));
  assert.ok(hasOwnTest('admin/doctor'), 'doctor.test.ts');
  assert.ok(all.includes('errors') && !hasOwnTest('errors'));
  assert.ok(all.length > 50, `${all.length} modules`);
});

test.run();
