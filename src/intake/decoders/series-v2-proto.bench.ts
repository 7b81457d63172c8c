import { pathToFileURL } from 'node:url';
import { decodeSeriesV2Proto } from './series-v2-proto.js';
import { encodeMetricPayload, type MetricSeriesInput } from '../../../test/support/proto-writer.js';

// Decode throughput of /api/v2/series protobuf on one core, on an Agent-like payload: ~10k points, mostly one point
// per series, a host resource on every series, a device on some, 2-6 tags, a source type name on most.
// Rates are per CPU-second of this process (user + system, GC threads included), so a busy machine slows the run
// down without skewing the figure much; wall-clock rates are reported beside them.
// Run: node dist/src/intake/decoders/series-v2-proto.bench.js

export interface BenchResult {
  /** Samples decoded per CPU-second. */
  samplesPerSec: number;
  seriesPerSec: number;
  megabytesPerSec: number;
  /** Samples decoded per wall-clock second (lower than samplesPerSec when other processes share the cores). */
  wallSamplesPerSec: number;
  payloadBytes: number;
  samples: number;
}

/** A deterministic pseudo-random generator so every run decodes the same bytes. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * An Agent-like series set. `uniqueSuffix` makes every tag value distinct (worst case for string handling: no
 * string repeats within or across payloads).
 */
export function agentLikeSeries(targetPoints: number, seed = 1, uniqueSuffix = ''): MetricSeriesInput[] {
  const rand = rng(seed);
  const families = [
    'system.cpu',
    'system.mem',
    'system.disk',
    'system.net',
    'system.io',
    'snmp.if',
    'datadog.agent',
    'app.http',
  ];
  const metrics: string[] = [];
  for (const f of families) for (let i = 0; i < 25; i++) metrics.push(`${f}.metric_${i}`);
  const hosts = ['COMP-N52P6N99MH', 'ip-10-1-58-101.ec2.internal', 'web-7f9c6d5b8-x2kzq'];
  const out: MetricSeriesInput[] = [];
  const ts = 1_700_000_000;
  let points = 0;
  let n = 0;
  while (points < targetPoints) {
    const metric = metrics[n % metrics.length]!;
    const variant = Math.floor(n / metrics.length);
    const tags = [`env:prod${uniqueSuffix && `-${n}`}`, `service:svc-${variant % 7}`, `version:7.${variant % 5}.0`];
    const extra = Math.floor(rand() * 4);
    for (let t = 0; t < extra; t++) tags.push(`tag${t}:value-${variant % 11}${uniqueSuffix && `-${n}`}`);
    const resources = [{ type: 'host', name: hosts[n % hosts.length]! }];
    if (metric.startsWith('system.disk') || metric.startsWith('system.net'))
      resources.push({ type: 'device', name: `dev${variant % 4}` });
    const type = n % 10 < 6 ? 3 : n % 10 < 9 ? 2 : 1;
    const nPoints = rand() < 0.9 ? 1 : 2 + Math.floor(rand() * 3);
    const pts = [];
    for (let p = 0; p < nPoints; p++)
      pts.push({ timestamp: ts + p * 10, value: rand() < 0.2 ? 0 : Math.round(rand() * 1e6) / 100 });
    out.push({
      metric,
      type,
      resources,
      tags,
      points: pts,
      sourceTypeName: n % 4 === 0 ? '' : 'System',
      interval: type === 3 ? 0 : 10,
    });
    points += nPoints;
    n++;
  }
  return out;
}

/** Decodes one body; returns its series count. By default every string is decoded (reading `series`). */
type Decode = (body: Buffer) => number;
const decodeAll: Decode = (body) => decodeSeriesV2Proto(body).series.length;
/** What the mapper's fast path needs of a body it has seen before: the scan (points, identity bytes), no strings. */
const scanOnly: Decode = (body) => decodeSeriesV2Proto(body).seriesBatch!.count;

function measure(payloads: Buffer[], samples: number, seconds: number, decode = decodeAll): BenchResult {
  const warmUntil = performance.now() + 500;
  let i = 0;
  while (performance.now() < warmUntil) decode(payloads[i++ % payloads.length]!);
  let iterations = 0;
  let seriesCount = 0;
  let bytes = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let now = start;
  while (now < stopAt) {
    const body = payloads[iterations % payloads.length]!;
    seriesCount += decode(body);
    bytes += body.length;
    iterations++;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = (now - start) / 1000;
  return {
    samplesPerSec: (samples * iterations) / cpuSeconds,
    seriesPerSec: seriesCount / cpuSeconds,
    megabytesPerSec: bytes / cpuSeconds / 1e6,
    wallSamplesPerSec: (samples * iterations) / wallSeconds,
    payloadBytes: payloads[0]!.length,
    samples,
  };
}

function countPoints(series: MetricSeriesInput[]): number {
  return series.reduce((n, s) => n + (s.points?.length ?? 0), 0);
}

/** Steady state: the Agent sends the same series every flush, so strings repeat across payloads. */
export function benchDecodeSeriesV2(seconds = 2): BenchResult {
  const series = agentLikeSeries(10_000);
  return measure([encodeMetricPayload(series)], countPoints(series), seconds);
}

/** Steady state, scan only: the part of decoding that the mapper's fast path pays for a series it knows. */
export function benchScanSeriesV2(seconds = 2): BenchResult {
  const series = agentLikeSeries(10_000);
  return measure([encodeMetricPayload(series)], countPoints(series), seconds, scanOnly);
}

/** Worst case: every tag value is new (cycles through more distinct strings than the string cache holds). */
export function benchDecodeSeriesV2UniqueStrings(seconds = 2): BenchResult {
  const payloads: Buffer[] = [];
  let samples = 0;
  for (let p = 0; p < 8; p++) {
    const series = agentLikeSeries(10_000, p + 1, `u${p}`);
    samples = countPoints(series);
    payloads.push(encodeMetricPayload(series));
  }
  return measure(payloads, samples, seconds);
}

function report(name: string, r: BenchResult): void {
  console.log(
    `${name}: ${(r.samplesPerSec / 1e6).toFixed(2)} M samples/s, ${(r.seriesPerSec / 1e6).toFixed(2)} M series/s, ` +
      `${r.megabytesPerSec.toFixed(0)} MB/s per CPU-second (wall clock: ${(r.wallSamplesPerSec / 1e6).toFixed(2)} M samples/s; ` +
      `payload ${r.samples} samples, ${r.payloadBytes} bytes)`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  report('decode /api/v2/series protobuf, steady state', benchDecodeSeriesV2());
  report('decode /api/v2/series protobuf, unique strings', benchDecodeSeriesV2UniqueStrings());
  report('scan /api/v2/series protobuf (no strings), steady state', benchScanSeriesV2());
}
