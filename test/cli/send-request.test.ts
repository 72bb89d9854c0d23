/*
 * The request `faxmail send` hands to `faxmail submit` through sudo (lib/cli/send-request.ts): another
 * user's data, so every field is checked, file names are display text, and the byte counts hold exactly
 * (a short, long or padded stream is refused). Also who may send (maySend) and the command-line checks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  ByteReader,
  checkRequest,
  encodeHeader,
  MAX_HEADER_BYTES,
  readHeader,
  storeFromReader,
  type SendRequest,
} from '../../lib/cli/send-request.js';
import { maySend, requestFromArgs } from '../../lib/cli/send.js';
import { FaxError } from '../../lib/errors.js';

const base = {
  v: 1,
  number: '03-1234-5678',
  subject: 'Invoice',
  to: '',
  note: '',
  wait: false,
  files: [{ name: 'a.pdf', bytes: 3 }],
};

function refused(raw: unknown, code: string, words: RegExp): void {
  try {
    checkRequest(raw);
  } catch (e) {
    assert.instance(e, FaxError);
    assert.is((e as FaxError).code, code, (e as Error).message);
    assert.match((e as Error).message, words);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(raw).slice(0, 200)}`);
}

test('a good request passes as it is; a note asks for the cover', () => {
  const r = checkRequest({
    ...base,
    notify: 'alice@localhost',
    resolution: 'standard',
    note: 'Please call me.\nThanks',
  });
  assert.is(r.number, '03-1234-5678');
  assert.is(r.notify, 'alice@localhost');
  assert.is(r.resolution, 'standard');
  assert.is(r.cover, true);
  assert.is(r.note, 'Please call me.\nThanks');
  assert.equal(r.files, [{ name: 'a.pdf', bytes: 3 }]);
});

test('hostile fields are refused or made harmless', () => {
  refused({ ...base, v: 2 }, 'usage', /another version/);
  refused({ ...base, extra: 1 }, 'usage', /unknown field "extra"/);
  refused({ ...base, number: '' }, 'bad-number', /Name the fax number/);
  refused({ ...base, notify: 'x@y.z\nBcc: evil@example.com' }, 'usage', /plain mail address/);
  refused({ ...base, notify: '-oQ/tmp@x.y' }, 'usage', /plain mail address/);
  refused({ ...base, resolution: 'ultra' }, 'usage', /standard, fine or superfine/);
  refused({ ...base, cover: 'yes' }, 'usage', /true or false/);
  refused({ ...base, files: [] }, 'usage', /at least one file/);
  refused({ ...base, files: [{ name: 'a', bytes: -1 }] }, 'usage', /valid size/);
  refused({ ...base, files: [{ name: 'a', bytes: 1.5 }] }, 'usage', /valid size/);
  refused(
    {
      ...base,
      files: [
        { name: 'a', bytes: 200 * 1048576 },
        { name: 'b', bytes: 100 * 1048576 },
      ],
    },
    'too-large',
    /at most 256 MB/,
  );
  refused({ ...base, subject: 'x'.repeat(300) }, 'usage', /too long/);
  refused('not an object', 'usage', /not a request/);
  // Names are display text: no path, no control or bidi characters.
  const r = checkRequest({
    ...base,
    subject: 'a\r\nBcc: x',
    files: [
      { name: '../../etc/passwd', bytes: 1 },
      { name: 'evil\u202egpj.exe', bytes: 1 },
      { name: '', bytes: 0 },
    ],
  });
  assert.equal(
    r.files.map((f) => f.name),
    ['passwd', 'evilgpj.exe', 'file 3'],
  );
  assert.is(r.subject, 'a Bcc: x');
});

async function store(header: SendRequest, body: Buffer): Promise<{ files: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-sendreq-'));
  const reader = new ByteReader(
    Readable.from([encodeHeader(header).subarray(0, 10), Buffer.concat([encodeHeader(header).subarray(10), body])]),
  );
  const r = await readHeader(reader);
  const stored = await storeFromReader(reader, r.files, dir);
  return { files: stored.map((f) => readFileSync(f.path, 'latin1')), dir };
}

test('the files arrive byte for byte, under our own names, split anywhere', async () => {
  const req = checkRequest({
    ...base,
    files: [
      { name: 'a.pdf', bytes: 3 },
      { name: 'empty', bytes: 0 },
      { name: 'b.png', bytes: 5 },
    ],
  });
  const { files, dir } = await store(req, Buffer.from('abc12345'));
  assert.equal(files, ['abc', '', '12345']);
  assert.equal(readdirSync(dir).sort(), ['file-01', 'file-02', 'file-03']);
  rmSync(dir, { recursive: true });
});

test('a stream that is short, long, or has a header that never ends is refused', async () => {
  const req = checkRequest(base);
  await store(req, Buffer.from('ab')).then(
    () => assert.unreachable('short'),
    (e: Error) => assert.match(e.message, /ended in the middle of a file/),
  );
  await store(req, Buffer.from('abcd')).then(
    () => assert.unreachable('long'),
    (e: Error) => assert.match(e.message, /bytes after its last file/),
  );
  const big = new ByteReader(Readable.from([Buffer.alloc(MAX_HEADER_BYTES + 10, 0x61)]));
  await readHeader(big).then(
    () => assert.unreachable('huge header'),
    (e: Error) => assert.match(e.message, /first line is too long/),
  );
  const junk = new ByteReader(Readable.from([Buffer.from('{not json\n')]));
  await readHeader(junk).then(
    () => assert.unreachable('junk'),
    (e: Error) => assert.match(e.message, /not JSON/),
  );
});

test('who may send: root, the spool owner, members of send.group', () => {
  assert.ok(maySend({ uid: 0, groups: [0] }, 110, undefined));
  assert.ok(maySend({ uid: 110, groups: [110] }, 110, undefined));
  assert.ok(maySend({ uid: 1000, groups: [1000, 2000] }, 110, 2000));
  assert.not.ok(maySend({ uid: 1000, groups: [1000] }, 110, 2000));
  assert.not.ok(maySend({ uid: 1000, groups: [1000, 2000] }, 110, undefined), 'no send.group: nobody else');
});

test('the command line: --cover and --no-cover exclude each other, a note needs the cover, values are checked', () => {
  const files = [{ path: '/home/alice/Invoice March.pdf', size: 10 }];
  const r = requestFromArgs(
    { subject: 'Hi', notify: 'alice@example.org', resolution: 'fine', to: 'Dr. Tanaka', wait: true },
    files,
    '0312345678',
  );
  assert.equal(r.files, [{ name: 'Invoice March.pdf', bytes: 10 }]);
  assert.is(r.wait, true);
  assert.is(r.cover, undefined, 'the config decides');
  assert.is(requestFromArgs({ 'no-cover': true }, files, '03').cover, false);
  assert.throws(() => requestFromArgs({ cover: true, 'no-cover': true }, files, '03'), /not both/);
  assert.throws(() => requestFromArgs({ note: 'x', 'no-cover': true }, files, '03'), /does not go with --no-cover/);
  assert.throws(() => requestFromArgs({ resolution: 'hd' }, files, '03'), /standard, fine or superfine/);
});

test.run();
