/*
 * receive.test.ts: received faxes (real spandsp output from the line simulator) are mailed through a real
 * SMTP server on loopback, to the recipients of the dialled number or the default ones, with a PDF that
 * renders dot for dot like the TIFF at its true page size. Partial faxes carry a warning, empty calls are
 * reported to the admin only when asked, a second report of the same call does nothing, and hostile caller
 * names change nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { handleReceived, recipientsFor } from '../../lib/inbound/receive.js';
import { receivedReport } from '../helpers/job-record.js';
import { readInboundRecord } from '../../lib/inbound/record.js';
import { flushOutbox } from '../../lib/mail/deliver.js';
import { listOutbox } from '../../lib/mail/outbox.js';
import { spoolPaths } from '../../lib/spool/jobs.js';
import { silentLogger } from '../../lib/log.js';
import { makeReceivedFax, makePartialReceivedFax } from '../helpers/received-fixtures.js';
import type { SmtpSink } from '../helpers/smtp-sink.js';
import { makeTestEnv, smtpSection, useSmtpSink, type TestEnv } from '../mail/test-config.js';
import { assertFaithful } from './pixels.js';

const log = silentLogger();
let sink: SmtpSink;
const envs = useSmtpSink(test, (s) => (sink = s));
let fixtures: string;
const fax: Record<string, string> = {};

function env(extra = '', opts: { report?: boolean; admin?: string; locale?: string } = {}): TestEnv {
  const admin = opts.admin ?? 'admin@example.com';
  const e = makeTestEnv(
    `${extra}[notify]\nfrom = "fax@example.org"\nadmin = "${admin}"\nreport_empty_receive = ` +
      `${opts.report ?? false}\nlocale = "${opts.locale ?? 'en'}"\n` +
      `[inbound]\nrecipients = { "0312345678" = ["a@example.com", "b@example.com"] }\ndefault = ` +
      `["desk@example.com"]\n` +
      smtpSection(sink.port),
    'faxmail-inbound-',
  );
  envs.push(e);
  return e;
}

let idSeq = 0;
/** Put a received TIFF where ReceiveFAX would have written it; returns the id. */
function place(e: TestEnv, tiff: string | undefined): string {
  const id = `rx-${process.pid}-${++idSeq}`;
  mkdirSync(join(e.spool, 'inbound'), { recursive: true });
  if (tiff) copyFileSync(tiff, join(e.spool, 'inbound', `${id}.tif`));
  return id;
}

test.before(async () => {
  const e = makeTestEnv('', 'faxmail-inbound-fixtures-');
  envs.push(e);
  fixtures = e.dir;
  fax['std2'] = (await makeReceivedFax({ pages: 2, resolution: 'standard', dir: fixtures })).tiff;
  fax['fine1'] = (await makeReceivedFax({ pages: 1, resolution: 'fine', dir: fixtures })).tiff;
  fax['partial'] = (
    await makePartialReceivedFax({ pages: 3, receivedPages: 1, resolution: 'fine', dir: fixtures })
  ).tiff;
});

test('standard 2-page fax to a listed number: both recipients, exact PDF, summary in text and HTML', async () => {
  const e = env();
  const id = place(e, fax['std2']);
  const r = await handleReceived(e.config, receivedReport(id), log);
  assert.is(r.state, 'delivered');
  assert.is(r.pages, 2);
  assert.equal(r.recipients, ['a@example.com', 'b@example.com']);
  assert.is(sink.messages.length, 1);
  assert.equal(sink.messages[0]!.to, ['a@example.com', 'b@example.com']);
  const p = await sink.parse(0);
  assert.is(p.subject, 'Fax from ACME Corp (0311112222) (2 pages)');
  assert.is(p.headers.get('x-faxmail-job'), id);
  assert.is(p.headers.get('auto-submitted'), 'auto-generated');
  for (const want of [
    '+81 3 1111 2222',
    '0312345678',
    'Pages:       2',
    '204x98 dpi (standard)',
    '1 min 5 s',
    '14400 bit/s',
  ]) {
    assert.ok(p.text!.includes(want), `text has ${want}`);
  }
  assert.match(p.html as string, /<td>ACME Corp \(0311112222\)<\/td>/);
  assert.is(p.attachments.length, 1);
  const att = p.attachments[0]!;
  assert.is(att.filename, `fax-${id}.pdf`);
  assert.is(att.contentType, 'application/pdf');
  const pdf = join(e.dir, 'mailed.pdf');
  writeFileSync(pdf, att.content);
  await assertFaithful(fax['std2']!, pdf, e.dir);
  // kept in the spool for keep_days
  assert.ok(existsSync(join(e.spool, 'inbound', `${id}.tif`)));
  assert.ok(existsSync(join(e.spool, 'inbound', `${id}.pdf`)));
  assert.is((await readInboundRecord(spoolPaths(e.spool), id))!.state, 'delivered');
});

