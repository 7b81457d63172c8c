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
