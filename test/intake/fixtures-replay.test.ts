import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { PrometheusProcess } from '../support/prometheus.js';
import { startPromdog, post, selfMetric, type TestPromdog } from '../support/promdog.js';
import { loadFixture, decodedBody, seriesPayloadAt } from '../support/fixtures.js';
import { decodeSeriesV2 } from '../../src/intake/decoders/series-v2.js';

// The real Agent captures in test/fixtures/datadog-agent, replayed with their timestamps moved to now (Prometheus
// refuses samples that old), must all be queryable in a real Prometheus behind a gateway-mode promdog.

const promName = (n: string) => n.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/^([0-9])/, '_$1');

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

describe('captured Agent payloads', () => {
  test('v2 series: every metric of the capture is queryable with the capture host as instance', async () => {
    const payloads = loadFixture('api_v2_series_response.json').filter((p) => p.encoding === 'deflate');
    assert.equal(payloads.length, 3);
    const names = new Set<string>();
    const now = Math.floor(Date.now() / 1000);
    for (const [i, p] of payloads.entries()) {
      const decoded = decodeSeriesV2(decodedBody(p)).series;
      for (const s of decoded) names.add(promName(s.metric));
      const body = deflateSync(seriesPayloadAt(decoded, now - 30 * (payloads.length - i)));
      const r = await post(pd.url, '/api/v2/series', body, {
        key: pd.keys.default,
        encoding: 'none',
        rawEncodingHeader: 'deflate',
        contentType: 'application/x-protobuf',
      });
      assert.equal(r.status, 202, JSON.stringify(r.json));
    }
    const res = await prom.query('count by (__name__, instance) ({job="ddagent"})');
    const stored = new Set(res.map((s) => s.metric.__name__!));
    assert.deepEqual(
      [...names].filter((n) => !stored.has(n)),
      [],
      'every decoded metric name is in Prometheus',
    );
    assert.equal(stored.size, names.size);
    assert.equal(names.size, 264);
    const instanceOf = (name: string) =>
      new Set(res.filter((s) => s.metric.__name__ === name).map((s) => s.metric.instance));
    assert.deepEqual([...instanceOf('system_load_1')], ['COMP-N52P6N99MH']);
    // SNMP device metrics carry the device's own host resource.
    assert.deepEqual([...instanceOf('snmp_ifHCInOctets')], ['device:COMP-N52P6N99MH:172.25.0.3']);
  });

  test('check_run: every captured service check is queryable', async () => {
    const p = loadFixture('api_v1_check_run_response.json').find((x) => x.encoding === 'deflate')!;
    const checks = JSON.parse(decodedBody(p).toString()) as {
      check: string;
      timestamp: number;
      status: number;
      host_name: string;
    }[];
    assert.equal(checks.length, 12);
    const now = Math.floor(Date.now() / 1000);
    for (const c of checks) c.timestamp = now;
    const r = await post(pd.url, '/api/v1/check_run', deflateSync(JSON.stringify(checks)), {
      key: pd.keys.default,
      encoding: 'none',
      rawEncodingHeader: 'deflate',
    });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const res = await prom.query('datadog_service_check_status');
    const stored = new Set(res.map((s) => s.metric.check));
    for (const c of checks) assert.ok(stored.has(c.check), `${c.check} missing`);
    const up = res.find((s) => s.metric.check === 'datadog.agent.up')!;
    assert.equal(up.value[1], String(checks.find((c) => c.check === 'datadog.agent.up')!.status));
  });

  test('metadata (inventories): accepted as captured and counted as not stored', async () => {
    const before = await selfMetric(pd.url, 'promdog_items_not_stored_total', { kind: 'inventory' });
    const payloads = loadFixture('api_v1_metadata_response.json');
    for (const p of payloads) {
      const r = await post(pd.url, '/api/v1/metadata', p.data, {
        key: pd.keys.default,
        encoding: 'none',
        rawEncodingHeader: 'deflate',
      });
      assert.equal(r.status, 202, JSON.stringify(r.json));
    }
    assert.equal(
      await selfMetric(pd.url, 'promdog_items_not_stored_total', { kind: 'inventory' }),
      before + payloads.length,
    );
  });
});
