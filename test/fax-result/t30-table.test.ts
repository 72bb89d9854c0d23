import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  parseT30ErrNames,
  probeSpandsp,
  renderTable,
  TABLE_SOURCE,
  DEFAULT_T30_HEADER,
} from '../../tools/gen-t30-table.js';

test('the header lists the T30_ERR_ names in enum order', () => {
  const names = parseT30ErrNames(readFileSync(DEFAULT_T30_HEADER, 'utf8'));
  assert.is(names[0], 'T30_ERR_OK');
  assert.ok(names.includes('T30_ERR_CALLDROPPED'));
  assert.is(names.length, 62);
});

test('the committed t30-table.ts is what libspandsp says today (regenerated with gcc)', async () => {
  const rows = await probeSpandsp();
  assert.is(rows.length, 62);
  assert.is(rows.find((r) => r.name === 'T30_ERR_IDENT_UNACCEPTABLE')?.text, 'Ident not accepted');
  assert.is(readFileSync(TABLE_SOURCE, 'utf8'), renderTable(rows));
});

test.run();
