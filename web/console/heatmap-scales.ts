// The heatmap's two scales, without the DOM (the unit tests run them under Node): the y axis that places every
// bucket of a histogram series on one axis, whatever its resolution at each time, and the colour scale of counts.
// Positions are fractions of the plot's height from the bottom (0) to the top (1).
import type { Bucket, Histogram } from './histogram.js';

/**
 * `log`: exponential buckets (every positive bucket's upper/lower is 2^(2^-schema)) on a log scale from the smallest
 * lower bound to the largest upper bound, so a schema change over time lands its buckets where they belong; the zero
 * bucket and the negative buckets, which a log scale has no place for, share a band at the bottom.
 * `ordinal`: any other buckets (custom bounds, infinite ends): one row of equal height between each two distinct
 * bounds, as classic histograms are drawn; a bucket that spans several rows (a coarser one) covers them all.
 */
export type BucketAxis =
  | { kind: 'log'; min: number; max: number; lowBand: number }
  | { kind: 'ordinal'; bounds: number[] };

/** A rectangle of one time column: its bounds on the axis and the buckets it shows (several only in the low band). */
export interface HeatmapCell {
  y0: number;
  y1: number;
  count: number;
  buckets: Bucket[];
}

/** The low band's share of the height, when a series has zero or negative buckets on a log axis. */
const LOW_BAND = 0.08;
/** Prometheus' exponential schemas. */
const MIN_SCHEMA = -4;
const MAX_SCHEMA = 8;

/** Whether upper/lower (both of one sign, lower nearer zero) is the growth factor of an exponential schema. */
function exponentialStep(nearer: number, farther: number): boolean {
  const schema = -Math.log2(Math.log2(farther / nearer));
  const rounded = Math.round(schema);
  return Math.abs(schema - rounded) < 1e-6 && rounded >= MIN_SCHEMA && rounded <= MAX_SCHEMA;
}

/** The axis that holds every bucket of the series' histograms. */
export function bucketAxis(histograms: Histogram[]): BucketAxis {
  const buckets = histograms.flatMap((h) => h.buckets);
  const positive = buckets.filter((b) => b.lower > 0);
  const exponential =
    positive.length > 0 &&
    buckets.every((b) => {
      if (!Number.isFinite(b.lower) || !Number.isFinite(b.upper)) return false;
      if (b.lower > 0) return exponentialStep(b.lower, b.upper);
      if (b.upper < 0) return exponentialStep(-b.upper, -b.lower);
      return b.lower === -b.upper; // the zero bucket
    });
  // A long range at a fine schema has hundreds of thousands of buckets: reduce, as spreading them into
  // Math.min's arguments overflows the stack.
  if (exponential)
    return {
      kind: 'log',
      min: positive.reduce((m, b) => Math.min(m, b.lower), Infinity),
      max: positive.reduce((m, b) => Math.max(m, b.upper), 0),
      lowBand: positive.length < buckets.length ? LOW_BAND : 0,
    };
  const bounds = [...new Set(buckets.flatMap((b) => [b.lower, b.upper]))].sort((a, b) => a - b);
  return { kind: 'ordinal', bounds };
}

/** Where a value sits on the axis: a quantile line's height, and a bucket's ends. */
export function axisPosition(axis: BucketAxis, v: number): number {
  if (axis.kind === 'log') {
    if (v <= 0) return axis.lowBand / 2;
    const f = (Math.log(v) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min));
    return axis.lowBand + Math.min(1, Math.max(0, f)) * (1 - axis.lowBand);
  }
  const { bounds } = axis;
  const rows = bounds.length - 1;
  if (rows < 1) return 0.5;
  if (v <= bounds[0]!) return 0;
  if (v >= bounds[rows]!) return 1;
  const i = bounds.findIndex((b) => b > v) - 1;
  const lo = bounds[i]!;
  const hi = bounds[i + 1]!;
  // Within a row, linear between its bounds; a row with an infinite end has no inside to speak of: its middle.
  const within = v === lo ? 0 : Number.isFinite(lo) && Number.isFinite(hi) ? (v - lo) / (hi - lo) : 0.5;
  return (i + within) / rows;
}

