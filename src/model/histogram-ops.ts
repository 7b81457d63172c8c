// Arithmetic on native histograms (FloatHistogram) with Prometheus' semantics (model/histogram of Prometheus 3.5):
// bucket bounds, adding and subtracting with schema and zero-threshold reconciliation, scaling, compaction,
// counter-reset detection, equality, and the bucket walk that quantiles and fractions read. Every operation
// returns a new histogram and leaves its inputs alone. Buckets are handled as ascending (index, count) lists.
import { type BucketSpan, CounterResetHint, CUSTOM_BUCKETS_SCHEMA, type FloatHistogram } from './histogram.js';

/** Why two histograms cannot be added: exponential with custom buckets, or custom buckets with other bounds. */
export type HistogramMismatch = 'incompatible_schema' | 'incompatible_bounds';

export class HistogramMismatchError extends Error {
  constructor(readonly kind: HistogramMismatch) {
    super(kind === 'incompatible_schema' ? 'histograms with incompatible schemas' : 'incompatible custom buckets');
  }
}

/** One bucket with its bounds as the bucket walk gives it. */
export interface Bucket {
  lower: number;
  upper: number;
  count: number;
  /** Which bounds belong to the bucket, as the HTTP API writes it: 0 (lower, upper], 1 [lower, upper), 3 both. */
  boundaryRule: 0 | 1 | 3;
}

/** Sparse buckets: ascending indexes with one count each. */
interface IndexedBuckets {
  index: number[];
  count: number[];
}

export function usesCustomBuckets(h: FloatHistogram): boolean {
  return h.schema === CUSTOM_BUCKETS_SCHEMA;
}

export function copyHistogram(h: FloatHistogram): FloatHistogram {
  return {
    counterResetHint: h.counterResetHint,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.zeroCount,
    count: h.count,
    sum: h.sum,
    positiveSpans: h.positiveSpans.map((s) => ({ offset: s.offset, length: s.length })),
    positiveBuckets: h.positiveBuckets.slice(),
    negativeSpans: h.negativeSpans.map((s) => ({ offset: s.offset, length: s.length })),
    negativeBuckets: h.negativeBuckets.slice(),
    customValues: h.customValues,
  };
}

/** An empty histogram of the given schema (and custom bounds). */
export function emptyHistogram(schema: number, customValues: number[] = []): FloatHistogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    positiveBuckets: [],
    negativeSpans: [],
    negativeBuckets: [],
    customValues,
  };
}

// ---- bucket bounds ----

/** The upper bound of exponential bucket `idx` of `schema` (the last finite bucket ends at MAX_VALUE). */
export function exponentialBound(idx: number, schema: number): number {
  if (schema < 0) {
    const exp = idx * 2 ** -schema;
    if (exp === 1024) return Number.MAX_VALUE;
    return 2 ** exp;
  }
  const perOctave = 2 ** schema;
  const fracIdx = ((idx % perOctave) + perOctave) % perOctave;
  const exp = Math.floor(idx / perOctave) + 1;
  const frac = 2 ** (fracIdx / perOctave) / 2;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return frac * 2 ** exp;
}

function bound(idx: number, schema: number, customValues: number[]): number {
  if (schema === CUSTOM_BUCKETS_SCHEMA) {
    if (idx === customValues.length) return Infinity;
    if (idx === -1) return -Infinity;
    return customValues[idx]!;
  }
  return exponentialBound(idx, schema);
}

// ---- sparse bucket lists ----

function expand(spans: BucketSpan[], counts: number[]): IndexedBuckets {
  const index: number[] = [];
  const count: number[] = [];
  let idx = 0;
  let k = 0;
  // A span's offset counts from the end of the previous span (the first one's from index 0).
  for (const s of spans) {
    idx += s.offset;
    for (let j = 0; j < s.length; j++) {
      index.push(idx + j);
      count.push(counts[k++] ?? 0);
    }
    idx += s.length;
  }
  return { index, count };
}

