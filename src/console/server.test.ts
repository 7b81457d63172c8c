import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerConsole, type ConsoleDeps } from './server.js';
import { requestTenants } from '../tenants/request-tenant.js';
import { HostTagCache } from '../mapping/host-tags.js';
import { MemoryQuerier } from '../../test/support/memory-querier.js';
import type { Label } from '../model/prometheus.js';
import { Registry } from 'prom-client';
import { EventStore } from '../events/store.js';
import { silentLogger } from '../tsdb/fsutil.js';
import { ddEvent } from '../../test/support/decoder-testing.js';

const NOW = 1_700_000_000_000;
const KEYS: Record<string, string> = { 'key-default': 'default', 'key-system': 'system' };
const resolveTenant = requestTenants({ tenantForKey: (k) => (k === undefined ? undefined : KEYS[k]) }, false).query;

const labels = (o: Record<string, string>): Label[] => Object.entries(o).map(([name, value]) => ({ name, value }));

function bundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><script type="module" src="/console/assets/app-AB12.js"></script>',
  );
  // Repetitive enough that gzip makes it smaller.
  writeFileSync(join(dir, 'assets', 'app-AB12.js'), 'console.log("promdog");\n'.repeat(200));
  writeFileSync(join(dir, 'assets', 'app-AB12.css'), 'body{margin:0}');
  writeFileSync(join(dir, 'assets', 'app-AB12.js.map'), '{"version":3}');
  return dir;
}

async function consoleApp(overrides: Partial<ConsoleDeps> = {}): Promise<FastifyInstance> {
  const hostTags = new HostTagCache(null);
  hostTags.update(
    'default',
    { host: 'web-1', hostTags: ['env:prod', 'role:web'], agentVersion: '7.50.3', os: 'linux' },
    NOW - 120_000,
  );
  hostTags.update(
    'default',
    { host: 'meta-only', hostTags: ['rack:r2'], agentVersion: '7.44.0', os: 'windows' },
    NOW - 600_000,
  );
  hostTags.update('system', { host: 'system-host', hostTags: [], agentVersion: '', os: '' }, NOW);
  const queriers: Record<string, MemoryQuerier> = { default: new MemoryQuerier(), system: new MemoryQuerier() };
  const d = queriers.default!;
  // web-1: two series, newest sample 30 s ago.
  d.add(labels({ __name__: 'system_load_1', instance: 'web-1', job: 'ddagent' }), NOW - 90_000, 1);
  d.add(labels({ __name__: 'system_load_1', instance: 'web-1', job: 'ddagent' }), NOW - 30_000, 1);
  d.add(labels({ __name__: 'system_cpu_user', instance: 'web-1', job: 'ddagent' }), NOW - 60_000, 5);
  // series-only: one series, no metadata.
  d.add(labels({ __name__: 'system_load_1', instance: 'series-only', job: 'ddagent' }), NOW - 10_000, 2);
  // Outside the default 15 min window: not counted unless the window is widened.
  d.add(labels({ __name__: 'system_uptime', instance: 'web-1', job: 'ddagent' }), NOW - 3_600_000, 9);
  // Not Agent series: another job, or no instance.
  d.add(labels({ __name__: 'up', instance: 'other:9090', job: 'prometheus' }), NOW - 10_000, 1);
  d.add(labels({ __name__: 'blog_app_testcounter', job: 'ddagent' }), NOW - 10_000, 1);
  queriers.system!.add(labels({ __name__: 'promdog_up', instance: 'system-host', job: 'ddagent' }), NOW - 5_000, 1);

  const app = Fastify();
  registerConsole(app, {
    resolveTenant,
    querierFor: (tenant) => queriers[tenant] ?? new MemoryQuerier(),
    hostTags,
    events,
    version: '9.9.9',
    bundleDir: dir,
    now: () => NOW,
    ...overrides,
  });
  await app.ready();
  return app;
}

