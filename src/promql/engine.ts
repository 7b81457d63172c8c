// PromQL engine entry point: parse, work out which data every selector needs, fetch it all (async), then
// evaluate synchronously (evaluator.ts) and shape the result like Prometheus' HTTP API.
import type { FloatHistogram } from '../model/histogram.js';
import type { Label } from '../model/prometheus.js';
import { SampleLimitError, type Querier, type SeriesColumns } from '../model/storage.js';
import { columnSamples } from '../model/series-columns.js';
import { exprType, walk, type AtModifier, type Expr, type VectorSelector } from './ast.js';
import { Evaluator, PromQLError, tooManySamples, type SelectorData } from './evaluator.js';
import type { EvalValue, InstantSeries } from './values.js';
import { formatFloat } from './format.js';
import { apiHistogram, histogramJson, type ApiHistogram } from './histogram-json.js';
import { dropMetricNameAndMetadata } from './labels.js';
import { compareLabels, labelsKey } from '../model/labels.js';
import { NestingTooDeepError, parseExpr, ParseError } from './parser.js';
import { nextTurn } from './turns.js';
import {
  batchableAggregation,
  evalInSeriesBatches,
  evalRangeInSeriesBatches,
  perSeriesSelector,
  SERIES_BATCH,
} from './series-batches.js';

export { PromQLError } from './evaluator.js';
export type { ErrorType } from './evaluator.js';
export { formatFloat, parseDuration, parseDurationParam, parseTime } from './format.js';

export interface EngineOptions {
  lookbackDeltaMs: number;
  maxSamples: number;
  timeoutMs: number;
  /** Step of subqueries written without one; Prometheus uses the global evaluation interval (default 1m). */
  defaultSubqueryStepMs?: number;
}

export interface QueryOptions {
  lookbackDeltaMs?: number;
  /** Aborted when the client goes away: storage reads and evaluation stop (PromQLError 'canceled'). */
  signal?: AbortSignal;
}

/** One series of a result with raw numbers (timestamps in ms). */
export interface RawSeries {
  labels: Label[];
  timestamps: number[];
  values: number[];
  /** Native histogram points: where histograms[i] is set, point i is that histogram and values[i] means nothing. */
  histograms?: (FloatHistogram | undefined)[];
}

export type RawResult =
  | { resultType: 'vector' | 'matrix'; series: RawSeries[]; warnings: string[]; infos: string[] }
  | { resultType: 'scalar'; time: number; value: number; warnings: string[]; infos: string[] }
  | { resultType: 'string'; time: number; value: string; warnings: string[]; infos: string[] };

export type ApiSample = [number, string];
export type ApiHistogramSample = [number, ApiHistogram];
export type ApiResultData =
  | {
      resultType: 'vector';
      result: { metric: Record<string, string>; value?: ApiSample; histogram?: ApiHistogramSample }[];
    }
  | {
      resultType: 'matrix';
      result: { metric: Record<string, string>; values?: ApiSample[]; histograms?: ApiHistogramSample[] }[];
    }
  | { resultType: 'scalar'; result: ApiSample }
  | { resultType: 'string'; result: [number, string] };

/** A query result in the shape of Prometheus' `/api/v1/query(_range)` `data` (plus annotations). */
export type QueryResult = ApiResultData & { warnings: string[]; infos: string[] };

const DEFAULT_SUBQUERY_STEP_MS = 60_000;

export class Engine {
  constructor(private readonly opts: EngineOptions) {}

  async instantQuery(q: Querier, expr: string | Expr, timeMs: number, opts?: QueryOptions): Promise<QueryResult> {
    return toApiResult(await this.instantQueryRaw(q, expr, timeMs, opts));
  }

  async rangeQuery(
    q: Querier,
    expr: string | Expr,
    startMs: number,
    endMs: number,
    stepMs: number,
    opts?: QueryOptions,
  ): Promise<QueryResult> {
    return toApiResult(await this.rangeQueryRaw(q, expr, startMs, endMs, stepMs, opts));
  }

