import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allValues, firstValue, parseHeaderBlock } from '../../lib/mime/headers.js';

test('fields in order, names lower case, folded values unfolded, LF or CRLF', () => {
  const fields = parseHeaderBlock(
    Buffer.from(
      'From: a@example.com\r\nSubject: one\r\n two\r\n\tthree\r\nTo: b@example.com\nTO: c@example.com\r\n\r\n',
    ),
  );
  assert.equal(fields, [
    { name: 'from', value: 'a@example.com' },
    { name: 'subject', value: 'one two\tthree' },
    { name: 'to', value: 'b@example.com' },
    { name: 'to', value: 'c@example.com' },
  ]);
  assert.is(firstValue(fields, 'subject'), 'one two\tthree');
  assert.equal(allValues(fields, 'to'), ['b@example.com', 'c@example.com']);
  assert.is(firstValue(fields, 'cc'), '');
});

test('an mbox From line, a continuation with no field and a name with spaces are skipped; 8-bit is UTF-8', () => {
  const fields = parseHeaderBlock(
    Buffer.concat([
      Buffer.from(' stray\r\nFrom someone Mon Jan 1\r\nBad Name: x\r\nSubject: '),
      Buffer.from('日本', 'utf8'),
      Buffer.from([0xff]),
      Buffer.from('\r\n'),
    ]),
  );
  assert.equal(fields, [{ name: 'subject', value: '日本\ufffd' }]);
});

test.run();
