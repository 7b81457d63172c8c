// An in-memory Querier for tests of the engine and the API without the store: label sets with sorted samples,
// matched by the same matchers the store uses.
import type { Label } from '../../src/model/prometheus.js';
import type { LabelMatcher, Querier, SeriesData } from '../../src/model/storage.js';
import { compileMatchers, matchesLabels } from '../../src/model/matcher.js';
import { compareLabels, labelsKey } from '../../src/model/labels.js';
import { writeStaleNaN } from '../../src/promql/staleness.js';

interface StoredSeries {
  labels: Label[];
  timestamps: number[];
  values: number[];
  /** Indices of stale markers in `values`. */
  stale: Set<number>;
}

export class MemoryQuerier implements Querier {
  private readonly stored = new Map<string, StoredSeries>();
  private sorted: StoredSeries[] | null = null;

  /** Adds samples to a series (labels in any order). `stale` marks a staleness marker instead of a value. */
  add(labels: Label[], timestamp: number, value: number, stale = false): void {
    const sortedLabels = [...labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const key = labelsKey(sortedLabels);
    let s = this.stored.get(key);
    if (!s) {
      s = { labels: sortedLabels, timestamps: [], values: [], stale: new Set() };
      this.stored.set(key, s);
      this.sorted = null;
    }
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

  async select(matchers: LabelMatcher[], mint: number, maxt: number): Promise<SeriesData[]> {
    const out: SeriesData[] = [];
    for (const s of this.matching(matchers)) {
      let lo = 0;
      while (lo < s.timestamps.length && s.timestamps[lo]! < mint) lo++;
      let hi = lo;
      while (hi < s.timestamps.length && s.timestamps[hi]! <= maxt) hi++;
      if (hi === lo) continue;
      const timestamps = Float64Array.from(s.timestamps.slice(lo, hi));
      const values = Float64Array.from(s.values.slice(lo, hi));
      for (const i of s.stale) if (i >= lo && i < hi) writeStaleNaN(values, i - lo);
      out.push({ labels: s.labels, timestamps, values });
    }
    return out;
  }

  async series(matchers: LabelMatcher[], mint: number, maxt: number): Promise<Label[][]> {
    return (await this.select(matchers, mint, maxt)).map((s) => s.labels);
  }

  async labelNames(matchers: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    const names = new Set<string>();
    for (const s of await this.select(matchers, mint, maxt)) for (const l of s.labels) names.add(l.name);
    return [...names].sort();
  }

  async labelValues(name: string, matchers: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    const values = new Set<string>();
    for (const s of await this.select(matchers, mint, maxt)) {
      for (const l of s.labels) if (l.name === name) values.add(l.value);
    }
    return [...values].sort();
  }
}
