// Embedded store vs VictoriaMetrics, side by side on the same Datadog v1 JSON payloads (`/api/v1/series`, deflate,
// 10k points a request, a fixed number in flight): ingest samples/s, on-disk bytes per sample, and promdog's RSS per
// active series. Each system runs alone (promdog first, then VictoriaMetrics), so they never share the CPU.
//
// - Ingest: N active series (hosts × per-host metrics × tags, Agent-like), one point per series per 10 s round; a
//   creation round (every series new) and then steady-state rounds. promdog answers 202 after the WAL fsync;
//   VictoriaMetrics answers 202 once the rows are in its in-memory buffers (durable ~1 s later), so its figure is
//   also given up to the end of an /internal/force_flush.
// - Bytes per sample: fewer series with > 3 h of points, so promdog's head cuts a 2 h block by itself (it cuts once
//   the head spans 1.5 block ranges), starting at a block boundary so the block is full; promdog's figure is that
//   block's files / its samples. VictoriaMetrics: its whole -storageDataPath (data and indexdb) after force_flush
//   and a force_merge, / every sample.
// - RSS: VmRSS of the promdog process before the ingest and after it (N series, each with its head chunk open), as
//   it is and after a full GC (bench/server-probe.ts), and the live JS heap per series.
//
// Every figure is checked against what the store answers: a count of series and samples by PromQL on both.
//   node --max-semi-space-size=16 dist/bench/store.js [series] [rounds] [bytesSeries]
// With PROMDOG_CPU_PROF_DIR=<dir>, each promdog process writes a CPU profile there (bench/server-probe.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { spawnPromdog, type PromdogProcess } from '../test/support/process.js';
import { freePort } from '../test/support/ports.js';
import { PrometheusProcess } from '../test/support/prometheus.js';
import type { GcStats, MemoryBreakdown } from './server-probe.js';
import { METRICS_PER_HOST, STEP_S, seriesPrefix, seriesValue, type ValueMix } from '../test/support/agent-series.js';

const POINTS_PER_REQUEST = 10_000;
const BLOCK_S = 2 * 3600;
/**
 * Deflated v1 bodies for `workers` senders, each with its own hosts (so one series' points always arrive in order,
 * as from one Agent): series [0, series) split into contiguous groups, `pointsPerSeries` consecutive points per series
 * per request from t0 (s) on, for `steps` steps; every request holds POINTS_PER_REQUEST points.
 */
export function makeBodies(
  series: number,
  workers: number,
  steps: number,
  pointsPerSeries: number,
  t0: number,
  tag: string,
  mix: ValueMix,
): Buffer[][] {
  const seriesPerRequest = Math.floor(POINTS_PER_REQUEST / pointsPerSeries);
  const groupSize = Math.ceil(series / workers / METRICS_PER_HOST) * METRICS_PER_HOST;
  return Array.from({ length: workers }, (_, w) => {
    const lo = Math.min(series, w * groupSize);
    const hi = Math.min(series, lo + groupSize);
    const prefixes = Array.from({ length: hi - lo }, (_, j) => seriesPrefix(lo + j, tag));
    const bodies: Buffer[] = [];
    for (let k0 = 0; k0 < steps; k0 += pointsPerSeries) {
      const kEnd = Math.min(steps, k0 + pointsPerSeries);
      bodies.push(...stepBodies(lo, hi, k0, kEnd, seriesPerRequest, prefixes, t0, mix));
    }
    return bodies;
  });
}

/** Bodies of series [lo, hi) (prefixes[i - lo] each) with points of steps [k0, kEnd), seriesPerRequest a body. */
function stepBodies(
  lo: number,
  hi: number,
  k0: number,
  kEnd: number,
  seriesPerRequest: number,
  prefixes: string[],
  t0: number,
  mix: ValueMix,
): Buffer[] {
  const bodies: Buffer[] = [];
  for (let from = lo; from < hi; from += seriesPerRequest) {
    const parts: string[] = [];
    for (let i = from; i < Math.min(hi, from + seriesPerRequest); i++) {
      let pts = '';
      for (let k = k0; k < kEnd; k++) pts += `${k > k0 ? ',' : ''}[${t0 + k * STEP_S},${seriesValue(mix, i, k)}]`;
      parts.push(`${prefixes[i - lo]}${pts}]}`);
    }
    bodies.push(deflateSync(`{"series":[${parts.join(',')}]}`));
  }
  return bodies;
}

/**
 * The out-of-order shape: the creation round split between the workers as makeBodies does, then each later step
 * of every series sent by one worker (step k by worker (k - 1) mod workers), all workers at once, so the steps of
 * one series arrive in any order, as flushes of one Agent retried or sent over several connections do.
 */
function makeInterleavedBodies(
  series: number,
  workers: number,
  steps: number,
  t0: number,
  tag: string,
  mix: ValueMix,
): IngestBodies {
  const prefixes = Array.from({ length: series }, (_, i) => seriesPrefix(i, tag));
  const steady: Buffer[][] = Array.from({ length: workers }, () => []);
  for (let k = 1; k < steps; k++) {
    steady[(k - 1) % workers]!.push(...stepBodies(0, series, k, k + 1, POINTS_PER_REQUEST, prefixes, t0, mix));
  }
  return { creation: makeBodies(series, workers, 1, 1, t0, tag, mix), steady };
}

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  okStatus: number;
}

