import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { effectiveWorkers, planRuns } from '../../lib/convert/plan.js';

test('a small fax is one gs run over all documents', () => {
  assert.equal(planRuns([3, 1, 2], 4), [{ docs: [0, 1, 2], pages: 6 }]);
});

test('one worker means one run, however big', () => {
  assert.equal(planRuns([100, 5], 1), [{ docs: [0, 1], pages: 105 }]);
});

test('a big document is cut into one range per worker, covering every page once, in order', () => {
  const runs = planRuns([100], 2);
  assert.equal(runs, [
    { docs: [0], firstPage: 1, lastPage: 50, pages: 50 },
    { docs: [0], firstPage: 51, lastPage: 100, pages: 50 },
  ]);
  const odd = planRuns([14], 3);
  assert.equal(
    odd.map((r) => [r.firstPage, r.lastPage]),
    [
      [1, 5],
      [6, 10],
      [11, 14],
    ],
  );
  // 10 pages over 3 workers would make ranges under 4 pages: 2 ranges instead
  assert.equal(
    planRuns([10], 3).map((r) => [r.firstPage, r.lastPage]),
    [
      [1, 5],
      [6, 10],
    ],
  );
});

test('short documents in a big fax stay whole; ranges never go below 4 pages', () => {
  const runs = planRuns([1, 12, 3, 7], 8);
  assert.equal(runs[0], { docs: [0], pages: 1 });
  assert.equal(
    runs.filter((r) => r.docs[0] === 1).map((r) => [r.firstPage, r.lastPage]),
    [
      [1, 4],
      [5, 8],
      [9, 12],
    ],
  );
  assert.equal(
    runs.filter((r) => r.docs[0] === 2),
    [{ docs: [2], pages: 3 }],
  );
  assert.equal(
    runs.filter((r) => r.docs[0] === 3),
    [{ docs: [3], pages: 7 }],
  );
  assert.is(
    runs.reduce((a, r) => a + r.pages, 0),
    23,
  );
});

test('workers: 0 means one per core', () => {
  assert.is(effectiveWorkers(0, 6), 6);
  assert.is(effectiveWorkers(3, 6), 3);
  assert.is(effectiveWorkers(0, 0), 1);
});

test.run();
