import type { Label } from '../model/prometheus.js';

export function labelsEqual(a: readonly Label[], b: readonly Label[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  return true;
}

/**
 * A label pair's part of its label set's hash: 32-bit FNV-1a over name and value with separators (so {a="bc"} and
 * {ab="c"} differ). The head keeps it per distinct pair, so WAL replay hashes a series without reading its strings.
 */
export function hashLabelPair(name: string, value: string): number {
  let h = 0x811c9dc5;
  for (let j = 0; j < name.length; j++) h = Math.imul(h ^ name.charCodeAt(j), 0x01000193);
  h = Math.imul(h ^ 0xff, 0x01000193);
  for (let j = 0; j < value.length; j++) h = Math.imul(h ^ value.charCodeAt(j), 0x01000193);
  return Math.imul(h ^ 0xfe, 0x01000193);
}

/** The hash of an empty label set, and the start of every other's. */
export const EMPTY_LABELS_HASH = 0x811c9dc5 | 0;

/**
 * Folds the next pair's hash into a label set's hash. Each step is a bijection of the running hash for a given pair
 * and of the pair's hash for a given running hash, so two sets that differ in one pair never collide.
 */
export function addPairHash(h: number, pairHash: number): number {
  h = Math.imul(h ^ pairHash, 0x01000193);
  return (h ^ (h >>> 15)) | 0; // int32: a small integer to V8 (no boxed number per series, faster map keys)
}

/** The hash of a label set (the order of its pairs counts): its pairs' hashes folded in order. */
export function hashLabels(labels: readonly Label[]): number {
  let h = EMPTY_LABELS_HASH;
  for (let i = 0; i < labels.length; i++) h = addPairHash(h, hashLabelPair(labels[i]!.name, labels[i]!.value));
  return h;
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
