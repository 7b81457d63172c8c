import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { RegistryCollector, SelfScraper } from '../src/selfmon/self-scrape.js';
import { registerProcessMetrics } from '../src/selfmon/metrics.js';
import { httpMetrics } from '../src/server/metrics.js';
import { ingestMetrics, intakeMetrics } from '../src/intake/metrics.js';
import { queryApiMetrics } from '../src/api/metrics.js';
import { Storage } from '../src/tsdb/storage.js';
import { EmbeddedStoreSink } from '../src/sinks/embedded/store-sink.js';

// Cost of one self-scrape of a busy registry (many tenants, routes and codes): collecting the registry into series,
// and the whole scrape into a real embedded store (WAL fsync included), next to rendering /metrics as text.
// Run: `node dist/bench/self-scrape.js [--tenants N]`.

const tenantsArg = process.argv.indexOf('--tenants');
const TENANTS = tenantsArg > 0 ? Number(process.argv[tenantsArg + 1]) : 20;
const ROUNDS = 50;

/** The server's families (process, HTTP, intake, ingest, query API), busy; the ingest families are returned. */
function busyRegistry(registry: Registry): ReturnType<typeof ingestMetrics> {
  registerProcessMetrics(registry);
  const http = httpMetrics(registry);
  const intake = intakeMetrics(registry);
  const ingest = ingestMetrics(registry);
  const intakeRoutes = [
    '/api/v2/series',
    '/api/v1/series',
    '/api/beta/sketches',
    '/api/v1/check_run',
    '/intake/',
    '/api/v1/metadata',
    '/api/v1/validate',
  ];
  const queryRoutes = [
    '/api/v1/query',
    '/api/v1/query_range',
    '/api/v1/series',
    '/api/v1/labels',
    '/api/v1/label/:name/values',
  ];
  for (let t = 0; t < TENANTS; t++) {
    const tenant = `tenant-${t}`;
    for (const route of intakeRoutes)
      for (const code of ['202', '400', '413', '503']) http.requests.inc({ tenant, route, method: 'POST', code });
    for (const route of queryRoutes)
      for (const code of ['200', '400', '422']) http.requests.inc({ tenant, route, method: 'GET', code });
    for (const kind of ['series', 'sketch', 'service_check', 'dogstatsd'])
      ingest.samplesAccepted.inc({ tenant, kind }, 1000);
    for (const reason of ['too_old', 'too_far_in_future', 'series_limit', 'invalid_value'])
      ingest.samplesRejected.inc({ tenant, reason });
    ingest.seriesAccepted.inc({ tenant });
  }
  for (const route of [...intakeRoutes, ...queryRoutes, 'unmatched', '/metrics']) {
    http.duration.observe({ route }, 0.004);
    intake.payloadBytes.observe({ route, stage: 'compressed' }, 5000);
    intake.payloadBytes.observe({ route, stage: 'decompressed' }, 50_000);
    intake.requestsRejected.inc({ route, reason: 'forbidden' });
  }
  const q = queryApiMetrics(registry);
  for (const endpoint of ['query', 'query_range', 'series', 'labels', 'label_values']) {
    q.requests.inc({ endpoint, code: '200' });
    q.duration.observe({ endpoint }, 0.01);
  }
  return ingest;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall time and mean CPU time (user + system, this process) per call, in ms. */
async function timed(fn: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }> {
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: median(times), cpuMs: (cpu.user + cpu.system) / 1000 / ROUNDS };
}

const show = (t: { wallMs: number; cpuMs: number }) =>
  `${t.wallMs.toFixed(2)} ms wall (median), ${t.cpuMs.toFixed(2)} ms CPU (mean)`;

async function main(): Promise<void> {
  const registry = new Registry();
  const ingest = busyRegistry(registry);
  const collector = new RegistryCollector(registry, [
    { name: 'instance', value: 'bench:9099' },
    { name: 'job', value: 'promdog' },
  ]);
  const series = (await collector.collect(Date.now())).series.length;
  const renderMs = await timed(() => registry.metrics());
  let t = Date.now();
  const collectMs = await timed(() => collector.collect(++t));

  const dir = mkdtempSync(join(tmpdir(), 'promdog-selfscrape-bench-'));
  const storage = new Storage({ dataDir: dir });
  const sink = new EmbeddedStoreSink(storage);
  const scraper = new SelfScraper({
    registry,
    append: async (batch, deadline) => (await sink.write(batch, deadline)).rejected,
    samplesRejected: ingest.samplesRejected,
    intervalMs: 15_000,
    instance: 'bench:9099',
    logger: { warn: (o, msg) => console.error(msg, o) },
  });
  let ts = Date.now();
  await scraper.scrapeOnce(ts); // first: creates the system tenant's series
  const scrapeMs = await timed(() => scraper.scrapeOnce((ts += 15_000)));
  await sink.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });

  console.log(`self-scrape of a registry with ${series} series (${TENANTS} tenants), ${ROUNDS} rounds each:`);
  console.log(`  render /metrics text         ${show(renderMs)}`);
  console.log(`  collect into series          ${show(collectMs)}`);
  console.log(`  whole scrape into the store  ${show(scrapeMs)} (collect, append, WAL fsync)`);
}

await main();
