// Storage engine benchmark: append throughput (WAL fsync included), bytes/sample on disk after a block cut,
// memory per active series, and the time an open takes to replay the WAL of that many active series.
// Run: `node --expose-gc dist/src/tsdb/tsdb.bench.js [series] [append,bytes,memory,replay] [samples per series in
// head]`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PromSeries } from '../model/prometheus.js';
import { TenantDb } from './db.js';

export type TsdbBenchPart = 'append' | 'bytes' | 'memory' | 'replay';

export interface TsdbBenchResult {
  appendSamplesPerSec: number;
  /** WAL replay at open: samples per second, WAL bytes per sample. */
  replaySamplesPerSec: number;
  walBytesPerSample: number;
  appendBatchSize: number;
  appendConcurrency: number;
  bytesPerSample: Record<string, number>;
  heapBytesPerSeries: number;
  rssBytesPerSeries: number;
  headMemoryEstimatePerSeries: number;
  /** Opening a database whose WAL holds `series` series with REPLAY_ROUNDS samples each (as after a kill -9). */
  replayMs: number;
  replayCpuSeconds: number;
  series: number;
  samplesPerSeriesInHead: number;
}

const HOUR = 3600_000;
const STEP = 10_000;
const START = 1_700_000_000_000 - (1_700_000_000_000 % (2 * HOUR));

function seriesLabels(i: number): PromSeries['labels'] {
  return [
    { name: '__name__', value: `system_metric_${i % 200}` },
    { name: 'device', value: `dev${i % 7}` },
    { name: 'instance', value: `host-${String(Math.floor(i / 200)).padStart(5, '0')}.example.com` },
    { name: 'job', value: 'ddagent' },
    { name: 'type', value: 'gauge' },
  ];
}

/** Agent-like values by kind: constant, integer counter, slowly drifting float with 2 decimals, noisy float. */
export type ValueKind = 'constant' | 'counter' | 'gauge2dp' | 'noisy';

function valueAt(kind: ValueKind, i: number, k: number): number {
  switch (kind) {
    case 'constant':
      return 16_000_000_000 + i;
    case 'counter':
      return i * 1000 + k * ((i % 5) + 1) + Math.floor(k / 3); // monotonic, nearly constant rate
    case 'gauge2dp':
      return Math.round((50 + 10 * Math.sin(k / 60 + i)) * 100) / 100;
    case 'noisy':
      return 50 + 10 * Math.sin(k / 60 + i) + Math.sin(k * 12.9898 + i * 78.233) * 0.5;
  }
}

/** The mix used for the headline bytes/sample figure (most agent series are constant or counters). */
const MIX: ValueKind[] = [
  'constant',
  'constant',
  'counter',
  'counter',
  'gauge2dp',
  'gauge2dp',
  'constant',
  'counter',
  'gauge2dp',
  'noisy',
];

function batchAt(
  from: number,
  n: number,
  k: number,
  kindOf: (i: number) => ValueKind,
  labels: PromSeries['labels'][],
): PromSeries[] {
  const out: PromSeries[] = new Array(n);
  for (let j = 0; j < n; j++) {
    const i = from + j;
    out[j] = { labels: labels[i]!, timestamps: [START + k * STEP], values: [valueAt(kindOf(i), i, k)] };
  }
  return out;
}

