import type { DDMetricType } from '../model/datadog.js';
import { BUCKET_SECONDS } from './buckets.js';

// Histograms and timers as the Agent flushes them (its Histogram.flush): the exact samples of a bucket, sorted,
// one series per configured aggregate and percentile.

export const DEFAULT_HISTOGRAM_AGGREGATES = ['max', 'median', 'avg', 'count'];
export const DEFAULT_HISTOGRAM_PERCENTILES = [0.95];
const KNOWN_AGGREGATES = new Set(['max', 'min', 'median', 'avg', 'sum', 'count']);

export interface HistogramOutput {
  suffix: string;
  /** One of KNOWN_AGGREGATES, or '' for a percentile. */
  aggregate: string;
  /** Percentile in 0..100 (the Agent's integer), for aggregate ''. */
  percentile: number;
  /** `.count` is a rate (per second), the others gauges. */
  type: DDMetricType;
}

/** The Agent's percentile rule: 0.95 → 95 → `.95percentile` (int(p·100 + 0.5), sorted; outside [0,1] skipped). */
export function histogramOutputs(aggregates: string[], percentiles: Array<number | string>): HistogramOutput[] {
  const out: HistogramOutput[] = [];
  for (const a of aggregates) {
    if (!KNOWN_AGGREGATES.has(a)) continue;
    out.push({ suffix: `.${a}`, aggregate: a, percentile: 0, type: a === 'count' ? 'rate' : 'gauge' });
  }
  const ints: number[] = [];
  for (const p of percentiles) {
    const f = typeof p === 'number' ? p : Number(p);
    if (!Number.isFinite(f) || f < 0 || f > 1) continue;
    ints.push(Math.trunc(f * 100 + 0.5));
  }
  ints.sort((a, b) => a - b);
  for (const i of ints) out.push({ suffix: `.${i}percentile`, aggregate: '', percentile: i, type: 'gauge' });
  return out;
}

/**
 * The value of each output for one bucket's samples, into out[0 ...]: `samples` (not empty) with their weights
 * (null: all 1), `sum` of value/rate and `count` the sum of the weights. Ranks are weighted, with integer targets.
 */
export function histogramValues(
  samples: readonly number[],
  weights: readonly number[] | null,
  sum: number,
  count: number,
  outputs: readonly HistogramOutput[],
  out: number[],
): void {
  const n = samples.length;
  let sorted: Float64Array;
  let sortedWeights: Float64Array | null = null;
  if (weights === null) {
    sorted = Float64Array.from(samples).sort();
  } else {
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => samples[i]! - samples[j]!);
    sorted = new Float64Array(n);
    sortedWeights = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sorted[i] = samples[order[i]!]!;
      sortedWeights[i] = weights[order[i]!]!;
    }
  }
  /** The first sorted value whose cumulative weight exceeds target. */
  const valueAtRank = (target: number): number => {
    if (sortedWeights === null) return sorted[Math.min(Math.max(target + 1, 1), n) - 1]!;
    let w = 0;
    for (let i = 0; i < n; i++) {
      w += sortedWeights[i]!;
      if (w > target) return sorted[i]!;
    }
    return sorted[n - 1]!;
  };
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    switch (o.aggregate) {
      case 'max':
        out[i] = sorted[n - 1]!;
        break;
      case 'min':
        out[i] = sorted[0]!;
        break;
      case 'median':
        out[i] = valueAtRank(Math.floor((count - 1) / 2));
        break;
      case 'avg':
        out[i] = sum / count;
        break;
      case 'sum':
        out[i] = sum;
        break;
      case 'count':
        out[i] = count / BUCKET_SECONDS;
        break;
      default:
        // Go's integer division truncates toward zero: (p·count − 1) / 100.
        out[i] = valueAtRank(Math.trunc((o.percentile * count - 1) / 100));
    }
  }
}
