// The PromQL evaluator: evaluates an AST over a set of step times at once, column-wise. Every instant-vector value
// is a list of series, each holding one value slot per step (Float64Array) plus a presence mask, so per-step work
// is array indexing, and label work (matching signatures, grouping keys) happens once per series, not per step.
// Semantics follow Prometheus 3.5 (promql/engine.go) with delayed __name__ removal, as its test suite runs it.
import type { Label } from '../model/prometheus.js';
import type { SeriesData } from '../model/storage.js';
import {
  exprType, unwrapParens,
  type AggregateExpr, type AtModifier, type BinaryExpr, type BinaryOp, type Call, type Expr, type MatrixSelector,
  type PosRange, type SubqueryExpr, type VectorMatching, type VectorSelector,
} from './ast.js';
import { formatFloatPlain } from './format.js';
import {
  dropLabel, dropMetricNameAndMetadata, formatLabels, getLabel, isValidLabelName, METRIC_NAME, setLabel,
} from './labels.js';
import { ReplaceRegexp } from '../model/regexp.js';
import { compareLabels, labelsKey } from '../model/labels.js';
import { isComparisonOp, positionString } from './parser.js';
import { isStaleAt } from './staleness.js';
import { almostEqual, FunctionError, kahanSumInc, quantileOf, RANGE_KERNELS } from './range-functions.js';

export type ErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'too_many_samples' | 'internal' | 'unavailable';

export class PromQLError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'PromQLError';
  }
}

export interface InstantSeries {
  labels: Label[];
  vals: Float64Array;
  /** 1 where the series has a value at that step. */
  has: Uint8Array;
  /** Delayed __name__ removal: drop the name when the query finishes. */
  dropName: boolean;
}

export interface RangeSeries {
  labels: Label[];
  ts: Float64Array;
  vals: Float64Array;
  dropName: boolean;
}

export type EvalValue =
  | { kind: 'scalar'; vals: Float64Array }
  | { kind: 'vector'; series: InstantSeries[] }
  | { kind: 'matrix'; series: RangeSeries[] }
  | { kind: 'string'; val: string };

export interface EvalOptions {
  startMs: number;
  endMs: number;
  stepMs: number;
  lookbackDeltaMs: number;
  /** Step of subqueries without one (Prometheus: the global evaluation interval). */
  defaultSubqueryStepMs: number;
  maxSamples: number;
  deadline: number;
  query: string;
}

export interface Annotations {
  warnings: Set<string>;
  infos: Set<string>;
}

const EMPTY_LABELS: Label[] = [];

/** Selector data as fetched, keyed by selector node. */
export type SelectorData = Map<VectorSelector, SeriesData[]>;

export class Evaluator {
  readonly annotations: Annotations = { warnings: new Set(), infos: new Set() };
  private currentSamples = 0;
  private checkCounter = 0;

  constructor(
    private readonly data: SelectorData,
    private readonly opts: EvalOptions,
  ) {}

  // ---- infrastructure ----

  error(msg: string): never {
    throw new PromQLError('execution', msg);
  }

  private checkTimeout(): void {
    if ((++this.checkCounter & 255) === 0 && Date.now() > this.opts.deadline) {
      throw new PromQLError('timeout', 'query timed out in expression evaluation');
    }
  }

  private info(msg: string, pos: PosRange): void {
    this.annotations.infos.add(`PromQL info: ${msg} (${positionString(this.opts.query, pos.start)})`);
  }

  private warn(msg: string, pos: PosRange): void {
    this.annotations.warnings.add(`PromQL warning: ${msg} (${positionString(this.opts.query, pos.start)})`);
  }

  private addSamples(n: number): void {
    this.currentSamples += n;
    this.checkSamples(0);
  }

  /** Fails when the values alive now plus `extra` transient samples exceed the limit. */
  private checkSamples(extra: number): void {
    if (this.currentSamples + extra > this.opts.maxSamples) {
      throw new PromQLError('too_many_samples', 'query processing would load too many samples into memory in query execution');
    }
  }

