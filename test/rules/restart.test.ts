// `for` state across a crash: promdog is killed with SIGKILL while an alert is pending; after the restart the alert
// is restored from ALERTS_FOR_STATE as Prometheus restores it (its activeAt moved forward by the outage) and fires
// on time, not a whole `for` after the restart. Embedded, ALERTS_FOR_STATE is in promdog's own store; in gateway
// mode it was remote-written to a real Prometheus and is read back through --query-url.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPromdog, type PromdogProcess } from '../support/process.js';
import { PrometheusProcess } from '../support/prometheus.js';

const FOR_S = 30;

async function get(url: string, path: string, key?: string): Promise<any> {
  const res = await fetch(url + path, key ? { headers: { authorization: `Bearer ${key}` } } : {});
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

/** Where the ruler's series go and are read from: the promdog itself, or the Prometheus of a gateway promdog. */
interface Mode {
  args: string[];
  /** An instant query's result where the ruler writes. */
  query(p: PromdogProcess, key: string, expr: string): Promise<{ value: [number, string] }[]>;
  close(): Promise<void>;
}

const MODES: Record<string, () => Promise<Mode>> = {
  embedded: async () => ({
    args: [],
    query: async (p, key, expr) => (await get(p.url, `/api/v1/query?query=${encodeURIComponent(expr)}`, key)).result,
    close: async () => {},
  }),
  gateway: async () => {
    const prometheus = await PrometheusProcess.start();
    return {
      args: ['--remote-write-url', prometheus.remoteWriteUrl, '--query-url', prometheus.url],
      query: (_p, _key, expr) => prometheus.query(expr),
      close: () => prometheus.cleanup(),
    };
  },
};

describe('killed in the middle of a `for`, the alert keeps its pending time and fires on time', {
  concurrency: 2,
}, () => {
  for (const [name, start] of Object.entries(MODES)) {
    test(name, async () => {
      const mode = await start();
      const dir = mkdtempSync(join(tmpdir(), `promdog-rules-restart-${name}-`));
      const rules = join(dir, 'rules.yml');
      writeFileSync(
        rules,
        `groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: Pending\n        expr: vector(1)\n        for: ${FOR_S}s\n`,
      );
      const config = join(dir, 'promdog.yml');
      // A grace period shorter than what is left of `for`, so the restored activeAt moves by the outage only.
      writeFileSync(config, 'rules:\n  for_grace_period: 1s\n');
      const args = [
        ...['--data-dir', dir, '--config', config, '--rule-file', rules, '--self-scrape-interval', '0'],
        ...['--default-rules=false', ...mode.args],
      ];
      let p = await spawnPromdog(args);
      try {
        const key = readFileSync(join(dir, 'tenant-api-token-default'), 'utf8').trim();
        const activeAt = async () => {
          const alerts = (await get(p.url, '/api/v1/alerts', key)).alerts as { state: string; activeAt: string }[];
          return alerts[0] ? { state: alerts[0].state, activeAt: Date.parse(alerts[0].activeAt) } : undefined;
        };
        const before = await until('the alert to be pending', activeAt);
        assert.equal(before.state, 'pending');
        // ALERTS_FOR_STATE is written from the evaluation after the first restore; wait for it, then a third of `for`.
        await until('ALERTS_FOR_STATE', async () => {
          const r = await mode.query(p, key, 'ALERTS_FOR_STATE');
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
        // Moved forward by the outage: later than the original, and by then pending as long as before the crash
        // (less up to a second each for the last sample before the kill and the whole seconds ALERTS_FOR_STATE keeps).
        assert.ok(restored.activeAt > before.activeAt, 'activeAt moved by the outage');
        assert.ok(
          restored.activeAt <= observedAt - (killedAt - before.activeAt) + 2000,
          'the pending time before the crash counts',
        );

        const firedAt = await until('the alert to fire', async () => {
          const r = await mode.query(p, key, 'ALERTS{alertstate="firing"}');
          return r[0] ? r[0].value[0] * 1000 : undefined;
        });
        assert.ok(firedAt >= restored.activeAt + FOR_S * 1000, 'not before `for` has passed');
        assert.ok(firedAt < restartedAt + FOR_S * 1000, 'fired on time, not a whole `for` after the restart');
      } finally {
        p.child.kill('SIGKILL');
        await p.exited;
        rmSync(dir, { recursive: true, force: true });
        await mode.close();
      }
    });
  }
});
