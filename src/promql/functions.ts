// The PromQL function table: every function the parser knows (ast.ts FUNCTIONS) mapped to its implementation,
// so adding a function is one entry here. An implementation evaluates its own arguments over all step times at
// once; the table is read once per call node, never per step. Small calling conventions cover the regular
// families (elementwise math, calendar parts, range-vector windows); this file also holds the instant-vector
// functions that need no more than a few lines (time, conversions, clamping, labels, sorting).
import type { Label } from '../model/prometheus.js';
import { unwrapParens, type Call, type Expr, type MatrixSelector, type SubqueryExpr } from './ast.js';
import { dropLabel, getLabel, isValidLabelName, METRIC_NAME, setLabel } from './labels.js';
import { ReplaceRegexp } from '../model/regexp.js';
import { compareLabels, labelsKey } from '../model/labels.js';
import { histogramProperty, histogramQuantile, histogramVariance } from './histograms.js';
import {
  avgOverTime,
  changes,
  countOverTime,
  delta,
  deriv,
  doubleExponentialSmoothing,
  idelta,
  increase,
  irate,
  lastOverTime,
  madOverTime,
  maxOverTime,
  minOverTime,
  overWindows,
  predictLinear,
  presentOverTime,
  quantileOverTime,
  rate,
  resets,
  stddevOverTime,
  stdvarOverTime,
  sumOverTime,
  tsOfLastOverTime,
  tsOfMaxOverTime,
  tsOfMinOverTime,
  upperBound,
} from './range-functions.js';
import {
  countOverTimeMixed,
  histogramInstant,
  histogramOverTime,
  histogramRate,
  histogramTransitions,
  lastOverTimeMixed,
  presentOverTimeMixed,
  tsOfLastOverTimeMixed,
} from './range-histograms.js';
import { EMPTY_LABELS, type EvalContext, type EvalValue, type FunctionCall, type InstantSeries } from './values.js';

