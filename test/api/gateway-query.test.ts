import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusProcess } from '../support/prometheus.js';
import { VictoriaMetricsProcess } from '../support/victoria-metrics.js';
import { recordingServer, type RecordingServer, type ScriptedAnswer } from '../support/recording-server.js';
import { freePort } from '../support/ports.js';
import { post, selfMetric, startPromdog, type TestPromdog } from '../support/promdog.js';

// The query API in gateway mode, through the backend: a gateway promdog writes to a real Prometheus and reads it
// back through --query-url; tenant team-a lives in a real VictoriaMetrics (its own remote_write and query_url);
// tenant team-rec reads a loopback server standing in for a Mimir-like backend, which records the headers promdog
// sends and answers what a healthy backend never does (HTML errors, silence, answers too large); tenant team-down's
// query URL has nothing listening. Another gateway promdog has no query URL at all.

const KEYS = {
  default: 'default-key-0001',
  system: 'system-key-0001',
  'team-a': 'team-a-key-0001',
  'team-rec': 'team-rec-key-001',
  'team-down': 'team-down-key-01',
  'team-tiny': 'team-tiny-key-01',
};
/**
 * team-rec's query_url.max_response_bytes: above what promdog reads of an answer before its status goes out (64 KiB)
 * plus one socket read, so that a longer answer starts streaming before it runs past the limit.
 */
const REC_MAX_BYTES = 256 * 1024;
/** team-tiny reads the same backend with a limit that answers fit in whole before their status goes out. */
const TINY_MAX_BYTES = 1024;

let prom: PrometheusProcess;
let vm: VictoriaMetricsProcess;
let rec: RecordingServer;
let pd: TestPromdog;
let configDir: string;
/** team-rec's backend holds requests whose query is `held` until this resolves. */
let releaseHeld: () => void = () => {};
let held = new Promise<void>((r) => (releaseHeld = r));
/** The time the probe samples end at, and queries are asked at (s). */
const now = Math.floor(Date.now() / 1000);

/** What team-rec's backend answers, by the request's `query` parameter (in the query string or the form body). */
async function recAnswer(req: { path: string; body: string }): Promise<ScriptedAnswer | undefined> {
  const q = new URLSearchParams(req.path.includes('?') ? req.path.slice(req.path.indexOf('?') + 1) : req.body).get(
    'query',
  );
  const ok = (data: unknown) => ({ status: 200, body: JSON.stringify({ status: 'success', data }) });
  switch (q) {
    case 'html_error':
      return { status: 503, headers: { 'content-type': 'text/html' }, body: '<html>upstream overloaded</html>' };
    case 'throttled':
      return {
        status: 429,
        headers: { 'retry-after': '7' },
        body: JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'too many requests for team-rec' }),
      };
    case 'silent':
      return undefined;
    case 'large_with_length': {
      const body = JSON.stringify({ status: 'success', data: 'x'.repeat(2 * REC_MAX_BYTES) });
      return { status: 200, headers: { 'content-length': String(Buffer.byteLength(body)) }, body };
    }
    case 'large_streamed':
      return ok('x'.repeat(4 * REC_MAX_BYTES));
    case 'over_tiny':
      return ok('x'.repeat(2 * TINY_MAX_BYTES));
    case 'held':
      await held;
      return ok({ resultType: 'vector', result: [] });
    default:
      return ok({ resultType: 'vector', result: [] });
  }
}

before(async () => {
  [prom, vm, rec] = await Promise.all([
    PrometheusProcess.start(),
    VictoriaMetricsProcess.start(),
    recordingServer(recAnswer),
  ]);
  configDir = mkdtempSync(join(tmpdir(), 'promdog-gateway-query-'));
  const config = join(configDir, 'promdog.yaml');
  writeFileSync(
    config,
    `remote_write: [${prom.remoteWriteUrl}]
query_url: ${prom.url}
tenants:
  default: { api_keys: [${KEYS.default}] }
  system: { api_keys: [${KEYS.system}] }
  team-a:
    api_keys: [${KEYS['team-a']}]
    remote_write: [${vm.remoteWriteUrl}]
    query_url: ${vm.url}
  team-rec:
    api_keys: [${KEYS['team-rec']}]
    query_url:
      url: ${rec.url}/prometheus
      tenant_header: X-Tenant
      basic_auth: { username: promdog, password: backend-secret }
      timeout: 1s
      max_response_bytes: ${REC_MAX_BYTES}
  team-down:
    api_keys: [${KEYS['team-down']}]
    query_url: http://127.0.0.1:${await freePort()}
  team-tiny:
    api_keys: [${KEYS['team-tiny']}]
    query_url: { url: "${rec.url}/prometheus", max_response_bytes: ${TINY_MAX_BYTES} }
`,
  );
  pd = await startPromdog(['--config', config, '--self-scrape-interval', '0', '--query-max-concurrency', '2']);
  // Three points of two hosts for default (into Prometheus), one host for team-a (into VictoriaMetrics).
  const probe = (tenant: string, hosts: string[]) =>
    JSON.stringify({
      series: hosts.map((host) => ({
        metric: 'gw.probe',
        points: [
          [now - 60, 1],
          [now - 30, 2],
          [now, 3],
        ],
        host,
        tags: [`owner:${tenant}`],
        type: 'gauge',
      })),
    });
  for (const [tenant, hosts] of [
    ['default', ['web-1', 'web-2']],
    ['team-a', ['a-1']],
  ] as const) {
    const r = await post(pd.url, '/api/v1/series', probe(tenant, [...hosts]), { key: KEYS[tenant] });
    assert.equal(r.status, 202, JSON.stringify(r.json));
  }
  await vm.untilSearchable('gw_probe', 1);
});

