// The gateway's main-thread work for new series, in one process, without HTTP or a backend: Agent-like Datadog v1
// JSON bodies (those of gateway-vs-vmagent) scanned as the decode worker does (not timed), then mapped and encoded
// as a remote-write request (timed). Rounds of `series` series never sent before (another host name each round), and
// rounds of series sent before; CPU per series of the process (every thread: the collector's helpers too) and of its
// main thread, and the live heap each cached series adds (after a full collection). Two builds are compared by
// running each one's copy of this file in turn:
//   node --expose-gc --max-semi-space-size=16 dist/bench/new-series-map.js [series=40000] [newRounds=6] [steadyRounds=3]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { decodeSeriesV1Json } from '../src/intake/decoders/series-v1-json.js';
import { HostTagCache } from '../src/mapping/host-tags.js';
import { Mapper } from '../src/mapping/index.js';
import { encodeSnappyWriteRequest } from '../src/sinks/remote-write/encode.js';
import { STEP_S } from '../test/support/agent-series.js';
import { makeBodies } from './store.js';

export interface NewSeriesMapResult {
  /** CPU microseconds per series over all new-series rounds: the process, its main thread. */
  newSeries: { all: number; mainThread: number };
  /** The same over the rounds of series sent before (half before the new rounds, half after). */
  steady: { all: number; mainThread: number };
  /** Live heap added per cached series by the new rounds. */
  heapBytesPerSeries: number;
}

/** CPU seconds of this process' main thread (its /proc task stat: utime + stime, in clock ticks of 1/100 s). */
function mainThreadSeconds(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function processSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function benchNewSeriesMap(series = 40_000, newRounds = 6, steadyRounds = 3): NewSeriesMapResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
  let t = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S - (2 + newRounds + 2 * steadyRounds) * STEP_S;
  const round = (tag: string) => {
    const payloads = makeBodies(series, 4, 1, 1, t, tag, 'agent')
      .flat()
      .map((b) => decodeSeriesV1Json(inflateSync(b)));
    const nowMs = (t += STEP_S) * 1000;
    const all = processSeconds();
    const main = mainThreadSeconds();
    let mapped = 0;
    for (const p of payloads) {
      const r = mapper.map('default', p, nowMs);
      mapped += r.series.length;
      encodeSnappyWriteRequest(r.series, r.metadata);
    }
    if (mapped !== series) throw new Error(`mapped ${mapped} series of ${series}`);
    return { all: processSeconds() - all, main: mainThreadSeconds() - main };
  };
  const sum = (rounds: { all: number; main: number }[]) => {
    const n = rounds.length * series;
    const us = (s: number) => (s / n) * 1e6;
    return { all: us(rounds.reduce((a, r) => a + r.all, 0)), mainThread: us(rounds.reduce((a, r) => a + r.main, 0)) };
  };
  round('gw');
  const steady = Array.from({ length: steadyRounds }, () => round('gw'));
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const fresh = Array.from({ length: newRounds }, (_, i) => round(`new${i}`));
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  for (let i = 0; i < steadyRounds; i++) steady.push(round('gw'));
  return {
    newSeries: sum(fresh),
    steady: sum(steady),
    heapBytesPerSeries: (heapAfter - heapBefore) / (series * newRounds),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [series, newRounds, steadyRounds] = process.argv.slice(2).map(Number);
  console.log(
    JSON.stringify(benchNewSeriesMap(series || undefined, newRounds || undefined, steadyRounds || undefined)),
  );
}
