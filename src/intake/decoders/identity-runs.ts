// Series identities as byte runs of the request body (IdentitySeriesBatch in src/model/datadog.ts): hashing a run,
// copying it into the mapper's identity words and comparing it with them. Shared by the v2 protobuf and v1 JSON
// scanners, so both encode identities as the same words.

/** Start value of an identity hash; mix each run in with hashRun, then take identityHashOf. */
export const IDENTITY_HASH_SEED = 0x811c9dc5 | 0;

/** Mixes run [p, stop) of `view` into hash h: four bytes a step (rotate-multiply), the tail byte by byte. */
export function hashRun(view: DataView, h: number, p: number, stop: number): number {
  h = Math.imul(h ^ (stop - p), 0x9e3779b1);
  for (; p + 4 <= stop; p += 4) h = Math.imul(((h << 13) | (h >>> 19)) ^ view.getInt32(p, true), 0x85ebca6b);
  for (; p < stop; p++) h = Math.imul(h ^ view.getUint8(p), 0x01000193);
  return h;
}

/** The 30-bit identity hash of a mixed value: a small integer in every V8 build, the fast Map key. */
export function identityHashOf(h: number): number {
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

/** Words run [p, stop) takes: its length, then its bytes little-endian, zero-padded to a whole word. */
export function runWords(p: number, stop: number): number {
  return 1 + ((stop - p + 3) >>> 2);
}

/** Writes run [p, stop) as words at words[w ...]; returns where its words end. */
export function writeRun(view: DataView, p: number, stop: number, words: Int32Array, w: number): number {
  words[w++] = stop - p;
  for (; p + 4 <= stop; p += 4) words[w++] = view.getInt32(p, true);
  if (p < stop) words[w++] = tailWord(view, p, stop);
  return w;
}

/** Whether words[w ...] hold run [p, stop): where its words end, or -1. */
export function runEquals(view: DataView, p: number, stop: number, words: Int32Array, w: number): number {
  if (words[w++] !== stop - p) return -1;
  for (; p + 4 <= stop; p += 4) if (words[w++] !== view.getInt32(p, true)) return -1;
  if (p < stop && words[w++] !== tailWord(view, p, stop)) return -1;
  return w;
}

/** The 1-3 bytes [p, stop) as a little-endian word, zero-padded. */
function tailWord(view: DataView, p: number, stop: number): number {
  let word = 0;
  for (let shift = 0; p < stop; p++, shift += 8) word |= view.getUint8(p) << shift;
  return word;
}

/** A copy twice as long (the scanners' per-series tables grow this way). */
export function doubled(a: Int32Array): Int32Array {
  const grown = new Int32Array(2 * a.length);
  grown.set(a);
  return grown;
}
