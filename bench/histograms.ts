// Native histograms, promdog's embedded store against Prometheus 2.42 (`--enable-feature=native-histograms`) on the
// same data, in one run. The data are Datadog sketches (one per series and 10 s interval, lognormal latencies) as
// the mapper turns them into native histograms (`mapping.distributions: native_histogram`).
// - Bytes per histogram sample on disk: BYTES_SERIES histogram series over one 2 h block range, appended to a
//   promdog TenantDb and remote-written to Prometheus; promdog's head cut into a block, Prometheus' head written out
//   as one (admin API snapshot); each block's files (index, chunks, meta) divided by its samples. (Through the
//   intake the stores would also hold the sketches' _min and _max gauges.)
// - Query latency: LATENCY_SERIES series over the last 5 minutes, posted as sketches to a local-mode promdog and to
//   a gateway-mode promdog that remote-writes into Prometheus; `histogram_quantile(0.99, sum by (group)
//   (rate(x[5m])))` at the data's end (median of N runs each, alternating; bench/query.ts).
//   node --max-semi-space-size=16 dist/bench/histograms.js [latencySeries] [runs]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DDSketchBuilder } from '../src/mapping/ddsketch.js';
import { SketchHistogramSeries } from '../src/mapping/sketch-histogram.js';
import type { FloatHistogram } from '../src/model/histogram.js';
import type { PromSeries } from '../src/model/prometheus.js';
import { encodeSnappyWriteRequest } from '../src/sinks/remote-write/encode.js';
import { TenantDb } from '../src/tsdb/db.js';
import { PrometheusProcess } from '../test/support/prometheus.js';
import { encodeSketchPayload, type SketchInput } from '../test/support/proto-writer.js';
import { seededRandom } from '../test/support/random.js';
import { benchQueries, type QueryCaseResult } from './query.js';
import { dirBytes } from './store.js';
import { type PromdogTarget, withStoreAndGateway } from './store-and-gateway.js';

const INTERVAL_S = 10;
const BLOCK_S = 2 * 3600;
const BYTES_SERIES = 100;
/** Values per sketch: what one host's distribution of one 10 s interval holds. */
const VALUES_PER_SKETCH = 30;
const SKETCHES_PER_REQUEST = 1000;
const GROUPS = 10;

export interface HistogramBenchResult {
  bytes: {
    series: number;
    intervals: number;
    promdog: { blockBytes: number; blockSamples: number; bytesPerSample: number };
    prometheus: { blockBytes: number; blockSamples: number; bytesPerSample: number };
    ratio: number;
  };
  latency: { series: number; intervals: number; runs: number; cases: QueryCaseResult[] };
}

/** Series `s`'s sketch of one interval: lognormal values around the series' own median. */
function sketchBuilder(s: number, r: () => number): DDSketchBuilder {
  const median = Math.log(5 + ((s * 37) % 200));
  const b = new DDSketchBuilder();
  for (let v = 0; v < VALUES_PER_SKETCH; v++)
    b.add(Math.exp(median + 0.6 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())));
  return b;
}

function sketch(metric: string, s: number, ts: number, r: () => number): SketchInput {
  const p = sketchBuilder(s, r).toPoint(ts);
  return {
    metric,
    host: `host-${Math.floor(s / GROUPS)}`,
    tags: [`group:g${s % GROUPS}`],
    dogsketches: [{ ts, cnt: p.cnt, min: p.min, max: p.max, avg: p.avg, sum: p.sum, k: p.keys, n: p.counts }],
  };
}

