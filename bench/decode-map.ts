import { agentLikeSeries } from '../src/intake/decoders/series-v2-proto.bench.js';
import { encodeMetricPayload } from '../test/support/proto-writer.js';
import { encodeV3Payload } from '../test/support/v3-writer.js';
import { decodeSeriesV2Proto } from '../src/intake/decoders/series-v2-proto.js';
import { decodeMetricsV3 } from '../src/intake/decoders/metrics-v3.js';
import type { DecodedPayload } from '../src/model/datadog.js';
import { Mapper } from '../src/mapping/index.js';
import { HostTagCache } from '../src/mapping/host-tags.js';

// Decode + map on one core: the intake's CPU cost per sample before any sink, on Agent-like series payloads (10k
// points, mostly one point per series, 3-6 tags) repeated as the Agent repeats its series every flush — the same
// series as /api/v2/series protobuf and as intake_v3 columnar, measured side by side in one run.

export interface DecodeMapResult {
  samplesPerSec: number;
  nsPerSample: number;
}

/** The same four consecutive flushes (timestamps 10 s apart) in both wire formats. */
export interface FlushBodies {
  v2: Buffer[];
  v3: Buffer[];
  samplesPerPayload: number;
}

export function agentFlushBodies(flushes = 4): FlushBodies {
  const series = agentLikeSeries(10_000);
  const flush = (i: number) =>
    series.map((s) => ({ ...s, points: s.points!.map((p) => ({ ...p, timestamp: p.timestamp + i * 10 })) }));
  return {
    v2: Array.from({ length: flushes }, (_, i) => encodeMetricPayload(flush(i))),
    v3: Array.from({ length: flushes }, (_, i) => encodeV3Payload({ series: flush(i) })),
    samplesPerPayload: series.reduce((n, s) => n + s.points!.length, 0),
  };
}

/** What the decoders are given besides the body: the server's default limits. */
export const DECODE_LIMITS = { maxDecompressedBytes: 64 << 20 };

export const DECODERS: Record<'v2' | 'v3', (body: Buffer) => DecodedPayload> = {
  v2: decodeSeriesV2Proto,
  v3: (body) => decodeMetricsV3(body, DECODE_LIMITS),
};

/**
 * Runs every case in turn, in short rounds, for `seconds` in all, the order reversed every other round (so the
 * garbage one case leaves is collected in the others' rounds as often as in its own): load from other processes and
 * collector pauses then fall on all of them alike. A case's rate is its median round, in samples per CPU-second of
 * this process (`samplesPerCall` a call).
 */
export function interleaved(
  cases: Record<string, () => unknown>,
  samplesPerCall: number,
  seconds: number,
): Record<string, number> {
  const names = Object.keys(cases);
  for (const name of names) {
    const warmUntil = performance.now() + 500;
    while (performance.now() < warmUntil) cases[name]!();
  }
  const roundMs = 100;
  const rounds = Math.max(4, Math.round((seconds * 1000) / roundMs / names.length));
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      const run = cases[name]!;
      const cpu = process.cpuUsage();
      const stopAt = performance.now() + roundMs;
      let calls = 0;
      while (performance.now() < stopAt) {
        run();
        calls++;
      }
      const used = process.cpuUsage(cpu);
      rates[name]!.push((samplesPerCall * calls) / ((used.user + used.system) / 1e6));
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(rates[n]!)]));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** A mapper fed one format's flushes in turn, as the server's is by one Agent. */
function decodeAndMap(bodies: Buffer[], decode: (body: Buffer) => DecodedPayload): () => number {
  const mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
  let n = 0;
  return () => mapper.map('default', decode(bodies[n++ % bodies.length]!), Date.now()).series.length;
}

export function benchDecodeMap(seconds = 6): {
  samplesPerPayload: number;
  bytesPerPayload: { v2: number; v3: number };
  v2: DecodeMapResult;
  v3: DecodeMapResult;
  v3OverV2: number;
} {
  const bodies = agentFlushBodies();
  const rates = interleaved(
    { v2: decodeAndMap(bodies.v2, DECODERS.v2), v3: decodeAndMap(bodies.v3, DECODERS.v3) },
    bodies.samplesPerPayload,
    seconds,
  );
  const result = (perSec: number): DecodeMapResult => ({ samplesPerSec: perSec, nsPerSample: 1e9 / perSec });
  return {
    samplesPerPayload: bodies.samplesPerPayload,
    bytesPerPayload: { v2: bodies.v2[0]!.length, v3: bodies.v3[0]!.length },
    v2: result(rates.v2!),
    v3: result(rates.v3!),
    v3OverV2: rates.v3! / rates.v2!,
  };
}
