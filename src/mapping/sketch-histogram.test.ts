import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DDSketchPoint } from '../model/datadog.js';
import type { FloatHistogram } from '../model/histogram.js';
import { DDSketchBuilder, SKETCH_BIAS, SKETCH_GAMMA, keyValue, sketchKey } from './ddsketch.js';
import { SKETCH_ZERO_THRESHOLD, SketchHistogramSeries, bucketOfKey } from './sketch-histogram.js';
import { seededRandom } from '../../test/support/random.js';

const BASE = 2 ** (1 / 64);

function sketchOf(values: number[], ts = 0): DDSketchPoint {
  const b = new DDSketchBuilder();
  for (const v of values) b.add(v);
  return b.toPoint(ts);
}

/** Positive buckets as index → count (zeros left out). */
function positive(h: FloatHistogram): Map<number, number> {
  const out = new Map<number, number>();
  let index = 0;
  let at = 0;
  for (const span of h.positiveSpans) {
    index += span.offset;
    for (let i = 0; i < span.length; i++, index++) {
      const n = h.positiveBuckets[at++]!;
      if (n !== 0) out.set(index, n);
    }
  }
  assert.equal(at, h.positiveBuckets.length, 'spans cover every bucket');
  return out;
}

describe('bucketOfKey', () => {
  test("the bucket holds the key's representative value, and keys in order get buckets in strict order", () => {
    let previous = -Infinity;
    for (let k = 1; k < 32767; k++) {
      const v = keyValue(k);
      const i = bucketOfKey(k);
      // Bucket i of schema 6 is (2^((i-1)/64), 2^(i/64)]; compared in log space, where float error is tiny.
      const position = Math.log2(v) * 64;
      assert.ok(position > i - 1 - 1e-9 && position <= i + 1e-9, `key ${k} (${v}) → bucket ${i}`);
      assert.ok(i > previous, `key ${k}: bucket ${i} after ${previous}: two bins would share a bucket`);
      previous = i;
    }
    assert.equal(bucketOfKey(SKETCH_BIAS), 0, '1 is the upper bound of bucket 0');
    assert.equal(bucketOfKey(-SKETCH_BIAS - 5), bucketOfKey(SKETCH_BIAS + 5), 'negative keys mirror');
  });

  test('a value and the bounds of its bucket are within the bin and bucket widths of each other', () => {
    const r = seededRandom(3);
    const bound = Math.sqrt(SKETCH_GAMMA) * BASE;
    for (let n = 0; n < 20_000; n++) {
      const v = 10 ** (r() * 16 - 7);
      const i = bucketOfKey(sketchKey(v));
      const upper = 2 ** (i / 64);
      const lower = upper / BASE;
      assert.ok(upper / v <= bound * (1 + 1e-12) && v / lower <= bound * (1 + 1e-12), `${v}: bucket ${i}`);
    }
  });
});

describe('SketchHistogramSeries', () => {
  test('a point becomes a schema 6 counter histogram: counts, sum, zero and negative buckets', () => {
    const s = new SketchHistogramSeries();
    const h = s.add(sketchOf([0, 1, 1, 2, -3, 1e-12]), 10_000, 1)!;
    assert.equal(h.schema, 6);
    assert.equal(h.zeroThreshold, SKETCH_ZERO_THRESHOLD);
    assert.equal(h.zeroCount, 2);
    assert.equal(h.count, 6);
    assert.ok(Math.abs(h.sum - 1) < 1e-9);
    assert.deepEqual(
      positive(h),
      new Map([
        [bucketOfKey(sketchKey(1)), 2],
        [bucketOfKey(sketchKey(2)), 1],
      ]),
    );
    assert.deepEqual(h.negativeSpans, [{ offset: bucketOfKey(sketchKey(3)), length: 1 }]);
    assert.deepEqual(h.negativeBuckets, [1]);
    assert.deepEqual(h.customValues, []);
  });

  test('points add up across samples; near buckets share a span, far ones get a new span', () => {
    const s = new SketchHistogramSeries();
    const a = s.add(sketchOf([1, 1.02]), 10_000, 1)!;
    // 1 and 1.02 are one sketch bin apart: their buckets differ by 1 or 2, so one span with a zero between if needed.
    assert.equal(a.positiveSpans.length, 1);
    const b = s.add(sketchOf([1, 1000]), 20_000, 2)!;
    assert.equal(b.count, 4);
    assert.equal(b.positiveSpans.length, 2);
    assert.equal(positive(b).get(bucketOfKey(sketchKey(1))), 2);
    assert.equal(positive(a).get(bucketOfKey(sketchKey(1))), 1, 'a sample already made is not changed');
  });

  test('a re-sent point gets the same sample again; a second sketch of the interval in one request adds', () => {
    const s = new SketchHistogramSeries();
    const first = s.add(sketchOf([5]), 10_000, 1)!;
    assert.equal(s.add(sketchOf([5]), 10_000, 2), first, 'the Agent retrying: the sample it may have missed');
    const merged = s.add(sketchOf([7]), 10_000, 2);
    assert.equal(merged, first, 'not in the request that made the sample: still a re-send');
    const s2 = new SketchHistogramSeries();
    s2.add(sketchOf([5]), 10_000, 1);
    assert.equal(s2.add(sketchOf([7]), 10_000, 1)!.count, 2);
  });

  test('an earlier point already counted is not counted again; one never seen shows in the next sample', () => {
    const s = new SketchHistogramSeries();
    s.add(sketchOf([1]), 10_000, 1);
    s.add(sketchOf([1]), 20_000, 2);
    assert.equal(s.add(sketchOf([1]), 10_000, 3), null);
    assert.equal(s.add(sketchOf([1, 1]), 5_000, 3), null, 'late');
    assert.equal(s.add(sketchOf([1]), 30_000, 4)!.count, 5);
  });
});
