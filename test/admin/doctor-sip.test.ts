/*
 * doctor's SIP checks, pure parts: which modules callfile.channel needs, which PJSIP endpoint it dials, and
 * what `pjsip show endpoint NAME` says about fax (T.38 and its error correction, direct_media, G.711).
 * The output below has the shape Asterisk 22 prints; test/sip/trunk.test.ts runs the same checks against
 * a real Asterisk with README's trunk.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkEndpoint, faxModules, pjsipEndpoint } from '../../lib/admin/doctor.js';

const show = (params: Record<string, string>, name = 'trunk'): string =>
  [
    '',
    ' Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>',
    '==========================================================================================',
    '',
    ` Endpoint:  ${name.padEnd(52)} Not in use    0 of inf`,
    '',
    ' ParameterName                      : ParameterValue',
    ' ===============================================================',
    ...Object.entries(params).map(([k, v]) => ` ${k.padEnd(35)}: ${v}`),
    '',
  ].join('\n');

const README = {
  allow: '(alaw)',
  direct_media: 'false',
  fax_detect: 'false',
  t38_udptl: 'true',
  t38_udptl_ec: 'redundancy',
  t38_udptl_maxdatagram: '400',
};

test('modules: res_fax and res_fax_spandsp always; chan_pjsip and res_pjsip_t38 for a PJSIP channel only', () => {
  assert.equal(
    faxModules('Local/{number}@farend').map((m) => m.name),
    ['res_fax', 'res_fax_spandsp'],
  );
  assert.equal(
    faxModules('PJSIP/{number}@trunk').map((m) => m.name),
    ['res_fax', 'res_fax_spandsp', 'chan_pjsip', 'res_pjsip_t38'],
  );
  assert.equal(faxModules('pjsip/{number}@trunk').length, 4);
});

test('the endpoint of PJSIP/{number}@NAME; none for other channels or a bare PJSIP/number', () => {
  assert.is(pjsipEndpoint('PJSIP/{number}@trunk'), 'trunk');
  assert.is(pjsipEndpoint('PJSIP/{number}@my-carrier.1'), 'my-carrier.1');
  assert.is(pjsipEndpoint('PJSIP/{number}'), undefined);
  assert.is(pjsipEndpoint('Local/{number}@trunk'), undefined);
  assert.is(pjsipEndpoint('PJSIP/{number}@trunk;x'), undefined);
});

test("README's endpoint passes and says T.38 with redundancy; T.38 off says audio only", () => {
  const ok = checkEndpoint('trunk', show(README));
  assert.is(ok.length, 1);
  assert.is(ok[0]!.status, 'ok');
  assert.match(ok[0]!.detail, 'T.38 with redundancy');
  assert.match(ok[0]!.detail, 'alaw');
  const off = checkEndpoint('trunk', show({ ...README, t38_udptl: 'false' }));
  assert.is(off[0]!.status, 'ok');
  assert.match(off[0]!.detail, /no T\.38: faxes go as G\.711 audio/);
});

test('faults: no such endpoint, T.38 without error correction, direct_media, no G.711', () => {
  const missing = checkEndpoint('trunk', show(README, 'other'));
  assert.is(missing[0]!.status, 'fail');
  assert.match(missing[0]!.fix!, 'pjsip.conf');
  const noEc = checkEndpoint('trunk', show({ ...README, t38_udptl_ec: 'none' }));
  assert.is(noEc[0]!.status, 'warn');
  assert.match(noEc[0]!.fix!, 't38_udptl_ec = redundancy');
  const direct = checkEndpoint('trunk', show({ ...README, direct_media: 'true' }));
  assert.ok(direct.some((c) => c.status === 'warn' && /direct_media/.test(c.detail)));
  const g729 = checkEndpoint('trunk', show({ ...README, allow: '(g729)' }));
  assert.ok(g729.some((c) => c.status === 'fail' && /no G\.711/.test(c.detail)));
});

test.run();
