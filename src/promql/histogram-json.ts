// Native histograms as Prometheus' HTTP API writes them: count, sum and the populated buckets, each bucket as
// [boundary rule, lower, upper, count] with numbers as strings (web/api/v1 and util/jsonutil of Prometheus 3.5).
import type { FloatHistogram } from '../model/histogram.js';
import { allBuckets } from '../model/histogram-ops.js';
import { formatFloat } from './format.js';

export interface ApiHistogram {
  count: string;
  sum: string;
  /** Omitted when no bucket is populated. */
  buckets?: [number, string, string, string][];
}

export function apiHistogram(h: FloatHistogram): ApiHistogram {
  const out: ApiHistogram = { count: formatFloat(h.count), sum: formatFloat(h.sum) };
  const buckets: [number, string, string, string][] = [];
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    buckets.push([b.boundaryRule, formatFloat(b.lower), formatFloat(b.upper), formatFloat(b.count)]);
  }
  if (buckets.length > 0) out.buckets = buckets;
  return out;
}

export function histogramJson(h: FloatHistogram): string {
  return JSON.stringify(apiHistogram(h));
}
