// One scrape of the store's gauges at N head series, old against new in the same run: a storage.stats() reading per
// gauge (before: nine readings, each walking every head series twice) or the one reading the gauges of a scrape
// share now (registerStoreMetrics, rendered by the registry as /metrics does). The event loop is held for all of
// it. A figure is the median of 5 turns.
//   node --max-semi-space-size=16 dist/src/tsdb/metrics.bench.js [series=200000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import type { PromSeries } from '../model/prometheus.js';
import { registerStoreMetrics } from './metrics.js';
import { Storage } from './storage.js';

const GAUGES = 9;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function benchStoreMetrics(series: number): Promise<{ beforeMs: number; afterMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-bench-store-metrics-'));
  const storage = new Storage({ dataDir: dir });
  try {
    const now = Date.now();
    for (let from = 0; from < series; from += 10_000) {
      const batch: PromSeries[] = [];
      for (let i = from; i < Math.min(series, from + 10_000); i++)
        batch.push({
          labels: [
            { name: '__name__', value: 'm' },
            { name: 'host', value: `h${i % 1000}` },
            { name: 'i', value: String(i) },
          ],
          timestamps: [now],
          values: [i],
        });
      await storage.append('t', batch);
    }
    const registry = new Registry();
    registerStoreMetrics(registry, storage);
    const before: number[] = [];
    const after: number[] = [];
    for (let turn = 0; turn < 5; turn++) {
      before.push(await timed(() => Promise.all(Array.from({ length: GAUGES }, () => storage.stats()))));
      after.push(await timed(() => registry.metrics()));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
    return { beforeMs: median(before), afterMs: median(after) };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const series = Number(process.argv[2] ?? 200_000);
  const r = await benchStoreMetrics(series);
  console.log(
    `store gauges, one scrape at ${series} head series: ${r.beforeMs.toFixed(0)} ms with a reading per gauge, ` +
      `${r.afterMs.toFixed(0)} ms with one shared reading`,
  );
}
