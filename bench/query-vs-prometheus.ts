// Query latency of promdog's embedded store vs Prometheus holding identical data, both loaded the way users load
// them: the data set of test/api/dataset.ts as Datadog v1 JSON posted to promdog's `/api/v1/series` (embedded
// store) and to a gateway-mode promdog that remote-writes it into a real Prometheus 2.42. The same mapping runs on
// both paths, so both hold the same series and samples (the series counts of every answer are compared).
// bench/query.ts' benchQueries measures (median of N runs per query, alternating).
//   node --max-semi-space-size=16 dist/bench/query-vs-prometheus.js [hosts] [hours] [runs]
// With PROMDOG_CPU_PROF_DIR=<dir> the embedded-store server writes a CPU profile there (bench/server-probe.ts);
// QUERY_CASES="name,name" runs only those of the default cases.
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import type { PromSeries } from '../src/model/prometheus.js';
import { datasetSpan, makeDataset, timeSlices } from '../test/api/dataset.js';
import { benchQueries, defaultQueryCases, type QueryCase, type QueryCaseResult } from './query.js';
import { type PromdogTarget, withStoreAndGateway } from './store-and-gateway.js';

export interface QueryVsPrometheusResult {
  hosts: number;
  hours: number;
  series: number;
  samples: number;
  runs: number;
  cases: QueryCaseResult[];
  /** Median and maximum of the per-query ratios promdog / Prometheus (targets: ≤ 1.0 and ≤ 3). */
  medianRatio: number;
  maxRatio: number;
  /** Cases whose answers had different series counts (should be none). */
  mismatches: string[];
}

/**
 * A slice as Datadog v1 JSON that maps back to the same samples: metric = __name__, host = instance, every other
 * label a `key:value` tag (job becomes exported_job next to promdog's job="ddagent"), fractional-second timestamps
 * (the data set's are not whole seconds).
 */
function datadogV1Body(slice: PromSeries[]): Buffer {
  const series = slice.map((s) => {
    const get = (n: string) => s.labels.find((l) => l.name === n)?.value ?? '';
    return {
      metric: get('__name__'),
      type: 'gauge',
      host: get('instance'),
      tags: s.labels.filter((l) => l.name !== '__name__' && l.name !== 'instance').map((l) => `${l.name}:${l.value}`),
      points: s.timestamps.map((t, i) => [t / 1000, s.values[i]!]),
    };
  });
  return deflateSync(JSON.stringify({ series }));
}

