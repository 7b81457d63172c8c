import type { DDSketchPoint } from '../model/datadog.js';
import type { PromSeries } from '../model/prometheus.js';
import { sketchQuantiles } from './ddsketch.js';

// The sample rules of docs/mapping.md: timestamps, duplicates in one request, service check values, and the values
// of a distribution point's series. Plain functions, called on the mapper's hot path.

const MAX_TS_MS = Number.MAX_SAFE_INTEGER;

/** Unix seconds as milliseconds, rounded. */
export function msOf(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** Whether a millisecond timestamp can be stored: finite and within ±2^53 (else `invalid_timestamp`). */
export function validMs(ms: number): boolean {
  return ms >= -MAX_TS_MS && ms <= MAX_TS_MS; // false for NaN
}

/** A service check's timestamp in milliseconds: 0 means now (the receive time, `nowMs`). */
export function checkMs(timestamp: number, nowMs: number): number {
  return timestamp === 0 ? nowMs : msOf(timestamp);
}

/** Whether a service check status is one (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; else `invalid_value`). */
export function validCheckStatus(status: number): boolean {
  return status === 0 || status === 1 || status === 2 || status === 3;
}

/**
 * The values of a distribution point's series, into out[0 ...], in sketchLabelSets' order: the quantiles, then count,
 * sum, min, max, avg. An empty sketch has no quantiles, min, max or average: NaN, like a Prometheus summary with no
 * observations. `quantileOrder` is quantileOrder(quantiles).
 */
export function sketchValues(
  p: DDSketchPoint,
  quantiles: readonly number[],
  quantileOrder: readonly number[],
  out: number[],
): void {
  const nq = quantiles.length;
  const empty = p.cnt <= 0;
  if (empty) for (let i = 0; i < nq; i++) out[i] = NaN;
  else sketchQuantiles(p, quantiles, quantileOrder, out);
  out[nq] = p.cnt;
  out[nq + 1] = p.sum;
  out[nq + 2] = empty ? NaN : p.min;
  out[nq + 3] = empty ? NaN : p.max;
  out[nq + 4] = empty ? NaN : p.avg;
}

/** Sorts a series' samples by time; of equal timestamps the one sent last wins. Returns how many were dropped. */
export function sortDedupe(s: PromSeries): number {
  const ts = s.timestamps;
  const vs = s.values;
  const order = Array.from({ length: ts.length }, (_, i) => i);
  order.sort((a, b) => ts[a]! - ts[b]! || a - b);
  const outTs: number[] = [];
  const outVs: number[] = [];
  for (const i of order) {
    if (outTs.length > 0 && outTs[outTs.length - 1] === ts[i]) outVs[outVs.length - 1] = vs[i]!;
    else {
      outTs.push(ts[i]!);
      outVs.push(vs[i]!);
    }
  }
  s.timestamps = outTs;
  s.values = outVs;
  return ts.length - outTs.length;
}