/** Each worker posts its own bodies in order, all workers at once; seconds taken and answers other than okStatus. */
export async function send(
  target: Target,
  perWorker: Buffer[][],
  dispatcher: Agent,
): Promise<{ seconds: number; failed: number; firstError?: string }> {
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    perWorker.map(async (bodies) => {
      for (const body of bodies) {
        const res = await request(target.url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'content-encoding': 'deflate', ...target.headers },
          dispatcher,
        });
        const text = await res.body.text();
        if (res.statusCode !== target.okStatus) {
          failed++;
          firstError ??= `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
        }
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, failed, ...(firstError ? { firstError } : {}) };
}

/** One instant query's scalar result (sum/count), from either store's Prometheus API. */
async function queryScalar(
  baseUrl: string,
  headers: Record<string, string>,
  query: string,
  timeSec: number,
): Promise<number> {
  const res = await fetch(`${baseUrl}/api/v1/query?${new URLSearchParams({ query, time: String(timeSec) })}`, {
    headers,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${baseUrl} ${query}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  const result = (JSON.parse(text) as { data: { result: { value: [number, string] }[] } }).data.result;
  return result.length ? Number(result[0]!.value[1]) : 0;
}

/** Series and samples stored in [fromSec, toSec): both via PromQL, the same queries on both stores. */
async function countStored(
  baseUrl: string,
  headers: Record<string, string>,
  fromSec: number,
  toSec: number,
): Promise<{ series: number; samples: number }> {
  // Windows are (t - range, t]: ending just before toSec covers [fromSec, toSec) for whole-second sample times.
  const at = toSec - 0.001;
  const range = `${toSec - fromSec}s`;
  return {
    series: await queryScalar(baseUrl, headers, `count(count_over_time({__name__=~".+"}[${range}]))`, at),
    samples: await queryScalar(baseUrl, headers, `sum(count_over_time({__name__=~".+"}[${range}]))`, at),
  };
}

/** CPU seconds (user + system, all threads) a process has used so far (/proc/<pid>/stat, 100 ticks a second). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function vmRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Apparent size of every file under dir (what `du --apparent-size -b` says). */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** A self-metric of promdog's /metrics: the default tenant's series, or the one series of an unlabelled metric. */
async function selfMetric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*tenant="default"[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- VictoriaMetrics (the Debian package, single-node) ---

const VM_BIN = process.env.VICTORIA_METRICS_BIN ?? '/usr/bin/victoria-metrics';
const vmChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of vmChildren) c.kill('SIGKILL');
});

interface VictoriaMetrics {
  url: string;
  pid: number;
  dataDir: string;
  /** Flushes buffered rows to searchable, on-disk parts. */
  forceFlush(): Promise<void>;
  /** Merges every part of the partitions (months) covering these times, and waits until no merge is running. */
  forceMerge(fromSec: number, toSec: number): Promise<void>;
  stop(): Promise<void>;
}

async function startVictoriaMetrics(): Promise<VictoriaMetrics> {
  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-bench-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    VM_BIN,
    [
      `-storageDataPath=${dataDir}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-retentionPeriod=30d',
      '-loggerLevel=ERROR',
      // Its defaults (300k series, 30 s) refuse the counting queries of the 1M-series runs and time them out on a
      // loaded machine.
      '-search.maxUniqueTimeseries=2000000',
      '-search.maxQueryDuration=600s',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  vmChildren.add(child);
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      vmChildren.delete(child);
      resolve();
    }),
  );
  child.on(
    'error',
    (err) => (log += `\nspawn ${VM_BIN}: ${err.message} (install it: node scripts/ensure-bench-deps.mjs)`),
  );
  for (const giveUp = Date.now() + 30_000; ; ) {
    if (!vmChildren.has(child)) throw new Error(`VictoriaMetrics exited before it was ready: ${log}`);
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > giveUp) throw new Error(`VictoriaMetrics not ready after 30 s: ${log}`);
    await sleep(50);
  }
  const get = async (path: string) => {
    const res = await fetch(url + path);
    const text = await res.text();
    if (!res.ok) throw new Error(`VictoriaMetrics ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return text;
  };
  return {
    url,
    pid: child.pid!,
    dataDir,
    forceFlush: async () => void (await get('/internal/force_flush')),
    async forceMerge(fromSec, toSec) {
      const months = new Set<string>();
      for (let t = fromSec; t <= toSec + 86400; t += 86400)
        months.add(new Date(t * 1000).toISOString().slice(0, 7).replace('-', '_'));
      // force_merge answers when the merge is done; the wait below also covers merges it started in the background.
      for (const m of months) await get(`/internal/force_merge?partition_prefix=${m}`);
      for (;;) {
        const metrics = await get('/metrics');
        let active = 0;
        for (const line of metrics.split('\n'))
          if (line.startsWith('vm_active_merges')) active += Number(line.split(' ').pop());
        if (active === 0) return;
        await sleep(200);
      }
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// --- the bench ---

export interface IngestFigures {
  /** Samples/s over every request (creation round included). */
  samplesPerSec: number;
  /** Samples/s of the creation round (every series new). */
  creationSamplesPerSec: number;
  /** Samples/s of the rounds after it (existing series). */
  steadySamplesPerSec: number;
  failedRequests: number;
  /** What the store answers when asked (PromQL), to show the rate is of data that landed. */
  storedSeries: number;
  storedSamples: number;
}

export interface StoreBenchResult {
  concurrency: number;
  pointsPerRequest: number;
  encoding: 'deflate';
  ingest: {
    series: number;
    rounds: number;
    samples: number;
    requests: number;
    promdog: IngestFigures & {
      rssBeforeBytes: number;
      rssAfterBytes: number;
      rssBytesPerSeries: number;
      rssAfterGcBytesPerSeries: number;
      liveHeapBytesPerSeries: number;
      headMemoryBytesPerSeries: number;
      ingestSeconds: number;
      /** Garbage collections of the server from its start to the end of the ingest (server-probe.ts). */
      gcDuringIngest: GcStats;
    };
    victoriaMetrics: IngestFigures & { samplesPerSecFlushed: number };
    /** promdog / VictoriaMetrics samples/s (target ≥ 1.0). */
    ratio: number;
  };
  /** Per value mix: the agent capture's first. */
  bytes: BytesFigures[];
}

export interface BytesFigures {
  mix: ValueMix;
  series: number;
  steps: number;
  samples: number;
  promdog: { blockBytes: number; blockSamples: number; bytesPerSample: number; ingestSamplesPerSec: number };
  victoriaMetrics: {
    dirBytes: number;
    dataBytes: number;
    indexBytes: number;
    storedSamples: number;
    bytesPerSample: number;
    ingestSamplesPerSec: number;
  };
  /** The same payloads through a promdog gateway into Prometheus; its first 2 h block (chunks + index + meta). */
  prometheus: { blockBytes: number; blockSamples: number; bytesPerSample: number };
}

async function startPromdog(
  cpuProfDir: string | undefined,
  series: number,
): Promise<{ pd: PromdogProcess; key: string; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-bench-store-'));
  const env = {
    NODE_OPTIONS: `--import=${fileURLToPath(new URL('./server-probe.js', import.meta.url))}`,
    PROMDOG_GC_STATS_FILE: join(dataDir, 'gc-stats.json'),
    ...(cpuProfDir ? { PROMDOG_CPU_PROF_DIR: cpuProfDir } : {}),
  };
  // The default per-tenant series limit follows the machine's memory; the 1M-series runs are past it. The intake's
  // deadline (15 s by default) is raised for them too: on this shared machine collector pauses of a 1M-series heap
  // pushed a few requests past it, and the bench stops at the first refused request.
  const config = join(dataDir, 'promdog.yml');
  writeFileSync(
    config,
    'storage:\n  max_active_series_per_tenant: 2000000\n' +
      (series > 200_000 ? `limits:\n  request_timeout: ${Math.ceil(series / 10_000)}s\n` : ''),
  );
  const pd = await spawnPromdog(['--data-dir', dataDir, '--config', config], env);
  return { pd, key: readFileSync(join(dataDir, 'tenant-api-token-default'), 'utf8').trim(), dataDir };
}

async function stopPromdog(p: { pd: PromdogProcess; dataDir: string }): Promise<void> {
  p.pd.child.kill('SIGTERM');
  await p.pd.exited;
  rmSync(p.dataDir, { recursive: true, force: true });
}

function promdogTarget(url: string, key: string): Target {
  return { name: 'promdog', url: `${url}/api/v1/series`, headers: { 'dd-api-key': key }, okStatus: 202 };
}

function vmTarget(url: string): Target {
  return { name: 'VictoriaMetrics', url: `${url}/datadog/api/v1/series`, headers: {}, okStatus: 202 };
}

/** Per worker, the bodies of the creation round (every series new) and of the steady-state rounds after it. */
interface IngestBodies {
  creation: Buffer[][];
  steady: Buffer[][];
}

/** makeBodies' bodies with one point per series per body split into the creation round and the later rounds. */
function splitRounds(perWorker: Buffer[][], steps: number): IngestBodies {
  return {
    creation: perWorker.map((b) => b.slice(0, b.length / steps)),
    steady: perWorker.map((b) => b.slice(b.length / steps)),
  };
}

/** The creation round, then the steady-state rounds. */
async function ingestRun(target: Target, bodies: IngestBodies, dispatcher: Agent) {
  const creation = await send(target, bodies.creation, dispatcher);
  const steady = await send(target, bodies.steady, dispatcher);
  const failed = creation.failed + steady.failed;
  if (failed)
    throw new Error(`${target.name}: ${failed} requests failed, first: ${creation.firstError ?? steady.firstError}`);
  return { creation, steady, seconds: creation.seconds + steady.seconds };
}

/** Rates of an ingest run (one point per series per round; the first round creates every series) and what was stored. */
function ingestFigures(
  run: Awaited<ReturnType<typeof ingestRun>>,
  stored: { series: number; samples: number },
  series: number,
  samples: number,
): IngestFigures {
  return {
    samplesPerSec: samples / run.seconds,
    creationSamplesPerSec: series / run.creation.seconds,
    steadySamplesPerSec: (samples - series) / run.steady.seconds,
    failedRequests: 0,
    storedSeries: stored.series,
    storedSamples: stored.samples,
  };
}

/** Stored counts that differ from what was sent mean a rate of something other than ingestion: stop there. */
function expectStored(who: string, what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${who} holds ${got} ${what}, ${want} were sent`);
}

