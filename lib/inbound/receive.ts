/*
 * receive.ts: a fax arrived (faxmail-notify received, called from the dialplan after ReceiveFAX).
 *
 * Finds <spool>/inbound/<id>.tif, converts it to <id>.pdf (lib/tiff/to-pdf.ts), picks the recipients by the
 * dialled number (inbound.recipients, else inbound.default, else notify.admin), and mails the PDF (and the
 * TIFF with inbound.attach_tiff) through the outbox (lib/mail). A partial fax (FAILED with pages) is
 * delivered with a warning; with [archive] directory set, its PDF is archived too. A call with no page is logged and,
 * with notify.report_empty_receive, reported to notify.admin. The TIFF and PDF stay in the spool until `faxmail
 * cleanup` (retention.received_days).
 *
 * Idempotent: under a per-id lock, a fax whose record (<id>.json) is final is not handled again.
 * Values from the caller are cleaned before they reach any text (values.ts) and never reach a shell. The
 * words come from the mail templates inbound.<locale>.{txt,html} and empty-receive.<locale>.txt
 * (lib/mail/template.ts: the admin's copy in config.paths.templates first, the built-in one otherwise).
 * Fails with FaxError('usage') for a bad id; mail problems never fail it (the outbox keeps the mail);
 * FaxError('temporary') when the spool cannot be written.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, Locale } from '../config/schema.js';
import { oneLine } from '../errors.js';
import { cleanLine } from '../text.js';
import { formatDuration, localTime } from '../time.js';
import type { Logger } from '../log.js';
import { sortRecipients } from '../mail/address.js';
import { sendOrQueue } from '../mail/deliver.js';
import type { OutgoingAttachment, OutgoingMail } from '../mail/types.js';
import { lookupError } from '../fax-result/classify.js';
import { renderMail } from '../mail/template.js';
import { ensureSpool, spoolPaths, type SpoolPaths } from '../spool/jobs.js';
import { withLock } from '../spool/lock.js';
import { parseFaxMode } from '../spool/types.js';
import { readTiffFile, type TiffPage } from '../tiff/read.js';
import {
  checkInboundId,
  FINAL_INBOUND_STATES,
  inboundFile,
  readInboundRecord,
  writeInboundRecord,
  type InboundRecord,
} from './record.js';
import { pageDpi, tiffToPdf } from '../tiff/to-pdf.js';
import { formatCaller, formatPages, formatResolution, type InboundValues } from './values.js';

export interface ReceivedReport {
  /** file stem the dialplan chose: [0-9A-Za-z.-] */
  id: string;
  /** the dialled number */
  did: string;
  callerNum: string;
  callerName: string;
  /** FAXOPT(remotestationid) */
  remoteId: string;
  /** FAXOPT(status): SUCCESS or FAILED */
  status: string;
  /** FAXOPT(error) filtered to [A-Za-z0-9] */
  errorKey?: string;
  /** the same, under the name faxmail-notify uses */
  error?: string;
  /** FAXOPT(pages) */
  pages: number;
  /** FAXOPT(rate), bit/s */
  rate: number;
  /** FAXOPT(resolution), pixels per metre "8031x7700" */
  resolution: string;
  /** FAXMODE: T38 or audio */
  mode?: string;
  /** seconds from answer to hangup */
  duration?: number;
}

export interface ReceivedOutcome {
  id: string;
  /** 'duplicate': an earlier run already handled this fax; nothing was done */
  state: InboundRecord['state'] | 'duplicate';
  pages: number;
  partial: boolean;
  recipients: string[];
  pdf?: string;
  /** one line for the command's output */
  summary: string;
}

/** Recipients for a dialled number: its own list, else the default list. Pure. */
export function recipientsFor(config: Readonly<Config>, did: string): string[] {
  const own = config.inbound.recipients[did] ?? config.inbound.recipients[did.replace(/^\+/, '')];
  return [...(own && own.length > 0 ? own : config.inbound.default)];
}

/** The full error text for the filtered key (notify's catalogue), else the key itself. */
function errorText(key: string): string {
  const k = cleanLine(key, { max: 80, invisible: true });
  if (!k) return '';
  return lookupError(k)?.text ?? k;
}

interface Received {
  pages: TiffPage[];
  mtime: Date;
}

