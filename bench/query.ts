// Query latency, promdog vs Prometheus holding identical data: the same query set against both HTTP APIs, median
// of N runs per query, and the ratio (promdog / Prometheus; below 1 means promdog is faster).
//
// `loadQueryBenchData` writes one data set into both (Prometheus by remote write, promdog through the caller's
// callback, e.g. the embedded store's appender); `benchQueries` measures. `benchQueriesOverMemory` runs the whole
// thing with promdog's API over an in-memory Querier (the engine and API without the store):
//   node dist/bench/query.js [hosts] [hours] [runs]
import Fastify, { type FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { PromSeries } from '../src/model/prometheus.js';
import { registerQueryApi } from '../src/api/routes.js';
import { requestTenants } from '../src/tenants/request-tenant.js';
import { acceptRawBodies } from '../src/http/raw-bodies.js';
import { Registry } from 'prom-client';
import { PrometheusProcess } from '../test/support/prometheus.js';
import { freePort } from '../test/support/ports.js';
import { datasetSpan, makeDataset, memoryQuerierOf, remoteWrite, timeSlices } from '../test/api/dataset.js';

export interface QueryTarget {
  /** Base URL, e.g. http://127.0.0.1:9099 */
  url: string;
  /** Auth for promdog, e.g. { authorization: 'Bearer <tenant key>' }. */
  headers?: Record<string, string>;
}

export interface QueryCase {
  name: string;
  query: string;
  /** Range query over [startSec, endSec] with stepSec, or an instant query at endSec when stepSec is absent. */
  startSec?: number;
  endSec: number;
  stepSec?: number;
}

export interface QueryCaseResult {
  name: string;
  query: string;
  promdogMedianMs: number;
  prometheusMedianMs: number;
  /** promdog / Prometheus. */
  ratio: number;
  /** Result series of each (a sanity check that both answered the same question). */
  promdogSeries: number;
  prometheusSeries: number;
}

export interface LoadOptions {
  prometheusRemoteWriteUrl: string;
  /** Writes one time slice (every series' samples of a 10-minute window, slices in time order) into promdog. */
  writePromdog: (slice: PromSeries[]) => Promise<void>;
  hosts?: number;
  durationMs?: number;
  /** Data ends here (ms). Default: now. */
  endMs?: number;
}

/** Writes the same generated data set (test/api/dataset.ts) into Prometheus and promdog; returns its time span. */
export async function loadQueryBenchData(
  opts: LoadOptions,
): Promise<{ minMs: number; maxMs: number; samples: number; series: number }> {
  const durationMs = opts.durationMs ?? 6 * 3600_000;
  const data = makeDataset({ startMs: (opts.endMs ?? Date.now()) - durationMs, durationMs, hosts: opts.hosts ?? 50 });
  await remoteWrite(opts.prometheusRemoteWriteUrl, data);
  for (const slice of timeSlices(data, 10 * 60_000)) await opts.writePromdog(slice);
  let samples = 0;
  for (const s of data) samples += s.timestamps.length;
  return { ...datasetSpan(data), samples, series: data.length };
}

/** A Grafana-dashboard-like query set over a data span: range queries at 60 s steps (aligned) and instant queries. */
export function defaultQueryCases(span: { minMs: number; maxMs: number }): QueryCase[] {
  const step = 60;
  const endSec = Math.floor(span.maxMs / 1000 / step) * step;
  const startSec = Math.ceil(span.minMs / 1000 / step) * step + 15 * step;
  const range = (name: string, query: string): QueryCase => ({ name, query, startSec, endSec, stepSec: step });
  const instant = (name: string, query: string): QueryCase => ({ name, query, endSec });
  return [
    range('selector', 'temperature_celsius'),
    range('rate', 'rate(http_requests_total[5m])'),
    range('sum by rate', 'sum by (code) (rate(http_requests_total[5m]))'),
    range(
      'ratio with matching',
      'sum by (instance) (rate(http_requests_total{code="500"}[5m])) / sum by (instance) (rate(http_requests_total[5m]))',
    ),
    range('topk', 'topk(5, rate(node_cpu_seconds_total{mode!="idle"}[5m]))'),
    range('quantile', 'quantile(0.95, avg_over_time(temperature_celsius[10m]))'),
    range('subquery', 'max_over_time(rate(http_requests_total[5m])[30m:1m])'),
    range('increase 1h', 'increase(http_requests_total[1h])'),
    instant('instant sum', 'sum(rate(http_requests_total[5m]))'),
    instant('instant label values via count', 'count by (instance) (node_memory_free_bytes)'),
  ];
}

async function timedQuery(target: QueryTarget, c: QueryCase): Promise<{ ms: number; series: number }> {
  const params = new URLSearchParams({ query: c.query });
  let path = '/api/v1/query';
  if (c.stepSec !== undefined) {
    path = '/api/v1/query_range';
    params.set('start', String(c.startSec));
    params.set('end', String(c.endSec));
    params.set('step', String(c.stepSec));
  } else params.set('time', String(c.endSec));
  const t0 = performance.now();
  const res = await fetch(target.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...target.headers },
    body: params.toString(),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${target.url}${path} ${c.query}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { data: { result: unknown } };
  return { ms, series: Array.isArray(body.data.result) ? body.data.result.length : 1 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Runs every case `runs` times against each target (alternating, after one warm-up each); medians and ratios. */
export async function benchQueries(opts: {
  promdog: QueryTarget;
  prometheus: QueryTarget;
  cases: QueryCase[];
  runs?: number;
}): Promise<QueryCaseResult[]> {
  const runs = opts.runs ?? 7;
  const out: QueryCaseResult[] = [];
  for (const c of opts.cases) {
    const ours = await timedQuery(opts.promdog, c);
    const theirs = await timedQuery(opts.prometheus, c);
    const p: number[] = [];
    const q: number[] = [];
    for (let i = 0; i < runs; i++) {
      p.push((await timedQuery(opts.promdog, c)).ms);
      q.push((await timedQuery(opts.prometheus, c)).ms);
    }
    const promdogMedianMs = median(p);
    const prometheusMedianMs = median(q);
    out.push({
      name: c.name,
      query: c.query,
      promdogMedianMs,
      prometheusMedianMs,
      ratio: promdogMedianMs / prometheusMedianMs,
      promdogSeries: ours.series,
      prometheusSeries: theirs.series,
    });
  }
  return out;
}

/** The API over an in-memory Querier vs a real Prometheus (test/support/prometheus.ts), same data. */
export async function benchQueriesOverMemory(
  opts: { hosts?: number; durationMs?: number; runs?: number } = {},
): Promise<QueryCaseResult[]> {
  const prom = await PrometheusProcess.start();
  let app: FastifyInstance | undefined;
  try {
    const slices: PromSeries[] = [];
    const span = await loadQueryBenchData({
      prometheusRemoteWriteUrl: prom.remoteWriteUrl,
      writePromdog: async (slice) => void slices.push(...slice),
      ...(opts.hosts !== undefined ? { hosts: opts.hosts } : {}),
      ...(opts.durationMs !== undefined ? { durationMs: opts.durationMs } : {}),
    });
    const querier = memoryQuerierOf(slices);
    app = Fastify() as unknown as FastifyInstance;
    acceptRawBodies(app);
    registerQueryApi(app, {
      querierFor: () => querier,
      resolveTenant: requestTenants({ tenantForKey: () => undefined }, true).query,
      registry: new Registry(),
      limits: { maxSamples: 50_000_000, timeoutMs: 120_000, maxConcurrent: 4 },
    });
    const port = await freePort();
    await app.listen({ host: '127.0.0.1', port });
    return await benchQueries({
      promdog: { url: `http://127.0.0.1:${port}` },
      prometheus: { url: prom.url },
      cases: defaultQueryCases(span),
      ...(opts.runs !== undefined ? { runs: opts.runs } : {}),
    });
  } finally {
    await app?.close();
    await prom.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [hosts, hours, runs] = process.argv.slice(2).map(Number);
  const results = await benchQueriesOverMemory({
    hosts: hosts || 50,
    durationMs: (hours || 6) * 3600_000,
    runs: runs || 7,
  });
  for (const r of results) {
    console.log(
      `${r.name.padEnd(32)} promdog ${r.promdogMedianMs.toFixed(1).padStart(8)} ms  Prometheus ${r.prometheusMedianMs.toFixed(1).padStart(8)} ms  ` +
        `ratio ${r.ratio.toFixed(2)}  series ${r.promdogSeries}/${r.prometheusSeries}`,
    );
  }
}
