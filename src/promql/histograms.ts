// Histogram functions. Classic histograms (one series per `le` bucket) are grouped by their labels without `le`
// and read per step; native histogram samples are read one by one (quantile.go and functions.go of Prometheus 3.5).
import type { FloatHistogram } from '../model/histogram.js';
import { allBuckets, usesCustomBuckets } from '../model/histogram-ops.js';
import type { Label } from '../model/prometheus.js';
import type { Call } from './ast.js';
import { dropLabel, getLabel, METRIC_NAME } from './labels.js';
import { labelsKey } from '../model/labels.js';
import { almostEqual, kahanSumInc } from './range-functions.js';
import { OutputBuilder, type EvalContext, type EvalValue, type InstantSeries } from './values.js';

/** histogram_quantile / histogram_fraction over classic `le` buckets. */
export function histogramQuantile(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const n = times.length;
  const isFraction = e.func.name === 'histogram_fraction';
  const q = isFraction ? null : ev.scalar(e.args[0]!, times);
  const lower = isFraction ? ev.scalar(e.args[0]!, times) : null;
  const upper = isFraction ? ev.scalar(e.args[1]!, times) : null;
  const vecArg = e.args[isFraction ? 2 : 1]!;
  const vec = ev.vector(vecArg, times);
  if (q) ev.checkQuantiles(q, e.args[0]!.pos);
  // Group bucket series by their labels without `le`; series with native histograms are read on their own.
  const groups = new Map<string, { labels: Label[]; members: { s: InstantSeries; le: number }[] }>();
  const natives: InstantSeries[] = [];
  for (const s of vec) {
    if (s.hists) natives.push(s);
    const leStr = getLabel(s.labels, 'le');
    const le = parseGoFloat(leStr);
    if (le === null) {
      if (s.has.some((x, i) => x && !s.hists?.[i])) {
        ev.warn(
          `bucket label "le" is missing or has a malformed value of ${JSON.stringify(leStr)} for metric name ${JSON.stringify(getLabel(s.labels, METRIC_NAME))}`,
          vecArg.pos,
        );
      }
      continue;
    }
    const rest = dropLabel(s.labels, 'le');
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) {
      g = { labels: dropLabel(rest, METRIC_NAME), members: [] };
      groups.set(key, g);
    }
    g.members.push({ s, le });
  }
  const out = new OutputBuilder(n, ev);
  // A native histogram and classic buckets of the same series at one step: neither is evaluated.
  const conflicting = new Set<string>();
  for (const s of natives) {
    const g = groups.get(labelsKey(s.labels));
    for (let i = 0; i < n; i++) {
      const h = s.hists![i];
      if (!h) continue;
      if (g?.members.some((m) => m.s.has[i] && !m.s.hists?.[i])) {
        conflicting.add(`${i}\xff${labelsKey(s.labels)}`);
        ev.warn(
          `vector contains a mix of classic and native histograms for metric name ${JSON.stringify(getLabel(s.labels, METRIC_NAME))}`,
          vecArg.pos,
        );
        continue;
      }
      const name = getLabel(s.labels, METRIC_NAME);
      let v: number;
      if (q) {
        const r = nativeQuantile(q[i]!, h);
        v = r.value;
        if (r.nanResult)
          ev.info(
            `input to histogram_quantile has NaN observations, result is NaN for metric name ${JSON.stringify(name)}`,
            e.args[0]!.pos,
          );
        if (r.nanSkew)
          ev.info(
            `input to histogram_quantile has NaN observations, result is skewed higher for metric name ${JSON.stringify(name)}`,
            e.args[0]!.pos,
          );
      } else {
        const r = nativeFraction(lower![i]!, upper![i]!, h);
        v = r.value;
        if (r.nanExcluded)
          ev.info(
            `input to histogram_fraction has NaN observations, which are excluded from all fractions for metric name ${JSON.stringify(name)}`,
            e.args[0]!.pos,
          );
      }
      out.put(s.labels, true, i, v);
    }
  }
  const buckets: { upper: number; count: number }[] = [];
  for (const [key, g] of groups) {
    for (let i = 0; i < n; i++) {
      buckets.length = 0;
      for (const m of g.members) if (m.s.has[i] && !m.s.hists?.[i]) buckets.push({ upper: m.le, count: m.s.vals[i]! });
      if (buckets.length === 0 || conflicting.has(`${i}\xff${key}`)) continue;
      let v: number;
      if (q) {
        const r = bucketQuantile(q[i]!, buckets);
        v = r.value;
        if (r.forcedMonotonic) {
          ev.info(
            `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${JSON.stringify(getLabel(g.members[0]!.s.labels, METRIC_NAME))}`,
            vecArg.pos,
          );
        }
      } else {
        v = bucketFraction(lower![i]!, upper![i]!, buckets);
      }
      out.put(g.labels, true, i, v);
    }
  }
  return { kind: 'vector', series: out.series };
}

