// Functions over range vectors (rate, *_over_time...): the loop that slides a call's windows over each series'
// samples, and the kernels it runs per window. A kernel works on one series' window: samples lo..hi-1 of
// (ts, vals) (timestamps in ms, stale markers already removed), and returns the value or undefined for "no output".
// Semantics follow promql/functions.go of Prometheus 3.5.
import type { FloatHistogram } from '../model/histogram.js';
import { unwrapParens, type MatrixSelector, type SubqueryExpr } from './ast.js';
import type { Label } from '../model/prometheus.js';
import { getLabel, METRIC_NAME } from './labels.js';
import type { FunctionCall, InstantSeries } from './values.js';

export interface WindowContext {
  /** Evaluation time of the step (ms); predict_linear's intercept. */
  t: number;
  /** End of the window (ms): the step time after @ and offset. The window is (windowEnd - rangeMs, windowEnd]. */
  windowEnd: number;
  rangeMs: number;
  /** Scalar arguments of the call for this step, in argument order (the range argument excluded). */
  scalars: number[];
}

export type RangeKernel = (
  ts: Float64Array,
  vals: Float64Array,
  lo: number,
  hi: number,
  c: WindowContext,
) => number | undefined;

/**
 * A function's work on a window holding histogram samples (hts/hvals hlo..hhi-1; floats as for a RangeKernel):
 * the value, a histogram, or undefined for "no output". `note` reports an annotation about the series.
 */
export type HistogramKernel = (
  w: {
    ts: Float64Array;
    vals: Float64Array;
    lo: number;
    hi: number;
    hts: Float64Array;
    hvals: FloatHistogram[];
    hlo: number;
    hhi: number;
    /** The series' metric name, quoted, for annotations. */
    metric: string;
  },
  c: WindowContext,
  note: (level: 'warn' | 'info', msg: string) => void,
) => number | FloatHistogram | undefined;

/** What a function adds to the window loop besides its kernel. */
export interface WindowOptions {
  /**
   * What the function does with a window holding histograms. Without it, histograms are ignored: the kernel runs
   * on the floats (with an info when there are any) and a window of histograms only has no output.
   */
  histograms?: HistogramKernel;
  /** The result keeps the metric name (last_over_time). */
  keepName?: boolean;
  /** The first scalar argument is a quantile, warned about outside [0, 1] (quantile_over_time). */
  quantileArg?: boolean;
  /** Informs when a series' name does not look like a counter's (rate, increase). */
  counterInfo?: boolean;
}

/**
 * The calling convention of functions over a range vector: runs `kernel` on each series' window at every step.
 * The range argument may be at any position; the others are scalars, handed to the kernel per step.
 */
