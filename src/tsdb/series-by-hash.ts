// The head's index of series by label hash: open addressing with linear probing over a typed array of (hash, series
// ID) slots. A Map from hash to series was ~40 bytes a series of hash-table memory in the JS heap, rehashed into new
// tables in the old generation as it grew; this is 11-21 bytes a series outside the heap. Series with equal hashes
// sit in consecutive slots and are told apart by their labels.
import type { Label } from '../model/prometheus.js';

/** A series as the table tells series with equal hashes apart. */
export interface LabelledSeries {
  hasLabels(labels: readonly Label[]): boolean;
}

/** Where the table finds a series by ID. */
export interface SeriesById<S extends LabelledSeries> {
  get(id: number): S | undefined;
}

const hasLabels = (s: LabelledSeries, labels: readonly Label[]): boolean => s.hasLabels(labels);

const MIN_BITS = 10;
/** Knuth's multiplicative constant: spreads FNV's hashes over the slots (the high bits of the product). */
const SPREAD = 0x9e3779b1;

export class SeriesByHash<S extends LabelledSeries> {
  private bits = MIN_BITS;
  /**
   * Slot i is [2i] hash, [2i + 1] series ID, side by side: a probe reads one cache line, not one in each of two
   * arrays (at 1M series most probes miss the caches). ID 0 marks an empty slot: series IDs start at 1.
   */
  private slots = new Int32Array(2 << MIN_BITS);
  private used = 0;

  constructor(private readonly series: SeriesById<S>) {}

  private home(hash: number): number {
    return Math.imul(hash, SPREAD) >>> (32 - this.bits);
  }

  /** The series with these labels (and this hash of them). */
  get(labels: readonly Label[], hash: number): S | undefined {
    return this.find(hash, labels, hasLabels);
  }

  /** The series with this hash for which `same(series, key)` holds (`key` describes its labels). */
  find<K>(hash: number, key: K, same: (s: S, key: K) => boolean): S | undefined {
    hash |= 0; // as the Int32Array holds it
    const slots = this.slots;
    const mask = (1 << this.bits) - 1;
    for (let i = this.home(hash); ; i = (i + 1) & mask) {
      const id = slots[2 * i + 1]!;
      if (id === 0) return undefined;
      if (slots[2 * i] === hash) {
        const s = this.series.get(id)!;
        if (same(s, key)) return s;
      }
    }
  }

  /** Adds a series not in the table. */
  add(hash: number, id: number): void {
    if ((this.used + 1) * 4 > (1 << this.bits) * 3) this.resize(this.bits + 1);
    this.place(hash, id);
    this.used++;
  }

  private place(hash: number, id: number): void {
    const slots = this.slots;
    const mask = (1 << this.bits) - 1;
    let i = this.home(hash);
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = id;
  }

  /** Removes the series with this ID (and this hash); later slots of its run shift back into the gap. */
  delete(hash: number, id: number): void {
    const slots = this.slots;
    const mask = (1 << this.bits) - 1;
    let gap = this.home(hash);
    while (slots[2 * gap + 1] !== id) {
      if (slots[2 * gap + 1] === 0) return;
      gap = (gap + 1) & mask;
    }
    for (let j = (gap + 1) & mask; slots[2 * j + 1] !== 0; j = (j + 1) & mask) {
      // The entry at j may fill the gap unless its home lies cyclically in (gap, j].
      const home = this.home(slots[2 * j]!);
      const stays = gap <= j ? gap < home && home <= j : gap < home || home <= j;
      if (stays) continue;
      slots[2 * gap] = slots[2 * j]!;
      slots[2 * gap + 1] = slots[2 * j + 1]!;
      gap = j;
    }
    slots[2 * gap + 1] = 0;
    this.used--;
    if (this.bits > MIN_BITS && this.used * 8 < 1 << this.bits) this.resize(this.bits - 1);
  }

  private resize(bits: number): void {
    const old = this.slots;
    this.bits = bits;
    this.slots = new Int32Array(2 << bits);
    for (let i = 1; i < old.length; i += 2) if (old[i] !== 0) this.place(old[i - 1]!, old[i]!);
  }

  /** Bytes of the slots. */
  get allocatedBytes(): number {
    return this.slots.byteLength;
  }
}
