/*
 * receipt.ts: the final mail to the person who sent the fax: a success receipt (with the fax as a PDF) or
 * a failure notice (what happened in plain words, what to do, and every attempt). Text and HTML parts from
 * templates (template.ts: a file of the same name in config.paths.templates wins over the built-in one in
 * lib/mail/templates/). English or Japanese (config.notify.locale).
 * Inputs: the job record and its directory. Fails with FaxError('temporary') if the PDF cannot be written;
 * a broken admin template is logged and the built-in one used instead, so a typo never loses a receipt.
 */
import { join } from 'node:path';
import type { Config, Locale, RetryClass } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { OutgoingMail, OutgoingAttachment } from '../mail/types.js';
import type { Attempt, Job } from '../spool/types.js';
import { entryForAttempt, explain } from '../fax-result/classify.js';
import { renderMail } from '../mail/template.js';
import { formatDuration, localTime } from '../time.js';

/** success and failure end a job; cancelled tells the sender that the admin stopped it (failure template). */
export type ReceiptKind = 'success' | 'failure' | 'cancelled';

const OUTCOME: Record<Locale, Record<RetryClass | 'success', string>> = {
  en: {
    success: 'Sent',
    busy: 'Busy',
    no_answer: 'No answer',
    congestion: 'Network busy or call failed',
    line_error: 'Transmission error',
    dropped: 'Call cut off',
    incompatible: 'Receiver cannot accept this fax',
    local_error: 'Fax server problem',
    unknown: 'Failed',
  },
  ja: {
    success: '送信完了',
    busy: '話し中',
    no_answer: '応答なし',
    congestion: '回線混雑または発信失敗',
    line_error: '通信エラー',
    dropped: '通話切断',
    incompatible: '相手が受信できません',
    local_error: 'サーバの問題',
    unknown: '失敗',
  },
};

/** What a cancel notice says, by what happened to the call that was under way. */
const CANCELLED: Record<
  Locale,
  Record<'beforeCall' | 'hungUp' | 'leftRunning', { explain: string; action: string }>
> = {
  en: {
    beforeCall: {
      explain:
        'The fax administrator cancelled this fax before it was sent. Nothing reached the recipient in the ' +
        'cancelled call.',
      action: 'If it should still go out, send your mail again, or ask your fax administrator why it was cancelled.',
    },
    hungUp: {
      explain:
        'The fax administrator cancelled this fax while it was being sent, and the call was cut off. The ' +
        'recipient may have received some pages.',
      action: 'Ask the recipient which pages arrived. If the fax should still go out, send your mail again.',
    },
    leftRunning: {
      explain:
        'The fax administrator cancelled this fax while it was being sent. The call could not be stopped, so ' +
        'the recipient may still receive it, in part or whole.',
      action: 'Ask the recipient whether the fax arrived before you send it again.',
    },
  },
  ja: {
    beforeCall: {
      explain: 'このファクスは送信前にファクス管理者によって取り消されました。相手には何も送られていません。',
      action:
        '送信が必要な場合は、もう一度メールを送ってください。取り消しの理由はファクス管理者にお問い合わせください。',
    },
    hungUp: {
      explain:
        'このファクスは送信中にファクス管理者によって取り消され、通話は切断されました。相手には一部のページが届いている可能性があります。',
      action: 'どのページが届いたか相手に確認してください。送信が必要な場合は、もう一度メールを送ってください。',
    },
    leftRunning: {
      explain:
        'このファクスは送信中にファクス管理者によって取り消されましたが、通話を止められませんでした。相手には一部または全部が届く可能性があります。',
      action: '再送する前に、ファクスが届いたか相手に確認してください。',
    },
  },
};

/** Receipts write times as "2025-11-23 09:31:02 +09:00". */
const RECEIPT_TIME = { zone: 'colon' } as const;

/** A call's length; none for a call that never connected (0 s), so the receipt leaves the line out. */
function callLength(seconds: number | undefined, locale: Locale): string {
  return seconds ? formatDuration(seconds, locale) : '';
}

function outcomeOf(a: Attempt, locale: Locale): string {
  return OUTCOME[locale][a.status === 'SUCCESS' ? 'success' : a.class === '' ? 'unknown' : a.class];
}