export function overWindows(kernel: RangeKernel, options: WindowOptions = {}): FunctionCall {
  const dropName = !options.keepName;
  return (ev, e, times) => {
    const n = times.length;
    const rangeIdx = e.func.argTypes.indexOf('matrix');
    const rangeExpr = unwrapParens(e.args[rangeIdx]!) as MatrixSelector | SubqueryExpr;
    const scalarArgs = e.args.filter((_, i) => i !== rangeIdx).map((a) => ev.scalar(a, times));
    const arg = ev.rangeArg(rangeExpr, times);
    const out: InstantSeries[] = [];
    const scalars = new Array<number>(scalarArgs.length);
    const ctx = { t: 0, windowEnd: 0, rangeMs: arg.rangeMs, scalars };
    if (options.quantileArg) ev.checkQuantiles(scalarArgs[0]!, e.args[0]!.pos);
    for (const s of arg.series) {
      ev.checkTimeout();
      let vals: Float64Array | null = null;
      let has: Uint8Array | null = null;
      let hists: (FloatHistogram | undefined)[] | undefined;
      let lo = s.from;
      let hi = s.from;
      const ts = s.ts;
      const hts = s.histograms?.timestamps;
      let hlo = 0;
      let hhi = 0;
      for (let i = 0; i < n; i++) {
        const end = arg.windowEnds[i]!;
        const start = end - arg.rangeMs;
        while (hi < s.to && ts[hi]! <= end) hi++;
        while (lo < hi && ts[lo]! <= start) lo++;
        if (hts) {
          while (hhi < hts.length && hts[hhi]! <= end) hhi++;
          while (hlo < hhi && hts[hlo]! <= start) hlo++;
        }
        if (hi <= lo && hhi <= hlo) continue;
        ev.checkSamples(hi - lo + hhi - hlo);
        ctx.t = times[i]!;
        ctx.windowEnd = end;
        for (let k = 0; k < scalars.length; k++) scalars[k] = scalarArgs[k]![i]!;
        let r: number | FloatHistogram | undefined;
        try {
          if (hhi <= hlo) r = kernel(ts, s.vals, lo, hi, ctx);
          else {
            const note = (level: 'warn' | 'info', msg: string) =>
              (level === 'warn' ? ev.warn : ev.info).call(ev, msg, e.args[0]!.pos);
            const metric = metricName(s.labels);
            const w = { ts, vals: s.vals, lo, hi, hts: hts!, hvals: s.histograms!.values, hlo, hhi, metric };
            r = options.histograms ? options.histograms(w, ctx, note) : floatsOnly(kernel, w, ctx, note);
          }
        } catch (err) {
          if (err instanceof FunctionError) ev.error(err.message);
          throw err;
        }
        if (r === undefined) continue;
        if (!vals) {
          ev.reserve(n);
          vals = new Float64Array(n);
          has = new Uint8Array(n);
        }
        if (typeof r === 'number') vals[i] = r;
        else (hists ??= new Array<FloatHistogram | undefined>(n))[i] = r;
        has![i] = 1;
      }
      if (vals) {
        out.push({ labels: s.labels, vals, has: has!, dropName: dropName || s.dropName, hists });
        // Only float results are warned about (a histogram says what it is).
        if (options.counterInfo && (!hists || has!.some((x, i) => x && !hists![i]))) {
          const metric = getLabel(s.labels, METRIC_NAME);
          if (metric !== '' && !/(_total|_sum|_count|_bucket)$/.test(metric)) {
            ev.info(
              `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(metric)}`,
              e.args[0]!.pos,
            );
          }
        }
      }
    }
    return { kind: 'vector', series: out };
  };
}

/** A float function on a window that also holds histograms: they are ignored, with an info when floats are left. */
function floatsOnly(
  kernel: RangeKernel,
  w: Parameters<HistogramKernel>[0],
  c: WindowContext,
  note: (level: 'warn' | 'info', msg: string) => void,
): number | undefined {
  if (w.hi <= w.lo) return undefined;
  note('info', `ignored histograms in a range containing both floats and histograms for metric name ${w.metric}`);
  return kernel(w.ts, w.vals, w.lo, w.hi, c);
}

/** The metric name quoted for annotations. */
export function metricName(labels: Label[]): string {
  return JSON.stringify(getLabel(labels, METRIC_NAME));
}

/** First index with ts[i] > t. */
export function upperBound(ts: Float64Array, t: number, from = 0, to = ts.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Kahan-Babuška summation step: returns the new sum; the compensation is kept in kahanC. */
let kahanC = 0;
function kahanInc(inc: number, sum: number): number {
  const t = sum + inc;
  if (!Number.isFinite(t)) kahanC = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) kahanC += sum - t + inc;
  else kahanC += inc - t + sum;
  return t;
}

/** kahanSumInc as a pure function returning [sum, c]. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) return [t, 0];
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

function extrapolatedRate(isCounter: boolean, isRate: boolean): RangeKernel {
  return (ts, vals, lo, hi, c) => {
    const n = hi - lo;
    if (n < 2) return undefined;
    const first = vals[lo]!;
    let result = vals[hi - 1]! - first;
    if (isCounter) {
      let prev = first;
      for (let i = lo + 1; i < hi; i++) {
        const v = vals[i]!;
        if (v < prev) result += prev;
        prev = v;
      }
    }
    return result * extrapolationFactor(ts[lo]!, ts[hi - 1]!, n, c, isCounter, isRate, first, result);
  };
}

/**
 * How much the change between the first and last sample of a window is scaled to cover the window (per second for
 * rate): extrapolated to the window's ends when the samples reach close to them, and, for a counter, never back
 * past where it would have been zero (only floats give `first` and `result` for that; histograms pass 0).
 */
