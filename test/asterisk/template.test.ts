/*
 * template.test.ts: the fast, static half of the checks on asterisk/extensions_faxmail.conf (the real
 * Asterisk of test/asterisk/outbound, inbound and cancel tests runs it): every shell line keeps the rule of
 * the template's header (dialplan-lint.ts), the settings and paths agree with the install layout, and the
 * order of things in the send and receive contexts is right.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config/load.js';
import {
  checkShellArgument,
  checkShellLines,
  filterSet,
  parseDialplan,
  shippedDialplan,
  TEMPLATE_PATH,
} from '../helpers/dialplan-lint.js';
import { DEFAULT_GLOBALS } from '../helpers/asterisk-config.js';
import { repoRoot } from '../helpers/paths.js';

const plan = shippedDialplan();
const text = readFileSync(TEMPLATE_PATH, 'utf8');
const defaults = parseConfig('', 'defaults', { checkPaths: false });

test('every shell line keeps the rule, and there are three of them (sent, unanswered, received)', () => {
  const problems = checkShellLines(plan);
  assert.equal(problems, [], problems.map((p) => `line ${p.line}: ${p.problem}`).join('\n'));
  const shell = [...plan.contexts.values()].flatMap((c) =>
    [...c.extensions.values()].flatMap((e) => e.priorities.filter((p) => /System/.test(p.app))),
  );
  assert.equal(
    shell.map((p) => p.app),
    ['TrySystem', 'TrySystem', 'TrySystem'],
  );
  for (const p of shell) {
    assert.not.match(p.args, /^['"]|['"]$/, `line ${p.line}: no quote first or last`);
    assert.ok(p.args.endsWith(' </dev/null'), `line ${p.line}`);
  }
});

test('the checker catches what it must (it can fail)', () => {
  const program = '${FILTER(-0-9A-Za-z/._,${FAXMAIL_NOTIFY})} sent';
  const bad: [string, string][] = [
    [
      "'${FILTER(-0-9A-Za-z/._,${FAXMAIL_NOTIFY})}' sent --job '${FILTER(-0-9a-z,${FAXMAIL_JOB})}'",
      'starts with a quote',
    ],
    [`${program} --job '\${FILTER(-0-9a-z,\${FAXMAIL_JOB})}'`, 'ends with a quote'],
    [`${program} --name '\${CALLERID(name)}' </dev/null`, 'not wrapped in FILTER'],
    [`${program} --name '\${FILTER(-0-9A-Za-z;,\${CALLERID(name)})}' </dev/null`, 'lets through'],
    [`${program} --name '\${FILTER(\\x24a-z,\${CALLERID(name)})}' </dev/null`, 'lets through'],
    [`${program} --name '\${FILTER( -~,\${CALLERID(name)})}' </dev/null`, 'lets through'],
    [`${program} --reason \${FILTER(0-9,\${REASON})} </dev/null`, 'not inside single quotes'],
    [`${program} --a '\${FILTER(0-9,\${REASON})}',y </dev/null`, 'comma'],
    [`${program} \`id\` '\${FILTER(0-9,\${REASON})}' </dev/null`, 'metacharacters'],
    [`${program} '$[\${EPOCH} - 1]' </dev/null`, 'expression'],
    [`${program} '\${FILTER(0-9,\${REASON})} </dev/null`, 'unbalanced'],
    ["/usr/bin/x sent '${FILTER(0-9,${REASON})}' </dev/null", 'does not start with the program'],
  ];
  for (const [line, expected] of bad) {
    const problems = checkShellArgument(line);
    assert.ok(
      problems.some((p) => p.includes(expected)),
      `${line}: expected "${expected}" in ${JSON.stringify(problems)}`,
    );
  }
  const planned = parseDialplan(
    "[x]\nexten => s,1,System(echo '${CALLERID(num)}')\n same => n,ExecIf($[1]?System(echo ${EXTEN}))\n same " +
      "=> n,TrySystem(${FILTER(-0-9A-Za-z/._,${FAXMAIL_NOTIFY})} x '${FILTER(0-9,${REASON})}' " +
      '</dev/null)\n same => n,Hangup()\n',
  );
  const problems = checkShellLines(planned).map((p) => p.problem);
  assert.ok(
    problems.some((p) => p.includes('inside ExecIf')),
    JSON.stringify(problems),
  );
  assert.ok(
    problems.some((p) => p.includes('SYSTEMSTATUS')),
    JSON.stringify(problems),
  );
  assert.ok(
    problems.some((p) => p.includes('Log(WARNING')),
    JSON.stringify(problems),
  );
});

test('FILTER sets expand like Asterisk (ranges, "-" first is literal)', () => {
  assert.equal(
    [...filterSet('-0-9A-Za-z +._')].sort().join(''),
    ' +-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz',
  );
  assert.equal([...filterSet('0-9x')].sort().join(''), '0123456789x');
});

test('[globals] has the documented settings; the paths are the install layout (contract 1)', () => {
  for (const name of [
    'FAXMAIL_STATIONID',
    'FAXMAIL_HEADER',
    'FAXMAIL_ECM',
    'FAXMAIL_MINRATE',
    'FAXMAIL_MAXRATE',
    'FAXMAIL_NOTIFY',
    'FAXMAIL_SPOOL',
    'FAXMAIL_CONFIG',
    'FAXMAIL_MAXCALLS',
  ]) {
    assert.ok(name in plan.globals, name);
  }
  assert.is(plan.globals['FAXMAIL_NOTIFY'], DEFAULT_GLOBALS.notify);
  assert.is(plan.globals['FAXMAIL_SPOOL'], DEFAULT_GLOBALS.spool);
  assert.is(plan.globals['FAXMAIL_CONFIG'], DEFAULT_GLOBALS.config);
  assert.is(defaults.paths.spool, DEFAULT_GLOBALS.spool);
  // The defaults subroutine falls back to the same paths.
  const d = plan.contexts
    .get('faxmail-defaults')!
    .extensions.get('s')!
    .priorities.map((p) => p.args)
    .join('\n');
  assert.ok(d.includes(`Set(FAXMAIL_NOTIFY=${DEFAULT_GLOBALS.notify})`));
  assert.ok(d.includes(`Set(FAXMAIL_SPOOL=${DEFAULT_GLOBALS.spool})`));
  // install.sh puts faxmail-notify there, and master.cf names sendfax beside it.
  const install = readFileSync(join(repoRoot, 'scripts', 'install.sh'), 'utf8');
  assert.match(install, /^LIBEXECDIR=\$\{LIBEXECDIR:-\/usr\/local\/libexec\/faxmail\}$/m);
  assert.match(
    readFileSync(join(repoRoot, 'postfix', 'master.cf'), 'utf8'),
    /argv=\/usr\/local\/libexec\/faxmail\/sendfax /,
  );
});

test('the header states the facts of app_system and [globals] (not the old myths)', () => {
  assert.match(text, /strip\w*\s+ONE leading and ONE trailing quote/);
  assert.match(text, /merges every \[globals\] section/);
  assert.not.match(text, /reads only the FIRST \[globals\]/);
  assert.not.match(text, /comma (splits|cuts)/);
});

test('send: FAXOPT and the hangup handler before SendFAX; the failed extension reports; markers name the job', () => {
  const ctx = plan.contexts.get(defaults.callfile.context)!;
  assert.ok(ctx, `context [${defaults.callfile.context}]`);
  const send = ctx.extensions.get(defaults.callfile.extension)!.priorities.map((p) => `${p.app}(${p.args})`);
  const at = (prefix: string): number => send.findIndex((a) => a.startsWith(prefix));
  const sendFax = at('SendFAX(');
  // f: T.38 when the far end asks, else audio in the same call; F (audio only) when the call file says
  // FAXMAIL_T38=no (a retry after T38_NEG_ERROR). test/sip/ runs both over a real trunk.
  assert.is(send[sendFax], 'SendFAX(${FAXFILE},${FAXMAIL_FAXOPTS})');
  assert.ok(
    at('Set(FAXMAIL_FAXOPTS=f)') >= 0 &&
      at('Set(FAXMAIL_FAXOPTS=f)') < at('ExecIf($["${FAXMAIL_T38}" = "no"]?Set(FAXMAIL_FAXOPTS=F))'),
  );
  assert.ok(at('ExecIf($["${FAXMAIL_T38}" = "no"]?Set(FAXMAIL_FAXOPTS=F))') < sendFax);
  for (const opt of ['ecm', 'headerinfo', 'localstationid', 'minrate', 'maxrate'])
    assert.ok(at(`Set(FAXOPT(${opt})=`) >= 0 && at(`Set(FAXOPT(${opt})=`) < sendFax, opt);
  assert.ok(at('Set(CHANNEL(hangup_handler_push)=faxmail-send-done,s,1)') < sendFax);
  assert.match(send[0]!, /^NoOp\(faxmail: sending job \$\{FILTER\(-0-9a-z,\$\{FAXMAIL_JOB\}\)\}/);
  const failed = ctx.extensions.get('failed')!.priorities;
  assert.match(failed[0]!.args, /job \$\{FILTER\(-0-9a-z,\$\{FAXMAIL_JOB\}\)\}/);
  assert.ok(failed.some((p) => p.app === 'TrySystem' && / unanswered /.test(p.args)));
  const done = plan.contexts.get('faxmail-send-done')!.extensions.get('s')!.priorities;
  assert.is(done[done.length - 1]!.app, 'Return', 'the handler returns (no abnormal Gosub exit)');
});

test('receive: an id of our own, ReceiveFAX into the spool after the handler is pushed', () => {
  const run = plan.contexts
    .get('faxmail-receive-run')!
    .extensions.get('s')!
    .priorities.map((p) => `${p.app}(${p.args})`);
  const rx = run.findIndex((a) => a.startsWith('ReceiveFAX('));
  // f: ask for T.38, and receive as audio in the same call when the trunk refuses it
  assert.is(run[rx], 'ReceiveFAX(${FAXMAIL_SPOOL}/inbound/${FAXMAIL_INID}.tif,f)');
  assert.ok(run.findIndex((a) => a.startsWith('Set(CHANNEL(hangup_handler_push)=faxmail-receive-done,s,1)')) < rx);
  assert.ok(
    run.some((a) => a === 'Set(FAXMAIL_INID=${STRFTIME(${EPOCH},,%Y%m%d-%H%M%S)}-${FILTER(0-9.,${UNIQUEID})})'),
  );
  for (const ext of ['_X.', '_+X.', 's']) assert.ok(plan.contexts.get('faxmail-receive')!.extensions.has(ext), ext);
});

test(
  'shared lines: [faxmail-detect] listens, hands faxes to the receive with the DID, returns voice calls ' + 'untouched',
  () => {
    for (const ext of ['_X.', '_+X.', 's']) {
      const p = plan.contexts
        .get('faxmail-detect')!
        .extensions.get(ext)!
        .priorities.map((x) => `${x.app}(${x.args})`);
      assert.is(p[0], ext === 's' ? 'Set(FAXMAIL_DID=)' : 'Set(FAXMAIL_DID=${FILTER(+0-9,${EXTEN})})', ext);
      assert.is(p[1], 'Goto(faxmail-detect-run,s,1)', ext);
    }
    const ctx = plan.contexts.get('faxmail-detect-run')!;
    const run = ctx.extensions.get('s')!.priorities.map((x) => `${x.app}(${x.args})`);
    const at = (a: string): number => run.indexOf(a);
    // Listening is on while the caller hears ringing and Asterisk reads the line (Wait), and off before Return.
    assert.ok(at('Answer()') < at('Set(FAXOPT(faxdetect)=yes)'));
    assert.ok(at('Set(FAXOPT(faxdetect)=yes)') < at('Wait(${FAXMAIL_LISTEN})'));
    assert.ok(at('Wait(${FAXMAIL_LISTEN})') < at('Set(FAXOPT(faxdetect)=no)'));
    assert.is(run[run.length - 1], 'Return()');
    // res_fax jumps to the `fax` extension of the context the call is in: this one.
    const fax = ctx.extensions.get('fax')!.priorities.map((x) => `${x.app}(${x.args})`);
    assert.is(fax[0], 'StopPlaytones()');
    assert.is(fax[fax.length - 1], 'Goto(faxmail-receive-run,s,1)');
    assert.is(plan.globals['FAXMAIL_DETECT'], '5');
  },
);

test.run();
