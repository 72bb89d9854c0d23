/*
 * standin.test.ts: end to end through the real parts. A mail goes into the BUILT sendfax, whose call file
 * the Asterisk stand-in picks up and plays through the shipped dialplan template: the fax crosses the
 * spandsp line simulator, and the template's System() line runs the BUILT faxmail-notify, which mails the
 * receipt as an .eml file. Also the receive direction with hostile caller values, and the stand-in's own
 * strictness (a drifted template, a call file written in place, a line pbx_spool would split).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { simpleParser, type ParsedMail } from 'mailparser';
import { makeTestEnv, runSendfax, type TestEnv } from '../helpers/sendfax-env.js';
import { composeMail } from '../helpers/mail-fixtures.js';
import { makePdf } from '../helpers/documents.js';
import { buildLineSim, transmitFax } from '../helpers/linesim.js';
import { makeFaxTiff } from '../helpers/received-fixtures.js';
import { TEMPLATE_PATH } from '../helpers/dialplan.js';
import { AsteriskStandin, CallFileError, answers, busy, checkCallFile, type CallReport } from '../helpers/asterisk-standin.js';
import type { Job } from '../../lib/spool/types.js';

const cleanup: string[] = [];
const standins: AsteriskStandin[] = [];

test.before(async () => {
  await buildLineSim();
});

test.after(async () => {
  for (const s of standins) await s.stop();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

/** A test installation (optionally archiving call files) and a started stand-in watching it. */
async function setup(opts: { archive?: boolean; extraToml?: string; template?: string } = {}): Promise<{ env: TestEnv; asterisk: AsteriskStandin }> {
  const env = makeTestEnv(opts.extraToml ? { extraToml: opts.extraToml } : {});
  cleanup.push(env.root);
  if (opts.archive) {
    const text = readFileSync(env.configPath, 'utf8');
    writeFileSync(env.configPath, text.replace('channel = "PJSIP/{number}@trunk"', 'channel = "PJSIP/{number}@trunk"\narchive = true'));
  }
  const asterisk = await new AsteriskStandin({ env, ...(opts.template ? { template: opts.template } : {}) }).start();
  standins.push(asterisk);
  return { env, asterisk };
}

/** Mail a PDF of `pages` pages to fax+0312345678 through the built sendfax; returns the job id. */
async function sendMail(env: TestEnv, opts: { pages: number; subject?: string }): Promise<string> {
  const mail = await composeMail({
    from: 'Alice Example <alice@example.org>',
    to: 'fax+0312345678@fax.example.com',
    subject: opts.subject ?? 'Quarterly report',
    text: 'Please find the report attached.',
    attachments: [{ filename: 'report.pdf', content: readFileSync(makePdf({ pages: opts.pages, title: 'standin' })), contentType: 'application/pdf' }],
  });
  const r = await runSendfax(env, mail);
  assert.is(r.status, 0, `sendfax: ${r.stdout}${r.stderr}`);
  const m = /Fax job (\S+) queued: (\d+) pages?/.exec(r.firstLine);
  assert.ok(m, r.firstLine);
  assert.is(Number(m![2]), opts.pages);
  return m![1]!;
}

function readJobRecord(env: TestEnv, id: string): Job {
  return JSON.parse(readFileSync(join(env.spool, 'jobs', id, 'job.json'), 'utf8')) as Job;
}

async function mails(env: TestEnv): Promise<ParsedMail[]> {
  const names = readdirSync(env.mailDir).filter((n) => n.endsWith('.eml')).sort();
  return Promise.all(names.map((n) => simpleParser(readFileSync(join(env.mailDir, n)))));
}

function pdfPages(data: Buffer): number {
  const out = execFileSync('pdfinfo', ['-'], { input: data }).toString();
  return Number(/^Pages:\s+(\d+)/m.exec(out)?.[1]);
}

/** The fax sendfax made arrived whole at a normal far end. */
function assertArrived(call: CallReport, pages: number): void {
  const rx = call.fax?.result?.receiver;
  assert.ok(rx, 'the far end answered');
  assert.is(rx!.status, 'SUCCESS', `far end: ${rx!.error}`);
  assert.is(rx!.pages, pages);
  assert.ok(existsSync(call.fax!.output), 'the far end wrote the received TIFF');
}

// ------------------------------------------------------------------------------------------------

