// `npm run bench -- abuse`: no request from any tenant may stall the others. Each row of the abuse table is sent by
// tenant `default` to a real promdog process while four Agent-like senders post series (each its own hosts, one
// POST a second) and tenant `bystander` runs a small instant query every 250 ms. Per row: what the abusive request
// got, how long it took, the senders' and the bystander's p50/p99 latency during the row (at least 3 s of it) and
// the growth of the server's RSS over its level at the row's start (peak, sampled every 50 ms), and the longest the
// server's event loop stood still during the row and its GC pauses (the server runs under loop-probe.ts), and the
// longest this process' own loop did (it times the senders and the bystander: a delay of its own is not the server's).
//
// Phase A holds 100k-series data sets; phase B a fresh server with 1M series (the active-series limit raised for
// it) and a Prometheus 2.42 holding the same number of series by remote write, for count() and /api/v1/series.
//   node --max-semi-space-size=16 dist/bench/abuse.js
// PROMDOG_BENCH_CLI=<path to another build's dist/src/cli/main.js> runs the same rows against that build (the
// "before" figures of docs/benchmarks.md). PROMDOG_BENCH_ABUSE_ROWS=<substring>[,<substring>...] runs only the rows
// whose name contains one of them (the data sets are loaded all the same), to work on a few rows.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import type { PromSeries } from '../src/model/prometheus.js';
import { CLI, spawnPromdog, type PromdogProcess } from '../test/support/process.js';
import { PrometheusProcess } from '../test/support/prometheus.js';
import { remoteWrite } from '../test/api/dataset.js';
import type { IdleConnectionsHeld, IdleConnectionsOpened } from './idle-connections.js';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than the expected status (202 for senders, 200 for the bystander). */
  failed: number;
}

export interface AbuseRowResult {
  row: string;
  /** What the abusive request(s) got: status codes and counts, or the connections accepted. */
  outcome: string;
  seconds: number;
  senders: LatencySummary;
  bystander: LatencySummary;
  rssGrowthMiB: number;
  /** The server's longest event-loop delay during the row (250 ms buckets overlapping it). */
  loopStallMaxMs: number;
  /** The server's GC pauses of 10 ms or more during the row. */
  gc: { pauses: number; maxMs: number; totalMs: number };
  /**
   * This bench process' longest event-loop delay during the row: what of the senders' and the bystander's latency
   * is the bench's own (it times their requests on this loop).
   */
  benchLoopStallMaxMs: number;
}

export interface AbuseResult {
  cli: string;
  rows: AbuseRowResult[];
  /** count() over 1M series and /api/v1/series?limit=10, median of 3, promdog and Prometheus 2.42. */
  highCardinality: { query: string; promdogMs: number; prometheusMs: number; ratio: number }[];
}

const SENDERS = 4;
const HOSTS_PER_SENDER = 5;
const METRICS_PER_HOST = 100;
const MIN_ROW_MS = 3000;
const ROW_TIMEOUT_MS = 180_000;

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

function summary(lat: number[], failed: number): LatencySummary {
  return { count: lat.length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), failed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A deflated v1 body: `series` series of one point at `tSec`, name `metric.N`, host `host`, two tags. */
function v1Body(series: { metric: string; host: string; tags: string[] }[], tSec: number): Buffer {
  const parts = series.map((s) =>
    JSON.stringify({ metric: s.metric, type: 'gauge', host: s.host, tags: s.tags, points: [[tSec, 1]] }),
  );
  return deflateSync(`{"series":[${parts.join(',')}]}`);
}

interface Server {
  pd: PromdogProcess;
  dir: string;
  keys: { default: string; bystander: string };
  /** Where loop-probe.ts writes the server's event-loop delays and GC pauses. */
  probeFile: string;
}

const LOOP_PROBE = fileURLToPath(new URL('./loop-probe.js', import.meta.url));

async function startServer(cli: string, args: string[]): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-bench-abuse-'));
  for (const t of ['default', 'bystander'])
    execFileSync(process.execPath, [cli, 'tenant', 'add', t, '--data-dir', dir]);
  const probeFile = join(dir, 'loop-probe.txt');
  const pd = await spawnPromdog(
    ['--data-dir', dir, ...args],
    { PROMDOG_LOOP_PROBE_FILE: probeFile, PROMDOG_LOOP_PROBE_CLI: cli },
    LOOP_PROBE,
  );
  const key = (t: string) => readFileSync(join(dir, `tenant-api-token-${t}`), 'utf8').trim();
  return { pd, dir, keys: { default: key('default'), bystander: key('bystander') }, probeFile };
}

