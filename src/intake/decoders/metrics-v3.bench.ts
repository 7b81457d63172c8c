import { pathToFileURL } from 'node:url';
import { DECODERS, agentFlushBodies, benchDecodeMap, interleaved } from '../../../bench/decode-map.js';

// intake_v3 against /api/v2/series protobuf on the same Agent-like series, side by side in one run: the scan (what
// the mapper's fast path pays for a series it knows), decoding every string, and decode + map (bench/decode-map.ts).
// Rates are samples per CPU-second, the median of interleaved rounds.
// Run: node --max-semi-space-size=16 dist/src/intake/decoders/metrics-v3.bench.js [seconds]

export function benchDecodeV2V3(seconds = 6): Record<string, number> {
  const bodies = agentFlushBodies();
  let n = 0;
  const next = (format: 'v2' | 'v3') => bodies[format][n++ % bodies[format].length]!;
  return interleaved(
    {
      'v2 scan': () => DECODERS.v2(next('v2')).seriesBatch!.count,
      'v3 scan': () => DECODERS.v3(next('v3')).seriesBatch!.count,
      'v2 decode every string': () => DECODERS.v2(next('v2')).series.length,
      'v3 decode every string': () => DECODERS.v3(next('v3')).series.length,
    },
    bodies.samplesPerPayload,
    seconds,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2] ?? 6);
  const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  for (const [name, rate] of Object.entries(benchDecodeV2V3(seconds))) console.log(`${name}: ${M(rate)} samples/s`);
  const r = benchDecodeMap(seconds);
  console.log(
    `decode + map: v2 ${M(r.v2.samplesPerSec)}, v3 ${M(r.v3.samplesPerSec)} samples/s (v3/v2 ${r.v3OverV2.toFixed(2)}); ` +
      `payload ${r.samplesPerPayload} samples, ${r.bytesPerPayload.v2} bytes as v2, ${r.bytesPerPayload.v3} as v3`,
  );
}
