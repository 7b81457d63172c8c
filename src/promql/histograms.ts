// Histogram functions. Classic histograms (one series per `le` bucket) are grouped by their labels without `le`
// and read per step; the native histogram functions need native histogram samples, which are not stored yet.
import type { Label } from '../model/prometheus.js';
import type { Call } from './ast.js';
import { dropLabel, getLabel, METRIC_NAME } from './labels.js';
import { labelsKey } from '../model/labels.js';
import { almostEqual } from './range-functions.js';
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
  // Group bucket series by their labels without `le`.
  const groups = new Map<string, { labels: Label[]; members: { s: InstantSeries; le: number }[] }>();
  for (const s of vec) {
    const leStr = getLabel(s.labels, 'le');
    const le = parseGoFloat(leStr);
    if (le === null) {
      if (s.has.some((x) => x)) {
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
  const buckets: { upper: number; count: number }[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < n; i++) {
      buckets.length = 0;
      for (const m of g.members) if (m.s.has[i]) buckets.push({ upper: m.le, count: m.s.vals[i]! });
      if (buckets.length === 0) continue;
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

/** histogram_avg, histogram_count...: these read native histogram samples only. */
export function nativeHistogramOnly(ev: EvalContext, e: Call): EvalValue {
  ev.error(`native histograms are not supported yet: ${e.func.name}() needs native histogram samples`);
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