/** The longest event-loop delay and the GC pauses loop-probe.ts saw between two wall times. */
function loopAndGc(s: Server, fromMs: number, toMs: number): Pick<AbuseRowResult, 'loopStallMaxMs' | 'gc'> {
  let loopStallMaxMs = 0;
  const gc = { pauses: 0, maxMs: 0, totalMs: 0 };
  let lines: string[] = [];
  try {
    lines = readFileSync(s.probeFile, 'utf8').split('\n');
  } catch {
    // no probe output (yet): nothing to report
  }
  for (const line of lines) {
    const [wall, what, a, b] = line.split(' ');
    const t = Number(wall);
    if (what === 'loop' && t > fromMs && t < toMs + 250) loopStallMaxMs = Math.max(loopStallMaxMs, Number(a));
    if (what === 'gc' && t >= fromMs && t <= toMs) {
      gc.pauses++;
      gc.maxMs = Math.max(gc.maxMs, Number(b));
      gc.totalMs += Number(b);
    }
  }
  return { loopStallMaxMs, gc };
}

async function stopServer(s: Server): Promise<void> {
  s.pd.child.kill('SIGTERM');
  await s.pd.exited;
  rmSync(s.dir, { recursive: true, force: true });
}

async function post(
  url: string,
  key: string,
  body: Buffer,
  encoding: string,
  dispatcher: Agent,
): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'content-encoding': encoding, 'dd-api-key': key },
      dispatcher,
    });
    await res.body.text();
    return { status: res.statusCode, ms: performance.now() - t0 };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}

async function getStatus(url: string, key: string, dispatcher: Agent): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await request(url, { headers: { authorization: `Bearer ${key}` }, dispatcher });
    await res.body.text();
    return { status: res.statusCode, ms: performance.now() - t0 };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}

/** The four senders and the bystander, running until stopped; each row reads and resets their latencies. */
class Background {
  senderLat: number[] = [];
  senderFailed = 0;
  bystanderLat: number[] = [];
  bystanderFailed = 0;
  /** Start of each loop's request in flight (a request the server holds past a row's end counts in that row). */
  private readonly inFlightSince = new Map<string, number>();
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly dispatcher = new Agent({ connections: SENDERS + 2 });

  constructor(private readonly s: Server) {
    for (let w = 0; w < SENDERS; w++) this.loops.push(this.sender(w));
    this.loops.push(this.bystander());
  }

  /** The latencies of a row: the answered requests, and the ones still waiting counted as waiting until now. */
  summaries(): { senders: LatencySummary; bystander: LatencySummary } {
    const now = performance.now();
    const waiting = (prefix: string) =>
      [...this.inFlightSince].filter(([loop]) => loop.startsWith(prefix)).map(([, since]) => now - since);
    return {
      senders: summary([...this.senderLat, ...waiting('sender')], this.senderFailed),
      bystander: summary([...this.bystanderLat, ...waiting('bystander')], this.bystanderFailed),
    };
  }

  /** Runs a request of `loop`, noting it in flight meanwhile. */
  private async timed<T>(loop: string, fn: () => Promise<T>): Promise<T> {
    this.inFlightSince.set(loop, performance.now());
    try {
      return await fn();
    } finally {
      this.inFlightSince.delete(loop);
    }
  }

  /** Resolves once every background request in flight now has been answered (or after `maxMs`). */
  async settled(maxMs: number): Promise<void> {
    const now = performance.now();
    const held = () => [...this.inFlightSince.values()].some((since) => since < now);
    while (held() && performance.now() < now + maxMs) await sleep(50);
  }

  reset(): void {
    this.senderLat = [];
    this.senderFailed = 0;
    this.bystanderLat = [];
    this.bystanderFailed = 0;
  }