async function measureAppend(
  dir: string,
  series: number,
  rounds: number,
  batch: number,
  concurrency: number,
): Promise<{ appendRate: number; replayRate: number; walBytesPerSample: number }> {
  const db = await TenantDb.open(dir, { futureToleranceMs: 1e15 });
  const labels = Array.from({ length: series }, (_, i) => seriesLabels(i));
  // Create the series first (their first samples), then time steady-state appends.
  for (let from = 0; from < series; from += batch)
    await db.append(batchAt(from, Math.min(batch, series - from), 0, (i) => MIX[i % 10]!, labels));
  const batches: PromSeries[][] = [];
  for (let k = 1; k <= rounds; k++) {
    for (let from = 0; from < series; from += batch)
      batches.push(batchAt(from, Math.min(batch, series - from), k, (i) => MIX[i % 10]!, labels));
  }
  let samples = 0;
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const b = batches[next++]!;
      const r = await db.append(b);
      samples += r.accepted;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - started) / 1000;
  const total = db.stats().headSamples;
  await db.close();
  const reopened = await TenantDb.open(dir, { futureToleranceMs: 1e15 });
  const { replayMs, walBytes } = reopened.stats();
  await reopened.close();
  return { appendRate: samples / secs, replayRate: total / (replayMs / 1000), walBytesPerSample: walBytes / total };
}

/** Samples per series in the WAL the replay part opens: the series were created and then had two appends. */
const REPLAY_ROUNDS = 3;

/**
 * Opens a database in `dir` and appends `series` series × REPLAY_ROUNDS samples to it, 10,000 series a request,
 * each durable before the next: the WAL a replay reads. Returns the database, still open.
 */
export async function fillForReplay(dir: string, series: number): Promise<TenantDb> {
  const db = await TenantDb.open(dir, { futureToleranceMs: 1e15 });
  const labels = Array.from({ length: series }, (_, i) => seriesLabels(i));
  for (let k = 0; k < REPLAY_ROUNDS; k++) {
    for (let from = 0; from < series; from += 10_000)
      await db.append(batchAt(from, Math.min(10_000, series - from), k, (i) => MIX[i % 10]!, labels));
  }
  return db;
}

