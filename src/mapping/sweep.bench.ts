// The mapper's series-cache sweep under steady churn (issue 13): a tenant's N Agent-like v1 JSON series, a tenth of
// them replaced every round (a round a minute apart; the series idle for a round are evicted), so each sweep evicts
// 10 % of the cache. Times each sweep alone (an empty request that triggers it, after a full GC): the event loop is
// held that long. Prints the longest, the median and the sum over the rounds' sweeps.
//   node --expose-gc dist/src/mapping/sweep.bench.js [series=200000] [rounds=12]
import { fileURLToPath } from 'node:url';
import { decodeSeriesV1Json } from '../intake/decoders/series-v1-json.js';
import { emptyPayload } from '../model/datadog.js';
import { HostTagCache } from './host-tags.js';
import { Mapper } from './mapper.js';
import { SERIES_PER_REQUEST, agentRequest } from './series-cache.bench.js';
import { STEP_S } from '../../test/support/agent-series.js';

const ROUND_MS = 61_000;

export interface SweepFigures {
  series: number;
  sweeps: number;
  evictedPerSweep: number;
  /** Wall ms of the sweeps: the longest, the median, the sum. */
  longestMs: number;
  medianMs: number;
  totalMs: number;
  /** Wall ms of each sweep, in order. */
  eachMs: number[];
}

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
}

export function benchSweep(series = 200_000, rounds = 12): SweepFigures {
  const t0 = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S - 10 * STEP_S;
  const churn = series / 10;
  // Idle for one round: at round r's sweep, the series last sent at round r - 2 go; the cache size is not reached.
  const mapper = new Mapper(
    { keepUtf8Names: false, seriesCacheIdleMs: ROUND_MS, seriesCacheSize: 2 * series },
    new HostTagCache(null),
  );
  const sweeps: number[] = [];
  let evicted = 0;
  for (let r = 0; r < rounds + 2; r++) {
    const nowMs = t0 * 1000 + r * ROUND_MS;
    if (r >= 2) {
      fullGc();
      const before = mapper.evicted;
      const start = performance.now();
      mapper.map('default', emptyPayload(), nowMs);
      sweeps.push(performance.now() - start);
      evicted += mapper.evicted - before;
    }
    // Round r: series [r * churn, r * churn + series).
    for (let from = r * churn; from < r * churn + series; from += SERIES_PER_REQUEST) {
      const to = Math.min(from + SERIES_PER_REQUEST, r * churn + series);
      mapper.map('default', decodeSeriesV1Json(agentRequest(from, to, r, t0)), nowMs);
    }
  }
  const sorted = [...sweeps].sort((a, b) => a - b);
  const ms = (x: number) => Math.round(x * 10) / 10;
  return {
    series,
    sweeps: sweeps.length,
    evictedPerSweep: evicted / sweeps.length,
    longestMs: ms(sorted[sorted.length - 1]!),
    medianMs: ms(sorted[sorted.length >> 1]!),
    totalMs: ms(sweeps.reduce((a, b) => a + b, 0)),
    eachMs: sweeps.map((x) => Math.round(x)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [series, rounds] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(benchSweep(series || undefined, rounds || undefined)));
}
