// When a group evaluates: Prometheus spreads groups over their interval by a stable offset, the xxHash64 of the
// label set {file, name} (labels.Hash) modulo the interval, so a group keeps its slots across restarts and a
// Prometheus loading the same file evaluates it at the same timestamps (rules/group.go EvalTimestamp).
import { labelsHash } from '../model/label-hash.js';

/** labels.Hash of {file="<file>", name="<name>"}: names and values each followed by 0xff, labels sorted. */
export function groupHash(file: string, name: string): bigint {
  return labelsHash([
    { name: 'file', value: file },
    { name: 'name', value: name },
  ]);
}

/**
 * The group's evaluation slot at or before `nowMs`: the last time `offset + k × interval`, where offset is the
 * group hash modulo the interval in nanoseconds (as Prometheus computes it), in whole milliseconds.
 */
export function evalTimestamp(file: string, name: string, intervalMs: number, nowMs: number): number {
  const interval = BigInt(intervalMs) * 1_000_000n;
  const offset = groupHash(file, name) % interval;
  const adjNow = BigInt(nowMs) * 1_000_000n - offset;
  // Go's % keeps the dividend's sign; BigInt's does too.
  const base = adjNow - (adjNow % interval);
  const next = base + offset;
  const ms = next / 1_000_000n;
  // BigInt division truncates toward zero; a time is never negative here, so this is the floor.
  return Number(ms);
}
