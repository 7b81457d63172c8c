// Label sets as the ruler builds them (Prometheus' labels.Builder): set in order, an empty value deletes the label,
// the result sorted by name.
import type { Label } from '../model/prometheus.js';

export class LabelBuilder {
  private readonly map = new Map<string, string>();

  constructor(from: readonly Label[] = []) {
    for (const l of from) this.set(l.name, l.value);
  }

  set(name: string, value: string): this {
    if (value === '') this.map.delete(name);
    else this.map.set(name, value);
    return this;
  }

  delete(name: string): this {
    this.map.delete(name);
    return this;
  }

  labels(): Label[] {
    const out: Label[] = [];
    for (const [name, value] of this.map) out.push({ name, value });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/**
 * Pairs from a rule file (labels, annotations) sorted by name, later pairs winning. Empty values stay: set on a
 * sample, a rule label with an empty value removes that label.
 */
export function pairsToLabels(pairs: readonly (readonly [string, string])[]): Label[] {
  const map = new Map<string, string>(pairs);
  return [...map]
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function labelsToRecord(labels: readonly Label[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}
