/*
 * shared-line.test.ts: a number shared by voice and fax, on a real Asterisk 22 (the test bed). The bed's
 * inbound context wires the number as README "Shared voice and fax lines" says: Gosub(faxmail-detect) of the
 * shipped template (byte for byte), then the voice destination. A fax machine calling it (SendFAX: its calling
 * tone) ends as a PDF mailed to the recipients of the dialled number; a person calling it (speech-like tones,
 * no fax tone) reaches the voice destination with nothing left in faxmail: no inbound fax, no mail, no
 * faxmail-notify run. Both calls run at once, with a plain fax-number call beside them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { ParsedMail } from 'mailparser';
import {
  SPANDSP_RECEIVER_CHATTER,
  startBed,
  type Bed,
  type InboundCall,
  type LogLine,
  type LogSlice,
} from '../helpers/asterisk-bed.js';
import { makeFaxTiff } from '../helpers/received-fixtures.js';
import { readTiffPages } from '../linesim/tiffinfo.js';
import { readInboundRecord, type InboundRecord } from '../../lib/inbound/record.js';
import { spoolPaths } from '../../lib/spool/jobs.js';
import { waitUntil } from '../helpers/wait.js';

/** The bed's poller, every 300 ms. */
const waitFor = <T>(fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> =>
  waitUntil(fn, timeoutMs, what, 300);

let bed: Bed;
let slice: LogSlice;
const work = mkdtempSync(join(tmpdir(), 'faxmail-shared-'));

interface FaxCall {
  key: string;
  id: string;
  record: InboundRecord;
  pages: number;
  mails: ParsedMail[];
}

async function faxCall(c: InboundCall): Promise<FaxCall> {
  const key = await bed.receive(c);
  const id = await bed.inboundId(key, 60_000);
  const record = await waitFor(
    () => readInboundRecord(spoolPaths(bed.install.spool), id).catch(() => undefined),
    180_000,
    `the inbound record of ${id}`,
  );
  const tif = join(bed.install.spool, 'inbound', `${id}.tif`);
  const pages = existsSync(tif) ? (await readTiffPages(tif)).length : 0;
  const mails = await bed.waitForMails(id, 1, 30_000);
  return { key, id, record, pages, mails };
}

/** The lines of the network leg of call `key` (the channel that runs faxmail's contexts). */
const callLines = (key: string): LogLine[] => slice.forMarker(`bed inbound call ${key}`);

function to(m: ParsedMail): string[] {
  return m.to && !Array.isArray(m.to) ? m.to.value.map((a) => a.address ?? '') : [];
}

function begin<T>(fn: () => Promise<T>): Promise<T> {
  const p = fn();
  p.catch(() => undefined);
  return p;
}

let sharedFax: Promise<FaxCall>;
let plainFax: Promise<FaxCall>;
let voice: Promise<string>;

test.before(async () => {
  bed = await startBed({ name: 'shared' });
  slice = bed.mark();
  const tiff = await makeFaxTiff({ pages: 2, dir: work, resolution: 'fine' });
  // 0311110001 has two recipients in the bed's inbound.recipients, 0311110000 one.
  sharedFax = begin(() =>
    faxCall({
      line: 'shared',
      did: '0311110001',
      callerNum: '0451230001',
      callerName: 'Shared Fax Co',
      station: '+81 45 123 0001',
      tiff,
    }),
  );
  plainFax = begin(() =>
    faxCall({
      line: 'fax',
      did: '0311110000',
      callerNum: '0451230002',
      callerName: 'Plain Fax Co',
      station: '+81 45 123 0002',
      tiff,
    }),
  );
  // A person talks for 12 s: past the 5 s faxmail listens, so they are still there when a phone answers.
  voice = begin(async () => {
    const key = await bed.receive({
      line: 'shared',
      did: '0311110000',
      callerNum: '0451230003',
      callerName: 'A Person',
      voiceSec: 12,
    });
    await waitFor(
      () => (callLines(key).some((l) => l.raw.includes('bed voice destination reached 0311110000')) ? true : undefined),
      60_000,
      'the voice destination',
    );
    // The caller hangs up after 12 s; the call is over when Asterisk has no channel of it left.
    await waitFor(
      async () => ((await bed.rx('core show channels concise')).includes(key) ? undefined : true),
      60_000,
      `the end of call ${key}`,
    );
    return key;
  });
});

test.after(async () => {
  await bed?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('a fax machine calling the shared number: detected, received on the dialled number, mailed as PDF', async () => {
  const r = await sharedFax;
  assert.is(r.record.state, 'delivered');
  assert.is(r.record.did, '0311110001', 'the dialled number is the DID');
  assert.is(r.pages, 2);
  const m = r.mails[0]!;
  assert.equal(to(m).sort(), ['boss@example.org', 'sales@example.org'], 'the recipients of the dialled number');
  const pdf = m.attachments.find((a) => a.contentType === 'application/pdf')!;
  assert.match(execFileSync('pdfinfo', ['-'], { input: pdf.content }).toString(), /^Pages:\s+2$/m);
  const lines = callLines(r.key);
  const text = lines.map((l) => l.raw).join('\n');
  assert.match(text, /faxmail: listening for fax tones on DID 0311110001 for 5 s/);
  assert.match(text, /Redirecting '[^']+' to fax extension due to CNG detection/);
  assert.match(text, /faxmail: fax tones on DID 0311110001 - receiving/);
  assert.not.match(text, /bed voice destination reached/, 'a fax never reaches the voice destination');
  assert.not.match(text, /no fax tones/);
  assert.equal(slice.problems([SPANDSP_RECEIVER_CHATTER], `bed inbound call ${r.key}`), []);
});

test(
  'a person calling the shared number reaches the voice destination; faxmail keeps nothing and mails ' + 'nothing',
  async () => {
    const key = await voice;
    const fax = await sharedFax;
    const plain = await plainFax;
    const text = callLines(key)
      .map((l) => l.raw)
      .join('\n');
    assert.match(text, /faxmail: listening for fax tones on DID 0311110000 for 5 s/);
    assert.match(text, /faxmail: no fax tones on DID 0311110000 - a voice call/);
    assert.match(text, /bed voice destination reached 0311110000/, 'the dialled number reached the voice context');
    assert.not.match(text, /Redirecting .* to fax extension/);
    assert.not.match(text, /receiving fax|TrySystem\(|ReceiveFAX\(/, 'no receive, no faxmail-notify');
    // The spool's inbound/ holds the two faxes only, and the sink the two fax mails only.
    const ids = new Set(readdirSync(join(bed.install.spool, 'inbound')).map((n) => n.replace(/\.(tif|pdf|json)$/, '')));
    assert.equal([...ids].sort(), [fax.id, plain.id].sort(), 'nothing was received for the voice call');
    assert.is(bed.mail.messages.length, 2, 'the two faxes were mailed, nothing about the voice call');
    assert.equal(slice.problems([SPANDSP_RECEIVER_CHATTER], `bed inbound call ${key}`), []);
  },
);

test('the plain fax number beside it still goes straight to the receive (no listening)', async () => {
  const r = await plainFax;
  assert.is(r.record.state, 'delivered');
  assert.is(r.record.did, '0311110000');
  assert.equal(to(r.mails[0]!), ['desk@example.org']);
  assert.not.match(
    callLines(r.key)
      .map((l) => l.raw)
      .join('\n'),
    /listening for fax tones/,
  );
});

test('the whole log of this file has nothing unexpected', () => {
  assert.equal(slice.problems([SPANDSP_RECEIVER_CHATTER]), []);
});

test.run();
