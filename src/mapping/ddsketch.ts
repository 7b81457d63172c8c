import type { DDSketchPoint } from '../model/datadog.js';

// The Datadog Agent's DDSketch key mapping (pkg/quantile in the Agent): relative accuracy 1/128, so
// γ = 1 + 2/128 = 1 + 1/64; values below 1e-9 in magnitude share key 0; bias 1338 keeps positive keys positive.
// The facts and their sources: docs/datadog-protocol.md (DDSketch key mapping); this is our own implementation.

export const SKETCH_GAMMA = 1 + 1 / 64;
const LN_GAMMA = Math.log1p(1 / 64);
export const SKETCH_BIAS = 1338;
const MIN_VALUE = 1e-9;
const MAX_KEY = 32767;

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; for exact halves pick the even neighbour.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The Agent's bin key for a value. */
export function sketchKey(v: number): number {
  if (v < 0) return -sketchKey(-v);
  if (v < MIN_VALUE) return 0;
  const k = roundHalfEven(Math.log(v) / LN_GAMMA) + SKETCH_BIAS;
  return k > MAX_KEY ? MAX_KEY : Math.max(k, 1);
}

/**
 * The value a key stands for, γ^(k − bias): the key of a value is its log rounded to the nearest integer, so the key
 * holds values from γ^(k − bias − ½) to γ^(k − bias + ½) and this is their middle in log space. The Agent calls it
 * the bin's lower bound and interpolates quantiles from it up to γ times it, so its quantiles (and sketchQuantiles,
 * which computes them as the Agent does) read up to ½·ln γ ≈ 0.78 % high; the native-histogram conversion does not.
 */
export function keyValue(k: number): number {
  if (k < 0) return -keyValue(-k);
  if (k === 0) return 0;
  return Math.exp((k - SKETCH_BIAS) * LN_GAMMA);
}

/** Collects values (DogStatsD `d`, `/api/v1/distribution_points`) into one Dogsketch. */
export class DDSketchBuilder {
  private readonly bins = new Map<number, number>();
  private cnt = 0;
  private min = Infinity;
  private max = -Infinity;
  private sum = 0;

  add(v: number, count = 1): void {
    if (!Number.isFinite(v) || count <= 0) return;
    const k = sketchKey(v);
    this.bins.set(k, (this.bins.get(k) ?? 0) + count);
    this.cnt += count;
    this.sum += v * count;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.cnt;
  }

  toPoint(ts: number): DDSketchPoint {
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    return {
      ts,
      cnt: this.cnt,
      min: this.cnt ? this.min : 0,
      max: this.cnt ? this.max : 0,
      sum: this.sum,
      avg: this.cnt ? this.sum / this.cnt : 0,
      keys,
      counts: keys.map((k) => this.bins.get(k)!),
    };
  }
}

/** Bins in key order with repeated keys merged; the point's own arrays when already so (what the Agent sends). */
export function orderedBins(p: DDSketchPoint): { keys: readonly number[]; counts: readonly number[] } {
  let ordered = true;
  for (let i = 1; i < p.keys.length && ordered; i++) ordered = p.keys[i - 1]! < p.keys[i]!;
  if (ordered) return p;
  const merged = new Map<number, number>();
  for (let i = 0; i < p.keys.length; i++) merged.set(p.keys[i]!, (merged.get(p.keys[i]!) ?? 0) + p.counts[i]!);
  const keys = [...merged.keys()].sort((a, b) => a - b);
  return { keys, counts: keys.map((k) => merged.get(k)!) };
}

/**
 * Quantiles of a Dogsketch as the Agent computes them: the wanted rank is roundHalfEven(q·(cnt−1)); walk the bins in
 * key order, and inside the bin that passes the rank interpolate between its lower bound and γ times it, clamped to
 * the sketch's min for the first bin and max for the last. Repeated keys are summed first. One walk serves every
 * quantile asked for (the mapper wants five of every point).
 *
 * `out[i]` = quantile `qs[i]` of p. `byQ` lists the indexes of `qs` in increasing quantile order (see quantileOrder). */
export function sketchQuantiles(p: DDSketchPoint, qs: readonly number[], byQ: readonly number[], out: number[]): void {
  if (p.cnt <= 0) {
    for (let i = 0; i < qs.length; i++) out[i] = 0;
    return;
  }
  const { keys, counts } = orderedBins(p);
  const last = keys.length - 1;
  let bin = 0;
  let seen = keys.length > 0 ? counts[0]! : 0;
  for (const qi of byQ) {
    const q = qs[qi]!;
    if (q <= 0) {
      out[qi] = p.min;
      continue;
    }
    if (q >= 1) {
      out[qi] = p.max;
      continue;
    }
    const wantRank = roundHalfEven(q * (p.cnt - 1));
    // The first bin whose running count passes the rank; ranks grow with q, so the walk only moves forward.
    while (bin <= last && seen <= wantRank) {
      bin++;
      if (bin <= last) seen += counts[bin]!;
    }
    if (bin > last) {
      out[qi] = p.max;
      continue;
    }
    const n = counts[bin]!;
    const weight = (seen - wantRank) / n;
    let low = keyValue(keys[bin]!);
    let high = low * SKETCH_GAMMA;
    if (bin === 0) low = p.min;
    if (bin === last) high = p.max;
    const v = low * weight + high * (1 - weight);
    out[qi] = Math.min(Math.max(v, p.min), p.max);
  }
}

/** Indexes of `qs` sorted by quantile, for {@link sketchQuantiles}. */
export function quantileOrder(qs: readonly number[]): number[] {
  return qs.map((_, i) => i).sort((a, b) => qs[a]! - qs[b]!);
}

/** Quantile q of a Dogsketch (see sketchQuantiles). */
export function sketchQuantile(p: DDSketchPoint, q: number): number {
  const out: number[] = [];
  sketchQuantiles(p, [q], [0], out);
  return out[0]!;
}
