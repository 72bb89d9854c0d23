/*
 * transport-postfix.test.ts (lib/mail/transport.ts): the sendmail transport through a REAL Postfix.
 * A private, throw-away instance (test/helpers/postfix-instance.ts) delivers into maildirs; its sendmail
 * is selected with MAIL_CONFIG in the environment faxmail's process passes on (lib/ never reads it).
 * Needs root, like the e2e tests. Covers: a receipt with a PDF arrives whole with our envelope sender
 * (Return-Path); a single-dot line survives (-i); a received fax from handleReceived arrives with its PDF.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sendOrQueue } from '../../lib/mail/deliver.js';
import { listOutbox } from '../../lib/mail/outbox.js';
import { handleReceived } from '../../lib/inbound/receive.js';
import { spoolPaths } from '../../lib/spool/jobs.js';
import { silentLogger } from '../../lib/log.js';
import { startPostfixInstance, postfixTool, type PostfixInstance } from '../helpers/postfix-instance.js';
import { makeReceivedFax } from '../helpers/received-fixtures.js';
import { receivedReport } from '../helpers/job-record.js';
import { makeTestEnv, type TestEnv } from './test-config.js';
import { waitUntil } from '../helpers/wait.js';

const log = silentLogger();
let pf: PostfixInstance | undefined;
let e: TestEnv;

test.before(async () => {
  pf = await startPostfixInstance();
  process.env['MAIL_CONFIG'] = pf.configDir;
  e = makeTestEnv(
    `sendmail = "${postfixTool('sendmail')}"\n[notify]\nfrom = "fax@example.org"\n[inbound]\ndefault = ` +
      `["bob@example.org"]\n[mail]\ntransport = "sendmail"\n`,
    'faxmail-sendmail-',
  );
});
test.after(async () => {
  delete process.env['MAIL_CONFIG'];
  await pf?.stop();
});

test('a receipt with a PDF goes through Postfix sendmail whole, with our envelope sender', async () => {
  const pdf = join(e.dir, 'fax.pdf');
  writeFileSync(pdf, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(20_000, 7)]));
  const r = await sendOrQueue(
    e.config,
    {
      kind: 'receipt',
      to: ['alice@example.org'],
      subject: 'Fax sent to 0312345678',
      text: 'one\n.\ntwo',
      attachments: [{ filename: 'fax.pdf', path: pdf, contentType: 'application/pdf' }],
      jobId: 'job-1',
    },
    log,
  );
  assert.is(r, 'sent');
  const box = await waitUntil(
    async () => {
      const m = await pf!.readMailbox('alice@example.org');
      return m.length > 0 ? m : undefined;
    },
    30_000,
    'mail in alice@example.org',
  );
  const p = box[0]!.parsed;
  assert.is(p.subject, 'Fax sent to 0312345678');
  assert.match(box[0]!.raw, /^Return-Path: <fax@example\.org>/m);
  assert.is(p.headers.get('auto-submitted'), 'auto-generated');
  assert.is(p.headers.get('x-faxmail-job'), 'job-1');
  assert.match(p.text ?? '', /one\n\.\ntwo/);
  assert.ok(p.attachments[0]!.content.equals(readFileSync(pdf)));
  assert.is((await listOutbox(spoolPaths(e.spool))).entries.length, 0);
});

test('a received fax is mailed through Postfix with its PDF', async () => {
  const fax = await makeReceivedFax({ pages: 1, resolution: 'standard', dir: e.dir });
  mkdirSync(join(e.spool, 'inbound'), { recursive: true });
  copyFileSync(fax.tiff, join(e.spool, 'inbound', 'pf-1.tif'));
  const r = await handleReceived(e.config, receivedReport('pf-1', { did: '100', pages: 1 }), log);
  assert.is(r.state, 'delivered');
  const box = await waitUntil(
    async () => {
      const m = await pf!.readMailbox('bob@example.org');
      return m.length > 0 ? m : undefined;
    },
    30_000,
    'mail in bob@example.org',
  );
  assert.is(box[0]!.parsed.subject, 'Fax from ACME Corp (0311112222) (1 page)');
  assert.equal(
    box[0]!.parsed.attachments.map((a) => a.filename),
    ['fax-pf-1.pdf'],
  );
});

test.run();