test('fine fax to an unlisted number goes to the default list, TIFF attached too with attach_tiff', async () => {
  const e2 = makeTestEnv(
    `[notify]\nfrom = "fax@example.org"\n[inbound]\ndefault = ["desk@example.com"]\nattach_tiff = true\n` +
      smtpSection(sink.port),
    'faxmail-inbound-',
  );
  envs.push(e2);
  const id = place(e2, fax['fine1']);
  const r = await handleReceived(
    e2.config,
    receivedReport(id, { did: '0399999999', pages: 1, resolution: '8031x7700' }),
    log,
  );
  assert.equal(r.recipients, ['desk@example.com']);
  const p = await sink.parse(0);
  assert.equal(sink.messages[0]!.to, ['desk@example.com']);
  assert.equal(
    p.attachments.map((a) => a.filename),
    [`fax-${id}.pdf`, `fax-${id}.tif`],
  );
  assert.ok(p.attachments[1]!.content.equals(readFileSync(fax['fine1']!)));
  assert.ok(p.text!.includes('204x196 dpi (fine)'));
  const pdf = join(e2.dir, 'mailed.pdf');
  writeFileSync(pdf, p.attachments[0]!.content);
  await assertFaithful(fax['fine1']!, pdf, e2.dir);
});

test('recipients by dialled number, else the default list', () => {
  const e = env();
  assert.equal(recipientsFor(e.config, '0312345678'), ['a@example.com', 'b@example.com']);
  assert.equal(recipientsFor(e.config, '0300000000'), ['desk@example.com']);
});

test('a partial fax (FAILED after 1 page) is delivered with a warning and the error in words', async () => {
  const e = env();
  const id = place(e, fax['partial']);
  const r = await handleReceived(
    e.config,
    receivedReport(id, { status: 'FAILED', errorKey: 'Thecalldroppedprematurely', pages: 1, resolution: '8031x7700' }),
    log,
  );
  assert.is(r.state, 'delivered');
  assert.is(r.partial, true);
  assert.is(r.pages, 1);
  const p = await sink.parse(0);
  assert.is(p.subject, '[Incomplete] Fax from ACME Corp (0311112222) (1 page)');
  assert.match(p.text!, /did not arrive completely/);
  assert.match(p.text!, /The call dropped prematurely/);
  assert.match(p.html as string, /did not arrive completely/);
  assert.is(p.attachments.length, 1);
});

test('a call without pages: admin told only with report_empty_receive', async () => {
  const off = env('', { report: false });
  const r1 = await handleReceived(
    off.config,
    receivedReport(place(off, undefined), {
      status: 'FAILED',
      errorKey: 'Timedoutwaitingforinitialcommunication',
      pages: 0,
    }),
    log,
  );
  assert.is(r1.state, 'empty');
  assert.is(sink.messages.length, 0);
  const on = env('', { report: true });
  const id = place(on, undefined);
  const r2 = await handleReceived(
    on.config,
    receivedReport(id, { status: 'FAILED', errorKey: 'Timedoutwaitingforinitialcommunication', pages: 0 }),
    log,
  );
  assert.is(r2.state, 'empty');
  assert.equal(sink.messages[0]!.to, ['admin@example.com']);
  const p = await sink.parse(0);
  assert.is(p.subject, 'Fax call without pages from ACME Corp (0311112222)');
  assert.match(p.text!, /without any page/);
  assert.is(p.attachments.length, 0);
  assert.is((await readInboundRecord(spoolPaths(on.spool), id))!.reported, true);
});

test('the same call reported twice (even at once) is mailed once', async () => {
  const e = env();
  const id = place(e, fax['fine1']);
  const [a, b] = await Promise.all([
    handleReceived(e.config, receivedReport(id), log),
    handleReceived(e.config, receivedReport(id), log),
  ]);
  assert.equal([a.state, b.state].sort(), ['delivered', 'duplicate']);
  const c = await handleReceived(e.config, receivedReport(id), log);
  assert.is(c.state, 'duplicate');
  assert.is(sink.messages.length, 1);
});

test('hostile caller name and station id change nothing: escaped in HTML, one line in the subject', async () => {
  const e = env();
  const marker = `/tmp/faxmail-pwned-${process.pid}`;
  const id = place(e, fax['fine1']);
  const hostile = receivedReport(id, {
    callerName: `"; touch ${marker} #, $(id) <script>alert(1)</script>\r\nBcc: evil@example.net`,
    callerNum: '`id`,0311112222',
    remoteId: '<img src=x onerror=alert(1)>\n$(reboot)',
  });
  const r = await handleReceived(e.config, hostile, log);
  assert.is(r.state, 'delivered');
  assert.not.ok(existsSync(marker));
  const m = sink.messages[0]!;
  assert.equal(m.to, ['a@example.com', 'b@example.com']);
  const head = m.raw.toString('latin1').split('\r\n\r\n')[0]!;
  assert.not.match(head, /^Bcc:/im);
  const p = await sink.parse(0);
  assert.not.match(p.subject!, /[\r\n]/);
  // names are bounded (60 characters) as well as flattened
  assert.ok(p.subject!.startsWith(`Fax from "; touch ${marker} #, $(id) <script>`), p.subject);
  assert.ok(p.subject!.includes('… (`id`,0311112222) (1 page)'), p.subject);
  const html = p.html as string;
  assert.not.ok(html.includes('<script>'));
  assert.not.ok(html.includes('<img'));
  assert.ok(html.includes('$(id) &lt;script&gt;alert(1)'));
  assert.ok(html.includes('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; $(reboot)'));
  assert.ok(p.text!.includes('Station ID:  <img src=x onerror=alert(1)> $(reboot)'));
  // a value that looks like a template placeholder stays text
  const id2 = place(e, fax['fine1']);
  await handleReceived(e.config, receivedReport(id2, { callerName: '{{did}} {{#partial}}x{{/partial}}' }), log);
  assert.ok((await sink.parse(1)).subject!.includes('{{did}} {{#partial}}x{{/partial}}'));
});

