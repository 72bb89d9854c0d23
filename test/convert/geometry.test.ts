import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { faxGeometry } from '../../lib/convert/geometry.js';

test('fine A4 is 1728 x 2292 at 204 x 196 (297 mm / 25.4 * 196 = 2291.8)', () => {
  assert.equal(faxGeometry('fine', 'a4'), { width: 1728, height: 2292, xdpi: 204, ydpi: 196 });
});

test('every resolution and paper', () => {
  const h = (r: 'standard' | 'fine' | 'superfine', p: 'a4' | 'letter'): number => faxGeometry(r, p).height;
  assert.is(h('standard', 'a4'), 1146);
  assert.is(h('superfine', 'a4'), 4572);
  assert.is(h('standard', 'letter'), 1078);
  assert.is(h('fine', 'letter'), 2156);
  assert.is(h('superfine', 'letter'), 4301);
  for (const r of ['standard', 'fine', 'superfine'] as const) {
    for (const p of ['a4', 'letter'] as const) {
      const g = faxGeometry(r, p);
      assert.is(g.width, 1728);
      assert.is(g.xdpi, 204);
    }
  }
  assert.is(faxGeometry('standard', 'a4').ydpi, 98);
  assert.is(faxGeometry('superfine', 'letter').ydpi, 391);
});

test.run();
