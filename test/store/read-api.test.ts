import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PrometheusProcess } from '../support/prometheus.js';
import { startPromdog, post, type TestPromdog } from '../support/promdog.js';

// The same Datadog payloads go into promdog's embedded store and, through a gateway-mode promdog, into a real
// Prometheus. The read API (series, labels, label values, PromQL range queries) must answer the same, and no
// tenant ever sees another's data.

let prom: PrometheusProcess;
let store: TestPromdog;
let gateway: TestPromdog;
// A multiple of 10 s, so samples (at +3 s and +7 s) never sit on a multiple of 10 s. Subquery steps are absolute
// multiples of their step (30 s below): with an arbitrary now, one time in ten the samples fell on that grid, exactly
// on the left edge of the inner rate()'s window. Prometheus 3 leaves such a sample out (ranges are left-open) and the
// reference here, Prometheus 2.42, keeps it (5.08 vs 5.1): a version difference, not one to test.
const nowS = Math.floor(Date.now() / 10_000) * 10;
// 8 minutes of data every 10 s, inside the store's 10-minute out-of-order window and Prometheus' head window.
const start = nowS - 480;
const STEPS = 48;

function payload(tenantTag: string) {
  const series = [];
  for (const host of ['web-1', 'web-2', 'db-1']) {
    for (const [code, rate] of [
      ['200', 5],
      ['500', 0.5],
      ['404', 1],
    ] as const) {
      let c = 0;
      const points = [];
      for (let i = 0; i < STEPS; i++) {
        // A counter with a reset in the middle.
        c = i === 30 ? 3 : c + rate * 10 + (i % 3);
        points.push([start + i * 10 + 3, c]);
      }
      series.push({
        metric: 'app.requests.total',
        type: 'count',
        host,
        points,
        tags: [`code:${code}`, `tenant_tag:${tenantTag}`, host.startsWith('db') ? 'role:db' : 'role:web'],
      });
    }
    series.push({
      metric: 'system.load.1',
      host,
      points: Array.from({ length: STEPS }, (_, i) => [
        start + i * 10 + 7,
        1 + Math.sin(i / 5) + (host === 'db-1' ? 2 : 0),
      ]),
      tags: ['env:prod'],
    });
  }
  return JSON.stringify({ series });
}

before(async () => {
  prom = await PrometheusProcess.start();
  store = await startPromdog([]);
  gateway = await startPromdog(['--remote-write-url', prom.remoteWriteUrl]);
  assert.equal(
    (await post(store.url, '/api/v1/series', payload('a'), { key: store.keys.default, encoding: 'zstd' })).status,
    202,
  );
  assert.equal(
    (await post(gateway.url, '/api/v1/series', payload('a'), { key: gateway.keys.default, encoding: 'zstd' })).status,
    202,
  );
  // Different data for the system tenant of the embedded store only.
  const other = JSON.stringify({
    series: [{ metric: 'secret.metric', host: 'hidden', points: [[nowS - 5, 1]], tags: ['only:system'] }],
  });
  assert.equal((await post(store.url, '/api/v1/series', other, { key: store.keys.system })).status, 202);
});
after(async () => {
  await store?.close();
  await gateway?.close();
  await prom?.cleanup();
});

async function getJson(url: string, key?: string) {
  const res = await fetch(url, key ? { headers: { authorization: `Bearer ${key}` } } : {});
  return { status: res.status, body: (await res.json()) as any };
}
const sortSeries = (xs: Record<string, string>[]) => xs.map((m) => JSON.stringify(Object.entries(m).sort())).sort();

