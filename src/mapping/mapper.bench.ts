// Mapping throughput on agent-like payloads: 10k series of one point each, 5–15 tags, a few hosts, the same label
// sets every request (as an agent flushing every 10–15 s). Each request gets new strings, as a decoder makes them.
// Run: node dist/src/mapping/mapper.bench.js
import { pathToFileURL } from 'node:url';
import type { DDMetricType, DDSeries, DecodedPayload } from '../model/datadog.js';
import { emptyPayload } from '../model/datadog.js';
import { sampleCount } from '../model/prometheus.js';
import { HostTagCache } from './host-tags.js';
import { Mapper } from './mapper.js';

const SERIES = 10_000;
const HOSTS = 5;

function templateSeries(): DDSeries[] {
  const types: DDMetricType[] = ['gauge', 'rate', 'count', 'gauge'];
  const out: DDSeries[] = [];
  for (let i = 0; i < SERIES; i++) {
    const family = i % 250;
    const host = `ip-10-0-${i % HOSTS}-17.ec2.internal`;
    const tags = [
      `env:prod`,
      `service:svc-${family % 20}`,
      `version:1.${family % 7}.3`,
      `availability-zone:us-east-1${'abc'[i % 3]}`,
    ];
    const extra = i % 11; // 5..15 tags
    for (let k = 0; k < extra + 1; k++) {
      tags.push(
        k % 3 === 0
          ? `kube_namespace:ns-${(i + k) % 13}`
          : k % 3 === 1
            ? `pod_name:web-${(i * 7 + k) % 997}-x8k2p`
            : `container_id:${((i * 2654435761) >>> 0).toString(16)}${k}`,
      );
    }
    out.push({
      metric: `system.bench.metric_${family}.${['user', 'system', 'idle', 'bytes_rcvd'][i % 4]}`,
      type: types[i % types.length]!,
      host,
      device: i % 5 === 0 ? `sd${'abcd'[i % 4]}` : '',
      resources: [],
      tags,
      sourceTypeName: i % 9 === 0 ? 'System' : '',
      interval: 10,
      unit: '',
      timestamps: [1_700_000_000],
      values: [i * 0.5],
    });
  }
  return out;
}

/** The series' strings as bytes, so each request can decode fresh strings from them like the intake does. */
interface EncodedSeries {
  template: DDSeries;
  metric: Buffer;
  host: Buffer;
  device: Buffer;
  sourceTypeName: Buffer;
  tags: Buffer[];
}

function encode(template: DDSeries[]): EncodedSeries[] {
  return template.map((s) => ({
    template: s,
    metric: Buffer.from(s.metric),
    host: Buffer.from(s.host),
    device: Buffer.from(s.device),
    sourceTypeName: Buffer.from(s.sourceTypeName),
    tags: s.tags.map((t) => Buffer.from(t)),
  }));
}

/**
 * A request's payload, freshly allocated (cache-warm) as a decoder leaves it. `fresh`: new string objects (no
 * string repeats, the decoder's worst case); otherwise the template's strings, as the intake decoder's cache of
 * recently seen strings returns them.
 */
function decode(encoded: EncodedSeries[], ts: number, fresh: boolean): DecodedPayload {
  const p = emptyPayload();
  p.series = encoded.map((e) => ({
    metric: fresh ? e.metric.toString() : e.template.metric,
    type: e.template.type,
    host: fresh ? e.host.toString() : e.template.host,
    device: fresh ? e.device.toString() : e.template.device,
    resources: [],
    tags: fresh ? e.tags.map((t) => t.toString()) : e.template.tags.slice(),
    sourceTypeName: fresh ? e.sourceTypeName.toString() : e.template.sourceTypeName,
    interval: 10,
    unit: '',
    timestamps: [ts],
    values: [e.template.values[0]!],
  }));
  return p;
}

interface Rates {
  /** Samples mapped per wall-clock second of map() calls. */
  wall: number;
  /** Samples mapped per CPU-second (user + system) of map() calls: steadier when other processes share the cores. */
  cpu: number;
  requests: number;
}

function measure(encoded: EncodedSeries[], fresh: boolean, durationMs: number): Rates {
  const mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
  const first = decode(encoded, 1_700_000_000, fresh);
  first.hostMetadata = Array.from({ length: HOSTS }, (_, h) => ({
    host: `ip-10-0-${h}-17.ec2.internal`,
    hostTags: ['team:infra', `rack:r${h}`, 'env:prod'],
    agentVersion: '7.50.3',
    os: 'linux',
  }));
  const got = sampleCount(mapper.map('default', first, Date.now()).series);
  if (got !== SERIES) throw new Error(`bench: expected ${SERIES} samples, got ${got}`);
  for (let i = 1; i <= 20; i++) mapper.map('default', decode(encoded, 1_700_000_000 + 10 * i, fresh), Date.now()); // warm up
  let samples = 0;
  let requests = 0;
  let mapNs = 0;
  let cpuUs = 0;
  const wallStart = Date.now();
  // Only map() is timed; each request's payload is built before it, untimed. Bounded in wall time too.
  while (mapNs < durationMs * 1e6 && Date.now() - wallStart < 5 * durationMs) {
    const payload = decode(encoded, 1_700_001_000 + 10 * requests, fresh);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = mapper.map('default', payload, Date.now());
    mapNs += Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpuUs += cpu.user + cpu.system;
    samples += sampleCount(r.series);
    requests++;
  }
  return { wall: Math.round(samples / (mapNs / 1e9)), cpu: Math.round(samples / (cpuUs / 1e6)), requests };
}

/**
 * Mapping throughput. `samplesPerSec` (CPU-time based) is the worst case for strings: every string is new each
 * request. `internedSamplesPerSec` has the strings repeat as the decoder's string cache returns them.
 */
export function benchMap(durationMs = 2000): {
  samplesPerSec: number;
  wallSamplesPerSec: number;
  internedSamplesPerSec: number;
  seriesPerRequest: number;
} {
  const encoded = encode(templateSeries());
  const fresh = measure(encoded, true, durationMs);
  const interned = measure(encoded, false, durationMs / 2);
  return {
    samplesPerSec: fresh.cpu,
    wallSamplesPerSec: fresh.wall,
    internedSamplesPerSec: interned.cpu,
    seriesPerRequest: SERIES,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = benchMap();
  const m = (n: number): string => `${(n / 1e6).toFixed(2)} M samples/s`;
  console.log(
    `map, ${r.seriesPerRequest} series of 1 point per request: new strings ${m(r.samplesPerSec)} CPU (${m(r.wallSamplesPerSec)} wall); ` +
      `repeated strings ${m(r.internedSamplesPerSec)} CPU`,
  );
}
