// Binary operators: arithmetic and comparisons between scalars, between a vector and a scalar, and between two
// vectors with label matching (on/ignoring, group_left/group_right), plus the set operators and/or/unless.
// Matching signatures are computed once per series; the per-step work compares interned signature ids.
import type { FloatHistogram } from '../model/histogram.js';
import {
  addHistograms,
  compactHistogram,
  divideHistogram,
  HistogramMismatchError,
  histogramsEqual,
  scaleHistogram,
} from '../model/histogram-ops.js';
import type { Label } from '../model/prometheus.js';
import { exprType, type BinaryExpr, type BinaryOp, type VectorMatching } from './ast.js';
import { dropMetricNameAndMetadata, formatLabels, getLabel, METRIC_NAME, setLabel } from './labels.js';
import { labelsKey } from '../model/labels.js';
import { isComparisonOp } from './parser.js';
import { OutputBuilder, type EvalContext, type EvalValue, type InstantSeries } from './values.js';

/** Evaluates a binary expression at every step time. */
export function binary(ev: EvalContext, e: BinaryExpr, times: Float64Array): EvalValue {
  const n = times.length;
  const lt = exprType(e.lhs);
  const rt = exprType(e.rhs);
  if (lt === 'scalar' && rt === 'scalar') {
    const a = ev.scalar(e.lhs, times);
    const b = ev.scalar(e.rhs, times);
    const vals = new Float64Array(n);
    for (let i = 0; i < n; i++) vals[i] = scalarBinop(e.op, a[i]!, b[i]!);
    return { kind: 'scalar', vals };
  }
  if (lt === 'vector' && rt === 'vector') {
    const lhs = ev.vector(e.lhs, times);
    const rhs = ev.vector(e.rhs, times);
    const m = e.matching!;
    if (e.op === 'and' || e.op === 'or' || e.op === 'unless')
      return { kind: 'vector', series: setOp(ev, e.op, lhs, rhs, m, n) };
    return { kind: 'vector', series: vectorBinop(ev, e, lhs, rhs, m, n) };
  }
  // Vector and scalar.
  const swap = lt === 'scalar';
  const vec = ev.vector(swap ? e.rhs : e.lhs, times);
  const sc = ev.scalar(swap ? e.lhs : e.rhs, times);
  const comparison = isComparisonOp(e.op);
  const out: InstantSeries[] = [];
  const problems = new StepProblems(n);
  for (const s of vec) {
    ev.reserve(n);
    const vals = new Float64Array(n);
    const has = new Uint8Array(n);
    let hists: (FloatHistogram | undefined)[] | undefined;
    let any = false;
    for (let i = 0; i < n; i++) {
      if (!s.has[i]) continue;
      const h = s.hists?.[i];
      if (h) {
        const r = swap
          ? histogramBinop(e.op, sc[i]!, s.vals[i]!, undefined, h)
          : histogramBinop(e.op, 0, sc[i]!, h, undefined);
        if (r.problem) {
          problems.set(i, r.problem);
          continue;
        }
        if (e.returnBool) vals[i] = r.keep ? 1 : 0;
        else if (!r.keep) continue;
        else if (r.h) (hists ??= new Array<FloatHistogram | undefined>(n))[i] = r.h;
        else vals[i] = r.value;
        has[i] = 1;
        any = true;
        continue;
      }
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
    if (any) out.push({ labels: s.labels, vals, has, dropName: s.dropName || !comparison || e.returnBool, hists });
  }
  problems.report(ev, e);
  return { kind: 'vector', series: out };
}

/** The problem Prometheus reports of one step's binary operation: only the last one at each step. */
class StepProblems {
  private readonly byStep: (string | undefined)[];
  constructor(n: number) {
    this.byStep = new Array<string | undefined>(n);
  }
  set(i: number, problem: string): void {
    this.byStep[i] = problem;
  }
  report(ev: EvalContext, e: BinaryExpr): void {
    for (const p of this.byStep) {
      if (p === undefined) continue;
      if (p === 'incompatible_layout')
        ev.warn(`incompatible bucket layout encountered for binary operator ${e.op}`, e.pos);
      else ev.info(`incompatible sample types encountered for binary operator ${JSON.stringify(e.op)}: ${p}`, e.pos);
    }
  }
}

/**
 * A binary operation where at least one side is a histogram (Prometheus' vectorElemBinop): histogram ± histogram,
 * histogram * or / float, float * histogram, histogram == or != histogram; any other pair is a problem, either
 * incompatible sample types ("float + histogram") or 'incompatible_layout'.
 */
function histogramBinop(
  op: BinaryOp,
  lf: number,
  rf: number,
  lh: FloatHistogram | undefined,
  rh: FloatHistogram | undefined,
): { keep: boolean; value: number; h?: FloatHistogram; problem?: string } {
  const typeProblem = () => ({
    keep: false,
    value: 0,
    problem: `${lh ? 'histogram' : 'float'} ${op} ${rh ? 'histogram' : 'float'}`,
  });
  if (!lh && rh) {
    if (op === '*') return { keep: true, value: 0, h: compactHistogram(scaleHistogram(rh, lf)) };
    return typeProblem();
  }
  if (lh && !rh) {
    if (op === '*') return { keep: true, value: 0, h: compactHistogram(scaleHistogram(lh, rf)) };
    if (op === '/') return { keep: true, value: 0, h: compactHistogram(divideHistogram(lh, rf)) };
    return typeProblem();
  }
  if (lh && rh) {
    if (op === '+' || op === '-') {
      try {
        return { keep: true, value: 0, h: compactHistogram(addHistograms(lh, rh, op === '-')) };
      } catch (err) {
        if (err instanceof HistogramMismatchError) return { keep: false, value: 0, problem: 'incompatible_layout' };
        throw err;
      }
    }
    if (op === '==') return { keep: histogramsEqual(lh, rh), value: 0, h: lh };
    if (op === '!=') return { keep: !histogramsEqual(lh, rh), value: 0, h: lh };
    return typeProblem();
  }
  return { keep: true, value: scalarBinop(op, lf, rf) };
}

function setOp(
  ev: EvalContext,
  op: 'and' | 'or' | 'unless',
  lhs: InstantSeries[],
  rhs: InstantSeries[],
  m: VectorMatching,
  n: number,
): InstantSeries[] {
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
  const passThrough = (s: InstantSeries): InstantSeries => ({
    labels: s.labels,
    vals: s.vals,
    has: new Uint8Array(n),
    dropName: s.dropName,
    hists: s.hists,
  });
  const outL = lhs.map(passThrough);
  const outR = op === 'or' ? rhs.map(passThrough) : [];
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
    const hists =
      prev.hists || s.hists
        ? Array.from({ length: n }, (_, i) => (prev.has[i] ? prev.hists?.[i] : undefined))
        : undefined;
    for (let i = 0; i < n; i++) {
      if (s.has[i]) {
        if (has[i]) ev.error('vector cannot contain metrics with the same labelset');
        has[i] = 1;
        vals[i] = s.vals[i]!;
        if (hists) hists[i] = s.hists?.[i];
      }
    }
    merged.set(k, { labels: prev.labels, vals, has, dropName: prev.dropName, hists });
  }
  return [...merged.values()];
}

