// The PromQL evaluator: evaluates an AST over a set of step times at once, column-wise. Every instant-vector value
// is a list of series, each holding one value slot per step (Float64Array) plus a presence mask, so per-step work
// is array indexing, and label work (matching signatures, grouping keys) happens once per series, not per step.
// This file walks the tree, reads selectors, enforces the query's limits and reports errors and annotations;
// operators and functions live in binary-ops.ts, aggregations.ts and functions.ts (the function table).
// Semantics follow Prometheus 3.5 (promql/engine.go) with delayed __name__ removal, as its test suite runs it.
import { CounterResetHint, type FloatHistogram } from '../model/histogram.js';
import { scaleHistogram } from '../model/histogram-ops.js';
import type { SeriesColumns, SeriesData } from '../model/storage.js';
import { seriesAt } from '../model/series-columns.js';
import {
  unwrapParens,
  type AtModifier,
  type Call,
  type Expr,
  type MatrixSelector,
  type PosRange,
  type SubqueryExpr,
  type VectorSelector,
} from './ast.js';
import { aggregate } from './aggregations.js';
import { binary } from './binary-ops.js';
import { goFloatG } from './format.js';
import { FUNCTION_CALLS } from './functions.js';
import { positionString } from './parser.js';
import { upperBound } from './range-functions.js';
import { isStaleAt } from './staleness.js';
import {
  ColumnSlab,
  type EvalContext,
  type EvalValue,
  type InstantSeries,
  type RangeArg,
  type RangeSeries,
} from './values.js';

export type ErrorType =
  | 'bad_data'
  | 'execution'
  | 'timeout'
  | 'canceled'
  | 'too_many_samples'
  | 'internal'
  | 'unavailable';

export class PromQLError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
    /** Why a limit refused the query, for counting ('too_deep'); the type says it for the others. */
    readonly limit?: string,
  ) {
    super(message);
    this.name = 'PromQLError';
  }
}

export interface EvalOptions {
  startMs: number;
  endMs: number;
  stepMs: number;
  lookbackDeltaMs: number;
  /** Step of subqueries without one (Prometheus: the global evaluation interval). */
  defaultSubqueryStepMs: number;
  maxSamples: number;
  /** Samples fetched from storage: held for the whole evaluation, so they count against maxSamples. */
  fetchedSamples: number;
  deadline: number;
  /** When aborted (the client went away, or the timeout while waiting for storage) evaluation stops with its reason. */
  signal?: AbortSignal;
  query: string;
}

export interface Annotations {
  warnings: Set<string>;
  infos: Set<string>;
}
/** Selector data as fetched, keyed by selector node. */
export type SelectorData = Map<VectorSelector, SeriesColumns>;

export class Evaluator implements EvalContext {
  readonly annotations: Annotations = { warnings: new Set(), infos: new Set() };
  /**
   * Points held in memory now: fetched samples, the results of finished sub-expressions still needed, and what the
   * node being evaluated has reserved. An instant-vector series holds one slot per step whether or not it has a
   * value there (its arrays are allocated for every step), so it counts as `steps` points.
   */
  private currentSamples: number;
  private checkCounter = 0;
  /** Range-vector selectors' samples without stale markers, by selector. */
  private readonly rangeData = new Map<VectorSelector, RangeSeries[]>();

  constructor(
    private readonly data: SelectorData,
    private readonly opts: EvalOptions,
  ) {
    this.currentSamples = opts.fetchedSamples;
  }

  // ---- infrastructure ----

  error(msg: string): never {
    throw new PromQLError('execution', msg);
  }

  checkTimeout(): void {
    if ((++this.checkCounter & 255) !== 0) return;
    this.opts.signal?.throwIfAborted();
    if (Date.now() > this.opts.deadline) throw new PromQLError('timeout', 'query timed out in expression evaluation');
  }

  info(msg: string, pos: PosRange): void {
    this.annotations.infos.add(`PromQL info: ${msg} (${positionString(this.opts.query, pos.start)})`);
  }

