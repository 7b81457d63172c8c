// Queries evaluated a batch of input series at a time. A range query yields between slices of steps, but each slice
// spans every series, and an instant query has one step: over a million series either holds the event loop for a
// whole pass. When the query is an aggregation whose partial results merge exactly (count, count_values, min, max,
// group) over one selector whose series are each evaluated on their own, or such a per-series expression itself (a
// range query of rate(x[1m])), the selector's series are split into batches, each evaluated on its own, and the
// results merged: the loop is given back between two batches.
import type { SeriesColumns } from '../model/storage.js';
import { sliceColumns } from '../model/series-columns.js';
import { labelsKey } from '../model/labels.js';
import type { AggregateExpr, Expr, VectorSelector } from './ast.js';
import { tooManySamples, type Evaluator, type SelectorData } from './evaluator.js';
import { METRIC_NAME } from './labels.js';
import { nextTurn } from './turns.js';
import type { EvalValue, InstantSeries } from './values.js';

/** Input series of one batch: a few milliseconds of evaluation. */
export const SERIES_BATCH = 4096;

/** How each aggregation merges two partial values of the same output series. */
const MERGE: Partial<Record<AggregateExpr['op'], (a: number, b: number) => number>> = {
  count: (a, b) => a + b,
  count_values: (a, b) => a + b,
  group: () => 1,
  // As the aggregation itself: a NaN is replaced by any number.
  min: (a, b) => (b < a || Number.isNaN(a) ? b : a),
  max: (a, b) => (b > a || Number.isNaN(a) ? b : a),
};

/** Range-vector functions whose value for a series depends on that series' samples alone. */
const PER_SERIES_RANGE = new Set([
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'count_over_time',
  'sum_over_time',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'last_over_time',
]);
/** Instant-vector functions of one argument computed value by value. */
const PER_SERIES_INSTANT = new Set(['abs', 'ceil', 'floor', 'sqrt', 'exp', 'ln', 'log2', 'log10']);

/** The selector under a chain of per-series steps, or undefined when `e` is anything else. */
export function perSeriesSelector(e: Expr): VectorSelector | undefined {
  switch (e.type) {
    case 'VectorSelector':
      return e;
    case 'ParenExpr':
      return perSeriesSelector(e.expr);
    case 'Call': {
      const [arg, ...rest] = e.args;
      if (!arg || rest.length > 0) return undefined;
      if (PER_SERIES_RANGE.has(e.func.name) && arg.type === 'MatrixSelector') return arg.vs;
      if (PER_SERIES_INSTANT.has(e.func.name)) return perSeriesSelector(arg);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The aggregation and its selector when `ast` can be evaluated in batches of series; undefined otherwise. */
export function batchableAggregation(ast: Expr): { agg: AggregateExpr; vs: VectorSelector } | undefined {
  const agg = ast.type === 'ParenExpr' ? ast.expr : ast;
  if (agg.type !== 'AggregateExpr' || MERGE[agg.op] === undefined) return undefined;
  // The output's name handling differs when the name is a grouping label: left to the whole evaluation.
  if (agg.grouping.includes(METRIC_NAME)) return undefined;
  const vs = perSeriesSelector(agg.expr);
  return vs && { agg, vs };
}

/**
 * Evaluates `agg` at the single time of `times` over `series` (the selector `vs`'s data) a batch at a time, each
 * batch with an evaluator of its own from `evaluatorFor`, taking a turn of the event loop between two.
 */
export async function evalInSeriesBatches(
  agg: AggregateExpr,
  vs: VectorSelector,
  series: SeriesColumns,
  times: Float64Array,
  evaluatorFor: (data: SelectorData) => Evaluator,
  signal: AbortSignal,
  evaluators: Evaluator[],
): Promise<EvalValue> {
  const merge = MERGE[agg.op]!;
  const out = new Map<string, InstantSeries>();
  const count = series.labels.length;
  for (let from = 0; from < count; from += SERIES_BATCH) {
    if (from > 0) await turn(signal);
    const ev = evaluatorFor(new Map([[vs, sliceColumns(series, from, Math.min(count, from + SERIES_BATCH))]]));
    evaluators.push(ev);
    for (const s of vectorOf(ev.evalTransient(agg, times))) {
      if (!s.has[0]) continue;
      const key = `${s.dropName ? 1 : 0}${labelsKey(s.labels)}`;
      const have = out.get(key);
      if (have) have.vals[0] = merge(have.vals[0]!, s.vals[0]!);
      else out.set(key, s);
    }
  }
  return { kind: 'vector', series: [...out.values()] };
}

/**
 * Evaluates `ast`, a per-series expression of `vs` (perSeriesSelector), at every time of `times` over `series` a
 * batch at a time, each batch by `evalAllSteps` with an evaluator of its own. First the newest step of every batch,
 * counting the series the result will hold, so that a result over `pointsLeft` is refused before any series is
 * evaluated over all steps; then every batch over all steps, their points counted as they come.
 */
export async function evalRangeInSeriesBatches(
  ast: Expr,
  vs: VectorSelector,
  series: SeriesColumns,
  times: Float64Array,
  evaluatorFor: (data: SelectorData) => Evaluator,
  evalAllSteps: (ev: Evaluator, times: Float64Array) => Promise<EvalValue>,
  signal: AbortSignal,
  evaluators: Evaluator[],
  pointsLeft: number,
): Promise<EvalValue> {
  const n = times.length;
  const batches: Evaluator[] = [];
  const count = series.labels.length;
  for (let from = 0; from < count; from += SERIES_BATCH)
    batches.push(evaluatorFor(new Map([[vs, sliceColumns(series, from, Math.min(count, from + SERIES_BATCH))]])));
  evaluators.push(...batches);
  let visible = 0;
  for (let b = 0; b < batches.length; b++) {
    if (b > 0) await turn(signal);
    visible += vectorOf(batches[b]!.evalTransient(ast, times.subarray(n - 1))).length;
    if (visible * n > pointsLeft) throw tooManySamples();
  }
  const out: InstantSeries[] = [];
  for (const ev of batches) {
    await turn(signal);
    for (const s of vectorOf(await evalAllSteps(ev, times))) out.push(s);
    if (out.length * n > pointsLeft) throw tooManySamples();
  }
  return { kind: 'vector', series: out };
}

function vectorOf(v: EvalValue): InstantSeries[] {
  if (v.kind !== 'vector') throw new Error(`a per-series expression evaluated to a ${v.kind}`);
  return v.series;
}

/** A later turn of the event loop (taken in turn with other queries), then stops if the query was aborted. */
async function turn(signal: AbortSignal): Promise<void> {
  await nextTurn();
  signal.throwIfAborted();
}