/** Spans and counts of the non-empty buckets only: Prometheus' Compact(0). */
function collapse(b: IndexedBuckets): { spans: BucketSpan[]; counts: number[] } {
  const spans: BucketSpan[] = [];
  const counts: number[] = [];
  let next = 0; // index right after the last span
  for (let i = 0; i < b.index.length; i++) {
    const c = b.count[i]!;
    if (c === 0) continue;
    const idx = b.index[i]!;
    const last = spans[spans.length - 1];
    if (last && idx === next) last.length++;
    else spans.push({ offset: spans.length === 0 ? idx : idx - next, length: 1 });
    counts.push(c);
    next = idx + 1;
  }
  return { spans, counts };
}

/** Merges buckets into `target` resolution (lower or equal): bucket i of schema s goes to ((i-1) >> (s-t)) + 1. */
function reduceIndexed(b: IndexedBuckets, from: number, to: number): IndexedBuckets {
  if (from === to) return b;
  const shift = from - to;
  const index: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < b.index.length; i++) {
    const t = Math.floor((b.index[i]! - 1) / 2 ** shift) + 1;
    if (index.length > 0 && index[index.length - 1] === t) count[count.length - 1]! += b.count[i]!;
    else {
      index.push(t);
      count.push(b.count[i]!);
    }
  }
  return { index, count };
}

/** a + sign·b by index; b's exponential buckets whose upper bound is within `threshold` are left out. */
function mergeIndexed(
  a: IndexedBuckets,
  b: IndexedBuckets,
  sign: number,
  schema: number,
  threshold: number,
): IndexedBuckets {
  const index: number[] = [];
  const count: number[] = [];
  let i = 0;
  let j = 0;
  let skipping = schema !== CUSTOM_BUCKETS_SCHEMA;
  while (i < a.index.length || j < b.index.length) {
    if (j < b.index.length && skipping) {
      if (exponentialBound(b.index[j]!, schema) <= threshold) {
        j++;
        continue;
      }
      skipping = false;
    }
    const ai = i < a.index.length ? a.index[i]! : Infinity;
    const bj = j < b.index.length ? b.index[j]! : Infinity;
    if (ai < bj) {
      index.push(ai);
      count.push(a.count[i++]!);
    } else if (bj < ai) {
      index.push(bj);
      count.push(sign * b.count[j++]!);
    } else {
      index.push(ai);
      count.push(a.count[i++]! + sign * b.count[j++]!);
    }
  }
  return { index, count };
}

function withBuckets(h: FloatHistogram, pos: IndexedBuckets, neg: IndexedBuckets, keepEmpty: boolean): FloatHistogram {
  const p = keepEmpty ? spansKeepingEmpty(pos) : collapse(pos);
  const n = keepEmpty ? spansKeepingEmpty(neg) : collapse(neg);
  return { ...h, positiveSpans: p.spans, positiveBuckets: p.counts, negativeSpans: n.spans, negativeBuckets: n.counts };
}

function spansKeepingEmpty(b: IndexedBuckets): { spans: BucketSpan[]; counts: number[] } {
  const spans: BucketSpan[] = [];
  let next = 0;
  for (const idx of b.index) {
    const last = spans[spans.length - 1];
    if (last && idx === next) last.length++;
    else spans.push({ offset: spans.length === 0 ? idx : idx - next, length: 1 });
    next = idx + 1;
  }
  return { spans, counts: b.count.slice() };
}

// ---- zero bucket ----

/**
 * What h's zero count would be with the (larger or equal) threshold, and the threshold itself moved up to the end
 * of a populated bucket it would cut (Prometheus' zeroCountForLargerThreshold).
 */
