import assert from 'node:assert/strict';
import { DecodeError } from '../../model/datadog.js';

// Test support for the decoder tests (not used on the intake path).

/** Deterministic pseudo-random numbers in [0, 1), for fuzz loops that must fail the same way every run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 12;
    return (s >>> 0) / 4294967296;
  };
}

/** Runs `fn`; it may succeed, but if it throws, the error must be a DecodeError. */
export function onlyDecodeErrors(fn: () => unknown, context: string): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof DecodeError, `${context}: threw ${String(err)} instead of a DecodeError`);
    return 'error';
  }
}

/** Asserts that `fn` throws a DecodeError with exactly this message (string) or one matching it (RegExp). */
export function assertDecodeError(fn: () => unknown, expected: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DecodeError, `expected a DecodeError, got ${String(err)}`);
    if (typeof expected === 'string') assert.equal(err.message, expected);
    else assert.match(err.message, expected);
    return true;
  });
}