async function postSeries(t: PromdogTarget, body: Buffer): Promise<void> {
  const res = await fetch(`${t.pd.url}/api/v1/series`, {
    method: 'POST',
    headers: { 'dd-api-key': t.key, 'content-type': 'application/json', 'content-encoding': 'deflate' },
    body,
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`${t.pd.url}/api/v1/series: HTTP ${res.status}: ${text.slice(0, 300)}`);
}

/** Every sample in the span, counted by the store (both hold all of it, or the comparison is of different data). */
async function countSamples(
  baseUrl: string,
  headers: Record<string, string>,
  span: { minMs: number; maxMs: number },
): Promise<number> {
  const range = `${Math.ceil((span.maxMs - span.minMs) / 1000) + 60}s`;
  const params = new URLSearchParams({
    query: `sum(count_over_time({__name__=~".+"}[${range}]))`,
    time: String(span.maxMs / 1000 + 1),
  });
  const res = await fetch(`${baseUrl}/api/v1/query?${params}`, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${baseUrl}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  const result = (JSON.parse(text) as { data: { result: { value: [number, string] }[] } }).data.result;
  return result.length ? Number(result[0]!.value[1]) : 0;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function benchQueryVsPrometheus(
  opts: {
    hosts?: number;
    hours?: number;
    runs?: number;
    cpuProfDir?: string;
    cases?: (span: { minMs: number; maxMs: number }) => QueryCase[];
    log?: (s: string) => void;
  } = {},
): Promise<QueryVsPrometheusResult> {
  const hosts = opts.hosts ?? 200;
  const hours = opts.hours ?? 6;
  const runs = opts.runs ?? 7;
  const log = opts.log ?? (() => {});
  // bench/server-probe.ts writes a CPU profile of the embedded-store server when asked to.
  const probe = (dir: string) => ({
    NODE_OPTIONS: `--import=${fileURLToPath(new URL('./server-probe.js', import.meta.url))}`,
    PROMDOG_CPU_PROF_DIR: dir,
  });
  const pair = { dirPrefix: 'promdog-bench-query', ...(opts.cpuProfDir ? { storeEnv: probe(opts.cpuProfDir) } : {}) };
  return withStoreAndGateway(pair, async (store, gateway, prom) => {
    const data = makeDataset({ startMs: Date.now() - hours * 3600_000, durationMs: hours * 3600_000, hosts });
    let samples = 0;
    for (const s of data) samples += s.timestamps.length;
    const loadStart = performance.now();
    // In time order, 10 minutes at a time: Prometheus only appends near its newest sample.
    for (const slice of timeSlices(data, 10 * 60_000)) {
      const body = datadogV1Body(slice);
      await Promise.all([postSeries(store, body), postSeries(gateway, body)]);
    }
    log(
      `loaded ${data.length} series, ${samples} samples (${hours} h) into both in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
    );
    const span = datasetSpan(data);
    const storeCount = await countSamples(store.pd.url, { authorization: `Bearer ${store.key}` }, span);
    const promCount = await countSamples(prom.url, {}, span);
    if (storeCount !== samples || promCount !== samples)
      throw new Error(`samples stored: promdog ${storeCount}, Prometheus ${promCount}; ${samples} sent`);

    const cases = await benchQueries({
      promdog: { url: store.pd.url, headers: { authorization: `Bearer ${store.key}` } },
      prometheus: { url: prom.url },
      cases: (opts.cases ?? defaultQueryCases)(span),
      runs,
    });
    const ratios = cases.map((c) => c.ratio);
    return {
      hosts,
      hours,
      series: data.length,
      samples,
      runs,
      cases,
      medianRatio: median(ratios),
      maxRatio: Math.max(...ratios),
      mismatches: cases.filter((c) => c.promdogSeries !== c.prometheusSeries).map((c) => c.name),
    };
  });
}

/** One line per query, then the median and max ratio. */
export function printQueryResult(r: QueryVsPrometheusResult, print: (s: string) => void): void {
  for (const c of r.cases) {
    print(
      `${c.name.padEnd(32)} promdog ${c.promdogMedianMs.toFixed(1).padStart(8)} ms  Prometheus ${c.prometheusMedianMs.toFixed(1).padStart(8)} ms  ` +
        `ratio ${c.ratio.toFixed(2).padStart(5)}  series ${c.promdogSeries}/${c.prometheusSeries}`,
    );
  }
  print(
    `median ratio ${r.medianRatio.toFixed(2)} (target ≤ 1.0), max ratio ${r.maxRatio.toFixed(2)} (target ≤ 3)` +
      (r.mismatches.length ? `; series counts differ: ${r.mismatches.join(', ')}` : ''),
  );
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const [hosts, hours, runs] = process.argv.slice(2).map(Number);
  const r = await benchQueryVsPrometheus({
    ...(hosts ? { hosts } : {}),
    ...(hours ? { hours } : {}),
    ...(runs ? { runs } : {}),
    ...(process.env.PROMDOG_CPU_PROF_DIR ? { cpuProfDir: process.env.PROMDOG_CPU_PROF_DIR } : {}),
    // QUERY_CASES=name,name: only these of the default cases (e.g. to profile one).
    ...(process.env.QUERY_CASES
      ? {
          cases: (span: { minMs: number; maxMs: number }) =>
            defaultQueryCases(span).filter((c) => process.env.QUERY_CASES!.split(',').includes(c.name)),
        }
      : {}),
    log: (s) => console.log(s),
  });
  printQueryResult(r, (s) => console.log(s));
}