  private checkQuantiles(q: Float64Array, pos: PosRange): void {
    for (const x of q) {
      if (Number.isNaN(x) || x < 0 || x > 1) this.warn(`quantile value should be between 0 and 1, got ${goFloatG(x)}`, pos);
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
    this.currentSamples = before;
    this.addSamples(pointCount(v));
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
          const lo = upperBound(s.ts, end - arg.rangeMs);
          const hi = upperBound(s.ts, end);
          if (hi > lo) out.push({ labels: s.labels, ts: s.ts.slice(lo, hi), vals: s.vals.slice(lo, hi), dropName: s.dropName });
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
          series: v.series.map((s) => ({ labels: s.labels, vals: s.vals.map((x) => -x), has: s.has, dropName: true })),
        };
      }
      case 'BinaryExpr':
        return this.binary(e, times);
      case 'AggregateExpr':
        return this.aggregate(e, times);
      case 'Call':
        return this.call(e, times);
    }
  }

  private vector(e: Expr, times: Float64Array): InstantSeries[] {
    const v = this.eval(e, times);
    if (v.kind !== 'vector') this.error(`expected instant vector, got ${v.kind}`);
    return v.series;
  }

  private scalar(e: Expr, times: Float64Array): Float64Array {
    const v = this.eval(e, times);
    if (v.kind !== 'scalar') this.error(`expected scalar, got ${v.kind}`);
    return v.vals;
  }

  // ---- selectors ----

  /**
   * The value of each series at each step: its last sample at or before the step time (after @ and offset) that is
   * less than the lookback delta old and not a staleness marker. With `sampleTimes`, the value is the sample's own
   * timestamp in seconds instead (timestamp(), whose result drops the name).
   */
  private vectorSelector(vs: VectorSelector, times: Float64Array, sampleTimes = false): InstantSeries[] {
    const data = this.data.get(vs) ?? [];
    const n = times.length;
    const lookback = this.opts.lookbackDeltaMs;
    const fixed = vs.at ? this.atTime(vs.at) : null;
    const out: InstantSeries[] = [];
    for (const s of data) {
      this.checkTimeout();
      const ts = s.timestamps;
      const values = s.values;
      let vals: Float64Array | null = null;
      let has: Uint8Array | null = null;
      let j = -1; // index of the last sample at or before the reference time; times never decrease
      for (let i = 0; i < n; i++) {
        const ref = (fixed ?? times[i]!) - vs.offsetMs;
        while (j + 1 < ts.length && ts[j + 1]! <= ref) j++;
        if (j < 0 || ts[j]! <= ref - lookback) continue;
        const v = values[j]!;
        if (v !== v && isStaleAt(values, j)) continue;
        if (!vals) {
          vals = new Float64Array(n);
          has = new Uint8Array(n);
        }
        vals[i] = sampleTimes ? ts[j]! / 1000 : v;
        has![i] = 1;
      }
      if (vals) out.push({ labels: s.labels, vals, has: has!, dropName: sampleTimes });
    }
    return out;
  }

  /**
   * A range-vector argument: per series its samples (stale markers removed), plus for each step the end of the
   * window (ms). The window of step i is (windowEnds[i] - rangeMs, windowEnds[i]].
   */
  private rangeArg(e: MatrixSelector | SubqueryExpr, times: Float64Array): { series: RangeSeries[]; windowEnds: Float64Array; rangeMs: number } {
    const n = times.length;
    const at = e.type === 'MatrixSelector' ? e.vs.at : e.at;
    const offset = e.type === 'MatrixSelector' ? e.vs.offsetMs : e.offsetMs;
    const fixed = at ? this.atTime(at) : null;
    const windowEnds = new Float64Array(n);
    for (let i = 0; i < n; i++) windowEnds[i] = (fixed ?? times[i]!) - offset;
    if (e.type === 'MatrixSelector') {
      const series = (this.data.get(e.vs) ?? []).map((s) => withoutStaleMarkers(s));
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
        const ts = new Float64Array(m);
        const vals = new Float64Array(m);
        let k = 0;
        for (let i = 0; i < count; i++) {
          if (s.has[i]) {
            ts[k] = innerTimes[i]!;
            vals[k++] = s.vals[i]!;
          }
        }
        // The inner expression's delayed name removal carries through the subquery (rate(x[5m])[10m:1m] has no name).
        series.push({ labels: s.labels, ts, vals, dropName: s.dropName });
      }
    }
    return { series, windowEnds, rangeMs: e.rangeMs };
  }

  // ---- function calls ----

  private call(e: Call, times: Float64Array): EvalValue {
    const name = e.func.name;
    const n = times.length;
    const args = e.args.map(unwrapParens);
    switch (name) {
      case 'time':
        return { kind: 'scalar', vals: Float64Array.from(times, (t) => t / 1000) };
      case 'pi':
        return { kind: 'scalar', vals: new Float64Array(n).fill(Math.PI) };
      case 'scalar': {
        const vec = this.vector(args[0]!, times);
        const vals = new Float64Array(n).fill(NaN);
        for (let i = 0; i < n; i++) {
          let found = 0;
          for (const s of vec) {
            if (s.has[i]) {
              found++;
              vals[i] = s.vals[i]!;
            }
          }
          if (found !== 1) vals[i] = NaN;
        }
        return { kind: 'scalar', vals };
      }
      case 'vector': {
        const vals = this.scalar(args[0]!, times);
        return { kind: 'vector', series: [{ labels: EMPTY_LABELS, vals, has: new Uint8Array(n).fill(1), dropName: false }] };
      }
      case 'timestamp': {
        const a = args[0]!;
        if (a.type === 'VectorSelector') return { kind: 'vector', series: this.vectorSelector(a, times, true) };
        const vec = this.vector(a, times);
        return { kind: 'vector', series: vec.map((s) => ({ labels: s.labels, vals: Float64Array.from(times, (t) => t / 1000), has: s.has, dropName: true })) };
      }
      case 'absent': {
        const vec = this.vector(args[0]!, times);
        const has = new Uint8Array(n).fill(1);
        for (const s of vec) for (let i = 0; i < n; i++) if (s.has[i]) has[i] = 0;
        if (!has.some((x) => x)) return { kind: 'vector', series: [] };
        return { kind: 'vector', series: [{ labels: absentLabels(args[0]!), vals: new Float64Array(n).fill(1), has, dropName: false }] };
      }
      case 'label_replace':
        return { kind: 'vector', series: this.labelReplace(e, times) };
      case 'label_join':
        return { kind: 'vector', series: this.labelJoin(e, times) };
      case 'sort':
      case 'sort_desc':
      case 'sort_by_label':
      case 'sort_by_label_desc':
        return { kind: 'vector', series: this.sortCall(e, times) };
      case 'histogram_quantile':
      case 'histogram_fraction':
        return { kind: 'vector', series: this.histogramQuantile(e, times) };
      case 'histogram_avg':
      case 'histogram_count':
      case 'histogram_sum':
      case 'histogram_stddev':
      case 'histogram_stdvar':
        // These read native histogram samples only, which promdog does not store yet.
        throw new PromQLError('execution', `native histograms are not supported yet: ${name}() needs native histogram samples`);
    }
    const kernel = RANGE_KERNELS.get(name);
    if (kernel || name === 'absent_over_time') return { kind: 'vector', series: this.rangeCall(e, times) };
    return { kind: 'vector', series: this.simpleCall(e, times) };
  }

  private simpleCall(e: Call, times: Float64Array): InstantSeries[] {
    const name = e.func.name;
    const n = times.length;
    const args = e.args;
    const dateFn = DATE_FUNCTIONS.get(name);
    if (dateFn && args.length === 0) {
      return [{ labels: EMPTY_LABELS, vals: Float64Array.from(times, (t) => dateFn(new Date(Math.trunc(t / 1000) * 1000))), has: new Uint8Array(n).fill(1), dropName: false }];
    }
    const vec = this.vector(args[0]!, times);
    let f: (v: number, i: number) => number;
    if (dateFn) {
      f = (v) => (Number.isFinite(v) ? dateFn(new Date(Math.trunc(v) * 1000)) : NaN);
      // Go's time.Unix(int64(NaN/Inf)) yields an arbitrary date; Prometheus answers garbage there, we answer NaN.
    } else {
      switch (name) {
        case 'clamp': {
          const lo = this.scalar(args[1]!, times);
          const hi = this.scalar(args[2]!, times);
          return this.mapSeries(vec, (v, i) => Math.max(lo[i]!, Math.min(hi[i]!, v)), (i) => !(hi[i]! < lo[i]!));
        }
        case 'clamp_min': {
          const lo = this.scalar(args[1]!, times);
          f = (v, i) => Math.max(lo[i]!, v);
          break;
        }
        case 'clamp_max': {
          const hi = this.scalar(args[1]!, times);
          f = (v, i) => Math.min(hi[i]!, v);
          break;
        }
        case 'round': {
          const to = args.length > 1 ? this.scalar(args[1]!, times) : null;
          f = (v, i) => {
            const inv = 1 / (to ? to[i]! : 1);
            return Math.floor(v * inv + 0.5) / inv;
          };
          break;
        }
        default: {
          const m = MATH_FUNCTIONS.get(name);
          if (!m) this.error(`function "${name}" is not supported`);
          f = m;
        }
      }
    }
    return this.mapSeries(vec, f);
  }

  private mapSeries(vec: InstantSeries[], f: (v: number, i: number) => number, keepStep?: (i: number) => boolean): InstantSeries[] {
    const out: InstantSeries[] = [];
    for (const s of vec) {
      const n = s.vals.length;
      const vals = new Float64Array(n);
      let has = s.has;
      if (keepStep) {
        has = new Uint8Array(n);
        for (let i = 0; i < n; i++) has[i] = s.has[i]! && keepStep(i) ? 1 : 0;
        if (!has.some((x) => x)) continue;
      }
      for (let i = 0; i < n; i++) if (has[i]) vals[i] = f(s.vals[i]!, i);
      out.push({ labels: s.labels, vals, has, dropName: true });
    }
    return out;
  }

  private rangeCall(e: Call, times: Float64Array): InstantSeries[] {
    const name = e.func.name;
    const n = times.length;
    const rangeIdx = e.func.argTypes.indexOf('matrix');
    const rangeExpr = unwrapParens(e.args[rangeIdx]!) as MatrixSelector | SubqueryExpr;
    const scalarArgs = e.args.filter((_, i) => i !== rangeIdx).map((a) => this.scalar(a, times));
    const arg = this.rangeArg(rangeExpr, times);
    const kernel = RANGE_KERNELS.get(name);
    const dropName = name !== 'last_over_time';
    const out: InstantSeries[] = [];
    const scalars = new Array<number>(scalarArgs.length);
    const ctx = { t: 0, windowEnd: 0, rangeMs: arg.rangeMs, scalars };
    const windowHasSamples = new Uint8Array(n);
    if (name === 'quantile_over_time') this.checkQuantiles(scalarArgs[0]!, e.args[0]!.pos);
    for (const s of arg.series) {
      this.checkTimeout();
      let vals: Float64Array | null = null;
      let has: Uint8Array | null = null;
      let lo = 0;
      let hi = 0;
      const ts = s.ts;
      for (let i = 0; i < n; i++) {
        const end = arg.windowEnds[i]!;
        const start = end - arg.rangeMs;
        while (hi < ts.length && ts[hi]! <= end) hi++;
        while (lo < hi && ts[lo]! <= start) lo++;
        if (hi <= lo) continue;
        windowHasSamples[i] = 1;
        if (!kernel) continue;
        this.checkSamples(hi - lo);
        ctx.t = times[i]!;
        ctx.windowEnd = end;
        for (let k = 0; k < scalars.length; k++) scalars[k] = scalarArgs[k]![i]!;
        let r: number | undefined;
        try {
          r = kernel(ts, s.vals, lo, hi, ctx);
        } catch (err) {
          if (err instanceof FunctionError) this.error(err.message);
          throw err;
        }
        if (r === undefined) continue;
        if (!vals) {
          vals = new Float64Array(n);
          has = new Uint8Array(n);
        }
        vals[i] = r;
        has![i] = 1;
      }
      if (vals) {
        out.push({ labels: s.labels, vals, has: has!, dropName: dropName || s.dropName });
        if (name === 'rate' || name === 'increase') {
          const metric = getLabel(s.labels, METRIC_NAME);
          if (metric !== '' && !/(_total|_sum|_count|_bucket)$/.test(metric)) {
            this.info(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(metric)}`, e.args[0]!.pos);
          }
        }
      }
    }
    if (name === 'absent_over_time') {
      const has = new Uint8Array(n);
      for (let i = 0; i < n; i++) has[i] = windowHasSamples[i] ? 0 : 1;
      if (!has.some((x) => x)) return [];
      return [{ labels: absentLabels(rangeExpr), vals: new Float64Array(n).fill(1), has, dropName: true }];
    }
    return out;
  }

  private stringArg(e: Expr): string {
    const u = unwrapParens(e);
    if (u.type !== 'StringLiteral') this.error('expected a string literal');
    return u.val;
  }

  private labelReplace(e: Call, times: Float64Array): InstantSeries[] {
    const dst = this.stringArg(e.args[1]!);
    const repl = this.stringArg(e.args[2]!);
    const src = this.stringArg(e.args[3]!);
    const regexStr = this.stringArg(e.args[4]!);
    let re: ReplaceRegexp;
    try {
      re = new ReplaceRegexp(regexStr);
    } catch {
      this.error(`invalid regular expression in label_replace(): ${regexStr}`);
    }
    if (!isValidLabelName(dst)) this.error(`invalid destination label name in label_replace(): ${dst}`);
    const vec = this.vector(e.args[0]!, times);
    const out = vec.map((s) => {
      const value = re.replace(getLabel(s.labels, src), repl);
      if (value === undefined) return s;
      return { labels: setLabel(s.labels, dst, value), vals: s.vals, has: s.has, dropName: dst === METRIC_NAME ? false : s.dropName };
    });
    this.checkUniqueLabelsets(out);
    return out;
  }

  private labelJoin(e: Call, times: Float64Array): InstantSeries[] {
    const dst = this.stringArg(e.args[1]!);
    const sep = this.stringArg(e.args[2]!);
    const srcs = e.args.slice(3).map((a) => this.stringArg(a));
    for (const s of srcs) if (!isValidLabelName(s)) this.error(`invalid source label name in label_join(): ${s}`);
    if (!isValidLabelName(dst)) this.error(`invalid destination label name in label_join(): ${dst}`);
    const vec = this.vector(e.args[0]!, times);
    const out = vec.map((s) => ({
      labels: setLabel(s.labels, dst, srcs.map((l) => getLabel(s.labels, l)).join(sep)),
      vals: s.vals,
      has: s.has,
      dropName: dst === METRIC_NAME ? false : s.dropName,
    }));
    this.checkUniqueLabelsets(out);
    return out;
  }

  private checkUniqueLabelsets(vec: InstantSeries[]): void {
    const seen = new Set<string>();
    for (const s of vec) {
      const k = labelsKey(s.labels);
      if (seen.has(k)) this.error('vector cannot contain metrics with the same labelset');
      seen.add(k);
    }
  }

  private sortCall(e: Call, times: Float64Array): InstantSeries[] {
    const vec = this.vector(e.args[0]!, times);
    if (times.length !== 1) return vec; // Range results are sorted by labels anyway.
    const name = e.func.name;
    if (name === 'sort' || name === 'sort_desc') {
      const desc = name === 'sort_desc';
      return [...vec].sort((a, b) => {
        const x = a.vals[0]!;
        const y = b.vals[0]!;
        const xn = Number.isNaN(x);
        const yn = Number.isNaN(y);
        if (xn || yn) return xn === yn ? 0 : xn ? 1 : -1; // NaN last either way.
        return desc ? y - x : x - y;
      });
    }
    const labels = e.args.slice(1).map((a) => this.stringArg(a));
    const desc = name === 'sort_by_label_desc';
    return [...vec].sort((a, b) => {
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
  }

  /** histogram_quantile / histogram_fraction over classic `le` buckets. */
  private histogramQuantile(e: Call, times: Float64Array): InstantSeries[] {
    const n = times.length;
    const isFraction = e.func.name === 'histogram_fraction';
    const q = isFraction ? null : this.scalar(e.args[0]!, times);
    const lower = isFraction ? this.scalar(e.args[0]!, times) : null;
    const upper = isFraction ? this.scalar(e.args[1]!, times) : null;
    const vecArg = e.args[isFraction ? 2 : 1]!;
    const vec = this.vector(vecArg, times);
    if (q) this.checkQuantiles(q, e.args[0]!.pos);
    // Group bucket series by their labels without `le`.
    const groups = new Map<string, { labels: Label[]; members: { s: InstantSeries; le: number }[] }>();
    for (const s of vec) {
      const leStr = getLabel(s.labels, 'le');
      const le = parseGoFloat(leStr);
      if (le === null) {
        if (s.has.some((x) => x)) {
          this.warn(`bucket label "le" is missing or has a malformed value of ${JSON.stringify(leStr)} for metric name ${JSON.stringify(getLabel(s.labels, METRIC_NAME))}`, vecArg.pos);
        }
        continue;
      }
      const rest = dropLabel(s.labels, 'le');
      const key = labelsKey(rest);
      let g = groups.get(key);
      if (!g) {
        g = { labels: dropLabel(rest, METRIC_NAME), members: [] };
        groups.set(key, g);
      }
      g.members.push({ s, le });
    }
    const out = new OutputBuilder(n, this);
    const buckets: { upper: number; count: number }[] = [];
    for (const g of groups.values()) {
      for (let i = 0; i < n; i++) {
        buckets.length = 0;
        for (const m of g.members) if (m.s.has[i]) buckets.push({ upper: m.le, count: m.s.vals[i]! });
        if (buckets.length === 0) continue;
        let v: number;
        if (q) {
          const r = bucketQuantile(q[i]!, buckets);
          v = r.value;
          if (r.forcedMonotonic) {
            this.info(`input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${JSON.stringify(getLabel(g.members[0]!.s.labels, METRIC_NAME))}`, vecArg.pos);
          }
        } else {
          v = bucketFraction(lower![i]!, upper![i]!, buckets);
        }
        out.put(g.labels, true, i, v);
      }
    }
    return out.series;
  }

  // ---- binary operators ----

  private binary(e: BinaryExpr, times: Float64Array): EvalValue {
    const n = times.length;
    const lt = exprType(e.lhs);
    const rt = exprType(e.rhs);
    if (lt === 'scalar' && rt === 'scalar') {
      const a = this.scalar(e.lhs, times);
      const b = this.scalar(e.rhs, times);
      const vals = new Float64Array(n);
      for (let i = 0; i < n; i++) vals[i] = scalarBinop(e.op, a[i]!, b[i]!);
      return { kind: 'scalar', vals };
    }
    if (lt === 'vector' && rt === 'vector') {
      const lhs = this.vector(e.lhs, times);
      const rhs = this.vector(e.rhs, times);
      const m = e.matching!;
      if (e.op === 'and' || e.op === 'or' || e.op === 'unless') return { kind: 'vector', series: this.setOp(e.op, lhs, rhs, m, n) };
      return { kind: 'vector', series: this.vectorBinop(e, lhs, rhs, m, n) };
    }
    // Vector and scalar.
    const swap = lt === 'scalar';
    const vec = this.vector(swap ? e.rhs : e.lhs, times);
    const sc = this.scalar(swap ? e.lhs : e.rhs, times);
    const comparison = isComparisonOp(e.op);
    const out: InstantSeries[] = [];
    for (const s of vec) {
      const vals = new Float64Array(n);
      const has = new Uint8Array(n);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (!s.has[i]) continue;
        const l = swap ? sc[i]! : s.vals[i]!;
        const r = swap ? s.vals[i]! : sc[i]!;
        if (comparison) {
          const keep = compare(e.op, l, r);
          if (e.returnBool) vals[i] = keep ? 1 : 0;
          else if (keep) vals[i] = s.vals[i]!;
          else continue;
        } else {
          vals[i] = scalarBinop(e.op, l, r);
        }
        has[i] = 1;
        any = true;
      }
      if (any) out.push({ labels: s.labels, vals, has, dropName: s.dropName || !comparison || e.returnBool });
    }
    return { kind: 'vector', series: out };
  }

  private setOp(op: 'and' | 'or' | 'unless', lhs: InstantSeries[], rhs: InstantSeries[], m: VectorMatching, n: number): InstantSeries[] {
    const sig = signatureFn(m);
    const ids = new Map<string, number>();
    const intern = (s: InstantSeries) => {
      const k = sig(s.labels);
      let id = ids.get(k);
      if (id === undefined) {
        id = ids.size;
        ids.set(k, id);
      }
      return id;
    };
    const lsig = lhs.map(intern);
    const rsig = rhs.map(intern);
    // Per step, which signatures are present on the other side.
    const seenAt = new Int32Array(ids.size).fill(-1);
    const outL = lhs.map((s) => ({ labels: s.labels, vals: s.vals, has: new Uint8Array(n), dropName: s.dropName }));
    const outR = op === 'or' ? rhs.map((s) => ({ labels: s.labels, vals: s.vals, has: new Uint8Array(n), dropName: s.dropName })) : [];
    for (let i = 0; i < n; i++) {
      if (op === 'or') {
        for (let k = 0; k < lhs.length; k++) {
          if (lhs[k]!.has[i]) {
            seenAt[lsig[k]!] = i;
            outL[k]!.has[i] = 1;
          }
        }
        for (let k = 0; k < rhs.length; k++) {
          if (rhs[k]!.has[i] && seenAt[rsig[k]!] !== i) outR[k]!.has[i] = 1;
        }
        continue;
      }
      for (let k = 0; k < rhs.length; k++) if (rhs[k]!.has[i]) seenAt[rsig[k]!] = i;
      for (let k = 0; k < lhs.length; k++) {
        if (!lhs[k]!.has[i]) continue;
        const matched = seenAt[lsig[k]!] === i;
        if (op === 'and' ? matched : !matched) outL[k]!.has[i] = 1;
      }
    }
    const all = [...outL, ...outR].filter((s) => s.has.some((x) => x));
    if (op !== 'or') return all;
    // lhs and rhs series with identical labels are one output series.
    const merged = new Map<string, InstantSeries>();
    for (const s of all) {
      const k = labelsKey(s.labels);
      const prev = merged.get(k);
      if (!prev) {
        merged.set(k, s);
        continue;
      }
      const vals = Float64Array.from(prev.vals);
      const has = Uint8Array.from(prev.has);
      for (let i = 0; i < n; i++) {
        if (s.has[i]) {
          if (has[i]) this.error('vector cannot contain metrics with the same labelset');
          has[i] = 1;
          vals[i] = s.vals[i]!;
        }
      }
      merged.set(k, { labels: prev.labels, vals, has, dropName: prev.dropName });
    }
    return [...merged.values()];
  }

  private vectorBinop(e: BinaryExpr, lhsIn: InstantSeries[], rhsIn: InstantSeries[], m: VectorMatching, n: number): InstantSeries[] {
    const op = e.op;
    const comparison = isComparisonOp(op);
    // For group_right the "many" side is the right one: swap so `lhs` is always the many side.
    const swapped = m.card === 'one-to-many';
    const lhs = swapped ? rhsIn : lhsIn;
    const rhs = swapped ? lhsIn : rhsIn;
    const sig = signatureFn(m);
    const ids = new Map<string, number>();
    const intern = (k: string) => {
      let id = ids.get(k);
      if (id === undefined) {
        id = ids.size;
        ids.set(k, id);
      }
      return id;
    };
    const lsig = lhs.map((s) => intern(sig(s.labels)));
    const rsig = rhs.map((s) => intern(sig(s.labels)));
    const rightAt = new Int32Array(ids.size).fill(-1); // step stamp
    const rightIdx = new Int32Array(ids.size);
    const matchedAt = new Int32Array(ids.size).fill(-1);
    const out = new OutputBuilder(n, this);
    const outputOf = new Map<number, number>();
    const writtenSig = new Map<number, number>(); // output index -> signature written at the current step
    for (let i = 0; i < n; i++) {
      this.checkTimeout();
      for (let k = 0; k < rhs.length; k++) {
        const s = rhs[k]!;
        if (!s.has[i]) continue;
        const id = rsig[k]!;
        if (rightAt[id] === i) {
          const other = rhs[rightIdx[id]!]!;
          const matchedLabels = formatLabels(matchLabels(s.labels, m));
          this.error(
            `found duplicate series for the match group ${matchedLabels} on the ${swapped ? 'left' : 'right'} hand-side of the operation: [${formatLabels(s.labels)}, ${formatLabels(other.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
          );
        }
        rightAt[id] = i;
        rightIdx[id] = k;
      }
      writtenSig.clear();
      for (let k = 0; k < lhs.length; k++) {
        const ls = lhs[k]!;
        if (!ls.has[i]) continue;
        const id = lsig[k]!;
        if (rightAt[id] !== i) continue;
        const ri = rightIdx[id]!;
        const rs = rhs[ri]!;
        let fl = ls.vals[i]!;
        let fr = rs.vals[i]!;
        if (swapped) [fl, fr] = [fr, fl];
        let value: number;
        if (comparison) {
          const keep = compare(op, fl, fr);
          if (e.returnBool) value = keep ? 1 : 0;
          else if (keep) value = fl;
          else continue;
        } else {
          value = scalarBinop(op, fl, fr);
        }
        if (m.card === 'one-to-one') {
          if (matchedAt[id] === i) this.error('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
          matchedAt[id] = i;
        }
        // The output series of a (left, right) pair never changes: resolve it once.
        const cacheKey = k * rhs.length + ri;
        let idx = outputOf.get(cacheKey);
        if (idx === undefined) {
          // A comparison keeps the left labels, so a name already marked for removal stays marked (Prometheus
          // 3.5 loses that mark here; without delayed removal the name would already be gone).
          idx = out.index(resultMetric(ls.labels, rs.labels, op, m), e.returnBool || ls.dropName);
          outputOf.set(cacheKey, idx);
        }
        if (out.hasAt(idx, i)) {
          if (writtenSig.get(idx) === id) this.error('multiple matches for labels: grouping labels must ensure unique matches');
          this.error('vector cannot contain metrics with the same labelset');
        }
        writtenSig.set(idx, id);
        out.set(idx, i, value);
      }
    }
    return out.series;
  }

  // ---- aggregations ----

  private aggregate(e: AggregateExpr, times: Float64Array): EvalValue {
    const n = times.length;
    if (e.op === 'count_values') return { kind: 'vector', series: this.countValues(e, times) };
    const param = e.param ? this.scalar(e.param, times) : null;
    const input = this.vector(e.expr, times);
    const grouping = [...e.grouping].sort();
    // Group series once: grouping key -> group index.
    const groupOf = new Int32Array(input.length);
    const groupLabels: Label[][] = [];
    // Only `by (__name__)` keeps a name; it is dropped at the end if the group's first member's name was.
    const groupDropName: boolean[] = [];
    const keys = new Map<string, number>();
    for (let k = 0; k < input.length; k++) {
      const s = input[k]!;
      const gl = groupingLabels(s.labels, grouping, e.without);
      const key = labelsKey(gl);
      let g = keys.get(key);
      if (g === undefined) {
        g = groupLabels.length;
        keys.set(key, g);
        groupLabels.push(gl);
        groupDropName.push(s.dropName);
      }
      groupOf[k] = g;
    }
    if (e.op === 'topk' || e.op === 'bottomk' || e.op === 'limitk' || e.op === 'limit_ratio') {
      return { kind: 'vector', series: this.aggregateK(e, input, groupOf, groupLabels.length, param!, n) };
    }
    if (e.op === 'quantile') this.checkQuantiles(param!, e.param!.pos);
    const G = groupLabels.length;
    const out: InstantSeries[] = groupLabels.map((labels, g) => ({
      labels,
      vals: new Float64Array(n),
      has: new Uint8Array(n),
      dropName: groupDropName[g]!,
    }));
    const value = new Float64Array(G);
    const comp = new Float64Array(G);
    const mean = new Float64Array(G);
    const count = new Float64Array(G);
    const incremental = new Uint8Array(G);
    const seen = new Int32Array(G);
    const lists: number[][] = e.op === 'quantile' ? Array.from({ length: G }, () => []) : [];
    for (let i = 0; i < n; i++) {
      this.checkTimeout();
      seen.fill(0);
      for (let k = 0; k < input.length; k++) {
        const s = input[k]!;
        if (!s.has[i]) continue;
        const g = groupOf[k]!;
        const f = s.vals[i]!;
        if (!seen[g]) {
          seen[g] = 1;
          value[g] = f;
          mean[g] = f;
          comp[g] = 0;
          count[g] = 1;
          incremental[g] = 0;
          switch (e.op) {
            case 'stddev':
            case 'stdvar':
              value[g] = Number.isNaN(f) || !Number.isFinite(f) ? NaN : 0;
              break;
            case 'group':
              value[g] = 1;
              break;
            case 'quantile':
              lists[g]!.length = 0;
              lists[g]!.push(f);
              break;
          }
          continue;
        }
        switch (e.op) {
          case 'sum':
            [value[g], comp[g]] = kahanSumInc(f, value[g]!, comp[g]!);
            break;
          case 'avg': {
            count[g]!++;
            const c = count[g]!;
            if (!incremental[g]) {
              const [nv, nc] = kahanSumInc(f, value[g]!, comp[g]!);
              if (nv !== Infinity && nv !== -Infinity) {
                value[g] = nv;
                comp[g] = nc;
                break;
              }
              incremental[g] = 1;
              mean[g] = value[g]! / (c - 1);
              comp[g] = comp[g]! / (c - 1);
            }
            const q = (c - 1) / c;
            [mean[g], comp[g]] = kahanSumInc(f / c, q * mean[g]!, q * comp[g]!);
            break;
          }
          case 'max':
            if (value[g]! < f || Number.isNaN(value[g]!)) value[g] = f;
            break;
          case 'min':
            if (value[g]! > f || Number.isNaN(value[g]!)) value[g] = f;
            break;
          case 'count':
            count[g]!++;
            break;
          case 'stddev':
          case 'stdvar': {
            count[g]!++;
            const delta = f - mean[g]!;
            mean[g]! += delta / count[g]!;
            value[g]! += delta * (f - mean[g]!);
            break;
          }
          case 'quantile':
            lists[g]!.push(f);
            break;
          case 'group':
            break;
        }
      }
      for (let g = 0; g < G; g++) {
        if (!seen[g]) continue;
        let v: number;
        switch (e.op) {
          case 'avg':
            v = incremental[g] ? mean[g]! + comp[g]! : value[g]! / count[g]! + comp[g]! / count[g]!;
            break;
          case 'count':
            v = count[g]!;
            break;
          case 'stdvar':
            v = value[g]! / count[g]!;
            break;
          case 'stddev':
            v = Math.sqrt(value[g]! / count[g]!);
            break;
          case 'quantile':
            v = quantileOf(param![i]!, lists[g]!);
            break;
          case 'sum':
            v = value[g]! + comp[g]!;
            break;
          default:
            v = value[g]!;
        }
        out[g]!.vals[i] = v;
        out[g]!.has[i] = 1;
      }
    }
    return { kind: 'vector', series: out.filter((s) => s.has.some((x) => x)) };
  }

  private aggregateK(e: AggregateExpr, input: InstantSeries[], groupOf: Int32Array, G: number, param: Float64Array, n: number): InstantSeries[] {
    const has = input.map(() => new Uint8Array(n));
    const rankOrder: number[][] = Array.from({ length: G }, () => []);
    const members: number[][] = Array.from({ length: G }, () => []);
    for (let k = 0; k < input.length; k++) members[groupOf[k]!]!.push(k);
    const top = e.op === 'topk';
    for (let i = 0; i < n; i++) {
      const p = param[i]!;
      let k: number;
      if (e.op === 'limit_ratio') {
        if (Number.isNaN(p)) this.error(`Ratio value ${goFloatG(p)} is NaN`);
        k = 0;
      } else {
        if (!(p >= -9.223372036854776e18 && p <= 9.223372036854776e18)) this.error(`Scalar value ${goFloatG(p)} overflows int64`);
        k = Math.min(Math.trunc(p), input.length);
        if (k < 1) continue;
      }
      for (let g = 0; g < G; g++) {
        const present = members[g]!.filter((idx) => input[idx]!.has[i]);
        if (present.length === 0) continue;
        let chosen: number[];
        if (e.op === 'limitk') chosen = present.slice(0, k);
        else if (e.op === 'limit_ratio') chosen = present.filter((idx) => ratioSelected(input[idx]!.labels, Math.max(-1, Math.min(1, p))));
        else chosen = selectBest(present, (idx) => input[idx]!.vals[i]!, k, top);
        for (const idx of chosen) has[idx]![i] = 1;
        if (i === 0) rankOrder[g] = chosen;
      }
    }
    if (e.op === 'limit_ratio') {
      const ratio = param[0]!;
      if (ratio > 1) this.warn(`ratio value should be between -1 and 1, got ${goFloatG(ratio)}, capping to 1`, e.param!.pos);
      if (ratio < -1) this.warn(`ratio value should be between -1 and 1, got ${goFloatG(ratio)}, capping to -1`, e.param!.pos);
    }
    const out: InstantSeries[] = [];
    if (n === 1) {
      for (const order of rankOrder) for (const idx of order) out.push({ ...input[idx]!, has: has[idx]! });
      return out;
    }
    for (let k = 0; k < input.length; k++) if (has[k]!.some((x) => x)) out.push({ ...input[k]!, has: has[k]! });
    return out;
  }

  private countValues(e: AggregateExpr, times: Float64Array): InstantSeries[] {
    const n = times.length;
    const label = this.stringArg(e.param!);
    if (!isValidLabelName(label)) this.error(`invalid label name ${JSON.stringify(label)}`);
    const input = this.vector(e.expr, times);
    const grouping = [...e.grouping];
    if (!e.without) grouping.push(label);
    grouping.sort();
    const out = new OutputBuilder(n, this);
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      counts.clear();
      for (const s of input) {
        if (!s.has[i]) continue;
        const withValue = setLabel(s.labels, label, formatFloatPlain(s.vals[i]!));
        const idx = out.index(groupingLabels(withValue, grouping, e.without), false);
        counts.set(idx, (counts.get(idx) ?? 0) + 1);
      }
      for (const [idx, c] of counts) out.set(idx, i, c);
    }
    return out.series;
  }
}

/** Builds output series addressed by label set, for operators whose output labels differ from their input's. */
class OutputBuilder {
  readonly series: InstantSeries[] = [];
  private readonly byKey = new Map<string, number>();
  constructor(
    private readonly n: number,
    private readonly ev: Evaluator,
  ) {}

  index(labels: Label[], dropName: boolean): number {
    const key = labelsKey(labels);
    let idx = this.byKey.get(key);
    if (idx === undefined) {
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

  put(labels: Label[], dropName: boolean, i: number, v: number): void {
    const idx = this.index(labels, dropName);
    if (this.hasAt(idx, i)) this.ev.error('vector cannot contain metrics with the same labelset');
    this.set(idx, i, v);
  }
}

// ---- helpers ----

function pointCount(v: EvalValue): number {
  switch (v.kind) {
    case 'scalar':
      return v.vals.length;
    case 'string':
      return 0;
    case 'matrix': {
      let c = 0;
      for (const s of v.series) c += s.ts.length;
      return c;
    }
    case 'vector': {
      let c = 0;
      for (const s of v.series) for (let i = 0; i < s.has.length; i++) c += s.has[i]!;
      return c;
    }
  }
}

/** The k best of `items` by value, best first, NaN last (topk/bottomk output order). */
function selectBest(items: number[], value: (idx: number) => number, k: number, top: boolean): number[] {
  if (k > 32) {
    return items
      .sort((a, b) => (better(value(a), value(b), top) ? -1 : better(value(b), value(a), top) ? 1 : 0))
      .slice(0, k);
  }
  // For the small k dashboards use, insertion into a k-long list beats a full sort.
  const chosen: number[] = [];
  for (const idx of items) {
    const v = value(idx);
    let at = chosen.length;
    while (at > 0 && better(v, value(chosen[at - 1]!), top)) at--;
    if (at >= k) continue;
    chosen.splice(at, 0, idx);
    if (chosen.length > k) chosen.pop();
  }
  return chosen;
}

/** Whether a ranks strictly before b in topk (top) or bottomk order; NaN ranks last. */
function better(a: number, b: number, top: boolean): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return top ? a > b : a < b;
}

/** First index with ts[i] > t. */
function upperBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function withoutStaleMarkers(s: SeriesData): RangeSeries {
  const vals = s.values;
  let stale = 0;
  for (let i = 0; i < vals.length; i++) if (vals[i] !== vals[i] && isStaleAt(vals, i)) stale++;
  if (stale === 0) return { labels: s.labels, ts: s.timestamps, vals, dropName: false };
  const ts = new Float64Array(vals.length - stale);
  const out = new Float64Array(vals.length - stale);
  let k = 0;
  for (let i = 0; i < vals.length; i++) {
    if (vals[i] !== vals[i] && isStaleAt(vals, i)) continue;
    ts[k] = s.timestamps[i]!;
    out[k++] = vals[i]!;
  }
  return { labels: s.labels, ts, vals: out, dropName: false };
}

function compare(op: BinaryOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    default:
      return false;
  }
}

/** Go's math.Mod: result has the sign of the dividend. JS % does the same for finite values. */
function scalarBinop(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '^':
      return goPow(a, b);
    case '%':
      return a % b;
    case 'atan2':
      return Math.atan2(a, b);
    default:
      return compare(op, a, b) ? 1 : 0;
  }
}

/** Go's math.Pow differs from JS ** in a few special cases (1 ** NaN, (-1) ** ±Inf). */
function goPow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return a ** b;
}