export function extrapolationFactor(
  firstT: number,
  lastT: number,
  n: number,
  c: WindowContext,
  isCounter: boolean,
  isRate: boolean,
  first: number,
  result: number,
): number {
  const rangeStart = c.windowEnd - c.rangeMs;
  const rangeEnd = c.windowEnd;
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter && result > 0 && first >= 0) {
    // Counters cannot go below zero: do not extrapolate further back than where the counter would be zero.
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  extrapolateToInterval += durationToStart;
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= c.rangeMs / 1000;
  return factor;
}

function instantValue(isRate: boolean): RangeKernel {
  return (ts, vals, lo, hi) => {
    if (hi - lo < 2) return undefined;
    const last = vals[hi - 1]!;
    const prev = vals[hi - 2]!;
    const interval = ts[hi - 1]! - ts[hi - 2]!;
    if (interval === 0) return undefined;
    let result: number;
    if (isRate && last < prev)
      result = last; // Counter reset.
    else result = last - prev;
    if (isRate) result /= interval / 1000;
    return result;
  };
}

export function linearRegression(
  ts: Float64Array,
  vals: Float64Array,
  lo: number,
  hi: number,
  interceptTime: number,
): [number, number] {
  let n = 0;
  let sumX = 0,
    cX = 0,
    sumY = 0,
    cY = 0,
    sumXY = 0,
    cXY = 0,
    sumX2 = 0,
    cX2 = 0;
  const initY = vals[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = vals[i]!;
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[i]! - interceptTime) / 1000;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(y, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY)) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

/** util/almost.Equal: relative comparison (NaN equals NaN), used for bucket monotonicity and by the test harness. */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || absSum < minNormal) return diff < epsilon * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** Prometheus' quantile over a sorted copy (NaNs sort first, like vectorByValueHeap). */
export function quantileOf(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort(compareNaNFirst);
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex]! * (1 - weight) + values[upperIndex]! * weight;
}

function compareNaNFirst(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? -1 : 1;
  return a - b;
}

function slice(vals: Float64Array, lo: number, hi: number): number[] {
  return Array.from(vals.subarray(lo, hi));
}

