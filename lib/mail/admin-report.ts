/*
 * admin-report.ts: tell the admin (notify.admin) about a queue event that needs a person: a call that never
 * reported (lost), a receipt or notice that could not be built or handed over. A plain-text mail, written
 * here rather than from a template, so a broken template cannot also silence this. Without notify.admin,
 * or when even this mail cannot be built, the log line (level error, "admin": true) is all there is;
 * `faxmail status` lists the same things and exits 1 either way.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { sortRecipients } from './address.js';

export async function tellAdmin(
  config: Readonly<Config>,
  subject: string,
  lines: readonly string[],
  log: Logger,
  jobId?: string,
): Promise<boolean> {
  const admin = sortRecipients(config.notify.admin ? [config.notify.admin] : []).ok;
  if (admin.length === 0) return false;
  try {
    const { sendOrQueue } = await import('./deliver.js');
    const text = [
      ...lines,
      '',
      'faxmail status lists everything that needs attention; see README, Troubleshooting.',
      '',
    ].join('\n');
    await sendOrQueue(
      config,
      { kind: 'admin', to: admin, subject: `faxmail: ${subject}`, text, attachments: [], ...(jobId ? { jobId } : {}) },
      log,
    );
    return true;
  } catch (err) {
    log.error(
      { job: jobId, err: err instanceof Error ? err.message : String(err), subject },
      'could not tell the admin',
    );
    return false;
  }
}