  warn(msg: string, pos: PosRange): void {
    this.annotations.warnings.add(`PromQL warning: ${msg} (${positionString(this.opts.query, pos.start)})`);
  }

  reserve(points: number): void {
    this.currentSamples += points;
    this.checkSamples(0);
  }

  /** Fails when the values alive now plus `extra` transient samples exceed the limit. */
  checkSamples(extra: number): void {
    if (this.currentSamples + extra > this.opts.maxSamples) throw tooManySamples();
  }

  checkQuantiles(q: Float64Array, pos: PosRange): void {
    for (const x of q) {
      if (Number.isNaN(x) || x < 0 || x > 1)
        this.warn(`quantile value should be between 0 and 1, got ${goFloatG(x)}`, pos);
    }
  }

  private atTime(at: AtModifier): number {
    return at.kind === 'time' ? at.ms : at.kind === 'start' ? this.opts.startMs : this.opts.endMs;
  }

  /** Evaluates `e` at every time in `times` (non-decreasing, ms). */
  eval(e: Expr, times: Float64Array): EvalValue {
    this.checkTimeout();
    const before = this.currentSamples;
    const v = this.evalNode(e, times);
    // The node's inputs and scratch are garbage now; its result is what stays held.
    this.currentSamples = before;
    this.reserve(heldPoints(v, times.length));
    return v;
  }

  /** Like eval, but its result is not counted as held: the caller copies it out and drops it (a query's slice). */
  evalTransient(e: Expr, times: Float64Array): EvalValue {
    const before = this.currentSamples;
    const v = this.eval(e, times);
    this.currentSamples = before;
    return v;
  }

  private evalNode(e: Expr, times: Float64Array): EvalValue {
    switch (e.type) {
      case 'NumberLiteral':
        return { kind: 'scalar', vals: new Float64Array(times.length).fill(e.val) };
      case 'StringLiteral':
        return { kind: 'string', val: e.val };
      case 'ParenExpr':
        return this.eval(e.expr, times);
      case 'VectorSelector':
        return { kind: 'vector', series: this.vectorSelector(e, times) };
      case 'MatrixSelector':
      case 'SubqueryExpr': {
        // Only reached for a range vector as the query's result (an instant query).
        const arg = this.rangeArg(e, times);
        const out: RangeSeries[] = [];
        const i = times.length - 1;
        for (const s of arg.series) {
          const end = arg.windowEnds[i]!;
          const lo = upperBound(s.ts, end - arg.rangeMs, s.from, s.to);
          const hi = upperBound(s.ts, end, s.from, s.to);
          const hs = s.histograms;
          const hlo = hs ? upperBound(hs.timestamps, end - arg.rangeMs) : 0;
          const hhi = hs ? upperBound(hs.timestamps, end) : 0;
          if (hi > lo || hhi > hlo) {
            const histograms =
              hs && hhi > hlo
                ? { timestamps: hs.timestamps.slice(hlo, hhi), values: hs.values.slice(hlo, hhi) }
                : undefined;
            out.push({
              labels: s.labels,
              ts: s.ts.slice(lo, hi),
              vals: s.vals.slice(lo, hi),
              from: 0,
              to: hi - lo,
              dropName: s.dropName,
              histograms,
            });
          }
        }
        return { kind: 'matrix', series: out };
      }
      case 'UnaryExpr': {
        const v = this.eval(e.expr, times);
        if (e.op === '+') return v;
        if (v.kind === 'scalar') return { kind: 'scalar', vals: v.vals.map((x) => -x) };
        if (v.kind !== 'vector') this.error('unary minus on a non-numeric value');
        return {
          kind: 'vector',
          series: v.series.map((s) => ({
            labels: s.labels,
            vals: s.vals.map((x) => -x),
            has: s.has,
            dropName: true,
            hists: s.hists?.map((h) => h && scaleHistogram(h, -1)),
          })),
        };
      }
      case 'BinaryExpr':
        return binary(this, e, times);
      case 'AggregateExpr':
        return aggregate(this, e, times);
      case 'Call':
        return this.call(e, times);
    }
  }