test('a mail becomes a fax; the far end receives every page; the sender gets a receipt with the PDF', async () => {
  const { env, asterisk } = await setup();
  const id = await sendMail(env, { pages: 2 });
  const call = await asterisk.runCall(answers());

  assert.is(call.callFile.channel.tech, 'PJSIP');
  assert.is(call.callFile.channel.dest, '0312345678@trunk');
  assert.is(call.callFile.context, 'faxmail-send');
  assert.is(call.callFile.vars['FAXMAIL_JOB'], id);
  assert.is(call.callFile.vars['FAXMAIL_ATTEMPT'], '1');
  assert.is(call.fax!.file, join(env.spool, 'jobs', id, 'fax.tif'));
  assert.ok(call.scheduledDelaySec <= 1, 'the first call is due at once');
  assertArrived(call, 2);
  // What the template handed to notify: the filtered FAXOPT() values, the sending leg's HANGUP included.
  const argv = call.notify.argv;
  assert.is(argv[1], 'sent');
  assert.is(argv[argv.indexOf('--status') + 1], 'SUCCESS');
  assert.is(argv[argv.indexOf('--error') + 1], 'HANGUP');
  assert.is(argv[argv.indexOf('--pages') + 1], '2');
  assert.is(argv[argv.indexOf('--resolution') + 1], '8031x7700');
  assert.is(call.status, 'Completed');
  assert.equal(readdirSync(env.outgoing), [], 'the call file is gone (Archive: no)');

  const job = readJobRecord(env, id);
  assert.is(job.state, 'sent');
  assert.is(job.attempts.length, 1);
  assert.is(job.attempts[0]!.status, 'SUCCESS');
  assert.is(job.attempts[0]!.pages, 2);

  const [receipt, ...more] = await mails(env);
  assert.is(more.length, 0, 'exactly one mail');
  assert.is(receipt!.to && !Array.isArray(receipt!.to) ? receipt!.to.value[0]!.address : '', 'alice@example.org');
  assert.match(receipt!.subject ?? '', /sent/i);
  assert.is(receipt!.headers.get('x-faxmail-job'), id);
  const pdf = receipt!.attachments.find((a) => a.contentType === 'application/pdf');
  assert.ok(pdf, 'the receipt carries the fax as a PDF');
  assert.is(pdfPages(pdf!.content), 2);
  await asterisk.expectNoCall(500);
});

test('busy, then a retry call file scheduled for later, then success (archived like Asterisk)', async () => {
  const { env, asterisk } = await setup({ archive: true });
  const id = await sendMail(env, { pages: 1 });

  const first = await asterisk.runCall(busy);
  assert.is(first.reason, 5);
  assert.is(first.notify.argv[1], 'unanswered');
  assert.is(first.notify.argv[first.notify.argv.indexOf('--reason') + 1], '5');
  assert.is(first.status, 'Expired');
  let job = readJobRecord(env, id);
  assert.is(job.state, 'queued');
  assert.is(job.attempts[0]!.status, 'UNANSWERED');
  assert.is(job.attempts[0]!.class, 'busy');
  assert.equal(await mails(env), [], 'no mail while the fax is still being tried');

  const second = await asterisk.runCall(answers());
  assert.is(second.callFile.vars['FAXMAIL_ATTEMPT'], '2');
  // retry.busy.after defaults to 180 s: the retry's call file carries that as a future mtime.
  assert.ok(second.scheduledDelaySec >= 170 && second.scheduledDelaySec <= 190, `scheduled ${second.scheduledDelaySec} s ahead`);
  assertArrived(second, 1);

  job = readJobRecord(env, id);
  assert.is(job.state, 'sent');
  assert.equal(
    job.attempts.map((a) => a.status),
    ['UNANSWERED', 'SUCCESS'],
  );
  const all = await mails(env);
  assert.is(all.length, 1);
  assert.match(all[0]!.subject ?? '', /sent/i);

  // Archive: yes: both call files in outgoing_done/ with Asterisk's own lines appended.
  const done = readdirSync(asterisk.outgoingDone).sort();
  assert.is(done.length, 2);
  const texts = done.map((n) => readFileSync(join(asterisk.outgoingDone, n), 'utf8'));
  assert.match(texts[0]!, /StartRetry: \d+ 1 \(\d+\)\nStatus: Expired\n$/);
  assert.match(texts[1]!, /StartRetry: \d+ 1 \(\d+\)\nStatus: Completed\n$/);
  assert.equal(readdirSync(env.outgoing), []);
});

