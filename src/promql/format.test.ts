import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatFloat, formatFloatPlain, parseDuration, parseDurationParam, parseTime } from './format.js';

describe('formatFloat (Prometheus JSON: strconv.FormatFloat f/-1, e outside [1e-6, 1e21))', () => {
  // Expected strings are what Go prints for these values.
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-1.5, '-1.5'],
    [0.1, '0.1'],
    [1 / 3, '0.3333333333333333'],
    [123456789, '123456789'],
    [1e20, '100000000000000000000'],
    [1e21, '1e+21'],
    [1.5e300, '1.5e+300'],
    [0.000001, '0.000001'],
    [1e-7, '1e-07'],
    [1.234e-7, '1.234e-07'],
    [-2.5e-10, '-2.5e-10'],
    [5e-324, '5e-324'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  for (const [v, want] of cases) {
    test(`${want}`, () => assert.equal(formatFloat(v), want));
  }
});

test('formatFloatPlain never uses an exponent (count_values labels)', () => {
  assert.equal(formatFloatPlain(1e21), '1000000000000000000000');
  assert.equal(formatFloatPlain(1.5e22), '15000000000000000000000');
  assert.equal(formatFloatPlain(1e-7), '0.0000001');
  assert.equal(formatFloatPlain(-1.25e-8), '-0.0000000125');
  assert.equal(formatFloatPlain(42.5), '42.5');
  assert.equal(formatFloatPlain(Infinity), '+Inf');
});

test('parseDuration accepts Prometheus durations and rejects out-of-order units', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('1w2d'), 9 * 86_400_000);
  assert.equal(parseDuration('1y'), 365 * 86_400_000);
  assert.equal(parseDuration('100ms'), 100);
  assert.equal(parseDuration('1m30s500ms'), 90_500);
  assert.equal(parseDuration('0'), 0);
  assert.throws(() => parseDuration('1m1h'));
  assert.throws(() => parseDuration(''));
  assert.throws(() => parseDuration('5'));
});

test('parseTime reads unix seconds and RFC 3339', () => {
  assert.equal(parseTime('1.5'), 1500);
  assert.equal(parseTime('1700000000'), 1_700_000_000_000);
  assert.equal(parseTime('2015-07-01T20:10:51.781Z'), 1435781451781);
  assert.equal(parseTime('2015-07-01T22:10:51+02:00'), 1435781451000);
  assert.throws(() => parseTime('yesterday'), /cannot parse "yesterday" to a valid timestamp/);
  assert.equal(parseDurationParam('15'), 15_000);
  assert.equal(parseDurationParam('0.5'), 500);
  assert.equal(parseDurationParam('1m'), 60_000);
  assert.throws(() => parseDurationParam('abc'));
});