  vector(e: Expr, times: Float64Array): InstantSeries[] {
    const v = this.eval(e, times);
    if (v.kind !== 'vector') this.error(`expected instant vector, got ${v.kind}`);
    return v.series;
  }

  scalar(e: Expr, times: Float64Array): Float64Array {
    const v = this.eval(e, times);
    if (v.kind !== 'scalar') this.error(`expected scalar, got ${v.kind}`);
    return v.vals;
  }

  stringArg(e: Expr): string {
    const u = unwrapParens(e);
    if (u.type !== 'StringLiteral') this.error('expected a string literal');
    return u.val;
  }

  // ---- selectors ----

  /**
   * The value of each series at each step: its last sample at or before the step time (after @ and offset) that is
   * less than the lookback delta old and not a staleness marker. With `sampleTimes`, the value is the sample's own
   * timestamp in seconds instead (timestamp(), whose result drops the name).
   */
  vectorSelector(vs: VectorSelector, times: Float64Array, sampleTimes = false): InstantSeries[] {
    const data = this.data.get(vs);
    if (!data) return [];
    const { labels, starts, ends, timestamps: ts, values } = data;
    const n = times.length;
    const lookback = this.opts.lookbackDeltaMs;
    const fixed = vs.at ? this.atTime(vs.at) : null;
    // Every fetched series is usually visible at some step: when that many would not fit, count exactly the ones
    // that are before allocating any (a month at a 4-minute step over 100k series is refused at once).
    if (this.currentSamples + labels.length * n > this.opts.maxSamples) {
      let visible = 0;
      for (let k = 0; k < labels.length; k++) {
        this.checkTimeout();
        if (visibleAtSomeStep(ts, values, starts[k]!, ends[k]!, times, fixed, vs.offsetMs, lookback)) visible++;
      }
      this.checkSamples(visible * n);
    }
    const out: InstantSeries[] = [];
    const columns = new ColumnSlab(n);
    for (let k = 0; k < labels.length; k++) {
      this.checkTimeout();
      if (data.histograms?.[k]?.timestamps.length) {
        const withHistograms = this.selectWithHistograms(seriesAt(data, k), times, fixed, vs.offsetMs, sampleTimes);
        if (withHistograms) out.push(withHistograms);
        continue;
      }
      const lo = starts[k]!;
      const hi = ends[k]!;
      let vals: Float64Array | null = null;
      let has: Uint8Array | null = null;
      // Index of the last sample at or before the reference time; times never decrease. Found by binary search at
      // the first step: a range query evaluated in slices starts far into the series.
      let j = upperBound(ts, (fixed ?? times[0]!) - vs.offsetMs, lo, hi) - 1;
      for (let i = 0; i < n; i++) {
        const ref = (fixed ?? times[i]!) - vs.offsetMs;
        while (j + 1 < hi && ts[j + 1]! <= ref) j++;
        if (j < lo || ts[j]! <= ref - lookback) continue;
        const v = values[j]!;
        if (Number.isNaN(v) && isStaleAt(values, j)) continue;
        if (!vals) {
          this.reserve(n);
          ({ vals, has } = columns.take());
        }
        vals[i] = sampleTimes ? ts[j]! / 1000 : v;
        has![i] = 1;
      }
      if (vals) out.push({ labels: labels[k]!, vals, has: has!, dropName: sampleTimes });
    }
    return out;
  }

