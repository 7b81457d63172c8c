// The query API over real HTTP: every route's answers and error envelopes, GET and form-encoded POST, tenant
// isolation and the limits (samples, timeout, concurrency, body size).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Label } from '../../src/model/prometheus.js';
import type { LabelMatcher, Querier, SeriesColumns } from '../../src/model/storage.js';
import { TestStore, type TestSample } from '../support/store.js';
import { registerQueryApi } from '../../src/api/routes.js';
import { requestTenants } from '../../src/tenants/request-tenant.js';
import { acceptRawBodies, isFormRequest } from '../../src/http/raw-bodies.js';
import { Registry } from 'prom-client';
import { freePort } from '../support/ports.js';
import { getJson, postForm, qs, startApiServer, type ApiServer } from './support.js';

const T0 = 1_700_000_000_000; // ms
const KEY_A = 'key-of-tenant-a';
const KEY_B = 'key-of-tenant-b';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const lbls = (o: Record<string, string>): Label[] => Object.entries(o).map(([name, value]) => ({ name, value }));

// Tenants a and b live in the embedded store (written through its append path, read through Storage's querier).
let store: TestStore;
before(async () => {
  store = await TestStore.open();
  const every15s = (n: number, v: (i: number) => number): TestSample[] =>
    Array.from({ length: n }, (_, i) => ({ t: T0 + i * 15_000, v: v(i) }));
  await store.appendSamples(
    'a',
    lbls({ __name__: 'http_requests_total', job: 'api', instance: 'a:80', code: '200' }),
    every15s(60, (i) => i * 10),
  );
  await store.appendSamples(
    'a',
    lbls({ __name__: 'http_requests_total', job: 'api', instance: 'b:80', code: '500' }),
    every15s(60, (i) => i),
  );
  await store.appendSamples(
    'a',
    lbls({ __name__: 'temperature', job: 'sensors', room: 'lab' }),
    every15s(60, (i) => 20 + (i % 5)),
  );
  await store.appendSamples('a', lbls({ __name__: 'special', job: 'x' }), [
    { t: T0, v: NaN },
    { t: T0 + 1000, v: Infinity },
    { t: T0 + 2000, v: -2.5e-7 },
    { t: T0 + 3000, v: 0, stale: true },
  ]);
  await store.appendSamples(
    'b',
    lbls({ __name__: 'secret_metric', job: 'b-only' }),
    every15s(10, () => 42),
  );
});
after(() => store.close());

const tenantA = (): Querier => store.querier('a');
const tenantB = (): Querier => store.querier('b');

