// What the evaluator's parts pass between them: column-wise values (a series holds one slot per step time plus a
// presence mask), the evaluation context operators and functions evaluate their arguments with, and a builder of
// output series keyed by label set.
import type { FloatHistogram, HistogramSamples } from '../model/histogram.js';
import type { Label } from '../model/prometheus.js';
import type { Call, Expr, MatrixSelector, PosRange, SubqueryExpr, VectorSelector } from './ast.js';
import { labelsKey } from '../model/labels.js';

export interface InstantSeries {
  labels: Label[];
  vals: Float64Array;
  /** 1 where the series has a value (a float, or the histogram in `hists`) at that step. */
  has: Uint8Array;
  /** Delayed __name__ removal: drop the name when the query finishes. */
  dropName: boolean;
  /** Native histogram values by step; where one is set, the step's value is that histogram, not `vals`. */
  hists?: (FloatHistogram | undefined)[];
}

export interface RangeSeries {
  labels: Label[];
  /** The float samples: ts/vals[from .. to) (the arrays may be a read's columns, shared by many series). */
  ts: Float64Array;
  vals: Float64Array;
  from: number;
  to: number;
  dropName: boolean;
  /** The native histogram samples, when the series has any (their timestamps are never among `ts`). */
  histograms?: HistogramSamples;
}

export type EvalValue =
  | { kind: 'scalar'; vals: Float64Array }
  | { kind: 'vector'; series: InstantSeries[] }
  | { kind: 'matrix'; series: RangeSeries[] }
  | { kind: 'string'; val: string };

/**
 * A range-vector argument: per series its samples (stale markers removed), plus for each step the end of the
 * window (ms). The window of step i is (windowEnds[i] - rangeMs, windowEnds[i]].
 */
export interface RangeArg {
  series: RangeSeries[];
  windowEnds: Float64Array;
  rangeMs: number;
}

/** What operators and functions need of the evaluator: their arguments' values, the query's limits, annotations. */
export interface EvalContext {
  vector(e: Expr, times: Float64Array): InstantSeries[];
  scalar(e: Expr, times: Float64Array): Float64Array;
  stringArg(e: Expr): string;
  /** With `sampleTimes`, each value is its sample's timestamp in seconds (timestamp()). */
  vectorSelector(vs: VectorSelector, times: Float64Array, sampleTimes?: boolean): InstantSeries[];
  rangeArg(e: MatrixSelector | SubqueryExpr, times: Float64Array): RangeArg;
  /** Throws the query's execution error. */
  error(msg: string): never;
  checkTimeout(): void;
  /** Fails when the values alive now plus `extra` transient samples exceed the limit. */
  checkSamples(extra: number): void;
  /**
   * Counts `points` more held until the node being evaluated returns (then its result is counted instead) and fails
   * past the limit. Called before allocating them, so a query over the limit is refused before it takes the memory.
   */
  reserve(points: number): void;
  /** Warns about quantiles outside [0, 1]. */
  checkQuantiles(q: Float64Array, pos: PosRange): void;
  info(msg: string, pos: PosRange): void;
  warn(msg: string, pos: PosRange): void;
}

/** A PromQL function's implementation (functions.ts FUNCTION_CALLS): evaluates the call at every step time. */
export type FunctionCall = (ev: EvalContext, call: Call, times: Float64Array) => EvalValue;

export const EMPTY_LABELS: Label[] = [];

/** Slots of the shared buffers a ColumnSlab carves columns from (512 KiB of values). */
const SLAB_SLOTS = 1 << 16;

/**
 * Hands out the columns of instant-vector series (values and presence for `n` steps) carved from shared buffers:
 * a selector over a million series allocates a few large arrays instead of two million small ones.
 */
export class ColumnSlab {
  private vals = new Float64Array(0);
  private has = new Uint8Array(0);
  private used = 0;

  constructor(private readonly n: number) {}

  take(): { vals: Float64Array; has: Uint8Array } {
    const n = this.n;
    if (this.used + n > this.vals.length) {
      const slots = Math.max(n, SLAB_SLOTS - (SLAB_SLOTS % n));
      this.vals = new Float64Array(slots);
      this.has = new Uint8Array(slots);
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    return { vals: this.vals.subarray(at, at + n), has: this.has.subarray(at, at + n) };
  }
}

/** Builds output series addressed by label set, for operators whose output labels differ from their input's. */
export class OutputBuilder {
  readonly series: InstantSeries[] = [];
  private readonly byKey = new Map<string, number>();
  constructor(
    private readonly n: number,
    private readonly ev: EvalContext,
  ) {}

  index(labels: Label[], dropName: boolean): number {
    const key = labelsKey(labels);
    let idx = this.byKey.get(key);
    if (idx === undefined) {
      this.ev.reserve(this.n);
      idx = this.series.length;
      this.byKey.set(key, idx);
      this.series.push({ labels, vals: new Float64Array(this.n), has: new Uint8Array(this.n), dropName });
    }
    return idx;
  }

  hasAt(idx: number, i: number): boolean {
    return this.series[idx]!.has[i] === 1;
  }

  set(idx: number, i: number, v: number): void {
    const s = this.series[idx]!;
    s.vals[i] = v;
    s.has[i] = 1;
  }

  setHistogram(idx: number, i: number, h: FloatHistogram): void {
    const s = this.series[idx]!;
    (s.hists ??= new Array<FloatHistogram | undefined>(this.n))[i] = h;
    s.has[i] = 1;
  }

  put(labels: Label[], dropName: boolean, i: number, v: number): void {
    const idx = this.index(labels, dropName);
    if (this.hasAt(idx, i)) this.ev.error('vector cannot contain metrics with the same labelset');
    this.set(idx, i, v);
  }
}
