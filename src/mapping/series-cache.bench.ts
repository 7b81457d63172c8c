// What the mapper keeps per series, and what creating a series costs it: the store bench's Agent-like v1 JSON series
// (10,000 a request, scanned as the decode worker scans them), mapped once (every series new), then once more
// (every series known). Figures: live heap per cached series after a full GC (array buffers counted), the mapper
// alone and with the embedded store's sink behind it (the store's head included), and CPU µs per series of map()
// (and of map() + the sink's write). `snapshot` adds a heap snapshot before and after the mapper's creation round and
// prints what the series added, by class.
//   node --expose-gc dist/src/mapping/series-cache.bench.js [series=200000] [snapshot]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { decodeSeriesV1Json } from '../intake/decoders/series-v1-json.js';
import { EmbeddedStoreSink } from '../sinks/embedded/store-sink.js';
import { Storage } from '../tsdb/storage.js';
import { HostTagCache } from './host-tags.js';
import { Mapper } from './mapper.js';
import { growthLines, heapClasses, heapGrowth } from '../../bench/heap-classes.js';
import { STEP_S, seriesPrefix, seriesValue } from '../../test/support/agent-series.js';

export const SERIES_PER_REQUEST = 10_000;

export interface SeriesCacheFigures {
  series: number;
  /**
   * Live heap (with array buffers) per series after a full GC, of the mapper alone and of the mapper with the
   * store's sink.
   */
  heapBytes: { mapper: number; mapperAndStore: number };
  /** CPU µs per series of map(): series new, series known; and of map() + the sink's write for new series. */
  cpuUs: { createMap: number; knownMap: number; createMapAndWrite: number };
}

/** Series [from, to) at step k in one request: v1 JSON as the Agent sends it. */
export function agentRequest(from: number, to: number, k: number, t0: number): Buffer {
  const parts: string[] = [];
  for (let i = from; i < to; i++)
    parts.push(`${seriesPrefix(i, 'a')}[${t0 + k * STEP_S},${seriesValue('agent', i, k)}]]}`);
  return Buffer.from(`{"series":[${parts.join(',')}]}`);
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function liveHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  // Typed arrays' buffers are outside the JS heap, and the mapper's identity words live in them.
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** One round (step k) of every series through `each`, timing only `each`: the CPU seconds it took. */
async function round(
  series: number,
  k: number,
  t0: number,
  each: (payload: ReturnType<typeof decodeSeriesV1Json>, nowMs: number) => Promise<void> | void,
): Promise<number> {
  let cpu = 0;
  for (let r = 0; r * SERIES_PER_REQUEST < series; r++) {
    const from = r * SERIES_PER_REQUEST;
    const payload = decodeSeriesV1Json(agentRequest(from, Math.min(series, from + SERIES_PER_REQUEST), k, t0));
    const start = cpuSeconds();
    await each(payload, (t0 + k * STEP_S) * 1000);
    cpu += cpuSeconds() - start;
  }
  return cpu;
}

export async function benchSeriesCache(series = 200_000, snapshot = false): Promise<SeriesCacheFigures> {
  const t0 = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S - 10 * STEP_S;
  const us = (s: number) => (s / series) * 1e6;

  const mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
  const map = (p: ReturnType<typeof decodeSeriesV1Json>, nowMs: number) => {
    const r = mapper.map('default', p, nowMs);
    if (r.series.length !== p.seriesBatch!.count) throw new Error('bench: a series was not mapped');
  };
  const before = liveHeap();
  const snapshotBefore = snapshot ? writeHeapSnapshot() : '';
  const createMap = await round(series, 0, t0, map);
  const mapperBytes = liveHeap() - before;
  const snapshotAfter = snapshot ? writeHeapSnapshot() : '';
  const knownMap = await round(series, 1, t0, map);

  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-series-cache-'));
  const storage = new Storage({ dataDir });
  const sink = new EmbeddedStoreSink(storage);
  await storage.tenant('default');
  const withSink = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
  const storeBefore = liveHeap();
  const createMapAndWrite = await round(series, 0, t0, async (p, nowMs) => {
    const r = withSink.map('default', p, nowMs);
    await sink.write({ tenant: 'default', series: r.series, metadata: r.metadata }, Date.now() + 60_000);
  });
  const storeBytes = liveHeap() - storeBefore;
  await sink.close();
  await storage.close();
  rmSync(dataDir, { recursive: true, force: true });

  if (snapshot) {
    console.log(
      `mapper: heap added by ${series} new series, per series, by class (${snapshotBefore} → ${snapshotAfter})`,
    );
    for (const line of growthLines(heapGrowth(heapClasses(snapshotBefore), heapClasses(snapshotAfter)), series))
      console.log(line);
    rmSync(snapshotBefore);
    rmSync(snapshotAfter);
  }
  return {
    series,
    heapBytes: { mapper: Math.round(mapperBytes / series), mapperAndStore: Math.round(storeBytes / series) },
    cpuUs: {
      createMap: Number(us(createMap).toFixed(2)),
      knownMap: Number(us(knownMap).toFixed(2)),
      createMapAndWrite: Number(us(createMapAndWrite).toFixed(2)),
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const series = Number(args.find((a) => /^\d+$/.test(a))) || undefined;
  console.log(JSON.stringify(await benchSeriesCache(series, args.includes('snapshot'))));
}