async function readReceived(tiff: string, log: Logger, id: string): Promise<Received | undefined> {
  let mtime: Date;
  try {
    mtime = (await stat(tiff)).mtime;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return { pages: await readTiffFile(tiff), mtime };
  } catch (err) {
    // A damaged file still goes out (as TIFF): the recipient may get something from it.
    log.error(
      { job: id, err: oneLine(err instanceof Error ? err.message : String(err)) },
      'inbound: the received TIFF cannot be read',
    );
    return { pages: [], mtime };
  }
}

/** Handle one received fax. */
export async function handleReceived(
  config: Readonly<Config>,
  report: ReceivedReport,
  log: Logger,
): Promise<ReceivedOutcome> {
  const id = checkInboundId(report.id);
  const paths = spoolPaths(config.paths.spool);
  await ensureSpool(paths);
  return withLock(join(paths.locks, `inbound-${id}.lock`), async () => {
    const before = await readInboundRecord(paths, id).catch(() => undefined);
    if (before && FINAL_INBOUND_STATES.has(before.state)) {
      log.info({ job: id, state: before.state }, 'inbound: already handled, nothing to do');
      return {
        id,
        state: 'duplicate',
        pages: before.pages,
        partial: before.partial,
        recipients: before.recipients,
        ...(before.pdf ? { pdf: before.pdf } : {}),
        summary: `already handled (${before.state})`,
      };
    }
    return handleOnce(config, paths, id, report, log);
  });
}

async function handleOnce(
  config: Readonly<Config>,
  paths: SpoolPaths,
  id: string,
  report: ReceivedReport,
  log: Logger,
): Promise<ReceivedOutcome> {
  const locale: Locale = config.notify.locale;
  const tiff = inboundFile(paths, id, 'tif');
  const got = await readReceived(tiff, log, id);
  const status = /^[A-Z]{1,20}$/.test(report.status)
    ? report.status
    : cleanLine(report.status, { max: 20, invisible: true }) || 'UNKNOWN';
  const error = errorText(report.errorKey ?? report.error ?? '');
  const fileThere = got !== undefined;
  const pages = got?.pages.length ?? 0;
  const received = got?.mtime ?? new Date();
  const base: Omit<InboundRecord, 'state' | 'recipients' | 'handled'> = {
    version: 1,
    id,
    did: cleanLine(report.did, { max: 40, invisible: true }),
    callerNum: cleanLine(report.callerNum, { max: 40, invisible: true }),
    callerName: cleanLine(report.callerName, { max: 80, invisible: true }),
    remoteId: cleanLine(report.remoteId, { max: 40, invisible: true }),
    status,
    error,
    pages,
    partial: fileThere && status !== 'SUCCESS',
    received: received.toISOString(),
  };
  const mode = parseFaxMode(report.mode);
  if (mode) base.mode = mode;
  const values: InboundValues = {
    id,
    caller: formatCaller(report.callerName, report.callerNum, locale),
    caller_num: base.callerNum || '-',
    caller_name: base.callerName || '-',
    station: base.remoteId || '-',
    did: base.did || '-',
    time: localTime(received, { zone: 'parenthesised' }),
    pages: String(pages),
    pages_text: formatPages(pages, locale),
    duration: formatDuration(report.duration, locale) || '-',
    rate: report.rate > 0 ? `${Math.round(report.rate)} bit/s` : '-',
    resolution: formatResolution(got?.pages[0] ? pageDpi(got.pages[0]) : undefined, report.resolution, locale),
    status,
    error: error || '-',
    partial: base.partial ? 'yes' : '',
  };
  log.info(
    {
      job: id,
      did: base.did,
      caller: base.callerNum,
      status,
      error,
      pages,
      reportedPages: report.pages,
      file: fileThere,
    },
    'inbound: fax received',
  );

  if (!fileThere) return handleEmpty(config, paths, base, values, log);

  // Convert; a file neither engine reads still goes out as TIFF.
  let pdfName: string | undefined;
  try {
    const pdf = inboundFile(paths, id, 'pdf');
    const r = await tiffToPdf(tiff, pdf, { tiff2pdf: config.paths.tiff2pdf, title: `Fax ${id}` });
    pdfName = `${id}.pdf`;
    log.info({ job: id, engine: r.engine, pages: r.pages, bytes: r.bytes }, 'inbound: PDF written');
  } catch (err) {
    log.error(
      {
        job: id,
        err: oneLine(err instanceof Error ? err.message : String(err)),
        detail: (err as { detail?: unknown }).detail,
      },
      'inbound: PDF conversion failed, sending the TIFF',
    );
  }
  const attachTiff = config.inbound.attach_tiff || pdfName === undefined;
  const attachments: OutgoingAttachment[] = [];
  if (pdfName)
    attachments.push({
      filename: `fax-${id}.pdf`,
      path: inboundFile(paths, id, 'pdf'),
      contentType: 'application/pdf',
    });
  if (attachTiff) attachments.push({ filename: `fax-${id}.tif`, path: tiff, contentType: 'image/tiff' });
  values['pdf_name'] = pdfName ? `fax-${id}.pdf` : '';
  values['tiff_name'] = attachTiff && pdfName ? `fax-${id}.tif` : '';

  let recipients = sortRecipients(recipientsFor(config, base.did)).ok;
  if (recipients.length === 0) {
    recipients = sortRecipients(config.notify.admin ? [config.notify.admin] : []).ok;
    if (recipients.length > 0)
      log.warn({ job: id, did: base.did }, 'inbound: no recipient for this number, sending to notify.admin');
  }
  const record: InboundRecord = {
    ...base,
    state: 'no-recipient',
    recipients,
    tiff: `${id}.tif`,
    ...(pdfName ? { pdf: pdfName } : {}),
    handled: new Date().toISOString(),
  };
  if (recipients.length === 0) {
    log.error(
      { job: id, did: base.did },
      'inbound: no recipient for this number and no admin; the fax stays in the spool',
    );
    await writeInboundRecord(paths, record);
    return outcome(record, `no recipient for ${base.did || 'this number'}; kept in the spool`);
  }

  const words = await renderMail('inbound', locale, values, { templatesDir: config.paths.templates, html: true, log });
  const mail: OutgoingMail = {
    kind: 'inbound',
    to: recipients,
    subject: words.subject || `Fax from ${values['caller']}`,
    text: words.text,
    html: words.html ?? '',
    attachments,
    jobId: id,
  };
  const how = await sendOrQueue(config, mail, log);
  record.state = how === 'sent' ? 'delivered' : 'queued';
  record.handled = new Date().toISOString();
  await writeInboundRecord(paths, record);
  // The archive copy, after the mail is safe: its failure is logged and costs nothing else.
  if (pdfName && config.archive.directory !== '') {
    const { archiveFax } = await import('../archive/archive.js');
    await archiveFax(
      config,
      {
        kind: 'received',
        id,
        at: base.received,
        number: base.did,
        pages,
        remoteStationId: base.remoteId,
        status,
        callerNum: base.callerNum,
        callerName: base.callerName,
        recipients,
      },
      inboundFile(paths, id, 'pdf'),
      log,
    );
  }
  const partial = record.partial ? ' (incomplete)' : '';
  return outcome(
    record,
    `${formatPages(pages, 'en')}${partial} ${how === 'sent' ? 'mailed' : 'queued for mail'} to ` +
      `${recipients.join(', ')}`,
  );
}

