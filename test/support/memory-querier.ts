// An in-memory Querier for tests of the engine and the API without the store: label sets with sorted samples
// (floats, and native histograms beside them), matched by the same matchers the store uses.
import type { FloatHistogram } from '../../src/model/histogram.js';
import type { Label } from '../../src/model/prometheus.js';
import type { LabelMatcher, Querier, SeriesColumns, SeriesData } from '../../src/model/storage.js';
import { columnsOf } from '../../src/model/series-columns.js';
import { compileMatchers, matchesLabels } from '../../src/model/matcher.js';
import { compareLabels, labelsKey } from '../../src/model/labels.js';
import { writeStaleNaN } from '../../src/promql/staleness.js';

interface StoredSeries {
  labels: Label[];
  timestamps: number[];
  values: number[];
  /** Indices of stale markers in `values`. */
  stale: Set<number>;
  /** Native histogram samples by time (a time is a float or a histogram sample, never both). */
  histograms: Map<number, FloatHistogram>;
}

export class MemoryQuerier implements Querier {
  private readonly stored = new Map<string, StoredSeries>();
  private sorted: StoredSeries[] | null = null;

  /** Adds samples to a series (labels in any order). `stale` marks a staleness marker instead of a value. */
  add(labels: Label[], timestamp: number, value: number, stale = false): void {
    const s = this.seriesOf(labels);
    s.histograms.delete(timestamp);
    const n = s.timestamps.length;
    if (n > 0 && s.timestamps[n - 1]! >= timestamp) {
      // Out of order or duplicate: keep timestamps strictly increasing (a duplicate replaces the value).
      const idx = s.timestamps.findIndex((t) => t >= timestamp);
      if (s.timestamps[idx] === timestamp) {
        s.values[idx] = value;
        if (stale) s.stale.add(idx);
        else s.stale.delete(idx);
        return;
      }
      s.timestamps.splice(idx, 0, timestamp);
      s.values.splice(idx, 0, value);
      s.stale = new Set([...s.stale].map((i) => (i >= idx ? i + 1 : i)));
      if (stale) s.stale.add(idx);
      return;
    }
    s.timestamps.push(timestamp);
    s.values.push(value);
    if (stale) s.stale.add(n);
  }

  /** Adds a native histogram sample to a series (labels in any order); it replaces a float at the same time. */
  addHistogram(labels: Label[], timestamp: number, h: FloatHistogram): void {
    const s = this.seriesOf(labels);
    const idx = s.timestamps.indexOf(timestamp);
    if (idx >= 0) {
      s.timestamps.splice(idx, 1);
      s.values.splice(idx, 1);
      s.stale = new Set([...s.stale].filter((i) => i !== idx).map((i) => (i > idx ? i - 1 : i)));
    }
    s.histograms.set(timestamp, h);
  }

  private seriesOf(labels: Label[]): StoredSeries {
    const sortedLabels = [...labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const key = labelsKey(sortedLabels);
    let s = this.stored.get(key);
    if (!s) {
      s = { labels: sortedLabels, timestamps: [], values: [], stale: new Set(), histograms: new Map() };
      this.stored.set(key, s);
      this.sorted = null;
    }
    return s;
  }

  clear(): void {
    this.stored.clear();
    this.sorted = null;
  }

  private all(): StoredSeries[] {
    if (!this.sorted) this.sorted = [...this.stored.values()].sort((a, b) => compareLabels(a.labels, b.labels));
    return this.sorted;
  }

  private matching(matchers: LabelMatcher[]): StoredSeries[] {
    const ms = compileMatchers(matchers);
    return this.all().filter((s) => matchesLabels(s.labels, ms));
  }

  async select(matchers: LabelMatcher[], mint: number, maxt: number): Promise<SeriesColumns> {
    return columnsOf(this.seriesIn(matchers, mint, maxt));
  }

  /** The matching series with their samples in [mint, maxt], each as an object of its own. */
  private seriesIn(matchers: LabelMatcher[], mint: number, maxt: number): SeriesData[] {
    const out: SeriesData[] = [];
    for (const s of this.matching(matchers)) {
      let lo = 0;
      while (lo < s.timestamps.length && s.timestamps[lo]! < mint) lo++;
      let hi = lo;
      while (hi < s.timestamps.length && s.timestamps[hi]! <= maxt) hi++;
      const histogramTimes = [...s.histograms.keys()].filter((t) => t >= mint && t <= maxt).sort((a, b) => a - b);
      if (hi === lo && histogramTimes.length === 0) continue;
      const timestamps = Float64Array.from(s.timestamps.slice(lo, hi));
      const values = Float64Array.from(s.values.slice(lo, hi));
      for (const i of s.stale) if (i >= lo && i < hi) writeStaleNaN(values, i - lo);
      if (histogramTimes.length === 0) out.push({ labels: s.labels, timestamps, values });
      else {
        const histograms = {
          timestamps: Float64Array.from(histogramTimes),
          values: histogramTimes.map((t) => s.histograms.get(t)!),
        };
        out.push({ labels: s.labels, timestamps, values, histograms });
      }
    }
    return out;
  }

  async series(matchers: LabelMatcher[], mint: number, maxt: number): Promise<Label[][]> {
    return this.seriesIn(matchers, mint, maxt).map((s) => s.labels);
  }

  async labelNames(matchers: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    const names = new Set<string>();
    for (const s of this.seriesIn(matchers, mint, maxt)) for (const l of s.labels) names.add(l.name);
    return [...names].sort();
  }

  async labelValues(name: string, matchers: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    const values = new Set<string>();
    for (const s of this.seriesIn(matchers, mint, maxt)) {
      for (const l of s.labels) if (l.name === name) values.add(l.value);
    }
    return [...values].sort();
  }
}
