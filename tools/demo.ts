/*
 * demo.ts: `make demo`. One fax job end to end on this machine, through a real Asterisk 22:
 *   a sample mail (a PDF, a PNG and a Japanese body, +body in the Subject) -> the installed sendfax, run as
 *   the Asterisk user the way Postfix's pipe(8) runs it -> a call file -> a private Asterisk (the test bed,
 *   test/helpers/asterisk-bed.ts, with the shipped dialplan included unchanged) dials a far-end fax machine
 *   on a Local channel (spandsp on both legs) -> the hangup handler runs faxmail-notify -> a receipt, mailed
 *   over SMTP to a sink on loopback;
 *   then the other direction: a fax machine calls our number, ReceiveFAX writes the spool, faxmail-notify
 *   mails it on as a PDF. Finally demo/out/fax.tif is sent through the line simulator once more.
 * Everything worth looking at is copied to demo/out/ (wiped first, so the demo re-runs cleanly). Prints
 * numbered steps in plain words; exits 1 with the failing step and the reason if any step fails.
 * Needs root (it creates the asterisk user and starts Asterisk as it) and Asterisk 22 installed by
 * scripts/build-asterisk.sh (`make demo` runs it first), the built dist/, gs and pdfinfo.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedMail } from 'mailparser';
import { binPath, repoRoot } from '../test/helpers/paths.js';
import { buildLineSim, transmitFax } from '../test/helpers/linesim.js';
import { makeGsPng, makePdf } from '../test/helpers/documents.js';
import { JAPANESE_TEXT, composeMail } from '../test/helpers/mail-fixtures.js';
import { FAREND_STATION, farEndNumber, startBed, type Bed } from '../test/helpers/asterisk-bed.js';
import type { Job } from '../lib/spool/types.js';

const OUT = join(repoRoot, 'demo', 'out');
const DID = '0311110000';
const SENDER = 'alice@example.org';
const OFFICE = 'desk@example.org';
const SUBJECT = '請求書の送付 +body';

/** A path as the user should read it: relative to the repository. */
const show = (p: string): string => relative(repoRoot, p) || '.';

/** A step's plain-words failure (other errors are printed by their message too). */
class StepError extends Error {}

function fail(message: string): never {
  throw new StepError(message);
}

let stepNo = 0;
function say(first: string, ...more: string[]): void {
  stepNo += 1;
  process.stdout.write(`\n${stepNo}. ${first}\n`);
  for (const line of more) process.stdout.write(`   ${line}\n`);
}

function pdfPages(data: Buffer): number | undefined {
  try {
    const out = execFileSync('pdfinfo', ['-'], { input: data, stdio: ['pipe', 'pipe', 'ignore'] }).toString();
    return Number(/^Pages:\s+(\d+)/m.exec(out)?.[1]);
  } catch {
    return undefined;
  }
}

const addressOf = (m: ParsedMail): string =>
  m.to && !Array.isArray(m.to) ? m.to.value.map((a) => a.address).join(', ') : '';