  /** Like instantQuery, with raw numbers instead of API strings. */
  async instantQueryRaw(q: Querier, expr: string | Expr, timeMs: number, opts?: QueryOptions): Promise<RawResult> {
    const { ast, text } = parse(expr);
    return this.exec(q, ast, text, timeMs, timeMs, 0, opts);
  }

  async rangeQueryRaw(
    q: Querier,
    expr: string | Expr,
    startMs: number,
    endMs: number,
    stepMs: number,
    opts?: QueryOptions,
  ): Promise<RawResult> {
    const { ast, text } = parse(expr);
    const t = exprType(ast);
    if (t !== 'scalar' && t !== 'vector') {
      throw new PromQLError(
        'bad_data',
        `invalid expression type "${t === 'matrix' ? 'range vector' : t}" for range query, must be Scalar or instant Vector`,
      );
    }
    if (!(stepMs > 0))
      throw new PromQLError(
        'bad_data',
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    if (endMs < startMs) throw new PromQLError('bad_data', 'end timestamp must not be before start time');
    return this.exec(q, ast, text, startMs, endMs, stepMs, opts);
  }

  private async exec(
    q: Querier,
    ast: Expr,
    text: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    opts?: QueryOptions,
  ): Promise<RawResult> {
    const deadline = Date.now() + this.opts.timeoutMs;
    const lookbackDeltaMs =
      opts?.lookbackDeltaMs && opts.lookbackDeltaMs > 0 ? opts.lookbackDeltaMs : this.opts.lookbackDeltaMs;
    const n = stepMs > 0 ? Math.floor((endMs - startMs) / stepMs) + 1 : 1;
    if (n > this.opts.maxSamples) throw tooManySamples();
    // One signal stops reads and evaluation, with the reason as the error: the timeout, or the client gone.
    const stop = new AbortController();
    const timer = setTimeout(
      () => stop.abort(new PromQLError('timeout', 'query timed out in query execution')),
      this.opts.timeoutMs,
    );
    const clientGone = () => stop.abort(new PromQLError('canceled', 'query canceled: the client went away'));
    if (opts?.signal?.aborted) clientGone();
    opts?.signal?.addEventListener('abort', clientGone);
    // Every evaluator the query made (one, or one per batch of series): their annotations are the query's.
    const evaluators: Evaluator[] = [];
    let value: EvalValue;
    const times = new Float64Array(n);
    try {
      const fetched = await fetchSelectors(q, ast, startMs, endMs, lookbackDeltaMs, this.opts.maxSamples, stop.signal);
      // Evaluation starts in a turn of its own: not back to back with other queries' slices.
      await nextTurn();
      stop.signal.throwIfAborted();
      if (Date.now() > deadline) throw new PromQLError('timeout', 'query timed out in query execution');
      for (let i = 0; i < n; i++) times[i] = startMs + i * stepMs;
      const evaluatorFor = (data: SelectorData) =>
        new Evaluator(data, {
          startMs,
          endMs,
          stepMs,
          lookbackDeltaMs,
          defaultSubqueryStepMs: this.opts.defaultSubqueryStepMs ?? DEFAULT_SUBQUERY_STEP_MS,
          maxSamples: this.opts.maxSamples,
          fetchedSamples: fetched.samples,
          deadline,
          signal: stop.signal,
          query: text,
        });
      // Over many series of one selector, queries whose series are evaluated each on its own go a batch at a time.
      const batched = n === 1 ? batchableAggregation(ast) : undefined;
      const perSeries = n > 1 ? perSeriesSelector(ast) : undefined;
      const vs = batched?.vs ?? perSeries;
      const input = vs && fetched.data.size === 1 ? fetched.data.get(vs) : undefined;
      const inBatches = input && input.labels.length > SERIES_BATCH && input.histograms === undefined;
      if (inBatches && batched) {
        value = await evalInSeriesBatches(batched.agg, batched.vs, input, times, evaluatorFor, stop.signal, evaluators);
      } else if (inBatches && perSeries) {
        value = await evalRangeInSeriesBatches(
          ast,
          perSeries,
          input,
          times,
          evaluatorFor,
          (ev, t) => evalInSlices(ev, ast, t, sliceSteps(SERIES_BATCH), stop.signal),
          stop.signal,
          evaluators,
          this.opts.maxSamples - fetched.samples,
        );
      } else {
        const ev = evaluatorFor(fetched.data);
        evaluators.push(ev);
        value = await evalInSlices(ev, ast, times, sliceSteps(fetched.series), stop.signal);
      }
    } catch (e) {
      if (e instanceof PromQLError) throw e;
      throw new PromQLError('internal', (e as Error).message);
    } finally {
      clearTimeout(timer);
      opts?.signal?.removeEventListener('abort', clientGone);
    }
    const warnings = [...new Set(evaluators.flatMap((ev) => [...ev.annotations.warnings]))];
    const infos = [...new Set(evaluators.flatMap((ev) => [...ev.annotations.infos]))];
    return shapeResult(value, times, stepMs > 0, definesOrder(ast), warnings, infos);
  }
}

/**
 * Series × steps evaluated between two yields to the event loop. A range query is evaluated a slice of steps at a
 * time (a step's value depends only on its own time), so ingestion and other tenants' queries are served in
 * between. A slice spans at least MIN_SLICE_STEPS steps: each slice repeats the per-series work (label matching,
 * grouping, allocations) once.
 */
const SLICE_POINTS = 1 << 20;
const MIN_SLICE_STEPS = 32;

function sliceSteps(fetchedSeries: number): number {
  return Math.max(MIN_SLICE_STEPS, Math.floor(SLICE_POINTS / Math.max(1, fetchedSeries)));
}

/**
 * Evaluates `ast` a slice of steps at a time, the newest first, copying each into the whole result as it comes: data
 * is mostly recent, so the first slice evaluated (the last step alone) already shows most of the result's series,
 * and the whole result's columns (counted before they are allocated) refuse an oversized query after it.
 */
async function evalInSlices(
  ev: Evaluator,
  ast: Expr,
  times: Float64Array,
  steps: number,
  signal: AbortSignal,
): Promise<EvalValue> {
  const n = times.length;
  if (n <= steps) return ev.eval(ast, times);
  const scalar = new Float64Array(n);
  const series = new Map<string, InstantSeries>();
  let kind: EvalValue['kind'] | undefined;
  // The newest step alone first: the cheapest look at how many series the result will have.
  const bounds: [number, number][] = [[n - 1, n]];
  for (let at = Math.floor((n - 2) / steps) * steps; at >= 0; at -= steps)
    bounds.push([at, Math.min(n - 1, at + steps)]);
  for (const [at, end] of bounds) {
    if (kind) {
      await nextTurn();
      signal.throwIfAborted();
    }
    const part = ev.evalTransient(ast, times.subarray(at, end));
    if (kind && part.kind !== kind) throw new PromQLError('internal', 'slices of different kinds');
    kind = part.kind;
    if (part.kind === 'scalar') scalar.set(part.vals, at);
    else if (part.kind === 'vector') {
      const keys = part.series.map((s) => `${s.dropName ? 1 : 0}${labelsKey(s.labels)}`);
      // The slice's new series, counted at once before any of their columns is allocated.
      ev.reserve(keys.filter((k) => !series.has(k)).length * n);
      part.series.forEach((s, i) => {
        let whole = series.get(keys[i]!);
        if (!whole) {
          whole = { labels: s.labels, vals: new Float64Array(n), has: new Uint8Array(n), dropName: s.dropName };
          series.set(keys[i]!, whole);
        }
        whole.vals.set(s.vals, at);
        whole.has.set(s.has, at);
        if (s.hists) {
          const hists = (whole.hists ??= new Array<FloatHistogram | undefined>(n));
          s.hists.forEach((h, i) => {
            hists[at + i] = h;
          });
        }
      });
    } else throw new PromQLError('internal', `a range query evaluated to a ${part.kind}`);
  }
  return kind === 'scalar' ? { kind, vals: scalar } : { kind: 'vector', series: [...series.values()] };
}

function parse(expr: string | Expr): { ast: Expr; text: string } {
  if (typeof expr !== 'string') return { ast: expr, text: '' };
  try {
    return { ast: parseExpr(expr), text: expr };
  } catch (e) {
    if (e instanceof ParseError)
      throw new PromQLError('bad_data', e.message, e instanceof NestingTooDeepError ? 'too_deep' : undefined);
    throw e;
  }
}

/**
 * Walks the AST to find, for every selector, the sample time range it needs (query range, lookback or range,
 * offset, @, enclosing subqueries), then fetches all of them concurrently.
 */
async function fetchSelectors(
  q: Querier,
  ast: Expr,
  startMs: number,
  endMs: number,
  lookbackMs: number,
  maxSamples: number,
  signal: AbortSignal,
): Promise<{ data: SelectorData; samples: number; series: number }> {
  const wanted: { vs: VectorSelector; mint: number; maxt: number; latestOnly: boolean }[] = [];
  const atTime = (at: AtModifier) => (at.kind === 'time' ? at.ms : at.kind === 'start' ? startMs : endMs);
  const visit = (e: Expr, lo: number, hi: number, rangeMs: number) => {
    switch (e.type) {
      case 'VectorSelector': {
        const t0 = e.at ? atTime(e.at) : lo;
        const t1 = e.at ? atTime(e.at) : hi;
        const span = rangeMs > 0 ? rangeMs : lookbackMs;
        const w = { vs: e, mint: t0 - e.offsetMs - span + 1, maxt: t1 - e.offsetMs };
        // Evaluated at one time (an instant query, or @): only the newest sample in the lookback counts.
        wanted.push({ ...w, latestOnly: rangeMs === 0 && t0 === t1 });
        return;
      }
      case 'MatrixSelector':
        visit(e.vs, lo, hi, e.rangeMs);
        return;
      case 'SubqueryExpr': {
        const t0 = e.at ? atTime(e.at) : lo;
        const t1 = e.at ? atTime(e.at) : hi;
        visit(e.expr, t0 - e.offsetMs - e.rangeMs, t1 - e.offsetMs, 0);
        return;
      }
      case 'ParenExpr':
      case 'UnaryExpr':
        visit(e.expr, lo, hi, 0);
        return;
      case 'BinaryExpr':
        visit(e.lhs, lo, hi, 0);
        visit(e.rhs, lo, hi, 0);
        return;
      case 'AggregateExpr':
        if (e.param) visit(e.param, lo, hi, 0);
        visit(e.expr, lo, hi, 0);
        return;
      case 'Call':
        for (const a of e.args) visit(a, lo, hi, 0);
        return;
      default:
        return;
    }
  };
  visit(ast, startMs, endMs, 0);
  // One selector after the other, each with what is left of the sample limit: a read over it is refused before
  // it decodes its samples.
  const data: SelectorData = new Map();
  let samples = 0;
  let seriesCount = 0;
  for (const w of wanted) {
    let series: SeriesColumns;
    try {
      // Unsorted: the engine orders what it answers (shapeResult).
      series = await q.select(w.vs.matchers, w.mint, w.maxt, {
        signal,
        // The read's batches take turns with other queries' slices, one per turn of the loop.
        pause: nextTurn,
        maxSamples: maxSamples - samples,
        sorted: false,
        latestOnly: w.latestOnly,
      });
    } catch (e) {
      if (e instanceof SampleLimitError) throw tooManySamples();
      throw e;
    }
    samples += columnSamples(series);
    seriesCount += series.labels.length;
    // Everything fetched is held in memory during evaluation (a Querier may ignore the hint).
    if (samples > maxSamples) throw tooManySamples();
    data.set(w.vs, series);
  }
  return { data, samples, series: seriesCount };
}

/** Functions and aggregations whose instant-vector result is in an order of their own, kept in the answer. */
const ORDERING = new Set(['sort', 'sort_desc', 'sort_by_label', 'sort_by_label_desc', 'topk', 'bottomk', 'limitk']);

function definesOrder(ast: Expr): boolean {
  let found = false;
  walk(ast, (e) => {
    if ((e.type === 'Call' && ORDERING.has(e.func.name)) || (e.type === 'AggregateExpr' && ORDERING.has(e.op)))
      found = true;
  });
  return found;
}

/**
 * The result as the API answers it: matrices by labels; an instant vector in the order a sort, topk, bottomk or
 * limitk in the query gave it, otherwise by labels (storage reads come in any order).
 */
function shapeResult(
  value: EvalValue,
  times: Float64Array,
  isRange: boolean,
  ordered: boolean,
  warnings: string[],
  infos: string[],
): RawResult {
  const n = times.length;
  switch (value.kind) {
    case 'string':
      if (isRange)
        throw new PromQLError(
          'bad_data',
          'invalid expression type "string" for range query, must be Scalar or instant Vector',
        );
      return { resultType: 'string', time: times[0]!, value: value.val, warnings, infos };
    case 'scalar':
      if (!isRange) return { resultType: 'scalar', time: times[0]!, value: value.vals[0]!, warnings, infos };
      return {
        resultType: 'matrix',
        series: [{ labels: [], timestamps: Array.from(times), values: Array.from(value.vals) }],
        warnings,
        infos,
      };
    case 'matrix': {
      const series = value.series.map((s) => ({
        labels: s.dropName ? dropMetricNameAndMetadata(s.labels) : s.labels,
        ...mergedPoints(s.ts.subarray(s.from, s.to), s.vals.subarray(s.from, s.to), s.histograms),
      }));
      checkDuplicates(series);
      series.sort((a, b) => compareLabels(a.labels, b.labels));
      return { resultType: 'matrix', series, warnings, infos };
    }
    case 'vector': {
      const series: RawSeries[] = [];
      for (const s of value.series) {
        const labels = s.dropName ? dropMetricNameAndMetadata(s.labels) : s.labels;
        const timestamps: number[] = [];
        const values: number[] = [];
        const hists = s.hists;
        let histograms: (FloatHistogram | undefined)[] | undefined;
        for (let i = 0; i < n; i++) {
          if (s.has[i]) {
            if (hists?.[i])
              (histograms ??= new Array<FloatHistogram | undefined>(timestamps.length))[timestamps.length] = hists[i];
            timestamps.push(times[i]!);
            values.push(s.vals[i]!);
          }
        }
        if (histograms) histograms.length = timestamps.length;
        if (timestamps.length > 0)
          series.push(histograms ? { labels, timestamps, values, histograms } : { labels, timestamps, values });
      }
      checkDuplicates(series);
      if (!isRange && ordered) return { resultType: 'vector', series, warnings, infos };
      series.sort((a, b) => compareLabels(a.labels, b.labels));
      return { resultType: isRange ? 'matrix' : 'vector', series, warnings, infos };
    }
  }
}

/** A range vector's float and histogram samples as one list of points in time order. */
function mergedPoints(
  ts: Float64Array,
  vals: Float64Array,
  hs: { timestamps: Float64Array; values: FloatHistogram[] } | undefined,
): { timestamps: number[]; values: number[]; histograms?: (FloatHistogram | undefined)[] } {
  if (!hs || hs.timestamps.length === 0) return { timestamps: Array.from(ts), values: Array.from(vals) };
  const timestamps: number[] = [];
  const values: number[] = [];
  const histograms: (FloatHistogram | undefined)[] = [];
  let i = 0;
  let k = 0;
  while (i < ts.length || k < hs.timestamps.length) {
    if (k >= hs.timestamps.length || (i < ts.length && ts[i]! < hs.timestamps[k]!)) {
      timestamps.push(ts[i]!);
      values.push(vals[i++]!);
      histograms.push(undefined);
    } else {
      timestamps.push(hs.timestamps[k]!);
      values.push(0);
      histograms.push(hs.values[k++]);
    }
  }
  return { timestamps, values, histograms };
}

function checkDuplicates(series: RawSeries[]): void {
  const seen = new Set<string>();
  for (const s of series) {
    const k = labelsKey(s.labels);
    if (seen.has(k)) throw new PromQLError('execution', 'vector cannot contain metrics with the same labelset');
    seen.add(k);
  }
}

function metricObject(labels: Label[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const l of labels) m[l.name] = l.value;
  return m;
}

export function toApiResult(r: RawResult): QueryResult {
  const base = { warnings: r.warnings, infos: r.infos };
  switch (r.resultType) {
    case 'scalar':
      return { resultType: 'scalar', result: [r.time / 1000, formatFloat(r.value)], ...base };
    case 'string':
      return { resultType: 'string', result: [r.time / 1000, r.value], ...base };
    case 'vector':
      return {
        resultType: 'vector',
        result: r.series.map((s) => {
          const h = s.histograms?.[0];
          const t = s.timestamps[0]! / 1000;
          if (h) return { metric: metricObject(s.labels), histogram: [t, apiHistogram(h)] as ApiHistogramSample };
          return { metric: metricObject(s.labels), value: [t, formatFloat(s.values[0]!)] as ApiSample };
        }),
        ...base,
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: r.series.map((s) => {
          if (!s.histograms)
            return {
              metric: metricObject(s.labels),
              values: s.timestamps.map((t, i) => [t / 1000, formatFloat(s.values[i]!)] as ApiSample),
            };
          const out: { metric: Record<string, string>; values?: ApiSample[]; histograms?: ApiHistogramSample[] } = {
            metric: metricObject(s.labels),
          };
          const values: ApiSample[] = [];
          const histograms: ApiHistogramSample[] = [];
          s.timestamps.forEach((t, i) => {
            const h = s.histograms![i];
            if (h) histograms.push([t / 1000, apiHistogram(h)]);
            else values.push([t / 1000, formatFloat(s.values[i]!)]);
          });
          if (values.length > 0) out.values = values;
          if (histograms.length > 0) out.histograms = histograms;
          return out;
        }),
        ...base,
      };
  }
}

function metricJson(labels: Label[]): string {
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ',';
    out += `${JSON.stringify(labels[i]!.name)}:${JSON.stringify(labels[i]!.value)}`;
  }
  return `${out}}`;
}