/** The values the templates see (documented in templates/README.md). */
function receiptData(job: Job, kind: ReceiptKind, locale: Locale, pdfName: string): Record<string, unknown> {
  const last = job.attempts[job.attempts.length - 1];
  const data: Record<string, unknown> = {
    job: {
      id: job.id,
      number: job.number,
      requestedNumber: job.requestedNumber,
      subject: job.subject,
      pages: job.pages,
      created: localTime(job.created, RECEIPT_TIME),
      documents: job.documents.map((d) => ({ name: d.name, pages: d.pages })),
      skipped: job.skipped.map((s) => ({ name: s.name, reason: s.reason })),
    },
    attemptCount: job.attempts.length,
    attempts: job.attempts.map((a) => ({
      n: a.n,
      at: localTime(a.at, RECEIPT_TIME),
      outcome: outcomeOf(a, locale),
      error: a.status === 'SUCCESS' ? '' : a.error,
      pages: a.pages,
      rate: a.rate,
      remoteStationId: a.remoteStationId,
      duration: callLength(a.duration, locale),
    })),
  };
  if (kind === 'success' && last) {
    data['result'] = {
      pages: last.pages,
      at: localTime(last.at, RECEIPT_TIME),
      duration: callLength(last.duration, locale),
      rate: last.rate || '',
      resolution: last.resolution,
      remoteStationId: last.remoteStationId,
    };
    data['pdfName'] = pdfName;
  }
  if (kind === 'failure' && last) {
    const words = explain(entryForAttempt(last), locale);
    data['explain'] = words.explain;
    data['action'] = words.action;
    data['error'] = last.error;
  }
  if (kind === 'cancelled') {
    const words =
      CANCELLED[locale][
        job.cancelled?.call === 'hung-up'
          ? 'hungUp'
          : job.cancelled?.call === 'left-running'
            ? 'leftRunning'
            : 'beforeCall'
      ];
    data['explain'] = words.explain;
    data['action'] = words.action;
    data['error'] = '';
  }
  return data;
}

export interface RenderedReceipt {
  subject: string;
  text: string;
  html: string;
}

/** Render both parts; the Subject comes from the text template's first line. */
export async function renderReceipt(
  job: Job,
  kind: ReceiptKind,
  options: { locale: Locale; templatesDir: string; pdfName?: string; log?: Logger },
): Promise<RenderedReceipt> {
  const data = receiptData(job, kind, options.locale, options.pdfName ?? '');
  const template = kind === 'cancelled' ? 'failure' : kind;
  const r = await renderMail(template, options.locale, data, {
    templatesDir: options.templatesDir,
    html: true,
    log: options.log,
  });
  const subject =
    r.subject || (kind === 'success' ? `Fax sent to ${job.number}` : `Fax to ${job.number} could not be sent`);
  return { subject, text: r.text, html: r.html ?? '' };
}

/** PDF file name shown to the sender: digits of the number and the job id only. */
function pdfFileName(job: Job): string {
  return `fax-${job.number.replace(/[^0-9+]/g, '')}-${job.id}.pdf`;
}

/** Build the receipt mail; for a success with notify.attach_pdf, convert the sent TIFF to PDF first. */
export async function buildReceiptMail(
  config: Readonly<Config>,
  job: Job,
  dir: string,
  kind: ReceiptKind,
  log: Logger,
): Promise<OutgoingMail> {
  const attachments: OutgoingAttachment[] = [];
  let pdfName = '';
  if (kind === 'success' && config.notify.attach_pdf) {
    const tiff = join(dir, job.tiff);
    const pdf = join(dir, 'fax.pdf');
    try {
      const { tiffToPdf } = await import('../tiff/to-pdf.js');
      await tiffToPdf(tiff, pdf, { tiff2pdf: config.paths.tiff2pdf, title: `Fax to ${job.number}`, timeoutMs: 60_000 });
      pdfName = pdfFileName(job);
      attachments.push({ filename: pdfName, path: pdf, contentType: 'application/pdf' });
    } catch (err) {
      // The receipt matters more than its attachment: send it without the PDF and say so in the log.
      log.warn({ job: job.id, err: err instanceof Error ? err.message : String(err) }, 'receipt PDF not made');
    }
  }
  const rendered = await renderReceipt(job, kind, {
    locale: config.notify.locale,
    templatesDir: config.paths.templates,
    pdfName,
    log,
  });
  return {
    kind: kind === 'success' ? 'receipt' : 'failure',
    to: [job.replyTo],
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    attachments,
    jobId: job.id,
  };
}