/**
 * On-disk bytes per sample of one value mix: > 3 h of points from a block boundary, so promdog's head and
 * Prometheus' each cut a full 2 h block by themselves; VictoriaMetrics' whole data directory after a merge.
 */
async function bytesPerSample(
  mix: ValueMix,
  bytesSeries: number,
  concurrency: number,
  nowS: number,
  dispatcher: Agent,
  cpuProfDir: string | undefined,
  log: (s: string) => void,
): Promise<BytesFigures> {
  const bytesSteps = Math.ceil((1.5 * BLOCK_S) / STEP_S) + 70;
  const b0 = Math.floor((nowS - bytesSteps * STEP_S - 600) / BLOCK_S) * BLOCK_S;
  const pointsPerSeries = Math.max(1, Math.floor(POINTS_PER_REQUEST / Math.ceil(bytesSeries / concurrency)));
  const bBodies = makeBodies(bytesSeries, concurrency, bytesSteps, pointsPerSeries, b0, 'b', mix);
  const bSamples = bytesSeries * bytesSteps;
  const blockSamples = bytesSeries * (BLOCK_S / STEP_S);
  log(
    `bytes data (${mix} mix): ${bytesSeries} series × ${bytesSteps} points (${((bytesSteps * STEP_S) / 3600).toFixed(2)} h at ${STEP_S} s) = ${bSamples} samples in ${bBodies.reduce((n, b) => n + b.length, 0)} requests`,
  );

  const q = await startPromdog(cpuProfDir, bytesSeries);
  let pdBytes: BytesFigures['promdog'];
  try {
    const run = await send(promdogTarget(q.pd.url, q.key), bBodies, dispatcher);
    if (run.failed) throw new Error(`promdog: ${run.failed} requests failed, first: ${run.firstError}`);
    const tenantDir = join(q.dataDir, 'tenants', 'default');
    const blocks = await waitForBlocks(tenantDir, 'promdog');
    const blockBytes = blocks.reduce((n, d) => n + dirBytes(join(tenantDir, d)), 0);
    const inBlock = await countStored(q.pd.url, { authorization: `Bearer ${q.key}` }, b0, b0 + BLOCK_S);
    expectStored('promdog', 'samples in the 2 h block', inBlock.samples, blockSamples);
    pdBytes = {
      blockBytes,
      blockSamples: inBlock.samples,
      bytesPerSample: blockBytes / inBlock.samples,
      ingestSamplesPerSec: bSamples / run.seconds,
    };
  } finally {
    await stopPromdog(q);
  }
  log(
    `promdog: 2 h block of ${pdBytes.blockSamples} samples in ${pdBytes.blockBytes} bytes = ${pdBytes.bytesPerSample.toFixed(3)} bytes/sample`,
  );

  const prom = await PrometheusProcess.start();
  let promBytes: BytesFigures['prometheus'];
  try {
    const gatewayDir = mkdtempSync(join(tmpdir(), 'promdog-bench-gw-'));
    const gw = await spawnPromdog(['--data-dir', gatewayDir, '--remote-write-url', prom.remoteWriteUrl]);
    try {
      const key = readFileSync(join(gatewayDir, 'tenant-api-token-default'), 'utf8').trim();
      const run = await send(promdogTarget(gw.url, key), bBodies, dispatcher);
      if (run.failed)
        throw new Error(`promdog gateway → Prometheus: ${run.failed} requests failed, first: ${run.firstError}`);
    } finally {
      await stopPromdog({ pd: gw, dataDir: gatewayDir });
    }
    const [block] = await waitForBlocks(prom.dataDir, 'Prometheus');
    const meta = JSON.parse(readFileSync(join(prom.dataDir, block!, 'meta.json'), 'utf8')) as {
      stats: { numSamples: number };
    };
    expectStored('Prometheus', 'samples in its first 2 h block', meta.stats.numSamples, blockSamples);
    const blockBytes = dirBytes(join(prom.dataDir, block!));
    promBytes = { blockBytes, blockSamples: meta.stats.numSamples, bytesPerSample: blockBytes / meta.stats.numSamples };
  } finally {
    await prom.cleanup();
  }
  log(
    `Prometheus: 2 h block of ${promBytes.blockSamples} samples in ${promBytes.blockBytes} bytes = ${promBytes.bytesPerSample.toFixed(3)} bytes/sample`,
  );

  const vm = await startVictoriaMetrics();
  let vmBytes: BytesFigures['victoriaMetrics'];
  try {
    const run = await send(vmTarget(vm.url), bBodies, dispatcher);
    if (run.failed) throw new Error(`VictoriaMetrics: ${run.failed} requests failed, first: ${run.firstError}`);
    await vm.forceFlush();
    await vm.forceMerge(b0, b0 + bytesSteps * STEP_S);
    const stored = await countStored(vm.url, {}, b0, b0 + bytesSteps * STEP_S);
    expectStored('VictoriaMetrics', 'samples', stored.samples, bSamples);
    const total = dirBytes(vm.dataDir);
    const data = dirBytes(join(vm.dataDir, 'data'));
    const index = dirBytes(join(vm.dataDir, 'indexdb'));
    vmBytes = {
      dirBytes: total,
      dataBytes: data,
      indexBytes: index,
      storedSamples: stored.samples,
      bytesPerSample: total / stored.samples,
      ingestSamplesPerSec: bSamples / run.seconds,
    };
  } finally {
    await vm.stop();
  }
  log(
    `VictoriaMetrics: ${vmBytes.storedSamples} samples in ${vmBytes.dirBytes} bytes (data ${vmBytes.dataBytes}, indexdb ${vmBytes.indexBytes}) = ${vmBytes.bytesPerSample.toFixed(3)} bytes/sample`,
  );
  return {
    mix,
    series: bytesSeries,
    steps: bytesSteps,
    samples: bSamples,
    promdog: pdBytes,
    victoriaMetrics: vmBytes,
    prometheus: promBytes,
  };
}