async function postSketches(t: PromdogTarget, sketches: SketchInput[]): Promise<void> {
  for (let i = 0; i < sketches.length; i += SKETCHES_PER_REQUEST) {
    const res = await fetch(`${t.pd.url}/api/beta/sketches`, {
      method: 'POST',
      headers: { 'dd-api-key': t.key, 'content-type': 'application/x-protobuf' },
      body: encodeSketchPayload(sketches.slice(i, i + SKETCHES_PER_REQUEST)),
    });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`${t.pd.url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
}

/** Every series' sketches of the intervals [fromS, toS), in time order, into both promdogs. */
async function load(
  targets: PromdogTarget[],
  metric: string,
  series: number,
  fromS: number,
  toS: number,
): Promise<number> {
  const r = seededRandom(series);
  let n = 0;
  for (let ts = fromS; ts < toS; ts += INTERVAL_S) {
    const sketches = Array.from({ length: series }, (_, s) => sketch(metric, s, ts, r));
    await Promise.all(targets.map((t) => postSketches(t, sketches)));
    n += series;
  }
  return n;
}

interface BlockFigures {
  blockBytes: number;
  blockSamples: number;
  bytesPerSample: number;
}

function blockStats(blockDir: string): BlockFigures {
  const meta = JSON.parse(readFileSync(join(blockDir, 'meta.json'), 'utf8')) as { stats: { numSamples: number } };
  const blockBytes = dirBytes(blockDir);
  return { blockBytes, blockSamples: meta.stats.numSamples, bytesPerSample: blockBytes / meta.stats.numSamples };
}

/** BYTES_SERIES series of native histograms over [b0, b0 + 2 h), as the mapper makes them of the sketches. */
function bytesData(b0: number): PromSeries[] {
  const r = seededRandom(BYTES_SERIES);
  return Array.from({ length: BYTES_SERIES }, (_, s) => {
    const state = new SketchHistogramSeries();
    const timestamps: number[] = [];
    const histograms: FloatHistogram[] = [];
    for (let i = 0, ts = b0; ts < b0 + BLOCK_S; i++, ts += INTERVAL_S) {
      timestamps.push(ts * 1000);
      histograms.push(state.add(sketchBuilder(s, r).toPoint(ts), ts * 1000, i)!);
    }
    return {
      labels: [
        { name: '__name__', value: 'bench_bytes_histogram' },
        { name: 'instance', value: `host-${s}` },
      ],
      timestamps: [],
      values: [],
      histograms: { timestamps, histograms },
    };
  });
}

/** The data 10 minutes at a time, like agents flushing (Prometheus only appends within an hour of its newest). */
function* timeSlices(data: PromSeries[], b0: number): Generator<PromSeries[]> {
  for (let t = b0 * 1000; t < (b0 + BLOCK_S) * 1000; t += 600_000) {
    yield data.map((s) => {
      const h = s.histograms!;
      const idx = h.timestamps.flatMap((x, i) => (x >= t && x < t + 600_000 ? [i] : []));
      const histograms = { timestamps: idx.map((i) => h.timestamps[i]!), histograms: idx.map((i) => h.histograms[i]!) };
      return { labels: s.labels, timestamps: [], values: [], histograms };
    });
  }
}

async function promdogBlock(data: PromSeries[], b0: number): Promise<BlockFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-bench-nh-block-'));
  const db = await TenantDb.open(dir);
  try {
    for (const slice of timeSlices(data, b0)) await db.append(slice);
    await db.cutHeadBefore((b0 + BLOCK_S) * 1000);
    const [meta] = db.blockMetas();
    if (!meta) throw new Error('promdog cut no block');
    return blockStats(join(dir, meta.ulid));
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function prometheusBlock(prom: PrometheusProcess, data: PromSeries[], b0: number): Promise<BlockFigures> {
  for (const slice of timeSlices(data, b0)) {
    const res = await fetch(prom.remoteWriteUrl, {
      method: 'POST',
      body: encodeSnappyWriteRequest(slice),
      headers: { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' },
    });
    if (res.status !== 204) throw new Error(`remote write: ${res.status} ${await res.text()}`);
  }
  const res = await fetch(`${prom.url}/api/v1/admin/tsdb/snapshot?skip_head=false`, { method: 'POST' });
  const snapshot = join(prom.dataDir, 'snapshots', ((await res.json()) as { data: { name: string } }).data.name);
  const [block] = readdirSync(snapshot);
  if (!block) throw new Error('Prometheus snapshot holds no block');
  return blockStats(join(snapshot, block));
}

export async function benchHistograms(
  opts: { latencySeries?: number; runs?: number; log?: (s: string) => void } = {},
): Promise<HistogramBenchResult> {
  const latencySeries = opts.latencySeries ?? 10_000;
  // A query over 10k histogram series takes seconds in both stores: fewer runs than bench/query.ts' 7.
  const runs = opts.runs ?? 3;
  const log = opts.log ?? (() => {});
  const nowS = Math.floor(Date.now() / 1000 / INTERVAL_S) * INTERVAL_S;
  // Bytes first, on a Prometheus of their own (its snapshot is the whole head): the last full block range.
  const b0 = Math.floor((nowS - 600) / BLOCK_S) * BLOCK_S - BLOCK_S;
  const data = bytesData(b0);
  const promdogBytes = await promdogBlock(data, b0);
  const bytesProm = await PrometheusProcess.start({ features: ['native-histograms'] });
  let prometheusBytes: BlockFigures;
  try {
    prometheusBytes = await prometheusBlock(bytesProm, data, b0);
  } finally {
    await bytesProm.cleanup();
  }
  const blockSamples = BYTES_SERIES * (BLOCK_S / INTERVAL_S);
  for (const [who, b] of [
    ['promdog', promdogBytes],
    ['Prometheus', prometheusBytes],
  ] as const) {
    if (b.blockSamples !== blockSamples)
      throw new Error(`${who}'s block holds ${b.blockSamples} samples, not ${blockSamples}`);
  }
  log(
    `bytes: ${BYTES_SERIES} series × ${BLOCK_S / INTERVAL_S} samples; promdog ${promdogBytes.blockBytes} bytes, ` +
      `Prometheus ${prometheusBytes.blockBytes} bytes`,
  );

  const pair = {
    dirPrefix: 'promdog-bench-nh',
    prometheus: { features: ['native-histograms'] },
    configYaml: 'mapping:\n  distributions: native_histogram\n',
  };
  return withStoreAndGateway(pair, async (store, gateway, prom) => {
    const targets = [store, gateway];

    // Latency: the last 5 minutes (and a bit) of LATENCY_SERIES series, after the bytes data.
    const latencyIntervals = 5 * (60 / INTERVAL_S) + 2;
    const from = nowS - (latencyIntervals - 1) * INTERVAL_S;
    const latencyStart = performance.now();
    await load(targets, 'bench.latency', latencySeries, from, nowS + INTERVAL_S);
    log(
      `latency data: ${latencySeries} series × ${latencyIntervals} intervals into both in ` +
        `${((performance.now() - latencyStart) / 1000).toFixed(1)} s`,
    );
    const p99 = 'histogram_quantile(0.99, sum by (group) (rate(bench_latency_histogram[5m])))';
    const cases = await benchQueries({
      promdog: { url: store.pd.url, headers: { authorization: `Bearer ${store.key}` } },
      prometheus: { url: prom.url },
      cases: [{ name: 'p99 by group, instant', query: p99, endSec: nowS }],
      runs,
    });
    return {
      bytes: {
        series: BYTES_SERIES,
        intervals: BLOCK_S / INTERVAL_S,
        promdog: promdogBytes,
        prometheus: prometheusBytes,
        ratio: promdogBytes.bytesPerSample / prometheusBytes.bytesPerSample,
      },
      latency: { series: latencySeries, intervals: latencyIntervals, runs, cases },
    };
  });
}

export function printHistogramResult(r: HistogramBenchResult, print: (s: string) => void): void {
  const b = r.bytes;
  print(
    `bytes/histogram sample in a 2 h block (${b.series} series, sketches every ${INTERVAL_S} s): promdog ` +
      `${b.promdog.bytesPerSample.toFixed(2)}, Prometheus ${b.prometheus.bytesPerSample.toFixed(2)}, ratio ` +
      `${b.ratio.toFixed(2)} (target ≤ 1.0)`,
  );
  for (const c of r.latency.cases) {
    print(
      `${c.name} over ${r.latency.series} series: promdog ${c.promdogMedianMs.toFixed(1)} ms, Prometheus ` +
        `${c.prometheusMedianMs.toFixed(1)} ms, ratio ${c.ratio.toFixed(2)} (target ≤ 1.0); result series ` +
        `${c.promdogSeries}/${c.prometheusSeries}`,
    );
  }
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const [latencySeries, runs] = process.argv.slice(2).map(Number);
  const r = await benchHistograms({
    ...(latencySeries ? { latencySeries } : {}),
    ...(runs ? { runs } : {}),
    log: (s) => console.log(s),
  });
  printHistogramResult(r, (s) => console.log(s));
}