/** Every PromQL function's implementation by name; a test keeps the names in step with the parser's signatures. */
export const FUNCTION_CALLS: ReadonlyMap<string, FunctionCall> = new Map<string, FunctionCall>([
  // Elementwise math.
  ['abs', elementwise(Math.abs)],
  ['ceil', elementwise(Math.ceil)],
  ['floor', elementwise(Math.floor)],
  ['exp', elementwise(Math.exp)],
  ['sqrt', elementwise(Math.sqrt)],
  ['ln', elementwise(Math.log)],
  ['log2', elementwise(Math.log2)],
  ['log10', elementwise(Math.log10)],
  ['sin', elementwise(Math.sin)],
  ['cos', elementwise(Math.cos)],
  ['tan', elementwise(Math.tan)],
  ['asin', elementwise(Math.asin)],
  ['acos', elementwise(Math.acos)],
  ['atan', elementwise(Math.atan)],
  ['sinh', elementwise(Math.sinh)],
  ['cosh', elementwise(Math.cosh)],
  ['tanh', elementwise(Math.tanh)],
  ['asinh', elementwise(Math.asinh)],
  ['acosh', elementwise(Math.acosh)],
  ['atanh', elementwise(Math.atanh)],
  ['deg', elementwise((v) => (v * 180) / Math.PI)],
  ['rad', elementwise((v) => (v * Math.PI) / 180)],
  ['sgn', elementwise((v) => (v < 0 ? -1 : v > 0 ? 1 : v))],
  ['clamp', clamp],
  ['clamp_max', clampMax],
  ['clamp_min', clampMin],
  ['round', round],
  // Calendar parts (UTC).
  ['days_in_month', calendar((d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate())],
  ['day_of_month', calendar((d) => d.getUTCDate())],
  ['day_of_week', calendar((d) => d.getUTCDay())],
  ['day_of_year', calendar((d) => Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1)],
  ['hour', calendar((d) => d.getUTCHours())],
  ['minute', calendar((d) => d.getUTCMinutes())],
  ['month', calendar((d) => d.getUTCMonth() + 1)],
  ['year', calendar((d) => d.getUTCFullYear())],
  // Time, constants, conversions, presence.
  ['time', (_ev, _e, times) => ({ kind: 'scalar', vals: Float64Array.from(times, (t) => t / 1000) })],
  ['pi', (_ev, _e, times) => ({ kind: 'scalar', vals: new Float64Array(times.length).fill(Math.PI) })],
  ['scalar', toScalar],
  ['vector', toVector],
  ['timestamp', timestamp],
  ['absent', absent],
  ['absent_over_time', absentOverTime],
  // Labels and order.
  ['label_replace', labelReplace],
  ['label_join', labelJoin],
  ['sort', sortByValue(false)],
  ['sort_desc', sortByValue(true)],
  ['sort_by_label', sortByLabel(false)],
  ['sort_by_label_desc', sortByLabel(true)],
  // Histograms.
  ['histogram_quantile', histogramQuantile],
  ['histogram_fraction', histogramQuantile],
  ['histogram_avg', histogramProperty((h) => h.sum / h.count)],
  ['histogram_count', histogramProperty((h) => h.count)],
  ['histogram_sum', histogramProperty((h) => h.sum)],
  ['histogram_stddev', histogramProperty((h) => Math.sqrt(histogramVariance(h)))],
  ['histogram_stdvar', histogramProperty(histogramVariance)],
  // Over range-vector windows.
  ['rate', overWindows(rate, { counterInfo: true, histograms: histogramRate(true, true) })],
  ['increase', overWindows(increase, { counterInfo: true, histograms: histogramRate(true, false) })],
  ['delta', overWindows(delta, { histograms: histogramRate(false, false) })],
  ['irate', overWindows(irate, { histograms: histogramInstant(true) })],
  ['idelta', overWindows(idelta, { histograms: histogramInstant(false) })],
  ['deriv', overWindows(deriv)],
  ['predict_linear', overWindows(predictLinear)],
  ['resets', overWindows(resets, { histograms: histogramTransitions('resets') })],
  ['changes', overWindows(changes, { histograms: histogramTransitions('changes') })],
  ['avg_over_time', overWindows(avgOverTime, { histograms: histogramOverTime('avg') })],
  ['count_over_time', overWindows(countOverTime, { histograms: countOverTimeMixed })],
  ['last_over_time', overWindows(lastOverTime, { keepName: true, histograms: lastOverTimeMixed })],
  ['present_over_time', overWindows(presentOverTime, { histograms: presentOverTimeMixed })],
  ['max_over_time', overWindows(maxOverTime)],
  ['min_over_time', overWindows(minOverTime)],
  ['ts_of_max_over_time', overWindows(tsOfMaxOverTime)],
  ['ts_of_min_over_time', overWindows(tsOfMinOverTime)],
  ['ts_of_last_over_time', overWindows(tsOfLastOverTime, { histograms: tsOfLastOverTimeMixed })],
  ['sum_over_time', overWindows(sumOverTime, { histograms: histogramOverTime('sum') })],
  ['quantile_over_time', overWindows(quantileOverTime, { quantileArg: true })],
  ['stddev_over_time', overWindows(stddevOverTime)],
  ['stdvar_over_time', overWindows(stdvarOverTime)],
  ['mad_over_time', overWindows(madOverTime)],
  ['double_exponential_smoothing', overWindows(doubleExponentialSmoothing)],
]);

// ---- calling conventions ----

/** `f` applied to each value of the instant-vector argument. */
function elementwise(f: (v: number) => number): FunctionCall {
  return (ev, e, times) => ({ kind: 'vector', series: mapSeries(ev, ev.vector(e.args[0]!, times), f) });
}

/** A calendar part of each value taken as unix seconds or, without an argument, of each step time. */
function calendar(part: (d: Date) => number): FunctionCall {
  return (ev, e, times) => {
    if (e.args.length === 0) {
      const vals = Float64Array.from(times, (t) => part(new Date(Math.trunc(t / 1000) * 1000)));
      const has = new Uint8Array(times.length).fill(1);
      return { kind: 'vector', series: [{ labels: EMPTY_LABELS, vals, has, dropName: false }] };
    }
    const vec = ev.vector(e.args[0]!, times);
    // Go's time.Unix(int64(NaN/Inf)) yields an arbitrary date; Prometheus answers garbage there, we answer NaN.
    const series = mapSeries(ev, vec, (v) => (Number.isFinite(v) ? part(new Date(Math.trunc(v) * 1000)) : NaN));
    return { kind: 'vector', series };
  };
}

/**
 * Applies `f` to every float value (the result drops the metric name; histogram values are left out, as Prometheus'
 * float functions do); `keepStep` can drop whole steps.
 */
function mapSeries(
  ev: EvalContext,
  vec: InstantSeries[],
  f: (v: number, i: number) => number,
  keepStep?: (i: number) => boolean,
): InstantSeries[] {
  const out: InstantSeries[] = [];
  for (const s of vec) {
    const n = s.vals.length;
    ev.reserve(n);
    const vals = new Float64Array(n);
    let has = s.has;
    const hists = s.hists;
    if (keepStep || hists) {
      has = new Uint8Array(n);
      for (let i = 0; i < n; i++) has[i] = s.has[i]! && !hists?.[i] && (!keepStep || keepStep(i)) ? 1 : 0;
      if (!has.some((x) => x)) continue;
    }
    for (let i = 0; i < n; i++) if (has[i]) vals[i] = f(s.vals[i]!, i);
    out.push({ labels: s.labels, vals, has, dropName: true });
  }
  return out;
}

// ---- instant-vector functions ----

function clamp(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const vec = ev.vector(e.args[0]!, times);
  const lo = ev.scalar(e.args[1]!, times);
  const hi = ev.scalar(e.args[2]!, times);
  // Steps where max < min have no output.
  const series = mapSeries(
    ev,
    vec,
    (v, i) => Math.max(lo[i]!, Math.min(hi[i]!, v)),
    (i) => !(hi[i]! < lo[i]!),
  );
  return { kind: 'vector', series };
}

function clampMin(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const vec = ev.vector(e.args[0]!, times);
  const lo = ev.scalar(e.args[1]!, times);
  return { kind: 'vector', series: mapSeries(ev, vec, (v, i) => Math.max(lo[i]!, v)) };
}

function clampMax(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const vec = ev.vector(e.args[0]!, times);
  const hi = ev.scalar(e.args[1]!, times);
  return { kind: 'vector', series: mapSeries(ev, vec, (v, i) => Math.min(hi[i]!, v)) };
}

/** round(v, to_nearest = 1): halves round up, like Prometheus. */
function round(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const vec = ev.vector(e.args[0]!, times);
  const to = e.args.length > 1 ? ev.scalar(e.args[1]!, times) : null;
  const series = mapSeries(ev, vec, (v, i) => {
    const inv = 1 / (to ? to[i]! : 1);
    return Math.floor(v * inv + 0.5) / inv;
  });
  return { kind: 'vector', series };
}

/** scalar(v): the single element's value at each step, NaN where there is not exactly one. */
function toScalar(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const n = times.length;
  const vec = ev.vector(e.args[0]!, times);
  const vals = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) {
    let found = 0;
    for (const s of vec) {
      if (s.has[i] && !s.hists?.[i]) {
        found++;
        vals[i] = s.vals[i]!;
      }
    }
    if (found !== 1) vals[i] = NaN;
  }
  return { kind: 'scalar', vals };
}

