// Label sets of the series WAL replay creates, packed: a set is a run of numbers in one growing Uint32Array (its pair
// count, then its pairs' numbers), a pair's number an index into the distinct pairs' Label objects. A label array per
// replayed series was ~90 bytes of the JS heap and, at 1M series, a good part of the replay's garbage collection
// (every array copied by the scavenges that promoted it); a packed set is 4 bytes a pair plus 4, outside the heap.
import type { Label } from '../model/prometheus.js';

export class PackedLabelSets {
  private readonly pairs: Label[] = [];
  private words = new Uint32Array(1 << 16);
  private end = 0;

  /** Numbers a pair (each distinct pair once). */
  addPair(label: Label): number {
    return this.pairs.push(label) - 1;
  }

  /** Packs the set of the first `n` pairs of `found`, by their numbers; returns its reference. */
  add(found: readonly { readonly number: number }[], n: number): number {
    if (this.end + n + 1 > this.words.length) {
      const grown = new Uint32Array(Math.max(this.words.length * 2, this.end + n + 1));
      grown.set(this.words.subarray(0, this.end));
      this.words = grown;
    }
    const w = this.words;
    const ref = this.end;
    w[ref] = n;
    for (let j = 0; j < n; j++) w[ref + 1 + j] = found[j]!.number;
    this.end = ref + n + 1;
    return ref;
  }

  /** Takes back the set added last (`ref`, what add() returned). */
  removeLast(ref: number): void {
    this.end = ref;
  }

  /** Pairs in the set. */
  count(ref: number): number {
    return this.words[ref]!;
  }

  /** The set as a new array of the pairs' Label objects. */
  labels(ref: number): Label[] {
    const w = this.words;
    const n = w[ref]!;
    const out = new Array<Label>(n);
    for (let j = 0; j < n; j++) out[j] = this.pairs[w[ref + 1 + j]!]!;
    return out;
  }

  /** Whether the set is `labels`. */
  equals(ref: number, labels: readonly Label[]): boolean {
    const w = this.words;
    const n = w[ref]!;
    if (labels.length !== n) return false;
    for (let j = 0; j < n; j++) {
      const a = this.pairs[w[ref + 1 + j]!]!;
      const b = labels[j]!;
      if (a !== b && (a.name !== b.name || a.value !== b.value)) return false;
    }
    return true;
  }

  /** Whether sets `a` and `b` are the same (a pair has one number). */
  same(a: number, b: number): boolean {
    const w = this.words;
    const n = w[a]!;
    if (w[b] !== n) return false;
    for (let j = 1; j <= n; j++) if (w[a + j] !== w[b + j]) return false;
    return true;
  }

  /** Bytes of the packed sets' array. */
  get allocatedBytes(): number {
    return this.words.byteLength;
  }
}
