/* lib/accounts.ts: users and groups from the local files where NSS reads them first, else from getent. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { filesFirst, findEntry, lookup } from '../lib/accounts.js';

const getent = (db: string, key: string): string[] | undefined => {
  try {
    return execFileSync('getent', [db, key], { encoding: 'utf8' }).split('\n')[0]!.split(':');
  } catch {
    return undefined;
  }
};

test('filesFirst reads the first source of the database line', () => {
  const conf = '# comment\npasswd:         files systemd\ngroup: ldap files # remote first\nhosts: files dns\n';
  assert.is(filesFirst(conf, 'passwd'), true);
  assert.is(filesFirst(conf, 'group'), false);
  assert.is(filesFirst('passwd: compat\n', 'passwd'), false);
  // glibc's default without a line: files
  assert.is(filesFirst('hosts: files\n', 'group'), true);
});

test('findEntry matches a name or a numeric id, never a NIS compat or comment line', () => {
  const text = [
    '+nisuser::::::',
    '# root:x:5:5',
    'root:x:0:0:root:/root:/bin/bash',
    'asterisk:x:101:103:Asterisk PBX:/var/lib/asterisk:/usr/sbin/nologin',
    '',
  ].join('\n');
  assert.equal(findEntry(text, 'asterisk')?.slice(0, 4), ['asterisk', 'x', '101', '103']);
  assert.is(findEntry(text, '101')?.[0], 'asterisk');
  assert.is(findEntry(text, '0')?.[0], 'root');
  assert.is(findEntry(text, '+nisuser'), undefined);
  assert.is(findEntry(text, '5'), undefined);
  assert.is(findEntry(text, 'nobody-here'), undefined);
});

test('lookup answers what getent answers, by name and by id, for users and groups', () => {
  for (const [db, key] of [
    ['passwd', 'root'],
    ['passwd', 'nobody'],
    ['passwd', '0'],
    ['group', 'root'],
    ['group', 'nogroup'],
    ['group', '0'],
  ] as const) {
    const want = getent(db, key);
    assert.ok(want, `getent ${db} ${key}`);
    assert.equal(lookup(db, key)?.slice(0, 3), want.slice(0, 3), `${db} ${key}`);
  }
  assert.is(lookup('passwd', 'no-such-user-faxmail'), undefined);
  assert.is(lookup('group', 'no-such-group-faxmail'), undefined);
});

test.run();
