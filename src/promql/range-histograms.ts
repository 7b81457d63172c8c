// What the functions over range vectors do with windows holding native histogram samples (functions.go of
// Prometheus 3.5): rate, increase and delta of histograms, irate and idelta of the last two samples, resets and
// changes over floats and histograms in time order, and the *_over_time functions that take histograms.
import { CounterResetHint, type FloatHistogram } from '../model/histogram.js';
import {
  addHistograms,
  compactHistogram,
  detectReset,
  divideHistogram,
  emptyHistogram,
  HistogramMismatchError,
  histogramsEqual,
  reduceResolution,
  scaleHistogram,
  usesCustomBuckets,
} from '../model/histogram-ops.js';
import { extrapolationFactor, type HistogramKernel } from './range-functions.js';

type Note = Parameters<HistogramKernel>[2];
type HistogramWindow = Parameters<HistogramKernel>[0];

const MIXED = 'encountered a mix of histograms and floats for metric name';

function mismatchNote(err: unknown, name: string, note: Note): undefined {
  if (!(err instanceof HistogramMismatchError)) throw err;
  note(
    'warn',
    err.kind === 'incompatible_schema'
      ? `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name}`
      : `vector contains histograms with incompatible custom buckets for metric name ${name}`,
  );
  return undefined;
}

/** rate, increase, delta: histogram windows (a mix with floats gives nothing but a warning). */
export function histogramRate(isCounter: boolean, isRate: boolean): HistogramKernel {
  return (w, c, note) => {
    if (w.hi > w.lo) {
      note('warn', `${MIXED} ${w.metric}`);
      return undefined;
    }
    const n = w.hhi - w.hlo;
    if (n < 2) return undefined;
    const h = histogramChange(w.hvals.slice(w.hlo, w.hhi), isCounter, w.metric, note);
    if (!h) return undefined;
    return scaleHistogram(h, extrapolationFactor(w.hts[w.hlo]!, w.hts[w.hhi - 1]!, n, c, isCounter, isRate, 0, 0));
  };
}

/** The change from the first to the last histogram, counter resets added back for counters (histogramRate). */
function histogramChange(
  points: FloatHistogram[],
  isCounter: boolean,
  name: string,
  note: Note,
): FloatHistogram | undefined {
  let prev = points[0]!;
  const last = points[points.length - 1]!;
  let customBuckets = usesCustomBuckets(prev);
  const notCounter = `this native histogram metric is not a counter: ${name}`;
  if (
    isCounter &&
    (prev.counterResetHint === CounterResetHint.Gauge || last.counterResetHint === CounterResetHint.Gauge)
  )
    note('warn', notCounter);
  // A reset between the first two samples: the first one's layout does not matter.
  if (isCounter && points.length > 1 && detectReset(points[1]!, prev)) {
    prev = emptyHistogram(points[1]!.schema, points[1]!.customValues);
    customBuckets = usesCustomBuckets(points[1]!);
  }
  const mixedSchemas = `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name}`;
  if (usesCustomBuckets(last) !== customBuckets) {
    note('warn', mixedSchemas);
    return undefined;
  }
  let minSchema = Math.min(prev.schema, last.schema);
  for (const cur of points.slice(1, -1)) {
    if (!isCounter) continue;
    if (cur.counterResetHint === CounterResetHint.Gauge) note('warn', notCounter);
    minSchema = Math.min(minSchema, cur.schema);
    if (usesCustomBuckets(cur) !== customBuckets) {
      note('warn', mixedSchemas);
      return undefined;
    }
  }
  let h: FloatHistogram;
  try {
    h = addHistograms(reduceResolution(last, minSchema), prev, true);
    if (isCounter) {
      for (const cur of points.slice(1)) {
        if (detectReset(cur, prev)) h = addHistograms(h, prev);
        prev = cur;
      }
    }
  } catch (err) {
    return mismatchNote(err, name, note);
  }
  if (
    !isCounter &&
    (points[0]!.counterResetHint !== CounterResetHint.Gauge || last.counterResetHint !== CounterResetHint.Gauge)
  )
    note('warn', `this native histogram metric is not a gauge: ${name}`);
  return compactHistogram({ ...h, counterResetHint: CounterResetHint.Gauge });
}