describe('query API', () => {
  let srv: ApiServer;
  const a = bearer(KEY_A);
  const get = (path: string, headers: Record<string, string> = a) => getJson(srv.url + path, { headers });

  before(async () => {
    srv = await startApiServer({
      keys: { a: KEY_A, b: KEY_B },
      queriers: { a: tenantA(), b: tenantB() },
      metadata: {
        a: [
          { metricFamilyName: 'http_requests_total', type: 'counter', help: 'Requests.', unit: '' },
          { metricFamilyName: 'http_requests_total', type: 'counter', help: 'Requests.', unit: '' },
          { metricFamilyName: 'temperature', type: 'gauge', help: 'Temperature.', unit: 'celsius' },
          { metricFamilyName: 'temperature', type: 'gauge', help: 'Other help.', unit: 'celsius' },
        ],
      },
    });
  });
  after(() => srv.close());

  describe('/api/v1/query', () => {
    test('instant vector with values as strings and times in seconds', async () => {
      const r = await get(
        `/api/v1/query?${qs({ query: 'http_requests_total{code="200"}', time: (T0 + 60_000) / 1000 })}`,
      );
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(r.body, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            {
              metric: { __name__: 'http_requests_total', code: '200', instance: 'a:80', job: 'api' },
              value: [(T0 + 60_000) / 1000, '40'],
            },
          ],
        },
      });
    });

    test('RFC 3339 time, scalar and string results', async () => {
      const iso = new Date(T0).toISOString();
      const s = await get(`/api/v1/query?${qs({ query: '1+1', time: iso })}`);
      assert.deepEqual(s.body.data, { resultType: 'scalar', result: [T0 / 1000, '2'] });
      const str = await get(`/api/v1/query?${qs({ query: '"hello"', time: T0 / 1000 })}`);
      assert.deepEqual(str.body.data, { resultType: 'string', result: [T0 / 1000, 'hello'] });
    });

    test('special values are written like Prometheus', async () => {
      const r = await get(`/api/v1/query?${qs({ query: 'special[10s]', time: (T0 + 5000) / 1000 })}`);
      assert.equal(r.status, 200);
      // The staleness marker is not a sample.
      assert.deepEqual(r.body.data.result[0].values, [
        [T0 / 1000, 'NaN'],
        [(T0 + 1000) / 1000, '+Inf'],
        [(T0 + 2000) / 1000, '-2.5e-07'],
      ]);
    });

    test('form-encoded POST reads the body, and the body wins over the URL', async () => {
      const r = await postForm(
        `${srv.url}/api/v1/query?query=vector(1)`,
        { query: 'vector(7)', time: String(T0 / 1000) },
        a,
      );
      assert.equal(r.status, 200);
      assert.equal(r.body.data.result[0].value[1], '7');
    });

    test('parse errors: 400 bad_data naming the query parameter', async () => {
      const r = await get(`/api/v1/query?${qs({ query: 'sum(', time: T0 / 1000 })}`);
      assert.equal(r.status, 400);
      assert.equal(r.body.status, 'error');
      assert.equal(r.body.errorType, 'bad_data');
      assert.match(r.body.error, /^invalid parameter "query": /);
      assert.deepEqual(Object.keys(r.body), ['status', 'errorType', 'error']);
    });

    test('bad time, timeout and lookback_delta parameters', async () => {
      const t = await get(`/api/v1/query?${qs({ query: '1', time: 'yesterday' })}`);
      assert.equal(t.status, 400);
      assert.equal(
        t.body.error,
        `invalid parameter "time": invalid time value for 'time': cannot parse "yesterday" to a valid timestamp`,
      );
      const to = await get(`/api/v1/query?${qs({ query: '1', timeout: 'soon' })}`);
      assert.equal(to.status, 400);
      assert.match(to.body.error, /^invalid parameter "timeout": /);
      const lb = await get(`/api/v1/query?${qs({ query: '1', lookback_delta: 'x' })}`);
      assert.equal(lb.status, 400);
      assert.match(lb.body.error, /^error parsing lookback delta duration/);
    });

    test('execution errors are 422', async () => {
      const r = await get(
        `/api/v1/query?${qs({ query: 'http_requests_total + on(job) http_requests_total', time: T0 / 1000 })}`,
      );
      assert.equal(r.status, 422);
      assert.equal(r.body.errorType, 'execution');
      assert.match(r.body.error, /many-to-many matching not allowed/);
    });

    test('lookback_delta changes which samples an instant query sees', async () => {
      const at = (T0 + 59 * 15_000 + 120_000) / 1000; // 2 minutes after the last sample
      const dflt = await get(`/api/v1/query?${qs({ query: 'temperature', time: at })}`);
      assert.equal(dflt.body.data.result.length, 1);
      const short = await get(`/api/v1/query?${qs({ query: 'temperature', time: at, lookback_delta: '1m' })}`);
      assert.equal(short.body.data.result.length, 0);
    });

    test('limit truncates the result with a warning', async () => {
      const r = await get(`/api/v1/query?${qs({ query: 'http_requests_total', time: T0 / 1000, limit: 1 })}`);
      assert.equal(r.body.data.result.length, 1);
      assert.deepEqual(r.body.warnings, ['results truncated due to limit']);
    });

    test('stats=all adds Prometheus-shaped statistics', async () => {
      const r = await get(
        `/api/v1/query?${qs({ query: 'sum(http_requests_total)', time: (T0 + 300_000) / 1000, stats: 'all' })}`,
      );
      assert.equal(r.status, 200);
      const st = r.body.data.stats;
      assert.deepEqual(Object.keys(st.timings).sort(), [
        'evalTotalTime',
        'execQueueTime',
        'execTotalTime',
        'innerEvalTime',
        'queryPreparationTime',
        'resultSortTime',
      ]);
      for (const v of Object.values(st.timings)) assert.equal(typeof v, 'number');
      // Two series, samples in the left-open 5m lookback window (T0, T0+300s]: 20 each.
      assert.equal(st.samples.totalQueryableSamples, 40);
      assert.ok(st.samples.peakSamples >= 40);
      const plain = await get(`/api/v1/query?${qs({ query: 'sum(http_requests_total)', time: T0 / 1000 })}`);
      assert.equal(plain.body.data.stats, undefined);
    });

    test('annotations come back as warnings/infos', async () => {
      const r = await get(`/api/v1/query?${qs({ query: 'rate(temperature[5m])', time: (T0 + 600_000) / 1000 })}`);
      assert.equal(r.status, 200);
      assert.ok(
        Array.isArray(r.body.infos) && r.body.infos.some((i: string) => i.includes('might not be a counter')),
        JSON.stringify(r.body),
      );
    });
  });

  describe('/api/v1/query_range', () => {
    const range = (extra: Record<string, string | number>) =>
      get(
        `/api/v1/query_range?${qs({ query: 'http_requests_total{code="500"}', start: T0 / 1000, end: (T0 + 120_000) / 1000, step: 60, ...extra })}`,
      );

    test('matrix with values per step', async () => {
      const r = await range({});
      assert.equal(r.status, 200);
      assert.equal(r.body.data.resultType, 'matrix');
      assert.deepEqual(r.body.data.result[0].values, [
        [T0 / 1000, '0'],
        [(T0 + 60_000) / 1000, '4'],
        [(T0 + 120_000) / 1000, '8'],
      ]);
    });

    test('step as a duration, and POST', async () => {
      const r = await postForm(
        `${srv.url}/api/v1/query_range`,
        {
          query: 'http_requests_total{code="500"}',
          start: String(T0 / 1000),
          end: String((T0 + 120_000) / 1000),
          step: '1m',
        },
        a,
      );
      assert.equal(r.status, 200);
      assert.equal(r.body.data.result[0].values.length, 3);
    });

    test("Prometheus' parameter checks", async () => {
      const before = await range({ end: (T0 - 1000) / 1000 });
      assert.equal(before.status, 400);
      assert.equal(before.body.error, 'invalid parameter "end": end timestamp must not be before start time');
      const zero = await range({ step: 0 });
      assert.equal(
        zero.body.error,
        'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
      const neg = await range({ step: -5 });
      assert.equal(neg.status, 400);
      const many = await range({ end: (T0 + 11_001_000) / 1000, step: 1 });
      assert.equal(many.status, 400);
      assert.equal(
        many.body.error,
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
      );
      const exact = await range({ end: (T0 + 11_000_000) / 1000, step: 1 });
      assert.equal(exact.status, 200);
      const noStart = await get(`/api/v1/query_range?${qs({ query: '1', end: 1, step: 1 })}`);
      assert.equal(noStart.status, 400);
      assert.match(noStart.body.error, /^invalid parameter "start": /);
      const matrixType = await range({ query: 'temperature[5m]' });
      assert.equal(matrixType.status, 400);
      assert.match(
        matrixType.body.error,
        /^invalid parameter "query": invalid expression type "range vector" for range query/,
      );
    });
  });

  describe('metadata endpoints', () => {
    test('/api/v1/series needs match[] and returns label sets sorted', async () => {
      const none = await get('/api/v1/series');
      assert.equal(none.status, 400);
      assert.equal(none.body.error, 'no match[] parameter provided');
      const r = await get(
        `/api/v1/series?${qs({ 'match[]': ['http_requests_total', 'temperature', 'http_requests_total{code="200"}'] })}`,
      );
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.data, [
        { __name__: 'http_requests_total', code: '200', instance: 'a:80', job: 'api' },
        { __name__: 'http_requests_total', code: '500', instance: 'b:80', job: 'api' },
        { __name__: 'temperature', job: 'sensors', room: 'lab' },
      ]);
    });

    test('/api/v1/series honours start/end, limit and POST', async () => {
      const late = await get(`/api/v1/series?${qs({ 'match[]': '{job=~".+"}', start: (T0 + 3_600_000) / 1000 })}`);
      assert.deepEqual(late.body.data, []);
      const lim = await postForm(`${srv.url}/api/v1/series`, { 'match[]': '{job=~".+"}', limit: '2' }, a);
      assert.equal(lim.status, 200);
      assert.equal(lim.body.data.length, 2);
      assert.deepEqual(lim.body.warnings, ['results truncated due to limit']);
    });

    test('match[] errors', async () => {
      const empty = await get(`/api/v1/series?${qs({ 'match[]': '{job=~".*"}' })}`);
      assert.equal(empty.status, 400);
      assert.equal(empty.body.errorType, 'bad_data');
      const notSelector = await get(`/api/v1/series?${qs({ 'match[]': 'rate(x[5m])' })}`);
      assert.equal(notSelector.status, 400);
      assert.match(notSelector.body.error, /^invalid parameter "match\[\]": /);
      const badLimit = await get(`/api/v1/series?${qs({ 'match[]': 'up', limit: -1 })}`);
      assert.equal(badLimit.body.error, 'invalid parameter "limit": limit must be non-negative');
    });

    test('/api/v1/labels with and without match[]', async () => {
      const all = await get('/api/v1/labels');
      assert.deepEqual(all.body, { status: 'success', data: ['__name__', 'code', 'instance', 'job', 'room'] });
      const some = await postForm(`${srv.url}/api/v1/labels`, { 'match[]': 'temperature' }, a);
      assert.deepEqual(some.body.data, ['__name__', 'job', 'room']);
      const lim = await get(`/api/v1/labels?${qs({ limit: 2 })}`);
      assert.deepEqual(lim.body.data, ['__name__', 'code']);
      assert.deepEqual(lim.body.warnings, ['results truncated due to limit']);
    });

    test('/api/v1/label/<name>/values', async () => {
      const names = await get('/api/v1/label/__name__/values');
      assert.deepEqual(names.body.data, ['http_requests_total', 'special', 'temperature']);
      const jobs = await get(`/api/v1/label/job/values?${qs({ 'match[]': 'http_requests_total' })}`);
      assert.deepEqual(jobs.body.data, ['api']);
      const none = await get('/api/v1/label/nonexistent/values');
      assert.deepEqual(none.body.data, []);
      // Prometheus' U__ escaping of names that are not legacy identifiers: "a.b" → U__a_2e_b.
      const escaped = await get('/api/v1/label/U__a_2e_b/values');
      assert.deepEqual(escaped.body.data, []);
    });

    test('/api/v1/metadata groups, deduplicates and limits', async () => {
      const all = await get('/api/v1/metadata');
      assert.deepEqual(all.body.data, {
        http_requests_total: [{ type: 'counter', help: 'Requests.', unit: '' }],
        temperature: [
          { type: 'gauge', help: 'Temperature.', unit: 'celsius' },
          { type: 'gauge', help: 'Other help.', unit: 'celsius' },
        ],
      });
      const one = await get(`/api/v1/metadata?${qs({ metric: 'temperature', limit_per_metric: 1 })}`);
      assert.deepEqual(one.body.data, { temperature: [{ type: 'gauge', help: 'Temperature.', unit: 'celsius' }] });
      const lim = await get(`/api/v1/metadata?${qs({ limit: 1 })}`);
      assert.deepEqual(Object.keys(lim.body.data), ['http_requests_total']);
      const bad = await get(`/api/v1/metadata?${qs({ limit: 'x' })}`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'limit must be a number');
      const other = await get('/api/v1/metadata', bearer(KEY_B));
      assert.deepEqual(other.body.data, {});
    });

    test("/api/v1/status/buildinfo has exactly Prometheus' fields", async () => {
      const r = await get('/api/v1/status/buildinfo');
      assert.deepEqual(Object.keys(r.body.data), [
        'version',
        'revision',
        'branch',
        'buildUser',
        'buildDate',
        'goVersion',
      ]);
      for (const v of Object.values(r.body.data)) assert.equal(typeof v, 'string');
    });

    test('/api/v1/query_exemplars answers an empty list, and checks its parameters', async () => {
      const r = await get(
        `/api/v1/query_exemplars?${qs({ query: 'http_requests_total', start: T0 / 1000, end: (T0 + 60_000) / 1000 })}`,
      );
      assert.deepEqual(r.body, { status: 'success', data: [] });
      const bad = await get(`/api/v1/query_exemplars?${qs({ query: 'up{', start: 1, end: 2 })}`);
      assert.equal(bad.status, 400);
      const order = await get(`/api/v1/query_exemplars?${qs({ query: 'up', start: 2, end: 1 })}`);
      assert.equal(order.body.error, 'end timestamp must not be before start timestamp');
    });

    test('/api/v1/format_query pretty-prints', async () => {
      const r = await get(
        `/api/v1/format_query?${qs({ query: 'sum  by(job)(rate(http_requests_total{code =~ "5.."}[5m]))' })}`,
      );
      assert.deepEqual(r.body, {
        status: 'success',
        data: 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))',
      });
      const post = await postForm(`${srv.url}/api/v1/format_query`, { query: 'foo  offset 1h30m' }, a);
      assert.equal(post.body.data, 'foo offset 1h30m');
      const bad = await get(`/api/v1/format_query?${qs({ query: 'foo{' })}`);
      assert.equal(bad.status, 400);
      assert.match(bad.body.error, /^invalid parameter "query": /);
    });
  });

  describe('/api/v1/export', () => {
    test('JSON lines with raw samples: NaN as null, Inf as a string, no exponents', async () => {
      const res = await fetch(
        `${srv.url}/api/v1/export?${qs({ 'match[]': 'special', start: T0 / 1000 - 1, end: (T0 + 10_000) / 1000 })}`,
        { headers: a },
      );
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/stream\+json/);
      const text = await res.text();
      assert.equal(
        text,
        `{"metric":{"__name__":"special","job":"x"},"values":[null,"Infinity",-0.00000025,null],"timestamps":[${T0},${T0 + 1000},${T0 + 2000},${T0 + 3000}]}\n`,
      );
    });

    test('several match[] sets: each series once, sorted; POST works', async () => {
      const r = await fetch(`${srv.url}/api/v1/export`, {
        method: 'POST',
        headers: { ...a, 'content-type': 'application/x-www-form-urlencoded' },
        body: qs({
          'match[]': ['temperature', '{job="sensors"}', 'http_requests_total{code="500"}'],
          start: T0 / 1000,
          end: (T0 + 30_000) / 1000,
        }),
      });
      const lines = (await r.text())
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(lines.length, 2);
      assert.equal(lines[0].metric.__name__, 'http_requests_total');
      assert.deepEqual(lines[0].values, [0, 1, 2]);
      assert.deepEqual(lines[1].timestamps, [T0, T0 + 15_000, T0 + 30_000]);
      const none = await get('/api/v1/export');
      assert.equal(none.status, 400);
      assert.equal(none.body.errorType, 'bad_data');
    });
  });

  describe('authentication and tenant isolation', () => {
    test('missing and unknown keys: 401 with an error envelope', async () => {
      for (const headers of [{}, bearer('wrong-key')]) {
        const r = await get(`/api/v1/query?${qs({ query: '1' })}`, headers);
        assert.equal(r.status, 401);
        assert.equal(r.body.status, 'error');
        assert.equal(r.body.errorType, 'unauthorized');
        assert.ok(r.headers.get('www-authenticate'));
      }
    });

    test('basic auth password, DD-API-KEY and api_key select the tenant', async () => {
      const basic = { authorization: `Basic ${Buffer.from(`grafana:${KEY_B}`).toString('base64')}` };
      for (const [path, headers] of [
        ['/api/v1/label/__name__/values', basic],
        ['/api/v1/label/__name__/values', { 'dd-api-key': KEY_B }],
        [`/api/v1/label/__name__/values?api_key=${KEY_B}`, {}],
      ] as const) {
        const r = await get(path, headers);
        assert.deepEqual(r.body.data, ['secret_metric'], path);
      }
    });

    test("a tenant's key never reads another tenant's data", async () => {
      const q = await get(`/api/v1/query?${qs({ query: 'secret_metric', time: T0 / 1000 })}`, bearer(KEY_A));
      assert.deepEqual(q.body.data.result, []);
      const qb = await get(`/api/v1/query?${qs({ query: 'secret_metric', time: T0 / 1000 })}`, bearer(KEY_B));
      assert.equal(qb.body.data.result.length, 1);
      const s = await get(`/api/v1/series?${qs({ 'match[]': '{__name__=~".+"}' })}`, bearer(KEY_B));
      assert.deepEqual(s.body.data, [{ __name__: 'secret_metric', job: 'b-only' }]);
      const l = await get('/api/v1/labels', bearer(KEY_B));
      assert.deepEqual(l.body.data, ['__name__', 'job']);
      const e = await fetch(`${srv.url}/api/v1/export?${qs({ 'match[]': '{__name__=~".+"}', start: 0 })}`, {
        headers: bearer(KEY_B),
      });
      const lines = (await e.text()).trimEnd().split('\n');
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /secret_metric/);
    });
  });

  test('requests and rejections are counted', async () => {
    const text = await srv.registry.metrics();
    assert.match(text, /promdog_query_requests_total\{endpoint="query",code="200"\} \d+/);
    assert.match(text, /promdog_query_requests_total\{endpoint="query_range",code="400"\} \d+/);
    assert.match(text, /promdog_query_rejected_total\{reason="unauthorized"\} 2/);
    assert.match(text, /promdog_query_rejected_total\{reason="too_many_points"\} 1/);
  });
});

