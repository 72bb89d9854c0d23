import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHeaderValue } from '../../lib/mime/params.js';

test('value lower case; quoted strings with ; and escapes; comments dropped', () => {
  const v = parseHeaderValue('Multipart/Mixed; boundary="a;b\\"c" (a comment; with=stuff); charset=UTF-8');
  assert.is(v.value, 'multipart/mixed');
  assert.is(v.params.boundary, 'a;b"c');
  assert.is(v.params.charset, 'UTF-8');
});

test('RFC 2231: charset and language, percent bytes', () => {
  const v = parseHeaderValue("attachment; filename*=iso-8859-1'de'%FCber%20uns.pdf");
  assert.is(v.params.filename, 'über uns.pdf');
});

test('RFC 2231 continuations: extended and plain pieces, out of order, a character split between pieces', () => {
  const v = parseHeaderValue(
    'attachment; filename*1*=%E6%B1%82%E6%9B; filename*0*=UTF-8\'\'%E8%AB%8B; filename*2*=%B8; filename*3=".pdf"',
  );
  assert.is(v.params.filename, '請求書.pdf');
  const plain = parseHeaderValue('attachment; filename*0="long "; filename*1="name.pdf"');
  assert.is(plain.params.filename, 'long name.pdf');
});

test('RFC 2047 in a plain parameter is decoded; an RFC 2231 value is not decoded twice', () => {
  assert.is(parseHeaderValue('application/pdf; name="=?UTF-8?B?6KaL56mN5pu4LnBkZg==?="').params.name, '見積書.pdf');
  const twice = parseHeaderValue("attachment; filename*=utf-8''a%3D%3Futf-8%3FQ%3F%3D2Eexe%3F%3D");
  assert.is(twice.params.filename, 'a=?utf-8?Q?=2Eexe?=');
});

test('the RFC 2231 form wins over a plain parameter of the same name; empty and junk input', () => {
  assert.is(parseHeaderValue("a; name=plain; name*=utf-8''%C3%A9").params.name, 'é');
  const empty = parseHeaderValue('');
  assert.is(empty.value, '');
  assert.equal(Object.keys(empty.params), []);
  assert.is(parseHeaderValue('text/plain; ; =x; novalue').value, 'text/plain');
});

test.run();
