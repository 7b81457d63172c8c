import type { Label, PromSeries, SeriesRef } from '../model/prometheus.js';
import type { SketchHistogramSeries } from './sketch-histogram.js';
import { HASH_SEED, mixAll } from './string-hash.js';

/**
 * One mapped label set and what it is doing in the current request. Interned per tenant: equal labels ⇒ same
 * object. It is the `ref` of its PromSeries, so sinks can keep their per-series state in it across requests.
 */
export interface LabelSet extends SeriesRef {
  /** Frozen, with frozen interned Label objects: shared by every PromSeries of this set and by sinks (the store's head). */
  readonly labels: Label[];
  readonly hash: number;
  /** Next label set with the same hash. */
  next: LabelSet | undefined;
  /** The request (Mapper.epoch) that `out` belongs to. */
  epoch: number;
  out: PromSeries | null;
  /** `out` got a timestamp ≤ its previous one: sort and dedupe at the end of the request. */
  unsorted: boolean;
  /** A distribution's native histogram: its running totals across requests; null for every other label set. */
  histogram: SketchHistogramSeries | null;
}

/** The hash LabelSetTable files `labels` (sorted by name) under. */
export function labelSetHash(labels: readonly Label[]): number {
  let hash = HASH_SEED;
  for (const l of labels) hash = mixAll(mixAll(hash, l.name), l.value);
  return hash;
}

/**
 * Label sets by hash, chained on collision: equal labels ⇒ the same LabelSet (so one request's samples of a label
 * set land in one PromSeries) without keeping a string key per series.
 */
export class LabelSetTable {
  private buckets = new Map<number, LabelSet>();

  find(hash: number, labels: readonly Label[]): LabelSet | undefined {
    for (let ls = this.buckets.get(hash); ls !== undefined; ls = ls.next) if (sameLabels(ls.labels, labels)) return ls;
    return undefined;
  }

  add(ls: LabelSet): void {
    ls.next = this.buckets.get(ls.hash);
    this.buckets.set(ls.hash, ls);
  }
}

function sameLabels(a: readonly Label[], b: readonly Label[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  return true;
}