/**
 * The JSON text of `data` for `/api/v1/query(_range)` (`{"resultType":...,"result":...}`), written directly:
 * for large matrices this avoids building millions of [time, "value"] pairs only to stringify them.
 */
export function queryResultJson(r: RawResult): string {
  switch (r.resultType) {
    case 'scalar':
      return `{"resultType":"scalar","result":[${r.time / 1000},"${formatFloat(r.value)}"]}`;
    case 'string':
      return `{"resultType":"string","result":[${r.time / 1000},${JSON.stringify(r.value)}]}`;
    case 'vector': {
      const parts = r.series.map((s) => {
        const h = s.histograms?.[0];
        const t = s.timestamps[0]! / 1000;
        if (h) return `{"metric":${metricJson(s.labels)},"histogram":[${t},${histogramJson(h)}]}`;
        return `{"metric":${metricJson(s.labels)},"value":[${t},"${formatFloat(s.values[0]!)}"]}`;
      });
      return `{"resultType":"vector","result":[${parts.join(',')}]}`;
    }
    case 'matrix': {
      const parts: string[] = [];
      for (const s of r.series) {
        if (s.histograms) {
          parts.push(seriesWithHistogramsJson(s));
          continue;
        }
        const points: string[] = new Array(s.timestamps.length);
        for (let i = 0; i < points.length; i++)
          points[i] = `[${s.timestamps[i]! / 1000},"${formatFloat(s.values[i]!)}"]`;
        parts.push(`{"metric":${metricJson(s.labels)},"values":[${points.join(',')}]}`);
      }
      return `{"resultType":"matrix","result":[${parts.join(',')}]}`;
    }
  }
}

/** A matrix series holding histograms: `values` for its floats and `histograms` for the rest, each only if any. */
function seriesWithHistogramsJson(s: RawSeries): string {
  const floats: string[] = [];
  const histograms: string[] = [];
  for (let i = 0; i < s.timestamps.length; i++) {
    const h = s.histograms?.[i];
    const t = s.timestamps[i]! / 1000;
    if (h) histograms.push(`[${t},${histogramJson(h)}]`);
    else floats.push(`[${t},"${formatFloat(s.values[i]!)}"]`);
  }
  let out = `{"metric":${metricJson(s.labels)}`;
  if (floats.length > 0) out += `,"values":[${floats.join(',')}]`;
  if (histograms.length > 0) out += `,"histograms":[${histograms.join(',')}]`;
  return `${out}}`;
}
