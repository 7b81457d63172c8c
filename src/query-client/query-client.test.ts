import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PrometheusProcess } from '../../test/support/prometheus.js';
import { freePort } from '../../test/support/ports.js';
import { recordingServer } from '../../test/support/recording-server.js';
import { QueryClient, QueryClientError, type QueryClientOptions } from './query-client.js';

let prom: PrometheusProcess;
before(async () => {
  prom = await PrometheusProcess.start();
});
after(async () => {
  await prom?.cleanup();
});

const client = (url: string, over: Partial<ConstructorParameters<typeof QueryClient>[0]> = {}) =>
  new QueryClient({ url, tenantHeader: 'X-Scope-OrgID', timeoutMs: 5_000, ...over });

test('instant queries against a real Prometheus: vector, scalar, string and range results with raw numbers', async () => {
  const c = client(prom.url);
  try {
    const t = 1_700_000_000_123;
    const v = await c.instantQuery(
      't',
      'label_replace(vector(2.5), "b", "x", "", "") or label_replace(vector(-Inf), "a", "y", "", "")',
      t,
    );
    assert.equal(v.resultType, 'vector');
    if (v.resultType !== 'vector') return;
    assert.deepEqual(
      v.series.map((s) => [s.labels, s.timestamps, s.values]),
      [
        [[{ name: 'b', value: 'x' }], [t], [2.5]],
        [[{ name: 'a', value: 'y' }], [t], [-Infinity]],
      ],
    );
    const s = await c.instantQuery('t', 'scalar(vector(NaN))', t);
    assert.equal(s.resultType, 'scalar');
    assert.ok(s.resultType === 'scalar' && Number.isNaN(s.value) && s.time === t);
    const str = await c.instantQuery('t', '"hello"', t);
    assert.deepEqual(str.resultType === 'string' && [str.value, str.time], ['hello', t]);
    const empty = await c.instantQuery('t', 'nothing_here[5m]', t);
    assert.deepEqual(empty.resultType === 'matrix' && empty.series, []);
  } finally {
    await c.close();
  }
});

test("Prometheus' error answer is the error: its type and message", async () => {
  const c = client(`${prom.url}/`);
  try {
    await assert.rejects(c.instantQuery('t', 'sum(', 0), (e: Error) => {
      assert.ok(e instanceof QueryClientError);
      assert.match(e.message, /\/api\/v1\/query: HTTP 400: bad_data: .*parse error/);
      return true;
    });
  } finally {
    await c.close();
  }
});

test('the tenant goes in the configured header with the configured credentials, under the URL path prefix', async () => {
  const ok = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } });
  const r = await recordingServer(() => ({ status: 200, body: ok }));
  const c = client(`${r.url}/prometheus`, { tenantHeader: 'X-Tenant', basicAuth: { username: 'u', password: 'p' } });
  const noTenant = client(r.url, { tenantHeader: '', bearerToken: 'tok', headers: { 'X-Extra': '1' } });
  try {
    await c.instantQuery('team-a', 'up', 1_000_500);
    await noTenant.instantQuery('team-b', 'up', 0);
    const [a, b] = r.seen;
    assert.equal(a!.path, '/prometheus/api/v1/query');
    assert.equal(a!.headers['x-tenant'], 'team-a');
    assert.equal(a!.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
    assert.equal(a!.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(a!.body)), { query: 'up', time: '1000.500' });
    assert.equal(b!.headers['x-scope-orgid'], undefined);
    assert.equal(b!.headers.authorization, 'Bearer tok');
    assert.equal(b!.headers['x-extra'], '1');
  } finally {
    await c.close();
    await noTenant.close();
    await r.close();
  }
});

test("credentials in the URL become basic auth and never appear in the client's endpoint", async () => {
  const ok = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } });
  const r = await recordingServer(() => ({ status: 200, body: ok }));
  const c = client(r.url.replace('http://', 'http://me:s%3Acret@'), { tenantHeader: '' });
  try {
    assert.equal(c.endpoint, `${r.url}/api/v1/query`);
    await c.instantQuery('t', 'up', 0);
    assert.equal(r.seen[0]!.headers.authorization, `Basic ${Buffer.from('me:s:cret').toString('base64')}`);
  } finally {
    await c.close();
    await r.close();
  }
});

