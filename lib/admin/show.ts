/*
 * show.ts: one job in words, for `faxmail show JOB`: who sent it where, its state and every attempt.
 * Pure (times in the local zone).
 */
import type { Job } from '../spool/types.js';
import { localTime } from '../time.js';

export function formatJob(job: Job): string {
  const via =
    job.submittedBy !== undefined ? `faxmail send by ${job.submittedBy}` : `envelope ${job.envelopeSender || '-'}`;
  const lines = [
    `job ${job.id}`,
    `  state:     ${job.state}${job.nextAttemptAt ? ` (next try ${localTime(job.nextAttemptAt)})` : ''}`,
    `  number:    ${job.number}` +
      (job.requestedNumber && job.requestedNumber !== job.number ? ` (written as ${job.requestedNumber})` : ''),
    `  from:      ${job.replyName ? `${job.replyName} <${job.replyTo}>` : job.replyTo} ` + `(${via})`,
    `  subject:   ${job.subject || '-'}`,
    `  pages:     ${job.pages} (${job.resolution}, ${job.paper})`,
    `  documents: ${job.documents.map((d) => `${d.name} [${d.kind}, ${d.pages} p.]`).join(', ') || '-'}`,
  ];
  if (job.skipped.length) lines.push(`  skipped:   ${job.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`);
  lines.push(`  created:   ${localTime(job.created)}`, `  updated:   ${localTime(job.updated)}`);
  if (job.callFile) lines.push(`  call file: ${job.callFile}${job.attempt ? ` (attempt ${job.attempt})` : ''}`);
  if (job.dialledAt) lines.push(`  dialling:  since ${localTime(job.dialledAt)}`);
  if (job.heldAt) lines.push(`  on hold:   since ${localTime(job.heldAt)}`);
  if (job.cancelled) {
    const call = {
      none: 'no call was under way',
      removed: 'its call file was taken back before the call',
      'hung-up': 'its call was hung up',
      'left-running': 'its call could not be hung up',
    }[job.cancelled.call];
    lines.push(`  cancelled: ${localTime(job.cancelled.at)} (was ${job.cancelled.previous}; ${call})`);
  }
  if (job.notifiedAt) lines.push(`  receipt:   ${localTime(job.notifiedAt)}`);
  if (job.noticePending)
    lines.push(
      `  pending:   ` +
        `${{ success: 'receipt', failure: 'failure notice', cancelled: 'cancel notice' }[job.noticePending]} ` +
        `not handed over yet${job.noticeError ? ` (${job.noticeError})` : ''}`,
    );
  lines.push(`  attempts:  ${job.attempts.length === 0 ? 'none yet' : ''}`);
  for (const a of job.attempts) {
    const detail = [
      a.class ? `class ${a.class}` : '',
      a.error ? `"${a.error}"` : '',
      a.reason !== undefined ? `reason ${a.reason}` : '',
      `${a.pages} p.`,
      a.rate ? `${a.rate} bit/s` : '',
      a.resolution || '',
      a.remoteStationId ? `station "${a.remoteStationId}"` : '',
      a.mode ? (a.mode === 'T38' ? 'T.38' : 'audio') : '',
      a.duration !== undefined ? `${a.duration} s` : '',
      a.lost ? 'LOST (no result)' : '',
      ...(a.unknown ?? []).map((f) => `${f} unknown (reported "${a.raw?.[f] ?? ''}")`),
    ].filter(Boolean);
    lines.push(`    #${a.n}  ${localTime(a.at)}  ${a.status.padEnd(10)} ${detail.join(', ')}`);
  }
  return lines.join('\n');
}