function zeroCountForLargerThreshold(h: FloatHistogram, larger: number): { count: number; threshold: number } {
  if (larger === h.zeroThreshold) return { count: h.zeroCount, threshold: larger };
  const pos = expand(h.positiveSpans, h.positiveBuckets);
  const neg = expand(h.negativeSpans, h.negativeBuckets);
  for (;;) {
    let count = h.zeroCount;
    let redo = false;
    for (let i = 0; i < pos.index.length; i++) {
      const lower = exponentialBound(pos.index[i]! - 1, h.schema);
      const upper = exponentialBound(pos.index[i]!, h.schema);
      if (lower >= larger) break;
      count += pos.count[i]!;
      if (upper > larger) {
        if (pos.count[i] !== 0) larger = upper;
        break;
      }
    }
    for (let i = 0; i < neg.index.length; i++) {
      const upper = -exponentialBound(neg.index[i]! - 1, h.schema);
      const lower = -exponentialBound(neg.index[i]!, h.schema);
      if (upper <= -larger) break;
      count += neg.count[i]!;
      if (lower < -larger) {
        if (neg.count[i] !== 0) {
          larger = -lower;
          redo = true;
        }
        break;
      }
    }
    if (!redo) return { count, threshold: larger };
  }
}

/** h with its zero bucket widened to `threshold` (buckets inside it folded into the zero count). */
function widenZeroBucket(h: FloatHistogram, threshold: number): FloatHistogram {
  const z = zeroCountForLargerThreshold(h, threshold);
  const keep = (b: IndexedBuckets) => {
    const index: number[] = [];
    const count: number[] = [];
    for (let i = 0; i < b.index.length; i++) {
      if (exponentialBound(b.index[i]!, h.schema) <= z.threshold) continue;
      index.push(b.index[i]!);
      count.push(b.count[i]!);
    }
    return { index, count };
  };
  const out = withBuckets(
    h,
    keep(expand(h.positiveSpans, h.positiveBuckets)),
    keep(expand(h.negativeSpans, h.negativeBuckets)),
    false,
  );
  out.zeroCount = z.count;
  out.zeroThreshold = z.threshold;
  return out;
}

// ---- arithmetic ----

function combinedHint(a: CounterResetHint, b: CounterResetHint): CounterResetHint {
  if (a === b) return a;
  if (a === CounterResetHint.Gauge || b === CounterResetHint.Gauge) return CounterResetHint.Gauge;
  return CounterResetHint.Unknown;
}

function checkCompatible(a: FloatHistogram, b: FloatHistogram): void {
  if (usesCustomBuckets(a) !== usesCustomBuckets(b)) throw new HistogramMismatchError('incompatible_schema');
  if (usesCustomBuckets(a) && !floatsIdentical(a.customValues, b.customValues))
    throw new HistogramMismatchError('incompatible_bounds');
}

/**
 * a + b (or a - b with `subtract`): the lower schema of the two and the wider zero bucket. Throws
 * HistogramMismatchError for exponential with custom buckets or custom buckets with different bounds. Empty
 * buckets stay (as in Prometheus); compactHistogram drops them.
 */
export function addHistograms(a: FloatHistogram, b: FloatHistogram, subtract = false): FloatHistogram {
  checkCompatible(a, b);
  const sign = subtract ? -1 : 1;
  let h = a;
  let otherZero = b.zeroCount;
  if (!usesCustomBuckets(a)) {
    // Find a zero threshold that cuts no populated bucket of either histogram.
    let bThreshold = b.zeroThreshold;
    while (bThreshold !== h.zeroThreshold) {
      if (h.zeroThreshold > bThreshold)
        ({ count: otherZero, threshold: bThreshold } = zeroCountForLargerThreshold(b, h.zeroThreshold));
      if (bThreshold > h.zeroThreshold) h = widenZeroBucket(h, bThreshold);
    }
  }
  const schema = Math.min(h.schema, b.schema);
  const hp = reduceIndexed(expand(h.positiveSpans, h.positiveBuckets), h.schema, schema);
  const hn = reduceIndexed(expand(h.negativeSpans, h.negativeBuckets), h.schema, schema);
  const bp = reduceIndexed(expand(b.positiveSpans, b.positiveBuckets), b.schema, schema);
  const bn = reduceIndexed(expand(b.negativeSpans, b.negativeBuckets), b.schema, schema);
  const out = withBuckets(
    h,
    mergeIndexed(hp, bp, sign, schema, h.zeroThreshold),
    mergeIndexed(hn, bn, sign, schema, h.zeroThreshold),
    true,
  );
  out.schema = schema;
  out.counterResetHint = subtract ? h.counterResetHint : combinedHint(h.counterResetHint, b.counterResetHint);
  if (!usesCustomBuckets(a)) out.zeroCount = h.zeroCount + sign * otherZero;
  out.count = h.count + sign * b.count;
  out.sum = h.sum + sign * b.sum;
  return out;
}