  private async sender(w: number): Promise<void> {
    const series: { metric: string; host: string; tags: string[] }[] = [];
    for (let h = 0; h < HOSTS_PER_SENDER; h++)
      for (let m = 0; m < METRICS_PER_HOST; m++)
        series.push({ metric: `agent.metric.${m}`, host: `sender-${w}-host-${h}`, tags: ['env:bench', `m:${m}`] });
    while (this.running) {
      const started = performance.now();
      const body = v1Body(series, Math.floor(Date.now() / 1000));
      const r = await this.timed(`sender${w}`, () =>
        post(`${this.s.pd.url}/api/v1/series`, this.s.keys.default, body, 'deflate', this.dispatcher),
      );
      this.senderLat.push(r.ms);
      if (r.status !== 202) this.senderFailed++;
      await sleep(Math.max(0, 1000 - (performance.now() - started)));
    }
  }

  private async bystander(): Promise<void> {
    const url = `${this.s.pd.url}/api/v1/query?${new URLSearchParams({ query: 'sum(agent_metric_1)' })}`;
    while (this.running) {
      const started = performance.now();
      const r = await this.timed('bystander', () => getStatus(url, this.s.keys.bystander, this.dispatcher));
      this.bystanderLat.push(r.ms);
      if (r.status !== 200) this.bystanderFailed++;
      await sleep(Math.max(0, 250 - (performance.now() - started)));
    }
  }

  /** The bystander's own data: a few series it queries. */
  async seedBystander(): Promise<void> {
    const series = Array.from({ length: 50 }, (_, h) => ({ metric: 'agent.metric.1', host: `b-${h}`, tags: [] }));
    const r = await post(
      `${this.s.pd.url}/api/v1/series`,
      this.s.keys.bystander,
      v1Body(series, Math.floor(Date.now() / 1000)),
      'deflate',
      this.dispatcher,
    );
    if (r.status !== 202) throw new Error(`seeding the bystander: HTTP ${r.status}`);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await this.dispatcher.close();
  }
}

const rowFilter = process.env.PROMDOG_BENCH_ABUSE_ROWS?.split(',').filter((f) => f !== '');
const wanted = (row: string) => rowFilter === undefined || rowFilter.some((f) => row.includes(f));

/** Runs one row: the abusive action while the background runs; at least MIN_ROW_MS of measurement. */
async function runRow(s: Server, bg: Background, row: string, action: () => Promise<string>): Promise<AbuseRowResult> {
  // The previous row's effects are over: no sender or bystander request is still held (at most 2 minutes).
  await bg.settled(120_000);
  await sleep(500);
  bg.reset();
  const base = rssBytes(s.pd.child.pid!);
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(s.pd.child.pid!));
  }, 50);
  const benchLoop = monitorEventLoopDelay({ resolution: 10 });
  benchLoop.enable();
  const t0 = performance.now();
  const wallStart = Date.now();
  let outcome: string;
  // Cleared after the row: a pending timer would keep the bench alive for 3 minutes after its last row.
  let rowTimer: NodeJS.Timeout | undefined;
  try {
    outcome = await Promise.race([
      action(),
      new Promise<string>((resolve) => {
        rowTimer = setTimeout(() => resolve(`no answer within ${ROW_TIMEOUT_MS / 1000} s`), ROW_TIMEOUT_MS);
      }),
    ]);
  } catch (e) {
    outcome = `failed: ${(e as Error).message}`;
  } finally {
    clearTimeout(rowTimer);
  }
  const seconds = (performance.now() - t0) / 1000;
  const left = MIN_ROW_MS - (performance.now() - t0);
  if (left > 0) await sleep(left);
  clearInterval(sampler);
  benchLoop.disable();
  const r: AbuseRowResult = {
    row,
    outcome,
    seconds,
    ...bg.summaries(),
    rssGrowthMiB: (peak - base) / 2 ** 20,
    ...loopAndGc(s, wallStart, Date.now()),
    benchLoopStallMaxMs: benchLoop.max / 1e6,
  };
  console.log(
    `  ${row}: ${outcome} in ${seconds.toFixed(1)} s; Agent POST p50/p99 ${r.senders.p50Ms.toFixed(0)}/${r.senders.p99Ms.toFixed(0)} ms ` +
      `(${r.senders.failed} failed), bystander p50/p99 ${r.bystander.p50Ms.toFixed(0)}/${r.bystander.p99Ms.toFixed(0)} ms ` +
      `(${r.bystander.failed} failed), RSS +${r.rssGrowthMiB.toFixed(0)} MiB; server loop stalled ` +
      `${r.loopStallMaxMs.toFixed(0)} ms at most, ${r.gc.pauses} GC pauses ≥ 10 ms (longest ${r.gc.maxMs.toFixed(0)}, ` +
      `${r.gc.totalMs.toFixed(0)} ms in all); bench loop stalled ${r.benchLoopStallMaxMs.toFixed(0)} ms at most`,
  );
  return r;
}