/** The block directories (ULID names) that appear under dir within 2 minutes, oldest first. */
async function waitForBlocks(dir: string, who: string): Promise<string[]> {
  const blocks = () =>
    readdirSync(dir)
      .filter((n) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(n) && existsSync(join(dir, n, 'meta.json')))
      .sort();
  for (const giveUp = Date.now() + 120_000; blocks().length === 0; await sleep(200)) {
    if (Date.now() > giveUp) throw new Error(`${who} cut no block within 2 minutes`);
  }
  return blocks();
}

export async function benchStore(
  opts: {
    series?: number;
    rounds?: number;
    bytesSeries?: number;
    concurrency?: number;
    cpuProfDir?: string;
    log?: (s: string) => void;
  } = {},
): Promise<StoreBenchResult> {
  const series = opts.series ?? 200_000;
  const rounds = opts.rounds ?? 10;
  const bytesSeries = opts.bytesSeries ?? 2000;
  const concurrency = opts.concurrency ?? 4;
  const log = opts.log ?? (() => {});
  const dispatcher = new Agent({ connections: concurrency * 2, bodyTimeout: 120_000, headersTimeout: 120_000 });
  const nowS = Math.floor(Date.now() / 1000);
  try {
    // Ingest + RSS: rounds + 1 points per series (the first creates the series), ending two minutes ago.
    const steps = rounds + 1;
    const t0 = Math.floor((nowS - 120 - steps * STEP_S) / STEP_S) * STEP_S;
    const genStart = performance.now();
    const bodies = makeBodies(series, concurrency, steps, 1, t0, 'a', 'agent');
    const requests = bodies.reduce((n, b) => n + b.length, 0);
    const samples = series * steps;
    log(
      `ingest data: ${series} series × ${steps} points = ${samples} samples in ${requests} requests, ` +
        `${(bodies.flat().reduce((n, b) => n + b.length, 0) / requests / 1024).toFixed(0)} KiB deflated each (generated in ${((performance.now() - genStart) / 1000).toFixed(1)} s)`,
    );
    const endS = t0 + steps * STEP_S;

    const p = await startPromdog(opts.cpuProfDir, series);
    let pdIngest: StoreBenchResult['ingest']['promdog'];
    try {
      await sleep(1000);
      const pid = p.pd.child.pid!;
      const rssBefore = vmRssBytes(pid);
      const heapBefore = await selfMetric(p.pd.url, 'promdog_nodejs_heap_size_used_bytes');
      const run = await ingestRun(promdogTarget(p.pd.url, p.key), splitRounds(bodies, steps), dispatcher);
      await sleep(2000);
      const rssAfter = vmRssBytes(pid);
      // A full GC (bench/server-probe.ts): what stays is what the series hold.
      process.kill(pid, 'SIGUSR2');
      await sleep(3000);
      const rssAfterGc = vmRssBytes(pid);
      const gcDuringIngest = JSON.parse(readFileSync(join(p.dataDir, 'gc-stats.json'), 'utf8')) as GcStats;
      const heapAfterGc = await selfMetric(p.pd.url, 'promdog_nodejs_heap_size_used_bytes');
      const headMemory = await selfMetric(p.pd.url, 'promdog_store_head_memory_bytes');
      const stored = await countStored(p.pd.url, { authorization: `Bearer ${p.key}` }, t0, endS);
      expectStored('promdog', 'series', stored.series, series);
      expectStored('promdog', 'samples', stored.samples, samples);
      pdIngest = {
        ...ingestFigures(run, stored, series, samples),
        rssBeforeBytes: rssBefore,
        rssAfterBytes: rssAfter,
        rssBytesPerSeries: (rssAfter - rssBefore) / series,
        rssAfterGcBytesPerSeries: (rssAfterGc - rssBefore) / series,
        liveHeapBytesPerSeries: (heapAfterGc - heapBefore) / series,
        headMemoryBytesPerSeries: headMemory / series,
        ingestSeconds: run.seconds,
        gcDuringIngest,
      };
    } finally {
      await stopPromdog(p);
    }
    log(
      `promdog ingest: ${Math.round(pdIngest.samplesPerSec).toLocaleString()} samples/s (creation ${Math.round(pdIngest.creationSamplesPerSec).toLocaleString()}, ` +
        `steady ${Math.round(pdIngest.steadySamplesPerSec).toLocaleString()}); stored ${pdIngest.storedSeries} series, ${pdIngest.storedSamples} samples; ` +
        `RSS ${(pdIngest.rssBeforeBytes / 2 ** 20).toFixed(0)} → ${(pdIngest.rssAfterBytes / 2 ** 20).toFixed(0)} MiB = ${Math.round(pdIngest.rssBytesPerSeries)} B/series; ` +
        `after a full GC ${Math.round(pdIngest.rssAfterGcBytesPerSeries)} B/series RSS, ${Math.round(pdIngest.liveHeapBytesPerSeries)} B/series live heap ` +
        `(store's own head estimate ${Math.round(pdIngest.headMemoryBytesPerSeries)} B); GC during the ${pdIngest.ingestSeconds.toFixed(1)} s ingest: ` +
        `${pdIngest.gcDuringIngest.minor.count} scavenges ${Math.round(pdIngest.gcDuringIngest.minor.ms)} ms, ${pdIngest.gcDuringIngest.major.count} major ${Math.round(pdIngest.gcDuringIngest.major.ms)} ms`,
    );

    const vm = await startVictoriaMetrics();
    let vmIngest: StoreBenchResult['ingest']['victoriaMetrics'];
    try {
      const run = await ingestRun(vmTarget(vm.url), splitRounds(bodies, steps), dispatcher);
      const flushStart = performance.now();
      await vm.forceFlush();
      const flushSeconds = (performance.now() - flushStart) / 1000;
      const stored = await countStored(vm.url, {}, t0, endS);
      expectStored('VictoriaMetrics', 'series', stored.series, series);
      expectStored('VictoriaMetrics', 'samples', stored.samples, samples);
      vmIngest = {
        ...ingestFigures(run, stored, series, samples),
        samplesPerSecFlushed: samples / (run.seconds + flushSeconds),
      };
    } finally {
      await vm.stop();
    }
    log(
      `VictoriaMetrics ingest: ${Math.round(vmIngest.samplesPerSec).toLocaleString()} samples/s (creation ${Math.round(vmIngest.creationSamplesPerSec).toLocaleString()}, ` +
        `steady ${Math.round(vmIngest.steadySamplesPerSec).toLocaleString()}; ${Math.round(vmIngest.samplesPerSecFlushed).toLocaleString()} with the flush); ` +
        `stored ${vmIngest.storedSeries} series, ${vmIngest.storedSamples} samples`,
    );
    bodies.length = 0;

    const bytes: BytesFigures[] = [];
    for (const mix of ['agent', 'noisy20'] as const)
      bytes.push(await bytesPerSample(mix, bytesSeries, concurrency, nowS, dispatcher, opts.cpuProfDir, log));
    return {
      concurrency,
      pointsPerRequest: POINTS_PER_REQUEST,
      encoding: 'deflate',
      ingest: {
        series,
        rounds,
        samples,
        requests,
        promdog: pdIngest,
        victoriaMetrics: vmIngest,
        ratio: pdIngest.samplesPerSec / vmIngest.samplesPerSec,
      },
      bytes,
    };
  } finally {
    await dispatcher.close();
  }
}

