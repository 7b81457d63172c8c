// promdog's query API next to a real Prometheus (2.42, the Debian package) holding identical samples: Grafana's
// requests must come back in the same JSON shape, and PromQL queries with the same series and values.
//
// Every sample time is a whole second plus 100–899 ms (test/api/dataset.ts) and every query time, range, offset and
// subquery step is whole seconds, so no sample sits on a window boundary: that is where Prometheus 2.x (closed
// windows) and Prometheus 3 (left-open windows, what promdog implements) differ. Subquery ranges are not multiples
// of their step for the same reason (a subquery point would otherwise land exactly on the window start).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PrometheusProcess, sampleValue } from '../support/prometheus.js';
import { appendDataset, datasetSpan, makeDataset, remoteWrite } from './dataset.js';
import { TestStore } from '../support/store.js';
import { qs, startApiServer, type ApiServer } from './support.js';

interface Answer {
  status: number;
  body: any;
}

async function call(base: string, path: string, form?: Record<string, string | string[] | number>): Promise<Answer> {
  const res = form
    ? await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: qs(form),
      })
    : await fetch(base + path);
  return { status: res.status, body: JSON.parse(await res.text()) };
}

/** The JSON structure without the data: key order, value types and array lengths. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, shape(x)]);
  return v === null ? 'null' : typeof v;
}

function closeEnough(a: string, b: string): boolean {
  const x = sampleValue(a);
  const y = sampleValue(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (x === y) return true;
  const diff = Math.abs(x - y);
  return diff <= 1e-6 * Math.max(Math.abs(x), Math.abs(y)) || diff < 1e-9;
}

type Series = { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] };

/** Same series (same label sets, in Prometheus' order for matrices), same timestamps, values within 1e-6. */
function assertSameResult(
  what: string,
  prom: { resultType: string; result: unknown },
  ours: { resultType: string; result: unknown },
): void {
  assert.equal(ours.resultType, prom.resultType, `${what}: result type`);
  if (prom.resultType === 'scalar') {
    const [pt, pv] = prom.result as [number, string];
    const [ot, ov] = ours.result as [number, string];
    assert.equal(ot, pt, `${what}: time`);
    assert.ok(closeEnough(ov, pv), `${what}: ${ov} vs Prometheus ${pv}`);
    return;
  }
  let p = prom.result as Series[];
  let o = ours.result as Series[];
  if (prom.resultType === 'vector') {
    // Prometheus does not order instant vectors.
    const byLabels = (a: Series, b: Series) => (JSON.stringify(a.metric) < JSON.stringify(b.metric) ? -1 : 1);
    p = [...p].sort(byLabels);
    o = [...o].sort(byLabels);
  }
  assert.deepEqual(
    o.map((s) => s.metric),
    p.map((s) => s.metric),
    `${what}: series`,
  );
  for (let i = 0; i < p.length; i++) {
    const pv = p[i]!.values ?? [p[i]!.value!];
    const ov = o[i]!.values ?? [o[i]!.value!];
    assert.deepEqual(
      ov.map((x) => x[0]),
      pv.map((x) => x[0]),
      `${what}: timestamps of ${JSON.stringify(p[i]!.metric)}`,
    );
    for (let j = 0; j < pv.length; j++) {
      assert.ok(
        closeEnough(ov[j]![1], pv[j]![1]),
        `${what}: ${JSON.stringify(p[i]!.metric)} at ${pv[j]![0]}: ${ov[j]![1]} vs Prometheus ${pv[j]![1]}`,
      );
    }
  }
}

