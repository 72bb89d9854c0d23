/*
 * demo.ts: `make demo`. One fax job end to end on this machine, with nothing to configure:
 *   a sample mail (a PDF, a PNG and a Japanese body, +body in the Subject) -> the built sendfax -> a call
 *   file -> the Asterisk stand-in (test/helpers/asterisk-standin.ts, playing the shipped dialplan) -> the
 *   spandsp line simulator as the phone line -> faxmail-notify -> a receipt .eml;
 *   then the other direction: a fax machine calls in, the fax lands in the spool and goes out as a mail
 *   with a PDF. Finally demo/out/fax.tif is sent through the simulator once more and must arrive whole.
 * Everything lives under demo/out/ (wiped first, so the demo re-runs cleanly). Prints numbered steps in
 * plain words; exits 1 with the failing step and the reason if any step fails.
 * Inputs: none (run from the repository after `make build linesim`). Needs gs, pdfinfo, the built dist/.
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type ParsedMail } from 'mailparser';
import { binPath, repoRoot } from '../test/helpers/paths.js';
import { buildLineSim, transmitFax } from '../test/helpers/linesim.js';
import { makeGsPng, makePdf } from '../test/helpers/documents.js';
import { JAPANESE_TEXT, composeMail } from '../test/helpers/mail-fixtures.js';
import { runSendfax, type TestEnv } from '../test/helpers/sendfax-env.js';
import { directoryMail, makeInstall, renderTestConfig } from '../test/helpers/test-config.js';
import { AsteriskStandin, answers, type CallReport, type ReceiveReport } from '../test/helpers/asterisk-standin.js';
import type { Job } from '../lib/spool/types.js';

const OUT = join(repoRoot, 'demo', 'out');
const NUMBER = '0312345678';
const DID = '0351234567';
const SENDER = 'alice@example.org';
const OFFICE = 'office@example.org';
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

function configToml(env: TestEnv, owner: string, group: string): string {
  return renderTestConfig(env, {
    comment: 'faxmail configuration written by tools/demo.ts (make demo); every path is under demo/out.',
    callfile: { owner, group, more: 'archive = true' },
    sections: [
      ['fax', 'resolution = "fine"'],
      ['numbers', 'allow = ["^0[1-9][0-9]{5,13}$"]'],
      ['senders', 'allow = ["@example.org"]'],
      ['notify', 'from = "faxmail@fax.example.com"'],
      ['inbound', `recipients = { "${DID}" = ["${OFFICE}"] }`],
      ['mail', directoryMail(env)],
    ],
  });
}

async function mailsIn(dir: string): Promise<{ file: string; mail: ParsedMail }[]> {
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.eml')).sort() : [];
  return Promise.all(names.map(async (n) => ({ file: join(dir, n), mail: await simpleParser(readFileSync(join(dir, n))) })));
}

const addressOf = (m: ParsedMail): string => (m.to && !Array.isArray(m.to) ? m.to.value.map((a) => a.address).join(', ') : '');

export async function main(): Promise<void> {
  process.stdout.write('faxmail demo: a mail becomes a fax, crosses a simulated phone line, and a fax comes back as mail.\n');
  for (const f of [binPath('sendfax'), binPath('faxmail-notify')]) {
    if (!existsSync(f)) fail(`${show(f)} is missing: run "make demo" (it builds first), or "npx tsc -p ." by hand.`);
  }
  await buildLineSim().catch((err: Error) => fail(`the line simulator could not be built: ${err.message}`));

  // A fresh demo/out every run.
  rmSync(OUT, { recursive: true, force: true });
  const env: TestEnv = makeInstall(OUT);
  const me = userInfo();
  const group = me.uid === 0 ? 'root' : String(me.gid);
  writeFileSync(env.configPath, configToml(env, me.uid === 0 ? 'root' : me.username, group));
  process.stdout.write(`Everything goes to ${show(OUT)}/ (wiped first). Configuration: ${show(env.configPath)}\n`);

  const asterisk = await new AsteriskStandin({ env, workDir: join(OUT, 'farend'), farEndStationId: '+81 3 9876 5432' }).start();
  try {
    // 1. the sample mail
    const pdf = makePdf({ pages: 2, title: 'faxmail demo invoice' });
    const png = makeGsPng('png16m', { dpi: 60 });
    const mail = await composeMail({
      from: `Alice Example <${SENDER}>`,
      to: `fax+${NUMBER}@fax.example.com`,
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
      `Wrote a sample mail from ${SENDER} to fax+${NUMBER}@fax.example.com: ${show(mailFile)}`,
      `Subject "${SUBJECT}": "+body" asks for the Japanese mail text as the first page.`,
      'Attachments: invoice.pdf (2 pages, made with Ghostscript) and photo.png (one drawn page).',
    );

    // 2. sendfax, as Postfix's pipe(8) would run it
    const sent = await runSendfax(env, mail, { sender: SENDER, recipient: `fax+${NUMBER}@fax.example.com` });
    if (sent.status !== 0) fail(`sendfax refused the mail (exit ${sent.status}): ${sent.stdout.trim()} ${sent.stderr.trim()}`);
    const jobId = /Fax job (\S+) queued/.exec(sent.firstLine)?.[1] ?? fail(`sendfax printed no job id: ${sent.firstLine}`);
    const jobDir = join(env.spool, 'jobs', jobId);
    const job = JSON.parse(readFileSync(join(jobDir, 'job.json'), 'utf8')) as Job;
    const faxTif = join(OUT, 'fax.tif');
    copyFileSync(join(jobDir, job.tiff), faxTif);
    say(
      `sendfax accepted the mail: "${sent.firstLine}"`,
      `Pages: ${job.documents.map((d) => `${d.name} ${d.pages}`).join(', ')}; ${job.pages} in all, ${job.resolution} resolution.`,
      `The fax image: ${show(faxTif)} (also in the job spool: ${show(jobDir)}/)`,
    );

    // 3. Asterisk dials; the simulated far end answers
    const call: CallReport = await asterisk.runCall(answers(), { timeoutMs: 10_000 });
    const callCopy = join(OUT, call.name);
    copyFileSync(call.archivedTo ?? fail('the call file was not archived'), callCopy);
    const r = call.fax?.result ?? fail(`SendFAX could not start: ${call.fax?.faxopt['FAXOPT(error)'] ?? 'no fax'}`);
    say(
      `Asterisk (the stand-in) took the call file ${show(callCopy)} and dialled ${call.callFile.channel.tech}/${call.callFile.channel.dest}.`,
      `A simulated fax machine answered; SendFAX sent ${show(faxTif)} over simulated G.711 audio.`,
      `Result: ${r.sender.status}, ${r.sender.pages_sent} of ${r.sender.pages_in_file} pages, ${r.bit_rate} bit/s, ${r.resolution} dpi, ${r.line_time.toFixed(1)} s on the line.`,
      `The far end's copy: ${show(call.fax!.output)}`,
    );
    if (r.receiver?.status !== 'SUCCESS' || r.receiver.pages !== job.pages) {
      fail(`the far end received ${r.receiver?.pages ?? 0} of ${job.pages} pages (${r.receiver?.error ?? 'no answer'})`);
    }

    // 4. the hangup handler ran faxmail-notify, which mailed the receipt
    const receipts = (await mailsIn(env.mailDir)).filter((m) => addressOf(m.mail) === SENDER);
    const receipt = receipts[0] ?? fail(`faxmail-notify wrote no receipt to ${show(env.mailDir)}`);
    const receiptCopy = join(OUT, 'receipt.eml');
    copyFileSync(receipt.file, receiptCopy);
    const receiptPdf = receipt.mail.attachments.find((a) => a.contentType === 'application/pdf');
    say(
      `The dialplan's hangup handler ran: faxmail-notify ${call.notify.argv.slice(1, 2).join(' ')} --status ${call.notify.argv[call.notify.argv.indexOf('--status') + 1]} ...`,
      `faxmail-notify said: ${call.notify.stdout.trim()}`,
      `Receipt to ${SENDER}, subject "${receipt.mail.subject}": ${show(receiptCopy)}${receiptPdf ? ` (the sent fax attached as ${receiptPdf.filename}, ${pdfPages(receiptPdf.content) ?? '?'} pages)` : ''}`,
    );
    const finalJob = JSON.parse(readFileSync(join(jobDir, 'job.json'), 'utf8')) as Job;
    if (finalJob.state !== 'sent') fail(`the job is "${finalJob.state}", not "sent"`);

    // 5. the other direction: a fax machine calls our DID and sends the far end's copy back
    const rx: ReceiveReport = await asterisk.receiveCall({
      did: DID,
      callerNum: '0451234567',
      callerName: 'Example Supplier',
      remoteStationId: '+81 45 123 4567',
      tiffToSend: call.fax!.output,
    });
    const rr = rx.fax.result ?? fail('ReceiveFAX did not run');
    const inbound = (await mailsIn(env.mailDir)).filter((m) => addressOf(m.mail) === OFFICE);
    const inMail = inbound[0] ?? fail(`faxmail-notify wrote no mail for ${OFFICE}: ${rx.notify.stdout.trim()}`);
    const inboundCopy = join(OUT, 'inbound.eml');
    copyFileSync(inMail.file, inboundCopy);
    const inPdf = inMail.mail.attachments.find((a) => a.contentType === 'application/pdf') ?? fail('the inbound mail has no PDF attached');
    const receivedPdf = join(OUT, 'received.pdf');
    writeFileSync(receivedPdf, inPdf.content);
    say(
      `A fax machine (+81 45 123 4567, caller 0451234567 "Example Supplier") called ${DID} and sent the far end's copy back.`,
      `ReceiveFAX: ${rr.receiver?.status}, ${rr.receiver?.pages} pages, ${rr.receiver?.resolution} dpi, ${rr.line_time.toFixed(1)} s on the line; TIFF: ${show(rx.tiff)}`,
      `faxmail-notify received: mail to ${OFFICE}, subject "${inMail.mail.subject}": ${show(inboundCopy)}`,
      `The fax as PDF (${pdfPages(inPdf.content) ?? '?'} pages): ${show(receivedPdf)}`,
    );
    if (rr.receiver?.status !== 'SUCCESS' || rr.receiver.pages !== job.pages) fail(`the inbound fax arrived with ${rr.receiver?.pages ?? 0} of ${job.pages} pages`);

    // 6. the issue's "done when": fax.tif crosses the line whole
    const check = await transmitFax(faxTif, join(OUT, 'farend', 'check.tif'));
    say(`Check: ${show(faxTif)} sent through the line simulator once more: ${check.receiver?.status ?? 'no answer'}, ${check.receiver?.pages ?? 0} of ${job.pages} pages arrived.`);
    if (check.receiver?.status !== 'SUCCESS' || check.receiver.pages !== job.pages) fail(`${show(faxTif)} did not arrive whole: ${check.receiver?.error ?? check.error}`);

    process.stdout.write(
      `\nDone. In ${show(OUT)}/: fax.tif, ${basename(callCopy)}, receipt.eml, inbound.eml, received.pdf, sample-mail.eml, faxmail.toml, faxmail.log (JSON lines)\n`,
    );
  } finally {
    await asterisk.stop();
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
