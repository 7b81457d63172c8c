// The test files' native histogram samples, kept beside the embedded store (which stores floats only) and merged
// into its reads: a Querier that answers the store's series with their histogram samples added, and series that
// hold histograms only. Histograms read back with the counter-reset hints Prometheus' head chunks give them.
import { CounterResetHint, type FloatHistogram } from '../model/histogram.js';
import { detectReset, usesCustomBuckets } from '../model/histogram-ops.js';
import { compareLabels, labelsKey } from '../model/labels.js';
import { compileMatchers, matchesLabels } from '../model/matcher.js';
import type { Label } from '../model/prometheus.js';
import type { LabelMatcher, Querier, SelectHints, SeriesColumns, SeriesHints } from '../model/storage.js';
import { columnsOf, seriesDataOf } from '../model/series-columns.js';

/** Prometheus' head cuts a chunk at the latest when a sample crosses the end of the chunk's 2-hour range. */
const CHUNK_RANGE_MS = 2 * 3600_000;

interface OverlaySeries {
  labels: Label[];
  /** Histogram samples as loaded, by time. */
  histograms: Map<number, FloatHistogram>;
  /** Times of the series' float samples (they end a histogram chunk). */
  floatTimes: Set<number>;
  /** The histograms in time order with the hints they read back with; recomputed after a load. */
  readBack: { timestamps: Float64Array; values: FloatHistogram[] } | null;
}

export class HistogramOverlay {
  private readonly series = new Map<string, OverlaySeries>();

  clear(): void {
    this.series.clear();
  }

  get empty(): boolean {
    return this.series.size === 0;
  }

  /** Adds a series' samples of one load: histograms by time, and the times of its float samples. */
  add(labels: Label[], histograms: Map<number, FloatHistogram>, floatTimes: number[]): void {
    const key = labelsKey(labels);
    let s = this.series.get(key);
    if (!s) {
      if (histograms.size === 0) return;
      s = { labels, histograms: new Map(), floatTimes: new Set(), readBack: null };
      this.series.set(key, s);
    }
    for (const t of floatTimes) {
      s.floatTimes.add(t);
      s.histograms.delete(t);
    }
    for (const [t, h] of histograms) {
      s.histograms.set(t, h);
      s.floatTimes.delete(t);
    }
    s.readBack = null;
  }

  /** A Querier over `inner` with the histogram samples merged in. */
  querier(inner: Querier): Querier {
    return {
      select: (matchers, mint, maxt, hints) => this.select(inner, matchers, mint, maxt, hints),
      series: (matchers, mint, maxt, hints) => this.seriesLabels(inner, matchers, mint, maxt, hints),
      labelNames: async (matchers, mint, maxt) => {
        const names = new Set(await inner.labelNames(matchers, mint, maxt));
        for (const s of this.matching(matchers, mint, maxt)) for (const l of s.labels) names.add(l.name);
        return [...names].sort();
      },
      labelValues: async (name, matchers, mint, maxt) => {
        const values = new Set(await inner.labelValues(name, matchers, mint, maxt));
        for (const s of this.matching(matchers, mint, maxt))
          for (const l of s.labels) if (l.name === name) values.add(l.value);
        return [...values].sort();
      },
    };
  }

  private async select(
    inner: Querier,
    matchers: LabelMatcher[],
    mint: number,
    maxt: number,
    hints?: SelectHints,
  ): Promise<SeriesColumns> {
    const read = await inner.select(matchers, mint, maxt, hints);
    if (this.series.size === 0) return read;
    const floats = seriesDataOf(read);
    const byKey = new Map(floats.map((s) => [labelsKey(s.labels), s]));
    const out = [...floats];
    for (const s of this.matching(matchers, mint, maxt)) {
      const all = readBack(s);
      let lo = 0;
      while (lo < all.timestamps.length && all.timestamps[lo]! < mint) lo++;
      let hi = lo;
      while (hi < all.timestamps.length && all.timestamps[hi]! <= maxt) hi++;
      if (hi === lo) continue;
      const histograms = { timestamps: all.timestamps.slice(lo, hi), values: all.values.slice(lo, hi) };
      const withFloats = byKey.get(labelsKey(s.labels));
      if (withFloats) withFloats.histograms = histograms;
      else out.push({ labels: s.labels, timestamps: new Float64Array(0), values: new Float64Array(0), histograms });
    }
    if (hints?.sorted !== false) out.sort((a, b) => compareLabels(a.labels, b.labels));
    return columnsOf(out);
  }

  private async seriesLabels(
    inner: Querier,
    matchers: LabelMatcher[],
    mint: number,
    maxt: number,
    hints?: SeriesHints,
  ): Promise<Label[][]> {
    const all = new Map((await inner.series(matchers, mint, maxt)).map((l) => [labelsKey(l), l]));
    for (const s of this.matching(matchers, mint, maxt)) all.set(labelsKey(s.labels), s.labels);
    const sorted = [...all.values()].sort(compareLabels);
    return hints?.limit ? sorted.slice(0, hints.limit) : sorted;
  }

  private matching(matchers: LabelMatcher[], mint: number, maxt: number): OverlaySeries[] {
    const ms = compileMatchers(matchers);
    const out: OverlaySeries[] = [];
    for (const s of this.series.values()) {
      if (!matchesLabels(s.labels, ms)) continue;
      const ts = readBack(s).timestamps;
      if (ts.some((t) => t >= mint && t <= maxt)) out.push(s);
    }
    return out;
  }
}

/**
 * The series' histograms as Prometheus' head reads them back: the first histogram of a chunk with hint Unknown,
 * the others NotCounterReset (Gauge in gauge chunks). A chunk ends at a float sample, a counter reset (an explicit
 * hint or a detected one), a change of schema or zero threshold, a switch between gauge and counter histograms,
 * and at the end of its chunk range.
 */
function readBack(s: OverlaySeries): { timestamps: Float64Array; values: FloatHistogram[] } {
  if (s.readBack) return s.readBack;
  const times = [...s.histograms.keys(), ...s.floatTimes].sort((a, b) => a - b);
  const timestamps: number[] = [];
  const values: FloatHistogram[] = [];
  let prev: FloatHistogram | null = null;
  let gaugeChunk = false;
  let chunkEnd = 0;
  for (const t of times) {
    const h = s.histograms.get(t);
    if (!h) {
      prev = null;
      continue;
    }
    const gauge = h.counterResetHint === CounterResetHint.Gauge;
    let cut = prev === null || gauge !== gaugeChunk || t >= chunkEnd;
    if (!cut && prev) {
      const layoutChanged =
        h.schema !== prev.schema ||
        h.zeroThreshold !== prev.zeroThreshold ||
        (usesCustomBuckets(h) && h.customValues.join() !== prev.customValues.join());
      // An explicit reset hint always starts a chunk; any other hint is checked against the counts.
      const reset =
        h.counterResetHint === CounterResetHint.CounterReset ? h : { ...h, counterResetHint: CounterResetHint.Unknown };
      cut = layoutChanged || (!gauge && detectReset(reset, prev));
    }
    if (cut) {
      gaugeChunk = gauge;
      chunkEnd = (Math.floor(t / CHUNK_RANGE_MS) + 1) * CHUNK_RANGE_MS;
    }
    const hint = gauge ? CounterResetHint.Gauge : cut ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset;
    timestamps.push(t);
    values.push({ ...h, counterResetHint: hint });
    prev = h;
  }
  s.readBack = { timestamps: Float64Array.from(timestamps), values };
  return s.readBack;
}
