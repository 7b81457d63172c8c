import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusProcess } from '../support/prometheus.js';
import { post, selfMetric, startPromdog, type TestPromdog } from '../support/promdog.js';

// Two gateway replicas sharing one backend and one set of keys: the host metadata one receives reaches the series
// the other writes, through the datadog_host_info series and --query-url.

const KEY = 'replica-test-key-0123456789abcdef';
let prom: PrometheusProcess;
let a: TestPromdog;
let b: TestPromdog;

before(async () => {
  prom = await PrometheusProcess.start();
  const config = join(mkdtempSync(join(tmpdir(), 'promdog-replicas-')), 'promdog.yml');
  writeFileSync(config, `tenants:\n  - name: default\n    api_keys: [${KEY}]\n`);
  const args = [
    '--config',
    config,
    '--remote-write-url',
    prom.remoteWriteUrl,
    '--query-url',
    prom.url,
    '--self-scrape-interval',
    '0',
    '--default-rules',
    'false',
  ];
  [a, b] = await Promise.all([startPromdog(args), startPromdog(args)]);
});
after(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await prom?.cleanup();
});

test('a replica that never saw a host’s metadata writes its series with the host tags another replica received', async () => {
  const metadata = {
    internalHostname: 'web-7',
    agentVersion: '7.60.1',
    os: 'linux',
    'host-tags': { system: ['team:infra', 'role:web', 'os:bsd'] },
  };
  const md = await post(a.url, '/intake/', JSON.stringify(metadata), { key: KEY });
  assert.equal(md.status, 202, JSON.stringify(md.json));
  const info = await prom.query('datadog_host_info');
  assert.deepEqual(
    info.map((s) => s.metric),
    [
      {
        __name__: 'datadog_host_info',
        agent_version: '7.60.1',
        exported_os: 'bsd',
        instance: 'web-7',
        job: 'ddagent',
        os: 'linux',
        role: 'web',
        team: 'infra',
      },
    ],
  );

  const now = Math.floor(Date.now() / 1000);
  const series = { series: [{ metric: 'system.load.1', points: [[now, 0.5]], host: 'web-7', tags: ['env:prod'] }] };
  const r = await post(b.url, '/api/v1/series', JSON.stringify(series), { key: KEY });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  const load = await prom.query('system_load_1');
  assert.deepEqual(
    load.map((s) => s.metric),
    [
      {
        __name__: 'system_load_1',
        env: 'prod',
        instance: 'web-7',
        job: 'ddagent',
        os: 'bsd',
        role: 'web',
        team: 'infra',
        type: 'gauge',
      },
    ],
  );
  assert.equal(await selfMetric(b.url, 'promdog_host_info_lookup_hosts_total', { result: 'found' }), 1);
  assert.equal(await selfMetric(b.url, 'promdog_host_info_learnt_total'), 1);

  // A host no replica has metadata of: looked up once, written without host tags.
  const bare = { series: [{ metric: 'system.load.1', points: [[now, 1]], host: 'bare-1' }] };
  assert.equal((await post(b.url, '/api/v1/series', JSON.stringify(bare), { key: KEY })).status, 202);
  assert.equal(await selfMetric(b.url, 'promdog_host_info_lookup_hosts_total', { result: 'not_found' }), 1);
  assert.deepEqual(
    (await prom.query('system_load_1{instance="bare-1"}')).map((s) => s.metric),
    [{ __name__: 'system_load_1', instance: 'bare-1', job: 'ddagent', type: 'gauge' }],
  );
});
