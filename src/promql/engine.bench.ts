// PromQL evaluation speed: 1000 counters scraped every 15 s for a day (5.76 M samples) held in memory, range
// queries over 23 h typical of dashboards. Storage cost is excluded (the Querier serves prebuilt arrays), so this
// measures the engine: selection windows, functions, aggregation, matching, result shaping.
// Run: node dist/src/promql/engine.bench.js
import { pathToFileURL } from 'node:url';
import type { LabelMatcher, Querier } from '../model/storage.js';
import { SeriesColumnsBuilder } from '../model/series-columns.js';
import { Engine } from './engine.js';

const SERIES = 1000;
const SAMPLES = 5760;
const SCRAPE_MS = 15_000;

function arrayQuerier(): Querier {
  // Series i's samples at [i * SAMPLES, (i + 1) * SAMPLES) of one pair of columns; a read is a window of each.
  const columns = new SeriesColumnsBuilder(SERIES * SAMPLES);
  for (let i = 0; i < SERIES; i++) {
    const start = columns.used;
    for (let j = 0; j < SAMPLES; j++) {
      columns.timestamps[start + j] = j * SCRAPE_MS;
      columns.values[start + j] = j * ((i % 7) + 1);
    }
    columns.used += SAMPLES;
    const labels = [
      { name: '__name__', value: 'http_requests_total' },
      { name: 'instance', value: `host-${i}` },
      { name: 'job', value: `job-${i % 10}` },
    ];
    columns.addSeries(labels, start, columns.used);
  }
  const data = columns.build();
  return {
    async select(_m: LabelMatcher[], mint: number, maxt: number) {
      const lo = Math.max(0, Math.ceil(mint / SCRAPE_MS));
      const hi = Math.min(SAMPLES, Math.floor(maxt / SCRAPE_MS) + 1);
      const starts = new Uint32Array(SERIES);
      const ends = new Uint32Array(SERIES);
      for (let i = 0; i < SERIES; i++) {
        starts[i] = i * SAMPLES + lo;
        ends[i] = i * SAMPLES + Math.max(lo, hi);
      }
      return { ...data, starts, ends };
    },
    async series() {
      return data.labels;
    },
    async labelNames() {
      return [];
    },
    async labelValues() {
      return [];
    },
  };
}

export interface EngineBenchResult {
  expr: string;
  stepSeconds: number;
  ms: number;
  outputPoints: number;
}

export async function benchEngine(): Promise<EngineBenchResult[]> {
  const q = arrayQuerier();
  const engine = new Engine({ lookbackDeltaMs: 300_000, maxSamples: 50_000_000, timeoutMs: 120_000 });
  const queries: [string, number][] = [
    ['http_requests_total', 60_000],
    ['sum by (job) (rate(http_requests_total[5m]))', 60_000],
    ['sum by (job) (rate(http_requests_total[5m]))', 15_000],
    ['topk(5, http_requests_total)', 60_000],
    ['http_requests_total / on(instance) group_left http_requests_total', 60_000],
    ['max_over_time(rate(http_requests_total[1m])[10m:1m])', 60_000],
  ];
  const out: EngineBenchResult[] = [];
  for (const [expr, step] of queries) {
    const t0 = performance.now();
    const r = await engine.rangeQuery(q, expr, 3_600_000, 86_400_000 - SCRAPE_MS, step);
    const ms = performance.now() - t0;
    const outputPoints = r.resultType === 'matrix' ? r.result.reduce((n, s) => n + (s.values?.length ?? 0), 0) : 0;
    out.push({ expr, stepSeconds: step / 1000, ms: Math.round(ms), outputPoints });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchEngine()) {
    console.log(
      `${String(r.ms).padStart(6)} ms  step ${r.stepSeconds}s  ${r.outputPoints.toLocaleString('en')} points  ${r.expr}`,
    );
  }
}
