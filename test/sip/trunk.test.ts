/*
 * trunk.test.ts: faxes over a real SIP trunk (chan_pjsip) between faxmail's Asterisk and a carrier (a
 * second Asterisk), in network namespaces of their own (test/helpers/sip-bed.ts). faxmail's side runs the
 * shipped template byte for byte, README's pjsip.conf trunk (T.38 with redundancy) and
 * callfile.channel = PJSIP/{number}@trunk.
 * Outbound: a fax machine behind the carrier's T.38 gateway (T.38), one on a G.711-only path (the same
 * call goes on as audio: SendFAX option f), and one whose first call dies while the switch to T.38 is set
 * up (T38_NEG_ERROR: a line error with its own notice wording; the retry goes audio only).
 * Inbound: over the carrier's T.38 path (T.38), and over a path that refuses T.38 (488 to faxmail's
 * re-INVITE: ReceiveFAX option f receives as audio in the same call).
 * Also: doctor checks the SIP modules and the trunk endpoint on this Asterisk.
 * All calls start at once when the beds are up; each test waits for its own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeMail } from '../helpers/mail-fixtures.js';
import { makePdf } from '../helpers/documents.js';
import { makeFaxTiff } from '../helpers/received-fixtures.js';
import { readTiffPages } from '../linesim/tiffinfo.js';
import { jobMarker, SPANDSP_RECEIVER_CHATTER } from '../helpers/asterisk-bed.js';
import { CARRIER_STATION, farNumber, startSipBed, type SipBed } from '../helpers/sip-bed.js';
import { renderPjsipTrunk, README_TRUNK } from '../helpers/asterisk-config.js';
import type { Job } from '../../lib/spool/types.js';
import type { InboundRecord } from '../../lib/inbound/record.js';
import type { CheckResult } from '../../lib/admin/doctor.js';

let sip: SipBed;
/** the same, with T.38 off on faxmail's trunk (README's endpoint without the three t38 lines) */
let g711: SipBed;
const work = mkdtempSync(join(tmpdir(), 'faxmail-sip-'));

function begin<T>(fn: () => Promise<T>): Promise<T> {
  const p = fn();
  p.catch(() => undefined);
  return p;
}

async function send(number: string, pages: number, subject: string): Promise<string> {
  const mail = await composeMail({
    from: 'Alice Example <alice@example.org>',
    to: `fax+${number}@fax.example.com`,
    subject,
    text: 'Attached.',
    attachments: [
      {
        filename: 'doc.pdf',
        content: readFileSync(makePdf({ pages, title: subject })),
        contentType: 'application/pdf',
      },
    ],
  });
  const r = await sip.faxmail.sendMail(mail, { number });
  assert.is(r.status, 0, `sendfax: ${r.stdout}${r.stderr}`);
  return r.job!;
}

function final(id: string, timeoutMs = 240_000): Promise<Job> {
  return sip.faxmail.waitForJob(
    id,
    (j) => ['sent', 'failed', 'cancelled'].includes(j.state) && j.notifiedAt !== undefined,
    timeoutMs,
    'the end of the job and its mail',
  );
}

const attempts = (j: Job): string[] => j.attempts.map((a) => `${a.n}:${a.status}/${a.class}/${a.mode ?? '-'}`);

/** faxmail's log lines of the job: nothing unexpected except `allow`. */
function cleanLog(id: string, allow: RegExp[] = []): void {
  assert.equal(start.problems(allow, jobMarker(id)), [], `unexpected log lines of ${id}`);
}

let start: ReturnType<SipBed['faxmail']['mark']>;
const s: Record<string, Promise<unknown>> = {};
let tiff1: string;

