import { pathToFileURL } from 'node:url';
import type { DecodedPayload } from '../../model/datadog.js';
import { HostTagCache } from '../../mapping/host-tags.js';
import { Mapper } from '../../mapping/mapper.js';
import { decodeSeriesV1Json, decodeSeriesV1JsonByParse } from './series-v1-json.js';
import { STEP_S, seriesPrefix, seriesValue } from '../../../test/support/agent-series.js';

// /api/v1/series JSON on one core, the hand-written scanner (decodeSeriesV1Json) against the JSON.parse path it
// replaces (decodeSeriesV1JsonByParse), decode only and decode + map, on the store bench's payloads (bench/store.ts):
// 10,000 series of one point, Agent-like hosts and tags, the same series every flush with timestamps 10 s apart
// (and once more with every series new to the mapper, the first flush).
// Figures are ns per sample of CPU time (user + system of this process, GC threads included), so a busy machine
// slows the run down without skewing them much.
// Run: node dist/src/intake/decoders/series-v1-json.bench.js [seconds per figure, default 2]

const SERIES = 10_000;

/** The store bench's body for step k (its 'noisy20' value mix: every number form): every series once. */
export function storeBenchBody(k: number, t0 = 1_700_000_000): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < SERIES; i++)
    parts.push(`${seriesPrefix(i, 'a')}[${t0 + k * STEP_S},${seriesValue('noisy20', i, k)}]]}`);
  return Buffer.from(`{"series":[${parts.join(',')}]}`);
}

/** CPU nanoseconds per sample of `run` over the bodies in turn, after a warm-up. */
function nsPerSample(bodies: Buffer[], run: (body: Buffer, n: number) => void, seconds: number): number {
  let n = 0;
  const warmUntil = performance.now() + 500;
  while (performance.now() < warmUntil) run(bodies[n % bodies.length]!, n++);
  let iterations = 0;
  const cpuStart = process.cpuUsage();
  const stopAt = performance.now() + seconds * 1000;
  while (performance.now() < stopAt) {
    run(bodies[n % bodies.length]!, n++);
    iterations++;
  }
  const cpu = process.cpuUsage(cpuStart);
  return ((cpu.user + cpu.system) * 1000) / (iterations * SERIES);
}

type Decoder = (body: Buffer) => DecodedPayload;

/** Decode + map, steady state: the mapper has seen every series (the previous flushes), points move on by 10 s. */
function decodeAndMap(decode: Decoder, bodies: Buffer[], seconds: number): number {
  const mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
  return nsPerSample(
    bodies,
    (body, n) => mapper.map('default', decode(body), 1_700_000_000_000 + n * STEP_S * 1000),
    seconds,
  );
}

/** Decode + map, every series new to the mapper (a fresh one per body): the first flush of an Agent. */
function decodeAndMapFirstSight(decode: Decoder, bodies: Buffer[], seconds: number): number {
  return nsPerSample(
    bodies,
    (body) =>
      new Mapper({ keepUtf8Names: false }, new HostTagCache(null)).map('default', decode(body), 1_700_000_000_000),
    seconds,
  );
}

export interface V1JsonBenchResult {
  /** JSON.parse path: decode, the series as objects. */
  parseDecode: number;
  /** Scanner: what the mapper reads of a known series (points and identity bytes, no strings). */
  scanDecode: number;
  /** Scanner and every string decoded (reading `series`): what a series the mapper has not seen costs to decode. */
  scanDecodeAll: number;
  parseDecodeMap: number;
  scanDecodeMap: number;
  parseDecodeMapFirstSight: number;
  scanDecodeMapFirstSight: number;
  payloadBytes: number;
}

export function benchV1Json(seconds = 2): V1JsonBenchResult {
  const bodies = Array.from({ length: 4 }, (_, k) => storeBenchBody(k));
  return {
    parseDecode: nsPerSample(bodies, (body) => decodeSeriesV1JsonByParse(body).series.length, seconds),
    scanDecode: nsPerSample(bodies, (body) => decodeSeriesV1Json(body).seriesBatch!.count, seconds),
    scanDecodeAll: nsPerSample(bodies, (body) => decodeSeriesV1Json(body).series.length, seconds),
    parseDecodeMap: decodeAndMap(decodeSeriesV1JsonByParse, bodies, seconds),
    scanDecodeMap: decodeAndMap(decodeSeriesV1Json, bodies, seconds),
    parseDecodeMapFirstSight: decodeAndMapFirstSight(decodeSeriesV1JsonByParse, bodies, seconds),
    scanDecodeMapFirstSight: decodeAndMapFirstSight(decodeSeriesV1Json, bodies, seconds),
    payloadBytes: bodies[0]!.length,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = benchV1Json(Number(process.argv[2] ?? 2));
  const ns = (v: number): string => `${v.toFixed(0)} ns/sample`;
  console.log(`payload: ${SERIES} series × 1 point, ${r.payloadBytes} bytes`);
  console.log(`decode, JSON.parse:                  ${ns(r.parseDecode)}`);
  console.log(
    `decode, scanner (no strings):        ${ns(r.scanDecode)}  (${(r.parseDecode / r.scanDecode).toFixed(2)}× faster)`,
  );
  console.log(
    `decode, scanner + every string:      ${ns(r.scanDecodeAll)}  (${(r.parseDecode / r.scanDecodeAll).toFixed(2)}×)`,
  );
  console.log(`decode + map, JSON.parse:            ${ns(r.parseDecodeMap)}`);
  console.log(
    `decode + map, scanner (known):       ${ns(r.scanDecodeMap)}  (${(r.parseDecodeMap / r.scanDecodeMap).toFixed(2)}× faster)`,
  );
  console.log(`decode + map new series, JSON.parse: ${ns(r.parseDecodeMapFirstSight)}`);
  console.log(
    `decode + map new series, scanner:    ${ns(r.scanDecodeMapFirstSight)}  (${(r.parseDecodeMapFirstSight / r.scanDecodeMapFirstSight).toFixed(2)}×)`,
  );
}
