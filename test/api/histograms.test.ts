// Native histograms through the query API over real HTTP: the JSON Prometheus writes for them (`histogram` in an
// instant vector, `histograms` beside `values` in a matrix, buckets as [boundary rule, lower, upper, count] with the
// empty ones left out), and PromQL over them answered through the same path.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CounterResetHint, CUSTOM_BUCKETS_SCHEMA, type FloatHistogram } from '../../src/model/histogram.js';
import type { Label } from '../../src/model/prometheus.js';
import { MemoryQuerier } from '../support/memory-querier.js';
import { getJson, qs, startApiServer, type ApiServer } from './support.js';

const T0 = 1_700_000_000_000;
const lbls = (o: Record<string, string>): Label[] => Object.entries(o).map(([name, value]) => ({ name, value }));

/** Schema 0 (bucket i is (2^(i-1), 2^i]): 1 in [-4,-2), 2 in the zero bucket, 3 in (0.5,1], none in (1,2]. */
function exponential(scale: number): FloatHistogram {
  return {
    counterResetHint: CounterResetHint.NotCounterReset,
    schema: 0,
    zeroThreshold: 0.001,
    zeroCount: 2 * scale,
    count: 6 * scale,
    sum: 5 * scale,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: [3 * scale, 0],
    negativeSpans: [{ offset: 2, length: 1 }],
    negativeBuckets: [1 * scale],
    customValues: [],
  };
}

const customBuckets: FloatHistogram = {
  counterResetHint: CounterResetHint.Gauge,
  schema: CUSTOM_BUCKETS_SCHEMA,
  zeroThreshold: 0,
  zeroCount: 0,
  count: 4,
  sum: 27,
  positiveSpans: [{ offset: 0, length: 3 }],
  positiveBuckets: [1, 2, 1],
  negativeSpans: [],
  negativeBuckets: [],
  customValues: [5, 10],
};

const EXPONENTIAL_BUCKETS = [
  [1, '-4', '-2', '1'],
  [3, '-0.001', '0.001', '2'],
  [0, '0.5', '1', '3'],
];

let server: ApiServer;
before(async () => {
  const q = new MemoryQuerier();
  // A counter histogram growing by one `exponential(1)` a minute, for 5 minutes.
  for (let i = 1; i <= 5; i++)
    q.addHistogram(lbls({ __name__: 'latency', job: 'api' }), T0 + i * 60_000, exponential(i));
  q.addHistogram(lbls({ __name__: 'sizes', job: 'api' }), T0 + 5 * 60_000, customBuckets);
  // A series that changes from floats to histograms.
  q.add(lbls({ __name__: 'switching', job: 'api' }), T0 + 60_000, 7);
  q.addHistogram(lbls({ __name__: 'switching', job: 'api' }), T0 + 120_000, exponential(1));
  server = await startApiServer({ noAuth: true, queriers: { default: q } });
});
after(() => server.close());

const query = (expr: string, t: number) => getJson(`${server.url}/api/v1/query?${qs({ query: expr, time: t / 1000 })}`);