/** A Querier whose reads wait until `open()` (or a delay), to hold queries in flight. */
class SlowQuerier implements Querier {
  private gate: Promise<void>;
  private openGate!: () => void;
  started = 0;

  constructor(
    private readonly inner: Querier,
    private readonly delayMs = 0,
  ) {
    this.gate = new Promise((r) => (this.openGate = r));
    if (delayMs > 0) this.openGate();
  }

  open(): void {
    this.openGate();
  }

  async select(m: LabelMatcher[], mint: number, maxt: number): Promise<SeriesColumns> {
    this.started++;
    await this.gate;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.inner.select(m, mint, maxt);
  }

  series(m: LabelMatcher[], mint: number, maxt: number): Promise<Label[][]> {
    return this.inner.series(m, mint, maxt);
  }

  labelNames(m: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    return this.inner.labelNames(m, mint, maxt);
  }

  labelValues(n: string, m: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    return this.inner.labelValues(n, m, mint, maxt);
  }
}

describe('limits', () => {
  test('maxSamples: 422 execution error, counted', async () => {
    const srv = await startApiServer({ noAuth: true, queriers: { default: tenantA() }, limits: { maxSamples: 50 } });
    try {
      const r = await getJson(
        `${srv.url}/api/v1/query?${qs({ query: 'http_requests_total[1h]', time: (T0 + 900_000) / 1000 })}`,
      );
      assert.equal(r.status, 422);
      assert.equal(r.body.errorType, 'execution');
      assert.equal(r.body.error, 'query processing would load too many samples into memory in query execution');
      const small = await getJson(`${srv.url}/api/v1/query?${qs({ query: 'temperature', time: T0 / 1000 })}`);
      assert.equal(small.status, 200);
      assert.match(await srv.registry.metrics(), /promdog_query_rejected_total\{reason="too_many_samples"\} 1/);
    } finally {
      await srv.close();
    }
  });

  test('timeout: the parameter lowers the limit; 503 timeout', async () => {
    const slow = new SlowQuerier(tenantA(), 100);
    const srv = await startApiServer({ noAuth: true, queriers: { default: slow }, limits: { timeoutMs: 60_000 } });
    try {
      const r = await getJson(
        `${srv.url}/api/v1/query?${qs({ query: 'temperature', time: T0 / 1000, timeout: '10ms' })}`,
      );
      assert.equal(r.status, 503);
      assert.equal(r.body.errorType, 'timeout');
      assert.match(r.body.error, /query timed out/);
      // A larger timeout parameter does not raise the server's limit, and a normal one passes.
      const ok = await getJson(
        `${srv.url}/api/v1/query?${qs({ query: 'temperature', time: T0 / 1000, timeout: '1h' })}`,
      );
      assert.equal(ok.status, 200);
      assert.match(await srv.registry.metrics(), /promdog_query_rejected_total\{reason="timeout"\} 1/);
    } finally {
      await srv.close();
    }
  });

  test('server timeout applies when the parameter is absent', async () => {
    const srv = await startApiServer({
      noAuth: true,
      queriers: { default: new SlowQuerier(tenantA(), 100) },
      limits: { timeoutMs: 10 },
    });
    try {
      const r = await getJson(`${srv.url}/api/v1/query?${qs({ query: 'temperature', time: T0 / 1000 })}`);
      assert.equal(r.status, 503);
      assert.equal(r.body.errorType, 'timeout');
    } finally {
      await srv.close();
    }
  });

  test('concurrency: excess queries wait in a bounded queue; beyond it 503 unavailable', async () => {
    const slow = new SlowQuerier(tenantA());
    const srv = await startApiServer({
      noAuth: true,
      queriers: { default: slow },
      limits: { maxConcurrent: 1, maxQueued: 1 },
    });
    try {
      const url = `${srv.url}/api/v1/query?${qs({ query: 'temperature', time: T0 / 1000 })}`;
      const first = getJson(url);
      while (slow.started < 1) await new Promise((r) => setTimeout(r, 5));
      const second = getJson(url); // queued
      // Wait until the second request is in the queue (the gauge says so), then overflow it.
      while (!/promdog_query_queued 1/.test(await srv.registry.metrics())) await new Promise((r) => setTimeout(r, 5));
      const third = await getJson(url);
      assert.equal(third.status, 503);
      assert.equal(third.body.errorType, 'unavailable');
      assert.match(third.body.error, /too many concurrent queries/);
      assert.equal(slow.started, 1, 'the queued query has not started');
      slow.open();
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      assert.match(await srv.registry.metrics(), /promdog_query_rejected_total\{reason="concurrency"\} 1/);
    } finally {
      slow.open();
      await srv.close();
    }
  });

  test('queued queries give up after the timeout', async () => {
    const slow = new SlowQuerier(tenantA());
    const srv = await startApiServer({
      noAuth: true,
      queriers: { default: slow },
      limits: { maxConcurrent: 1, maxQueued: 4, timeoutMs: 50 },
    });
    try {
      const url = `${srv.url}/api/v1/query?${qs({ query: 'temperature', time: T0 / 1000 })}`;
      const first = getJson(url);
      while (slow.started < 1) await new Promise((r) => setTimeout(r, 5));
      const queued = await getJson(url);
      assert.equal(queued.status, 503);
      assert.equal(queued.body.errorType, 'timeout');
      assert.equal(queued.body.error, 'query timed out in query queue');
      slow.open();
      await first;
    } finally {
      slow.open();
      await srv.close();
    }
  });

  test('form bodies over the size limit: 413', async () => {
    const srv = await startApiServer({
      noAuth: true,
      queriers: { default: tenantA() },
      limits: { maxBodyBytes: 1024 },
    });
    try {
      const r = await postForm(`${srv.url}/api/v1/query`, { query: `vector(1) + ${'0'.repeat(2000)}` });
      assert.equal(r.status, 413);
      assert.equal(r.body.status, 'error');
      const ok = await postForm(`${srv.url}/api/v1/query`, { query: 'vector(1)' });
      assert.equal(ok.status, 200);
    } finally {
      await srv.close();
    }
  });
});

