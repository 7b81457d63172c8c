import type { Label } from './prometheus.js';

// Label-set helpers every layer needs (storage, PromQL, the query API).

/** Prometheus' label-set order (labels.Compare): pairwise by name then value; a prefix sorts first. */
export function compareLabels(a: readonly Label[], b: readonly Label[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name) return x.name < y.name ? -1 : 1;
    if (x.value !== y.value) return x.value < y.value ? -1 : 1;
  }
  return a.length - b.length;
}

/** A string identifying a sorted label set, for Map keys (\xff and \xfe never occur in UTF-8 text). */
export function labelsKey(labels: readonly Label[]): string {
  let k = '';
  for (const l of labels) k += `${l.name}\xff${l.value}\xfe`;
  return k;
}

/**
 * The `k` smallest label sets in compareLabels order, sorted: a bounded max-heap, O(n log k) instead of sorting all
 * n (a `limit` of 10 over a million series).
 */
export function smallestLabelSets<T extends readonly Label[]>(sets: Iterable<T>, k: number): T[] {
  const heap: T[] = [];
  const less = (i: number, j: number) => compareLabels(heap[i]!, heap[j]!) < 0;
  const swap = (i: number, j: number) => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  for (const s of sets) {
    if (heap.length < k) {
      heap.push(s);
      for (let i = heap.length - 1; i > 0 && less((i - 1) >> 1, i); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
      continue;
    }
    if (k === 0 || compareLabels(s, heap[0]!) >= 0) continue;
    heap[0] = s;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && less(top, l)) top = l;
      if (r < heap.length && less(top, r)) top = r;
      if (top === i) break;
      swap(i, top);
      i = top;
    }
  }
  return heap.sort(compareLabels);
}