/** The open's wall time to ready and the CPU seconds the process spent in it (the figure a loaded machine keeps). */
async function measureReplay(dir: string, series: number): Promise<{ ms: number; cpuSeconds: number }> {
  const db = await fillForReplay(dir, series);
  // Closing writes nothing more: the WAL holds what a kill -9 would leave.
  await db.close();
  (globalThis as { gc?: () => void }).gc?.();
  const cpu0 = process.cpuUsage();
  const reopened = await TenantDb.open(dir, { futureToleranceMs: 1e15 });
  const cpu = process.cpuUsage(cpu0);
  const { replayMs, headSeries } = reopened.stats();
  await reopened.close();
  if (headSeries !== series) throw new Error(`replay found ${headSeries} series, ${series} were written`);
  return { ms: replayMs, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

async function measureBytesPerSample(dir: string, series: number, kind: ValueKind | 'mix'): Promise<number> {
  const db = await TenantDb.open(dir, { futureToleranceMs: 1e15 });
  const labels = Array.from({ length: series }, (_, i) => seriesLabels(i));
  const kindOf = (i: number): ValueKind => (kind === 'mix' ? MIX[i % 10]! : kind);
  const steps = (2 * HOUR) / STEP;
  for (let k = 0; k < steps; k++) await db.append(batchAt(0, series, k, kindOf, labels));
  await db.cutHeadBefore(START + 2 * HOUR);
  const [meta] = db.blockMetas();
  const stats = db.stats();
  await db.close();
  return stats.blockBytes / meta!.stats.numSamples;
}

async function measureMemory(dir: string, series: number, samplesPerSeries: number): Promise<[number, number, number]> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const rss0 = process.memoryUsage().rss;
  const db = await TenantDb.open(dir, { futureToleranceMs: 1e15 });
  const labels = Array.from({ length: series }, (_, i) => seriesLabels(i).map((l) => ({ ...l })));
  for (let k = 0; k < samplesPerSeries; k++) {
    for (let from = 0; from < series; from += 10_000)
      await db.append(batchAt(from, Math.min(10_000, series - from), k, (i) => MIX[i % 10]!, labels));
  }
  labels.length = 0;
  // Freed ArrayBuffers (WAL records) are released by a task after the collection: a second one, a turn later,
  // counts them out (without it the figure varied by ~100 B/series run to run).
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc?.();
  // Arena pages and open-chunk buffers are ArrayBuffers: outside heapUsed, inside arrayBuffers.
  const heap = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heap0;
  const rss = process.memoryUsage().rss - rss0;
  const est = db.stats().headMemoryBytes;
  await db.close();
  return [heap / series, rss / series, est / series];
}

export async function runTsdbBench(
  opts: { series?: number; parts?: TsdbBenchPart[]; samplesInHead?: number; log?: (s: string) => void } = {},
): Promise<TsdbBenchResult> {
  const series = opts.series ?? 100_000;
  const parts = new Set(opts.parts ?? ['append', 'bytes', 'memory']);
  const log = opts.log ?? (() => {});
  const base = await mkdtemp(join(tmpdir(), 'promdog-tsdb-bench-'));
  try {
    const batch = 10_000;
    const concurrency = 4;
    const append = parts.has('append')
      ? await measureAppend(join(base, 'append'), series, 10, batch, concurrency)
      : { appendRate: NaN, replayRate: NaN, walBytesPerSample: NaN };
    if (parts.has('append')) {
      log(
        `append: ${Math.round(append.appendRate).toLocaleString()} samples/s (${series} series, batches of ${batch}, ${concurrency} in flight, fsync per group)`,
      );
      log(
        `WAL replay at open: ${Math.round(append.replayRate).toLocaleString()} samples/s; WAL ${append.walBytesPerSample.toFixed(1)} bytes/sample`,
      );
    }
    const bytesPerSample: Record<string, number> = {};
    for (const kind of parts.has('bytes') ? (['mix', 'constant', 'counter', 'gauge2dp', 'noisy'] as const) : []) {
      bytesPerSample[kind] = await measureBytesPerSample(join(base, `bps-${kind}`), Math.min(series, 2000), kind);
      log(`bytes/sample after block cut (${kind}, 10 s interval, 2 h block): ${bytesPerSample[kind]!.toFixed(3)}`);
    }
    // RSS is only meaningful when the memory part runs alone (earlier parts leave freed-but-kept heap behind).
    const samplesInHead = opts.samplesInHead ?? 360;
    const [heap, rss, est] = parts.has('memory')
      ? await measureMemory(join(base, 'mem'), series, samplesInHead)
      : [NaN, NaN, NaN];
    if (parts.has('memory'))
      log(
        `memory per active series (${series} series, ${samplesInHead} samples each = ${samplesInHead / 360} h at 10 s): heap+arrayBuffers ${Math.round(heap)} B, RSS ${Math.round(rss)} B, head estimate ${Math.round(est)} B`,
      );
    const replay = parts.has('replay')
      ? await measureReplay(join(base, 'replay'), series)
      : { ms: NaN, cpuSeconds: NaN };
    if (parts.has('replay'))
      log(
        `open with ${series} series × ${REPLAY_ROUNDS} samples in the WAL: ${Math.round(replay.ms)} ms to ready, ${replay.cpuSeconds.toFixed(2)} CPU s`,
      );
    return {
      replayMs: replay.ms,
      replayCpuSeconds: replay.cpuSeconds,
      appendSamplesPerSec: append.appendRate,
      replaySamplesPerSec: append.replayRate,
      walBytesPerSample: append.walBytesPerSample,
      appendBatchSize: batch,
      appendConcurrency: concurrency,
      bytesPerSample,
      heapBytesPerSeries: heap,
      rssBytesPerSeries: rss,
      headMemoryEstimatePerSeries: est,
      series,
      samplesPerSeriesInHead: samplesInHead,
    };
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const series = Number(process.argv[2] ?? 100_000);
  const parts = process.argv[3]?.split(',') as TsdbBenchPart[] | undefined;
  const samplesInHead = process.argv[4] ? Number(process.argv[4]) : undefined;
  await runTsdbBench({ series, parts, samplesInHead, log: (s) => console.log(s) });
}
