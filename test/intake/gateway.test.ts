import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PrometheusProcess } from '../support/prometheus.js';
import { startPromdog, post, selfMetric, type TestPromdog, type WireEncoding } from '../support/promdog.js';
import { encodeMetricPayload, encodeSketchPayload, type SketchInput } from '../support/proto-writer.js';
import { assembleV3Parts, buildV3Columns, encodeV3Payload } from '../support/v3-writer.js';
import { zstdFrames } from '../support/zstd.js';
import { DDSketchBuilder } from '../../src/mapping/ddsketch.js';

// Every intake route × every Content-Encoding, through a gateway-mode promdog into a real Prometheus, checked by
// querying Prometheus for the exact label set and value.

const ENCODINGS: WireEncoding[] = ['none', 'identity', 'deflate', 'gzip', 'zstd', 'zstd1'];
const now = () => Math.floor(Date.now() / 1000);

let prom: PrometheusProcess;
let pd: TestPromdog;

before(async () => {
  prom = await PrometheusProcess.start({ outOfOrderTimeWindow: '1h' });
  pd = await startPromdog(['--remote-write-url', prom.remoteWriteUrl]);
});
after(async () => {
  await pd?.close();
  await prom?.cleanup();
});

/** Label sets of an instant query, without Prometheus' own ordering concerns. */
async function queryOne(promql: string): Promise<{ labels: Record<string, string>; value: number }> {
  const res = await prom.query(promql);
  assert.equal(res.length, 1, `${promql}: expected one series, got ${JSON.stringify(res)}`);
  return { labels: res[0]!.metric, value: Number(res[0]!.value[1]) };
}

const sanitize = (e: string) => e.replace(/[^a-zA-Z0-9_]/g, '_');