/** One system's ingest of one shape: rates, and its whole-process RSS growth per series over the ingest. */
export interface ShapeFigures extends IngestFigures {
  /** CPU seconds the process used during the ingest: on a machine shared with other work, steadier than rates. */
  cpuSeconds: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssBytesPerSeries: number;
  /**
   * promdog: the RSS growth per series after a full GC (bench/server-probe.ts): what the series hold. With a steady
   * phase, after it (the series then have its points too).
   */
  rssAfterGcBytesPerSeries?: number;
  /**
   * promdog: where its memory was just before the full GC (at the read 2 s after the ingest, or at the end of the
   * steady phase) and just after it, and its garbage collections until then.
   */
  memory?: { beforeGc: MemoryBreakdown; afterGc: MemoryBreakdown; gc: GcStats };
  /** With a steady phase: the RSS while ingest went on at an Agent's pace. */
  steady?: SteadyFigures;
}

/** A process' RSS while the series get one more point every STEP_S seconds, as from Agents, after the ingest. */
export interface SteadyFigures {
  seconds: number;
  rounds: number;
  cpuSeconds: number;
  /** VmRSS read every second of the phase. */
  rssBytes: number[];
  /** RSS growth per series over the RSS before the ingest: the mean and the highest read of the phase's second half. */
  meanBytesPerSeries: number;
  maxBytesPerSeries: number;
}

