/*
 * limits.ts: queue.sender_max_waiting, checked by sendfax once the sender is known. Over it the mail bounces
 * (5.7.1, with a sentence): this limit is for floods (a script gone wrong, a stolen account), where queueing
 * thousands of faxes would hold the line for days and cost money; the hourly limits wait instead (dispatch.ts).
 * Counted without the queue lock: a few parallel mails may pass the limit by one each, which is harmless.
 */
import type { Config } from '../config/schema.js';
import { FaxError } from '../errors.js';
import { spoolPaths } from '../spool/jobs.js';
import { loadJobs, queueState, senderKey } from './records.js';

export async function checkSenderBacklog(
  config: Readonly<Config>,
  sender: { envelopeSender: string; replyTo: string },
): Promise<void> {
  const max = config.queue.sender_max_waiting;
  if (max === 0) return;
  const key = senderKey(sender);
  const { jobs } = await loadJobs(spoolPaths(config.paths.spool));
  const waiting = jobs.filter(({ job }) => senderKey(job) === key && queueState(job) !== 'final').length;
  if (waiting >= max) {
    throw new FaxError(
      'sender-refused',
      `You already have ${waiting} faxes waiting to be sent, the most this server accepts from one sender; ` +
        `this one was not accepted. Send it again once some of them have gone out.`,
    );
  }
}