describe('same answers as Prometheus on identical data', () => {
  let prom: PrometheusProcess;
  let srv: ApiServer;
  let store: TestStore;
  let startSec: number;
  let endSec: number;
  const step = 60;

  before(async () => {
    // An hour of data ending a few minutes ago (Prometheus keeps it in its head block).
    const data = makeDataset({ startMs: Date.now() - 65 * 60_000, durationMs: 60 * 60_000, hosts: 4 });
    const span = datasetSpan(data);
    // Grafana aligns start and end to the step. Every window (range + offset, at most 15.5 minutes here) starts
    // after the first sample: rate()'s extrapolation at a series' start changed after 2.42 (the zero-point check
    // moved after the extrapolation threshold), which is not what this test compares.
    startSec = Math.ceil(span.minMs / 1000 / step) * step + 20 * step;
    endSec = Math.floor(span.maxMs / 1000 / step) * step;
    prom = await PrometheusProcess.start();
    await remoteWrite(prom.remoteWriteUrl, data);
    store = await TestStore.open();
    await appendDataset(store, 'default', data);
    srv = await startApiServer({ noAuth: true, queriers: { default: store.querier('default') } });
  });
  after(async () => {
    await srv?.close();
    await store?.close();
    await prom?.cleanup();
  });

  const both = async (path: string, form?: Record<string, string | string[] | number>) => {
    const [p, o] = await Promise.all([call(prom.url, path, form), call(srv.url, path, form)]);
    return { p, o };
  };

  describe("Grafana's requests", () => {
    test('health check: query=1+1 at a time', async () => {
      const { p, o } = await both(`/api/v1/query?${qs({ query: '1+1', time: endSec })}`);
      assert.equal(p.status, 200);
      assert.deepEqual(o, p);
    });

    test('labels and label values (with match[], start, end)', async () => {
      for (const path of [
        `/api/v1/labels?${qs({ start: startSec, end: endSec })}`,
        '/api/v1/labels',
        `/api/v1/label/__name__/values?${qs({ start: startSec, end: endSec })}`,
        `/api/v1/label/job/values?${qs({ 'match[]': 'http_requests_total', start: startSec, end: endSec })}`,
        `/api/v1/label/instance/values?${qs({ 'match[]': ['temperature_celsius', 'node_memory_free_bytes{instance="host-1:9100"}'] })}`,
        `/api/v1/label/nonexistent/values`,
      ]) {
        const { p, o } = await both(path);
        assert.equal(p.status, 200, path);
        assert.deepEqual(o, p, path);
      }
    });

    test('labels with match[] by POST', async () => {
      const { p, o } = await both('/api/v1/labels', { 'match[]': 'temperature_celsius', start: startSec, end: endSec });
      assert.equal(p.status, 200);
      assert.deepEqual(o, p);
    });

    test('series with match[], start, end (GET and POST)', async () => {
      const params = {
        'match[]': ['http_requests_total{code="500"}', 'temperature_celsius'],
        start: startSec,
        end: endSec,
      };
      const get = await both(`/api/v1/series?${qs(params)}`);
      assert.equal(get.p.status, 200);
      assert.ok(get.p.body.data.length > 0);
      assert.deepEqual(get.o, get.p);
      const post = await both('/api/v1/series', params);
      assert.deepEqual(post.o, post.p);
    });

    test('metadata (Prometheus keeps none for remote-written data)', async () => {
      const { p, o } = await both('/api/v1/metadata');
      assert.deepEqual(o, p);
    });

    test('buildinfo has the same fields', async () => {
      const { p, o } = await both('/api/v1/status/buildinfo');
      assert.deepEqual(shape(o.body), shape(p.body));
    });

    test('query_range as Grafana sends it (POST, aligned start/end/step)', async () => {
      const form = { query: 'sum by (instance) (rate(http_requests_total[5m]))', start: startSec, end: endSec, step };
      const { p, o } = await both('/api/v1/query_range', form);
      assert.equal(p.status, 200);
      assert.deepEqual(shape(o.body), shape(p.body));
      assertSameResult(form.query, p.body.data, o.body.data);
    });

    test('stats have the same shape', async () => {
      const { p, o } = await both(
        `/api/v1/query_range?${qs({ query: 'temperature_celsius', start: startSec, end: endSec, step, stats: 'all' })}`,
      );
      assert.deepEqual(shape(o.body.data.stats), shape(p.body.data.stats));
      // Both count the samples the query touched; they count differently (see docs), but never zero here.
      assert.ok(o.body.data.stats.samples.totalQueryableSamples > 0);
    });

    test('error envelopes: same status, errorType and message', async () => {
      for (const path of [
        `/api/v1/query?${qs({ query: 'sum(' })}`,
        `/api/v1/query_range?${qs({ query: 'up', start: endSec, end: startSec, step })}`,
        `/api/v1/query_range?${qs({ query: 'up', start: startSec, end: endSec, step: 0 })}`,
        `/api/v1/query_range?${qs({ query: 'up', start: 0, end: 11_001, step: 1 })}`,
        `/api/v1/query?${qs({ query: 'up', time: 'tomorrow' })}`,
        '/api/v1/series',
        `/api/v1/query?${qs({ query: 'http_requests_total + on(job) http_requests_total', time: endSec })}`,
      ]) {
        const { p, o } = await both(path);
        assert.equal(o.status, p.status, path);
        assert.deepEqual(shape(o.body), shape(p.body), path);
        assert.equal(o.body.errorType, p.body.errorType, path);
        // Parse and matching errors are worded differently by 2.42; the rest must match word for word, except
        // that Prometheus 3 writes "invalid time value" where 2.42 wrote "Invalid".
        const query = new URLSearchParams(path.split('?')[1] ?? '').get('query') ?? '';
        if (!query.includes('sum(') && !query.includes('on(job)'))
          assert.equal(o.body.error.toLowerCase(), p.body.error.toLowerCase(), path);
      }
    });
  });

  describe('PromQL range queries', () => {
    const queries = [
      'http_requests_total',
      'http_requests_total{code="500",method=~"G.*"}',
      'rate(http_requests_total[5m])',
      'irate(http_requests_total[2m])',
      'increase(http_requests_total[10m])',
      'resets(http_requests_total[15m])',
      'rate(node_cpu_seconds_total{mode!="idle"}[3m])',
      'changes(temperature_celsius[10m])',
      'avg_over_time(temperature_celsius[5m])',
      'min_over_time(temperature_celsius[7m])',
      'max_over_time(node_memory_free_bytes[10m])',
      'sum_over_time(temperature_celsius[2m])',
      'count_over_time(http_requests_total[3m])',
      'stddev_over_time(temperature_celsius[10m])',
      'quantile_over_time(0.9, temperature_celsius[10m])',
      'last_over_time(temperature_celsius[1m])',
      'delta(temperature_celsius[10m])',
      'deriv(node_memory_free_bytes[10m])',
      'predict_linear(node_memory_free_bytes[10m], 600)',
      'sum by (job, code) (rate(http_requests_total[5m]))',
      'sum without (instance, method) (rate(http_requests_total[5m]))',
      'avg by (instance) (node_memory_free_bytes)',
      'count by (code) (http_requests_total)',
      'max by (job) (temperature_celsius)',
      'stddev by (job) (temperature_celsius)',
      'rate(http_requests_total{code="500"}[5m]) / ignoring(code) rate(http_requests_total{code="200"}[5m])',
      'sum by (instance) (rate(http_requests_total[5m])) / on(instance) group_left node_memory_free_bytes',
      'rate(http_requests_total[5m]) * on(instance) group_left(room) temperature_celsius',
      'node_memory_free_bytes > 5e8',
      'node_memory_free_bytes > bool 5e8',
      '-temperature_celsius * 2 + 1',
      'http_requests_total and on(instance) (temperature_celsius > 20)',
      'http_requests_total{code="200"} or http_requests_total{method="POST"}',
      'http_requests_total unless on(instance) (temperature_celsius > 21)',
      'topk(3, rate(http_requests_total[5m]))',
      'bottomk by (code) (2, rate(http_requests_total[5m]))',
      'quantile(0.9, rate(http_requests_total[5m]))',
      'quantile by (code) (0.5, rate(http_requests_total[5m]))',
      'label_replace(http_requests_total, "host", "$1", "instance", "(.*):.*")',
      'label_join(temperature_celsius, "where", "/", "instance", "room")',
      'max_over_time(rate(http_requests_total[5m])[10m30s:1m])',
      'avg_over_time(temperature_celsius[10m15s:30s])',
      'rate(http_requests_total[5m] offset 5m)',
      'temperature_celsius offset 2m',
      'sum(rate(http_requests_total[5m] offset 10m))',
      'clamp(temperature_celsius, 19, 23)',
      'abs(-temperature_celsius)',
      'scalar(sum(temperature_celsius))',
      'time()',
      'vector(1)',
      'absent(nonexistent_metric)',
    ];
    for (const query of queries) {
      test(query, async () => {
        const { p, o } = await both(`/api/v1/query_range?${qs({ query, start: startSec, end: endSec, step })}`);
        assert.equal(p.status, 200, `Prometheus: ${JSON.stringify(p.body)}`);
        assert.equal(o.status, 200, JSON.stringify(o.body));
        assert.ok(p.body.data.result.length > 0, 'the query selects data');
        assertSameResult(query, p.body.data, o.body.data);
      });
    }
  });

  describe('PromQL instant queries', () => {
    const queries = [
      'http_requests_total',
      'rate(http_requests_total[5m])',
      'topk(2, node_memory_free_bytes)',
      'sum by (code) (increase(http_requests_total[30m]))',
      'http_requests_total[2m]',
      // A subquery of a name-dropping function: the result series have no __name__.
      'rate(http_requests_total[5m])[10m15s:1m]',
      'count(temperature_celsius)',
    ];
    for (const query of queries) {
      test(query, async () => {
        const { p, o } = await both(`/api/v1/query?${qs({ query, time: endSec - 90 })}`);
        assert.equal(p.status, 200);
        assert.equal(o.status, 200, JSON.stringify(o.body));
        assert.ok(p.body.data.result.length > 0);
        assertSameResult(query, p.body.data, o.body.data);
      });
    }
  });
});