describe('native histograms in the query API', () => {
  test('an instant vector sample is a `histogram` with its populated buckets', async () => {
    const r = await query('latency', T0 + 60_000);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, {
      resultType: 'vector',
      result: [
        {
          metric: { __name__: 'latency', job: 'api' },
          histogram: [(T0 + 60_000) / 1000, { count: '6', sum: '5', buckets: EXPONENTIAL_BUCKETS }],
        },
      ],
    });
  });

  test('custom buckets run from -Inf to +Inf, lower bound exclusive', async () => {
    const r = await query('sizes', T0 + 5 * 60_000);
    assert.deepEqual(r.body.data.result[0].histogram[1], {
      count: '4',
      sum: '27',
      buckets: [
        [0, '-Inf', '5', '1'],
        [0, '5', '10', '2'],
        [0, '10', '+Inf', '1'],
      ],
    });
  });

  test('a range query answers `histograms`, and `values` beside them where a series has floats', async () => {
    const r = await getJson(
      `${server.url}/api/v1/query_range?${qs({ query: '{job="api"}', start: (T0 + 60_000) / 1000, end: (T0 + 120_000) / 1000, step: 60 })}`,
    );
    assert.equal(r.status, 200);
    const byName = new Map<string, any>(r.body.data.result.map((s: any) => [s.metric.__name__, s]));
    assert.deepEqual(byName.get('switching'), {
      metric: { __name__: 'switching', job: 'api' },
      values: [[(T0 + 60_000) / 1000, '7']],
      histograms: [[(T0 + 120_000) / 1000, { count: '6', sum: '5', buckets: EXPONENTIAL_BUCKETS }]],
    });
    const latency = byName.get('latency');
    assert.equal(latency.values, undefined);
    assert.deepEqual(
      latency.histograms.map((p: any) => [p[0], p[1].count]),
      [
        [(T0 + 60_000) / 1000, '6'],
        [(T0 + 120_000) / 1000, '12'],
      ],
    );
  });

  test('a range vector of an instant query holds both kinds of samples', async () => {
    const r = await query('switching[5m]', T0 + 3 * 60_000);
    assert.deepEqual(r.body.data.result, [
      {
        metric: { __name__: 'switching', job: 'api' },
        values: [[(T0 + 60_000) / 1000, '7']],
        histograms: [[(T0 + 120_000) / 1000, { count: '6', sum: '5', buckets: EXPONENTIAL_BUCKETS }]],
      },
    ]);
  });

  test('PromQL over histograms: arithmetic, aggregation, rate and the histogram functions', async () => {
    const doubled = await query('latency * 2', T0 + 60_000);
    assert.deepEqual(doubled.body.data.result[0].histogram[1], {
      count: '12',
      sum: '10',
      buckets: [
        [1, '-4', '-2', '2'],
        [3, '-0.001', '0.001', '4'],
        [0, '0.5', '1', '6'],
      ],
    });
    const summed = await query('sum({__name__=~"latency|sizes"})', T0 + 5 * 60_000);
    assert.deepEqual(summed.body.data.result, []);
    assert.match(
      summed.body.warnings?.[0] ?? '',
      /vector contains a mix of histograms with exponential and custom buckets schemas/,
    );
    // Growing by exponential(1) each minute: rate over 4 minutes of samples is exponential(1) per 60 s.
    const rate = await query('histogram_count(rate(latency[4m]))', T0 + 5 * 60_000);
    assert.ok(Math.abs(Number(rate.body.data.result[0].value[1]) - 6 / 60) < 1e-12, rate.body.data.result[0].value[1]);
    const count = await query('histogram_count(latency)', T0 + 5 * 60_000);
    assert.deepEqual(count.body.data.result, [{ metric: { job: 'api' }, value: [(T0 + 5 * 60_000) / 1000, '30'] }]);
    // The 2nd of 4 observations is in (5, 10], interpolated half way.
    const median = await query('histogram_quantile(0.5, sizes)', T0 + 5 * 60_000);
    assert.equal(median.body.data.result[0].value[1], '7.5');
    // Half of the zero bucket's 2 and all 3 of (0.5, 1] of the 6 observations.
    const fraction = await query('histogram_fraction(0, 1, latency)', T0 + 60_000);
    assert.equal(Number(fraction.body.data.result[0].value[1]).toFixed(6), (4 / 6).toFixed(6));
  });

  test('float functions leave histograms out; comparing a histogram with a float is an info', async () => {
    const abs = await query('abs(switching)', T0 + 120_000);
    assert.deepEqual(abs.body.data.result, []);
    const cmp = await query('latency > 1', T0 + 60_000);
    assert.deepEqual(cmp.body.data.result, []);
    assert.deepEqual(cmp.body.infos, [
      'PromQL info: incompatible sample types encountered for binary operator ">": histogram > float (1:1)',
    ]);
  });
});
