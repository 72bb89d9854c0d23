import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildCallFile,
  renderCallFile,
  parseCallFile,
  callFileName,
  expandChannel,
} from '../../lib/asterisk/callfile.js';
import { FaxError } from '../../lib/errors.js';

const settings = {
  channel: 'PJSIP/{number}@trunk',
  context: 'faxmail-send',
  extension: 'send',
  caller_id: '"Office Fax" <0312345678>',
  wait_time: 45,
  archive: false,
};
const job = {
  id: '20261123-093000-0123456789ab',
  number: '0612345678',
  tiffPath: '/var/spool/faxmail/jobs/20261123-093000-0123456789ab/fax.tif',
  attempt: 1,
  configPath: '/etc/faxmail/faxmail.toml',
};

test('the call file has the keys pbx_spool needs, our tx context and no Asterisk retries', () => {
  const text = renderCallFile(buildCallFile(settings, job));
  const { entries, problems } = parseCallFile(text);
  assert.equal(problems, []);
  const get = (k: string) => entries.filter(([key]) => key === k).map(([, v]) => v);
  assert.equal(get('Channel'), ['PJSIP/0612345678@trunk']);
  assert.equal(get('Context'), ['faxmail-send']);
  assert.equal(get('Extension'), ['send']);
  assert.equal(get('Priority'), ['1']);
  assert.equal(get('MaxRetries'), ['0']);
  assert.equal(get('CallerID'), ['"Office Fax" <0312345678>']);
  assert.equal(get('Application'), []);
  assert.ok(get('Setvar').includes(`FAXMAIL_JOB=${job.id}`));
  assert.ok(get('Setvar').includes(`FAXFILE=${job.tiffPath}`));
  assert.ok(get('Setvar').includes('FAXMAIL_ATTEMPT=1'));
  for (const line of text.split('\n')) assert.ok(Buffer.byteLength(line) < 255, line);
});

test('t38: false adds FAXMAIL_T38=no (the template then sends audio only); otherwise no such line', () => {
  const vars = (t: string): string[] =>
    parseCallFile(t)
      .entries.filter(([k]) => k === 'Setvar')
      .map(([, v]) => v);
  assert.ok(vars(renderCallFile(buildCallFile(settings, { ...job, t38: false }))).includes('FAXMAIL_T38=no'));
  assert.not.ok(vars(renderCallFile(buildCallFile(settings, job))).some((v) => v.startsWith('FAXMAIL_T38=')));
  assert.not.ok(
    vars(renderCallFile(buildCallFile(settings, { ...job, t38: true }))).some((v) => v.startsWith('FAXMAIL_T38=')),
  );
});

test('a number that is not digits never reaches the Channel line', () => {
  for (const n of ['0612345678\nApplication: System', '06;x', '0612#', 'abc']) {
    assert.throws(
      () => expandChannel(settings.channel, n),
      (e: unknown) => e instanceof FaxError && e.code === 'bad-number',
    );
  }
});

test('unsafe paths, ids and caller ids are refused', () => {
  assert.throws(
    () => buildCallFile(settings, { ...job, tiffPath: '/tmp/a b;c.tif' }),
    (e: unknown) => (e as FaxError).code === 'config',
  );
  assert.throws(
    () => buildCallFile(settings, { ...job, id: '../../etc' }),
    (e: unknown) => (e as FaxError).code === 'internal',
  );
  assert.throws(
    () => buildCallFile({ ...settings, caller_id: '"x;y" <1>' }, job),
    (e: unknown) => (e as FaxError).code === 'config',
  );
  assert.throws(
    () => buildCallFile({ ...settings, channel: 'PJSIP/{number}@trunk\nApplication: System' }, job),
    (e: unknown) => (e as FaxError).code === 'config',
  );
});

test('render refuses over-long lines', () => {
  const f = buildCallFile(settings, job);
  f.variables.push(['FAXMAIL_X', 'a'.repeat(260)]);
  assert.throws(() => renderCallFile(f), /longer than/);
});

test('parseCallFile treats ; and # as comments like pbx_spool', () => {
  const { entries } = parseCallFile('Channel: Local/1@x ; comment\n# whole line\nContext: a\\;b\nSetvar: A=1 #tail\n');
  assert.equal(entries, [
    ['Channel', 'Local/1@x'],
    ['Context', 'a\\;b'],
    ['Setvar', 'A=1'],
  ]);
});

test('call file names are unique per job and attempt', () => {
  assert.is(callFileName(job.id, 2), `faxmail-${job.id}-2.call`);
});

test.run();