async function handleEmpty(
  config: Readonly<Config>,
  paths: SpoolPaths,
  base: Omit<InboundRecord, 'state' | 'recipients' | 'handled'>,
  values: InboundValues,
  log: Logger,
): Promise<ReceivedOutcome> {
  const locale = config.notify.locale;
  const record: InboundRecord = { ...base, state: 'empty', recipients: [], handled: new Date().toISOString() };
  const admin = sortRecipients(config.notify.admin ? [config.notify.admin] : []).ok;
  log.warn(
    { job: base.id, did: base.did, caller: base.callerNum, status: base.status, error: base.error },
    'inbound: call ended without any page',
  );
  if (config.notify.report_empty_receive && admin.length > 0) {
    const words = await renderMail('empty-receive', locale, values, {
      templatesDir: config.paths.templates,
      html: false,
      log,
    });
    const mail: OutgoingMail = {
      kind: 'admin',
      to: admin,
      subject: words.subject || `Fax call without pages from ${values['caller']}`,
      text: words.text,
      attachments: [],
      jobId: base.id,
    };
    await sendOrQueue(config, mail, log);
    record.recipients = admin;
    record.reported = true;
  }
  await writeInboundRecord(paths, record);
  return outcome(record, record.reported ? `no page received; reported to ${admin.join(', ')}` : 'no page received');
}

function outcome(record: InboundRecord, summary: string): ReceivedOutcome {
  return {
    id: record.id,
    state: record.state,
    pages: record.pages,
    partial: record.partial,
    recipients: record.recipients,
    ...(record.pdf ? { pdf: record.pdf } : {}),
    summary,
  };
}
