// The head's out-of-order buffers: the samples of a series older than its newest, waiting to be merged into its
// chunks, kept sorted by time (as in Prometheus' out-of-order head chunk). Each buffer is a slot of shared pages read
// as float64s, its sample count first, then (t, v) pairs: an object and a Float64Array per series with late samples
// were ~300 bytes of heap beside the samples themselves.
import { SlotArena } from './slots.js';

/**
 * The buffer a series starts with: one pair and the count, 32 bytes. Most series with late samples get a few (a
 * retried flush, a flush overtaking another); it grows to 3, 7, 15 and 31 pairs as they come.
 */
const INITIAL_PAIRS = 1;

export class LateSamples {
  private readonly slots = new SlotArena();
  /** Buffers started by insert() and not released yet. */
  buffersInUse = 0;

  /** Samples in the buffer. */
  count(ref: number): number {
    return this.slots.f64Page(ref)[this.slots.offset(ref) >>> 3]!;
  }

  /** The time of the i-th sample, oldest first. */
  time(ref: number, i: number): number {
    return this.slots.f64Page(ref)[(this.slots.offset(ref) >>> 3) + 1 + 2 * i]!;
  }

  /** The value of the i-th sample. */
  value(ref: number, i: number): number {
    return this.slots.f64Page(ref)[(this.slots.offset(ref) >>> 3) + 2 + 2 * i]!;
  }

  /** The index of the first sample at or after `t` (the count when none). */
  search(ref: number, t: number): number {
    const f = this.slots.f64Page(ref);
    const at = (this.slots.offset(ref) >>> 3) + 1;
    let lo = 0;
    let hi = f[at - 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (f[at + 2 * mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Inserts (t, v) at index `i` (from search(): t is in no pair yet) of the buffer `ref`, or of a new one when `ref`
   * is -1. Returns the buffer's reference, which changes when it has to grow.
   */
  insert(ref: number, i: number, t: number, v: number): number {
    const slots = this.slots;
    if (ref < 0) {
      ref = slots.alloc(8 + 16 * INITIAL_PAIRS);
      this.buffersInUse++;
    }
    let f = slots.f64Page(ref);
    let at = slots.offset(ref) >>> 3;
    const n = f[at]!;
    if (8 + 16 * (n + 1) > slots.size(ref)) {
      const moved = slots.alloc(8 + 16 * (2 * n + 1));
      const to = slots.f64Page(moved);
      const toAt = slots.offset(moved) >>> 3;
      to.set(f.subarray(at, at + 1 + 2 * n), toAt);
      slots.release(ref);
      ref = moved;
      f = to;
      at = toAt;
    }
    const pair = at + 1 + 2 * i;
    f.copyWithin(pair + 2, pair, at + 1 + 2 * n);
    f[pair] = t;
    f[pair + 1] = v;
    f[at] = n + 1;
    return ref;
  }

  /** Frees the buffer. */
  release(ref: number): void {
    this.buffersInUse--;
    this.slots.release(ref);
  }

  /** Bytes allocated for the buffers' pages. */
  get allocatedBytes(): number {
    return this.slots.allocatedBytes;
  }
}
