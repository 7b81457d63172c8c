// String hashes for the mapper's caches, computed in JS: V8 hashes a string one character at a time with a long
// dependency chain, so hashing one concatenated key costs about twice as much (mapper.bench.ts measures the mapper).

/** Start value of a hash; mix strings in with mixAll or mixSample. */
export const HASH_SEED = 0x811c9dc5 | 0;

/** Mixes every character of s into h. */
export function mixAll(h: number, s: string): number {
  const n = s.length;
  let a = Math.imul(h ^ n, 0x01000193);
  let b = 0x9e3779b9 | 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ s.charCodeAt(i + 1), 0x5bd1e995);
  }
  if (i < n) a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
  return Math.imul(a ^ (b >>> 13) ^ b, 0x85ebca6b);
}

/** Length, the last 4 characters (where generated ids and counters differ) and 4 from the middle. */
export function mixSample(h: number, s: string): number {
  const n = s.length;
  if (n <= 8) return mixAll(h, s);
  h = Math.imul(h ^ n, 0x01000193);
  for (let i = n - 4; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  const mid = (n >> 1) - 2;
  for (let i = mid; i < mid + 4; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