/** Status codes of answers, counted: "422 ×1" or "200 ×25, 503 ×95". */
function statuses(codes: number[]): string {
  const by = new Map<number, number>();
  for (const c of codes) by.set(c, (by.get(c) ?? 0) + 1);
  return [...by]
    .sort((a, b) => a[0] - b[0])
    .map(([c, n]) => `${c === 0 ? 'reset' : c} ×${n}`)
    .join(', ');
}

/** Loads `count` series of `metric` (one host each) with one point at each of `points` times, 10k points a request. */
async function load(s: Server, metric: string, count: number, pointTimes: number[], tags: (i: number) => string[]) {
  const dispatcher = new Agent({ connections: 4 });
  const perRequest = Math.max(1, Math.floor(10_000 / pointTimes.length));
  const bodies: Buffer[] = [];
  for (let from = 0; from < count; from += perRequest) {
    const parts: string[] = [];
    for (let i = from; i < Math.min(count, from + perRequest); i++) {
      parts.push(
        JSON.stringify({
          metric,
          type: 'gauge',
          host: 'abuser',
          tags: tags(i),
          points: pointTimes.map((t, k) => [t, (i % 97) + k]),
        }),
      );
    }
    bodies.push(deflateSync(`{"series":[${parts.join(',')}]}`));
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < bodies.length) {
        const r = await post(`${s.pd.url}/api/v1/series`, s.keys.default, bodies[next++]!, 'deflate', dispatcher);
        if (r.status !== 202) throw new Error(`loading ${metric}: HTTP ${r.status}`);
      }
    }),
  );
  await dispatcher.close();
}

async function query(s: Server, path: string, params: Record<string, string>): Promise<number> {
  const dispatcher = new Agent();
  const r = await getStatus(`${s.pd.url}${path}?${new URLSearchParams(params)}`, s.keys.default, dispatcher);
  await dispatcher.close();
  return r.status;
}