function signatureFn(m: VectorMatching): (labels: Label[]) => string {
  if (m.on) {
    const names = new Set(m.labels);
    return (labels) => {
      let k = '';
      for (const l of labels) if (names.has(l.name)) k += l.name + '\xff' + l.value + '\xfe';
      return k;
    };
  }
  const names = new Set([...m.labels, METRIC_NAME]);
  return (labels) => {
    let k = '';
    for (const l of labels) if (!names.has(l.name)) k += l.name + '\xff' + l.value + '\xfe';
    return k;
  };
}

function matchLabels(labels: Label[], m: VectorMatching): Label[] {
  if (m.on) return labels.filter((l) => m.labels.includes(l.name));
  return labels.filter((l) => l.name !== METRIC_NAME && !m.labels.includes(l.name));
}

function resultMetric(lhs: Label[], rhs: Label[], op: BinaryOp, m: VectorMatching): Label[] {
  let out = lhs;
  if (!isComparisonOp(op)) out = dropMetricNameAndMetadata(out);
  if (m.card === 'one-to-one') {
    out = m.on ? out.filter((l) => m.labels.includes(l.name)) : out.filter((l) => !m.labels.includes(l.name));
  }
  for (const name of m.include) out = setLabel(out, name, getLabel(rhs, name));
  return out;
}

