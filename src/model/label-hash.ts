// Prometheus' labels.Hash(): XXH64 (seed 0) of every label as name, 0xff, value, 0xff, labels sorted. The ruler
// spreads groups by it and limit_ratio picks series by it, so both choose as Prometheus does.
import type { Label } from './prometheus.js';

const MASK = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

const rotl = (v: bigint, r: bigint) => ((v << r) | (v >> (64n - r))) & MASK;
const mul = (a: bigint, b: bigint) => (a * b) & MASK;
const round = (acc: bigint, lane: bigint) => mul(rotl((acc + mul(lane, P2)) & MASK, 31n), P1);
const mergeRound = (acc: bigint, v: bigint) => (mul(acc ^ round(0n, v), P1) + P4) & MASK;

/** XXH64 with seed 0 (what Prometheus' labels.Hash uses through cespare/xxhash). */
export function xxhash64(data: Uint8Array): bigint {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const len = data.length;
  let p = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (P1 + P2) & MASK;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (MASK + 1n - P1) & MASK;
    for (; p + 32 <= len; p += 32) {
      v1 = round(v1, view.getBigUint64(p, true));
      v2 = round(v2, view.getBigUint64(p + 8, true));
      v3 = round(v3, view.getBigUint64(p + 16, true));
      v4 = round(v4, view.getBigUint64(p + 24, true));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    h = mergeRound(mergeRound(mergeRound(mergeRound(h, v1), v2), v3), v4);
  } else h = P5;
  h = (h + BigInt(len)) & MASK;
  for (; p + 8 <= len; p += 8) {
    h ^= round(0n, view.getBigUint64(p, true));
    h = (mul(rotl(h, 27n), P1) + P4) & MASK;
  }
  if (p + 4 <= len) {
    h ^= mul(BigInt(view.getUint32(p, true)), P1);
    h = (mul(rotl(h, 23n), P2) + P3) & MASK;
    p += 4;
  }
  for (; p < len; p++) {
    h ^= mul(BigInt(data[p]!), P5);
    h = mul(rotl(h, 11n), P1);
  }
  h ^= h >> 33n;
  h = mul(h, P2);
  h ^= h >> 29n;
  h = mul(h, P3);
  h ^= h >> 32n;
  return h;
}

const SEPARATOR = Uint8Array.of(0xff);
const encoder = new TextEncoder();

/** labels.Hash() of a sorted label set. */
export function labelsHash(labels: readonly Label[]): bigint {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const l of labels) {
    for (const s of [l.name, l.value]) {
      const bytes = encoder.encode(s);
      parts.push(bytes, SEPARATOR);
      size += bytes.length + 1;
    }
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return xxhash64(all);
}
