import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterResetHint, type FloatHistogram, type HistogramSamples } from './histogram.js';
import type { Label } from './prometheus.js';
import {
  columnSamples,
  columnsOf,
  reorderColumns,
  SeriesColumnsBuilder,
  seriesAt,
  seriesDataOf,
  sliceColumns,
  sortColumns,
} from './series-columns.js';

const host = (h: string): Label[] => [
  { name: '__name__', value: 'cpu' },
  { name: 'host', value: h },
];

function histogramSamples(count: number, t: number): HistogramSamples {
  const h: FloatHistogram = {
    counterResetHint: CounterResetHint.Unknown,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count,
    sum: count,
    positiveSpans: [{ offset: 0, length: 1 }],
    positiveBuckets: [count],
    negativeSpans: [],
    negativeBuckets: [],
    customValues: [],
  };
  return { timestamps: Float64Array.of(t), values: [h] };
}

/** Each series' labels and samples, read through the columns' starts and ends. */
function plain(c: ReturnType<SeriesColumnsBuilder['build']>) {
  return seriesDataOf(c).map((s) => ({
    host: s.labels[1]!.value,
    timestamps: [...s.timestamps],
    values: [...s.values],
    histograms: s.histograms?.values.map((h) => h.count),
  }));
}

test('the builder keeps every sample and series while its columns grow', () => {
  const b = new SeriesColumnsBuilder();
  // 300 series of 1..7 samples: past the initial 64 series and the columns' first 1,024 samples.
  const want: { host: string; timestamps: number[]; values: number[] }[] = [];
  for (let i = 0; i < 300; i++) {
    const n = (i % 7) + 1;
    b.reserve(n);
    const start = b.used;
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let k = 0; k < n; k++) {
      b.timestamps[b.used] = 1000 * k;
      b.values[b.used++] = i + k / 10;
      timestamps.push(1000 * k);
      values.push(i + k / 10);
    }
    b.addSeries(host(`h${i}`), start, b.used);
    want.push({ host: `h${i}`, timestamps, values });
  }
  b.addSample(host('single'), 5, 0.5);
  want.push({ host: 'single', timestamps: [5], values: [0.5] });
  const c = b.build();
  assert.equal(b.seriesCount, 301);
  assert.equal(c.starts.length, 301);
  assert.deepEqual(
    plain(c).map(({ histograms, ...s }) => s),
    want,
  );
  assert.equal(
    columnSamples(c),
    want.reduce((n, s) => n + s.timestamps.length, 0),
  );
  assert.equal(c.histograms, undefined, 'no histogram entries when no series has histograms');
});

test('histogram entries are dense from the first series that has them, and counted as samples', () => {
  const b = new SeriesColumnsBuilder();
  b.addSample(host('a'), 1, 1);
  b.addSample(host('b'), 1, 2);
  b.addSeries(host('c'), b.used, b.used, histogramSamples(7, 1));
  b.addSample(host('d'), 1, 4);
  const c = b.build();
  assert.equal(c.histograms?.length, 4);
  assert.deepEqual(
    plain(c).map((s) => s.histograms),
    [undefined, undefined, [7], undefined],
  );
  assert.equal(columnSamples(c), 4);
});

test('slices, reorders and sorts carry labels, samples and histograms together, sharing the sample arrays', () => {
  const b = new SeriesColumnsBuilder();
  for (const h of ['c', 'a', 'd', 'b']) b.addSample(host(h), 10, h.charCodeAt(0));
  b.addSeries(host('e'), b.used, b.used, histogramSamples(3, 10));
  const c = b.build();

  const sorted = sortColumns(c);
  assert.deepEqual(
    plain(sorted).map((s) => [s.host, s.values, s.histograms]),
    [
      ['a', [97], undefined],
      ['b', [98], undefined],
      ['c', [99], undefined],
      ['d', [100], undefined],
      ['e', [], [3]],
    ],
  );
  assert.equal(sorted.values, c.values);

  const reordered = reorderColumns(c, [4, 0]);
  assert.deepEqual(
    plain(reordered).map((s) => [s.host, s.values, s.histograms]),
    [
      ['e', [], [3]],
      ['c', [99], undefined],
    ],
  );

  const slice = sliceColumns(c, 1, 3);
  assert.deepEqual(
    plain(slice).map((s) => s.host),
    ['a', 'd'],
  );
  assert.equal(slice.timestamps, c.timestamps);
  assert.equal(columnSamples(slice), 2);
});

test('seriesAt gives views of the columns; columnsOf copies series into new ones', () => {
  const series = [
    { labels: host('x'), timestamps: Float64Array.of(1, 2), values: Float64Array.of(10, 20) },
    {
      labels: host('y'),
      timestamps: Float64Array.of(3),
      values: Float64Array.of(30),
      histograms: histogramSamples(2, 3),
    },
  ];
  const c = columnsOf(series);
  assert.deepEqual(plain(c), [
    { host: 'x', timestamps: [1, 2], values: [10, 20], histograms: undefined },
    { host: 'y', timestamps: [3], values: [30], histograms: [2] },
  ]);
  const y = seriesAt(c, 1);
  assert.equal(y.values.buffer, c.values.buffer, 'a view, not a copy');
  c.values[2] = 31;
  assert.equal(y.values[0], 31);
  assert.equal(series[1]!.values[0], 30, 'columnsOf copied the samples');
});
