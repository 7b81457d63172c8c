// Like Prometheus' per-Alertmanager counters, a tenant's notifier series exist from the start, at 0, so dashboards
// and alerts on them (rate of errors, of drops) have data before the first alert is ever sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { spawnPromdog } from '../support/process.js';

test('notifier series show at 0 for every tenant with Alertmanagers before any alert', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-notifier-metrics-'));
  const alertmanager = `http://127.0.0.1:${await freePort()}`;
  const p = await spawnPromdog([
    ...['--data-dir', dir, '--alertmanager-url', alertmanager, '--default-rules=false'],
    ...['--self-scrape-interval', '0'],
  ]);
  try {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    for (const tenant of ['default', 'system']) {
      const am = `alertmanager="${alertmanager}/api/v2/alerts"`;
      assert.match(text, new RegExp(`^promdog_notifications_sent_total\\{tenant="${tenant}",${am}\\} 0$`, 'm'));
      assert.match(text, new RegExp(`^promdog_notifications_errors_total\\{tenant="${tenant}",${am}\\} 0$`, 'm'));
      assert.match(text, new RegExp(`^promdog_notifications_dropped_total\\{tenant="${tenant}"\\} 0$`, 'm'));
      assert.match(text, new RegExp(`^promdog_notifications_queue_length\\{tenant="${tenant}"\\} 0$`, 'm'));
      assert.match(text, new RegExp(`^promdog_notifications_alertmanagers_discovered\\{tenant="${tenant}"\\} 1$`, 'm'));
    }
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
