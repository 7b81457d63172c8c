import type { Label } from '../model/prometheus.js';

export function labelsEqual(a: readonly Label[], b: readonly Label[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  return true;
}

/** 32-bit FNV-1a over names and values with separators (so {a="bc"} and {ab="c"} differ). */
export function hashLabels(labels: readonly Label[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < labels.length; i++) {
    const { name, value } = labels[i]!;
    for (let j = 0; j < name.length; j++) h = Math.imul(h ^ name.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
    for (let j = 0; j < value.length; j++) h = Math.imul(h ^ value.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xfe, 0x01000193);
  }
  return h | 0; // int32: a small integer to V8 (no boxed number per series, faster map keys)
}

/**
 * Labels in the canonical form the store keeps: empty values dropped (Prometheus treats them as absent), sorted by
 * name. Returns the input itself when it already is canonical (the mapping's output is), otherwise a copy.
 */
export function canonicalLabels(labels: readonly Label[]): Label[] {
  let ok = true;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]!.value === '' || (i > 0 && labels[i - 1]!.name >= labels[i]!.name)) {
      ok = false;
      break;
    }
  }
  if (ok) return labels as Label[];
  const out = labels.filter((l) => l.value !== '').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1]!.name === out[i]!.name) throw new DuplicateLabelError(`duplicate label name ${out[i]!.name}`);
  }
  return out;
}

export class DuplicateLabelError extends Error {
  override name = 'DuplicateLabelError';
}
