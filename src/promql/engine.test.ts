import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Label } from '../model/prometheus.js';
import { Engine, PromQLError, queryResultJson, toApiResult, type RawResult } from './engine.js';
import { compileLabelRegexp } from '../model/regexp.js';
import { isStaleAt, STALE_NAN_ARRAY } from './staleness.js';
import { MemoryQuerier } from '../../test/support/memory-querier.js';
import { CounterResetHint, type FloatHistogram } from '../model/histogram.js';

const MIN = 60_000;

function lbls(name: string, extra: Record<string, string> = {}): Label[] {
  return [{ name: '__name__', value: name }, ...Object.entries(extra).map(([n, v]) => ({ name: n, value: v }))];
}

/** Loads `values` at t = 0, step, 2*step...; null skips a point, 'stale' writes a staleness marker. */
function load(q: MemoryQuerier, labels: Label[], stepMs: number, values: (number | null | 'stale')[]): void {
  values.forEach((v, i) => {
    if (v === null) return;
    if (v === 'stale') q.add(labels, i * stepMs, NaN, true);
    else q.add(labels, i * stepMs, v);
  });
}

function series(n: number, f: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

/** The instant result as `labels-string => value`, for order-insensitive assertions. */
function asMap(r: RawResult): Map<string, number> {
  assert.ok(r.resultType === 'vector', `expected a vector, got ${r.resultType}`);
  const m = new Map<string, number>();
  if (r.resultType !== 'vector') return m;
  for (const s of r.series) m.set(s.labels.map((l) => `${l.name}=${l.value}`).join(','), s.values[0]!);
  return m;
}

const engine = new Engine({ lookbackDeltaMs: 5 * MIN, maxSamples: 1_000_000, timeoutMs: 10_000 });

function fixture(): MemoryQuerier {
  const q = new MemoryQuerier();
  // http_requests_total: counters, one point per minute for 20 minutes.
  load(
    q,
    lbls('http_requests_total', { job: 'api', instance: 'a', code: '200' }),
    MIN,
    series(21, (i) => i * 60),
  );
  load(
    q,
    lbls('http_requests_total', { job: 'api', instance: 'b', code: '200' }),
    MIN,
    series(21, (i) => i * 120),
  );
  load(
    q,
    lbls('http_requests_total', { job: 'api', instance: 'a', code: '500' }),
    MIN,
    series(21, (i) => i * 6),
  );
  load(
    q,
    lbls('http_requests_total', { job: 'web', instance: 'c', code: '200' }),
    MIN,
    series(21, (i) => i * 30),
  );
  load(
    q,
    lbls('build_info', { instance: 'a', version: '1.0' }),
    MIN,
    series(21, () => 1),
  );
  load(
    q,
    lbls('build_info', { instance: 'b', version: '2.0' }),
    MIN,
    series(21, () => 1),
  );
  return q;
}

describe('selectors', () => {
  test('instant selector takes the last sample within the lookback window', async () => {
    const q = new MemoryQuerier();
    load(q, lbls('g'), MIN, [1, 2, null, null, null, null, null, null, null]);
    assert.deepEqual([...asMap(await engine.instantQueryRaw(q, 'g', 2 * MIN)).values()], [2]);
    // Last sample at 1m; lookback 5m is left-open: at 6m it is out of range.
    assert.deepEqual([...asMap(await engine.instantQueryRaw(q, 'g', 5 * MIN + 59_000)).values()], [2]);
    assert.equal(asMap(await engine.instantQueryRaw(q, 'g', 6 * MIN)).size, 0);
    // A per-query lookback delta overrides the engine's.
    assert.equal(asMap(await engine.instantQueryRaw(q, 'g', 3 * MIN, { lookbackDeltaMs: MIN })).size, 0);
  });

  test('a staleness marker ends the series immediately', async () => {
    const q = new MemoryQuerier();
    load(q, lbls('g'), MIN, [1, 2, 'stale', 4]);
    assert.equal(asMap(await engine.instantQueryRaw(q, 'g', 2 * MIN + 30_000)).size, 0);
    assert.deepEqual([...asMap(await engine.instantQueryRaw(q, 'g', 3 * MIN)).values()], [4]);
    // Range windows skip stale markers: count_over_time sees 1, 2, 4.
    assert.deepEqual([...asMap(await engine.instantQueryRaw(q, 'count_over_time(g[10m])', 3 * MIN)).values()], [3]);
  });

  test('stale markers are stored bit-exactly', () => {
    assert.ok(isStaleAt(STALE_NAN_ARRAY, 0));
    assert.ok(!isStaleAt(new Float64Array([NaN]), 0));
  });

  test('offset and @ move the evaluation time', async () => {
    const q = fixture();
    const at10 = asMap(
      await engine.instantQueryRaw(q, 'http_requests_total{instance="a",code="200"} offset 5m', 15 * MIN),
    );
    assert.deepEqual([...at10.values()], [600]);
    const pinned = asMap(
      await engine.instantQueryRaw(q, 'http_requests_total{instance="a",code="200"} @ 120', 15 * MIN),
    );
    assert.deepEqual([...pinned.values()], [120]);
    const end = await engine.rangeQueryRaw(
      q,
      'http_requests_total{instance="a",code="200"} @ end()',
      0,
      10 * MIN,
      5 * MIN,
    );
    assert.ok(end.resultType === 'matrix');
    if (end.resultType === 'matrix') assert.deepEqual(end.series[0]!.values, [600, 600, 600]);
  });

  test('regex matchers are fully anchored and support RE2 flags', async () => {
    const q = fixture();
    assert.equal(asMap(await engine.instantQueryRaw(q, 'http_requests_total{job=~"ap"}', 10 * MIN)).size, 0);
    assert.equal(asMap(await engine.instantQueryRaw(q, 'http_requests_total{job=~"(?i)API"}', 10 * MIN)).size, 3);
    assert.ok(compileLabelRegexp('(?i:ab)c').matches('ABc'));
    assert.ok(!compileLabelRegexp('(?i:ab)c').matches('ABC'));
    assert.ok(compileLabelRegexp('[[:digit:]]+').matches('123'));
  });
});

describe('range functions', () => {
  test('rate and increase extrapolate like Prometheus', async () => {
    const q = new MemoryQuerier();
    // 0, 10, 20, ... every 15 s: 10 per 15 s = 0.6667/s.
    load(
      q,
      lbls('c_total'),
      15_000,
      series(41, (i) => i * 10),
    );
    const rate = asMap(await engine.instantQueryRaw(q, 'rate(c_total[5m])', 10 * MIN));
    assert.ok(Math.abs(rate.get('')! - 10 / 15) < 1e-9);
    const inc = asMap(await engine.instantQueryRaw(q, 'increase(c_total[5m])', 10 * MIN));
    assert.ok(Math.abs(inc.get('')! - 200) < 1e-9);
    // A counter reset is compensated.
    const r = new MemoryQuerier();
    load(r, lbls('c_total'), MIN, [0, 10, 20, 5, 15]);
    assert.equal([...asMap(await engine.instantQueryRaw(r, 'resets(c_total[10m])', 4 * MIN)).values()][0], 1);
    assert.equal([...asMap(await engine.instantQueryRaw(r, 'irate(c_total[10m])', 4 * MIN)).values()][0], 10 / 60);
  });

  test('rate on a name without a counter suffix adds an info annotation', async () => {
    const q = new MemoryQuerier();
    load(q, lbls('gauge_thing'), MIN, [1, 2, 3]);
    const r = await engine.instantQueryRaw(q, 'rate(gauge_thing[5m])', 2 * MIN);
    assert.deepEqual(r.infos, [
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "gauge_thing" (1:6)',
    ]);
  });

  test('*_over_time, deriv, predict_linear, quantile_over_time', async () => {
    const q = new MemoryQuerier();
    load(q, lbls('g'), MIN, [1, 3, 2, 6]);
    const v = async (expr: string) => [...asMap(await engine.instantQueryRaw(q, expr, 3 * MIN)).values()][0];
    assert.equal(await v('sum_over_time(g[10m])'), 12);
    assert.equal(await v('avg_over_time(g[10m])'), 3);
    assert.equal(await v('max_over_time(g[10m])'), 6);
    assert.equal(await v('min_over_time(g[10m])'), 1);
    assert.equal(await v('last_over_time(g[10m])'), 6);
    assert.equal(await v('count_over_time(g[2m])'), 2); // window (1m, 3m]
    assert.equal(await v('changes(g[10m])'), 3);
    assert.equal(await v('quantile_over_time(0.5, g[10m])'), 2.5);
    assert.equal(await v('stdvar_over_time(g[10m])'), 3.5);
    const l = new MemoryQuerier();
    load(l, lbls('lin'), MIN, [0, 60, 120, 180]);
    assert.ok(
      Math.abs([...asMap(await engine.instantQueryRaw(l, 'deriv(lin[10m])', 3 * MIN)).values()][0]! - 1) < 1e-9,
    );
    assert.ok(
      Math.abs(
        [...asMap(await engine.instantQueryRaw(l, 'predict_linear(lin[10m], 60)', 3 * MIN)).values()][0]! - 240,
      ) < 1e-9,
    );
  });

  test('subqueries evaluate on an aligned step grid', async () => {
    const q = new MemoryQuerier();
    load(
      q,
      lbls('g'),
      MIN,
      series(11, (i) => i),
    );
    // Steps at 6m, 7m, ... 10m inside (5m, 10m]: max is 10, count 5.
    assert.equal([...asMap(await engine.instantQueryRaw(q, 'max_over_time(g[5m:1m])', 10 * MIN)).values()][0], 10);
    assert.equal([...asMap(await engine.instantQueryRaw(q, 'count_over_time(g[5m:1m])', 10 * MIN)).values()][0], 5);
    assert.equal([...asMap(await engine.instantQueryRaw(q, 'count_over_time(g[5m:2m])', 10 * MIN)).values()][0], 3);
  });

  test('absent and absent_over_time', async () => {
    const q = fixture();
    assert.equal(asMap(await engine.instantQueryRaw(q, 'absent(http_requests_total)', 5 * MIN)).size, 0);
    const r = asMap(await engine.instantQueryRaw(q, 'absent(nope{job="x", a=~"y"})', 5 * MIN));
    assert.deepEqual([...r.entries()], [['job=x', 1]]);
    const o = asMap(await engine.instantQueryRaw(q, 'absent_over_time(nope{job="x"}[5m])', 5 * MIN));
    assert.deepEqual([...o.entries()], [['job=x', 1]]);
  });
});

describe('aggregations', () => {
  test('sum/avg/count/min/max/group by and without', async () => {
    const q = fixture();
    const sum = asMap(await engine.instantQueryRaw(q, 'sum by (job) (http_requests_total)', 10 * MIN));
    assert.deepEqual(Object.fromEntries(sum), { 'job=api': 600 + 1200 + 60, 'job=web': 300 });
    const without = asMap(
      await engine.instantQueryRaw(q, 'max without (instance, code) (http_requests_total)', 10 * MIN),
    );
    assert.deepEqual(Object.fromEntries(without), { 'job=api': 1200, 'job=web': 300 });
    assert.deepEqual(
      Object.fromEntries(asMap(await engine.instantQueryRaw(q, 'count(http_requests_total)', 10 * MIN))),
      { '': 4 },
    );
    assert.deepEqual(Object.fromEntries(asMap(await engine.instantQueryRaw(q, 'avg(build_info)', 10 * MIN))), {
      '': 1,
    });
    assert.deepEqual(
      Object.fromEntries(asMap(await engine.instantQueryRaw(q, 'group by (job) (http_requests_total)', 10 * MIN))),
      { 'job=api': 1, 'job=web': 1 },
    );
    assert.deepEqual(Object.fromEntries(asMap(await engine.instantQueryRaw(q, 'stddev(build_info)', 10 * MIN))), {
      '': 0,
    });
    assert.deepEqual(
      Object.fromEntries(asMap(await engine.instantQueryRaw(q, 'quantile(0.5, http_requests_total)', 10 * MIN))),
      { '': 450 },
    );
  });

  test('topk keeps labels and orders best first', async () => {
    const q = fixture();
    const r = await engine.instantQueryRaw(q, 'topk(2, http_requests_total)', 10 * MIN);
    assert.ok(r.resultType === 'vector');
    if (r.resultType !== 'vector') return;
    assert.deepEqual(
      r.series.map((s) => s.values[0]),
      [1200, 600],
    );
    assert.equal(r.series[0]!.labels.find((l) => l.name === '__name__')?.value, 'http_requests_total');
    const b = await engine.instantQueryRaw(q, 'bottomk by (job) (1, http_requests_total)', 10 * MIN);
    assert.deepEqual(Object.fromEntries(asMap(b)), {
      '__name__=http_requests_total,code=500,instance=a,job=api': 60,
      '__name__=http_requests_total,code=200,instance=c,job=web': 300,
    });
  });

  test('topk with a large k sorts all candidates the same way', async () => {
    const q = new MemoryQuerier();
    for (let i = 0; i < 40; i++) load(q, lbls('m', { i: String(i) }), MIN, [(i * 17) % 40]);
    load(q, lbls('m', { i: 'nan' }), MIN, [NaN]);
    for (const k of [3, 35]) {
      const r = await engine.instantQueryRaw(q, `topk(${k}, m)`, 0);
      assert.ok(r.resultType === 'vector');
      if (r.resultType !== 'vector') return;
      assert.deepEqual(
        r.series.map((s) => s.values[0]),
        Array.from({ length: k }, (_, j) => 39 - j),
      );
    }
    const all = await engine.instantQueryRaw(q, 'bottomk(41, m)', 0);
    assert.ok(all.resultType === 'vector' && Number.isNaN(all.series[40]!.values[0]) && all.series[0]!.values[0] === 0);
  });

  test('count_values labels values with Go float formatting', async () => {
    const q = fixture();
    const r = asMap(await engine.instantQueryRaw(q, 'count_values("v", build_info)', 10 * MIN));
    assert.deepEqual(Object.fromEntries(r), { 'v=1': 2 });
  });
});

describe('binary operators', () => {
  test('arithmetic drops the metric name; comparisons filter; bool returns 0/1', async () => {
    const q = fixture();
    const r = asMap(await engine.instantQueryRaw(q, 'http_requests_total{code="500"} * 2', 10 * MIN));
    assert.deepEqual(Object.fromEntries(r), { 'code=500,instance=a,job=api': 120 });
    const f = asMap(await engine.instantQueryRaw(q, 'http_requests_total > 500', 10 * MIN));
    assert.equal(f.size, 2);
    for (const k of f.keys()) assert.ok(k.startsWith('__name__=http_requests_total'));
    const b = asMap(await engine.instantQueryRaw(q, 'http_requests_total > bool 500', 10 * MIN));
    assert.deepEqual([...b.values()].sort(), [0, 0, 1, 1]);
    assert.equal([...asMap(await engine.instantQueryRaw(q, 'vector(2 ^ 3 ^ 2)', 0)).values()][0], 512);
  });

  test('one-to-one, ignoring and group_left matching', async () => {
    const q = fixture();
    const ratio = asMap(
      await engine.instantQueryRaw(
        q,
        'http_requests_total{code="500"} / ignoring(code) http_requests_total{code="200"}',
        10 * MIN,
      ),
    );
    assert.deepEqual(Object.fromEntries(ratio), { 'instance=a,job=api': 0.1 });
    const joined = asMap(
      await engine.instantQueryRaw(q, 'http_requests_total * on(instance) group_left(version) build_info', 10 * MIN),
    );
    assert.deepEqual(Object.fromEntries(joined), {
      'code=200,instance=a,job=api,version=1.0': 600,
      'code=200,instance=b,job=api,version=2.0': 1200,
      'code=500,instance=a,job=api,version=1.0': 60,
    });
  });

  test('matching errors use Prometheus wording', async () => {
    const q = fixture();
    await assert.rejects(
      engine.instantQueryRaw(q, 'build_info * on(instance) http_requests_total', 10 * MIN),
      (e: unknown) => {
        assert.ok(e instanceof PromQLError && e.type === 'execution');
        assert.match(
          e.message,
          /^found duplicate series for the match group \{instance="a"\} on the right hand-side of the operation: .*many-to-many matching not allowed: matching labels must be unique on one side$/,
        );
        return true;
      },
    );
    await assert.rejects(
      engine.instantQueryRaw(
        q,
        'http_requests_total{job="api"} + on(job) group_left http_requests_total{job="api"}',
        10 * MIN,
      ),
      /found duplicate series for the match group \{job="api"\} on the right hand-side/,
    );
  });

  test('set operators and/or/unless', async () => {
    const q = fixture();
    const and = asMap(await engine.instantQueryRaw(q, 'http_requests_total and on(instance) build_info', 10 * MIN));
    assert.equal(and.size, 3);
    const unless = asMap(
      await engine.instantQueryRaw(q, 'http_requests_total unless on(instance) build_info', 10 * MIN),
    );
    assert.deepEqual([...unless.keys()], ['__name__=http_requests_total,code=200,instance=c,job=web']);
    const or = asMap(await engine.instantQueryRaw(q, 'build_info or on(instance) http_requests_total', 10 * MIN));
    assert.equal(or.size, 3); // two build_info + the series of instance c
  });
});

describe('functions on instant vectors', () => {
  test('label_replace and label_join', async () => {
    const q = fixture();
    const r = asMap(
      await engine.instantQueryRaw(
        q,
        'label_replace(build_info, "major", "$1", "version", "(\\\\d+)\\\\..*")',
        10 * MIN,
      ),
    );
    assert.deepEqual([...r.keys()].sort(), [
      '__name__=build_info,instance=a,major=1,version=1.0',
      '__name__=build_info,instance=b,major=2,version=2.0',
    ]);
    const j = asMap(
      await engine.instantQueryRaw(q, 'label_join(build_info, "id", "-", "instance", "version")', 10 * MIN),
    );
    assert.ok([...j.keys()].includes('__name__=build_info,id=a-1.0,instance=a,version=1.0'));
    const collide = 'label_replace(label_replace(build_info, "version", "x", "", ""), "instance", "y", "", "")';
    await assert.rejects(
      engine.instantQueryRaw(q, collide, 10 * MIN),
      /vector cannot contain metrics with the same labelset/,
    );
  });

  test('functions drop the name; identical results collide', async () => {
    const q = new MemoryQuerier();
    load(q, lbls('a', { x: '1' }), MIN, [1]);
    load(q, lbls('b', { x: '1' }), MIN, [2]);
    await assert.rejects(
      engine.instantQueryRaw(q, 'abs({x="1"})', 0),
      /vector cannot contain metrics with the same labelset/,
    );
    // A comparison of name-dropping results must not bring the name back.
    const cmp = asMap(await engine.instantQueryRaw(q, 'abs(a) <= abs(a)', 0));
    assert.deepEqual([...cmp.keys()], ['x=1']);
    // last_over_time keeps the name, so no collision.
    assert.equal(asMap(await engine.instantQueryRaw(q, 'last_over_time({x="1"}[1m])', 0)).size, 2);
  });

  test('math, clamp, round, sort and time functions', async () => {
    const q = new MemoryQuerier();
    load(q, lbls('v', { k: 'a' }), MIN, [-2.5]);
    load(q, lbls('v', { k: 'b' }), MIN, [7.25]);
    const m = async (expr: string, t = 0) => Object.fromEntries(asMap(await engine.instantQueryRaw(q, expr, t)));
    assert.deepEqual(await m('abs(v)'), { 'k=a': 2.5, 'k=b': 7.25 });
    assert.deepEqual(await m('clamp(v, 0, 5)'), { 'k=a': 0, 'k=b': 5 });
    assert.deepEqual(await m('round(v)'), { 'k=a': -2, 'k=b': 7 });
    assert.deepEqual(await m('round(v, 0.5)'), { 'k=a': -2.5, 'k=b': 7.5 });
    assert.deepEqual(await m('sgn(v)'), { 'k=a': -1, 'k=b': 1 });
    const sorted = await engine.instantQueryRaw(q, 'sort_desc(v)', 0);
    assert.ok(sorted.resultType === 'vector' && sorted.series[0]!.values[0] === 7.25);
    // 2021-03-04T05:06:07Z
    const t = Date.UTC(2021, 2, 4, 5, 6, 7);
    const s = async (expr: string) => {
      const r = await engine.instantQueryRaw(q, expr, t);
      assert.ok(r.resultType === 'vector');
      return r.resultType === 'vector' ? r.series[0]!.values[0] : NaN;
    };
    assert.equal(await s('year()'), 2021);
    assert.equal(await s('month()'), 3);
    assert.equal(await s('day_of_month()'), 4);
    assert.equal(await s('day_of_week()'), 4);
    assert.equal(await s('day_of_year()'), 63);
    assert.equal(await s('hour()'), 5);
    assert.equal(await s('minute()'), 6);
    assert.equal(await s('days_in_month()'), 31);
    const time = await engine.instantQueryRaw(q, 'time()', 90_500);
    assert.ok(time.resultType === 'scalar' && time.value === 90.5);
  });

  test('histogram_quantile over classic buckets', async () => {
    const q = new MemoryQuerier();
    const b = (le: string, v: number) => load(q, lbls('lat_bucket', { le }), MIN, [v]);
    b('0.1', 10);
    b('0.5', 30);
    b('1', 40);
    b('+Inf', 40);
    const v = asMap(await engine.instantQueryRaw(q, 'histogram_quantile(0.5, lat_bucket)', 0));
    // rank 20 falls in (0.1, 0.5] holding 20 observations starting at 10: 0.1 + 0.4 * 10/20.
    assert.ok(Math.abs(v.get('')! - 0.3) < 1e-12);
    const frac = asMap(await engine.instantQueryRaw(q, 'histogram_fraction(0.1, 0.5, lat_bucket)', 0));
    assert.equal(frac.get(''), 0.5);
    const w = await engine.instantQueryRaw(q, 'histogram_quantile(2, lat_bucket)', 0);
    assert.deepEqual(w.warnings, ['PromQL warning: quantile value should be between 0 and 1, got 2 (1:20)']);
  });

  test('native-histogram functions of float series have no result', async () => {
    const r = await engine.instantQueryRaw(fixture(), 'histogram_count(http_requests_total)', 5 * MIN);
    assert.ok(r.resultType === 'vector');
    assert.deepEqual(r.series, []);
  });
});

describe('queries', () => {
  test('range query returns a label-sorted matrix with one point per step', async () => {
    const q = fixture();
    const r = await engine.rangeQuery(q, 'sum by (job) (rate(http_requests_total[5m]))', 5 * MIN, 10 * MIN, MIN);
    assert.equal(r.resultType, 'matrix');
    if (r.resultType !== 'matrix') return;
    assert.deepEqual(
      r.result.map((s) => s.metric),
      [{ job: 'api' }, { job: 'web' }],
    );
    assert.equal(r.result[0]!.values?.length, 6);
    assert.deepEqual(r.result[1]!.values?.[0], [300, '0.5']);
  });

  test('API shapes of scalar, string and vector results', async () => {
    const q = fixture();
    assert.deepEqual(await engine.instantQuery(q, '1 / 0', 1500), {
      resultType: 'scalar',
      result: [1.5, '+Inf'],
      warnings: [],
      infos: [],
    });
    assert.deepEqual(await engine.instantQuery(q, '"hi"', 0), {
      resultType: 'string',
      result: [0, 'hi'],
      warnings: [],
      infos: [],
    });
    const v = await engine.instantQuery(q, 'build_info{instance="a"}', 60_000);
    assert.deepEqual(v.result, [
      { metric: { __name__: 'build_info', instance: 'a', version: '1.0' }, value: [60, '1'] },
    ]);
    const m = await engine.instantQuery(q, 'build_info{instance="a"}[2m]', 120_000);
    assert.equal(m.resultType, 'matrix');
    // The window (0s, 120s] holds the samples at 60 s and 120 s.
    if (m.resultType === 'matrix')
      assert.deepEqual(m.result[0]!.values, [
        [60, '1'],
        [120, '1'],
      ]);
  });

  test('queryResultJson writes the same JSON as the API result object', async () => {
    const q = fixture();
    const results = [
      await engine.instantQueryRaw(q, 'http_requests_total / 7', 10 * MIN),
      await engine.rangeQueryRaw(q, 'rate(http_requests_total[5m]) * 1e25', 0, 10 * MIN, 90_500),
      await engine.instantQueryRaw(q, '1e-9', 1234),
      await engine.instantQueryRaw(q, '"a\\"b"', 0),
    ];
    for (const r of results) {
      const { warnings: _w, infos: _i, ...data } = toApiResult(r);
      assert.deepEqual(JSON.parse(queryResultJson(r)), data);
    }
  });

  test('queryResultJson writes histograms as the API result object does', async () => {
    const q = new MemoryQuerier();
    const h = (n: number): FloatHistogram => ({
      counterResetHint: CounterResetHint.Unknown,
      schema: 1,
      zeroThreshold: 0,
      zeroCount: 0,
      count: n,
      sum: n * 1.5,
      positiveSpans: [{ offset: 1, length: 2 }],
      positiveBuckets: [n - 1, 1],
      negativeSpans: [],
      negativeBuckets: [],
      customValues: [],
    });
    q.add([{ name: '__name__', value: 'mixed' }], MIN, 3);
    for (let i = 2; i <= 4; i++) q.addHistogram([{ name: '__name__', value: 'mixed' }], i * MIN, h(i));
    const results = [
      await engine.instantQueryRaw(q, 'mixed', 3 * MIN),
      await engine.instantQueryRaw(q, 'mixed[5m]', 4 * MIN),
      await engine.rangeQueryRaw(q, 'mixed', 0, 4 * MIN, MIN),
    ];
    for (const r of results) {
      const { warnings: _w, infos: _i, ...data } = toApiResult(r);
      assert.deepEqual(JSON.parse(queryResultJson(r)), data);
    }
    const vector = toApiResult(results[0]!);
    assert.ok(vector.resultType === 'vector');
    // Schema 1: bucket 1 is (2^0, 2^0.5], bucket 2 (2^0.5, 2].
    assert.deepEqual(vector.result[0]!.histogram, [
      180,
      {
        count: '3',
        sum: '4.5',
        buckets: [
          [0, '1', String(Math.SQRT2), '2'],
          [0, String(Math.SQRT2), '2', '1'],
        ],
      },
    ]);
  });

  test('errors carry a type', async () => {
    const q = fixture();
    await assert.rejects(
      engine.instantQuery(q, 'sum(', 0),
      (e: unknown) => e instanceof PromQLError && e.type === 'bad_data' && /^1:5: parse error/.test(e.message),
    );
    await assert.rejects(
      engine.rangeQuery(q, 'foo[5m]', 0, 60_000, 1000),
      (e: unknown) =>
        e instanceof PromQLError &&
        e.type === 'bad_data' &&
        e.message === 'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    );
    await assert.rejects(
      engine.instantQuery(q, 'max_over_time(build_info[1y:1s])', 0),
      (e: unknown) => e instanceof PromQLError && e.type === 'too_many_samples',
    );
    const small = new Engine({ lookbackDeltaMs: 5 * MIN, maxSamples: 10, timeoutMs: 10_000 });
    await assert.rejects(
      small.rangeQuery(q, 'http_requests_total', 0, 20 * MIN, MIN),
      (e: unknown) =>
        e instanceof PromQLError &&
        e.type === 'too_many_samples' &&
        e.message === 'query processing would load too many samples into memory in query execution',
    );
  });
});
