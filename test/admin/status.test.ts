/* faxmail status: a queued job whose call file vanished without a result is flagged as lost. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isLost, LOST_AFTER_MS, collectStatus, formatStatus } from '../../lib/admin/status.js';
import { loadConfig } from '../../lib/config/load.js';
import { spoolPaths, ensureSpool, writeJob } from '../../lib/spool/jobs.js';
import { newJobId } from '../../lib/spool/job-id.js';
import type { Job, JobState } from '../../lib/spool/types.js';
import { makeTestEnv } from '../helpers/sendfax-env.js';

const now = new Date('2026-11-23T12:00:00Z');
const longAgo = new Date(now.getTime() - LOST_AFTER_MS - 60_000).toISOString();
const justNow = new Date(now.getTime() - 60_000).toISOString();

test(
  'isLost: only a dialling job (or an older record queued with its call file), due long ago, without its ' +
    'call file',
  () => {
    const cf = 'faxmail-x-1.call';
    assert.ok(isLost({ state: 'queued', nextAttemptAt: longAgo, callFile: cf }, false, now));
    assert.ok(isLost({ state: 'dialling', dialledAt: longAgo, callFile: cf }, false, now));
    assert.not.ok(
      isLost({ state: 'dialling', dialledAt: longAgo, callFile: cf }, false, now, LOST_AFTER_MS * 2),
      'lost_after from the config',
    );
    assert.not.ok(
      isLost({ state: 'queued', nextAttemptAt: longAgo, callFile: cf }, true, now),
      'call file still there: Asterisk has it',
    );
    assert.not.ok(isLost({ state: 'queued', nextAttemptAt: justNow, callFile: cf }, false, now), 'a call in progress');
    assert.not.ok(isLost({ state: 'queued', nextAttemptAt: longAgo }, false, now), 'queued in the spool: no call yet');
    assert.not.ok(
      isLost({ state: 'waiting' as JobState, nextAttemptAt: longAgo }, false, now),
      'waiting jobs have no call file',
    );
    assert.not.ok(isLost({ state: 'sent', nextAttemptAt: longAgo }, false, now));
    assert.not.ok(isLost({ state: 'dialling' }, false, now));
  },
);

function job(id: string, state: Job['state'], nextAttemptAt: string, callFile: string): Job {
  return {
    version: 1,
    id,
    envelopeSender: 'a@example.org',
    replyTo: 'a@example.org',
    replyName: '',
    subject: 's',
    requestedNumber: '0312345678',
    number: '0312345678',
    pages: 1,
    resolution: 'fine',
    paper: 'a4',
    documents: [],
    skipped: [],
    tiff: 'fax.tif',
    messageId: '',
    created: justNow,
    updated: justNow,
    state,
    attempts: [],
    nextAttemptAt,
    callFile,
  };
}

test('faxmail status lists the lost job and not the one Asterisk still holds', async () => {
  const env = makeTestEnv();
  const config = loadConfig(env.configPath);
  const paths = spoolPaths(config.paths.spool);
  await ensureSpool(paths);
  const lost = newJobId(new Date(now.getTime() - 7200_000));
  const held = newJobId(new Date(now.getTime() - 7100_000));
  for (const [id, file] of [
    [lost, 'faxmail-lost-1.call'],
    [held, 'faxmail-held-1.call'],
  ] as const) {
    mkdirSync(join(paths.jobs, id));
    await writeJob(join(paths.jobs, id), job(id, 'dialling', longAgo, file));
  }
  writeFileSync(join(env.outgoing, 'faxmail-held-1.call'), 'Channel: PJSIP/1@t\n');
  const status = await collectStatus(config, now);
  assert.equal(
    status.jobs.active.map((j) => [j.id, j.lost]),
    [
      [lost, true],
      [held, false],
    ],
  );
  const text = formatStatus(status, now);
  assert.match(text, new RegExp(`${lost}.*LOST`));
  assert.not.match(text, new RegExp(`${held}.*LOST`));
  assert.equal(status.attention.length, 1);
  assert.match(status.attention[0]!, lost);
});

test.run();