test('a far end that takes standard resolution only: final failure notice explaining it, no retry', async () => {
  const { env, asterisk } = await setup();
  const id = await sendMail(env, { pages: 2 });
  const call = await asterisk.runCall(answers({ standardOnly: true }));
  assert.is(call.fax!.result!.sender.status, 'FAILED');
  assert.is(call.fax!.faxopt['FAXOPT(error)'], 'Far end cannot receive at the resolution of the image');
  assert.is(call.notify.argv[call.notify.argv.indexOf('--error') + 1], 'Farendcannotreceiveattheresolutionoftheimage');
  await asterisk.expectNoCall(1500);

  const job = readJobRecord(env, id);
  assert.is(job.state, 'failed');
  assert.is(job.attempts.length, 1);
  assert.is(job.attempts[0]!.status, 'FAILED');
  assert.is(job.attempts[0]!.class, 'incompatible');
  const [notice, ...more] = await mails(env);
  assert.is(more.length, 0);
  assert.match(notice!.subject ?? '', /could not be sent/i);
  assert.match(notice!.text ?? '', /resolution/i);
  assert.match(notice!.text ?? '', /\+standard/);

  // The TIFF itself is fine: a normal far end takes it whole.
  const dir = await mkdtemp(join(tmpdir(), 'faxmail-standin-'));
  cleanup.push(dir);
  const r = await transmitFax(join(env.spool, 'jobs', id, 'fax.tif'), join(dir, 'rx.tif'));
  assert.is(r.receiver?.status, 'SUCCESS');
  assert.is(r.receiver?.pages, 2);
});

test('the line drops in the middle of the fax: a retry is scheduled and sends every page', async () => {
  const { env, asterisk } = await setup();
  const id = await sendMail(env, { pages: 3 });
  const first = await asterisk.runCall(answers({ hangupAfterPages: 1 }));
  assert.is(first.fax!.faxopt['FAXOPT(status)'], 'FAILED');
  assert.is(first.fax!.faxopt['FAXOPT(error)'], 'The call dropped prematurely');
  assert.is(readJobRecord(env, id).attempts[0]!.class, 'dropped');

  const second = await asterisk.runCall(answers());
  assert.is(second.callFile.vars['FAXMAIL_ATTEMPT'], '2');
  assert.ok(second.scheduledDelaySec > 60, `the retry waits (${second.scheduledDelaySec} s)`);
  assertArrived(second, 3);
  const job = readJobRecord(env, id);
  assert.is(job.state, 'sent');
  assert.equal(
    job.attempts.map((a) => `${a.status}/${a.class}`),
    ['FAILED/dropped', 'SUCCESS/'],
  );
  const all = await mails(env);
  assert.is(all.length, 1);
  assert.match(all[0]!.subject ?? '', /sent/i);
});

test('an inbound fax with a hostile caller name and station id runs nothing and reaches the DID recipient', async () => {
  const { env, asterisk } = await setup({ extraToml: '\n[inbound]\nrecipients = { "0312345678" = ["bob@example.org"] }\ndefault = ["postmaster@example.org"]\n' });
  const before = existsSync('/tmp/x') ? statSync('/tmp/x').mtimeMs : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'faxmail-standin-'));
  cleanup.push(dir);
  const tiff = await makeFaxTiff({ pages: 2, dir });
  const report = await asterisk.receiveCall({ did: '0312345678', callerNum: '0451234567', callerName: '"; touch /tmp/x #', remoteStationId: '$(id)', tiffToSend: tiff });

  assert.is(existsSync('/tmp/x') ? statSync('/tmp/x').mtimeMs : undefined, before, '/tmp/x was not created or touched');
  assert.is(report.fax.result!.receiver!.status, 'SUCCESS');
  assert.is(report.fax.result!.receiver!.pages, 2);
  assert.is(report.fax.result!.receiver!.remote_station_id, '$(id)', 'the hostile station id really crossed the line');
  assert.is(report.tiff, join(env.spool, 'inbound', `${report.inboundId}.tif`));
  const argv = report.notify.argv;
  assert.is(argv[1], 'received');
  for (const v of argv) assert.not.match(v, /[;"#$()`\\|&<>]/, `argument ${JSON.stringify(v)} carries shell syntax`);
  assert.is(argv[argv.indexOf('--did') + 1], '0312345678');
  assert.is(argv[argv.indexOf('--caller-num') + 1], '0451234567');

  // A single quote would end the template's quoting if FILTER did not drop it.
  const second = await asterisk.receiveCall({ did: '0312345678', callerName: "x'; touch /tmp/x; '", remoteStationId: "'$(id)'", tiffToSend: tiff });
  assert.is(second.notify.argv[second.notify.argv.indexOf('--caller-name') + 1], 'x touch tmpx ');
  assert.is(second.notify.argv[second.notify.argv.indexOf('--remote-id') + 1], 'id');
  assert.is(existsSync('/tmp/x') ? statSync('/tmp/x').mtimeMs : undefined, before, '/tmp/x was not created or touched');

  const [mail, ...more] = await mails(env);
  assert.is(more.length, 1, 'one mail per received fax');
  assert.is(mail!.to && !Array.isArray(mail!.to) ? mail!.to.value.map((a) => a.address).join(',') : '', 'bob@example.org');
  const pdf = mail!.attachments.find((a) => a.contentType === 'application/pdf');
  assert.ok(pdf, 'the fax arrives as a PDF');
  assert.is(pdfPages(pdf!.content), 2);
});

