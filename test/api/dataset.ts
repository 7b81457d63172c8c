// A deterministic data set for comparing promdog's query API with a real Prometheus holding the same samples
// (tests in this folder and bench/query.ts), and the loader that writes it into both.
import type { Label, PromSeries } from '../../src/model/prometheus.js';
import { encodeSnappyWriteRequest } from '../../src/sinks/remote-write/encode.js';
import { MemoryQuerier } from '../support/memory-querier.js';
import type { TestStore } from '../support/store.js';
import { seededRandom } from '../support/random.js';

export interface DatasetOptions {
  /** First sample time (ms); rounded down to a whole minute. */
  startMs: number;
  durationMs: number;
  /** Scrape interval. Default 15 s. */
  intervalMs?: number;
  /** Hosts; each has 4 request counters, 3 CPU counters, a memory gauge and a temperature gauge. Default 4. */
  hosts?: number;
  seed?: number;
}

const sorted = (o: Record<string, string>): Label[] =>
  Object.entries(o)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/**
 * Counters with resets and gauges, sampled every interval. Every sample time is a whole step plus 100–899 ms, so no
 * sample ever sits exactly on a window boundary of a query whose times, ranges, offsets and subquery steps are whole
 * seconds. That keeps the comparison with Prometheus 2.42 (closed windows [t-range, t]) clear of Prometheus 3's
 * left-open windows (t-range, t], which promdog implements: the two differ only for samples exactly at t-range.
 */
export function makeDataset(opts: DatasetOptions): PromSeries[] {
  const interval = opts.intervalMs ?? 15_000;
  const hosts = opts.hosts ?? 4;
  const rnd = seededRandom(opts.seed ?? 42);
  const start = Math.floor(opts.startMs / 60_000) * 60_000;
  const n = Math.floor(opts.durationMs / interval);
  const out: PromSeries[] = [];
  let seriesIndex = 0;
  const series = (labels: Record<string, string>, next: (i: number, prev: number) => number, first: number) => {
    const s: PromSeries = { labels: sorted(labels), timestamps: [], values: [] };
    const k = seriesIndex++;
    let v = first;
    for (let i = 0; i < n; i++) {
      s.timestamps.push(start + i * interval + 100 + ((k * 37 + i * 13) % 800));
      v = i === 0 ? first : next(i, v);
      s.values.push(v);
    }
    out.push(s);
  };
  const counter = (rate: number, resetEvery: number) => (i: number, prev: number) =>
    // A reset now and then: the process restarted and counts from a small number again.
    i % resetEvery === 0 ? Math.floor(rnd() * 5) : prev + Math.floor(rnd() * rate * (interval / 1000));
  const rooms = ['lab', 'office', 'hall'];
  for (let h = 0; h < hosts; h++) {
    const instance = `host-${h}:9100`;
    for (const method of ['GET', 'POST']) {
      for (const code of ['200', '500']) {
        const rate = (code === '200' ? 20 : 2) * (method === 'GET' ? 3 : 1) * (1 + h * 0.25);
        series(
          { __name__: 'http_requests_total', job: 'api', instance, method, code },
          counter(rate, 37 + h * 11),
          Math.floor(rnd() * 1000),
        );
      }
    }
    for (const mode of ['user', 'system', 'idle']) {
      series(
        { __name__: 'node_cpu_seconds_total', job: 'node', instance, mode },
        (_i, p) => p + rnd() * (interval / 1000),
        rnd() * 1e5,
      );
    }
    series(
      { __name__: 'node_memory_free_bytes', job: 'node', instance },
      (_i, p) => Math.max(1e8, p + (rnd() - 0.5) * 5e7),
      4e8 + rnd() * 6e8,
    );
    series(
      { __name__: 'temperature_celsius', job: 'sensors', instance, room: rooms[h % rooms.length]! },
      (_i, p) => p + (rnd() - 0.5),
      18 + rnd() * 6,
    );
  }
  return out;
}

/** The first and last sample times of a data set (ms). */
export function datasetSpan(data: PromSeries[]): { minMs: number; maxMs: number } {
  let minMs = Infinity;
  let maxMs = -Infinity;
  for (const s of data) {
    minMs = Math.min(minMs, s.timestamps[0]!);
    maxMs = Math.max(maxMs, s.timestamps[s.timestamps.length - 1]!);
  }
  return { minMs, maxMs };
}

/**
 * Slices of the data set in time order (each holds every series' samples of one time window), so a receiver that
 * only appends near its newest sample (Prometheus' head) accepts every slice.
 */
export function timeSlices(data: PromSeries[], windowMs: number): PromSeries[][] {
  const { minMs, maxMs } = datasetSpan(data);
  const slices: PromSeries[][] = [];
  for (let lo = minMs; lo <= maxMs; lo += windowMs) {
    const hi = lo + windowMs;
    const slice: PromSeries[] = [];
    for (const s of data) {
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let i = 0; i < s.timestamps.length; i++) {
        const t = s.timestamps[i]!;
        if (t >= lo && t < hi) {
          timestamps.push(t);
          values.push(s.values[i]!);
        }
      }
      if (timestamps.length > 0) slice.push({ labels: s.labels, timestamps, values });
    }
    if (slice.length > 0) slices.push(slice);
  }
  return slices;
}

/** Remote-writes a data set to a Prometheus (`--web.enable-remote-write-receiver`), in time order. */
export async function remoteWrite(
  remoteWriteUrl: string,
  data: PromSeries[],
  headers: Record<string, string> = {},
): Promise<void> {
  for (const slice of timeSlices(data, 10 * 60_000)) {
    const res = await fetch(remoteWriteUrl, {
      method: 'POST',
      headers: {
        'content-encoding': 'snappy',
        'content-type': 'application/x-protobuf',
        'x-prometheus-remote-write-version': '0.1.0',
        ...headers,
      },
      body: encodeSnappyWriteRequest(slice),
    });
    const text = await res.text();
    if (res.status >= 300)
      throw new Error(`remote write to ${remoteWriteUrl}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  }
}

export function memoryQuerierOf(data: PromSeries[]): MemoryQuerier {
  const q = new MemoryQuerier();
  for (const s of data) for (let i = 0; i < s.timestamps.length; i++) q.add(s.labels, s.timestamps[i]!, s.values[i]!);
  return q;
}

/** Appends a data set to the embedded store through its append path, in time order. */
export async function appendDataset(store: TestStore, tenant: string, data: PromSeries[]): Promise<void> {
  for (const slice of timeSlices(data, 10 * 60_000)) await store.append(tenant, slice);
}