/** vector(s): the scalar as a one-element vector without labels. */
function toVector(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const vals = ev.scalar(e.args[0]!, times);
  const has = new Uint8Array(times.length).fill(1);
  return { kind: 'vector', series: [{ labels: EMPTY_LABELS, vals, has, dropName: false }] };
}

/** timestamp(v): of a selector, each sample's own time; of any other expression, the step time. */
function timestamp(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const a = unwrapParens(e.args[0]!);
  if (a.type === 'VectorSelector') return { kind: 'vector', series: ev.vectorSelector(a, times, true) };
  const vec = ev.vector(a, times);
  const series = vec.map((s) => {
    const vals = Float64Array.from(times, (t) => t / 1000);
    return { labels: s.labels, vals, has: s.has, dropName: true };
  });
  return { kind: 'vector', series };
}

/** absent(v): 1 at the steps where the vector is empty, labelled from the selector's equality matchers. */
function absent(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const n = times.length;
  const vec = ev.vector(e.args[0]!, times);
  const has = new Uint8Array(n).fill(1);
  for (const s of vec) for (let i = 0; i < n; i++) if (s.has[i]) has[i] = 0;
  if (!has.some((x) => x)) return { kind: 'vector', series: [] };
  const labels = absentLabels(e.args[0]!);
  return { kind: 'vector', series: [{ labels, vals: new Float64Array(n).fill(1), has, dropName: false }] };
}

/** absent_over_time(r[d]): 1 at the steps where no series has a sample in its window. */
function absentOverTime(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const n = times.length;
  const rangeExpr = unwrapParens(e.args[0]!) as MatrixSelector | SubqueryExpr;
  const arg = ev.rangeArg(rangeExpr, times);
  const has = new Uint8Array(n).fill(1);
  for (const s of arg.series) {
    ev.checkTimeout();
    for (let i = 0; i < n; i++) {
      // The window (end - range, end] holds a sample when the first sample after its start is not after its end.
      const end = arg.windowEnds[i]!;
      const first = upperBound(s.ts, end - arg.rangeMs, s.from, s.to);
      if (first < s.to && s.ts[first]! <= end) has[i] = 0;
      const hts = s.histograms?.timestamps;
      const firstHistogram = hts ? upperBound(hts, end - arg.rangeMs) : 0;
      if (hts && firstHistogram < hts.length && hts[firstHistogram]! <= end) has[i] = 0;
    }
  }
  if (!has.some((x) => x)) return { kind: 'vector', series: [] };
  const labels = absentLabels(rangeExpr);
  return { kind: 'vector', series: [{ labels, vals: new Float64Array(n).fill(1), has, dropName: true }] };
}