  /**
   * vectorSelector for a series with native histogram samples: at each step the newer of its last float and its
   * last histogram sample in the lookback window (a stale marker newer than both hides the series).
   */
  private selectWithHistograms(
    s: SeriesData,
    times: Float64Array,
    fixed: number | null,
    offsetMs: number,
    sampleTimes: boolean,
  ): InstantSeries | null {
    const n = times.length;
    const lookback = this.opts.lookbackDeltaMs;
    const hs = s.histograms!;
    const ts = s.timestamps;
    let vals: Float64Array | null = null;
    let has: Uint8Array | null = null;
    let hists: (FloatHistogram | undefined)[] | undefined;
    let j = -1;
    let k = -1;
    for (let i = 0; i < n; i++) {
      const ref = (fixed ?? times[i]!) - offsetMs;
      while (j + 1 < ts.length && ts[j + 1]! <= ref) j++;
      while (k + 1 < hs.timestamps.length && hs.timestamps[k + 1]! <= ref) k++;
      const tf = j >= 0 ? ts[j]! : -Infinity;
      const th = k >= 0 ? hs.timestamps[k]! : -Infinity;
      const t = Math.max(tf, th);
      if (t <= ref - lookback) continue;
      if (tf > th && Number.isNaN(s.values[j]!) && isStaleAt(s.values, j)) continue;
      if (!vals) {
        this.reserve(n);
        vals = new Float64Array(n);
        has = new Uint8Array(n);
      }
      has![i] = 1;
      if (sampleTimes) vals[i] = t / 1000;
      else if (tf > th) vals[i] = s.values[j]!;
      else (hists ??= new Array<FloatHistogram | undefined>(n))[i] = hs.values[k]!;
    }
    if (!vals) return null;
    return { labels: s.labels, vals, has: has!, dropName: sampleTimes, hists };
  }

  /** A range vector (selector or subquery) as a function argument: its samples and each step's window. */
  rangeArg(e: MatrixSelector | SubqueryExpr, times: Float64Array): RangeArg {
    const n = times.length;
    const at = e.type === 'MatrixSelector' ? e.vs.at : e.at;
    const offset = e.type === 'MatrixSelector' ? e.vs.offsetMs : e.offsetMs;
    const fixed = at ? this.atTime(at) : null;
    const windowEnds = new Float64Array(n);
    for (let i = 0; i < n; i++) windowEnds[i] = (fixed ?? times[i]!) - offset;
    if (e.type === 'MatrixSelector') {
      // Kept for the evaluation: every slice of a range query reads the same samples.
      let series = this.rangeData.get(e.vs);
      if (!series) this.rangeData.set(e.vs, (series = withoutStaleMarkers(this.data.get(e.vs))));
      return { series, windowEnds, rangeMs: e.rangeMs };
    }
    // Subquery: evaluate the inner expression on its own step grid, aligned to multiples of the step, covering
    // every window, then read it like stored samples.
    const step = e.stepMs > 0 ? e.stepMs : this.opts.defaultSubqueryStepMs;
    const lo = windowEnds[0]! - e.rangeMs;
    const hi = windowEnds[n - 1]!;
    const first = Math.floor(lo / step) * step + step;
    const count = hi >= first ? Math.floor((hi - first) / step) + 1 : 0;
    this.checkSamples(count); // every inner step holds at least one value; refuse before allocating them
    const innerTimes = new Float64Array(count);
    for (let i = 0; i < count; i++) innerTimes[i] = first + i * step;
    const series: RangeSeries[] = [];
    if (count > 0) {
      for (const s of this.vector(e.expr, innerTimes)) {
        let m = 0;
        for (let i = 0; i < count; i++) m += s.has[i]!;
        this.reserve(m);
        const hists = s.hists;
        let histCount = 0;
        if (hists) for (let i = 0; i < count; i++) if (s.has[i] && hists[i]) histCount++;
        m -= histCount;
        const ts = new Float64Array(m);
        const vals = new Float64Array(m);
        const histograms =
          histCount > 0 ? { timestamps: new Float64Array(histCount), values: [] as FloatHistogram[] } : undefined;
        let k = 0;
        for (let i = 0; i < count; i++) {
          if (!s.has[i]) continue;
          const h = hists?.[i];
          if (h) {
            histograms!.timestamps[histograms!.values.length] = innerTimes[i]!;
            // A subquery may skip the sample with a reset or repeat it: its samples' reset hints mean nothing.
            const reliable =
              h.counterResetHint === CounterResetHint.Unknown || h.counterResetHint === CounterResetHint.Gauge;
            histograms!.values.push(reliable ? h : { ...h, counterResetHint: CounterResetHint.Unknown });
          } else {
            ts[k] = innerTimes[i]!;
            vals[k++] = s.vals[i]!;
          }
        }
        // The inner expression's delayed name removal carries through the subquery (rate(x[5m])[10m:1m] has no name).
        series.push({ labels: s.labels, ts, vals, from: 0, to: m, dropName: s.dropName, histograms });
      }
    }
    return { series, windowEnds, rangeMs: e.rangeMs };
  }

