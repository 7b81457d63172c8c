import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client, v1, v2 } from '@datadog/datadog-api-client';
import { PrometheusProcess } from '../support/prometheus.js';
import { zstdReady, zstdSync } from '../support/zstd.js';
import { startPromdog, type TestPromdog } from '../support/promdog.js';

// The official Datadog API client pointed at promdog: each call succeeds and its data is in Prometheus.

let prom: PrometheusProcess;
let pd: TestPromdog;
let conf: client.Configuration;
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  await zstdReady();
  prom = await PrometheusProcess.start({ outOfOrderTimeWindow: '1h' });
  pd = await startPromdog(['--remote-write-url', prom.remoteWriteUrl]);
  conf = client.createConfiguration({
    baseServer: new client.BaseServerConfiguration(pd.url, {}),
    authMethods: { apiKeyAuth: pd.keys.default },
    enableRetry: false,
    zstdCompressorCallback: (body: string) => zstdSync(Buffer.from(body)),
  });
});
after(async () => {
  await pd?.close();
  await prom?.cleanup();
});

async function queryOne(promql: string): Promise<{ labels: Record<string, string>; value: number }> {
  const r = await prom.query(promql);
  assert.equal(r.length, 1, `${promql}: ${JSON.stringify(r)}`);
  return { labels: r[0]!.metric, value: Number(r[0]!.value[1]) };
}

describe('@datadog/datadog-api-client against promdog', () => {
  test('v1 AuthenticationApi.validate', async () => {
    const res = await new v1.AuthenticationApi(conf).validate();
    assert.equal(res.valid, true);
    const bad = client.createConfiguration({
      baseServer: new client.BaseServerConfiguration(pd.url, {}),
      authMethods: { apiKeyAuth: 'wrong-key' },
      enableRetry: false,
    });
    await assert.rejects(new v1.AuthenticationApi(bad).validate(), (e: Error & { code?: number }) => e.code === 403);
  });

  test('v1 MetricsApi.submitMetrics', async () => {
    for (const contentEncoding of [undefined, 'deflate', 'gzip'] as const) {
      const metric = `apiclient.v1.${contentEncoding ?? 'plain'}`;
      const res = await new v1.MetricsApi(conf).submitMetrics({
        body: { series: [{ metric, type: 'gauge', points: [[now(), 12.5]], host: 'client-host', tags: ['env:test'] }] },
        contentEncoding,
      });
      assert.equal(res.status, 'ok');
      const got = await queryOne(metric.replace(/\./g, '_'));
      assert.equal(got.value, 12.5);
      assert.equal(got.labels.instance, 'client-host');
      assert.equal(got.labels.type, 'gauge');
      assert.equal(got.labels.env, 'test');
    }
  });

  test('v2 MetricsApi.submitMetrics (JSON, every encoding the client has)', async () => {
    for (const contentEncoding of [undefined, 'deflate', 'gzip', 'zstd1'] as const) {
      const metric = `apiclient.v2.${contentEncoding ?? 'plain'}`;
      const res = await new v2.MetricsApi(conf).submitMetrics({
        body: {
          series: [
            {
              metric,
              type: 2,
              interval: 10,
              unit: 'request',
              points: [{ timestamp: now(), value: 3.25 }],
              resources: [{ name: 'client-host-2', type: 'host' }],
              tags: ['service:web'],
            },
          ],
        },
        contentEncoding,
      });
      assert.deepEqual(res.errors ?? [], []);
      const got = await queryOne(metric.replace(/\./g, '_'));
      assert.equal(got.value, 3.25);
      assert.deepEqual(got.labels, {
        __name__: metric.replace(/\./g, '_'),
        instance: 'client-host-2',
        job: 'ddagent',
        type: 'rate',
        service: 'web',
      });
    }
  });

  test('v1 MetricsApi.submitDistributionPoints', async () => {
    const res = await new v1.MetricsApi(conf).submitDistributionPoints({
      body: {
        series: [{ metric: 'apiclient.dist', points: [[now(), [1, 2, 3, 4, 5]]], host: 'client-host', tags: ['k:v'] }],
      },
    });
    assert.equal(res.status, 'ok');
    assert.equal((await queryOne('apiclient_dist_count')).value, 5);
    assert.equal((await queryOne('apiclient_dist_sum')).value, 15);
    assert.equal((await queryOne('apiclient_dist_max')).value, 5);
    assert.equal((await queryOne('apiclient_dist{quantile="0.5"}')).labels.type, 'distribution');
  });

  test('v1 ServiceChecksApi.submitServiceCheck', async () => {
    const res = await new v1.ServiceChecksApi(conf).submitServiceCheck({
      body: [
        {
          check: 'apiclient.check',
          hostName: 'client-host',
          status: 1,
          timestamp: now(),
          message: 'warn',
          tags: ['env:test'],
        },
      ],
    });
    assert.equal(res.status, 'ok');
    const got = await queryOne('datadog_service_check_status{check="apiclient.check"}');
    assert.equal(got.value, 1);
    assert.equal(got.labels.instance, 'client-host');
    assert.equal(got.labels.env, 'test');
  });
});