function groupingLabels(labels: Label[], grouping: string[], without: boolean): Label[] {
  if (without) return labels.filter((l) => l.name !== METRIC_NAME && !grouping.includes(l.name));
  if (grouping.length === 0) return EMPTY_LABELS;
  return labels.filter((l) => grouping.includes(l.name));
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

const MATH_FUNCTIONS: ReadonlyMap<string, (v: number) => number> = new Map([
  ['abs', Math.abs],
  ['ceil', Math.ceil],
  ['floor', Math.floor],
  ['exp', Math.exp],
  ['sqrt', Math.sqrt],
  ['ln', Math.log],
  ['log2', Math.log2],
  ['log10', Math.log10],
  ['sin', Math.sin],
  ['cos', Math.cos],
  ['tan', Math.tan],
  ['asin', Math.asin],
  ['acos', Math.acos],
  ['atan', Math.atan],
  ['sinh', Math.sinh],
  ['cosh', Math.cosh],
  ['tanh', Math.tanh],
  ['asinh', Math.asinh],
  ['acosh', Math.acosh],
  ['atanh', Math.atanh],
  ['deg', (v: number) => (v * 180) / Math.PI],
  ['rad', (v: number) => (v * Math.PI) / 180],
  ['sgn', (v: number) => (v < 0 ? -1 : v > 0 ? 1 : v)],
]);

const DATE_FUNCTIONS: ReadonlyMap<string, (d: Date) => number> = new Map([
  ['days_in_month', (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()],
  ['day_of_month', (d: Date) => d.getUTCDate()],
  ['day_of_week', (d: Date) => d.getUTCDay()],
  [
    'day_of_year',
    (d: Date) => Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1,
  ],
  ['hour', (d: Date) => d.getUTCHours()],
  ['minute', (d: Date) => d.getUTCMinutes()],
  ['month', (d: Date) => d.getUTCMonth() + 1],
  ['year', (d: Date) => d.getUTCFullYear()],
]);

/** Parses a bucket bound like Go's strconv.ParseFloat (accepts +Inf, Inf, NaN...). Null if invalid. */
function parseGoFloat(s: string): number | null {
  const l = s.toLowerCase();
  if (l === '+inf' || l === 'inf' || l === '+infinity' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (l === 'nan') return NaN;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?0x[0-9a-f]+(\.[0-9a-f]*)?(p[+-]?\d+)?$/i.test(s)) return null;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

function sortAndCoalesce(buckets: { upper: number; count: number }[]): { upper: number; count: number }[] {
  buckets.sort((a, b) => a.upper - b.upper);
  const out: { upper: number; count: number }[] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    if (last && last.upper === b.upper) last.count += b.count;
    else out.push({ upper: b.upper, count: b.count });
  }
  return out;
}

/** Prometheus' BucketQuantile for classic histograms. */
function bucketQuantile(q: number, input: { upper: number; count: number }[]): { value: number; forcedMonotonic: boolean } {
  if (Number.isNaN(q)) return { value: NaN, forcedMonotonic: false };
  if (q < 0) return { value: -Infinity, forcedMonotonic: false };
  if (q > 1) return { value: Infinity, forcedMonotonic: false };
  input.sort((a, b) => a.upper - b.upper);
  if (input[input.length - 1]!.upper !== Infinity) return { value: NaN, forcedMonotonic: false };
  const buckets = sortAndCoalesce(input);
  let forcedMonotonic = false;
  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i]!.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, 1e-12)) {
      buckets[i]!.count = prev;
      continue;
    }
    if (curr < prev) {
      buckets[i]!.count = prev;
      forcedMonotonic = true;
      continue;
    }
    prev = curr;
  }
  if (buckets.length < 2) return { value: NaN, forcedMonotonic };
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return { value: NaN, forcedMonotonic };
  let rank = q * observations;
  let b = 0;
  while (b < buckets.length - 1 && !(buckets[b]!.count >= rank)) b++;
  if (b === buckets.length - 1) return { value: buckets[buckets.length - 2]!.upper, forcedMonotonic };
  if (b === 0 && buckets[0]!.upper <= 0) return { value: buckets[0]!.upper, forcedMonotonic };
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upper;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upper;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return { value: bucketStart + (bucketEnd - bucketStart) * (rank / count), forcedMonotonic };
}

/** Prometheus' BucketFraction for classic histograms. */
function bucketFraction(lower: number, upper: number, input: { upper: number; count: number }[]): number {
  input.sort((a, b) => a.upper - b.upper);
  if (input[input.length - 1]!.upper !== Infinity) return NaN;
  const buckets = sortAndCoalesce(input);
  const count = buckets[buckets.length - 1]!.count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    const lowerBound = i > 0 ? buckets[i - 1]!.upper : -Infinity;
    const upperBound = b.upper;
    const interpolate = (v: number) => rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
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

/** limit_ratio's deterministic per-series sampling: a series is kept when its hash offset is below the ratio. */
function ratioSelected(labels: Label[], ratio: number): boolean {
  let h = 2166136261;
  const k = labelsKey(labels);
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 16777619) >>> 0;
  const offset = h / 4294967296;
  return ratio >= 0 ? offset < ratio : offset >= 1 + ratio;
}

/** Go's %g for annotation messages. */
function goFloatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 21) {
    const s = v.toExponential();
    const [m, e] = s.split('e');
    const sign = e![0] === '-' ? '-' : '+';
    const digits = e!.replace(/^[+-]/, '');
    return `${m}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
  }
  return String(v);
}