/** The window's samples in time order, floats and histograms together. */
function mergedSamples(w: HistogramWindow): { t: number; f: number; h?: FloatHistogram }[] {
  const out: { t: number; f: number; h?: FloatHistogram }[] = [];
  let i = w.lo;
  let k = w.hlo;
  while (i < w.hi || k < w.hhi) {
    if (k >= w.hhi || (i < w.hi && w.ts[i]! < w.hts[k]!)) {
      out.push({ t: w.ts[i]!, f: w.vals[i]! });
      i++;
    } else {
      out.push({ t: w.hts[k]!, f: 0, h: w.hvals[k]! });
      k++;
    }
  }
  return out;
}

/** irate, idelta: from the last two samples of either kind. */
export function histogramInstant(isRate: boolean): HistogramKernel {
  return (w, _c, note) => {
    const all = mergedSamples(w);
    if (all.length < 2) return undefined;
    const a = all[all.length - 2]!;
    const b = all[all.length - 1]!;
    const interval = b.t - a.t;
    if (interval === 0) return undefined;
    if (!a.h || !b.h) {
      if (!a.h && !b.h) {
        const r = isRate && b.f < a.f ? b.f : b.f - a.f;
        return isRate ? r / (interval / 1000) : r;
      }
      note('warn', `${MIXED} ${w.metric}`);
      return undefined;
    }
    const gauge = (h: FloatHistogram) => h.counterResetHint === CounterResetHint.Gauge;
    if (isRate && (gauge(a.h) || gauge(b.h)))
      note('warn', `this native histogram metric is not a counter: ${w.metric}`);
    if (!isRate && (!gauge(a.h) || !gauge(b.h)))
      note('warn', `this native histogram metric is not a gauge: ${w.metric}`);
    let h = b.h;
    if (!isRate || !detectReset(b.h, a.h)) {
      try {
        h = addHistograms(b.h, a.h, true);
      } catch (err) {
        return mismatchNote(err, w.metric, note);
      }
    }
    h = compactHistogram({ ...h, counterResetHint: CounterResetHint.Gauge });
    return isRate ? divideHistogram(h, interval / 1000) : h;
  };
}

/** resets (count) or changes over floats and histograms in time order; a switch of kind counts as one. */
export function histogramTransitions(kind: 'resets' | 'changes'): HistogramKernel {
  return (w) => {
    const all = mergedSamples(w);
    let n = 0;
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1]!;
      const b = all[i]!;
      if (!a.h && !b.h) {
        if (kind === 'resets' ? b.f < a.f : b.f !== a.f && !(Number.isNaN(a.f) && Number.isNaN(b.f))) n++;
      } else if (!a.h || !b.h) n++;
      else if (kind === 'resets' ? detectReset(b.h, a.h) : !histogramsEqual(b.h, a.h)) n++;
    }
    return n;
  };
}

/** sum_over_time and avg_over_time of histograms (a mix with floats gives nothing but a warning). */
export function histogramOverTime(kind: 'sum' | 'avg'): HistogramKernel {
  return (w, _c, note) => {
    if (w.hi > w.lo) {
      note('warn', `${MIXED} ${w.metric}`);
      return undefined;
    }
    let acc = w.hvals[w.hlo]!;
    try {
      for (let k = w.hlo + 1; k < w.hhi; k++) {
        const h = w.hvals[k]!;
        if (kind === 'sum') acc = addHistograms(acc, h);
        else {
          const count = k - w.hlo + 1;
          acc = addHistograms(acc, addHistograms(divideHistogram(h, count), divideHistogram(acc, count), true));
        }
      }
    } catch (err) {
      return mismatchNote(err, w.metric, note);
    }
    return compactHistogram(acc);
  };
}

/** count_over_time: samples of both kinds. */
export const countOverTimeMixed: HistogramKernel = (w) => w.hi - w.lo + w.hhi - w.hlo;

/** last_over_time: the newest sample of either kind. */
export const lastOverTimeMixed: HistogramKernel = (w) =>
  w.hi > w.lo && w.ts[w.hi - 1]! > w.hts[w.hhi - 1]! ? w.vals[w.hi - 1]! : w.hvals[w.hhi - 1]!;

/** ts_of_last_over_time: the time of the newest sample of either kind. */
export const tsOfLastOverTimeMixed: HistogramKernel = (w) =>
  Math.max(w.hi > w.lo ? w.ts[w.hi - 1]! : 0, w.hts[w.hhi - 1]!) / 1000;

export const presentOverTimeMixed: HistogramKernel = () => 1;
