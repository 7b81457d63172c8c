import assert from 'node:assert/strict';
import { DecodeError, type DDEvent, type DDSeries } from '../../src/model/datadog.js';

// Test support for the decoder tests (not used on the intake path).

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

/** A DDSeries with every field at its wire default ("" / 0 / empty), overridden by `partial`. */
export function series(partial: Partial<DDSeries>): DDSeries {
  return {
    metric: '',
    type: 'unspecified',
    host: '',
    device: '',
    resources: [],
    tags: [],
    sourceTypeName: '',
    interval: 0,
    unit: '',
    timestamps: [],
    values: [],
    ...partial,
  };
}

/** A DDEvent with every field at its wire default ("" / 0 / empty), overridden by `partial`. */
export function ddEvent(partial: Partial<DDEvent>): DDEvent {
  return {
    title: '',
    text: '',
    host: '',
    tags: [],
    timestamp: 0,
    alertType: '',
    priority: '',
    sourceTypeName: '',
    aggregationKey: '',
    ...partial,
  };
}