describe('embedded store vs Prometheus on identical data', () => {
  const matchers = [
    'app_requests_total',
    'app_requests_total{code="200"}',
    'app_requests_total{code!="200"}',
    'app_requests_total{code=~"2..|4.."}',
    'app_requests_total{code!~"5.*"}',
    'app_requests_total{instance=~"web-.*", role="web"}',
    '{__name__=~"app_.*|system_load_1", instance="db-1"}',
    '{__name__="system_load_1", role=""}', // empty matches absent labels
    '{__name__="system_load_1", role!=""}',
    'app_requests_total{code=~"(?i)2.*"}',
  ];
  const range = `start=${start}&end=${nowS}`;

  for (const m of matchers) {
    test(`/api/v1/series?match[]=${m}`, async () => {
      const q = `/api/v1/series?match[]=${encodeURIComponent(m)}&${range}`;
      const ours = await getJson(store.url + q, store.keys.default);
      const theirs = await getJson(prom.url + q);
      assert.equal(ours.status, 200, JSON.stringify(ours.body));
      assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
      assert.deepEqual(sortSeries(ours.body.data), sortSeries(theirs.body.data));
    });
  }

  test('/api/v1/labels and /api/v1/label/<name>/values, with and without match[]', async () => {
    for (const path of [
      `/api/v1/labels?${range}`,
      `/api/v1/labels?match[]=system_load_1&${range}`,
      `/api/v1/label/__name__/values?${range}`,
      `/api/v1/label/instance/values?match[]=${encodeURIComponent('app_requests_total{code="500"}')}&${range}`,
      `/api/v1/label/code/values?${range}`,
      `/api/v1/label/role/values?match[]=${encodeURIComponent('{instance="db-1"}')}&${range}`,
    ]) {
      const ours = await getJson(store.url + path, store.keys.default);
      const theirs = await getJson(prom.url + path);
      assert.deepEqual(ours.body.data, theirs.body.data, path);
    }
  });

  const queries = [
    'app_requests_total',
    'rate(app_requests_total[2m])',
    'irate(app_requests_total[1m])',
    'increase(app_requests_total[3m])',
    'resets(app_requests_total[5m])',
    'avg_over_time(system_load_1[2m])',
    'max_over_time(system_load_1[1m])',
    'sum by (code) (rate(app_requests_total[2m]))',
    'sum without (instance, role) (rate(app_requests_total[2m]))',
    'rate(app_requests_total{code="500"}[2m]) / on(instance) group_left sum by (instance) (rate(app_requests_total[2m]))',
    'app_requests_total and on(instance) system_load_1 > 2',
    'system_load_1 or on(instance) app_requests_total{code="404"}',
    'topk(2, system_load_1)',
    'quantile(0.5, system_load_1)',
    'label_replace(system_load_1, "host", "$1", "instance", "(.*)-1")',
    'max_over_time(rate(app_requests_total[1m])[3m15s:30s])',
    'system_load_1 offset 1m',
  ];
  for (const query of queries) {
    test(`query_range ${query}`, async () => {
      // Aligned steps that never sit on a sample (samples at +3 s and +7 s of every 10 s).
      const q = `/api/v1/query_range?query=${encodeURIComponent(query)}&start=${start + 240}&end=${nowS - 15}&step=20`;
      const ours = await getJson(store.url + q, store.keys.default);
      const theirs = await getJson(prom.url + q);
      assert.equal(ours.status, 200, JSON.stringify(ours.body));
      assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
      const index = (r: any[]) => new Map(r.map((s) => [JSON.stringify(Object.entries(s.metric).sort()), s.values]));
      const a = index(ours.body.data.result);
      const b = index(theirs.body.data.result);
      assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), 'same series');
      assert.ok(a.size > 0, 'non-empty result');
      for (const [k, va] of a) {
        const vb = b.get(k)!;
        assert.deepEqual(
          va.map((p: any) => p[0]),
          vb.map((p: any) => p[0]),
          `timestamps of ${k}`,
        );
        va.forEach((p: any, i: number) => {
          const x = Number(p[1]);
          const y = Number(vb[i][1]);
          assert.ok(
            x === y || Math.abs(x - y) <= 1e-6 * Math.max(Math.abs(x), Math.abs(y)),
            `${k} at ${p[0]}: ${x} vs ${y}`,
          );
        });
      }
    });
  }
});

describe('tenant isolation on every read route', () => {
  test('default never sees system data and vice versa', async () => {
    const routes = (match: string) => [
      `/api/v1/series?match[]=${encodeURIComponent(match)}`,
      `/api/v1/labels?match[]=${encodeURIComponent(match)}`,
      `/api/v1/label/instance/values?match[]=${encodeURIComponent(match)}`,
      `/api/v1/query?query=${encodeURIComponent(match)}`,
      `/api/v1/query_range?query=${encodeURIComponent(match)}&start=${nowS - 60}&end=${nowS}&step=15`,
    ];
    for (const path of routes('secret_metric')) {
      const r = await getJson(store.url + path, store.keys.default);
      assert.equal(r.status, 200, path);
      const data = r.body.data.result ?? r.body.data;
      assert.deepEqual(data, path.includes('/labels') ? [] : [], `${path}: default sees system data`);
      const s = await getJson(store.url + path, store.keys.system);
      assert.ok((s.body.data.result ?? s.body.data).length > 0, `${path}: system sees its own data`);
    }
    for (const path of routes('app_requests_total')) {
      const r = await getJson(store.url + path, store.keys.system);
      assert.deepEqual(r.body.data.result ?? r.body.data, [], `${path}: system sees default data`);
    }
    const exp = await fetch(`${store.url}/api/v1/export?match[]=secret_metric`, {
      headers: { authorization: `Bearer ${store.keys.default}` },
    });
    assert.equal((await exp.text()).trim(), '');
    const expSys = await fetch(`${store.url}/api/v1/export?match[]=secret_metric`, {
      headers: { authorization: `Bearer ${store.keys.system}` },
    });
    assert.match(await expSys.text(), /"only":"system"/);
    const meta = await getJson(`${store.url}/api/v1/metadata`, store.keys.system);
    assert.ok(!('app_requests_total' in meta.body.data), 'metadata is per tenant');
    const noKey = await getJson(`${store.url}/api/v1/query?query=up`);
    assert.equal(noKey.status, 401);
  });
});

describe('POST /api/v1/series: Grafana series lookup or Datadog data, by body', () => {
  test('a form-encoded lookup answers like GET; JSON with the form Content-Type (curl -d) is ingested', async () => {
    const form = new URLSearchParams({ 'match[]': 'system_load_1', start: String(start), end: String(nowS) });
    const res = await fetch(`${store.url}/api/v1/series`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${store.keys.default}` },
      body: form.toString(),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; data: Record<string, string>[] };
    assert.equal(body.status, 'success');
    assert.deepEqual(body.data.map((m) => m.instance).sort(), ['db-1', 'web-1', 'web-2']);

    const json = JSON.stringify({ series: [{ metric: 'curl.posted', points: [[nowS - 1, 42]], host: 'curl' }] });
    const ingest = await fetch(`${store.url}/api/v1/series`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'dd-api-key': store.keys.default },
      body: json,
    });
    assert.equal(ingest.status, 202);
    const q = await getJson(`${store.url}/api/v1/query?query=curl_posted`, store.keys.default);
    assert.equal(q.body.data.result[0]?.value[1], '42');
    const forbidden = await fetch(`${store.url}/api/v1/series`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: json,
    });
    assert.equal(forbidden.status, 403);
  });
});
