import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extensionOf, sanitizeFilename } from '../../lib/mime/filename.js';

test('ordinary and Japanese names are kept', () => {
  assert.is(sanitizeFilename('請求書.pdf'), '請求書.pdf');
  assert.is(sanitizeFilename('über uns.pdf'), 'über uns.pdf');
});

test('control characters, bidi overrides and paths are removed', () => {
  assert.is(sanitizeFilename('a\u0000b\r\n.pdf'), 'ab.pdf');
  assert.is(sanitizeFilename('invoice\u202Efdp.exe'), 'invoicefdp.exe');
  assert.is(sanitizeFilename('../../etc/passwd'), 'passwd');
  assert.is(sanitizeFilename('C:\\Users\\x\\scan.pdf'), 'scan.pdf');
  assert.is(sanitizeFilename('..'), '');
  assert.is(sanitizeFilename(undefined), '');
});

test('long names are cut, keeping the extension', () => {
  const s = sanitizeFilename('あ'.repeat(300) + '.pdf');
  assert.ok(Array.from(s).length <= 120);
  assert.ok(s.endsWith('….pdf'));
});

test('extensionOf', () => {
  assert.is(extensionOf('A.PDF'), 'pdf');
  assert.is(extensionOf('archive.tar.gz'), 'gz');
  assert.is(extensionOf('noext'), '');
});

test.run();