export interface IngestShapesResult {
  series: number;
  rounds: number;
  concurrency: number;
  shapes: { shape: Shape; promdog: ShapeFigures; victoriaMetrics: ShapeFigures }[];
}

const SHAPES = ['in order', 'out of order'] as const;
type Shape = (typeof SHAPES)[number];

/** makeBodies' bodies of one point per series as rounds: rounds[r][w] is worker w's bodies of round r. */
function byRound(perWorker: Buffer[][], rounds: number): Buffer[][][] {
  return Array.from({ length: rounds }, (_, r) =>
    perWorker.map((b) => b.slice((r * b.length) / rounds, ((r + 1) * b.length) / rounds)),
  );
}

/**
 * Sends one round every STEP_S seconds (each worker its bodies of it, all at once), reading the process' RSS every
 * second. The figures are of the phase's second half, when the memory follows the ongoing ingest rather than the
 * burst before it.
 */
async function steadyIngest(
  target: Target,
  rounds: Buffer[][][],
  pid: number,
  rssBefore: number,
  series: number,
  dispatcher: Agent,
): Promise<SteadyFigures> {
  const rss: number[] = [];
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const reader = setInterval(() => rss.push(vmRssBytes(pid)), 1000);
  try {
    for (let r = 0; r < rounds.length; r++) {
      await sleep(started + r * STEP_S * 1000 - performance.now());
      const run = await send(target, rounds[r]!, dispatcher);
      if (run.failed) throw new Error(`${target.name}: ${run.failed} requests failed, first: ${run.firstError}`);
    }
    await sleep(started + rounds.length * STEP_S * 1000 - performance.now());
  } finally {
    clearInterval(reader);
  }
  const perSeries = rss.slice(Math.floor(rss.length / 2)).map((b) => (b - rssBefore) / series);
  return {
    seconds: (performance.now() - started) / 1000,
    rounds: rounds.length,
    cpuSeconds: cpuSeconds(pid) - cpuBefore,
    rssBytes: rss,
    meanBytesPerSeries: perSeries.reduce((a, b) => a + b, 0) / perSeries.length,
    maxBytesPerSeries: Math.max(...perSeries),
  };
}