after(async () => {
  releaseHeld();
  await pd?.close();
  await Promise.all([prom?.cleanup(), vm?.cleanup(), rec?.close()]);
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  contentType: string;
  retryAfter: string | null;
  text: string;
}

/** A query API request: GET with the parameters in the URL, or POST with them as a form body. */
async function ask(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  params: [string, string][],
  headers: Record<string, string> = {},
): Promise<Answer> {
  const qs = new URLSearchParams(params).toString();
  const res =
    method === 'GET'
      ? await fetch(`${baseUrl}${path}${qs ? `?${qs}` : ''}`, { headers })
      : await fetch(baseUrl + path, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          body: qs,
        });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    retryAfter: res.headers.get('retry-after'),
    text: await res.text(),
  };
}

const as = (tenant: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[tenant]}` });

/** Every read route with parameters that select the probe, as [method, path, params]. */
const READS: ['GET' | 'POST', string, [string, string][]][] = [];
for (const method of ['GET', 'POST'] as const) {
  READS.push(
    [
      method,
      '/api/v1/query',
      [
        ['query', 'sum by (instance) (gw_probe)'],
        ['time', String(now)],
      ],
    ],
    [
      method,
      '/api/v1/query_range',
      [
        ['query', 'gw_probe'],
        ['start', String(now - 60)],
        ['end', String(now)],
        ['step', '15'],
      ],
    ],
    [
      method,
      '/api/v1/series',
      [
        ['match[]', 'gw_probe'],
        ['match[]', '{owner="default"}'],
        ['start', String(now - 300)],
      ],
    ],
    [method, '/api/v1/labels', [['match[]', 'gw_probe']]],
    [
      method,
      '/api/v1/query_exemplars',
      [
        ['query', 'gw_probe'],
        ['start', String(now - 300)],
        ['end', String(now)],
      ],
    ],
  );
}
READS.push(
  ['GET', '/api/v1/label/instance/values', [['match[]', 'gw_probe']]],
  ['GET', '/api/v1/metadata', [['limit', '5']]],
);

describe('the query API through the backend', () => {
  test("every read route answers exactly what the backend answers for the key's tenant", async () => {
    for (const [method, path, params] of READS) {
      const direct = await ask(prom.url, method, path, params);
      const through = await ask(pd.url, method, path, params, as('default'));
      assert.equal(direct.status, 200, `${method} ${path}: ${direct.text}`);
      assert.deepEqual(
        { status: through.status, text: through.text },
        { status: direct.status, text: direct.text },
        `${method} ${path}`,
      );
      assert.match(through.contentType, /^application\/json/);
    }
    // The data is the probe's: two hosts of default, three points each.
    const range = JSON.parse((await ask(pd.url, 'GET', '/api/v1/query_range', READS[1]![2], as('default'))).text);
    assert.deepEqual(
      range.data.result.map((s: { metric: { instance: string }; values: [number, string][] }) => [
        s.metric.instance,
        s.values.map((v) => v[1]),
      ]),
      [
        ['web-1', ['1', '1', '2', '2', '3']],
        ['web-2', ['1', '1', '2', '2', '3']],
      ],
    );
  });

  test("a tenant with its own backend reads it alone, and no tenant reads another's", async () => {
    const instances = async (tenant: keyof typeof KEYS) => {
      const r = await ask(
        pd.url,
        'GET',
        '/api/v1/query',
        [
          ['query', 'gw_probe'],
          ['time', String(now)],
        ],
        as(tenant),
      );
      assert.equal(r.status, 200, r.text);
      return (JSON.parse(r.text).data.result as { metric: Record<string, string> }[])
        .map((s) => `${s.metric.owner}/${s.metric.instance}`)
        .sort();
    };
    assert.deepEqual(await instances('team-a'), ['team-a/a-1']);
    assert.deepEqual(await instances('default'), ['default/web-1', 'default/web-2']);
    // team-a's answer is VictoriaMetrics' own.
    const direct = await ask(vm.url, 'GET', '/api/v1/series', [['match[]', 'gw_probe']]);
    const through = await ask(pd.url, 'GET', '/api/v1/series', [['match[]', 'gw_probe']], as('team-a'));
    assert.deepEqual([through.status, through.text], [direct.status, direct.text]);
  });

  test('the tenant header and credentials are promdog’s: the client’s own never reach the backend', async () => {
    rec.seen.length = 0;
    const r = await ask(pd.url, 'POST', '/api/v1/query', [['query', 'up']], {
      ...as('team-rec'),
      'X-Scope-OrgID': 'default',
      'X-Tenant': 'team-a',
    });
    assert.equal(r.status, 200, r.text);
    const [seen] = rec.seen;
    assert.equal(seen!.path, '/prometheus/api/v1/query');
    assert.equal(seen!.headers['x-tenant'], 'team-rec');
    assert.equal(seen!.headers['x-scope-orgid'], undefined);
    assert.equal(seen!.headers.authorization, `Basic ${Buffer.from('promdog:backend-secret').toString('base64')}`);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(seen!.body)), { query: 'up' });
    // The default tenant header: the client's X-Scope-OrgID is replaced by the key's tenant (Prometheus ignores it,
    // so the header is seen at team-rec's recorder only; the default tenant's answer above was Prometheus' own).
    const label = await ask(pd.url, 'GET', '/api/v1/label/U__a_2e_b/values', [], as('team-rec'));
    assert.equal(label.status, 200, label.text);
    assert.equal(rec.seen[1]!.path, '/prometheus/api/v1/label/U__a_2e_b/values');
  });

  test("the backend's errors come back with their status and message", async () => {
    // Prometheus' own: a parse error (400) and a range of too many points (400).
    for (const params of [
      [['query', 'sum(']],
      [
        ['query', 'up'],
        ['start', '0'],
        ['end', String(now)],
        ['step', '1'],
      ],
    ] as [string, string][][]) {
      const path = params.length === 1 ? '/api/v1/query' : '/api/v1/query_range';
      const direct = await ask(prom.url, 'POST', path, params);
      const through = await ask(pd.url, 'POST', path, params, as('default'));
      assert.equal(direct.status, 400);
      assert.deepEqual([through.status, through.text], [direct.status, direct.text]);
      assert.match(JSON.parse(through.text).error, /parse error|exceeded maximum resolution/);
    }
    // A 429 with Retry-After, as it is.
    const throttled = await ask(pd.url, 'POST', '/api/v1/query', [['query', 'throttled']], as('team-rec'));
    assert.equal(throttled.status, 429);
    assert.equal(throttled.retryAfter, '7');
    assert.deepEqual(JSON.parse(throttled.text), {
      status: 'error',
      errorType: 'unavailable',
      error: 'too many requests for team-rec',
    });
    // Not the API's JSON (a proxy's error page): its status, in Prometheus' envelope with what it said.
    const html = await ask(pd.url, 'POST', '/api/v1/query', [['query', 'html_error']], as('team-rec'));
    assert.equal(html.status, 503);
    assert.deepEqual(JSON.parse(html.text), {
      status: 'error',
      errorType: 'unavailable',
      error: `the query backend (${rec.url}/prometheus/api/v1/query) answered HTTP 503 (text/html), not the Prometheus API's JSON: <html>upstream overloaded</html>`,
    });
  });

  test('a backend that does not answer: 502 without a connection, 504 past the timeout', async () => {
    const down = await ask(pd.url, 'GET', '/api/v1/labels', [], as('team-down'));
    assert.equal(down.status, 502);
    const downBody = JSON.parse(down.text);
    assert.equal(downBody.errorType, 'unavailable');
    assert.match(
      downBody.error,
      /^the query backend did not answer: query http:\/\/127\.0\.0\.1:\d+\/api\/v1\/labels failed: .*ECONNREFUSED/,
    );
    const silent = await ask(pd.url, 'POST', '/api/v1/query', [['query', 'silent']], as('team-rec'));
    assert.equal(silent.status, 504);
    assert.deepEqual(JSON.parse(silent.text), {
      status: 'error',
      errorType: 'timeout',
      error: `the query backend did not answer: query ${rec.url}/prometheus/api/v1/query failed: timed out after 1000 ms (query_url.timeout)`,
    });
  });

  test('answers over max_response_bytes: refused when their size is known in time, cut when streamed; counted', async () => {
    const before = await selfMetric(pd.url, 'promdog_query_rejected_total', { reason: 'response_too_large' });
    // The backend says the length, or the whole answer is in before promdog answers: a 422 that says why.
    for (const [tenant, query, limit] of [
      ['team-rec', 'large_with_length', REC_MAX_BYTES],
      ['team-tiny', 'over_tiny', TINY_MAX_BYTES],
    ] as const) {
      const r = await ask(pd.url, 'POST', '/api/v1/query', [['query', query]], as(tenant));
      assert.equal(r.status, 422, r.text);
      const body = JSON.parse(r.text);
      assert.equal(body.errorType, 'execution');
      assert.match(
        body.error,
        new RegExp(
          `is \\d+ bytes, larger than the limit of ${limit} bytes \\(query_url\\.max_response_bytes\\): ask for less`,
        ),
      );
    }
    // Streamed past the first 64 KiB: the status is out before the size is known, so the answer is cut.
    const res = await fetch(`${pd.url}/api/v1/query`, {
      method: 'POST',
      headers: { ...as('team-rec'), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=large_streamed',
    });
    assert.equal(res.status, 200);
    await assert.rejects(res.text());
    assert.equal(
      await selfMetric(pd.url, 'promdog_query_rejected_total', { reason: 'response_too_large' }),
      before + 3,
    );
  });

  test('forwarded requests take concurrency slots: beyond the slots and the queue they are refused and counted', async () => {
    rec.seen.length = 0;
    const before = await selfMetric(pd.url, 'promdog_query_rejected_total', { reason: 'concurrency' });
    const requests = Array.from({ length: 30 }, () =>
      ask(pd.url, 'POST', '/api/v1/query', [['query', 'held']], as('team-rec')),
    );
    // Until the backend answers, at most --query-max-concurrency requests reach it; the rest wait or are refused.
    const firstAnswer = await Promise.race([
      Promise.any(requests),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000)),
    ]);
    assert.equal(firstAnswer?.status, 503, 'no request was refused while the backend held the admitted ones');
    assert.ok(rec.seen.length <= 2, `${rec.seen.length} requests reached the backend at once`);
    releaseHeld();
    const answers = await Promise.all(requests);
    const refused = answers.filter((a) => a.status === 503);
    assert.ok(refused.length > 0 && refused.length < answers.length);
    for (const a of refused) assert.match(JSON.parse(a.text).error, /too many concurrent queries/);
    for (const a of answers.filter((x) => x.status !== 503)) assert.equal(a.status, 200, a.text);
    assert.equal(
      await selfMetric(pd.url, 'promdog_query_rejected_total', { reason: 'concurrency' }),
      before + refused.length,
    );
    held = Promise.resolve();
  });
});