test.before(async () => {
  const [a, b] = await Promise.allSettled([startSipBed({ name: 'trunk' }), startSipBed({ name: 'g711', t38: false })]);
  if (a.status === 'fulfilled') sip = a.value;
  if (b.status === 'fulfilled') g711 = b.value;
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  start = sip.faxmail.mark();
  tiff1 = await makeFaxTiff({ pages: 1, dir: work });
  s['t38'] = begin(async () => {
    const number = farNumber('t38');
    const id = await send(number, 2, 'Over T.38');
    return { number, id, job: await final(id) };
  });
  s['audio'] = begin(async () => {
    const number = farNumber('audio');
    const id = await send(number, 1, 'Over G.711');
    return { number, id, job: await final(id) };
  });
  s['drop'] = begin(async () => {
    const number = farNumber('dropOnce');
    const id = await send(number, 1, 'T.38 switch dies once');
    return { number, id, job: await final(id) };
  });
  s['inT38'] = begin(async () => {
    const caller = await sip.receive({ did: '0311110000', t38: true, tiff: tiff1 });
    return { caller, record: await sip.inboundRecord(caller, 180_000) };
  });
  s['offOut'] = begin(async () => {
    const number = farNumber('t38');
    const mail = await composeMail({
      from: 'Alice Example <alice@example.org>',
      to: `fax+${number}@fax.example.com`,
      subject: 'T.38 off',
      text: 'Attached.',
      attachments: [
        {
          filename: 'doc.pdf',
          content: readFileSync(makePdf({ pages: 1, title: 'T.38 off' })),
          contentType: 'application/pdf',
        },
      ],
    });
    const r = await g711.faxmail.sendMail(mail, { number });
    assert.is(r.status, 0, `sendfax: ${r.stdout}${r.stderr}`);
    const job = await g711.faxmail.waitForJob(
      r.job!,
      (j) => ['sent', 'failed'].includes(j.state) && j.notifiedAt !== undefined,
      240_000,
      'the end of the job',
    );
    return { number, job };
  });
  s['offIn'] = begin(async () => {
    const caller = await g711.receive({ did: '0311110000', t38: true, tiff: tiff1 });
    return { caller, record: await g711.inboundRecord(caller, 180_000) };
  });
  s['inAudio'] = begin(async () => {
    const caller = await sip.receive({ did: '0311110001', t38: false, tiff: tiff1 });
    return { caller, record: await sip.inboundRecord(caller, 180_000) };
  });
});