const MIB = 2 ** 20;

/** Where a process' memory went between two breakdowns, in MiB: RSS, the heap's spaces, ArrayBuffers, the rest. */
function breakdownLine(from: MemoryBreakdown, to: MemoryBreakdown): string {
  const mib = (b: number) => (b / MIB).toFixed(0);
  const committed = (m: MemoryBreakdown) => Object.values(m.spaces).reduce((n, sp) => n + sp.committed, 0);
  const rest = (m: MemoryBreakdown) => m.rss - committed(m) - m.arrayBuffers;
  const spaces = Object.keys(to.spaces)
    .filter((name) => (from.spaces[name]?.committed ?? 0) >= MIB || to.spaces[name]!.committed >= MIB)
    .map((name) => {
      const a = from.spaces[name] ?? { committed: 0, used: 0 };
      const b = to.spaces[name]!;
      return `${name} ${mib(a.committed)} (used ${mib(a.used)}) → ${mib(b.committed)} (${mib(b.used)})`;
    });
  return (
    `RSS ${mib(from.rss)} → ${mib(to.rss)} MiB: ${spaces.join(', ')}; ` +
    `ArrayBuffers ${mib(from.arrayBuffers)} → ${mib(to.arrayBuffers)}; rest ${mib(rest(from))} → ${mib(rest(to))}`
  );
}

/**
 * Ingest in order (each worker its own hosts) and out of order (each later round of every series from one worker,
 * all in flight together), promdog then VictoriaMetrics, each in a fresh process per shape; RSS is read 2 s after
 * the ingest (VictoriaMetrics' after a force_flush). With steadySeconds, the ingest then goes on for that long at
 * one round of in-order points every STEP_S seconds (as Agents send), and the RSS is read every second.
 *   node --max-semi-space-size=16 dist/bench/store.js shapes [series] [rounds] ['in order' | 'out of order'] [steadySeconds]
 */