test('a configuration mistake is a QueryClientError naming it', () => {
  const mistake = (over: Partial<QueryClientOptions>) => () =>
    client('http://127.0.0.1:9', { tenantHeader: '', ...over });
  assert.throws(
    mistake({ url: 'not a url' }),
    (e: Error) => e instanceof QueryClientError && /invalid query URL/.test(e.message),
  );
  assert.throws(mistake({ url: 'ftp://host' }), /query URL must be http\(s\)/);
  assert.throws(
    mistake({ basicAuth: { username: 'u', password: 'p' }, bearerToken: 't' }),
    /basic auth or a bearer token, not both/,
  );
});

test('failures say what happened: a timeout, a refused connection, an answer that is not the API', async () => {
  const silent = await recordingServer(() => undefined);
  const c = client(silent.url, { timeoutMs: 200 });
  const html = await recordingServer(() => ({ status: 502, body: '<html>bad gateway</html>' }));
  const h = client(html.url);
  const down = client(`http://127.0.0.1:${await freePort()}`);
  try {
    await assert.rejects(c.instantQuery('t', 'up', 0), /failed: timed out after 200 ms/);
    await assert.rejects(h.instantQuery('t', 'up', 0), /HTTP 502: <html>bad gateway<\/html>/);
    await assert.rejects(down.instantQuery('t', 'up', 0), /query http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query failed: /);
  } finally {
    await Promise.all([c.close(), h.close(), down.close()]);
    await Promise.all([silent.close(), html.close()]);
  }
});

test('forward: the request as the client sent it, the tenant and credentials from the configuration', async () => {
  const r = await recordingServer((req) =>
    req.path.includes('/metadata') ? { status: 418, headers: { 'x-backend': 'yes' }, body: 'teapot' } : undefined,
  );
  const c = client(`${r.url}/prometheus/`, { tenantHeader: 'X-Tenant', bearerToken: 'tok', timeoutMs: 300 });
  try {
    const params = new URLSearchParams([
      ['match[]', 'up'],
      ['match[]', '{job="a b"}'],
    ]);
    const got = await c.forward('team-a', { method: 'GET', endpoint: 'metadata', params });
    assert.equal(got.status, 418);
    assert.equal(got.headers['x-backend'], 'yes');
    assert.equal(got.endpoint, `${r.url}/prometheus/api/v1/metadata`);
    let body = '';
    for await (const chunk of got.body) body += String(chunk);
    assert.equal(body, 'teapot');
    const [get] = r.seen;
    assert.equal(get!.method, 'GET');
    assert.equal(get!.path, `/prometheus/api/v1/metadata?${params}`);
    assert.equal(get!.headers['x-tenant'], 'team-a');
    assert.equal(get!.headers.authorization, 'Bearer tok');
    // POST: a form body; no answer within the timeout is a 'timeout' failure.
    await assert.rejects(c.forward('team-a', { method: 'POST', endpoint: 'query', params }), (e: Error) => {
      assert.ok(e instanceof QueryClientError);
      assert.equal(e.failure, 'timeout');
      assert.match(e.message, /\/prometheus\/api\/v1\/query failed: timed out after 300 ms$/);
      return true;
    });
    const post = r.seen[1]!;
    assert.equal(post.path, '/prometheus/api/v1/query');
    assert.equal(post.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(new URLSearchParams(post.body).getAll('match[]'), ['up', '{job="a b"}']);
  } finally {
    await c.close();
    await r.close();
  }
  const down = client(`http://127.0.0.1:${await freePort()}`);
  try {
    await assert.rejects(
      down.forward('t', { method: 'GET', endpoint: 'labels', params: new URLSearchParams() }),
      (e: Error) => e instanceof QueryClientError && e.failure === 'unreachable' && /ECONNREFUSED/.test(e.message),
    );
  } finally {
    await down.close();
  }
});
