/*
 * inbound.test.ts: fax to mail through a real Asterisk 22 (the test bed, test/helpers/asterisk-bed.ts).
 * Calls are made with `channel originate` into the shipped [faxmail-receive] context, with SendFAX of a
 * real fax TIFF on the other leg; the dialplan's hangup handler runs the installed faxmail-notify, which
 * mails the fax as PDF over SMTP. Each test checks the TIFF ReceiveFAX wrote, the inbound record, the mail
 * and the Asterisk log of that call. Hostile caller names, numbers and station ids (quotes, `;`, `$()`,
 * backticks, commas) must run nothing. The calls are independent and start at once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { ParsedMail } from 'mailparser';
import {
  SPANDSP_RECEIVER_CHATTER,
  startBed,
  type Bed,
  type InboundCall,
  type LogSlice,
} from '../helpers/asterisk-bed.js';
import { makeFaxTiff } from '../helpers/received-fixtures.js';
import { readTiffPages, type TiffPage } from '../linesim/tiffinfo.js';
import { readInboundRecord, type InboundRecord } from '../../lib/inbound/record.js';
import { spoolPaths } from '../../lib/spool/jobs.js';
import { waitUntil } from '../helpers/wait.js';

/** The bed's poller, every 300 ms. */
const waitFor = <T>(fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> =>
  waitUntil(fn, timeoutMs, what, 300);

let bed: Bed;
let slice: LogSlice;
const work = mkdtempSync(join(tmpdir(), 'faxmail-inbound-'));
const PWNED = `/tmp/faxmail-pwned-${process.pid}`;

interface Received {
  key: string;
  id: string;
  record: InboundRecord;
  pages: TiffPage[];
  mails: ParsedMail[];
}

/** Make the call, wait for faxmail to handle it (and for `mails` mails), collect what it left. */
async function call(c: InboundCall, mails = 1): Promise<Received> {
  const key = await bed.receive(c);
  const id = await bed.inboundId(key);
  const paths = spoolPaths(bed.install.spool);
  const record = await waitFor(
    () => readInboundRecord(paths, id).catch(() => undefined),
    180_000,
    `the inbound record of ${id}`,
  );
  const tif = join(bed.install.spool, 'inbound', `${id}.tif`);
  const pages = existsSync(tif) ? await readTiffPages(tif) : [];
  const got = mails > 0 ? await bed.waitForMails(id, mails, 30_000) : [];
  return { key, id, record, pages, mails: got };
}

function to(m: ParsedMail): string[] {
  return m.to && !Array.isArray(m.to) ? m.to.value.map((a) => a.address ?? '') : [];
}

/** pdfinfo of a mailed PDF: pages and the first page's size in points. */
function pdfInfo(data: Buffer): { pages: number; width: number; height: number } {
  const out = execFileSync('pdfinfo', ['-'], { input: data }).toString();
  const size = /^Page size:\s+([\d.]+) x ([\d.]+) pts/m.exec(out);
  return { pages: Number(/^Pages:\s+(\d+)/m.exec(out)?.[1]), width: Number(size?.[1]), height: Number(size?.[2]) };
}

/** The log of faxmail's leg of the call (the network leg that enters faxmail-receive). */
function cleanLog(r: Received, allow: RegExp[] = []): void {
  const lines = slice.forMarker(`bed inbound call ${r.key}`);
  assert.ok(
    lines.some((l) => l.raw.includes(`receiving fax ${r.id}`)),
    'the call reached faxmail-receive',
  );
  assert.ok(
    lines.some((l) => l.raw.includes('TrySystem(')),
    'and its hangup handler reported it',
  );
  assert.equal(
    slice.problems([SPANDSP_RECEIVER_CHATTER, ...allow], `bed inbound call ${r.key}`),
    [],
    `unexpected log lines of call ${r.key}`,
  );
}

function begin<T>(fn: () => Promise<T>): Promise<T> {
  const p = fn();
  p.catch(() => undefined);
  return p;
}

const HOSTILE_NAME = `O'Brien "x"; touch ${PWNED}; $(touch ${PWNED}) \`touch ${PWNED}\`, a,b`;
const HOSTILE_NUM = `03;touch ${PWNED};'$(id)'\`id\`,5`;
const HOSTILE_STATION = `'$(id)';"\`x\`,;`;

const s: Record<string, Promise<Received>> = {};

test.before(async () => {
  bed = await startBed({ name: 'in' });
  slice = bed.mark();
  const fine = await makeFaxTiff({ pages: 2, dir: work, resolution: 'fine' });
  const standard = await makeFaxTiff({ pages: 2, dir: work, resolution: 'standard' });
  const long = await makeFaxTiff({ pages: 4, dir: work, resolution: 'fine' });
  s['fine'] = begin(() =>
    call({
      did: '0311110000',
      callerNum: '0451234567',
      callerName: 'ACME Corp',
      station: '+81 45 123 4567',
      tiff: fine,
    }),
  );
  s['standard'] = begin(() =>
    call(
      {
        did: '0311110001',
        callerNum: '0451234568',
        callerName: 'Standard Co',
        station: '+81 45 123 4568',
        tiff: standard,
      },
      1,
    ),
  );
  s['cutoff'] = begin(() =>
    call({
      did: '0311110000',
      callerNum: '0451234569',
      callerName: 'Cut Off',
      station: 'CUT 1',
      tiff: long,
      cutoffSec: 28,
    }),
  );
  s['nopage'] = begin(() => call({ did: '0311110000', callerNum: '0451234570', callerName: 'A Person', noPage: true }));
  s['unknownDid'] = begin(() =>
    call({ did: '0399990000', callerNum: '0451234571', callerName: 'Lost', station: 'LOST 1', tiff: standard }),
  );
  s['hostile'] = begin(() =>
    call({
      did: '0311110000',
      callerNum: HOSTILE_NUM,
      callerName: HOSTILE_NAME,
      station: HOSTILE_STATION,
      tiff: standard,
    }),
  );
});

test.after(async () => {
  await bed?.stop();
  rmSync(work, { recursive: true, force: true });
});

test("fine resolution: every page, A4 page size in the PDF, mailed to the number's recipient", async () => {
  const r = await s['fine']!;
  assert.is(r.record.state, 'delivered');
  assert.is(r.pages.length, 2);
  for (const p of r.pages) {
    assert.is(p.width, 1728);
    assert.is(p.resolution, '204x196');
    assert.is(p.description, '+81 45 123 4567');
  }
  const m = r.mails[0]!;
  assert.equal(to(m), ['desk@example.org']);
  assert.match(m.subject ?? '', /ACME Corp/);
  const pdf = pdfInfo(m.attachments.find((a) => a.contentType === 'application/pdf')!.content);
  assert.is(pdf.pages, 2);
  assert.ok(
    Math.abs(pdf.height - 842) < 5 && Math.abs(pdf.width - 610) < 5,
    `A4-high page, ${pdf.width} x ${pdf.height}`,
  );
  cleanLog(r);
});

test('standard resolution: the PDF page is not squashed; two recipients', async () => {
  const r = await s['standard']!;
  assert.is(r.record.state, 'delivered');
  assert.equal(
    r.pages.map((p) => p.resolution),
    ['204x98', '204x98'],
  );
  const m = r.mails[0]!;
  assert.equal(to(m).sort(), ['boss@example.org', 'sales@example.org']);
  const pdf = pdfInfo(m.attachments.find((a) => a.contentType === 'application/pdf')!.content);
  assert.ok(Math.abs(pdf.height - 842) < 5, `height ${pdf.height}`);
  cleanLog(r);
});

test('cut off mid-fax: the pages that came, with a warning', async () => {
  const r = await s['cutoff']!;
  assert.ok(r.pages.length >= 1 && r.pages.length < 4, `${r.pages.length} of 4 pages received`);
  const m = r.mails[0]!;
  assert.match(m.subject ?? '', /^\[Incomplete\]/);
  assert.is(pdfInfo(m.attachments.find((a) => a.contentType === 'application/pdf')!.content).pages, r.pages.length);
  cleanLog(r);
});

test('a call with no page: no TIFF, the admin (root@localhost) is told', async () => {
  const r = await s['nopage']!;
  assert.is(r.record.state, 'empty');
  assert.is(r.pages.length, 0);
  assert.equal(to(r.mails[0]!), ['root@localhost']);
  cleanLog(r);
});

test('a DID nobody configured: the fax goes to the admin', async () => {
  const r = await s['unknownDid']!;
  assert.equal(to(r.mails[0]!), ['root@localhost']);
  assert.is(pdfInfo(r.mails[0]!.attachments.find((a) => a.contentType === 'application/pdf')!.content).pages, 2);
  cleanLog(r);
});

test('hostile caller name, caller number and station id run nothing and arrive as harmless text', async () => {
  const r = await s['hostile']!;
  assert.not.ok(existsSync(PWNED), `${PWNED} was created: a shell ran caller text`);
  // The station id really crossed the line (it is in the TIFF ReceiveFAX wrote), then FILTER kept it inert.
  assert.is(r.pages[0]!.description, HOSTILE_STATION);
  assert.is(r.record.state, 'delivered');
  const m = r.mails[0]!;
  assert.equal(to(m), ['desk@example.org']);
  for (const text of [m.subject ?? '', m.text ?? '']) assert.not.match(text, /[;`$'"]/, text);
  // The log shows the values reached the channel as the caller sent them ...
  const lines = slice.forMarker(`bed inbound call ${r.key}`);
  assert.ok(
    lines.some((l) => l.raw.includes(`CALLERID(name)=${HOSTILE_NAME}`)),
    'the hostile name was the caller name',
  );
  assert.ok(
    lines.some((l) => l.raw.includes(`CALLERID(num)=${HOSTILE_NUM}`)),
    'the hostile number was the caller number',
  );
  // ... and the command line handed to /bin/sh, as Asterisk logged it after substitution, carries none of it.
  const shell = lines.find((l) => l.raw.includes('TrySystem('))!.raw;
  const command = /TrySystem\("[^"]*", "(.*)"\) in new stack$/.exec(shell)?.[1] ?? '';
  assert.match(command, / received --config '/);
  assert.match(command, /--caller-num '03[0-9]+' --caller-name 'OBrien x touch [-A-Za-z0-9 ]+ab' --remote-id 'idx' /);
  assert.not.match(command.replace(/ <\/dev\/null$/, ''), /[;`$"()<>|&\\]/);
  cleanLog(r);
});

test('the whole log of this file has nothing unexpected', () => {
  assert.equal(slice.problems([SPANDSP_RECEIVER_CHATTER]), []);
});

test.run();
