import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uncompressSync } from 'snappy';
import { CounterResetHint } from '../../model/histogram.js';
import type { MetricMetadata, PromSeries } from '../../model/prometheus.js';
import { encodeSnappyWriteRequest, encodeWriteRequest, splitBySamples } from './encode.js';
import { decodeWriteRequest, histogramKind } from '../../../test/support/remote-write-decoder.js';
import { histogram } from '../../../test/support/histograms.js';

const series = (name: string, extra: Record<string, string>, timestamps: number[], values: number[]): PromSeries => ({
  labels: Object.entries({ __name__: name, ...extra })
    .map(([n, v]) => ({ name: n, value: v }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  timestamps,
  values,
});

test('round-trips labels, special values, timestamps of every varint width and metadata', () => {
  const longValue = `${'x'.repeat(300)}é`; // 2-byte length prefix and a non-ASCII tail
  const input: PromSeries[] = [
    series(
      'system_cpu_user',
      { host: 'web-1', job: 'ddagent' },
      [0, 1, 127, 128, 16_383, 16_384, 1_700_000_000_123],
      [0, -0, 1.5, -2.25, 1e308, -1e-308, 42],
    ),
    series(
      'special',
      { emoji: '🚀 ünïcødé', empty: '', long: longValue },
      [1_700_000_000_000, 1_700_000_015_000, 1_700_000_030_000],
      [NaN, Infinity, -Infinity],
    ),
    series('max_safe', { a: 'b' }, [Number.MAX_SAFE_INTEGER], [Number.MIN_VALUE]),
    series('before_epoch', { a: 'b' }, [-1, -86_400_000], [1, 2]),
  ];
  const metadata: MetricMetadata[] = [
    { metricFamilyName: 'system_cpu_user', type: 'gauge', unit: 'percent', help: 'CPU — user' },
    { metricFamilyName: 'requests', type: 'counter', unit: '', help: '' },
    { metricFamilyName: 'latency', type: 'summary', unit: 'seconds', help: 'h' },
    { metricFamilyName: 'other', type: 'unknown', unit: '', help: 'x' },
  ];
  const decoded = decodeWriteRequest(encodeWriteRequest(input, metadata));
  assert.equal(decoded.series.length, input.length);
  for (let i = 0; i < input.length; i++) {
    assert.deepEqual(decoded.series[i]!.labels, input[i]!.labels);
    assert.deepEqual(decoded.series[i]!.timestamps, input[i]!.timestamps);
    // Object.is: NaN equals NaN and -0 stays distinct from 0.
    decoded.series[i]!.values.forEach((v, j) => {
      assert.ok(Object.is(v, input[i]!.values[j]), `series ${i} value ${j}: ${v}`);
    });
  }
  assert.deepEqual(decoded.metadata, [
    { type: 2, family: 'system_cpu_user', help: 'CPU — user', unit: 'percent' },
    { type: 1, family: 'requests', help: '', unit: '' },
    { type: 5, family: 'latency', help: 'h', unit: 'seconds' },
    { type: 0, family: 'other', help: 'x', unit: '' },
  ]);
});

test('the snappy body decompresses to the protobuf request; series without samples are left out', () => {
  const input = [series('a', {}, [], []), series('b', { k: 'v' }, [5], [1]), series('c', {}, [], [])];
  const raw = encodeWriteRequest(input);
  assert.deepEqual(decodeWriteRequest(raw).series, [input[1]]);
  assert.deepEqual(uncompressSync(encodeSnappyWriteRequest(input)), raw);
  assert.equal(encodeWriteRequest([]).length, 0);
});

test('a larger batch than the scratch space starts with encodes correctly, twice in a row', () => {
  const input: PromSeries[] = [];
  for (let i = 0; i < 3000; i++)
    input.push(series(`m${i % 7}`, { host: `h${i}`, device: `d${i % 3}` }, [1000 + i, 2000 + i], [i, -i]));
  for (let round = 0; round < 2; round++) assert.deepEqual(decodeWriteRequest(encodeWriteRequest(input)).series, input);
});

test('series with a SeriesRef encode byte for byte like fresh ones, also when reused with other samples', () => {
  const fresh: PromSeries[] = [
    series('system_cpu_user', { host: 'web-1', emoji: '🚀 ünïcødé', long: 'y'.repeat(200) }, [1000, 2000], [1, 2]),
    series('empty_then_full', { a: 'b' }, [], []),
    series('m', { k: 'v' }, [3000], [NaN]),
  ];
  const interned = fresh.map((s) => ({
    ...s,
    labels: Object.freeze(s.labels.map((l) => Object.freeze({ ...l }))) as PromSeries['labels'],
    ref: { sinkState: undefined as unknown },
  }));
  assert.deepEqual(encodeWriteRequest(interned), encodeWriteRequest(fresh));
  assert.ok(interned[0]!.ref.sinkState instanceof Uint8Array, 'the encoded labels are kept in the ref');
  // The Agent's next flush: same label set objects, new samples, mixed with a fresh series.
  const next = interned.map((s) => ({
    ...s,
    timestamps: s.timestamps.map((t) => t + 10_000),
    values: s.values.map((v) => v * 2),
  }));
  const nextFresh = fresh.map((s) => ({
    ...s,
    timestamps: s.timestamps.map((t) => t + 10_000),
    values: s.values.map((v) => v * 2),
  }));
  const mixed = [next[0]!, series('other', { x: 'y' }, [5], [5]), next[2]!];
  assert.deepEqual(decodeWriteRequest(encodeWriteRequest(mixed)).series, [
    nextFresh[0],
    series('other', { x: 'y' }, [5], [5]),
    nextFresh[2],
  ]);
});

test('rejects non-integer timestamps instead of writing a corrupt varint', () => {
  assert.throws(() => encodeWriteRequest([series('a', {}, [1.5], [1])]), RangeError);
});

test('splitBySamples keeps series whole, cuts only series above the limit, and keeps order', () => {
  const s = (name: string, n: number) =>
    series(
      name,
      {},
      Array.from({ length: n }, (_, i) => i),
      Array.from({ length: n }, (_, i) => i * 10),
    );
  const input = [s('a', 3), s('b', 2), s('empty', 0), s('c', 4), s('big', 9), s('d', 1)];
  const requests = splitBySamples(input, 4);
  const shape = requests.map((r) => r.map((x) => `${x.labels[0]!.value}:${x.timestamps.join('')}`));
  assert.deepEqual(shape, [['a:012'], ['b:01'], ['c:0123'], ['big:0123'], ['big:4567'], ['big:8', 'd:0']]);
  assert.deepEqual(requests[4]![0]!.values, [40, 50, 60, 70]);
  for (const r of requests) assert.ok(r.reduce((n, x) => n + x.timestamps.length, 0) <= 4);
  assert.deepEqual(
    splitBySamples(input, 100).map((r) => r.length),
    [5],
  );
  assert.deepEqual(splitBySamples([], 10), []);
  assert.throws(() => splitBySamples(input, 0), RangeError);
});

test('histogram samples: whole counts as an integer histogram (deltas), others as a float one', () => {
  const integer = histogram({
    count: 2 ** 40 + 12,
    zeroCount: 2,
    sum: -7.5,
    schema: -2,
    positiveSpans: [
      { offset: -300, length: 2 },
      { offset: 3, length: 1 },
    ],
    positiveBuckets: [5, 2 ** 40, 1],
    negativeSpans: [{ offset: 4, length: 1 }],
    negativeBuckets: [4],
    counterResetHint: CounterResetHint.NotCounterReset,
  });
  const float = histogram({
    count: 1.5,
    zeroCount: 0,
    sum: 3,
    positiveSpans: [{ offset: 0, length: 1 }],
    positiveBuckets: [1.5],
  });
  const empty = histogram({});
  const nhcb = histogram({
    schema: -53,
    zeroThreshold: 0,
    count: 0.25,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: [0.25, 0],
    customValues: [0.1, 1],
  });
  const input: PromSeries[] = [
    {
      ...series('h', { a: 'b' }, [], []),
      histograms: { timestamps: [1, 2, 3, 1_700_000_000_000], histograms: [integer, float, empty, nhcb] },
    },
    { ...series('both', {}, [10], [1]), histograms: { timestamps: [20], histograms: [empty] } },
  ];
  const decoded = decodeWriteRequest(encodeWriteRequest(input));
  assert.deepEqual(decoded.series[0]!.histograms, input[0]!.histograms);
  assert.deepEqual(decoded.series[0]!.histograms!.histograms.map(histogramKind), [
    'integer',
    'float',
    'integer',
    'float',
  ]);
  assert.deepEqual(decoded.series[1], input[1]);
});

test('splitBySamples counts histogram samples and cuts a long histogram series in time order', () => {
  const h = (n: number): PromSeries => ({
    ...series('h', {}, [], []),
    histograms: {
      timestamps: Array.from({ length: n }, (_, i) => i),
      histograms: Array.from({ length: n }, (_, i) => histogram({ count: i })),
    },
  });
  const shape = (rs: PromSeries[][]) =>
    rs.map((r) =>
      r.map((x) => `${x.labels[0]!.value}:${x.timestamps.join('')}/${x.histograms?.timestamps.join('') ?? ''}`),
    );
  assert.deepEqual(shape(splitBySamples([series('a', {}, [0, 1], [0, 0]), h(2), h(0)], 3)), [['a:01/'], ['h:/01']]);
  assert.deepEqual(shape(splitBySamples([h(5), series('a', {}, [0], [0])], 2)), [
    ['h:/01'],
    ['h:/23'],
    ['h:/4', 'a:0/'],
  ]);
});
