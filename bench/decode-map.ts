import { agentLikeSeries } from '../src/intake/decoders/series-v2-proto.bench.js';
import { encodeMetricPayload } from '../test/support/proto-writer.js';
import { decodeSeriesV2Proto } from '../src/intake/decoders/series-v2-proto.js';
import { Mapper } from '../src/mapping/index.js';
import { HostTagCache } from '../src/mapping/host-tags.js';

// Decode + map on one core: the intake's CPU cost per sample before any sink, on Agent-like /api/v2/series
// payloads (10k points, mostly one point per series, 3-6 tags) repeated as the Agent repeats its series every flush.

export interface DecodeMapResult {
  samplesPerSec: number;
  nsPerSample: number;
  samplesPerPayload: number;
}

export function benchDecodeMap(seconds = 3): DecodeMapResult {
  const series = agentLikeSeries(10_000);
  const samples = series.reduce((n, s) => n + s.points!.length, 0);
  // Consecutive flushes: same series, timestamps 10 s apart.
  const bodies = Array.from({ length: 4 }, (_, i) =>
    encodeMetricPayload(
      series.map((s) => ({ ...s, points: s.points!.map((p) => ({ ...p, timestamp: p.timestamp + i * 10 })) })),
    ),
  );
  const mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
  const run = (body: Buffer) => mapper.map('default', decodeSeriesV2Proto(body), Date.now()).series.length;
  const warmUntil = performance.now() + 1000;
  for (let i = 0; performance.now() < warmUntil; i++) run(bodies[i % bodies.length]!);
  let n = 0;
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let now = start;
  while (now < stopAt) {
    run(bodies[n % bodies.length]!);
    n++;
    now = performance.now();
  }
  const perSec = (samples * n) / ((now - start) / 1000);
  return { samplesPerSec: perSec, nsPerSample: 1e9 / perSec, samplesPerPayload: samples };
}