describe('every route × every encoding lands in Prometheus', () => {
  for (const enc of ENCODINGS) {
    const sfx = sanitize(enc);
    test(`/api/v1/series (${enc})`, async () => {
      const body = JSON.stringify({
        series: [
          {
            metric: `pdtest.v1.${sfx}`,
            points: [
              [now() - 10, 1.5],
              [now(), 42.25],
            ],
            type: 'rate',
            interval: 10,
            host: 'host-v1',
            device: 'sda1',
            tags: ['env:prod', 'role:web', 'role:db', 'job:etl'],
            source_type_name: 'System',
          },
        ],
      });
      const r = await post(pd.url, '/api/v1/series', body, {
        encoding: enc,
        key: pd.keys.default,
        contentType: 'text/json',
      });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      assert.deepEqual(r.json, { status: 'ok' });
      const got = await queryOne(`pdtest_v1_${sfx}`);
      assert.equal(got.value, 42.25);
      assert.deepEqual(got.labels, {
        __name__: `pdtest_v1_${sfx}`,
        instance: 'host-v1',
        job: 'ddagent',
        type: 'rate',
        device: 'sda1',
        source_type_name: 'System',
        env: 'prod',
        role: 'db,web',
        exported_job: 'etl',
      });
    });

    test(`/api/v2/series protobuf (${enc})`, async () => {
      const body = encodeMetricPayload([
        {
          metric: `pdtest.v2pb.${sfx}`,
          type: 3,
          resources: [
            { type: 'host', name: 'host-v2' },
            { type: 'device', name: 'eth0' },
            { type: 'cluster', name: 'c1' },
          ],
          tags: ['team:core', 'version:7.1'],
          points: [{ timestamp: now(), value: -3.5 }],
          interval: 0,
          unit: 'byte',
          sourceTypeName: 'snmp',
          originProduct: 10,
        },
      ]);
      const r = await post(pd.url, '/api/v2/series', body, {
        encoding: enc,
        key: pd.keys.default,
        contentType: 'application/x-protobuf',
      });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      assert.deepEqual(r.json, { errors: [] });
      const got = await queryOne(`pdtest_v2pb_${sfx}`);
      assert.equal(got.value, -3.5);
      assert.deepEqual(got.labels, {
        __name__: `pdtest_v2pb_${sfx}`,
        instance: 'host-v2',
        job: 'ddagent',
        type: 'gauge',
        device: 'eth0',
        cluster: 'c1',
        source_type_name: 'snmp',
        team: 'core',
        version: '7.1',
      });
    });

    test(`/api/intake/metrics/v3/series (${enc})`, async () => {
      const parts = assembleV3Parts(
        buildV3Columns(
          {
            series: [
              {
                metric: `pdtest.v3.${sfx}`,
                type: 2,
                resources: [
                  { type: 'host', name: 'host-v3' },
                  { type: 'device', name: 'eth1' },
                ],
                tags: ['team:core', 'version:7.81', 'role:web'],
                points: [
                  { timestamp: now() - 10, value: 4 },
                  { timestamp: now(), value: 0.125 },
                ],
                interval: 10,
                unit: 'byte',
                sourceTypeName: 'System',
              },
            ],
          },
          { splitTags: () => 2 },
        ),
      );
      // Each part its own frame for zstd, as the Agent compresses v3; one stream for the other encodings.
      const body = enc === 'zstd' ? await zstdFrames(parts) : Buffer.concat(parts);
      const r = await post(pd.url, '/api/intake/metrics/v3/series', body, {
        encoding: enc === 'zstd' ? 'none' : enc,
        ...(enc === 'zstd' ? { rawEncodingHeader: 'zstd' } : {}),
        key: pd.keys.default,
        contentType: 'application/x-protobuf',
      });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      assert.deepEqual(r.json, { errors: [] });
      const got = await queryOne(`pdtest_v3_${sfx}`);
      assert.equal(got.value, 0.125);
      assert.deepEqual(got.labels, {
        __name__: `pdtest_v3_${sfx}`,
        instance: 'host-v3',
        job: 'ddagent',
        type: 'rate',
        device: 'eth1',
        source_type_name: 'System',
        team: 'core',
        version: '7.81',
        role: 'web',
      });
    });

    test(`/api/v2/series JSON (${enc})`, async () => {
      const body = JSON.stringify({
        series: [
          {
            metric: `pdtest.v2json.${sfx}`,
            type: 1,
            points: [{ timestamp: now(), value: 7 }],
            resources: [{ name: 'host-v2j', type: 'host' }],
            tags: ['a:b'],
            interval: 10,
          },
        ],
      });
      const r = await post(pd.url, '/api/v2/series', body, { encoding: enc, key: pd.keys.default });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      const got = await queryOne(`pdtest_v2json_${sfx}`);
      assert.equal(got.value, 7);
      assert.deepEqual(got.labels, {
        __name__: `pdtest_v2json_${sfx}`,
        instance: 'host-v2j',
        job: 'ddagent',
        type: 'count',
        a: 'b',
      });
    });

    // Both sketch routes: the v2 SketchPayload and the columnar v3 payload, each as the Agent writes it.
    for (const [route, encode, kind] of [
      ['/api/beta/sketches', encodeSketchPayload, 'sketch'],
      ['/api/intake/metrics/v3/sketches', (sketches: SketchInput[]) => encodeV3Payload({ sketches }), 'v3sketch'],
    ] as const) {
      test(`${route} (${enc})`, async () => {
        const b = new DDSketchBuilder();
        for (let v = 1; v <= 100; v++) b.add(v);
        const p = b.toPoint(now());
        const body = encode([
          {
            metric: `pdtest.${kind}.${sfx}`,
            host: 'host-sk',
            tags: ['svc:api'],
            dogsketches: [
              { ts: p.ts, cnt: p.cnt, min: p.min, max: p.max, avg: p.avg, sum: p.sum, k: p.keys, n: p.counts },
            ],
          },
        ]);
        const r = await post(pd.url, route, body, {
          encoding: enc,
          key: pd.keys.default,
          contentType: 'application/x-protobuf',
        });
        assert.equal(r.status, 202, JSON.stringify(r.json));
        const name = `pdtest_${kind}_${sfx}`;
        const base = { instance: 'host-sk', job: 'ddagent', type: 'distribution', svc: 'api' };
        assert.deepEqual(await queryOne(`${name}_count`), {
          labels: { __name__: `${name}_count`, ...base },
          value: 100,
        });
        assert.deepEqual(await queryOne(`${name}_sum`), { labels: { __name__: `${name}_sum`, ...base }, value: 5050 });
        assert.equal((await queryOne(`${name}_min`)).value, 1);
        assert.equal((await queryOne(`${name}_max`)).value, 100);
        assert.equal((await queryOne(`${name}_avg`)).value, 50.5);
        const quantiles = await prom.query(name);
        assert.deepEqual(quantiles.map((s) => s.metric.quantile).sort(), ['0.5', '0.75', '0.9', '0.95', '0.99']);
        const median = Number(quantiles.find((s) => s.metric.quantile === '0.5')!.value[1]);
        // The Agent's rank rule picks the value at rank roundHalfEven(0.5 · 99) = 50 (0-based), i.e. 51.
        assert.ok(Math.abs(median - 51) / 51 < 0.02, `median ${median} within the sketch's accuracy`);
      });
    }

    test(`/api/v1/distribution_points (${enc})`, async () => {
      const body = JSON.stringify({
        series: [
          {
            metric: `pdtest.dist.${sfx}`,
            host: 'host-d',
            tags: ['x:y'],
            type: 'distribution',
            points: [[now(), [1, 2, 3, 4]]],
          },
        ],
      });
      const r = await post(pd.url, '/api/v1/distribution_points', body, {
        encoding: enc,
        key: pd.keys.default,
        contentType: 'text/json',
      });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      const got = await queryOne(`pdtest_dist_${sfx}_sum`);
      assert.equal(got.value, 10);
      assert.deepEqual(got.labels, {
        __name__: `pdtest_dist_${sfx}_sum`,
        instance: 'host-d',
        job: 'ddagent',
        type: 'distribution',
        x: 'y',
      });
      assert.equal((await queryOne(`pdtest_dist_${sfx}_count`)).value, 4);
    });

    test(`/api/v1/check_run (${enc})`, async () => {
      const body = JSON.stringify([
        {
          check: `pdtest.check.${sfx}`,
          host_name: 'host-c',
          timestamp: now(),
          status: 2,
          message: 'disk full',
          tags: ['mount:/'],
        },
      ]);
      const r = await post(pd.url, '/api/v1/check_run', body, { encoding: enc, key: pd.keys.default });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      const got = await queryOne(`datadog_service_check_status{check="pdtest.check.${sfx}"}`);
      assert.equal(got.value, 2);
      assert.deepEqual(got.labels, {
        __name__: 'datadog_service_check_status',
        check: `pdtest.check.${sfx}`,
        instance: 'host-c',
        job: 'ddagent',
        mount: '/',
      });
    });

    test(`/intake/ host metadata joins host tags (${enc})`, async () => {
      const host = `host-meta-${sfx}`;
      const meta = JSON.stringify({
        internalHostname: host,
        'host-tags': { system: ['rack:r1', 'env:staging'] },
        agentVersion: '7.50.0',
        os: 'linux',
      });
      const r = await post(pd.url, '/intake/', meta, { encoding: enc, key: pd.keys.default });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      const series = JSON.stringify({
        series: [{ metric: `pdtest.hosttags.${sfx}`, points: [[now(), 1]], host, tags: ['env:prod'] }],
      });
      assert.equal((await post(pd.url, '/api/v1/series', series, { encoding: enc, key: pd.keys.default })).status, 202);
      const got = await queryOne(`pdtest_hosttags_${sfx}`);
      // The series' own env wins over the host tag; rack comes from the host.
      assert.equal(got.labels.rack, 'r1');
      assert.equal(got.labels.env, 'prod');
    });

    test(`/intake/ events and /api/v1/events are stored, /api/v1/metadata counted (${enc})`, async () => {
      const before = await selfMetric(pd.url, 'promdog_events_stored_total', { tenant: 'default' });
      const envelope = JSON.stringify({
        events: { api: [{ msg_title: 'deploy', msg_text: 'v2', timestamp: now(), host: 'h', tags: ['a:b'] }] },
      });
      assert.equal((await post(pd.url, '/intake/', envelope, { encoding: enc, key: pd.keys.default })).status, 202);
      const ev = JSON.stringify({ title: 'deploy', text: 'v3', date_happened: now(), tags: ['a:b'] });
      assert.equal((await post(pd.url, '/api/v1/events', ev, { encoding: enc, key: pd.keys.default })).status, 202);
      // Gateway mode too: events are not samples; promdog's own event store keeps them.
      assert.equal(await selfMetric(pd.url, 'promdog_events_stored_total', { tenant: 'default' }), before + 2);
      assert.equal(await selfMetric(pd.url, 'promdog_items_not_stored_total', { kind: 'event' }), 0);
      const inv = JSON.stringify({ hostname: 'h', timestamp: Date.now() * 1000, host_metadata: { cpu_cores: 4 } });
      const invBefore = await selfMetric(pd.url, 'promdog_items_not_stored_total', { kind: 'inventory' });
      assert.equal((await post(pd.url, '/api/v1/metadata', inv, { encoding: enc, key: pd.keys.default })).status, 202);
      assert.equal(await selfMetric(pd.url, 'promdog_items_not_stored_total', { kind: 'inventory' }), invBefore + 1);
    });
  }
});