test('POST /api/v1/series shared with the Datadog intake: form bodies go to the series query', async () => {
  // The server's intake owns POST /api/v1/series (Datadog JSON); Grafana POSTs its series query there too.
  const app = Fastify() as unknown as FastifyInstance;
  acceptRawBodies(app);
  const q = tenantA();
  const api = registerQueryApi(app, {
    querierFor: () => q,
    resolveTenant: requestTenants({ tenantForKey: () => undefined }, true).query,
    registry: new Registry(),
    limits: { maxSamples: 1e6, timeoutMs: 10_000, maxConcurrent: 2 },
    registerSeriesPost: false,
  });
  app.post('/api/v1/series', async (req, reply) => {
    if (isFormRequest(req)) return api.seriesHandler(req, reply);
    return reply.code(202).send({ status: 'ok' }); // stands in for the intake route
  });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  try {
    const form = await postForm(`http://127.0.0.1:${port}/api/v1/series`, { 'match[]': 'temperature' });
    assert.deepEqual(form.body, {
      status: 'success',
      data: [{ __name__: 'temperature', job: 'sensors', room: 'lab' }],
    });
    const json = await getJson(`http://127.0.0.1:${port}/api/v1/series`, {
      method: 'POST',
      body: '{"series":[]}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(json.status, 202);
    const get = await getJson(`http://127.0.0.1:${port}/api/v1/series?${qs({ 'match[]': 'temperature' })}`);
    assert.equal(get.body.data.length, 1);
  } finally {
    await app.close();
  }
});
