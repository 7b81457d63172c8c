import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { MAX_PATHS, UnknownRoutes, unknownRouteAdvice, unknownRoutePath } from './unknown-routes.js';

/** A logger that keeps what it was given, and a clock the test moves. */
function setUp() {
  const logs: { obj: Record<string, unknown>; msg: string }[] = [];
  let now = 1_000_000;
  const registry = new Registry();
  const routes = new UnknownRoutes(registry, { warn: (obj, msg) => logs.push({ obj: obj as never, msg }) }, () => now);
  const counts = async () => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'promdog_http_unknown_routes_total')!;
    return Object.fromEntries(
      (metric.values as { labels: Record<string, string>; value: number }[]).map((v) => [
        `${v.labels.method} ${v.labels.path}`,
        v.value,
      ]),
    );
  };
  return { routes, logs, counts, advance: (ms: number) => (now += ms) };
}

describe('unknown routes', () => {
  test('paths: Datadog prefixes kept without ids, query strings or depth; the rest is other', () => {
    const cases: [string, string][] = [
      ['/api/intake/metrics/v3beta/series', '/api/intake/metrics/v3beta/series'],
      ['/api/v2/logs?dd-api-key=secret&x=1', '/api/v2/logs'],
      ['/api/v1/events/1234567', '/api/v1/events/:id'],
      ['/api/v2/hosts/3f2504e0-4f89-11d3-9a0c-0305e82c3301/tags', '/api/v2/hosts/:id/tags'],
      ['/api/v2/x/deadbeefcafe', '/api/v2/x/:id'],
      ['/api/v2/x/a%20b', '/api/v2/x/:id'],
      [`/api/v2/${'long'.repeat(20)}`, '/api/v2/:id'],
      ['/api/a/b/c/d/e/f/g/h', '/api/a/b/c/d/e/…'],
      ['/api', '/api'],
      ['/intake/extra/', '/intake/extra'],
      ['/v1/input/abc', '/v1/input/abc'],
      ['/support/flare/12', '/support/flare/:id'],
      ['/favicon.ico', 'other'],
      ['/wp-login.php', 'other'],
      ['/', 'other'],
    ];
    for (const [url, path] of cases) assert.equal(unknownRoutePath(url), path, url);
  });

  test('advice names the setting for each product, and a generic one otherwise', () => {
    assert.match(unknownRouteAdvice('/api/intake/metrics/v3beta/series'), /use_beta: false/);
    assert.match(unknownRouteAdvice('/api/intake/metrics/v4/series'), /use_v3_api\.series\.enabled: false/);
    assert.match(unknownRouteAdvice('/api/v2/logs'), /logs_enabled: false/);
    assert.match(unknownRouteAdvice('/v1/input'), /logs_config\.logs_dd_url/);
    assert.match(unknownRouteAdvice('/api/v0.2/traces'), /apm_config/);
    assert.match(unknownRouteAdvice('/api/v1/collector'), /process_config/);
    assert.match(unknownRouteAdvice('/api/v2/orchmanif'), /orchestrator_explorer/);
    assert.match(unknownRouteAdvice('/api/v2/something_new'), /upgrade promdog/);
  });

  test('counted by method and path; logged once per path per hour, with what to do', async () => {
    const { routes, logs, counts, advance } = setUp();
    for (let i = 0; i < 3; i++) routes.observe('POST', '/api/intake/metrics/v3beta/series?x=1');
    routes.observe('GET', '/api/v1/events/42');
    routes.observe('POST', '/no/such/thing');
    routes.observe('BREW', '/coffee');
    assert.deepEqual(await counts(), {
      'POST /api/intake/metrics/v3beta/series': 3,
      'GET /api/v1/events/:id': 1,
      'POST other': 1,
      'other other': 1,
    });
    assert.deepEqual(
      logs.map((l) => l.obj),
      [
        { method: 'POST', path: '/api/intake/metrics/v3beta/series' },
        { method: 'GET', path: '/api/v1/events/:id' },
        { method: 'POST', path: 'other', example: '/no/such/thing' },
      ],
    );
    assert.match(
      logs[0]!.msg,
      /^Agent route POST \/api\/intake\/metrics\/v3beta\/series is not served by promdog \(404, which the Agent retries: its data is not stored\); it is the v3 beta route: set serializer_experimental_use_v3_api\.series\.use_beta: false/,
    );
    advance(59 * 60 * 1000);
    routes.observe('POST', '/api/intake/metrics/v3beta/series');
    assert.equal(logs.length, 3, 'not again within the hour');
    advance(60 * 1000);
    routes.observe('POST', '/api/intake/metrics/v3beta/series');
    assert.equal(logs.length, 4, 'again after an hour');
  });

  test(`at most ${MAX_PATHS} paths: later new ones are counted as other, known ones as themselves`, async () => {
    const { routes, counts } = setUp();
    for (let i = 0; i < MAX_PATHS + 50; i++) routes.observe('POST', `/api/v9/route_${i}`);
    routes.observe('POST', '/api/v9/route_0');
    const c = await counts();
    assert.equal(Object.keys(c).length, MAX_PATHS + 1);
    assert.equal(c['POST other'], 50);
    assert.equal(c['POST /api/v9/route_0'], 2);
  });
});
