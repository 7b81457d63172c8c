import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadServeConfig } from '../../src/config/config.js';

// The self-scrape interval: `selfmon.scrape_interval` in YAML, `--self-scrape-interval`, PROMDOG_SELF_SCRAPE_INTERVAL.

test('self-scrape interval: default 15s; flag > env > YAML; 0 turns it off; bad values refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-selfmon-config-'));
  try {
    const yaml = (text: string) => {
      const f = join(dir, `c${Math.random()}.yml`);
      writeFileSync(f, text);
      return f;
    };
    const file = yaml('selfmon:\n  scrape_interval: 30s\n');
    assert.equal(loadServeConfig([], {}).selfmon.scrapeIntervalMs, 15_000);
    assert.equal(loadServeConfig(['--config', file], {}).selfmon.scrapeIntervalMs, 30_000);
    assert.equal(
      loadServeConfig(['--config', file], { PROMDOG_SELF_SCRAPE_INTERVAL: '1m' }).selfmon.scrapeIntervalMs,
      60_000,
    );
    assert.equal(
      loadServeConfig(['--config', file, '--self-scrape-interval', '500ms'], { PROMDOG_SELF_SCRAPE_INTERVAL: '1m' })
        .selfmon.scrapeIntervalMs,
      500,
    );
    assert.equal(loadServeConfig(['--self-scrape-interval', '0'], {}).selfmon.scrapeIntervalMs, 0);
    assert.equal(
      loadServeConfig(['--config', yaml('selfmon:\n  scrape_interval: 0\n')], {}).selfmon.scrapeIntervalMs,
      0,
    );
    assert.throws(
      () => loadServeConfig(['--self-scrape-interval', 'often'], {}),
      /--self-scrape-interval: invalid duration/,
    );
    assert.throws(() => loadServeConfig(['--config', yaml('selfmon:\n  interval: 5s\n')], {}), ConfigError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