/** histogram_count, histogram_sum, histogram_avg, histogram_stddev, histogram_stdvar: of native histograms only. */
export function histogramProperty(
  f: (h: FloatHistogram) => number,
): (ev: EvalContext, e: Call, times: Float64Array) => EvalValue {
  return (ev, e, times) => {
    const n = times.length;
    const series: InstantSeries[] = [];
    for (const s of ev.vector(e.args[0]!, times)) {
      if (!s.hists) continue;
      ev.reserve(n);
      const vals = new Float64Array(n);
      const has = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const h = s.hists[i];
        if (!h) continue;
        vals[i] = f(h);
        has[i] = 1;
      }
      series.push({ labels: s.labels, vals, has, dropName: true });
    }
    return { kind: 'vector', series };
  };
}

/** The variance of a native histogram's observations, each bucket's taken at its (geometric) middle. */
export function histogramVariance(h: FloatHistogram): number {
  const mean = h.sum / h.count;
  let variance = 0;
  let c = 0;
  const custom = usesCustomBuckets(h);
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    let v: number;
    if (custom) v = (b.upper + b.lower) / 2;
    else if (b.lower <= 0 && b.upper >= 0) v = 0;
    else {
      v = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) v = -v;
    }
    const delta = v - mean;
    [variance, c] = kahanSumInc(b.count * delta * delta, variance, c);
  }
  return (variance + c) / h.count;
}

/** Prometheus' HistogramQuantile: interpolated within the bucket holding the rank (log-linearly for exponential). */
function nativeQuantile(q: number, h: FloatHistogram): { value: number; nanResult?: boolean; nanSkew?: boolean } {
  if (q < 0) return { value: -Infinity };
  if (q > 1) return { value: Infinity };
  if (h.count === 0 || Number.isNaN(q)) return { value: NaN };
  const buckets = allBuckets(h);
  const forward = Number.isNaN(h.sum) || q < 0.5;
  let rank = forward ? q * h.count : (1 - q) * h.count;
  let count = 0;
  let k = forward ? 0 : buckets.length - 1;
  let bucket = { lower: 0, upper: 0, count: 0 };
  for (; forward ? k < buckets.length : k >= 0; k += forward ? 1 : -1) {
    const b = buckets[k]!;
    bucket = { lower: b.lower, upper: b.upper, count: b.count };
    if (b.count === 0) continue;
    count += b.count;
    if (count >= rank) break;
  }
  const custom = usesCustomBuckets(h);
  if (!custom && bucket.lower < 0 && bucket.upper > 0) {
    if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) bucket.lower = 0;
    else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) bucket.upper = 0;
  } else if (custom) {
    if (bucket.lower === -Infinity) {
      if (bucket.upper <= 0) return { value: bucket.upper };
      bucket.lower = 0;
    } else if (bucket.upper === Infinity) return { value: bucket.lower };
  }
  if (count > h.count) count = h.count;
  if (count < rank) {
    if (Number.isNaN(h.sum)) return { value: NaN, nanResult: true };
    return { value: bucket.upper };
  }
  if (forward) rank -= count - bucket.count;
  else rank = count - rank;
  let nanSkew = false;
  if (Number.isNaN(h.sum)) {
    for (k++; k < buckets.length; k++) count += buckets[k]!.count;
    nanSkew = count < h.count;
  }
  const fraction = rank / bucket.count;
  if (custom || (bucket.lower <= 0 && bucket.upper >= 0))
    return { value: bucket.lower + (bucket.upper - bucket.lower) * fraction, nanSkew };
  const logLower = Math.log2(Math.abs(bucket.lower));
  const logUpper = Math.log2(Math.abs(bucket.upper));
  if (bucket.lower > 0) return { value: 2 ** (logLower + (logUpper - logLower) * fraction), nanSkew };
  return { value: -(2 ** (logUpper + (logLower - logUpper) * (1 - fraction))), nanSkew };
}