export async function benchIngestShapes(
  opts: {
    series?: number;
    rounds?: number;
    concurrency?: number;
    shapes?: readonly Shape[];
    steadySeconds?: number;
    cpuProfDir?: string;
    log?: (s: string) => void;
  } = {},
): Promise<IngestShapesResult> {
  const series = opts.series ?? 200_000;
  const rounds = opts.rounds ?? 10;
  const concurrency = opts.concurrency ?? 4;
  const log = opts.log ?? (() => {});
  const dispatcher = new Agent({ connections: concurrency * 2, bodyTimeout: 120_000, headersTimeout: 120_000 });
  const steps = rounds + 1;
  const steadyRounds = Math.ceil((opts.steadySeconds ?? 0) / STEP_S);
  const nowS = Math.floor(Date.now() / 1000);
  // Every point, the steady phase's too, at least two minutes old.
  const t0 = Math.floor((nowS - 120 - (steps + steadyRounds) * STEP_S) / STEP_S) * STEP_S;
  const endS = t0 + steps * STEP_S;
  const samples = series * steps;
  const result: IngestShapesResult = { series, rounds, concurrency, shapes: [] };
  try {
    for (const shape of opts.shapes ?? SHAPES) {
      const bodies =
        shape === 'in order'
          ? splitRounds(makeBodies(series, concurrency, steps, 1, t0, 's', 'agent'), steps)
          : makeInterleavedBodies(series, concurrency, steps, t0, 's', 'agent');
      const steadyBodies =
        steadyRounds > 0
          ? byRound(makeBodies(series, concurrency, steadyRounds, 1, endS, 's', 'agent'), steadyRounds)
          : [];
      const measure = async (
        target: Target,
        pid: number,
        baseUrl: string,
        headers: Record<string, string>,
        afterIngest: () => Promise<void>,
        fullGc?: () => Promise<ShapeFigures['memory']>,
      ): Promise<ShapeFigures> => {
        await sleep(1000);
        const rssBefore = vmRssBytes(pid);
        const cpuBefore = cpuSeconds(pid);
        const run = await ingestRun(target, bodies, dispatcher);
        await afterIngest();
        const cpu = cpuSeconds(pid) - cpuBefore;
        const stored = await countStored(baseUrl, headers, t0, endS);
        expectStored(target.name, 'series', stored.series, series);
        expectStored(target.name, 'samples', stored.samples, samples);
        await sleep(2000);
        const rssAfter = vmRssBytes(pid);
        // Before the full GC, which leaves the process in a state ingest never does (V8 also drops what it learnt
        // about which allocations live long when a full collection finds most of the old generation dead).
        const steady =
          steadyRounds > 0 ? await steadyIngest(target, steadyBodies, pid, rssBefore, series, dispatcher) : undefined;
        const memory = await fullGc?.();
        const rssAfterGc = vmRssBytes(pid);
        return {
          ...ingestFigures(run, stored, series, samples),
          cpuSeconds: cpu,
          rssBeforeBytes: rssBefore,
          rssAfterBytes: rssAfter,
          rssBytesPerSeries: (rssAfter - rssBefore) / series,
          ...(fullGc ? { rssAfterGcBytesPerSeries: (rssAfterGc - rssBefore) / series } : {}),
          ...(memory ? { memory } : {}),
          ...(steady ? { steady } : {}),
        };
      };
      const line = (f: ShapeFigures) =>
        `${Math.round(f.samplesPerSec).toLocaleString()} samples/s (creation ${Math.round(f.creationSamplesPerSec).toLocaleString()}, ` +
        `steady ${Math.round(f.steadySamplesPerSec).toLocaleString()}), ${f.cpuSeconds.toFixed(1)} CPU s, RSS ${(f.rssBeforeBytes / MIB).toFixed(0)} → ` +
        `${(f.rssAfterBytes / MIB).toFixed(0)} MiB = ${Math.round(f.rssBytesPerSeries)} B/series` +
        (f.steady === undefined
          ? ''
          : `; then ${f.steady.rounds} rounds at one per ${STEP_S} s (${f.steady.cpuSeconds.toFixed(1)} CPU s): ` +
            `RSS ${Math.round(f.steady.meanBytesPerSeries)} B/series (highest ${Math.round(f.steady.maxBytesPerSeries)}) over its second half`) +
        (f.rssAfterGcBytesPerSeries === undefined
          ? ''
          : `, after a full GC ${Math.round(f.rssAfterGcBytesPerSeries)} B/series`) +
        (f.memory === undefined
          ? ''
          : `\n  memory ${f.steady ? 'after the steady phase' : 'at the 2 s read'} → after the full GC: ` +
            `${breakdownLine(f.memory.beforeGc, f.memory.afterGc)}; GC until then: ${f.memory.gc.minor.count} scavenges ${Math.round(f.memory.gc.minor.ms)} ms, ` +
            `${f.memory.gc.major.count} major ${Math.round(f.memory.gc.major.ms)} ms`);
      const p = await startPromdog(opts.cpuProfDir, series);
      let promdog: ShapeFigures;
      try {
        const auth = { authorization: `Bearer ${p.key}` };
        const pid = p.pd.child.pid!;
        // A full GC (bench/server-probe.ts) after the RSS as it is.
        const fullGc = async () => {
          process.kill(pid, 'SIGUSR2');
          await sleep(3000);
          const stats = JSON.parse(readFileSync(join(p.dataDir, 'gc-stats.json'), 'utf8')) as GcStats;
          const { beforeGc, afterGc, ...gc } = stats;
          return { beforeGc: beforeGc!, afterGc: afterGc!, gc };
        };
        promdog = await measure(promdogTarget(p.pd.url, p.key), pid, p.pd.url, auth, async () => {}, fullGc);
      } finally {
        await stopPromdog(p);
      }
      log(`${shape}, ${series} series × ${steps} points: promdog ${line(promdog)}`);
      const vm = await startVictoriaMetrics();
      let victoriaMetrics: ShapeFigures;
      try {
        // Its rows become searchable after a flush.
        victoriaMetrics = await measure(vmTarget(vm.url), vm.pid, vm.url, {}, () => vm.forceFlush());
      } finally {
        await vm.stop();
      }
      log(`${shape}: VictoriaMetrics ${line(victoriaMetrics)}`);
      log(
        `${shape}: promdog / VictoriaMetrics: all ${(promdog.samplesPerSec / victoriaMetrics.samplesPerSec).toFixed(2)}, ` +
          `creation ${(promdog.creationSamplesPerSec / victoriaMetrics.creationSamplesPerSec).toFixed(2)}, ` +
          `steady ${(promdog.steadySamplesPerSec / victoriaMetrics.steadySamplesPerSec).toFixed(2)}, ` +
          `CPU s ${(promdog.cpuSeconds / victoriaMetrics.cpuSeconds).toFixed(2)}, ` +
          `RSS/series ${(promdog.rssBytesPerSeries / victoriaMetrics.rssBytesPerSeries).toFixed(2)}` +
          (promdog.steady && victoriaMetrics.steady
            ? `, RSS/series while ingesting ${(promdog.steady.meanBytesPerSeries / victoriaMetrics.steady.meanBytesPerSeries).toFixed(2)}`
            : ''),
      );
      result.shapes.push({ shape, promdog, victoriaMetrics });
    }
    return result;
  } finally {
    await dispatcher.close();
  }
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'shapes') {
  const [series, rounds] = process.argv.slice(3, 5).map(Number);
  const shape = process.argv[5];
  const steadySeconds = Number(process.argv[6] ?? 0);
  if (shape !== undefined && !(SHAPES as readonly string[]).includes(shape))
    throw new Error(`unknown shape ${JSON.stringify(shape)}: ${SHAPES.join(' or ')}`);
  const r = await benchIngestShapes({
    ...(series ? { series } : {}),
    ...(rounds ? { rounds } : {}),
    ...(shape ? { shapes: [shape as Shape] } : {}),
    ...(steadySeconds ? { steadySeconds } : {}),
    ...(process.env.PROMDOG_CPU_PROF_DIR ? { cpuProfDir: process.env.PROMDOG_CPU_PROF_DIR } : {}),
    log: (s) => console.log(s),
  });
  console.log(JSON.stringify(r, null, 2));
} else if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const [series, rounds, bytesSeries] = process.argv.slice(2).map(Number);
  const r = await benchStore({
    ...(series ? { series } : {}),
    ...(rounds ? { rounds } : {}),
    ...(bytesSeries ? { bytesSeries } : {}),
    ...(process.env.PROMDOG_CPU_PROF_DIR ? { cpuProfDir: process.env.PROMDOG_CPU_PROF_DIR } : {}),
    log: (s) => console.log(s),
  });
  console.log(JSON.stringify(r, null, 2));
}
