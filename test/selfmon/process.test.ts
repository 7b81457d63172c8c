import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPromdog } from '../support/process.js';
import { post, selfMetric } from '../support/promdog.js';
import { apiData, instant, v1Series, waitFor } from './support.js';

// The self-scrape in a real `promdog serve` process: turned off with 0 (here from the environment, over a config file
// that asks for 1 s), and, when on, stopped cleanly at shutdown with its samples durable across a restart.

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'promdog-selfmon-'));
  dirs.push(d);
  return d;
}

const key = (dir: string, tenant: string) => readFileSync(join(dir, `tenant-api-token-${tenant}`), 'utf8').trim();

describe('self-scrape in a promdog process', () => {
  test('PROMDOG_SELF_SCRAPE_INTERVAL=0 turns it off: no promdog_* series in the system tenant', async () => {
    const dir = dataDir();
    const config = join(dir, 'promdog.yml');
    writeFileSync(config, 'selfmon:\n  scrape_interval: 1s\n');
    const pd = await spawnPromdog(['--data-dir', dir, '--config', config], { PROMDOG_SELF_SCRAPE_INTERVAL: '0' });
    try {
      await pd.waitForLog(/self-scrape disabled/);
      const now = Math.floor(Date.now() / 1000);
      assert.equal(
        (await post(pd.url, '/api/v1/series', v1Series('selfmon.off', [[now, 1]]), { key: key(dir, 'default') }))
          .status,
        202,
      );
      // Longer than the config file's interval: had it applied, a scrape would have been written by now.
      await new Promise((r) => setTimeout(r, 1500));
      const system = key(dir, 'system');
      assert.deepEqual(await instant(pd.url, system, '{__name__=~"promdog_.+"}'), []);
      assert.deepEqual(await apiData(pd.url, system, '/api/v1/series', { 'match[]': '{job="promdog"}' }), []);
      assert.deepEqual(await apiData(pd.url, system, '/api/v1/label/__name__/values'), []);
      assert.equal(await selfMetric(pd.url, 'promdog_self_scrape_samples_total'), 0);
      assert.equal((await instant(pd.url, key(dir, 'default'), 'selfmon_off')).length, 1, 'the intake still works');
    } finally {
      pd.child.kill('SIGTERM');
      await pd.exited;
    }
  });

  test('--self-scrape-interval 200ms: scrapes, stops cleanly on SIGTERM, and its samples survive a restart', async () => {
    const dir = dataDir();
    const pd = await spawnPromdog(['--data-dir', dir, '--self-scrape-interval', '200ms']);
    const started = pd.logs.find((l) => /self-scrape: own metrics/.test(String(l.msg)));
    assert.equal(started?.intervalMs, 200);
    const system = key(dir, 'system');
    const scraped = await waitFor('self-scrapes', async () => {
      const r = await instant(pd.url, system, 'promdog_self_scrape_samples_total');
      return r.length === 1 && Number(r[0]!.value[1]) > 0 && Number(r[0]!.value[1]);
    });
    pd.child.kill('SIGTERM');
    assert.equal(await pd.exited, 0);
    assert.deepEqual(
      pd.logs.filter((l) => /self-scrape failed/.test(String(l.msg))),
      [],
    );

    const again = await spawnPromdog(['--data-dir', dir, '--self-scrape-interval', '0']);
    try {
      const end = Date.now() / 1000;
      const data = await apiData(again.url, system, '/api/v1/query', {
        query: 'max_over_time(promdog_self_scrape_samples_total[10m])',
        time: String(end),
      });
      assert.ok(Number(data.result[0].value[1]) >= scraped, 'written before the restart, read after it');
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });
});