describe('validate and auth', () => {
  test('validate answers 200 for a known key, 403 otherwise, GET and POST', async () => {
    for (const method of ['GET', 'POST']) {
      const ok = await fetch(`${pd.url}/api/v1/validate`, { method, headers: { 'DD-API-KEY': pd.keys.default } });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { valid: true });
      const viaQuery = await fetch(`${pd.url}/api/v1/validate?api_key=${pd.keys.system}`, { method });
      assert.equal(viaQuery.status, 200);
      const bad = await fetch(`${pd.url}/api/v1/validate`, { method, headers: { 'DD-API-KEY': 'nope' } });
      assert.equal(bad.status, 403);
      assert.deepEqual(await bad.json(), { errors: ['Forbidden'] });
    }
  });

  test('the tenant travels to the remote-write target as X-Scope-OrgID (system tenant data goes through)', async () => {
    const body = JSON.stringify({ series: [{ metric: 'pdtest.system_tenant', points: [[now(), 5]], host: 'h' }] });
    assert.equal((await post(pd.url, '/api/v1/series', body, { key: pd.keys.system })).status, 202);
    assert.equal((await queryOne('pdtest_system_tenant')).value, 5);
    assert.ok((await selfMetric(pd.url, 'promdog_samples_accepted_total', { tenant: 'system' })) >= 1);
  });
});