test('Japanese templates with locale = "ja"', async () => {
  const e = env('', { locale: 'ja' });
  const id = place(e, fax['std2']);
  await handleReceived(e.config, receivedReport(id), log);
  const p = await sink.parse(0);
  assert.is(p.subject, 'ACME Corp (0311112222) からのファクス（2枚）');
  assert.match(p.text!, /ファクスを受信しました/);
  assert.match(p.text!, /1分5秒/);
  assert.match(p.text!, /204x98 dpi（標準）/);
});

test('templates can be overridden from paths.templates', async () => {
  const e0 = makeTestEnv('', 'faxmail-inbound-tpl-');
  envs.push(e0);
  const tdir = join(e0.dir, 'templates');
  mkdirSync(tdir);
  writeFileSync(
    join(tdir, 'inbound.en.txt'),
    'Subject: FAX {{did}} from {{caller_num}}{{#if partial}} PARTIAL{{/if}}\n\nCustom body: {{pages}} page(s) ' +
      'from {{station}}\n',
  );
  // a broken admin template is logged and the built-in one used: the fax still goes out
  writeFileSync(join(tdir, 'inbound.en.html'), '<p>{{#if partial}}never closed</p>');
  const e = env(`templates = "${tdir}"\n`);
  const id = place(e, fax['fine1']);
  await handleReceived(e.config, receivedReport(id), log);
  const p = await sink.parse(0);
  assert.is(p.subject, 'FAX 0312345678 from 0311112222');
  assert.is(p.text!.trim(), 'Custom body: 1 page(s) from +81 3 1111 2222');
  assert.match(p.html as string, /You have received a fax/); // the built-in HTML, not the broken copy
  assert.not.match(p.html as string, /never closed/);
});

test('mail server down: the fax is queued, and a flush delivers it', async () => {
  const e = env();
  sink.setMode('refuse');
  const id = place(e, fax['std2']);
  const r = await handleReceived(e.config, receivedReport(id), log);
  assert.is(r.state, 'queued');
  assert.is((await listOutbox(spoolPaths(e.spool))).entries.length, 1);
  // a second report of the same call does not queue a second mail
  assert.is((await handleReceived(e.config, receivedReport(id), log)).state, 'duplicate');
  sink.setMode('accept');
  assert.equal(await flushOutbox(e.config, log), { sent: 1, failed: 0, remaining: 0 });
  const p = await sink.parse(0);
  assert.is(p.attachments[0]!.filename, `fax-${id}.pdf`);
});

test('no recipient and no admin: kept in the spool, not marked done', async () => {
  const e = makeTestEnv(`[notify]\nfrom = "fax@example.org"\n` + smtpSection(sink.port), 'faxmail-inbound-');
  envs.push(e);
  const id = place(e, fax['fine1']);
  const r = await handleReceived(e.config, receivedReport(id), log);
  assert.is(r.state, 'no-recipient');
  assert.is(sink.messages.length, 0);
  assert.ok(existsSync(join(e.spool, 'inbound', `${id}.tif`)));
});

test('a damaged TIFF is still delivered, as it arrived, with a note', async () => {
  const e = env();
  const id = place(e, undefined);
  const good = readFileSync(fax['fine1']!);
  writeFileSync(join(e.spool, 'inbound', `${id}.tif`), good.subarray(0, 200));
  const r = await handleReceived(e.config, receivedReport(id), log);
  assert.is(r.state, 'delivered');
  const p = await sink.parse(0);
  assert.equal(
    p.attachments.map((a) => a.filename),
    [`fax-${id}.tif`],
  );
  assert.match(p.text!, /could not be converted to PDF/);
});

test('an id that is not [0-9A-Za-z.-] is a usage error', async () => {
  const e = env();
  for (const bad of ['../etc/passwd', '.hidden', 'a/b', 'a b', '']) {
    try {
      await handleReceived(e.config, receivedReport(bad), log);
      assert.unreachable(bad);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'usage', bad);
    }
  }
});

test.run();
