/*
 * job-record.ts: a job.json record as sendfax leaves it (a queued 2-page fine A4 fax of invoice.pdf to
 * 0312345678 from alice@example.com, created now), one attempt as faxmail-notify records it (the far end was
 * busy), and a received fax's report as the dialplan hands it over (2 standard-resolution pages from ACME
 * Corp to DID 0312345678), for tests that write records into a spool by hand.
 * Pure; `overrides` win over every default.
 */
import type { ReceivedReport } from '../../lib/inbound/receive.js';
import type { Attempt, Job } from '../../lib/spool/types.js';

/** Attempt `n`, recorded now: the far end was busy (Asterisk's ${REASON} 5). */
export function attemptRecord(n: number, overrides: Partial<Attempt> = {}): Attempt {
  return {
    n,
    at: new Date().toISOString(),
    status: 'UNANSWERED',
    class: 'busy',
    error: 'Busy',
    reason: 5,
    pages: 0,
    rate: 0,
    resolution: '',
    remoteStationId: '',
    ...overrides,
  };
}

export function jobRecord(id: string, overrides: Partial<Job> = {}): Job {
  const now = new Date().toISOString();
  return {
    version: 1,
    id,
    envelopeSender: 'alice@example.com',
    replyTo: 'alice@example.com',
    replyName: 'Alice',
    subject: 'Invoice 42',
    requestedNumber: '03-1234-5678',
    number: '0312345678',
    pages: 2,
    resolution: 'fine',
    paper: 'a4',
    documents: [{ name: 'invoice.pdf', kind: 'pdf', file: 'docs/01-invoice.pdf', bytes: 1000, pages: 2 }],
    skipped: [],
    tiff: 'fax.tif',
    messageId: '<m1@example.com>',
    created: now,
    updated: now,
    state: 'queued',
    attempts: [],
    ...overrides,
  };
}

/** The report of received fax `id` (the TIFF is inbound/<id>.tif): 2 standard pages, received whole. */
export function receivedReport(id: string, overrides: Partial<ReceivedReport> = {}): ReceivedReport {
  return {
    id,
    did: '0312345678',
    callerNum: '0311112222',
    callerName: 'ACME Corp',
    remoteId: '+81 3 1111 2222',
    status: 'SUCCESS',
    errorKey: 'OK',
    pages: 2,
    rate: 14400,
    resolution: '8031x3850',
    duration: 65,
    ...overrides,
  };
}
