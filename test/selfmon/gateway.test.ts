import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { uncompressSync } from 'snappy';
import { PrometheusProcess } from '../support/prometheus.js';
import { startPromdog, post, type TestPromdog } from '../support/promdog.js';
import { OVERVIEW_PANELS } from '../../src/selfmon/overview-panels.js';
import { v1Series, waitFor } from './support.js';

// Gateway mode: the self-scrape is remote-written like the intake's data, with the system tenant in X-Scope-OrgID.
// A loopback proxy in front of a real Prometheus records each request's headers and body, forwards it, and answers
// the very first request 503 so that promdog retries once (the retry panel then has data).

interface Recorded {
  headers: IncomingHttpHeaders;
  /** The uncompressed WriteRequest (label names and values are plain bytes in it). */
  body: Buffer;
}

let prom: PrometheusProcess;
let proxy: Server;
let pd: TestPromdog;
const recorded: Recorded[] = [];

before(async () => {
  prom = await PrometheusProcess.start();
  let first = true;
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (first) {
        first = false;
        res.writeHead(503).end('try again');
        return;
      }
      recorded.push({ headers: req.headers, body: uncompressSync(body) as Buffer });
      const forward: Record<string, string> = {};
      for (const h of ['content-type', 'content-encoding', 'x-prometheus-remote-write-version', 'user-agent'])
        forward[h] = String(req.headers[h]);
      fetch(prom.remoteWriteUrl, { method: 'POST', headers: forward, body })
        .then(async (r) => res.writeHead(r.status).end(await r.text()))
        .catch((err: Error) => res.writeHead(502).end(err.message));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const addr = proxy.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  pd = await startPromdog([
    '--remote-write-url',
    `http://127.0.0.1:${port}/api/v1/write`,
    '--self-scrape-interval',
    '1s',
  ]);
  const now = Math.floor(Date.now() / 1000);
  const r = await post(pd.url, '/api/v1/series', v1Series('selfmon.gateway', [[now, 1]]), { key: pd.keys.default });
  assert.equal(r.status, 202, JSON.stringify(r.json));
});
after(async () => {
  await pd?.close();
  await new Promise((resolve) => proxy?.close(resolve));
  await prom?.cleanup();
});

describe('self-scrape in gateway mode', () => {
  test('promdog_* series arrive in Prometheus, written with X-Scope-OrgID: system', async () => {
    const sel = 'promdog_http_requests_total{job="promdog",tenant="default",route="/api/v1/series",code="202"}';
    const [s] = await waitFor('the self-metrics in Prometheus', async () => {
      const r = await prom.query(sel);
      return r.length === 1 && r;
    });
    assert.equal(s!.metric.instance, new URL(pd.url).host);
    assert.equal(s!.value[1], '1');
    assert.ok((await prom.query('promdog_http_request_duration_seconds_bucket{job="promdog",le="+Inf"}')).length > 0);

    const tenants = new Set(recorded.map((r) => r.headers['x-scope-orgid']));
    assert.deepEqual([...tenants].sort(), ['default', 'system']);
    const system = recorded.filter((r) => r.headers['x-scope-orgid'] === 'system');
    const agent = recorded.filter((r) => r.headers['x-scope-orgid'] === 'default');
    assert.ok(
      system.length > 0 &&
        system.every((r) => r.body.includes('promdog_http_requests_total') && !r.body.includes('selfmon_gateway')),
    );
    assert.ok(agent.length === 1 && agent[0]!.body.includes('selfmon_gateway') && !agent[0]!.body.includes('promdog_'));
  });

  test('the gateway panels draw data from Prometheus; the store panels draw nothing', async () => {
    for (const panel of OVERVIEW_PANELS.filter((p) => p.mode !== undefined)) {
      for (const { expr } of panel.queries) {
        const points = async () => {
          const end = Math.floor(Date.now() / 1000);
          let finite = 0;
          for (const s of await prom.queryRange(expr, end - 120, end, 2))
            for (const [, v] of s.values) if (Number.isFinite(Number(v))) finite++;
          return finite;
        };
        if (panel.mode === 'store') assert.equal(await points(), 0, `${panel.id}: ${expr}`);
        else await waitFor(`${panel.id}: ${expr}`, async () => (await points()) > 0);
      }
    }
  });
});
