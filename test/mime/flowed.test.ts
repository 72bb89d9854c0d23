import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFlowed } from '../../lib/mime/flowed.js';

test('soft breaks joined, space-stuffing removed, signature separator kept', () => {
  const text = 'This is a \nlong line.\n From here\n-- \nsig';
  assert.is(decodeFlowed(text, false), 'This is a long line.\nFrom here\n-- \nsig');
});

test('delsp=yes drops the space at each soft break', () => {
  assert.is(decodeFlowed('請求 \n書です', true), '請求書です');
  assert.is(decodeFlowed('請求 \n書です', false), '請求 書です');
});

test.run();
