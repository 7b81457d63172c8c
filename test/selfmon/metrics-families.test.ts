import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPromdog, post, selfMetric, type TestPromdog } from '../support/promdog.js';
import { postAgentCapture, queryApi, v1Series } from './support.js';

// /metrics as a scraper sees it: request counts by tenant, route template and code move with each request, refusals
// are counted, and the sample counters move by exactly what was sent and refused.

let pd: TestPromdog;
before(async () => {
  pd = await startPromdog(['--self-scrape-interval', '0']);
});
after(async () => {
  await pd?.close();
});

/** Runs `action` and returns how much each counter moved. */
async function moved(
  counters: Record<string, [string, Record<string, string>]>,
  action: () => Promise<void>,
): Promise<Record<string, number>> {
  const before: Record<string, number> = {};
  for (const [k, [name, labels]] of Object.entries(counters)) before[k] = await selfMetric(pd.url, name, labels);
  await action();
  const delta: Record<string, number> = {};
  for (const [k, [name, labels]] of Object.entries(counters))
    delta[k] = (await selfMetric(pd.url, name, labels)) - before[k]!;
  return delta;
}

describe('/metrics families move with traffic', () => {
  test('unknown routes: 404 under route="unmatched", no tenant even with a valid key; counted by bounded path', async () => {
    const unknown = (method: string, path: string) =>
      ['promdog_http_unknown_routes_total', { method, path }] as [string, Record<string, string>];
    const delta = await moved(
      {
        notFound: ['promdog_http_requests_total', { tenant: '', route: 'unmatched', method: 'POST', code: '404' }],
        notFoundGet: ['promdog_http_requests_total', { tenant: '', route: 'unmatched', method: 'GET', code: '404' }],
        latency: ['promdog_http_request_duration_seconds_count', { route: 'unmatched' }],
        datadogPath: unknown('POST', '/api/v3/nothing'),
        withId: unknown('GET', '/api/v1/nothing/:id'),
        other: unknown('GET', 'other'),
      },
      async () => {
        assert.equal((await post(pd.url, '/api/v3/nothing', '{}', { key: pd.keys.default })).status, 404);
        assert.equal((await post(pd.url, '/api/v3/nothing?api_key=x', '{}', { key: null })).status, 404);
        assert.equal((await fetch(`${pd.url}/api/v1/nothing/12345`)).status, 404);
        assert.equal((await fetch(`${pd.url}/no/such/page`)).status, 404);
      },
    );
    assert.deepEqual(delta, { notFound: 2, notFoundGet: 2, latency: 4, datadogPath: 2, withId: 1, other: 1 });
    // The id with its path: '12345' alone also turns up in sample values (bytes, seconds).
    const text = await (await fetch(`${pd.url}/metrics`)).text();
    assert.ok(
      !text.includes('/no/such/page') && !text.includes('/nothing/12345') && !text.includes('api_key'),
      'paths outside the Datadog prefixes, ids and query strings never become labels',
    );
  });

  test('wrong or missing intake key: 403 counted without tenant, and as refused (forbidden)', async () => {
    const delta = await moved(
      {
        forbidden: ['promdog_http_requests_total', { tenant: '', route: '/api/v2/series', code: '403' }],
        refused: ['promdog_requests_rejected_total', { route: '/api/v2/series', reason: 'forbidden' }],
        defaultTenant: ['promdog_http_requests_total', { tenant: 'default', route: '/api/v2/series' }],
        validate: ['promdog_http_requests_total', { tenant: '', route: '/api/v1/validate', code: '403' }],
      },
      async () => {
        assert.equal((await post(pd.url, '/api/v2/series', '{}', { key: 'wrong-key-123' })).status, 403);
        assert.equal((await post(pd.url, '/api/v2/series', '{}', { key: null })).status, 403);
        assert.equal((await fetch(`${pd.url}/api/v1/validate`, { headers: { 'dd-api-key': 'nope' } })).status, 403);
      },
    );
    assert.deepEqual(delta, { forbidden: 2, refused: 2, defaultTenant: 0, validate: 1 });
  });

  test("query API: 401 without a key (no tenant), 200 counted under the key's tenant", async () => {
    const delta = await moved(
      {
        unauthorized: [
          'promdog_http_requests_total',
          { tenant: '', route: '/api/v1/query', method: 'GET', code: '401' },
        ],
        asDefault: [
          'promdog_http_requests_total',
          { tenant: 'default', route: '/api/v1/query', method: 'GET', code: '200' },
        ],
        asSystem: [
          'promdog_http_requests_total',
          { tenant: 'system', route: '/api/v1/query', method: 'GET', code: '200' },
        ],
      },
      async () => {
        assert.equal((await queryApi(pd.url, null, '/api/v1/query', { query: '1' })).status, 401);
        assert.equal((await queryApi(pd.url, 'wrong-key-123', '/api/v1/query', { query: '1' })).status, 401);
        assert.equal((await queryApi(pd.url, pd.keys.default, '/api/v1/query', { query: '1' })).status, 200);
        assert.equal((await queryApi(pd.url, pd.keys.system, '/api/v1/query', { query: '1' })).status, 200);
        assert.equal((await queryApi(pd.url, pd.keys.system, '/api/v1/query', { query: '2' })).status, 200);
      },
    );
    assert.deepEqual(delta, { unauthorized: 2, asDefault: 1, asSystem: 2 });
  });

  test('route labels are templates: /api/v1/label/job/values is counted under /api/v1/label/:name/values', async () => {
    const delta = await moved(
      {
        template: [
          'promdog_http_requests_total',
          { tenant: 'default', route: '/api/v1/label/:name/values', code: '200' },
        ],
        latency: ['promdog_http_request_duration_seconds_count', { route: '/api/v1/label/:name/values' }],
      },
      async () => {
        for (const name of ['job', 'instance', '__name__']) {
          assert.equal((await queryApi(pd.url, pd.keys.default, `/api/v1/label/${name}/values`)).status, 200);
        }
      },
    );
    assert.deepEqual(delta, { template: 3, latency: 3 });
    // The id with its path: '12345' alone also turns up in sample values (bytes, seconds).
    const text = await (await fetch(`${pd.url}/metrics`)).text();
    assert.ok(!text.includes('route="/api/v1/label/job/values"'));
  });

  test('samples accepted and rejected move by exactly what was sent and refused', async () => {
    let sent = 0;
    const capture = await moved(
      {
        accepted: ['promdog_samples_accepted_total', { tenant: 'default', kind: 'series' }],
        rejected: ['promdog_samples_rejected_total', { tenant: 'default' }],
        posts: [
          'promdog_http_requests_total',
          { tenant: 'default', route: '/api/v2/series', method: 'POST', code: '202' },
        ],
        compressed: ['promdog_payload_bytes_count', { route: '/api/v2/series', stage: 'compressed' }],
      },
      async () => {
        sent = (await postAgentCapture(pd.url, pd.keys.default)).points;
      },
    );
    assert.ok(sent > 1000);
    assert.deepEqual(capture, { accepted: sent, rejected: 0, posts: 3, compressed: 3 });

    const now = Math.floor(Date.now() / 1000);
    const refused = await moved(
      {
        accepted: ['promdog_samples_accepted_total', { tenant: 'default', kind: 'series' }],
        future: ['promdog_samples_rejected_total', { tenant: 'default', reason: 'too_far_in_future' }],
        system: ['promdog_samples_rejected_total', { tenant: 'system' }],
      },
      async () => {
        const body = v1Series('selfmon.mixed', [
          [now - 20, 1],
          [now - 10, 2],
          [now, 3],
          [now + 86_400, 4],
          [now + 2 * 86_400, 5],
        ]);
        assert.equal((await post(pd.url, '/api/v1/series', body, { key: pd.keys.default })).status, 202);
      },
    );
    assert.deepEqual(refused, { accepted: 3, future: 2, system: 0 });
  });
});
