// The head's index of series by label hash: open addressing with linear probing over two typed arrays (hash, series
// ID). A Map from hash to series was ~40 bytes a series of hash-table memory in the JS heap, rehashed into new
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
  private hashes = new Int32Array(1 << MIN_BITS);
  /** 0 marks an empty slot: series IDs start at 1. */
  private ids = new Uint32Array(1 << MIN_BITS);
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
    const ids = this.ids;
    const hashes = this.hashes;
    const mask = ids.length - 1;
    for (let i = this.home(hash); ; i = (i + 1) & mask) {
      const id = ids[i]!;
      if (id === 0) return undefined;
      if (hashes[i] === hash) {
        const s = this.series.get(id)!;
        if (same(s, key)) return s;
      }
    }
  }

  /** Adds a series not in the table. */
  add(hash: number, id: number): void {
    if ((this.used + 1) * 4 > this.ids.length * 3) this.resize(this.bits + 1);
    this.place(hash, id);
    this.used++;
  }

  private place(hash: number, id: number): void {
    const ids = this.ids;
    const mask = ids.length - 1;
    let i = this.home(hash);
    while (ids[i] !== 0) i = (i + 1) & mask;
    ids[i] = id;
    this.hashes[i] = hash;
  }

  /** Removes the series with this ID (and this hash); later slots of its run shift back into the gap. */
  delete(hash: number, id: number): void {
    const ids = this.ids;
    const hashes = this.hashes;
    const mask = ids.length - 1;
    let gap = this.home(hash);
    while (ids[gap] !== id) {
      if (ids[gap] === 0) return;
      gap = (gap + 1) & mask;
    }
    for (let j = (gap + 1) & mask; ids[j] !== 0; j = (j + 1) & mask) {
      // The entry at j may fill the gap unless its home lies cyclically in (gap, j].
      const home = this.home(hashes[j]!);
      const stays = gap <= j ? gap < home && home <= j : gap < home || home <= j;
      if (stays) continue;
      ids[gap] = ids[j]!;
      hashes[gap] = hashes[j]!;
      gap = j;
    }
    ids[gap] = 0;
    this.used--;
    if (this.bits > MIN_BITS && this.used * 8 < ids.length) this.resize(this.bits - 1);
  }

  private resize(bits: number): void {
    const oldIds = this.ids;
    const oldHashes = this.hashes;
    this.bits = bits;
    this.ids = new Uint32Array(1 << bits);
    this.hashes = new Int32Array(1 << bits);
    for (let i = 0; i < oldIds.length; i++) if (oldIds[i] !== 0) this.place(oldHashes[i]!, oldIds[i]!);
  }

  /** Bytes of the two arrays. */
  get allocatedBytes(): number {
    return this.ids.length * 8;
  }
}
