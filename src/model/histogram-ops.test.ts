import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterResetHint, CUSTOM_BUCKETS_SCHEMA, type FloatHistogram } from './histogram.js';
import {
  addHistograms,
  allBuckets,
  compactHistogram,
  detectReset,
  emptyHistogram,
  exponentialBound,
  HistogramMismatchError,
  histogramsEqual,
  reduceResolution,
} from './histogram-ops.js';

function h(over: Partial<FloatHistogram>): FloatHistogram {
  return { ...emptyHistogram(0), ...over };
}

test('exponential bounds: schema 0 doubles, schema 1 steps by √2, negative schemas skip octaves', () => {
  assert.equal(exponentialBound(0, 0), 1);
  assert.equal(exponentialBound(3, 0), 8);
  assert.equal(exponentialBound(-1, 0), 0.5);
  assert.ok(Math.abs(exponentialBound(1, 1) - Math.SQRT2) < 1e-15);
  assert.equal(exponentialBound(1, -2), 16);
});

test('adding histograms of different schemas sums them at the lower resolution', () => {
  // Schema 1 buckets 1..4 are (1,√2], (√2,2], (2,2√2], (2√2,4]: at schema 0 they fall into (1,2] and (2,4].
  const fine = h({
    schema: 1,
    count: 4,
    sum: 10,
    positiveSpans: [{ offset: 1, length: 4 }],
    positiveBuckets: [1, 1, 1, 1],
  });
  const coarse = h({ schema: 0, count: 1, sum: 3, positiveSpans: [{ offset: 2, length: 1 }], positiveBuckets: [1] });
  const sum = compactHistogram(addHistograms(fine, coarse));
  assert.equal(sum.schema, 0);
  assert.deepEqual(sum.positiveSpans, [{ offset: 1, length: 2 }]);
  assert.deepEqual(sum.positiveBuckets, [2, 3]);
  assert.equal(sum.count, 5);
  assert.equal(sum.sum, 13);
  assert.deepEqual(reduceResolution(fine, 0).positiveBuckets, [2, 2]);
});

test('a wider zero bucket takes in the other histogram buckets below its threshold', () => {
  const narrow = h({
    zeroThreshold: 0.001,
    zeroCount: 1,
    count: 3,
    positiveSpans: [{ offset: -1, length: 2 }],
    positiveBuckets: [1, 1], // (0.25,0.5] and (0.5,1]
  });
  const wide = h({ zeroThreshold: 0.5, zeroCount: 2, count: 2 });
  const sum = compactHistogram(addHistograms(wide, narrow));
  assert.equal(sum.zeroThreshold, 0.5);
  assert.equal(sum.zeroCount, 4);
  assert.deepEqual(sum.positiveSpans, [{ offset: 0, length: 1 }]);
  assert.deepEqual(sum.positiveBuckets, [1]);
});

test('custom buckets add only with the same bounds, and never with exponential ones', () => {
  const a = h({
    schema: CUSTOM_BUCKETS_SCHEMA,
    customValues: [1, 2],
    positiveSpans: [{ offset: 0, length: 3 }],
    positiveBuckets: [1, 2, 3],
  });
  assert.deepEqual(addHistograms(a, a).positiveBuckets, [2, 4, 6]);
  assert.throws(
    () => addHistograms(a, { ...a, customValues: [1, 3] }),
    (e) => e instanceof HistogramMismatchError && e.kind === 'incompatible_bounds',
  );
  assert.throws(
    () => addHistograms(a, h({})),
    (e) => e instanceof HistogramMismatchError && e.kind === 'incompatible_schema',
  );
  assert.deepEqual(
    allBuckets(a).map((b) => [b.lower, b.upper, b.count]),
    [
      [-Infinity, 1, 1],
      [1, 2, 2],
      [2, Infinity, 3],
    ],
  );
});

test('a counter reset: a lower count, a bucket emptied, or a hint; an added bucket is none', () => {
  const prev = h({ count: 3, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [1, 2] });
  const grown = h({ count: 5, positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: [1, 2, 2] });
  assert.equal(detectReset(grown, prev), false);
  const moved = h({ count: 5, positiveSpans: [{ offset: 1, length: 2 }], positiveBuckets: [3, 2] });
  assert.equal(detectReset(moved, prev), true);
  assert.equal(detectReset({ ...grown, counterResetHint: CounterResetHint.CounterReset }, prev), true);
  assert.equal(detectReset({ ...moved, counterResetHint: CounterResetHint.NotCounterReset }, prev), false);
});

test('equality ignores how spans split the same buckets, compaction drops empty ones', () => {
  const one = h({ count: 2, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [1, 1] });
  const two = h({
    count: 2,
    positiveSpans: [
      { offset: 0, length: 1 },
      { offset: 0, length: 1 },
    ],
    positiveBuckets: [1, 1],
  });
  assert.ok(histogramsEqual(one, two));
  const holey = h({ count: 2, positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: [1, 0, 1] });
  assert.deepEqual(compactHistogram(holey).positiveSpans, [
    { offset: 0, length: 1 },
    { offset: 1, length: 1 },
  ]);
});
