import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { PrometheusProcess } from '../../test/support/prometheus.js';
import { freePort } from '../../test/support/ports.js';
import { QueryClient, QueryClientError } from './query-client.js';

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

/** A loopback server that records each request and answers with `answer` (or never, when it returns undefined). */
async function recorder(answer: () => { status: number; body: string } | undefined) {
  const seen: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      const a = answer();
      if (a) res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

test('the tenant goes in the configured header with the configured credentials, under the URL path prefix', async () => {
  const ok = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } });
  const r = await recorder(() => ({ status: 200, body: ok }));
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

test('failures say what happened: a timeout, a refused connection, an answer that is not the API', async () => {
  const silent = await recorder(() => undefined);
  const c = client(silent.url, { timeoutMs: 200 });
  const html = await recorder(() => ({ status: 502, body: '<html>bad gateway</html>' }));
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