async function phaseA(cli: string): Promise<AbuseRowResult[]> {
  const s = await startServer(cli, []);
  const bg = new Background(s);
  const rows: AbuseRowResult[] = [];
  const run = async (row: string, action: () => Promise<string>) => {
    if (wanted(row)) rows.push(await runRow(s, bg, row, action));
  };
  try {
    await bg.seedBystander();
    const now = Math.floor(Date.now() / 1000);
    console.log('  loading 100k single-sample series, 100k series × 41 samples, 10k series, a regex target');
    await load(s, 'abuse.single', 100_000, [now], (i) => [`i:${i}`]);
    await load(
      s,
      'abuse.counter',
      100_000,
      Array.from({ length: 41 }, (_, k) => now - 600 + k * 15),
      (i) => [`i:${i}`],
    );
    await load(s, 'abuse.flood', 10_000, [now], (i) => [`i:${i}`]);
    await load(s, 'abuse.regex', 1, [now], () => [`v:${'a'.repeat(31)}`]);

    const dispatcher = new Agent({ connections: 128 });
    const postAbuse = async (body: Buffer, encoding: string) =>
      statuses([(await post(`${s.pd.url}/api/v1/series`, s.keys.default, body, encoding, dispatcher)).status]);

    await run('v1 series, one tag key with 100k values', () =>
      postAbuse(
        v1Body(
          [{ metric: 'abuse.tags', host: 'abuser', tags: Array.from({ length: 100_000 }, (_, i) => `k:v${i}`) }],
          now,
        ),
        'deflate',
      ),
    );
    await run('gzip body with 2M distinct tags', () => {
      const series = Array.from({ length: 20 }, (_, j) => ({
        metric: `abuse.many.${j}`,
        type: 'gauge',
        host: 'abuser',
        tags: Array.from({ length: 100_000 }, (_, i) => `t${j}_${i}:x`),
        points: [[now, 1]],
      }));
      return postAbuse(gzipSync(JSON.stringify({ series })), 'gzip');
    });
    await run('query_range 30 d, step 240 s, 100k single-sample series', async () =>
      statuses([
        await query(s, '/api/v1/query_range', {
          query: 'abuse_single',
          start: String(now - 30 * 86400),
          end: String(now),
          step: '240',
        }),
      ]),
    );
    await run('rate() over 100k series at 1 s step', async () =>
      statuses([
        await query(s, '/api/v1/query_range', {
          query: 'rate(abuse_counter[1m])',
          start: String(now - 600),
          end: String(now),
          step: '1',
        }),
      ]),
    );
    await run('120 concurrent count_values from one tenant', async () => {
      const codes = await Promise.all(
        Array.from({ length: 120 }, () =>
          getStatus(
            `${s.pd.url}/api/v1/query?${new URLSearchParams({ query: 'count_values("v", abuse_flood)' })}`,
            s.keys.default,
            dispatcher,
          ).then((r) => r.status),
        ),
      );
      return statuses(codes);
    });
    await run('{v=~"(a+)+b"} on a 31-character value', async () =>
      statuses([await query(s, '/api/v1/query', { query: '{v=~"(a+)+b"}' })]),
    );
    await run('format_query with 10k nested parentheses', async () => {
      // As a form body: 10k parentheses URL-encoded are past the server's header size.
      const res = await request(`${s.pd.url}/api/v1/format_query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.keys.default}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: `${'('.repeat(10_000)}1${')'.repeat(10_000)}` }).toString(),
        dispatcher,
      });
      await res.body.text();
      return statuses([res.statusCode]);
    });
    await run('20,000 idle connections', () => idleConnections(s.pd.url, 20_000));
    await run('metric name of 1 MiB, label value of 1 MiB', () =>
      postAbuse(
        v1Body([{ metric: `abuse.${'n'.repeat(2 ** 20)}`, host: 'abuser', tags: [`k:${'v'.repeat(2 ** 20)}`] }], now),
        'deflate',
      ),
    );
    await run('default active-series limit: 1M new series', async () => {
      const codes: number[] = [];
      for (let from = 0; from < 1_000_000; from += 10_000) {
        const series = Array.from({ length: 10_000 }, (_, k) => ({
          metric: 'abuse.active',
          host: 'abuser',
          tags: [`i:${from + k}`],
        }));
        codes.push(
          (await post(`${s.pd.url}/api/v1/series`, s.keys.default, v1Body(series, now), 'deflate', dispatcher)).status,
        );
      }
      return statuses(codes);
    });
    await dispatcher.close();
  } finally {
    await bg.stop();
    await stopServer(s);
  }
  return rows;
}

const IDLE_CONNECTIONS = fileURLToPath(new URL('./idle-connections.js', import.meta.url));
/** Connections one idle-connections.js process opens at most: below the file limit of 20,000 here. */
const IDLE_CONNECTIONS_PER_PROCESS = 10_000;

/** The next message from a forked process, or an error when its channel closes first. */
function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('disconnect', () => reject(new Error('idle-connections.js ended without a report')));
  });
}

/** The kernel's count of connections dropped because a listening socket's accept queue was full (machine-wide). */
function listenDrops(): number {
  const netstat = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const names = netstat.find((l) => l.startsWith('TcpExt:'))?.split(' ') ?? [];
  const values = netstat.findLast((l) => l.startsWith('TcpExt:'))?.split(' ') ?? [];
  return Number(values[names.indexOf('ListenDrops')] ?? 0);
}

/**
 * Opens `count` idle TCP connections from processes of their own (bench/idle-connections.ts), holds them 3 s once
 * every attempt has ended, and reports how many the server kept and closed, and how many attempts the kernel dropped
 * for a full accept queue (each retried by the client after 1, 3, 7 s...).
 */
async function idleConnections(baseUrl: string, count: number): Promise<string> {
  const dropsBefore = listenDrops();
  const children = Array.from({ length: Math.ceil(count / IDLE_CONNECTIONS_PER_PROCESS) }, (_, i) =>
    fork(IDLE_CONNECTIONS, [
      baseUrl,
      String(Math.min(IDLE_CONNECTIONS_PER_PROCESS, count - i * IDLE_CONNECTIONS_PER_PROCESS)),
    ]),
  );
  const opened = await Promise.all(children.map((c) => nextMessage<IdleConnectionsOpened>(c)));
  const drops = listenDrops() - dropsBefore;
  await sleep(3000);
  const held = await Promise.all(
    children.map((c) => {
      const report = nextMessage<IdleConnectionsHeld>(c);
      c.send('report');
      return report;
    }),
  );
  const sum = <T>(xs: T[], n: (x: T) => number) => xs.reduce((total, x) => total + n(x), 0);
  return (
    `${count} opened: ${sum(held, (h) => h.stillOpen)} still open after 3 s, ` +
    `${sum(held, (h) => h.closedByServer)} closed by the server, ${sum(opened, (o) => o.failed)} failed, ` +
    `${drops} handshake packets dropped for a full accept queue`
  );
}

async function timeMedian(fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return percentile(ms, 50);
}

const PHASE_B_ROWS = ['count() over 1M series', '/api/v1/series?limit=10 over 1M series'] as const;

async function phaseB(
  cli: string,
): Promise<{ rows: AbuseRowResult[]; highCardinality: AbuseResult['highCardinality'] }> {
  const configDir = mkdtempSync(join(tmpdir(), 'promdog-bench-abuse-cfg-'));
  const config = join(configDir, 'promdog.yml');
  writeFileSync(config, 'storage:\n  max_active_series_per_tenant: 2000000\n');
  const s = await startServer(cli, ['--config', config]);
  const prom = await PrometheusProcess.start();
  const bg = new Background(s);
  const rows: AbuseRowResult[] = [];
  const highCardinality: AbuseResult['highCardinality'] = [];
  try {
    await bg.seedBystander();
    const nowMs = Date.now();
    console.log('  loading 1M series into promdog and into Prometheus 2.42');
    await load(s, 'abuse.card', 1_000_000, [Math.floor(nowMs / 1000)], (i) => [`i:${i}`]);
    for (let from = 0; from < 1_000_000; from += 50_000) {
      const batch: PromSeries[] = [];
      for (let i = from; i < from + 50_000; i++) {
        batch.push({
          labels: [
            { name: '__name__', value: 'abuse_card' },
            { name: 'i', value: String(i) },
            { name: 'instance', value: 'abuser' },
            { name: 'job', value: 'ddagent' },
            { name: 'type', value: 'gauge' },
          ],
          timestamps: [nowMs],
          values: [i % 97],
        });
      }
      await remoteWrite(prom.remoteWriteUrl, batch);
    }
    const at = String(nowMs / 1000 + 1);
    const cases: [string, string, Record<string, string>][] = [
      [PHASE_B_ROWS[0], '/api/v1/query', { query: 'count(abuse_card)', time: at }],
      [PHASE_B_ROWS[1], '/api/v1/series', { 'match[]': 'abuse_card', limit: '10' }],
    ];
    for (const [row, path, params] of cases) {
      if (!wanted(row)) continue;
      rows.push(await runRow(s, bg, row, async () => statuses([await query(s, path, params)])));
      const promdogMs = await timeMedian(() => query(s, path, params));
      const prometheusMs = await timeMedian(() =>
        fetch(`${prom.url}${path}?${new URLSearchParams(params)}`).then((r) => r.text()),
      );
      highCardinality.push({ query: row, promdogMs, prometheusMs, ratio: promdogMs / prometheusMs });
      console.log(
        `  ${row}: promdog ${promdogMs.toFixed(0)} ms, Prometheus 2.42 ${prometheusMs.toFixed(0)} ms (median of 3; ` +
          `2.42 ignores limit and returns every series)`,
      );
    }
  } finally {
    await bg.stop();
    await stopServer(s);
    await prom.cleanup();
    rmSync(configDir, { recursive: true, force: true });
  }
  return { rows, highCardinality };
}

export async function benchAbuse(): Promise<AbuseResult> {
  const cli = process.env.PROMDOG_BENCH_CLI ?? CLI;
  console.log(`  promdog: ${cli}`);
  const rows = await phaseA(cli);
  const b = PHASE_B_ROWS.some(wanted) ? await phaseB(cli) : { rows: [], highCardinality: [] };
  return { cli, rows: [...rows, ...b.rows], highCardinality: b.highCardinality };
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchAbuse();
  console.log(JSON.stringify(r, null, 2));
}
