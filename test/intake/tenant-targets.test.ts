import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusProcess } from '../support/prometheus.js';
import { VictoriaMetricsProcess } from '../support/victoria-metrics.js';
import { post, selfMetric, startPromdog, type TestPromdog } from '../support/promdog.js';

// Tenants in separate backends: a gateway promdog whose tenant team-a has its own remote-write target (a real
// VictoriaMetrics), team-b its own (a real Prometheus, no tenant header: it is team-b's alone), and every other
// tenant the default target (another real Prometheus). Each backend must hold its tenants' samples and no other's.

const KEYS = { default: 'default-key-0001', 'team-a': 'team-a-key-0001', 'team-b': 'team-b-key-0001' };

let shared: PrometheusProcess;
let promB: PrometheusProcess;
let vm: VictoriaMetricsProcess;
let pd: TestPromdog;
let configDir: string;

before(async () => {
  [shared, promB, vm] = await Promise.all([
    PrometheusProcess.start(),
    PrometheusProcess.start(),
    VictoriaMetricsProcess.start(),
  ]);
  configDir = mkdtempSync(join(tmpdir(), 'promdog-tenant-targets-'));
  const config = join(configDir, 'promdog.yaml');
  writeFileSync(
    config,
    `remote_write: [${shared.remoteWriteUrl}]
tenants:
  default: { api_keys: [${KEYS.default}] }
  system: { api_keys: [system-key-0001] }
  team-a:
    api_keys: [${KEYS['team-a']}]
    remote_write: [${vm.remoteWriteUrl}]
  team-b:
    api_keys: [${KEYS['team-b']}]
    remote_write: [{ url: "${promB.remoteWriteUrl}", tenant_header: "" }]
`,
  );
  pd = await startPromdog(['--config', config, '--self-scrape-interval', '0']);
});

after(async () => {
  await pd?.close();
  await Promise.all([shared?.cleanup(), promB?.cleanup(), vm?.cleanup()]);
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

/** The `tenant` label values of `tenant_probe` series in a backend's answer. */
const tenantsIn = (result: { metric: Record<string, string> }[]) => result.map((s) => s.metric.tenant).sort();

test("each tenant's samples reach its own backend, or the default one, and no other", async () => {
  const now = Math.floor(Date.now() / 1000);
  for (const [tenant, key] of Object.entries(KEYS)) {
    const body = JSON.stringify({
      series: [{ metric: 'tenant.probe', points: [[now, 1]], host: `${tenant}-host`, tags: [`tenant:${tenant}`] }],
    });
    const r = await post(pd.url, '/api/v1/series', body, { key });
    assert.equal(r.status, 202, `${tenant}: ${JSON.stringify(r.json)}`);
  }
  await vm.untilSearchable('tenant_probe', 1);
  assert.deepEqual(tenantsIn(await shared.query('tenant_probe')), ['default']);
  assert.deepEqual(tenantsIn(await promB.query('tenant_probe')), ['team-b']);
  const inVm = (await vm.api(`/api/v1/query?query=tenant_probe&time=${now}`)) as {
    result: { metric: Record<string, string> }[];
  };
  assert.deepEqual(tenantsIn(inVm.result), ['team-a']);
  for (const [target, samples] of [
    [shared.remoteWriteUrl, 1],
    [promB.remoteWriteUrl, 1],
    [vm.remoteWriteUrl, 1],
  ] as const)
    assert.equal(await selfMetric(pd.url, 'promdog_remote_write_samples_total', { target }), samples, target);
});
