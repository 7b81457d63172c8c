import type { DDSketchPoint } from '../model/datadog.js';
import { CounterResetHint, type BucketSpan, type FloatHistogram } from '../model/histogram.js';
import { SKETCH_BIAS, SKETCH_GAMMA, orderedBins } from './ddsketch.js';

// Datadog sketches as Prometheus native histograms (docs/mapping.md, "Distributions as native histograms").
// A sketch bin k holds the values whose log_γ rounds to k − bias, so its representative value γ^(k − bias) is the
// bin's middle in log space. Schema 6 buckets grow by 2^(1/64) ≈ 1.0109, less than a bin's γ = 1 + 1/64: every bin's
// whole count goes to the one bucket holding its representative value, never split, and no two bins share a bucket.

export const SKETCH_HISTOGRAM_SCHEMA = 6;
/**
 * Sketch key 0 (|v| below about 1e-9, and 0) is the zero bucket. 2^-30 ≈ 9.3e-10 is a bucket boundary in every
 * schema and lies below the lowest bucket a non-zero key maps to.
 */
export const SKETCH_ZERO_THRESHOLD = 2 ** -30;
const MAX_KEY = 32767;
/** Empty buckets between two used ones that are sent as zeros rather than as a new span (a span costs more). */
const MAX_FILLED_GAP = 2;
/** Recent sample timestamps a series remembers, to know a re-sent point (about 5 minutes of 10 s flushes). */
const REMEMBERED_TIMESTAMPS = 32;

/** Schema-6 bucket index of each positive key's representative value (negative keys: the mirrored bucket). */
const BUCKET_OF_KEY = (() => {
  const bucketsPerBin = 2 ** SKETCH_HISTOGRAM_SCHEMA * Math.log2(SKETCH_GAMMA);
  const table = new Int32Array(MAX_KEY + 1);
  // Bucket i holds (2^((i-1)/64), 2^(i/64)]: the index is ceil(log2(v)·64), and log2(γ^j)·64 = j·bucketsPerBin.
  for (let k = 1; k <= MAX_KEY; k++) table[k] = Math.ceil((k - SKETCH_BIAS) * bucketsPerBin);
  return table;
})();

/** The schema-6 bucket index of sketch key `k` (k ≠ 0): of |representative value|; the sign picks the side. */
export function bucketOfKey(k: number): number {
  return BUCKET_OF_KEY[Math.min(Math.abs(k), MAX_KEY)]!;
}

/** Sorted bucket indexes with their counts. */
interface Buckets {
  indexes: number[];
  counts: number[];
}

/**
 * One series' running totals: every sketch point it was given, added up, as a counter native histogram, so that
 * `rate()` and `increase()` apply as to any Prometheus histogram. A point at a time after the last sample makes
 * the next sample; the rest is told apart by the timestamps remembered: a point re-sent for the last sample's time
 * (the Agent retrying a payload) gets that very sample again, and one re-sent for an earlier time is not counted
 * twice; a point for an earlier time never seen (late) joins the totals, which show it from the next sample on.
 */
export class SketchHistogramSeries {
  private positive: Buckets = { indexes: [], counts: [] };
  private negative: Buckets = { indexes: [], counts: [] };
  private zeroCount = 0;
  private sum = 0;
  private last: FloatHistogram | null = null;
  private lastMs = -Infinity;
  /** The request (mapper epoch) whose points made `last`: another point for its time in that request adds to it. */
  private lastEpoch = -1;
  private readonly seen: number[] = [];
  private seenNext = 0;