describe('gateway mode without a query URL', () => {
  let bare: TestPromdog;
  before(async () => {
    bare = await startPromdog(['--remote-write-url', prom.remoteWriteUrl, '--self-scrape-interval', '0']);
  });
  after(async () => {
    await bare?.close();
  });

  test('starts, takes data, and every read route says once how to configure the query path', async () => {
    const sent = JSON.stringify({ series: [{ metric: 'gw.bare', points: [[now, 1]], host: 'bare' }] });
    assert.equal((await post(bare.url, '/api/v1/series', sent, { key: bare.keys.default })).status, 202);
    assert.equal((await prom.query('gw_bare')).length, 1);
    const key = { authorization: `Bearer ${bare.keys.default}` };
    for (const [method, path, params] of READS) {
      const r = await ask(bare.url, method, path, params, key);
      assert.equal(r.status, 503, `${method} ${path}`);
      assert.deepEqual(JSON.parse(r.text), {
        status: 'error',
        errorType: 'unavailable',
        error:
          'promdog runs in gateway mode (--remote-write-url) and tenant "default" has no query backend: set ' +
          '--query-url (query_url in the --config file, or tenants.default.query_url for this tenant alone) to the ' +
          "Prometheus-compatible query API of the store it writes to (Prometheus, Mimir's /prometheus, " +
          'VictoriaMetrics, Thanos Query)',
      });
    }
    assert.equal(await selfMetric(bare.url, 'promdog_query_rejected_total', { reason: 'no_query_url' }), READS.length);
    const exported = await ask(bare.url, 'GET', '/api/v1/export', [['match[]', 'gw_bare']], key);
    assert.equal(exported.status, 400);
    assert.match(JSON.parse(exported.text).error, /\/api\/v1\/export reads the embedded store, and there is none/);
  });
});