function labelReplace(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const dst = ev.stringArg(e.args[1]!);
  const repl = ev.stringArg(e.args[2]!);
  const src = ev.stringArg(e.args[3]!);
  const regexStr = ev.stringArg(e.args[4]!);
  let re: ReplaceRegexp;
  try {
    re = new ReplaceRegexp(regexStr);
  } catch {
    ev.error(`invalid regular expression in label_replace(): ${regexStr}`);
  }
  if (!isValidLabelName(dst)) ev.error(`invalid destination label name in label_replace(): ${dst}`);
  const vec = ev.vector(e.args[0]!, times);
  const out = vec.map((s) => {
    const value = re.replace(getLabel(s.labels, src), repl);
    if (value === undefined) return s;
    return {
      labels: setLabel(s.labels, dst, value),
      vals: s.vals,
      has: s.has,
      dropName: dst === METRIC_NAME ? false : s.dropName,
      hists: s.hists,
    };
  });
  checkUniqueLabelsets(ev, out);
  return { kind: 'vector', series: out };
}

function labelJoin(ev: EvalContext, e: Call, times: Float64Array): EvalValue {
  const dst = ev.stringArg(e.args[1]!);
  const sep = ev.stringArg(e.args[2]!);
  const srcs = e.args.slice(3).map((a) => ev.stringArg(a));
  for (const s of srcs) if (!isValidLabelName(s)) ev.error(`invalid source label name in label_join(): ${s}`);
  if (!isValidLabelName(dst)) ev.error(`invalid destination label name in label_join(): ${dst}`);
  const vec = ev.vector(e.args[0]!, times);
  const out = vec.map((s) => ({
    labels: setLabel(s.labels, dst, srcs.map((l) => getLabel(s.labels, l)).join(sep)),
    vals: s.vals,
    has: s.has,
    dropName: dst === METRIC_NAME ? false : s.dropName,
    hists: s.hists,
  }));
  checkUniqueLabelsets(ev, out);
  return { kind: 'vector', series: out };
}

function checkUniqueLabelsets(ev: EvalContext, vec: InstantSeries[]): void {
  const seen = new Set<string>();
  for (const s of vec) {
    const k = labelsKey(s.labels);
    if (seen.has(k)) ev.error('vector cannot contain metrics with the same labelset');
    seen.add(k);
  }
}

/** sort / sort_desc: by value, NaN last either way, histograms left out. Range results are sorted by labels anyway. */
function sortByValue(desc: boolean): FunctionCall {
  return (ev, e, times) => {
    const vec = ev.vector(e.args[0]!, times);
    if (times.length !== 1) return { kind: 'vector', series: vec };
    const series = vec
      .filter((s) => !s.hists?.[0])
      .sort((a, b) => {
        const x = a.vals[0]!;
        const y = b.vals[0]!;
        const xn = Number.isNaN(x);
        const yn = Number.isNaN(y);
        if (xn || yn) return xn === yn ? 0 : xn ? 1 : -1;
        return desc ? y - x : x - y;
      });
    return { kind: 'vector', series };
  };
}

/** sort_by_label / sort_by_label_desc: natural order of the given labels' values, then of all labels. */
function sortByLabel(desc: boolean): FunctionCall {
  return (ev, e, times) => {
    const vec = ev.vector(e.args[0]!, times);
    if (times.length !== 1) return { kind: 'vector', series: vec };
    const labels = e.args.slice(1).map((a) => ev.stringArg(a));
    const series = [...vec].sort((a, b) => {
      for (const l of labels) {
        const x = getLabel(a.labels, l);
        const y = getLabel(b.labels, l);
        if (x === y) continue;
        const c = natCompare(x, y);
        return desc ? -c : c;
      }
      const c = compareLabels(a.labels, b.labels);
      return desc ? -c : c;
    });
    return { kind: 'vector', series };
  };
}

function absentLabels(e: Expr): Label[] {
  const u = unwrapParens(e);
  const vs = u.type === 'VectorSelector' ? u : u.type === 'MatrixSelector' ? u.vs : null;
  if (!vs) return EMPTY_LABELS;
  let out: Label[] = [];
  const has = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      out = setLabel(out, m.name, m.value);
      has.add(m.name);
    } else {
      out = dropLabel(out, m.name);
    }
  }
  return out;
}

/** Natural ("version") string order like github.com/facette/natsort. */
function natCompare(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const ca = a.match(re) ?? [];
  const cb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}