  // ---- function calls ----

  /** Dispatches once per call node: the implementation evaluates its arguments over all steps. */
  private call(e: Call, times: Float64Array): EvalValue {
    const impl = FUNCTION_CALLS.get(e.func.name);
    if (!impl) this.error(`function "${e.func.name}" is not supported`);
    return impl(this, e, times);
  }
}

// ---- helpers ----

export function tooManySamples(): PromQLError {
  return new PromQLError(
    'too_many_samples',
    'query processing would load too many samples into memory in query execution',
  );
}

/** The points a value holds: a slot per step for every instant-vector series, every sample of a range vector. */
function heldPoints(v: EvalValue, steps: number): number {
  switch (v.kind) {
    case 'scalar':
      return v.vals.length;
    case 'string':
      return 0;
    case 'matrix': {
      let c = 0;
      for (const s of v.series) c += s.to - s.from + (s.histograms?.timestamps.length ?? 0);
      return c;
    }
    case 'vector':
      return v.series.length * steps;
  }
}

/**
 * Whether vectorSelector would give the series a value at one of the steps (same rules, nothing allocated): a
 * sample is seen by the steps from its own time until the next sample or the lookback delta, whichever is first.
 */
function visibleAtSomeStep(
  ts: Float64Array,
  values: Float64Array,
  lo: number,
  hi: number,
  times: Float64Array,
  fixed: number | null,
  offsetMs: number,
  lookback: number,
): boolean {
  for (let j = lo; j < hi; j++) {
    if (Number.isNaN(values[j]!) && isStaleAt(values, j)) continue;
    const seenUntil = Math.min(ts[j]! + lookback, j + 1 < hi ? ts[j + 1]! : Infinity);
    // The first reference time at or after the sample.
    let ref: number;
    if (fixed !== null) ref = fixed - offsetMs;
    else {
      const i = firstAtOrAfter(times, ts[j]! + offsetMs);
      if (i >= times.length) return false;
      ref = times[i]! - offsetMs;
    }
    if (ref >= ts[j]! && ref < seenUntil) return true;
  }
  return false;
}

/** First index with a[i] >= t. */
function firstAtOrAfter(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
/**
 * A range selector's series as RangeSeries: views of the read's columns, or for a series with stale markers its
 * samples without them in arrays of its own.
 */
function withoutStaleMarkers(c: SeriesColumns | undefined): RangeSeries[] {
  if (!c) return [];
  const { labels, starts, ends, timestamps, values } = c;
  const out = new Array<RangeSeries>(labels.length);
  for (let k = 0; k < labels.length; k++) {
    const lo = starts[k]!;
    const hi = ends[k]!;
    const h = c.histograms?.[k];
    const histograms = h && h.timestamps.length > 0 ? h : undefined;
    let stale = 0;
    for (let i = lo; i < hi; i++) if (Number.isNaN(values[i]) && isStaleAt(values, i)) stale++;
    if (stale === 0) {
      out[k] = { labels: labels[k]!, ts: timestamps, vals: values, from: lo, to: hi, dropName: false, histograms };
      continue;
    }
    const ts = new Float64Array(hi - lo - stale);
    const vals = new Float64Array(ts.length);
    let m = 0;
    for (let i = lo; i < hi; i++) {
      if (Number.isNaN(values[i]) && isStaleAt(values, i)) continue;
      ts[m] = timestamps[i]!;
      vals[m++] = values[i]!;
    }
    out[k] = { labels: labels[k]!, ts, vals, from: 0, to: m, dropName: false, histograms };
  }
  return out;
}
