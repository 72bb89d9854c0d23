import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHeaderBlock } from '../../lib/mime/headers.js';
import { describePart } from '../../lib/mime/part.js';
import { typeFromFilename } from '../../lib/mime/types.js';

const part = (text: string) => describePart(parseHeaderBlock(Buffer.from(text)));

test('type, charset, encoding, disposition, name, cid', () => {
  const p = part(
    'Content-Type: Application/PDF; name="a.pdf"\r\nContent-Transfer-Encoding: Base64 (why not)\r\n' +
      'Content-Disposition: ATTACHMENT; filename="b.pdf"\r\nContent-ID: < x@y >\r\n',
  );
  assert.is(p.contentType, 'application/pdf');
  assert.is(p.encoding, 'base64');
  assert.is(p.disposition, 'attachment');
  assert.is(p.filename, 'b.pdf', 'the Content-Disposition name wins');
  assert.is(p.cid, 'x@y');
  assert.is(p.boundary, undefined);
});

test('defaults without a Content-Type: text/plain, the name says, or octet-stream for an attachment', () => {
  assert.is(part('Subject: x\r\n').contentType, 'text/plain');
  assert.is(part('Content-Disposition: attachment\r\n').contentType, 'application/octet-stream');
  assert.is(part('Content-Disposition: inline; filename=scan.PDF\r\n').contentType, 'application/pdf');
  assert.is(part('Content-Disposition: inline; filename=x.weird\r\n').contentType, 'application/octet-stream');
});

test('multipart boundary: kept when usable; flowed text', () => {
  assert.is(part('Content-Type: multipart/mixed; boundary="=_b 1  "\r\n').boundary, '=_b 1');
  assert.is(part('Content-Type: multipart/mixed\r\n').boundary, undefined);
  assert.is(part(`Content-Type: multipart/mixed; boundary=${'x'.repeat(201)}\r\n`).boundary, undefined);
  assert.is(part('Content-Type: text/plain; boundary=x\r\n').boundary, undefined);
  const f = part('Content-Type: text/plain; format=Flowed; delsp=yes\r\n');
  assert.ok(f.flowed && f.delSp);
});

test('typeFromFilename: the kinds sendfax handles; others unknown', () => {
  assert.is(typeFromFilename('a.JPG'), 'image/jpeg');
  assert.is(typeFromFilename('fwd.eml'), 'message/rfc822');
  assert.is(typeFromFilename('x.docx'), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  assert.is(typeFromFilename('x.exe'), undefined);
  assert.is(typeFromFilename('noext'), undefined);
});

test.run();
