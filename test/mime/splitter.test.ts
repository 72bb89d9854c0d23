import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FaxError } from '../../lib/errors.js';
import { MAX_HEADER_BYTES, MAX_NESTING, MAX_NODES, MimeSplitter, type SplitEvent } from '../../lib/mime/splitter.js';

interface Leaf {
  type: string;
  ancestors: string[];
  body: string;
}

/** Split a mail fed in pieces of `size` bytes; the leaves with their bodies, and the top header fields. */
function split(mail: string | Buffer, size = 1 << 20): { leaves: Leaf[]; subject: string; headerBytes: number } {
  const s = new MimeSplitter();
  const input = Buffer.from(mail);
  const leaves: Leaf[] = [];
  let open: { leaf: Leaf; data: Buffer[] } | undefined;
  let subject = '';
  let headerBytes = 0;
  const take = (events: SplitEvent[]): void => {
    for (const ev of events) {
      if (ev.kind === 'headers') {
        subject = ev.fields.find((f) => f.name === 'subject')?.value ?? '';
        headerBytes = ev.bytes;
      } else if (ev.kind === 'part') {
        assert.is(open, undefined, 'a part starts while another is open');
        open = { leaf: { type: ev.header.contentType, ancestors: ev.ancestors, body: '' }, data: [] };
      } else if (ev.kind === 'data') {
        assert.ok(open, 'data outside a part');
        open.data.push(Buffer.from(ev.data)); // a copy: views are valid only until the next write
      } else {
        assert.ok(open, 'end outside a part');
        open.leaf.body = Buffer.concat(open.data).toString();
        leaves.push(open.leaf);
        open = undefined;
      }
    }
  };
  for (let i = 0; i < input.length; i += size) take(s.write(input.subarray(i, i + size)));
  take(s.end());
  assert.is(open, undefined, 'a part left open');
  return { leaves, subject, headerBytes };
}

const NESTED = [
  'Subject: nested',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  'preamble, skipped',
  '--outer',
  'Content-Type: multipart/alternative; boundary="outer-alt"',
  '',
  '--outer-alt',
  'Content-Type: text/plain',
  '',
  'plain',
  '--text with -- dashes',
  '',
  '--outer-alt',
  'Content-Type: text/html',
  '',
  '<p>html</p>',
  '--outer-alt--',
  'epilogue of the alternative, skipped',
  '--outer  ',
  'Content-Type: application/pdf',
  '',
  '%PDF-1.4',
  '--outer--',
  'epilogue, skipped',
  '--outer',
  'not a part any more',
  '',
].join('\r\n');

test('nested multipart: leaves in order with their ancestors; preamble and epilogues skipped; at every split', () => {
  const want = [
    {
      type: 'text/plain',
      ancestors: ['multipart/mixed', 'multipart/alternative'],
      body: 'plain\r\n--text with -- dashes\r\n',
    },
    { type: 'text/html', ancestors: ['multipart/mixed', 'multipart/alternative'], body: '<p>html</p>' },
    { type: 'application/pdf', ancestors: ['multipart/mixed'], body: '%PDF-1.4' },
  ];
  for (const size of [1, 2, 3, 5, 8, 13, 64, 1 << 20]) {
    const r = split(NESTED, size);
    assert.equal(r.leaves, want, `size ${size}`);
    assert.is(r.subject, 'nested');
    assert.is(r.headerBytes, 'Subject: nested\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n'.length);
  }
});

test('LF line ends; a closing delimiter without a line break at the very end', () => {
  const mail = 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n--b--';
  for (const size of [1, 4, 1000])
    assert.equal(
      split(mail, size).leaves.map((l) => l.body),
      ['hello'],
    );
});

test('missing closing delimiter: the last part runs to the end of the input', () => {
  const mail =
    'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nfirst\r\n--b\r\nContent-Type: ' +
    'image/png\r\n\r\nlast line\r\n';
  for (const size of [1, 3, 1000])
    assert.equal(
      split(mail, size).leaves.map((l) => [l.type, l.body]),
      [
        ['text/plain', 'first'],
        ['image/png', 'last line\r\n'],
      ],
    );
});

test('a part with a delimiter where its header should end has an empty body; a part without header is text', () => {
  const mail =
    'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: image/gif\r\n--b\r\n\r\nx\r\n--b--\r\n';
  assert.equal(
    split(mail, 2).leaves.map((l) => [l.type, l.body]),
    [
      ['image/gif', ''],
      ['text/plain', 'x'],
    ],
  );
});

test('a mail without MIME structure is one text leaf; headers only, or nothing at all, still end', () => {
  assert.equal(split('Subject: hi\r\n\r\nbody\r\n--b\r\n', 3).leaves, [
    { type: 'text/plain', ancestors: [], body: 'body\r\n--b\r\n' },
  ]);
  assert.is(split('Subject: cut', 1).subject, 'cut');
  assert.equal(split('').leaves, [{ type: 'text/plain', ancestors: [], body: '' }]);
});

test('a long line starting with "--" inside a body is data, however it is split', () => {
  const long = `--b${'x'.repeat(5000)}`;
  const mail = `Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n${long}\r\n--b--\r\n`;
  for (const size of [7, 1000]) assert.equal(split(mail, size).leaves[0]?.body, long);
});

function failsWith(mail: string | Buffer, code: string, words: string): void {
  try {
    split(mail, 4096);
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, code);
    assert.match((err as FaxError).message, words);
    return;
  }
  assert.unreachable('no error');
}

test('a header block over the limit: bad-document, in the mail and in a part', () => {
  const big = `X-Junk: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n`;
  failsWith(`${big}\r\nbody`, 'bad-document', 'header block');
  failsWith(`Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n${big}\r\n`, 'bad-document', 'header block');
});

test('a header of many short lines fed one byte at a time is read whole', () => {
  const lines = Array.from({ length: 20000 }, (_, i) => `X-${i}: ${i}\r\n`).join('');
  const r = split(`${lines}Subject: last\r\n\r\nbody`, 1);
  assert.is(r.subject, 'last');
  assert.equal(r.leaves[0]?.body, 'body');
});

test('multiparts nested too deep: bad-document; too many parts: too-large', () => {
  let deep = '';
  for (let i = 0; i <= MAX_NESTING; i++) deep += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  failsWith(deep, 'bad-document', 'nested');
  const many = `Content-Type: multipart/mixed; boundary=b\r\n\r\n${'--b\r\n\r\nx\r\n'.repeat(MAX_NODES)}--b--\r\n`;
  failsWith(many, 'too-large', 'MIME parts');
});

test.run();