function vectorBinop(
  ev: EvalContext,
  e: BinaryExpr,
  lhsIn: InstantSeries[],
  rhsIn: InstantSeries[],
  m: VectorMatching,
  n: number,
): InstantSeries[] {
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
  const out = new OutputBuilder(n, ev);
  const problems = new StepProblems(n);
  const outputOf = new Map<number, number>();
  const writtenSig = new Map<number, number>(); // output index -> signature written at the current step
  for (let i = 0; i < n; i++) {
    ev.checkTimeout();
    for (let k = 0; k < rhs.length; k++) {
      const s = rhs[k]!;
      if (!s.has[i]) continue;
      const id = rsig[k]!;
      if (rightAt[id] === i) {
        const other = rhs[rightIdx[id]!]!;
        const matchedLabels = formatLabels(matchLabels(s.labels, m));
        ev.error(
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
      let hist: FloatHistogram | undefined;
      let hl = ls.hists?.[i];
      let hr = rs.hists?.[i];
      if (hl || hr) {
        if (swapped) [hl, hr] = [hr, hl];
        const r = histogramBinop(op, fl, fr, hl, hr);
        if (r.problem) {
          problems.set(i, r.problem);
          continue;
        }
        if (e.returnBool) value = r.keep ? 1 : 0;
        else if (!r.keep) continue;
        else {
          value = r.value;
          hist = r.h;
        }
      } else if (comparison) {
        const keep = compare(op, fl, fr);
        if (e.returnBool) value = keep ? 1 : 0;
        else if (keep) value = fl;
        else continue;
      } else {
        value = scalarBinop(op, fl, fr);
      }
      if (m.card === 'one-to-one') {
        if (matchedAt[id] === i)
          ev.error('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
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
        if (writtenSig.get(idx) === id)
          ev.error('multiple matches for labels: grouping labels must ensure unique matches');
        ev.error('vector cannot contain metrics with the same labelset');
      }
      writtenSig.set(idx, id);
      out.set(idx, i, value);
      if (hist) out.setHistogram(idx, i, hist);
    }
  }
  problems.report(ev, e);
  return out.series;
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
      for (const l of labels) if (names.has(l.name)) k += `${l.name}\xff${l.value}\xfe`;
      return k;
    };
  }
  const names = new Set([...m.labels, METRIC_NAME]);
  return (labels) => {
    let k = '';
    for (const l of labels) if (!names.has(l.name)) k += `${l.name}\xff${l.value}\xfe`;
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