test.after(async () => {
  await Promise.all([sip?.stop(), g711?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test("both Asterisks booted cleanly; faxmail runs README's trunk lines and the shipped template", async () => {
  assert.equal(sip.faxmail.bootProblems, []);
  assert.equal(sip.carrier.bootProblems, []);
  const pjsip = readFileSync(join(sip.faxmail.astDirs.etc, 'pjsip.conf'), 'utf8');
  // README shows the same lines with the example carrier; only the address differs here.
  assert.is(pjsip.replaceAll(sip.wire.b, README_TRUNK.carrier), renderPjsipTrunk(README_TRUNK));
  assert.ok(
    readFileSync(join(sip.faxmail.astDirs.etc, 'extensions_faxmail.conf')).equals(
      readFileSync(new URL('../../../asterisk/extensions_faxmail.conf', import.meta.url)),
    ),
  );
  const ep = await sip.faxmail.rx('pjsip show endpoint trunk');
  assert.match(ep, /t38_udptl\s*:\s*true/);
  assert.match(ep, /t38_udptl_ec\s*:\s*redundancy/);
});

test(
  "outbound T.38: the carrier's gateway asks for T.38, every page arrives, " + 'receipt; the job records T.38',
  async () => {
    const { number, id, job } = (await s['t38']) as { number: string; id: string; job: Job };
    assert.is(job.state, 'sent', JSON.stringify(job.attempts));
    assert.equal(attempts(job), ['1:SUCCESS//T38']);
    assert.is(job.attempts[0]!.pages, 2);
    assert.is(job.attempts[0]!.remoteStationId, CARRIER_STATION);
    const far = sip.farEndCalls(number);
    assert.is(far.length, 1);
    assert.is(far[0]!.status, 'SUCCESS');
    assert.is(far[0]!.mode, 'T38');
    const pages = await readTiffPages(sip.farEndTiffs(number)[0]!);
    assert.is(pages.length, 2);
    for (const p of pages) assert.is(p.width, 1728);
    const mails = await sip.faxmail.waitForMails(id, 1, 30_000);
    assert.match(mails[0]!.subject ?? '', /sent/i);
    const show = await sip.faxmail.faxmail(['show', id]);
    assert.match(show.stdout, /T\.38/);
    cleanLog(id);
  },
);

test('outbound to a G.711-only path: no T.38 re-INVITE comes, SendFAX goes on as audio in the same call', async () => {
  const { number, job } = (await s['audio']) as { number: string; id: string; job: Job };
  assert.is(job.state, 'sent', JSON.stringify(job.attempts));
  assert.equal(attempts(job), ['1:SUCCESS//audio']);
  const far = sip.farEndCalls(number);
  assert.is(far.length, 1);
  assert.is(far[0]!.mode, 'audio');
  assert.is((await readTiffPages(sip.farEndTiffs(number)[0]!)).length, 1);
  cleanLog(job.id, [SPANDSP_RECEIVER_CHATTER]);
});

test(
  'T38_NEG_ERROR: the call ends during the switch; a line error, retried audio ' + 'only (FAXMAIL_T38=no), sent',
  async () => {
    const { number, id, job } = (await s['drop']) as { number: string; id: string; job: Job };
    assert.is(job.state, 'sent', JSON.stringify(job.attempts));
    assert.equal(attempts(job), ['1:FAILED/line_error/audio', '2:SUCCESS//audio']);
    assert.is(job.attempts[0]!.error, 'T38_NEG_ERROR');
    const far = sip.farEndCalls(number);
    assert.is(far.length, 2, JSON.stringify(far));
    assert.is(far[1]!.status, 'SUCCESS');
    assert.is(far[1]!.mode, 'audio');
    // The second call never offered T.38: faxmail's log shows SendFAX with F for attempt 2.
    const lines = start.forMarker(jobMarker(id)).map((l) => l.raw);
    assert.ok(
      lines.some((l) => /SendFAX\(".*", ".*\.tif,F"\)/.test(l)),
      'attempt 2 ran SendFAX with F',
    );
    const mails = await sip.faxmail.waitForMails(id, 1, 30_000);
    assert.is(mails.length, 1);
    assert.match(mails[0]!.subject ?? '', /sent/i);
    // res_fax logs the failed switch as an ERROR on the first call; nothing else.
    cleanLog(id, [
      /ERROR.*res_fax\.c: error reading frame while generating CNG tone on PJSIP\/trunk-/,
      /ERROR.*res_fax\.c: error initializing channel 'PJSIP\/trunk-[0-9a-f]+' in T\.38 mode$/,
      SPANDSP_RECEIVER_CHATTER,
    ]);
  },
);

test(
  "inbound over the carrier's T.38 path: faxmail asks for T.38 and gets the page; mailed to the DID's " + 'recipient',
  async () => {
    const { caller, record } = (await s['inT38']) as { caller: string; record: InboundRecord };
    assert.is(record.state, 'delivered', JSON.stringify(record));
    assert.is(record.status, 'SUCCESS');
    assert.is(record.pages, 1);
    assert.is(record.mode, 'T38');
    assert.is(record.did, '0311110000');
    assert.equal(record.recipients, ['desk@example.org']);
    const c = sip.callerCalls(caller);
    assert.is(c.length, 1);
    assert.is(c[0]!.mode, 'T38');
    assert.is((await sip.faxmail.waitForMails(record.id, 1, 30_000)).length, 1);
  },
);

test('inbound over a path without T.38 (488 to the re-INVITE): received as audio in the same call', async () => {
  const { caller, record } = (await s['inAudio']) as { caller: string; record: InboundRecord };
  assert.is(record.state, 'delivered', JSON.stringify(record));
  assert.is(record.status, 'SUCCESS');
  assert.is(record.pages, 1);
  assert.is(record.mode, 'audio');
  assert.equal(record.recipients.sort(), ['boss@example.org', 'sales@example.org']);
  const c = sip.callerCalls(caller);
  assert.is(c.length, 1);
  assert.is(c[0]!.mode, 'audio');
});

test(
  "T.38 off on faxmail's trunk: the far end's re-INVITE is refused and the fax goes as G.711 audio, both " + 'ways',
  async () => {
    const { number, job } = (await s['offOut']) as { number: string; job: Job };
    assert.is(job.state, 'sent', JSON.stringify(job.attempts));
    assert.equal(attempts(job), ['1:SUCCESS//audio']);
    const far = g711.farEndCalls(number);
    assert.is(far.length, 1);
    assert.is(far[0]!.mode, 'audio');
    const { caller, record } = (await s['offIn']) as { caller: string; record: InboundRecord };
    assert.is(record.state, 'delivered', JSON.stringify(record));
    assert.is(record.mode, 'audio');
    assert.is(record.pages, 1);
    assert.is(g711.callerCalls(caller)[0]?.mode, 'audio');
    const ep = await g711.faxmail.rx('pjsip show endpoint trunk');
    assert.match(ep, /t38_udptl\s*:\s*false/);
  },
);

test(
  'doctor: the fax and SIP modules and the trunk endpoint (T.38 with redundancy, or audio only) pass; an ' +
    'endpoint that is not there fails',
  async () => {
    const doctor = async (bed: SipBed): Promise<{ status: number; checks: CheckResult[] }> => {
      // As the admin runs it (as the Asterisk user here): the [asterisk] config key says how to reach it.
      const r = await bed.faxmail.faxmail(['doctor', '--skip', 'postfix,sample', '--json']);
      const parsed = JSON.parse(r.stdout) as { checks: CheckResult[] };
      return { status: r.code, checks: parsed.checks.filter((c) => c.group === 'asterisk') };
    };
    const byName = (checks: CheckResult[], n: string): CheckResult => {
      const c = checks.find((x) => x.name === n);
      assert.ok(c, `${n}: ${JSON.stringify(checks)}`);
      return c!;
    };
    await Promise.allSettled(Object.values(s));
    const t38 = (await doctor(sip)).checks;
    for (const n of ['res_fax', 'res_fax_spandsp', 'chan_pjsip', 'res_pjsip_t38'])
      assert.is(byName(t38, n).status, 'ok', n);
    assert.is(byName(t38, 'endpoint trunk').status, 'ok');
    assert.match(byName(t38, 'endpoint trunk').detail, /T\.38 with redundancy/);
    assert.match(byName(t38, 'endpoint trunk').detail, /alaw/);
    assert.not.ok(
      t38.some((c) => c.name.startsWith('endpoint trunk ')),
      JSON.stringify(t38),
    );
    const off = (await doctor(g711)).checks;
    assert.is(byName(off, 'endpoint trunk').status, 'ok');
    assert.match(byName(off, 'endpoint trunk').detail, /no T\.38: faxes go as G\.711 audio/);
    // callfile.channel naming an endpoint pjsip.conf does not define
    const text = readFileSync(sip.faxmail.configPath, 'utf8');
    try {
      writeFileSync(sip.faxmail.configPath, text.replace('PJSIP/{number}@trunk', 'PJSIP/{number}@carrier'));
      const { checks, status } = await doctor(sip);
      assert.is(byName(checks, 'endpoint carrier').status, 'fail');
      assert.match(byName(checks, 'endpoint carrier').fix!, /pjsip\.conf/);
      assert.is(status, 2);
    } finally {
      writeFileSync(sip.faxmail.configPath, text);
    }
  },
);

test.run();
