// `for` state across a crash: promdog is killed with SIGKILL while an alert is pending; after the restart the alert
// is restored from ALERTS_FOR_STATE as Prometheus restores it (its activeAt moved forward by the outage) and fires
// on time, not a whole `for` after the restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPromdog, type PromdogProcess } from '../support/process.js';

const FOR_S = 30;

async function get(p: PromdogProcess, key: string, path: string): Promise<any> {
  const res = await fetch(p.url + path, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: unknown }).data;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('killed in the middle of a `for`, the alert keeps its pending time and fires on time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-rules-restart-'));
  const rules = join(dir, 'rules.yml');
  writeFileSync(
    rules,
    `groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: Pending\n        expr: vector(1)\n        for: ${FOR_S}s\n`,
  );
  const config = join(dir, 'promdog.yml');
  // A grace period shorter than what is left of `for`, so the restored activeAt moves by the outage only.
  writeFileSync(config, 'rules:\n  for_grace_period: 1s\n');
  const args = ['--data-dir', dir, '--config', config, '--rule-file', rules, '--self-scrape-interval', '0'];
  let p = await spawnPromdog(args);
  try {
    const key = readFileSync(join(dir, 'tenant-api-token-default'), 'utf8').trim();
    const activeAt = async () => {
      const alerts = (await get(p, key, '/api/v1/alerts')).alerts as { state: string; activeAt: string }[];
      return alerts[0] ? { state: alerts[0].state, activeAt: Date.parse(alerts[0].activeAt) } : undefined;
    };
    const before = await until('the alert to be pending', activeAt);
    assert.equal(before.state, 'pending');
    // ALERTS_FOR_STATE is written from the evaluation after the first restore; wait for it, then a third of `for`.
    await until('ALERTS_FOR_STATE', async () => {
      const r = (await get(p, key, '/api/v1/query?query=ALERTS_FOR_STATE')).result as unknown[];
      return r.length > 0 ? r : undefined;
    });
    while (Date.now() < before.activeAt + (FOR_S / 3) * 1000) await new Promise((r) => setTimeout(r, 200));
    const killedAt = Date.now();
    p.child.kill('SIGKILL');
    await p.exited;
    const restartedAt = Date.now();

    p = await spawnPromdog(args);
    // The first evaluations after a start see a new pending alert; after the second one, its state is restored.
    const restored = await until('the restored activeAt', async () => {
      const a = await activeAt();
      return a && a.activeAt < restartedAt ? a : undefined;
    });
    const observedAt = Date.now();
    assert.equal(restored.state, 'pending');
    // Moved forward by the outage: later than the original, and by then pending as long as before the crash (less
    // up to a second each for the last sample before the kill and the whole seconds ALERTS_FOR_STATE keeps).
    assert.ok(restored.activeAt > before.activeAt, 'activeAt moved by the outage');
    assert.ok(
      restored.activeAt <= observedAt - (killedAt - before.activeAt) + 2000,
      'the pending time before the crash counts',
    );

    const firedAt = await until('the alert to fire', async () => {
      const r = (await get(p, key, '/api/v1/query?query=ALERTS{alertstate="firing"}')).result as {
        value: [number, string];
      }[];
      return r[0] ? r[0].value[0] * 1000 : undefined;
    });
    assert.ok(firedAt >= restored.activeAt + FOR_S * 1000, 'not before `for` has passed');
    assert.ok(firedAt < restartedAt + FOR_S * 1000, 'fired on time, not a whole `for` after the restart');
  } finally {
    p.child.kill('SIGKILL');
    await p.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