/** Every count and the sum times `factor`. */
export function scaleHistogram(h: FloatHistogram, factor: number): FloatHistogram {
  return {
    ...h,
    zeroCount: h.zeroCount * factor,
    count: h.count * factor,
    sum: h.sum * factor,
    positiveBuckets: h.positiveBuckets.map((c) => c * factor),
    negativeBuckets: h.negativeBuckets.map((c) => c * factor),
    positiveSpans: h.positiveSpans,
    negativeSpans: h.negativeSpans,
  };
}

/** Every count and the sum divided by `divisor`; division by zero also removes every bucket (as Prometheus). */
export function divideHistogram(h: FloatHistogram, divisor: number): FloatHistogram {
  const out = scaleHistogram(h, 1);
  out.zeroCount = h.zeroCount / divisor;
  out.count = h.count / divisor;
  out.sum = h.sum / divisor;
  if (divisor === 0) {
    out.positiveSpans = [];
    out.positiveBuckets = [];
    out.negativeSpans = [];
    out.negativeBuckets = [];
    return out;
  }
  out.positiveBuckets = h.positiveBuckets.map((c) => c / divisor);
  out.negativeBuckets = h.negativeBuckets.map((c) => c / divisor);
  return out;
}

/** Only the populated buckets, in the fewest spans (Prometheus' Compact(0)). */
export function compactHistogram(h: FloatHistogram): FloatHistogram {
  return withBuckets(h, expand(h.positiveSpans, h.positiveBuckets), expand(h.negativeSpans, h.negativeBuckets), false);
}

/** h at a lower (or equal) exponential schema. */
export function reduceResolution(h: FloatHistogram, schema: number): FloatHistogram {
  if (schema >= h.schema || usesCustomBuckets(h)) return h;
  const out = withBuckets(
    h,
    reduceIndexed(expand(h.positiveSpans, h.positiveBuckets), h.schema, schema),
    reduceIndexed(expand(h.negativeSpans, h.negativeBuckets), h.schema, schema),
    true,
  );
  out.schema = schema;
  return out;
}

// ---- comparisons ----

