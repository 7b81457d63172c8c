// SeriesColumns (storage.ts), what a read returns: built while a read decodes, ordered by labels, cut into windows of
// series for evaluation in batches, and seen as one object per series by the few callers that want that (export,
// the console's hosts, tests).
import type { HistogramSamples } from './histogram.js';
import { compareLabels } from './labels.js';
import type { Label } from './prometheus.js';
import type { SeriesColumns, SeriesData } from './storage.js';

/**
 * Fills SeriesColumns: a writer makes room with `reserve`, writes samples into `timestamps`/`values` from `used` on
 * and moves `used`, then adds the series those samples belong to with `addSeries`.
 */
export class SeriesColumnsBuilder {
  timestamps: Float64Array;
  values: Float64Array;
  /** Samples written so far. */
  used = 0;
  private readonly labels: Label[][] = [];
  private starts: Uint32Array = new Uint32Array(64);
  private ends: Uint32Array = new Uint32Array(64);
  /** Dense once a series has histogram samples: one entry per series from then on. */
  private histograms: (HistogramSamples | undefined)[] | undefined;

  /** `capacity`: the samples expected, when known (the columns grow as needed anyway). */
  constructor(capacity = 0) {
    this.timestamps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get seriesCount(): number {
    return this.labels.length;
  }

  /** Makes room for `n` more samples after `used`; columns grow by half at least, so copies stay linear. */
  reserve(n: number): void {
    const need = this.used + n;
    const have = this.timestamps.length;
    if (need <= have) return;
    const size = Math.max(need, Math.ceil(have * 1.5), 1024);
    const ts = new Float64Array(size);
    const vs = new Float64Array(size);
    ts.set(this.timestamps.subarray(0, this.used));
    vs.set(this.values.subarray(0, this.used));
    this.timestamps = ts;
    this.values = vs;
  }

  /** Adds a series whose float samples are at [start, end) of the columns, with its histogram samples if any. */
  addSeries(labels: Label[], start: number, end: number, histograms?: HistogramSamples): void {
    const i = this.labels.length;
    if (i === this.starts.length) {
      this.starts = grown(this.starts);
      this.ends = grown(this.ends);
    }
    this.labels.push(labels);
    this.starts[i] = start;
    this.ends[i] = end;
    if (histograms && !this.histograms) this.histograms = new Array<HistogramSamples | undefined>(i).fill(undefined);
    this.histograms?.push(histograms);
  }

  /** Adds a series of one float sample. */
  addSample(labels: Label[], t: number, v: number): void {
    this.reserve(1);
    const at = this.used++;
    this.timestamps[at] = t;
    this.values[at] = v;
    this.addSeries(labels, at, at + 1);
  }

  build(): SeriesColumns {
    const n = this.labels.length;
    const out: SeriesColumns = {
      labels: this.labels,
      starts: this.starts.subarray(0, n),
      ends: this.ends.subarray(0, n),
      timestamps: this.timestamps,
      values: this.values,
    };
    if (this.histograms) out.histograms = this.histograms;
    return out;
  }
}

function grown(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

export function emptyColumns(): SeriesColumns {
  return new SeriesColumnsBuilder().build();
}

/** The samples the columns hold: float and histogram. */
export function columnSamples(c: SeriesColumns): number {
  let n = 0;
  for (let i = 0; i < c.labels.length; i++) n += c.ends[i]! - c.starts[i]!;
  if (c.histograms) for (const h of c.histograms) n += h?.timestamps.length ?? 0;
  return n;
}

/** Series [from, to) of `c`, sharing its sample arrays. */
export function sliceColumns(c: SeriesColumns, from: number, to: number): SeriesColumns {
  const out: SeriesColumns = {
    labels: c.labels.slice(from, to),
    starts: c.starts.subarray(from, to),
    ends: c.ends.subarray(from, to),
    timestamps: c.timestamps,
    values: c.values,
  };
  if (c.histograms) out.histograms = c.histograms.slice(from, to);
  return out;
}

/** The same series in the order of `order` (indexes into `c`), sharing its sample arrays. */
export function reorderColumns(c: SeriesColumns, order: ArrayLike<number>): SeriesColumns {
  const n = order.length;
  const labels = new Array<Label[]>(n);
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  const hs = c.histograms;
  const histograms = hs ? new Array<HistogramSamples | undefined>(n) : undefined;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    labels[k] = c.labels[i]!;
    starts[k] = c.starts[i]!;
    ends[k] = c.ends[i]!;
    if (histograms) histograms[k] = hs![i];
  }
  const out: SeriesColumns = { labels, starts, ends, timestamps: c.timestamps, values: c.values };
  if (histograms) out.histograms = histograms;
  return out;
}

/** The series ordered by their labels. */
export function sortColumns(c: SeriesColumns): SeriesColumns {
  const order = Array.from(c.labels.keys());
  order.sort((a, b) => compareLabels(c.labels[a]!, c.labels[b]!));
  return reorderColumns(c, order);
}

/** Series i as an object of its own, its float samples views of the columns. */
export function seriesAt(c: SeriesColumns, i: number): SeriesData {
  const start = c.starts[i]!;
  const end = c.ends[i]!;
  const s: SeriesData = {
    labels: c.labels[i]!,
    timestamps: c.timestamps.subarray(start, end),
    values: c.values.subarray(start, end),
  };
  const h = c.histograms?.[i];
  if (h) s.histograms = h;
  return s;
}

/** Every series as an object of its own (for callers that handle series one by one, not the PromQL engine). */
export function seriesDataOf(c: SeriesColumns): SeriesData[] {
  return c.labels.map((_, i) => seriesAt(c, i));
}

/** Columns holding copies of the series' samples, in their order. */
export function columnsOf(series: readonly SeriesData[]): SeriesColumns {
  let n = 0;
  for (const s of series) n += s.timestamps.length;
  const b = new SeriesColumnsBuilder(n);
  for (const s of series) {
    const start = b.used;
    b.timestamps.set(s.timestamps, start);
    b.values.set(s.values, start);
    b.used += s.timestamps.length;
    b.addSeries(s.labels, start, b.used, s.histograms);
  }
  return b.build();
}
