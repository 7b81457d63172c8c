// How far histogram_quantile over a sketch turned native histogram is from the exact quantile of the values sent,
// for promdog's conversion (each bin's count whole into the schema-6 bucket of its representative value) and for the
// OpenTelemetry Datadog receiver's (each bin's count split over the schema-5 buckets it overlaps, in proportion to
// the overlap, the bin taken as [γ^j, γ^(j+1)), whole counts, the rest to the bucket overlapping most). The sketch's
// own quantile (the Agent's interpolation, what quantile gauges show) is the baseline. histogram_quantile is
// computed as Prometheus 3 does for exponential buckets (exponential interpolation inside the bucket); this file
// does that itself only to measure: PromQL's own lives in promql/. Values of three "hosts" are sketched separately
// and their histograms added, as sum() does.
// Run: node dist/src/mapping/sketch-histogram.bench.js
import { pathToFileURL } from 'node:url';
import type { DDSketchPoint } from '../model/datadog.js';
import type { FloatHistogram } from '../model/histogram.js';
import { DDSketchBuilder, SKETCH_BIAS, SKETCH_GAMMA, sketchQuantile } from './ddsketch.js';
import { SketchHistogramSeries } from './sketch-histogram.js';
import { seededRandom } from '../../test/support/random.js';

const QUANTILES = [0.5, 0.9, 0.99, 0.999];
const VALUES_PER_HOST = 100_000;
const HOSTS = 3;

/** A histogram as a list of buckets (lower, upper, count) in value order: positive buckets only (the data here). */
type Buckets = Array<{ lower: number; upper: number; count: number }>;

function bucketsOf(schema: number, byIndex: Map<number, number>): Buckets {
  const base = 2 ** (2 ** -schema);
  return [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([i, count]) => ({ lower: base ** (i - 1), upper: base ** i, count }));
}

/** Prometheus 3's histogram_quantile over exponential buckets (no zero or negative buckets here). */
function histogramQuantile(q: number, buckets: Buckets): number {
  let total = 0;
  for (const b of buckets) total += b.count;
  const rank = q * total;
  let seen = 0;
  for (const b of buckets) {
    if (seen + b.count >= rank && b.count > 0) {
      const fraction = (rank - seen) / b.count;
      return 2 ** (Math.log2(b.lower) + (Math.log2(b.upper) - Math.log2(b.lower)) * fraction);
    }
    seen += b.count;
  }
  return buckets[buckets.length - 1]!.upper;
}

/** promdog's conversion, through the mapper's own code. */
function schema6(points: DDSketchPoint[]): Buckets {
  const series = new SketchHistogramSeries();
  let h: FloatHistogram | null = null;
  for (let i = 0; i < points.length; i++) h = series.add(points[i]!, 1000 * (i + 1), i);
  const byIndex = new Map<number, number>();
  let index = 0;
  let at = 0;
  for (const span of h!.positiveSpans) {
    index += span.offset;
    for (let i = 0; i < span.length; i++, index++) {
      const n = h!.positiveBuckets[at++]!;
      if (n > 0) byIndex.set(index, n);
    }
  }
  return bucketsOf(6, byIndex);
}

/** The OpenTelemetry Datadog receiver's conversion (schema 5 = OTel scale 5; OTel index i is Prometheus' i + 1). */
function schema5Split(points: DDSketchPoint[]): Buckets {
  const base = 2 ** (1 / 32);
  const byIndex = new Map<number, number>();
  for (const p of points) {
    for (let b = 0; b < p.keys.length; b++) {
      const k = p.keys[b]!;
      const n = p.counts[b]!;
      const lower = SKETCH_GAMMA ** (k - SKETCH_BIAS);
      const upper = lower * SKETCH_GAMMA;
      let bestIndex = 0;
      let best = 0;
      let assigned = 0;
      for (let i = Math.floor(Math.log2(lower) * 32); base ** i < upper; i++) {
        const overlap = (Math.min(base ** (i + 1), upper) - Math.max(base ** i, lower)) / (upper - lower);
        if (overlap <= 0) continue;
        if (overlap > best) [best, bestIndex] = [overlap, i];
        const share = Math.floor(overlap * n);
        byIndex.set(i + 1, (byIndex.get(i + 1) ?? 0) + share);
        assigned += share;
      }
      byIndex.set(bestIndex + 1, (byIndex.get(bestIndex + 1) ?? 0) + n - assigned);
    }
  }
  return bucketsOf(5, byIndex);
}

/** The quantile gauge's way: the Agent's interpolation over one sketch of every value. */
function sketchOfAll(values: number[]): (q: number) => number {
  const b = new DDSketchBuilder();
  for (const v of values) b.add(v);
  const all = b.toPoint(0);
  return (q) => sketchQuantile(all, q);
}

const DATASETS: Record<string, (r: () => number, host: number) => number> = {
  'lognormal (latency-like)': (r) => Math.exp(3 + Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
  'uniform 1..1000': (r) => 1 + 999 * r(),
  'exponential, mean 50': (r) => -50 * Math.log(1 - r()),
  'bimodal, hosts differ': (r, host) => (host === 2 ? 500 : 5) * (1 + r()),
};

export function measure(): Array<{ dataset: string; method: string; errors: number[] }> {
  const rows: Array<{ dataset: string; method: string; errors: number[] }> = [];
  for (const [dataset, draw] of Object.entries(DATASETS)) {
    const r = seededRandom(11);
    const all: number[] = [];
    const points: DDSketchPoint[] = [];
    for (let host = 0; host < HOSTS; host++) {
      const b = new DDSketchBuilder();
      for (let i = 0; i < VALUES_PER_HOST; i++) {
        const v = draw(r, host);
        all.push(v);
        b.add(v);
      }
      points.push(b.toPoint(0));
    }
    all.sort((a, b) => a - b);
    const exact = (q: number) => all[Math.min(all.length - 1, Math.ceil(q * all.length) - 1)]!;
    const methods: Record<string, (q: number) => number> = {
      'sketch quantile (gauges)': sketchOfAll(all),
      'schema 6, whole bins': (
        (b) => (q: number) =>
          histogramQuantile(q, b)
      )(schema6(points)),
      'schema 5, split bins (OTel)': (
        (b) => (q: number) =>
          histogramQuantile(q, b)
      )(schema5Split(points)),
    };
    for (const [method, estimate] of Object.entries(methods))
      rows.push({ dataset, method, errors: QUANTILES.map((q) => (estimate(q) - exact(q)) / exact(q)) });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const pct = (x: number) => `${(100 * x).toFixed(2).padStart(6)} %`;
  console.log(`relative error of quantiles ${QUANTILES.join(', ')} (${HOSTS} hosts × ${VALUES_PER_HOST} values)`);
  const worst = new Map<string, number>();
  for (const row of measure()) {
    console.log(`${row.dataset.padEnd(26)} ${row.method.padEnd(28)} ${row.errors.map(pct).join(' ')}`);
    const w = Math.max(...row.errors.map(Math.abs));
    worst.set(row.method, Math.max(worst.get(row.method) ?? 0, w));
  }
  for (const [method, w] of worst) console.log(`worst |error|, ${method}: ${pct(w)}`);
}