function floatsIdentical(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

function sameBuckets(a: IndexedBuckets, b: IndexedBuckets): boolean {
  return (
    a.index.length === b.index.length && a.index.every((x, i) => x === b.index[i]) && floatsIdentical(a.count, b.count)
  );
}

/** Exact equality of the data (bit patterns of counts and sum; span layouts compared bucket by bucket). */
export function histogramsEqual(a: FloatHistogram, b: FloatHistogram): boolean {
  if (a.schema !== b.schema || !floatsIdentical([a.count, a.sum], [b.count, b.sum])) return false;
  if (usesCustomBuckets(a) && !floatsIdentical(a.customValues, b.customValues)) return false;
  if (a.zeroThreshold !== b.zeroThreshold || !floatsIdentical([a.zeroCount], [b.zeroCount])) return false;
  return (
    sameBuckets(expand(a.negativeSpans, a.negativeBuckets), expand(b.negativeSpans, b.negativeBuckets)) &&
    sameBuckets(expand(a.positiveSpans, a.positiveBuckets), expand(b.positiveSpans, b.positiveBuckets))
  );
}

/**
 * Whether `cur` starts over from `prev`: a hint says so, or a count (total, zero bucket, any bucket) went down, a
 * populated bucket disappeared, the resolution went up, the zero bucket shrank, or the custom bounds changed.
 */
export function detectReset(cur: FloatHistogram, prev: FloatHistogram): boolean {
  if (cur.counterResetHint === CounterResetHint.CounterReset) return true;
  if (cur.counterResetHint === CounterResetHint.NotCounterReset) return false;
  if (cur.count < prev.count) return true;
  if (
    usesCustomBuckets(cur) !== usesCustomBuckets(prev) ||
    (usesCustomBuckets(cur) && !floatsIdentical(cur.customValues, prev.customValues))
  )
    return true;
  if (cur.schema > prev.schema) return true;
  if (cur.zeroThreshold < prev.zeroThreshold) return true;
  const z = zeroCountForLargerThreshold(prev, cur.zeroThreshold);
  if (z.threshold !== cur.zeroThreshold) return true;
  if (cur.zeroCount < z.count) return true;
  const side = (spans: (h: FloatHistogram) => [BucketSpan[], number[]]) => {
    const [cs, cc] = spans(cur);
    const [ps, pc] = spans(prev);
    const c = withoutZeroBucket(reduceIndexed(expand(cs, cc), cur.schema, cur.schema), cur);
    const p = withoutZeroBucket(reduceIndexed(expand(ps, pc), prev.schema, cur.schema), cur);
    return bucketsDecreased(c, p);
  };
  return side((h) => [h.positiveSpans, h.positiveBuckets]) || side((h) => [h.negativeSpans, h.negativeBuckets]);
}

/** The buckets above cur's zero threshold (exponential schemas only; custom buckets have no zero bucket). */
function withoutZeroBucket(b: IndexedBuckets, cur: FloatHistogram): IndexedBuckets {
  if (usesCustomBuckets(cur)) return b;
  let k = 0;
  while (k < b.index.length && exponentialBound(b.index[k]!, cur.schema) <= cur.zeroThreshold) k++;
  return k === 0 ? b : { index: b.index.slice(k), count: b.count.slice(k) };
}

/** Whether a populated bucket of prev is missing from cur or has a higher count there. */
function bucketsDecreased(cur: IndexedBuckets, prev: IndexedBuckets): boolean {
  let j = 0;
  for (let i = 0; i < prev.index.length; i++) {
    const idx = prev.index[i]!;
    while (j < cur.index.length && cur.index[j]! < idx) j++;
    if (j < cur.index.length && cur.index[j] === idx) {
      if (cur.count[j]! < prev.count[i]!) return true;
    } else if (prev.count[i] !== 0) return true;
  }
  return false;
}

// ---- the bucket walk ----

/**
 * Every bucket in ascending order of value: negative buckets, the zero bucket (when populated), positive buckets,
 * with bounds clipped to the zero bucket as Prometheus' AllBucketIterator does.
 */
export function allBuckets(h: FloatHistogram): Bucket[] {
  const out: Bucket[] = [];
  const custom = usesCustomBuckets(h);
  const neg = expand(h.negativeSpans, h.negativeBuckets);
  for (let i = neg.index.length - 1; i >= 0; i--) {
    const idx = neg.index[i]!;
    let upper = -bound(idx - 1, h.schema, h.customValues);
    const lower = -bound(idx, h.schema, h.customValues);
    if (upper < 0 && upper > -h.zeroThreshold) upper = -h.zeroThreshold;
    out.push({ lower, upper, count: neg.count[i]!, boundaryRule: 1 });
  }
  if (!custom && h.zeroCount > 0)
    out.push({ lower: -h.zeroThreshold, upper: h.zeroThreshold, count: h.zeroCount, boundaryRule: 3 });
  const pos = expand(h.positiveSpans, h.positiveBuckets);
  for (let i = 0; i < pos.index.length; i++) {
    const idx = pos.index[i]!;
    let lower = bound(idx - 1, h.schema, h.customValues);
    const upper = bound(idx, h.schema, h.customValues);
    if (lower > 0 && lower < h.zeroThreshold) lower = h.zeroThreshold;
    out.push({ lower, upper, count: pos.count[i]!, boundaryRule: 0 });
  }
  return out;
}