/** Prometheus' HistogramFraction: the share of observations between lower and upper, interpolated in buckets. */
function nativeFraction(lower: number, upper: number, h: FloatHistogram): { value: number; nanExcluded?: boolean } {
  if (h.count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return { value: NaN };
  if (lower >= upper) return { value: 0 };
  const buckets = allBuckets(h);
  const custom = usesCustomBuckets(h);
  let count = 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let k = 0;
  for (; k < buckets.length; k++) {
    const b = { ...buckets[k]! };
    count += b.count;
    let zeroBucket = false;
    if (b.lower <= 0 && b.upper >= 0) {
      zeroBucket = true;
      if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) b.lower = 0;
      else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) b.upper = 0;
    }
    const interpolate = (v: number) => {
      if (custom || zeroBucket) return rank + (b.count * (v - b.lower)) / (b.upper - b.lower);
      const logLower = Math.log2(Math.abs(b.lower));
      const logUpper = Math.log2(Math.abs(b.upper));
      const logV = Math.log2(Math.abs(v));
      const fraction =
        v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper);
      return rank + b.count * fraction;
    };
    if (!lowerSet && b.lower >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && b.lower >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && b.lower < lower && b.upper > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && b.lower < upper && b.upper > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank += b.count;
  }
  let nanExcluded = false;
  if (Number.isNaN(h.sum)) {
    for (k++; k < buckets.length; k++) count += buckets[k]!.count;
    nanExcluded = count < h.count;
  } else count = h.count;
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return { value: (upperRank - lowerRank) / h.count, nanExcluded };
}

/** Parses a bucket bound like Go's strconv.ParseFloat (accepts +Inf, Inf, NaN...). Null if invalid. */
function parseGoFloat(s: string): number | null {
  const l = s.toLowerCase();
  if (l === '+inf' || l === 'inf' || l === '+infinity' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (l === 'nan') return NaN;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?0x[0-9a-f]+(\.[0-9a-f]*)?(p[+-]?\d+)?$/i.test(s))
    return null;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

function sortAndCoalesce(buckets: { upper: number; count: number }[]): { upper: number; count: number }[] {
  buckets.sort((a, b) => a.upper - b.upper);
  const out: { upper: number; count: number }[] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    if (last && last.upper === b.upper) last.count += b.count;
    else out.push({ upper: b.upper, count: b.count });
  }
  return out;
}

/** Prometheus' BucketQuantile for classic histograms. */
function bucketQuantile(
  q: number,
  input: { upper: number; count: number }[],
): { value: number; forcedMonotonic: boolean } {
  if (Number.isNaN(q)) return { value: NaN, forcedMonotonic: false };
  if (q < 0) return { value: -Infinity, forcedMonotonic: false };
  if (q > 1) return { value: Infinity, forcedMonotonic: false };
  input.sort((a, b) => a.upper - b.upper);
  if (input[input.length - 1]!.upper !== Infinity) return { value: NaN, forcedMonotonic: false };
  const buckets = sortAndCoalesce(input);
  let forcedMonotonic = false;
  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i]!.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, 1e-12)) {
      buckets[i]!.count = prev;
      continue;
    }
    if (curr < prev) {
      buckets[i]!.count = prev;
      forcedMonotonic = true;
      continue;
    }
    prev = curr;
  }
  if (buckets.length < 2) return { value: NaN, forcedMonotonic };
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return { value: NaN, forcedMonotonic };
  let rank = q * observations;
  let b = 0;
  while (b < buckets.length - 1 && !(buckets[b]!.count >= rank)) b++;
  if (b === buckets.length - 1) return { value: buckets[buckets.length - 2]!.upper, forcedMonotonic };
  if (b === 0 && buckets[0]!.upper <= 0) return { value: buckets[0]!.upper, forcedMonotonic };
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upper;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upper;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return { value: bucketStart + (bucketEnd - bucketStart) * (rank / count), forcedMonotonic };
}

/** Prometheus' BucketFraction for classic histograms. */
function bucketFraction(lower: number, upper: number, input: { upper: number; count: number }[]): number {
  input.sort((a, b) => a.upper - b.upper);
  if (input[input.length - 1]!.upper !== Infinity) return NaN;
  const buckets = sortAndCoalesce(input);
  const count = buckets[buckets.length - 1]!.count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    const lowerBound = i > 0 ? buckets[i - 1]!.upper : -Infinity;
    const upperBound = b.upper;
    const interpolate = (v: number) => rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}