function variance(vals: Float64Array, lo: number, hi: number): number {
  let count = 0,
    mean = 0,
    cMean = 0,
    aux = 0,
    cAux = 0;
  for (let i = lo; i < hi; i++) {
    const f = vals[i]!;
    count++;
    const delta = f - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (f - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

function compareOverTime(better: (cur: number, best: number) => boolean, returnTimestamp: boolean): RangeKernel {
  return (ts, vals, lo, hi) => {
    if (hi <= lo) return undefined;
    let best = vals[lo]!;
    let bestT = ts[lo]!;
    for (let i = lo; i < hi; i++) {
      const v = vals[i]!;
      if (better(v, best)) {
        best = v;
        bestT = ts[i]!;
      }
    }
    return returnTimestamp ? bestT / 1000 : best;
  };
}

/** A kernel's refusal of its scalar arguments; the window loop turns it into the query's error. */
class FunctionError extends Error {}

// ---- kernels, named after their PromQL functions ----

export const rate: RangeKernel = extrapolatedRate(true, true);
export const increase: RangeKernel = extrapolatedRate(true, false);
export const delta: RangeKernel = extrapolatedRate(false, false);
export const irate: RangeKernel = instantValue(true);
export const idelta: RangeKernel = instantValue(false);

export const deriv: RangeKernel = (ts, vals, lo, hi) =>
  hi - lo < 2 ? undefined : linearRegression(ts, vals, lo, hi, ts[lo]!)[0];

export const predictLinear: RangeKernel = (ts, vals, lo, hi, c) => {
  if (hi - lo < 2) return undefined;
  const [slope, intercept] = linearRegression(ts, vals, lo, hi, c.t);
  return slope * c.scalars[0]! + intercept;
};

export const resets: RangeKernel = (_ts, vals, lo, hi) => {
  let resets = 0;
  for (let i = lo + 1; i < hi; i++) if (vals[i]! < vals[i - 1]!) resets++;
  return resets;
};

export const changes: RangeKernel = (_ts, vals, lo, hi) => {
  let changes = 0;
  for (let i = lo + 1; i < hi; i++) {
    const a = vals[i - 1]!;
    const b = vals[i]!;
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) changes++;
  }
  return changes;
};

export const avgOverTime: RangeKernel = (_ts, vals, lo, hi) => {
  let sum = vals[lo]!;
  let c = 0;
  let count = 1;
  let mean = 0;
  let incrementalMean = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = vals[i]!;
    count = i - lo + 1;
    if (!incrementalMean) {
      const [newSum, newC] = kahanSumInc(f, sum, c);
      if (Number.isFinite(newSum) || Number.isNaN(newSum)) {
        sum = newSum;
        c = newC;
        continue;
      }
      // Overflow: switch to an incremental mean.
      incrementalMean = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    [mean, c] = kahanSumInc(f / count, q * mean, q * c);
  }
  if (incrementalMean) return mean + c;
  return sum / count + c / count;
};

export const countOverTime: RangeKernel = (_ts, _vals, lo, hi) => hi - lo;
export const lastOverTime: RangeKernel = (_ts, vals, _lo, hi) => vals[hi - 1]!;
export const presentOverTime: RangeKernel = () => 1;
export const maxOverTime: RangeKernel = compareOverTime((cur, best) => cur > best || Number.isNaN(best), false);
export const minOverTime: RangeKernel = compareOverTime((cur, best) => cur < best || Number.isNaN(best), false);
export const tsOfMaxOverTime: RangeKernel = compareOverTime((cur, best) => cur >= best || Number.isNaN(best), true);
export const tsOfMinOverTime: RangeKernel = compareOverTime((cur, best) => cur <= best || Number.isNaN(best), true);
export const tsOfLastOverTime: RangeKernel = (ts, _vals, _lo, hi) => ts[hi - 1]! / 1000;

export const sumOverTime: RangeKernel = (_ts, vals, lo, hi) => {
  kahanC = 0;
  let sum = 0;
  for (let i = lo; i < hi; i++) sum = kahanInc(vals[i]!, sum);
  if (sum === Infinity || sum === -Infinity) return sum;
  return sum + kahanC;
};

export const quantileOverTime: RangeKernel = (_ts, vals, lo, hi, c) => quantileOf(c.scalars[0]!, slice(vals, lo, hi));
export const stddevOverTime: RangeKernel = (_ts, vals, lo, hi) => Math.sqrt(variance(vals, lo, hi));
export const stdvarOverTime: RangeKernel = (_ts, vals, lo, hi) => variance(vals, lo, hi);

export const madOverTime: RangeKernel = (_ts, vals, lo, hi) => {
  const values = slice(vals, lo, hi);
  const median = quantileOf(0.5, values);
  return quantileOf(
    0.5,
    values.map((v) => Math.abs(v - median)),
  );
};

export const doubleExponentialSmoothing: RangeKernel = (_ts, vals, lo, hi, c) => {
  const sf = c.scalars[0]!;
  const tf = c.scalars[1]!;
  if (!(sf > 0 && sf < 1))
    throw new FunctionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`);
  if (!(tf > 0 && tf < 1)) throw new FunctionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
  const l = hi - lo;
  if (l < 2) return undefined;
  let s0 = 0;
  let s1 = vals[lo]!;
  let b = vals[lo + 1]! - vals[lo]!;
  for (let i = 1; i < l; i++) {
    const x = sf * vals[lo + i]!;
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
};