// ------------------------------------------------------------------------------------------------
// The stand-in is strict, so the tests above can fail.

test('checkCallFile reads like pbx_spool: long lines, comments, Channel form, Setvar, required keys', () => {
  const good = 'Channel: PJSIP/0312345678@trunk\nContext: faxmail-send\nExtension: send\nPriority: 1\nSetvar: FAXMAIL_JOB=x\n';
  assert.is(checkCallFile(good).channel.dest, '0312345678@trunk');
  assert.is(checkCallFile(good.toLowerCase().replace('faxmail_job', 'FAXMAIL_JOB')).vars['FAXMAIL_JOB'], 'x', 'keys are case-insensitive');
  const bad = (text: string, problem: RegExp): void => {
    try {
      checkCallFile(text);
    } catch (err) {
      assert.instance(err, CallFileError);
      assert.match((err as Error).message, problem);
      return;
    }
    assert.unreachable(`accepted: ${text}`);
  };
  bad(good + `Setvar: LONG=${'a'.repeat(250)}\n`, /255/);
  bad(good.replace('PJSIP/', 'PJSIP-'), /Tech\/Dest/);
  bad('Channel: PJSIP/1\nPriority: 1\n', /neither Application nor Extension/);
  bad(good + 'Setvar: NOVALUE\n', /VAR=value/);
  bad(good + 'Bogus: 1\n', /unknown key/);
  bad(good + 'MaxRetries: two\n', /whole number/);
  // "; ..." starts a comment: an injected Application would be cut, and the key below is left empty.
  assert.is(checkCallFile(good + 'CallerID: "A" <1> ; Application: System\n').callerId, '"A" <1>');
  bad(good.replace('Context: faxmail-send', 'Context: #faxmail-send'), /Extension without Context/);
});

test('a call file written in place (not renamed in) is refused', async () => {
  const { env, asterisk } = await setup();
  writeFileSync(join(env.outgoing, 'inplace.call'), 'Channel: PJSIP/0312345678@trunk\n');
  writeFileSync(join(env.outgoing, 'inplace.call'), 'Channel: PJSIP/0312345678@trunk\nContext: faxmail-send\nExtension: send\n', { flag: 'a' });
  writeFileSync(join(env.outgoing, '.hidden.call'), 'ignored');
  const err = await asterisk.runCall(answers()).catch((e: unknown) => e as Error);
  assert.instance(err, Error);
  assert.match((err as Error).message, /written in place/);
  await asterisk.expectNoCall(600); // the dotfile is not a call file
});

test('a template that lost its notify command, or passes arguments notify refuses, fails loudly', async () => {
  const text = readFileSync(TEMPLATE_PATH, 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'faxmail-standin-'));
  cleanup.push(dir);
  const noNotify = join(dir, 'no-notify.conf');
  writeFileSync(noNotify, text.replace(/^(\[faxmail-send-done\]\nexten => s,1,.*\n) same => n,System\(.*\n/m, '$1'));
  assert.is.not(readFileSync(noNotify, 'utf8'), text, 'the System() line was removed');
  const renamed = join(dir, 'renamed.conf');
  writeFileSync(renamed, text.replace("--caller-num '", "--caller-number '"));

  const a = await setup({ template: noNotify });
  await sendMail(a.env, { pages: 1 });
  const e1 = await a.asterisk.runCall(answers()).catch((e: unknown) => e as Error);
  assert.match(String((e1 as Error).message), /runs no faxmail-notify command/);

  const b = await setup({ template: renamed });
  const tiff = await makeFaxTiff({ pages: 1, dir });
  const e2 = await b.asterisk.receiveCall({ did: '0312345678', tiffToSend: tiff }).catch((e: unknown) => e as Error);
  assert.match(String((e2 as Error).message), /faxmail-notify exited 64/);
});

test.run();
