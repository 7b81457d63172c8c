import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusProcess } from '../support/prometheus.js';
import { startPromdog, post, selfMetric, type TestPromdog } from '../support/promdog.js';

// The remote-write target goes away: promdog answers 503 with Retry-After (the Agent keeps the payload and retries);
// when it is back, the same payload is accepted and stored. A target 4xx comes back as 400 with its message.

let prom: PrometheusProcess | undefined;
let pd: TestPromdog | undefined;
after(async () => {
  await pd?.close();
  await prom?.cleanup();
});

test('Prometheus stopped → 503 + Retry-After; started again → the same payload is stored', async () => {
  prom = await PrometheusProcess.start();
  const dir = mkdtempSync(join(tmpdir(), 'promdog-outage-'));
  const cfg = join(dir, 'promdog.yaml');
  writeFileSync(
    cfg,
    `remote_write:\n  - url: ${prom.remoteWriteUrl}\n    timeout: 1s\nlimits:\n  request_timeout: 3s\n`,
  );
  pd = await startPromdog(['--config', cfg]);
  const body = JSON.stringify({
    series: [{ metric: 'outage.metric', points: [[Math.floor(Date.now() / 1000), 99]], host: 'h' }],
  });

  await prom.stop();
  const down = await post(pd.url, '/api/v1/series', body, { key: pd.keys.default, encoding: 'deflate' });
  assert.equal(down.status, 503);
  assert.match(down.headers.get('retry-after') ?? '', /^\d+$/);
  assert.match(down.json.errors[0], new RegExp(prom.remoteWriteUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.ok((await selfMetric(pd.url, 'promdog_samples_rejected_total', { reason: 'sink_unavailable' })) >= 1);
  assert.ok((await selfMetric(pd.url, 'promdog_remote_write_retries_total')) >= 1, 'retried before giving up');
  assert.equal((await fetch(`${pd.url}/-/ready`)).status, 200);

  await prom.restart();
  const up = await post(pd.url, '/api/v1/series', body, { key: pd.keys.default, encoding: 'deflate' });
  assert.equal(up.status, 202, JSON.stringify(up.json));
  const res = await prom.query('outage_metric');
  assert.equal(res.length, 1);
  assert.equal(res[0]!.value[1], '99');
});

test('a target 4xx is passed back as 400 with the target’s message', async () => {
  assert.ok(prom && pd);
  // Far in the past: Prometheus refuses it as out of bounds (400), and retrying would not help.
  const body = JSON.stringify({ series: [{ metric: 'outage.too_old', points: [[1_000_000_000, 1]], host: 'h' }] });
  const r = await post(pd.url, '/api/v1/series', body, { key: pd.keys.default });
  assert.equal(r.status, 400);
  assert.match(r.json.errors[0], /out of bounds/);
  assert.ok((await selfMetric(pd.url, 'promdog_samples_rejected_total', { reason: 'sink_rejected' })) >= 1);
});