/** One histogram's cells on the axis: one per bucket, the log axis' zero and negative buckets pooled in its band. */
export function heatmapCells(axis: BucketAxis, h: Histogram): HeatmapCell[] {
  const cells: HeatmapCell[] = [];
  let low: HeatmapCell | undefined;
  for (const b of h.buckets) {
    if (axis.kind === 'log' && b.lower <= 0) {
      low ??= { y0: 0, y1: axis.lowBand, count: 0, buckets: [] };
      low.count += b.count;
      low.buckets.push(b);
      continue;
    }
    const [y0, y1] =
      axis.kind === 'ordinal' && axis.bounds.length < 2
        ? [0, 1]
        : [axisPosition(axis, b.lower), axisPosition(axis, b.upper)];
    cells.push({ y0, y1, count: b.count, buckets: [b] });
  }
  return low ? [low, ...cells] : cells;
}

/** Labelled values of the y axis, at most `maxTicks`: powers of ten (or of two) on a log axis, bounds otherwise. */
export function axisTicks(axis: BucketAxis, maxTicks: number): { value: number; y: number }[] {
  let values: number[];
  if (axis.kind === 'log') {
    const powers = (base: number) => {
      const out: number[] = [];
      const first = Math.ceil(Math.log(axis.min) / Math.log(base) - 1e-9);
      for (let e = first; base ** e <= axis.max * (1 + 1e-9); e++) out.push(base ** e);
      return out;
    };
    values = powers(10).length >= 2 ? powers(10) : powers(2);
  } else values = axis.bounds.filter(Number.isFinite);
  const every = Math.max(1, Math.ceil(values.length / maxTicks));
  return values.filter((_, i) => i % every === 0).map((value) => ({ value, y: axisPosition(axis, value) }));
}

/** Round steps of a time axis, seconds: 1 s to 7 d. */
const TIME_STEPS_S = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
];

/** Times to label over [startS, endS]: the multiples of the smallest round step that gives at most `maxTicks`. */
export function timeTicks(startS: number, endS: number, maxTicks: number): { stepS: number; times: number[] } {
  const stepS = TIME_STEPS_S.find((s) => (endS - startS) / s <= maxTicks) ?? TIME_STEPS_S.at(-1)!;
  const times: number[] = [];
  for (let t = Math.ceil(startS / stepS) * stepS; t <= endS; t += stepS) times.push(t);
  return { stepS, times };
}

/** Counts to colours: log when the counts span two decades or more (a few hot buckets would wash out the rest). */
export interface ColourScale {
  min: number;
  max: number;
  log: boolean;
}

const LOG_COLOUR_RATIO = 100;
/** Viridis at five stops: perceptually even, readable by the colour-blind, dark for few and bright for many. */
const STOPS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The scale over the positive counts; undefined when there is none (nothing to draw). */
export function colourScale(counts: number[]): ColourScale | undefined {
  const positive = counts.filter((c) => c > 0 && Number.isFinite(c));
  if (positive.length === 0) return undefined;
  const min = positive.reduce((m, c) => Math.min(m, c), Infinity);
  const max = positive.reduce((m, c) => Math.max(m, c), 0);
  return { min, max, log: max / min >= LOG_COLOUR_RATIO };
}

/** Where a count sits on the scale, 0 to 1. */
export function colourFraction(scale: ColourScale, count: number): number {
  const f = scale.log
    ? (Math.log(count) - Math.log(scale.min)) / (Math.log(scale.max) - Math.log(scale.min))
    : count / scale.max;
  return Math.min(1, Math.max(0, f));
}

/** The colour of a fraction of the scale as [r, g, b]. */
export function colourRgb(fraction: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, fraction)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  const t = x - i;
  const mix = (k: 0 | 1 | 2) => Math.round(a[k] + (b[k] - a[k]) * t);
  return [mix(0), mix(1), mix(2)];
}

/** The colour of a fraction of the scale, as CSS `rgb(r, g, b)`. */
export function colourOf(fraction: number): string {
  return `rgb(${colourRgb(fraction).join(', ')})`;
}
