// Aggregation operators (sum, avg, count, min, max, group, stddev, stdvar, quantile, topk, bottomk, limitk,
// limit_ratio, count_values). Series are assigned to their group once; the per-step loop accumulates into
// per-group slots.
import type { FloatHistogram } from '../model/histogram.js';
import {
  addHistograms,
  allBuckets,
  compactHistogram,
  divideHistogram,
  HistogramMismatchError,
} from '../model/histogram-ops.js';
import type { Label } from '../model/prometheus.js';
import type { AggregateExpr } from './ast.js';
import { formatFloatPlain, goFloatG } from './format.js';
import { getLabel, isValidLabelName, METRIC_NAME, setLabel } from './labels.js';
import { labelsKey } from '../model/labels.js';
import { labelsHash } from '../model/label-hash.js';
import { goQuote } from './printer.js';
import { kahanSumInc, quantileOf } from './range-functions.js';
import { EMPTY_LABELS, OutputBuilder, type EvalContext, type EvalValue, type InstantSeries } from './values.js';

/** Evaluates an aggregation at every step time. */
export function aggregate(ev: EvalContext, e: AggregateExpr, times: Float64Array): EvalValue {
  const n = times.length;
  if (e.op === 'count_values') return { kind: 'vector', series: countValues(ev, e, times) };
  const param = e.param ? ev.scalar(e.param, times) : null;
  const input = ev.vector(e.expr, times);
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
    return { kind: 'vector', series: aggregateK(ev, e, input, groupOf, groupLabels.length, param!, n) };
  }
  if (e.op === 'quantile') ev.checkQuantiles(param!, e.param!.pos);
  const G = groupLabels.length;
  ev.reserve(G * n);
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
  const hist = input.some((s) => s.hists) ? new HistogramGroups(ev, e, G, n) : null;
  for (let i = 0; i < n; i++) {
    ev.checkTimeout();
    seen.fill(0);
    hist?.startStep();
    for (let k = 0; k < input.length; k++) {
      const s = input[k]!;
      if (!s.has[i]) continue;
      const g = groupOf[k]!;
      const h = s.hists?.[i];
      if (h) {
        if (hist!.add(g, h, s.labels, !seen[g], count)) {
          if (!seen[g]) value[g] = e.op === 'group' ? 1 : 0;
          seen[g] = 1;
        }
        continue;
      }
      if (hist) hist.hasFloat[g] = 1;
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
      if (hist?.finish(g, i, out[g]!)) continue;
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

/**
 * The histogram side of sum, avg, count, group (and what min, max, stddev, stdvar and quantile ignore) for each
 * group at one step, as Prometheus 3.5's aggregation() does it.
 */
class HistogramGroups {
  readonly hasFloat: Uint8Array;
  private readonly hasHistogram: Uint8Array;
  private readonly incompatible: Uint8Array;
  private readonly value: (FloatHistogram | undefined)[];

  constructor(
    private readonly ev: EvalContext,
    private readonly e: AggregateExpr,
    groups: number,
    private readonly n: number,
  ) {
    this.hasFloat = new Uint8Array(groups);
    this.hasHistogram = new Uint8Array(groups);
    this.incompatible = new Uint8Array(groups);
    this.value = new Array<FloatHistogram | undefined>(groups);
  }

  startStep(): void {
    this.hasFloat.fill(0);
    this.hasHistogram.fill(0);
    this.incompatible.fill(0);
    this.value.fill(undefined);
  }

  /** Adds histogram `h` to group g; true when the group counts as seen now. `count` is the groups' member count. */
  add(g: number, h: FloatHistogram, labels: Label[], first: boolean, count: Float64Array): boolean {
    const op = this.e.op;
    if (op === 'min' || op === 'max' || op === 'stddev' || op === 'stdvar' || op === 'quantile') {
      this.ev.info(`ignored histogram in ${op} aggregation`, this.e.expr.pos);
      return false;
    }
    if (first) {
      count[g] = 1;
      this.hasHistogram[g] = 1;
      if (op === 'sum' || op === 'avg') this.value[g] = h;
      return true;
    }
    if (this.incompatible[g]) return true;
    if (op === 'count') count[g]!++;
    if (op !== 'sum' && op !== 'avg') return true;
    this.hasHistogram[g] = 1;
    const acc = this.value[g];
    if (op === 'avg') count[g]!++;
    // A group that started with a float is dropped at the end anyway.
    if (!acc) return true;
    try {
      if (op === 'sum') this.value[g] = addHistograms(acc, h);
      else {
        const c = count[g]!;
        this.value[g] = addHistograms(acc, addHistograms(divideHistogram(h, c), divideHistogram(acc, c), true));
      }
    } catch (err) {
      if (!(err instanceof HistogramMismatchError)) throw err;
      const name = JSON.stringify(getLabel(labels, METRIC_NAME));
      this.ev.warn(
        err.kind === 'incompatible_schema'
          ? `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name}`
          : `vector contains histograms with incompatible custom buckets for metric name ${name}`,
        this.e.expr.pos,
      );
      this.incompatible[g] = 1;
    }
    return true;
  }

  /** Writes group g's histogram result at step i, or drops it; true when the float result must not be written. */
  finish(g: number, i: number, out: InstantSeries): boolean {
    if (this.e.op !== 'sum' && this.e.op !== 'avg') return false;
    if (!this.hasHistogram[g]) return false;
    if (this.hasFloat[g]) {
      this.ev.warn('encountered a mix of histograms and floats for aggregation', this.e.expr.pos);
      return true;
    }
    if (this.incompatible[g]) return true;
    (out.hists ??= new Array<FloatHistogram | undefined>(this.n))[i] = compactHistogram(this.value[g]!);
    out.has[i] = 1;
    return true;
  }
}

function aggregateK(
  ev: EvalContext,
  e: AggregateExpr,
  input: InstantSeries[],
  groupOf: Int32Array,
  G: number,
  param: Float64Array,
  n: number,
): InstantSeries[] {
  const has = input.map(() => new Uint8Array(n));
  const rankOrder: number[][] = Array.from({ length: G }, () => []);
  const members: number[][] = Array.from({ length: G }, () => []);
  for (let k = 0; k < input.length; k++) members[groupOf[k]!]!.push(k);
  const top = e.op === 'topk';
  for (let i = 0; i < n; i++) {
    const p = param[i]!;
    let k: number;
    if (e.op === 'limit_ratio') {
      if (Number.isNaN(p)) ev.error(`Ratio value ${goFloatG(p)} is NaN`);
      k = 0;
    } else {
      if (!(p >= -9.223372036854776e18 && p <= 9.223372036854776e18))
        ev.error(`Scalar value ${goFloatG(p)} overflows int64`);
      k = Math.min(Math.trunc(p), input.length);
      if (k < 1) continue;
    }
    for (let g = 0; g < G; g++) {
      let present = members[g]!.filter((idx) => input[idx]!.has[i]);
      if (e.op === 'topk' || e.op === 'bottomk') {
        const floats = present.filter((idx) => !input[idx]!.hists?.[i]);
        if (floats.length < present.length) ev.info(`ignored histogram in ${e.op} aggregation`, e.pos);
        present = floats;
      }
      if (present.length === 0) continue;
      let chosen: number[];
      if (e.op === 'limitk') chosen = present.slice(0, k);
      else if (e.op === 'limit_ratio')
        chosen = present.filter((idx) => ratioSelected(input[idx]!.labels, Math.max(-1, Math.min(1, p))));
      else chosen = selectBest(present, (idx) => input[idx]!.vals[i]!, k, top);
      for (const idx of chosen) has[idx]![i] = 1;
      if (i === 0) rankOrder[g] = chosen;
    }
  }
  if (e.op === 'limit_ratio') {
    const ratio = param[0]!;
    if (ratio > 1)
      ev.warn(`ratio value should be between -1 and 1, got ${goFloatG(ratio)}, capping to 1`, e.param!.pos);
    if (ratio < -1)
      ev.warn(`ratio value should be between -1 and 1, got ${goFloatG(ratio)}, capping to -1`, e.param!.pos);
  }
  const out: InstantSeries[] = [];
  if (n === 1) {
    for (const order of rankOrder) for (const idx of order) out.push({ ...input[idx]!, has: has[idx]! });
    return out;
  }
  for (let k = 0; k < input.length; k++) if (has[k]!.some((x) => x)) out.push({ ...input[k]!, has: has[k]! });
  return out;
}

function countValues(ev: EvalContext, e: AggregateExpr, times: Float64Array): InstantSeries[] {
  const n = times.length;
  const label = ev.stringArg(e.param!);
  if (!isValidLabelName(label)) ev.error(`invalid label name ${goQuote(label)}`);
  const input = ev.vector(e.expr, times);
  const grouping = [...e.grouping];
  if (!e.without) grouping.push(label);
  grouping.sort();
  const out = new OutputBuilder(n, ev);
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    counts.clear();
    for (const s of input) {
      if (!s.has[i]) continue;
      const h = s.hists?.[i];
      const withValue = setLabel(s.labels, label, h ? histogramString(h) : formatFloatPlain(s.vals[i]!));
      const idx = out.index(groupingLabels(withValue, grouping, e.without), false);
      counts.set(idx, (counts.get(idx) ?? 0) + 1);
    }
    for (const [idx, c] of counts) out.set(idx, i, c);
  }
  return out.series;
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

function groupingLabels(labels: Label[], grouping: string[], without: boolean): Label[] {
  if (without) return labels.filter((l) => l.name !== METRIC_NAME && !grouping.includes(l.name));
  if (grouping.length === 0) return EMPTY_LABELS;
  return labels.filter((l) => grouping.includes(l.name));
}

/** limit_ratio's per-series sampling: a series is kept when its hash offset (as in Prometheus) is below the ratio. */
function ratioSelected(labels: Label[], ratio: number): boolean {
  // float64(math.MaxUint64) is 2^64.
  const offset = Number(labelsHash(labels)) / 2 ** 64;
  return ratio >= 0 ? offset < ratio : offset >= 1 + ratio;
}

/** A histogram as Go's FloatHistogram.String() writes it (count_values' label value). */
function histogramString(h: FloatHistogram): string {
  let out = `{count:${goFloatG(h.count)}, sum:${goFloatG(h.sum)}`;
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    const open = b.boundaryRule === 0 ? '(' : '[';
    const close = b.boundaryRule === 1 ? ')' : ']';
    out += `, ${open}${goFloatG(b.lower)},${goFloatG(b.upper)}${close}:${goFloatG(b.count)}`;
  }
  return `${out}}`;
}