/** Pages, width and resolution of a TIFF, from tiffinfo. */
function tiffSummary(file: string): string {
  const info = execFileSync('tiffinfo', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const pages = (info.match(/^TIFF Directory/gm) ?? []).length;
  const width = /Image Width: (\d+)/.exec(info)?.[1] ?? '?';
  const res = /Resolution: ([0-9.]+), ([0-9.]+)/.exec(info);
  return (
    `${pages} pages, ${width} pixels wide, ` +
    `${res ? `${Math.round(Number(res[1]))}x${Math.round(Number(res[2]))} dpi` : '? dpi'}`
  );
}

async function main(): Promise<void> {
  process.stdout.write(
    'faxmail demo: a mail becomes a fax, a real Asterisk 22 sends it to a fax machine on a simulated line, ' +
      'and a fax comes back as mail.\n',
  );
  for (const f of [binPath('sendfax'), binPath('faxmail-notify')]) {
    if (!existsSync(f)) fail(`${show(f)} is missing: run "make demo" (it builds first).`);
  }
  if (process.getuid?.() !== 0)
    fail('the demo starts a private Asterisk as the asterisk user: run it as root (sudo make demo).');
  await buildLineSim().catch((err: Error) => fail(`the line simulator could not be built: ${err.message}`));

  // A fresh demo/out every run.
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const bed: Bed = await startBed({ name: 'demo', archive: true }).catch((err: Error) =>
    fail(`the private Asterisk could not be started: ${err.message}`),
  );
  try {
    say(
      'Started a private Asterisk 22 (the test bed): faxmail installed by scripts/install.sh, the shipped ' +
        'dialplan included unchanged.',
      `Its files: ${bed.root} (copied to ${show(OUT)}/ at the end). Mail goes over SMTP to a sink on ` +
        `127.0.0.1:${bed.mail.port}.`,
    );

    // 1. the sample mail
    const number = farEndNumber('fax');
    const pdf = makePdf({ pages: 2, title: 'faxmail demo invoice' });
    const png = makeGsPng('png16m', { dpi: 60 });
    const mail = await composeMail({
      from: `Alice Example <${SENDER}>`,
      to: `fax+${number}@fax.example.com`,
      subject: SUBJECT,
      text: `${JAPANESE_TEXT}\n\n(faxmail demo)\n`,
      date: new Date(),
      attachments: [
        { filename: 'invoice.pdf', content: readFileSync(pdf), contentType: 'application/pdf' },
        { filename: 'photo.png', content: readFileSync(png), contentType: 'image/png' },
      ],
    });
    const mailFile = join(OUT, 'sample-mail.eml');
    writeFileSync(mailFile, mail);
    say(
      `Wrote a sample mail from ${SENDER} to fax+${number}@fax.example.com: ${show(mailFile)}`,
      `Subject "${SUBJECT}": "+body" asks for the Japanese mail text as the first page.`,
      'Attachments: invoice.pdf (2 pages, made with Ghostscript) and photo.png (one drawn page).',
    );

    // 2. sendfax, as Postfix's pipe(8) would run it
    const sent = await bed.sendMail(mail, { number, sender: SENDER });
    if (sent.status !== 0 || !sent.job)
      fail(`sendfax refused the mail (exit ${sent.status}): ${sent.stdout.trim()} ${sent.stderr.trim()}`);
    const jobId = sent.job;
    const jobDir = join(bed.install.spool, 'jobs', jobId);
    const job = bed.readJob(jobId);
    const faxTif = join(OUT, 'fax.tif');
    copyFileSync(join(jobDir, job.tiff), faxTif);
    say(
      `sendfax (run as the asterisk user, like Postfix does) accepted the mail: "${sent.stdout.split('\n')[0]}"`,
      `Pages: ${job.documents.map((d) => `${d.name} ${d.pages}`).join(', ')}; ${job.pages} in all, ` +
        `${job.resolution} resolution.`,
      `The fax image: ${show(faxTif)}; the job record says "${job.state}" and names the call file ${job.callFile}.`,
    );

    // 3. Asterisk dials; the far-end fax machine answers; the hangup handler reports
    const done: Job = await bed
      .waitForJob(jobId, (j) => j.state === 'sent' || j.state === 'failed', 180_000, 'the fax to be sent')
      .catch((err: Error) => fail(err.message));
    const a = done.attempts[done.attempts.length - 1]!;
    if (done.state !== 'sent') fail(`the fax was not sent: ${a.error || a.status}`);
    const farCopy = join(OUT, 'farend', `${jobId}-${a.n}.tif`);
    mkdirSync(join(OUT, 'farend'), { recursive: true });
    copyFileSync(bed.farendTiff(jobId, a.n), farCopy);
    say(
      `Asterisk took the call file and dialled Local/${number}@faxmail-farend; a fax machine (ReceiveFAX, ` +
        `station id "${FAREND_STATION}") answered.`,
      `SendFAX: ${a.status}, ${a.pages} pages at ${a.rate} bit/s, ${a.resolution} dpi, ${a.duration ?? '?'} s ` +
        `on the line; the hangup handler ran faxmail-notify sent.`,
      `The far end's copy: ${show(farCopy)} (${tiffSummary(farCopy)})`,
    );

    // 4. the receipt
    const receipts = await bed.waitForMails(jobId, 1, 30_000).catch((err: Error) => fail(`no receipt: ${err.message}`));
    const receipt = receipts[0]!;
    const receiptCopy = join(OUT, 'receipt.eml');
    const raw = bed.mail.messages.find((m) => m.raw.includes(`X-Faxmail-Job: ${jobId}`))?.raw;
    if (raw) writeFileSync(receiptCopy, raw);
    const receiptPdf = receipt.attachments.find((x) => x.contentType === 'application/pdf');
    say(
      `Receipt to ${addressOf(receipt)}, subject "${receipt.subject}": ` +
        `${show(receiptCopy)}` +
        (receiptPdf
          ? ` (the sent fax attached as ${receiptPdf.filename}, ${pdfPages(receiptPdf.content) ?? '?'} pages)`
          : ''),
    );

    // 5. the other direction: a fax machine calls our number and sends the far end's copy back
    const key = await bed.receive({
      did: DID,
      callerNum: '0451234567',
      callerName: 'Example Supplier',
      station: '+81 45 123 4567',
      tiff: farCopy,
    });
    const inId = await bed.inboundId(key).catch((err: Error) => fail(err.message));
    const inMails = await bed
      .waitForMails(inId, 1, 180_000)
      .catch((err: Error) => fail(`no mail for the received fax: ${err.message}`));
    const inMail = inMails[0]!;
    const inRaw = bed.mail.messages.find((m) => m.raw.includes(`X-Faxmail-Job: ${inId}`))?.raw;
    const inboundCopy = join(OUT, 'inbound.eml');
    if (inRaw) writeFileSync(inboundCopy, inRaw);
    const inPdf =
      inMail.attachments.find((x) => x.contentType === 'application/pdf') ??
      fail('the inbound mail has no PDF attached');
    const receivedPdf = join(OUT, 'received.pdf');
    writeFileSync(receivedPdf, inPdf.content);
    const receivedTif = join(bed.install.spool, 'inbound', `${inId}.tif`);
    say(
      `A fax machine (+81 45 123 4567, caller 0451234567 "Example Supplier") called ${DID}: channel originate ` +
        `into [faxmail-receive], SendFAX on the other leg.`,
      `ReceiveFAX wrote ${inId}.tif in the spool ` +
        `(${existsSync(receivedTif) ? tiffSummary(receivedTif) : 'gone'}); faxmail-notify received mailed ` +
        `it to ${addressOf(inMail)}.`,
      `Mail "${inMail.subject}": ${show(inboundCopy)}; the fax as PDF (${pdfPages(inPdf.content) ?? '?'} ` +
        `pages): ${show(receivedPdf)}`,
    );
    if (OFFICE !== addressOf(inMail)) fail(`the received fax went to ${addressOf(inMail)}, not ${OFFICE}`);
    if (pdfPages(inPdf.content) !== job.pages)
      fail(`the received fax has ${pdfPages(inPdf.content)} of ${job.pages} pages`);

    // 6. fax.tif crosses the line simulator whole
    const check = await transmitFax(faxTif, join(OUT, 'farend', 'check.tif'));
    say(
      `Check: ${show(faxTif)} sent through the line simulator once more: ` +
        `${check.receiver?.status ?? 'no answer'}, ${check.receiver?.pages ?? 0} of ${job.pages} pages ` +
        `arrived.`,
    );
    if (check.receiver?.status !== 'SUCCESS' || check.receiver.pages !== job.pages)
      fail(`${show(faxTif)} did not arrive whole: ${check.receiver?.error ?? check.error}`);

    // What an admin would look at.
    copyFileSync(bed.configPath, join(OUT, 'faxmail.toml'));
    copyFileSync(join(bed.install.logdir, 'faxmail.log'), join(OUT, 'faxmail.log'));
    copyFileSync(bed.logFile, join(OUT, 'asterisk-full.log'));
    cpSync(bed.astDirs.etc, join(OUT, 'asterisk-etc'), { recursive: true });
    const archived = join(bed.astDirs.spool, 'outgoing_done');
    if (existsSync(archived)) cpSync(archived, join(OUT, 'outgoing_done'), { recursive: true });
    cpSync(bed.install.spool, join(OUT, 'spool'), { recursive: true });
    process.stdout.write(
      `\nDone. In ${show(OUT)}/: sample-mail.eml, fax.tif, receipt.eml, inbound.eml, received.pdf, farend/, ` +
        `outgoing_done/ (the call file with Asterisk's lines), spool/, faxmail.toml, faxmail.log (JSON ` +
        `lines), asterisk-etc/ (the Asterisk configuration), asterisk-full.log\n`,
    );
  } finally {
    await bed.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => {
      process.exitCode = 0;
    },
    (err: unknown) => {
      const where = `step ${stepNo + 1}`;
      const text = err instanceof Error ? err.message : String(err);
      process.stderr.write(`\nThe demo failed at ${where}: ${text}\n`);
      process.exitCode = 1;
    },
  );
}
