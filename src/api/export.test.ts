import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterResetHint } from '../model/histogram.js';
import { exportLine, exportValue, labelsJson } from './export.js';

test('export values are JSON the way VictoriaMetrics writes them', () => {
  assert.equal(exportValue(1.5), '1.5');
  assert.equal(exportValue(1e21), '1000000000000000000000');
  assert.equal(exportValue(-2.5e-7), '-0.00000025');
  assert.equal(exportValue(NaN), 'null');
  assert.equal(exportValue(Infinity), '"Infinity"');
  assert.equal(exportValue(-Infinity), '"-Infinity"');
});

test('an export line parses as JSON and keeps label order', () => {
  const line = exportLine({
    labels: [
      { name: '__name__', value: 'x' },
      { name: '10', value: 'a"b' },
    ],
    timestamps: Float64Array.from([1000, 2000]),
    values: Float64Array.from([1, -Infinity]),
  });
  assert.ok(line.endsWith('\n'));
  assert.deepEqual(JSON.parse(line), {
    metric: { __name__: 'x', '10': 'a"b' },
    values: [1, '-Infinity'],
    timestamps: [1000, 2000],
  });
  // A JS object would move the integer-like name first; the JSON text keeps the label order.
  assert.equal(
    labelsJson([
      { name: '__name__', value: 'x' },
      { name: '10', value: 'y' },
    ]),
    '{"__name__":"x","10":"y"}',
  );
});

test('histogram samples follow the float ones with every field, so nothing is lost', () => {
  const line = exportLine({
    labels: [{ name: '__name__', value: 'h' }],
    timestamps: Float64Array.from([1000]),
    values: Float64Array.from([3]),
    histograms: {
      timestamps: Float64Array.from([2000]),
      values: [
        {
          counterResetHint: CounterResetHint.Gauge,
          schema: 3,
          zeroThreshold: 1e-128,
          zeroCount: 0.5,
          count: 7.5,
          sum: -2.25,
          positiveSpans: [{ offset: -2, length: 2 }],
          positiveBuckets: [3, 4],
          negativeSpans: [],
          negativeBuckets: [],
          customValues: [],
        },
      ],
    },
  });
  const parsed = JSON.parse(line);
  assert.deepEqual(parsed.values, [3]);
  assert.deepEqual(parsed.timestamps, [1000]);
  assert.deepEqual(parsed.histogram_timestamps, [2000]);
  assert.deepEqual(parsed.histograms, [
    {
      counter_reset_hint: 'gauge',
      schema: 3,
      zero_threshold: 1e-128,
      zero_count: 0.5,
      count: 7.5,
      sum: -2.25,
      positive_spans: [[-2, 2]],
      positive_buckets: [3, 4],
      negative_spans: [],
      negative_buckets: [],
      custom_values: [],
    },
  ]);
});