  /**
   * Takes one sketch point at `ms` (a valid timestamp) in request `epoch`. Returns the sample for time `ms` (which
   * replaces one already made for `ms` in this request), or null when the point makes none.
   */
  add(p: DDSketchPoint, ms: number, epoch: number): FloatHistogram | null {
    if (ms === this.lastMs) {
      if (epoch !== this.lastEpoch) return this.last; // re-sent: the same sample again
      this.addCounts(p); // two sketches of one series and interval in one request
      this.last = this.snapshot();
      return this.last;
    }
    if (ms < this.lastMs) {
      if (!this.seen.includes(ms)) {
        this.addCounts(p);
        this.remember(ms);
      }
      return null;
    }
    this.addCounts(p);
    this.remember(ms);
    this.lastMs = ms;
    this.lastEpoch = epoch;
    this.last = this.snapshot();
    return this.last;
  }

  private remember(ms: number): void {
    if (this.seen.length < REMEMBERED_TIMESTAMPS) this.seen.push(ms);
    else this.seen[this.seenNext] = ms;
    this.seenNext = (this.seenNext + 1) % REMEMBERED_TIMESTAMPS;
  }

  private addCounts(p: DDSketchPoint): void {
    const { keys, counts } = orderedBins(p);
    const pos: Buckets = { indexes: [], counts: [] };
    const neg: Buckets = { indexes: [], counts: [] };
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const n = counts[i]!;
      if (!(n > 0)) continue;
      if (k === 0) {
        this.zeroCount += n;
        continue;
      }
      const side = k > 0 ? pos : neg;
      side.indexes.push(bucketOfKey(k));
      side.counts.push(n);
    }
    // Keys ascend, so negative keys come largest magnitude first: their buckets descend.
    neg.indexes.reverse();
    neg.counts.reverse();
    this.positive = merged(this.positive, pos);
    this.negative = merged(this.negative, neg);
    this.sum += p.sum;
  }

  private snapshot(): FloatHistogram {
    const pos = spansOf(this.positive);
    const neg = spansOf(this.negative);
    let count = this.zeroCount;
    for (const n of this.positive.counts) count += n;
    for (const n of this.negative.counts) count += n;
    return {
      counterResetHint: CounterResetHint.Unknown,
      schema: SKETCH_HISTOGRAM_SCHEMA,
      zeroThreshold: SKETCH_ZERO_THRESHOLD,
      zeroCount: this.zeroCount,
      count,
      sum: this.sum,
      positiveSpans: pos.spans,
      positiveBuckets: pos.buckets,
      negativeSpans: neg.spans,
      negativeBuckets: neg.buckets,
      customValues: [],
    };
  }
}

/** Two sorted bucket lists added up. */
function merged(a: Buckets, b: Buckets): Buckets {
  if (b.indexes.length === 0) return a;
  const out: Buckets = { indexes: [], counts: [] };
  let i = 0;
  let j = 0;
  while (i < a.indexes.length || j < b.indexes.length) {
    const ai = i < a.indexes.length ? a.indexes[i]! : Infinity;
    const bj = j < b.indexes.length ? b.indexes[j]! : Infinity;
    if (ai < bj) {
      out.indexes.push(ai);
      out.counts.push(a.counts[i++]!);
    } else if (bj < ai) {
      out.indexes.push(bj);
      out.counts.push(b.counts[j++]!);
    } else {
      out.indexes.push(ai);
      out.counts.push(a.counts[i++]! + b.counts[j++]!);
    }
  }
  return out;
}

/** Sorted buckets as spans and counts; gaps of up to MAX_FILLED_GAP empty buckets are sent as zeros. */
function spansOf(b: Buckets): { spans: BucketSpan[]; buckets: number[] } {
  const spans: BucketSpan[] = [];
  const buckets: number[] = [];
  let previous = 0; // index just after the last bucket written
  for (let i = 0; i < b.indexes.length; i++) {
    const index = b.indexes[i]!;
    const span = spans[spans.length - 1];
    const gap = index - previous;
    if (span !== undefined && gap <= MAX_FILLED_GAP) {
      for (let z = 0; z < gap; z++) buckets.push(0);
      span.length += gap + 1;
    } else spans.push({ offset: span === undefined ? index : gap, length: 1 });
    buckets.push(b.counts[i]!);
    previous = index + 1;
  }
  return { spans, buckets };
}
