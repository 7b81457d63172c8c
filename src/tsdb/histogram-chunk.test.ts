import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterResetHint, type BucketSpan, type FloatHistogram } from '../model/histogram.js';
import { CorruptHistogramChunkError, decodeHistogramChunk, encodeHistogramChunk } from './histogram-chunk.js';
import { seededRandom } from '../../test/support/random.js';
import { histogram } from '../../test/support/histograms.js';

/** index → count of one side, zeros left out: what a histogram means whatever its layout. */
function buckets(spans: readonly BucketSpan[], counts: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  let index = 0;
  let at = 0;
  for (const s of spans) {
    index += s.offset;
    for (let i = 0; i < s.length; i++, index++) {
      const n = counts[at++]!;
      if (n !== 0) out.set(index, n);
    }
  }
  assert.equal(at, counts.length, 'spans cover every bucket');
  return out;
}

function meaning(h: FloatHistogram): unknown {
  return {
    hint: h.counterResetHint,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.zeroCount,
    count: h.count,
    sum: Object.is(h.sum, -0) ? '-0' : Number.isNaN(h.sum) ? 'NaN' : h.sum,
    positive: buckets(h.positiveSpans, h.positiveBuckets),
    negative: buckets(h.negativeSpans, h.negativeBuckets),
    customValues: h.customValues,
  };
}

function assertRoundTrip(timestamps: number[], histograms: FloatHistogram[]): Uint8Array {
  const chunk = encodeHistogramChunk(timestamps, histograms);
  const back = decodeHistogramChunk(chunk);
  assert.deepEqual(back.timestamps, timestamps);
  assert.deepEqual(back.histograms.map(meaning), histograms.map(meaning));
  return chunk;
}

/** A counter histogram growing every 10 s, buckets appearing over time, on both sides and in the zero bucket. */
function counterSeries(samples: number, seed: number, fractional = false): { ts: number[]; hs: FloatHistogram[] } {
  const r = seededRandom(seed);
  const positive = new Map<number, number>();
  const negative = new Map<number, number>();
  let zero = 0;
  let sum = 0;
  const ts: number[] = [];
  const hs: FloatHistogram[] = [];
  const sides = (m: Map<number, number>) => {
    const indexes = [...m.keys()].sort((a, b) => a - b);
    const spans: BucketSpan[] = [];
    let next = 0;
    for (const i of indexes) {
      const last = spans[spans.length - 1];
      if (last && i === next) last.length++;
      else spans.push({ offset: last ? i - next : i, length: 1 });
      next = i + 1;
    }
    return { spans, counts: indexes.map((i) => m.get(i)!) };
  };
  for (let s = 0; s < samples; s++) {
    for (let k = 0; k < 50; k++) {
      const step = fractional ? r() * 3 : Math.floor(r() * 4);
      const side = r() < 0.1 ? negative : positive;
      const index = Math.floor(200 + 40 * (r() + r() + r()) - (side === negative ? 250 : 0));
      side.set(index, (side.get(index) ?? 0) + step);
      sum += (side === negative ? -1 : 1) * step * 1.0109 ** index;
    }
    if (r() < 0.2) zero += 1;
    const p = sides(positive);
    const n = sides(negative);
    let count = zero;
    for (const c of [...p.counts, ...n.counts]) count += c;
    ts.push(1_700_000_000_000 + s * 10_000 + (s % 7 === 3 ? 1 : 0));
    hs.push(
      histogram({
        counterResetHint: s === 0 ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset,
        zeroCount: zero,
        count,
        sum,
        positiveSpans: p.spans,
        positiveBuckets: p.counts,
        negativeSpans: n.spans,
        negativeBuckets: n.counts,
      }),
    );
  }
  return { ts, hs };
}

describe('histogram chunk', () => {
  test('a counter histogram round-trips: growing layout, negative and zero buckets, whole counts', () => {
    const { ts, hs } = counterSeries(120, 1);
    const chunk = assertRoundTrip(ts, hs);
    // Counts growing at a steady rate cost about a bit per bucket once the layout is known.
    const buckets = hs[hs.length - 1]!.positiveBuckets.length + hs[hs.length - 1]!.negativeBuckets.length;
    assert.ok(chunk.length / ts.length < buckets, `${chunk.length / ts.length} bytes per sample, ${buckets} buckets`);
  });

  test('fractional counts (a float chunk), NaN and -0 sums, one sample, custom bounds', () => {
    const { ts, hs } = counterSeries(30, 2, true);
    hs[3] = { ...hs[3]!, sum: NaN };
    hs[4] = { ...hs[4]!, sum: -0 };
    assertRoundTrip(ts, hs);
    assertRoundTrip([-5], [histogram({ count: 2 ** 50, sum: 1e300, zeroCount: 2 ** 50 })]);
    const nhcb = (c: number[]) =>
      histogram({
        schema: -53,
        zeroThreshold: 0,
        customValues: [0.1, 0.5, 1],
        count: c.reduce((a, b) => a + b, 0),
        positiveSpans: [{ offset: 0, length: 4 }],
        positiveBuckets: c,
      });
    assertRoundTrip([1, 2, 3], [nhcb([1, 0, 2, 0]), nhcb([1, 1, 2, 5]), nhcb([3, 1, 2, 9])]);
  });

  test('counter-reset hints: first and rest, or one per sample when they vary', () => {
    const h = (hint: CounterResetHint) => histogram({ counterResetHint: hint, count: 1, zeroCount: 1 });
    const varying = [CounterResetHint.CounterReset, CounterResetHint.NotCounterReset, CounterResetHint.Unknown];
    assertRoundTrip([1, 2, 3], varying.map(h));
    assertRoundTrip([1, 2, 3], [CounterResetHint.Gauge, CounterResetHint.Gauge, CounterResetHint.Gauge].map(h));
  });

  test('samples that cannot share a chunk, and corrupt chunks, are errors', () => {
    assert.throws(() => encodeHistogramChunk([1, 2], [histogram({}), histogram({ schema: 5 })]), RangeError);
    assert.throws(() => encodeHistogramChunk([1, 2], [histogram({}), histogram({ zeroThreshold: 1 })]), RangeError);
    assert.throws(() => encodeHistogramChunk([2, 1], [histogram({}), histogram({})]), RangeError);
    assert.throws(() => encodeHistogramChunk([1.5], [histogram({})]), RangeError);
    assert.throws(() => encodeHistogramChunk([], []), RangeError);
    const { ts, hs } = counterSeries(10, 3);
    const chunk = encodeHistogramChunk(ts, hs);
    assert.throws(() => decodeHistogramChunk(chunk.subarray(0, chunk.length - 8)), CorruptHistogramChunkError);
    assert.throws(() => decodeHistogramChunk(Uint8Array.of(9, 0, 0, 1)), CorruptHistogramChunkError);
  });
});
