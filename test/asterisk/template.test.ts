/*
 * template.test.ts: asterisk/extensions_faxmail.conf, read as shipped. Every System()/AGI() line obeys the
 * rule (each ${...} a FILTER with a safe set, inside single quotes; no commas or metacharacters), the
 * contexts do what the issue asks, and hostile caller names, station ids and error texts come out of the
 * substitution, and out of a real /bin/sh, as harmless argv entries.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config/load.js';
import { parseArgs } from '../../bin/faxmail-notify.js';
import {
  checkShellArgument,
  checkShellLines,
  evalFilter,
  filterSet,
  notifyCommandFor,
  parseDialplan,
  runExtension,
  shellSplit,
  shippedDialplan,
  TEMPLATE_PATH,
} from '../helpers/dialplan.js';

const plan = shippedDialplan();
const defaults = parseConfig('', 'defaults', { checkPaths: false });
const JOB = '20250101-120000-0123456789ab';

const HOSTILE = [
  '"; touch /tmp/faxmail-pwned #',
  '$(touch /tmp/faxmail-pwned)',
  '`touch /tmp/faxmail-pwned`',
  'a,b,c',
  'line1\nline2',
  "O'Brien \"quoted\"",
  '\\x27; id',
  '${FAXMAIL_NOTIFY}',
  '|| id & id > /tmp/faxmail-pwned',
  '山田太郎',
];

test('every System()/AGI() line passes the rule', () => {
  const problems = checkShellLines(plan);
  assert.equal(problems, [], problems.map((p) => `line ${p.line}: ${p.problem}`).join('\n'));
  // and there are such lines to check: sent, unanswered, received
  let count = 0;
  for (const ctx of plan.contexts.values()) for (const e of ctx.extensions.values()) for (const p of e.priorities) if (p.app === 'System') count++;
  assert.is(count, 3);
});

test('the checker catches what it must (it can fail)', () => {
  const bad: [string, string][] = [
    ["'${CALLERID(name)}'", 'not wrapped in FILTER'],
    ["'${FAXMAIL_JOB}'", 'not wrapped in FILTER'],
    ["'${FILTER(-0-9A-Za-z;,${CALLERID(name)})}'", 'lets through'],
    ["'${FILTER(\\x24a-z,${CALLERID(name)})}'", 'lets through'],
    ["'${FILTER( -~,${CALLERID(name)})}'", 'lets through'],
    ['${FILTER(0-9,${REASON})}', 'not inside single quotes'],
    ["x --a '${FILTER(0-9,${REASON})}',y", 'comma'],
    ["x `id` '${FILTER(0-9,${REASON})}'", 'metacharacters'],
    ["x '$[${EPOCH} - 1]'", 'expression'],
    ["x '${FILTER(0-9,${REASON})}", 'unbalanced'],
  ];
  for (const [line, expected] of bad) {
    const problems = checkShellArgument(line);
    assert.ok(problems.some((p) => p.includes(expected)), `${line}: expected "${expected}" in ${JSON.stringify(problems)}`);
  }
  const planned = parseDialplan("[x]\nexten => s,1,System(echo '${CALLERID(num)}')\n same => n,ExecIf($[1]?System(echo ${EXTEN}))\n");
  assert.is(checkShellLines(planned).length >= 3, true);
});

test('FILTER sets expand like Asterisk (ranges, "-" first is literal)', () => {
  assert.equal([...filterSet('-0-9A-Za-z +._')].sort().join(''), ' +-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz');
  assert.equal([...filterSet('0-9x')].sort().join(''), '0123456789x');
  assert.is(evalFilter('0-9,12,34'), '1234', 'commas in the value stay in the value');
  assert.is(evalFilter('A-Z,FA(IL)ED'), 'FAILED');
});

test('[globals] has the documented settings', () => {
  for (const name of ['FAXMAIL_STATIONID', 'FAXMAIL_HEADER', 'FAXMAIL_ECM', 'FAXMAIL_MINRATE', 'FAXMAIL_MAXRATE', 'FAXMAIL_NOTIFY', 'FAXMAIL_SPOOL', 'FAXMAIL_MAXCALLS']) {
    assert.ok(name in plan.globals, name);
  }
  assert.is(plan.globals['FAXMAIL_NOTIFY'], '/usr/local/bin/faxmail-notify');
  assert.is(plan.globals['FAXMAIL_SPOOL'], '/var/spool/faxmail');
});

test('the send context matches the call file defaults and sets FAXOPT before SendFAX, handler first', () => {
  const ctx = plan.contexts.get(defaults.callfile.context);
  assert.ok(ctx, `context [${defaults.callfile.context}]`);
  assert.ok(ctx!.extensions.has(defaults.callfile.extension));
  assert.ok(ctx!.extensions.has('failed'));
  const trace = runExtension(plan, 'faxmail-send', 'send', { FAXMAIL_JOB: JOB, FAXMAIL_ATTEMPT: '1', FAXFILE: '/var/spool/faxmail/jobs/x/fax.tif' });
  const order = trace.apps.map((a) => `${a.app}(${a.args})`);
  const sendAt = order.findIndex((a) => a.startsWith('SendFAX('));
  assert.is(order[sendAt], 'SendFAX(/var/spool/faxmail/jobs/x/fax.tif)');
  for (const opt of ['ecm', 'headerinfo', 'localstationid', 'minrate', 'maxrate']) {
    const at = order.findIndex((a) => a.startsWith(`Set(FAXOPT(${opt})=`));
    assert.ok(at >= 0 && at < sendAt, `FAXOPT(${opt}) set before SendFAX`);
  }
  assert.ok(order.findIndex((a) => a.startsWith('Set(CHANNEL(hangup_handler_push)=')) < sendAt, 'handler pushed before SendFAX');
  assert.is(trace.systems.length, 1, 'the handler reported once');
});

test('sent: the argv follows the contract and the bin parses it', () => {
  const argv = notifyCommandFor(
    'faxmail-send',
    'send',
    {
      FAXMAIL_JOB: JOB,
      FAXMAIL_ATTEMPT: '3',
      'FAXOPT(status)': 'SUCCESS',
      'FAXOPT(error)': 'HANGUP',
      'FAXOPT(pages)': '2',
      'FAXOPT(rate)': '14400',
      'FAXOPT(resolution)': '8031x7700',
      'FAXOPT(remotestationid)': '+81 3 9999 0000',
    },
    plan,
    { epoch: 1000, hangupEpoch: 1024 },
  );
  assert.equal(argv, [
    '/usr/local/bin/faxmail-notify', 'sent', '--config', '/etc/faxmail/faxmail.toml', '--job', JOB, '--attempt', '3',
    '--status', 'SUCCESS', '--error', 'HANGUP', '--pages', '2', '--rate', '14400', '--resolution', '8031x7700',
    '--remote-id', '+81 3 9999 0000', '--duration', '24',
  ]);
  const parsed = parseArgs(argv.slice(1));
  assert.is(parsed.command, 'sent');
  assert.is(parsed.values['remote-id'], '+81 3 9999 0000');
});

test('results that appear only at hangup reach the handler (hangupVars)', () => {
  const trace = runExtension(plan, 'faxmail-send', 'send', { FAXMAIL_JOB: JOB, FAXMAIL_ATTEMPT: '1' }, { epoch: 100, hangupEpoch: 130, hangupVars: { 'FAXOPT(status)': 'FAILED', 'FAXOPT(error)': 'The call dropped prematurely', 'FAXOPT(pages)': '1' } });
  const p = parseArgs(trace.systems[0]!.argv.slice(1));
  assert.equal([p.values['status'], p.values['error'], p.values['pages'], p.values['duration']], ['FAILED', 'Thecalldroppedprematurely', '1', '30']);
  assert.is(runExtension(plan, 'faxmail-send', 'send', { FAXMAIL_JOB: JOB }, { skipHandlers: true }).systems.length, 0);
});

test('the call file FAXMAIL_CONFIG wins over the global one', () => {
  const argv = notifyCommandFor('faxmail-send', 'failed', { FAXMAIL_JOB: JOB, FAXMAIL_ATTEMPT: '1', REASON: '5', FAXMAIL_CONFIG: '/srv/fax/faxmail.toml' });
  assert.equal(argv.slice(1), ['unanswered', '--config', '/srv/fax/faxmail.toml', '--job', JOB, '--attempt', '1', '--reason', '5']);
  assert.is(parseArgs(argv.slice(1)).command, 'unanswered');
});

test('hostile station ids, errors, caller names and numbers come out as harmless argv entries', () => {
  for (const value of HOSTILE) {
    const sent = notifyCommandFor('faxmail-send', 'send', {
      FAXMAIL_JOB: JOB,
      FAXMAIL_ATTEMPT: '1',
      'FAXOPT(status)': value,
      'FAXOPT(error)': value,
      'FAXOPT(pages)': value,
      'FAXOPT(remotestationid)': value,
      'FAXOPT(resolution)': value,
    });
    assert.is(sent.length, 22, `same shape for ${JSON.stringify(value)}: ${JSON.stringify(sent)}`);
    assert.is(sent[5], JOB);
    for (const arg of sent) assert.match(arg, /^[-0-9A-Za-z +._/]*$/, `${JSON.stringify(arg)} from ${JSON.stringify(value)}`);
    const p = parseArgs(sent.slice(1));
    assert.is(p.values['remote-id'], evalFilter(`-0-9A-Za-z +._,${value}`));
    assert.match(p.values['error']!, /^[0-9A-Za-z]*$/);

    const rx = runExtension(plan, 'faxmail-receive', '0312345678', {
      UNIQUEID: '1700000000.7',
      'CALLERID(num)': value,
      'CALLERID(name)': value,
      'FAXOPT(remotestationid)': value,
      'FAXOPT(error)': value,
    });
    assert.is(rx.systems.length, 1);
    const argv = rx.systems[0]!.argv;
    assert.not.ok(rx.systems[0]!.cut, 'no comma cut the line');
    assert.is(argv.length, 26, JSON.stringify(argv));
    for (const arg of argv) assert.match(arg, /^[-0-9A-Za-z +._/]*$/);
    const r = parseArgs(argv.slice(1));
    assert.is(r.values['caller-name'], evalFilter(`-0-9A-Za-z +._,${value}`));
    assert.match(r.values['caller-num']!, /^[+0-9]*$/);
  }
});

test('a real /bin/sh gives the program exactly these argv entries, and runs nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-sh-'));
  const fake = join(dir, 'fake-notify');
  writeFileSync(fake, '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n');
  chmodSync(fake, 0o755);
  for (const value of HOSTILE) {
    const vars = { FAXMAIL_NOTIFY: fake, UNIQUEID: '1700000000.8', 'CALLERID(num)': value, 'CALLERID(name)': value, 'FAXOPT(remotestationid)': value, 'FAXOPT(error)': value, 'FAXOPT(status)': value };
    const trace = runExtension(plan, 'faxmail-receive', '0312345678', vars);
    const call = trace.systems[0]!;
    const out = execFileSync('/bin/sh', ['-c', call.command], { cwd: dir }).toString();
    assert.equal(out.split('\n').slice(0, -1), call.argv.slice(1), `sh agrees for ${JSON.stringify(value)}`);
  }
  assert.not.ok(existsSync('/tmp/faxmail-pwned'));
});

test('shellSplit refuses what the shell would interpret', () => {
  assert.equal(shellSplit("a 'b c' '' d'e'f"), ['a', 'b c', '', 'def']);
  for (const s of ['a;b', 'a $b', 'a `b`', 'a "b"', 'a\nb', 'a|b', 'a > b', "a 'b"]) assert.throws(() => shellSplit(s), undefined, s);
});

test('receive: a unique spool name of our own, ReceiveFAX into inbound/, received reported from the hangup handler', () => {
  const vars = { UNIQUEID: '1700000000.42', 'CALLERID(num)': '0398765432', 'CALLERID(name)': 'ACME Sales', 'FAXOPT(status)': 'SUCCESS', 'FAXOPT(pages)': '3', 'FAXOPT(remotestationid)': 'ACME 1' };
  const trace = runExtension(plan, 'faxmail-receive', '0312345678', vars, { epoch: 1735732800 });
  const rx = trace.apps.find((a) => a.app === 'ReceiveFAX');
  assert.ok(rx);
  const m = /^\/var\/spool\/faxmail\/inbound\/([0-9]{8}-[0-9]{6}-1700000000\.42)\.tif$/.exec(rx!.args);
  assert.ok(m, rx!.args);
  const pushAt = trace.apps.findIndex((a) => a.args.startsWith('CHANNEL(hangup_handler_push)='));
  assert.ok(pushAt >= 0 && pushAt < trace.apps.indexOf(rx!), 'handler pushed before ReceiveFAX');
  const argv = trace.systems[0]!.argv;
  const p = parseArgs(argv.slice(1));
  assert.is(p.command, 'received');
  assert.is(p.values['id'], m![1]);
  assert.is(p.values['did'], '0312345678');
  assert.is(p.values['caller-num'], '0398765432');
  assert.is(p.values['caller-name'], 'ACME Sales');
  assert.is(p.values['remote-id'], 'ACME 1');
  assert.is(p.values['pages'], '3');
  // the contract's id alphabet
  assert.match(p.values['id']!, /^[0-9A-Za-z.-]+$/);
  // two calls in the same second get different names
  const other = runExtension(plan, 'faxmail-receive', '0312345678', { ...vars, UNIQUEID: '1700000000.43' }, { epoch: 1735732800 });
  assert.is.not(parseArgs(other.systems[0]!.argv.slice(1)).values['id'], p.values['id']);
});

test('receive: s and +E.164 extensions', () => {
  const s = runExtension(plan, 'faxmail-receive', 's', { UNIQUEID: '1.1' });
  assert.is(parseArgs(s.systems[0]!.argv.slice(1)).values['did'], '');
  const plus = runExtension(plan, 'faxmail-receive', '+81312345678', { UNIQUEID: '1.2' });
  assert.is(parseArgs(plus.systems[0]!.argv.slice(1)).values['did'], '+81312345678');
});

test('receive over FAXMAIL_MAXCALLS: congestion, no ReceiveFAX, no report', () => {
  const over = runExtension(plan, 'faxmail-receive', '0312345678', { FAXMAIL_MAXCALLS: '2', 'GROUP_COUNT(fax@faxmail)': '3', UNIQUEID: '1.3' });
  assert.is(over.ended, 'congestion');
  assert.not.ok(over.apps.some((a) => a.app === 'ReceiveFAX'));
  assert.is(over.systems.length, 0);
  const under = runExtension(plan, 'faxmail-receive', '0312345678', { FAXMAIL_MAXCALLS: '2', 'GROUP_COUNT(fax@faxmail)': '2', UNIQUEID: '1.4' });
  assert.ok(under.apps.some((a) => a.app === 'ReceiveFAX'));
  const unlimited = runExtension(plan, 'faxmail-receive', '0312345678', { 'GROUP_COUNT(fax@faxmail)': '99', UNIQUEID: '1.5' });
  assert.ok(unlimited.apps.some((a) => a.app === 'ReceiveFAX'), 'MAXCALLS=0 means no limit');
});

test('without [globals] the defaults subroutine still gives a working command', () => {
  const bare = parseDialplan(require_template().replace(/\[globals\][\s\S]*?(?=\n; Defaults)/, ''));
  assert.equal(bare.globals, {});
  const argv = notifyCommandFor('faxmail-send', 'failed', { FAXMAIL_JOB: JOB, FAXMAIL_ATTEMPT: '1', REASON: '3' }, bare);
  assert.is(argv[0], '/usr/local/bin/faxmail-notify');
  assert.is(argv[3], '/etc/faxmail/faxmail.toml');
});

test('the template explains why FILTER and not AGI', () => {
  const text = require_template();
  assert.match(text, /Why FILTER\(\) and not AGI/);
});

function require_template(): string {
  return readFileSync(TEMPLATE_PATH, 'utf8');
}

test.run();
