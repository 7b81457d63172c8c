import type { Label, PromSeries, SeriesRef } from '../model/prometheus.js';
import type { SketchHistogramSeries } from './sketch-histogram.js';
import { SlotIndex } from './slot-index.js';
import { HASH_SEED, mixAll } from './string-hash.js';

/**
 * One mapped label set and what it is doing in the current request. Interned per tenant: equal labels ⇒ same
 * object. It is the `ref` of its PromSeries, so sinks can keep their per-series state in it across requests.
 */
export interface LabelSet extends SeriesRef {
  /** Frozen, with frozen interned Label objects: shared by every PromSeries of this set and by sinks (the store's head). */
  readonly labels: Label[];
  /** The request (Mapper.epoch) that `out` belongs to. */
  epoch: number;
  out: PromSeries | null;
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
 * Label sets by hash: equal labels ⇒ the same LabelSet (so one request's samples of a label set land in one
 * PromSeries), without a string key or a Map entry per series (rows in a SlotIndex).
 */
export class LabelSetTable {
  private readonly index = new SlotIndex();
  private readonly sets: LabelSet[] = [];

  /** `hash` is labelSetHash(labels). */
  find(hash: number, labels: readonly Label[]): LabelSet | undefined {
    const ix = this.index;
    for (let c = ix.start(hash), k: number; (k = ix.slotAt(c)) >= 0; c = ix.next(c))
      if (ix.hashOf(k) === hash && sameLabels(this.sets[k]!.labels, labels)) return this.sets[k];
    return undefined;
  }

  /** Adds a label set not in the table; `hash` is labelSetHash of its labels. */
  add(ls: LabelSet, hash: number): void {
    this.index.add(hash, this.sets.length);
    this.sets.push(ls);
  }
}

function sameLabels(a: readonly Label[], b: readonly Label[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  return true;
}