let dir: string;
let eventsDir: string;
let events: EventStore;
let app: FastifyInstance;
before(async () => {
  dir = bundleDir();
  eventsDir = mkdtempSync(join(tmpdir(), 'promdog-console-events-'));
  events = new EventStore({
    dataDir: eventsDir,
    retentionMs: 15 * 86_400_000,
    maxBytesPerTenant: 1 << 30,
    registry: new Registry(),
    logger: silentLogger,
    now: () => NOW,
  });
  await events.start();
  await events.append('default', [
    ddEvent({
      title: 'Deploy web',
      host: 'web-1',
      tags: ['env:prod'],
      sourceTypeName: 'jenkins',
      timestamp: (NOW - 7200_000) / 1000,
    }),
    ddEvent({
      title: 'Disk full',
      text: 'on /var',
      host: 'db-1',
      alertType: 'error',
      timestamp: (NOW - 60_000) / 1000,
    }),
    ddEvent({ title: 'Old news', timestamp: (NOW - 17 * 3600_000) / 1000 }),
  ]);
  await events.append('system', [ddEvent({ title: 'system only' })]);
  app = await consoleApp();
});
after(async () => {
  await app.close();
  await events.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(eventsDir, { recursive: true, force: true });
});

describe('console bundle', () => {
  test('GET / is index.html: HTML, revalidated (no-cache + ETag), with a CSP', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
    assert.match(r.body, /app-AB12\.js/);
    const etag = String(r.headers.etag);
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    const changed = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': '"other"' } });
    assert.equal(changed.statusCode, 200);
  });

  test('assets: content types, immutable caching, gzip when asked', async () => {
    const js = await app.inject({ method: 'GET', url: '/console/assets/app-AB12.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['content-encoding'], undefined);
    assert.equal(js.body, 'console.log("promdog");\n'.repeat(200));
    const gz = await app.inject({
      method: 'GET',
      url: '/console/assets/app-AB12.js',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'accept-encoding');
    assert.equal(gunzipSync(gz.rawPayload).toString(), js.body);
    assert.ok(gz.rawPayload.length < js.rawPayload.length);
    const css = await app.inject({ method: 'GET', url: '/console/assets/app-AB12.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const map = await app.inject({ method: 'GET', url: '/console/assets/app-AB12.js.map' });
    assert.equal(map.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal((await app.inject({ method: 'GET', url: '/console/assets/missing.js' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/console/assets/..%2Findex.html' })).statusCode, 404);
  });

  test('a missing bundle: / answers 503 with how to build it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'promdog-console-none-'));
    const bare = await consoleApp({ bundleDir: empty });
    try {
      const r = await bare.inject({ method: 'GET', url: '/' });
      assert.equal(r.statusCode, 503);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(r.body, /not built/);
      assert.match(r.body, /build-console\.mjs/);
      // The JSON endpoints do not need the bundle.
      assert.equal(
        (
          await bare.inject({
            method: 'GET',
            url: '/console/api/session',
            headers: { authorization: 'Bearer key-default' },
          })
        ).statusCode,
        200,
      );
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('GET /console/api/session', () => {
  test('the tenant of the key, the mode and the version', async () => {
    const r = await app.inject({
      method: 'GET',
      url: '/console/api/session',
      headers: { authorization: 'Bearer key-system' },
    });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.deepEqual(r.json(), { tenant: 'system', mode: 'store', version: '9.9.9', queryUnavailable: null });
    // Any of the query API's key sources works.
    const viaBasic = await app.inject({
      method: 'GET',
      url: '/console/api/session',
      headers: { authorization: `Basic ${Buffer.from('u:key-default').toString('base64')}` },
    });
    assert.equal(viaBasic.json().tenant, 'default');
  });

  test('missing or unknown key: 401 in the query API error envelope, without a browser password prompt', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { 'dd-api-key': 'wrong' }]) {
      const r = await app.inject({ method: 'GET', url: '/console/api/session', headers });
      assert.equal(r.statusCode, 401);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const body = r.json();
      assert.equal(body.status, 'error');
      assert.equal(body.errorType, 'unauthorized');
      assert.match(body.error, /missing or unknown API key/);
      assert.equal(r.headers['www-authenticate'], undefined);
    }
  });

  test('gateway mode (no querier): why a tenant without a query backend cannot be queried', async () => {
    const gw = await consoleApp({
      querierFor: undefined,
      queryUnavailable: (tenant) => (tenant === 'default' ? 'set --query-url' : undefined),
    });
    try {
      const session = async (key: string) =>
        (
          await gw.inject({ method: 'GET', url: '/console/api/session', headers: { authorization: `Bearer ${key}` } })
        ).json() as Record<string, unknown>;
      assert.deepEqual(await session('key-default'), {
        tenant: 'default',
        mode: 'gateway',
        version: '9.9.9',
        queryUnavailable: 'set --query-url',
      });
      assert.equal((await session('key-system')).queryUnavailable, null);
    } finally {
      await gw.close();
    }
  });
});

describe('GET /console/api/hosts', () => {
  const hosts = async (a: FastifyInstance, key: string, query = '') => {
    const r = await a.inject({
      method: 'GET',
      url: `/console/api/hosts${query}`,
      headers: { authorization: `Bearer ${key}` },
    });
    return { status: r.statusCode, body: r.json() };
  };

  test('hosts from metadata and from Agent series, with series counts and last seen', async () => {
    const { status, body } = await hosts(app, 'key-default');
    assert.equal(status, 200);
    assert.equal(body.windowMs, 15 * 60_000);
    assert.deepEqual(body.warnings, []);
    assert.deepEqual(body.hosts, [
      {
        host: 'meta-only',
        tags: ['rack:r2'],
        agentVersion: '7.44.0',
        os: 'windows',
        metadataSeenMs: NOW - 600_000,
        seriesSeenMs: null,
        lastSeenMs: NOW - 600_000,
        series: 0,
      },
      {
        host: 'series-only',
        tags: [],
        agentVersion: '',
        os: '',
        metadataSeenMs: null,
        seriesSeenMs: NOW - 10_000,
        lastSeenMs: NOW - 10_000,
        series: 1,
      },
      {
        host: 'web-1',
        tags: ['env:prod', 'role:web'],
        agentVersion: '7.50.3',
        os: 'linux',
        metadataSeenMs: NOW - 120_000,
        seriesSeenMs: NOW - 30_000,
        lastSeenMs: NOW - 30_000,
        series: 2,
      },
    ]);
  });

  test('a wider window counts older series', async () => {
    const { body } = await hosts(app, 'key-default', '?window=2h');
    assert.equal(body.windowMs, 7_200_000);
    assert.equal(body.hosts.find((h: { host: string }) => h.host === 'web-1').series, 3);
  });

  test("only the key's tenant: the system key sees its own host, none of default's", async () => {
    const { body } = await hosts(app, 'key-system');
    assert.deepEqual(
      body.hosts.map((h: { host: string }) => h.host),
      ['system-host'],
    );
    assert.equal(body.hosts[0].series, 1);
  });

  test('bad window: 400; no key: 401', async () => {
    for (const q of ['?window=abc', '?window=0', '?window=3d']) {
      const { status, body } = await hosts(app, 'key-default', q);
      assert.equal(status, 400, q);
      assert.equal(body.errorType, 'bad_data');
      assert.match(body.error, /invalid parameter "window"/);
    }
    const r = await app.inject({ method: 'GET', url: '/console/api/hosts' });
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().errorType, 'unauthorized');
  });

  test('gateway mode: metadata hosts, series unknown (null), and a warning that says why', async () => {
    const gw = await consoleApp({ querierFor: undefined });
    try {
      const { status, body } = await hosts(gw, 'key-default');
      assert.equal(status, 200);
      assert.deepEqual(
        body.hosts.map((h: { host: string; series: number | null }) => [h.host, h.series]),
        [
          ['meta-only', null],
          ['web-1', null],
        ],
      );
      assert.equal(body.warnings.length, 1);
      assert.match(body.warnings[0], /gateway mode/);
    } finally {
      await gw.close();
    }
  });
});

describe('GET /console/api/events', () => {
  const read = async (query: string, key = 'key-default') => {
    const r = await app.inject({
      method: 'GET',
      url: `/console/api/events${query}`,
      headers: { authorization: `Bearer ${key}` },
    });
    return { status: r.statusCode, body: r.json() };
  };
  const titles = (body: { events: { title: string }[] }) => body.events.map((e) => e.title);

  test('the last 24 h newest first, as rows; the range it searched', async () => {
    const { status, body } = await read('');
    assert.equal(status, 200);
    assert.deepEqual(titles(body), ['Disk full', 'Deploy web', 'Old news']);
    assert.equal(body.toMs, NOW);
    assert.equal(body.fromMs, NOW - 86_400_000);
    assert.equal(body.next, null);
    const disk = body.events[0];
    assert.deepEqual(
      { ...disk, id: undefined },
      {
        id: undefined,
        timeMs: NOW - 60_000,
        title: 'Disk full',
        text: 'on /var',
        host: 'db-1',
        tags: [],
        source: '',
        priority: 'normal',
        alertType: 'error',
        aggregationKey: '',
      },
    );
    assert.match(disk.id, /^\d+$/);
    const one = await read(`?id=${disk.id}`);
    assert.deepEqual(titles(one.body), ['Disk full']);
  });

  test('filters: source, host, tag, priority, alert type, text, search query; range; pages', async () => {
    assert.deepEqual(titles((await read('?source=jenkins')).body), ['Deploy web']);
    assert.deepEqual(titles((await read('?host=db-1,web-1')).body), ['Disk full', 'Deploy web']);
    assert.deepEqual(titles((await read('?tag=env:prod')).body), ['Deploy web']);
    assert.deepEqual(titles((await read('?alert_type=error')).body), ['Disk full']);
    assert.deepEqual(titles((await read('?priority=low')).body), []);
    assert.deepEqual(titles((await read('?text=VAR')).body), ['Disk full']);
    assert.deepEqual(titles((await read(`?q=${encodeURIComponent('-host:db-1 news')}`)).body), ['Old news']);
    assert.deepEqual(titles((await read(`?from=${NOW - 3 * 3600_000}&to=${NOW - 3600_000}`)).body), ['Deploy web']);
    const p1 = await read('?limit=2');
    assert.deepEqual(titles(p1.body), ['Disk full', 'Deploy web']);
    const p2 = await read(`?limit=2&cursor=${p1.body.next}`);
    assert.deepEqual(titles(p2.body), ['Old news']);
  });

  test("only the key's tenant", async () => {
    assert.deepEqual(titles((await read('', 'key-system')).body), ['system only']);
    const id = (await read('')).body.events[0].id;
    assert.deepEqual((await read(`?id=${id}`, 'key-system')).body.events, []);
  });

  test('bad parameters: 400 naming them; no key: 401', async () => {
    for (const [q, re] of [
      ['?from=yesterday', /"from"/],
      ['?from=10&to=5', /"from": after "to"/],
      ['?limit=0', /"limit"/],
      ['?cursor=nope', /"cursor"/],
      ['?q=a%20OR%20b', /"q": OR is not supported/],
      ['?id=x', /"id"/],
    ] as const) {
      const { status, body } = await read(q);
      assert.equal(status, 400, q);
      assert.equal(body.errorType, 'bad_data');
      assert.match(body.error, re);
    }
    assert.equal((await app.inject({ method: 'GET', url: '/console/api/events' })).statusCode, 401);
  });
});
