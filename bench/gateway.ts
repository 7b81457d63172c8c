import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { PrometheusProcess } from '../test/support/prometheus.js';
import { spawnPromdog } from '../test/support/process.js';
import { agentLikeSeries } from '../src/intake/decoders/series-v2-proto.bench.js';
import { encodeMetricPayload, type MetricSeriesInput } from '../test/support/proto-writer.js';
import { decodeSeriesV2 } from '../src/intake/decoders/series-v2.js';
import { Mapper } from '../src/mapping/index.js';
import { HostTagCache } from '../src/mapping/host-tags.js';
import { encodeWriteRequest } from '../src/sinks/remote-write/encode.js';
import { zstdReady, zstdSync } from '../test/support/zstd.js';
import snappy from 'snappy';

// Gateway mode end to end: Agent-like /api/v2/series payloads (10k points each, zstd) posted to a promdog process
// that remote-writes to a real Prometheus; samples/s and latency. The same samples remote-written straight to
// Prometheus give the target's own ceiling, so the ratio shows whether promdog or the target is the limit.

export interface GatewayResult {
  concurrency: number;
  payloads: number;
  samplesPerPayload: number;
  viaPromdog: { samplesPerSec: number; p50Ms: number; p99Ms: number; non202: number };
  directToPrometheus: { samplesPerSec: number; p50Ms: number; p99Ms: number };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Worker w's payload i: its own hosts (so workers never interleave one series), timestamps advancing 10 s a payload. */
function payloadSeries(base: MetricSeriesInput[], w: number, i: number, t0: number): MetricSeriesInput[] {
  return base.map((s) => ({
    ...s,
    resources: s.resources!.map((r) => (r.type === 'host' ? { type: 'host', name: `${r.name}-w${w}` } : r)),
    points: s.points!.map((p, j) => ({ timestamp: t0 + i * 10 + j, value: p.value + i })),
  }));
}

async function drive(concurrency: number, perWorker: number, send: (w: number, i: number) => Promise<number>) {
  const latencies: number[] = [];
  let bad = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; i < perWorker; i++) {
        const t = performance.now();
        const status = await send(w, i);
        latencies.push(performance.now() - t);
        if (status !== 202 && status !== 204) bad++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), bad };
}

export async function benchGateway(opts: { concurrency?: number; perWorker?: number } = {}): Promise<GatewayResult> {
  const concurrency = opts.concurrency ?? 4;
  const perWorker = opts.perWorker ?? 40;
  await zstdReady();
  const base = agentLikeSeries(10_000);
  const samplesPerPayload = base.reduce((n, s) => n + s.points!.length, 0);
  const t0 = Math.floor(Date.now() / 1000) - perWorker * 10 - 60;
  const bodies = Array.from({ length: concurrency }, (_, w) =>
    Array.from({ length: perWorker }, (_, i) => zstdSync(encodeMetricPayload(payloadSeries(base, w, i, t0)))),
  );

  const prom = await PrometheusProcess.start({ outOfOrderTimeWindow: '2h' });
  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-bench-'));
  const pd = await spawnPromdog(['--data-dir', dataDir, '--remote-write-url', prom.remoteWriteUrl]);
  const key = readFileSync(join(dataDir, 'tenant-api-token-default'), 'utf8').trim();
  const dispatcher = new Agent({ connections: concurrency * 2 });
  try {
    const via = await drive(concurrency, perWorker, async (w, i) => {
      const res = await request(`${pd.url}/api/v2/series`, {
        method: 'POST',
        body: bodies[w]![i]!,
        headers: { 'dd-api-key': key, 'content-encoding': 'zstd', 'content-type': 'application/x-protobuf' },
        dispatcher,
      });
      await res.body.dump();
      return res.statusCode;
    });

    // The same samples, mapped once up front, remote-written directly (the target's ceiling). Fresh Prometheus
    // series (other worker ids) so the second run is not slowed or helped by the first.
    const mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
    const direct = Array.from({ length: concurrency }, (_, w) =>
      Array.from({ length: perWorker }, (_, i) => {
        const payload = decodeSeriesV2(encodeMetricPayload(payloadSeries(base, w + concurrency, i, t0)));
        const mapped = mapper.map('default', payload, Date.now());
        return snappy.compressSync(encodeWriteRequest(mapped.series, []));
      }),
    );
    const dir = await drive(concurrency, perWorker, async (w, i) => {
      const res = await request(prom.remoteWriteUrl, {
        method: 'POST',
        body: direct[w]![i]!,
        headers: {
          'content-encoding': 'snappy',
          'content-type': 'application/x-protobuf',
          'x-prometheus-remote-write-version': '0.1.0',
        },
        dispatcher,
      });
      await res.body.dump();
      return res.statusCode;
    });
    const total = concurrency * perWorker * samplesPerPayload;
    return {
      concurrency,
      payloads: concurrency * perWorker,
      samplesPerPayload,
      viaPromdog: { samplesPerSec: total / via.seconds, p50Ms: via.p50Ms, p99Ms: via.p99Ms, non202: via.bad },
      directToPrometheus: { samplesPerSec: total / dir.seconds, p50Ms: dir.p50Ms, p99Ms: dir.p99Ms },
    };
  } finally {
    await dispatcher.close();
    pd.child.kill('SIGTERM');
    await pd.exited;
    await prom.cleanup();
  }
}
