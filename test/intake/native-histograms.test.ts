import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusProcess } from '../support/prometheus.js';
import { startPromdog, post, type TestPromdog } from '../support/promdog.js';
import { encodeSketchPayload, type SketchInput } from '../support/proto-writer.js';
import { seededRandom } from '../support/random.js';
import { DDSketchBuilder } from '../../src/mapping/ddsketch.js';

// Datadog sketches as native histograms (mapping.distributions: native_histogram), the same payloads through a
// gateway-mode promdog into a real Prometheus with native histograms on and into a local-mode promdog's embedded
// store: the percentile across hosts that quantile gauges cannot give, and the two answers side by side.

const INTERVAL_S = 10;
const INTERVALS = 6;
const VALUES_PER_INTERVAL = 3000;

/** Each host's values: different sets, so the p99 of all of them is no host's own p99. */
const HOSTS: Record<string, (r: () => number) => number> = {
  'web-1': (r) => Math.exp(3 + Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())), // lognormal
  'web-2': (r) => 1 + 999 * r(), // uniform
  'web-3': (r) => -120 * Math.log(1 - r()), // exponential
};

let prom: PrometheusProcess;
let pd: TestPromdog;
/** Local mode with the default mapping (distributions: both): the embedded store keeps the histograms. */
let local: TestPromdog;
let configDir: string;

before(async () => {
  prom = await PrometheusProcess.start({ features: ['native-histograms'] });
  configDir = mkdtempSync(join(tmpdir(), 'promdog-nh-'));
  const config = join(configDir, 'promdog.yaml');
  writeFileSync(config, 'mapping:\n  distributions: native_histogram\n');
  pd = await startPromdog([
    '--remote-write-url',
    prom.remoteWriteUrl,
    '--config',
    config,
    '--dogstatsd-listen',
    '127.0.0.1:0',
  ]);
  local = await startPromdog([]);
});
after(async () => {
  await pd?.close();
  await local?.close();
  await prom?.cleanup();
  rmSync(configDir, { recursive: true, force: true });
});

/** A native histogram as the query API returns it: buckets as [boundary rule, lower, upper, count]. */
interface HistogramJson {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  histogram?: [number, HistogramJson];
}

/** An instant query to Prometheus or to the local-mode promdog (`key`: its API key). */
async function instantQuery(baseUrl: string, expr: string, timeSec: number, key?: string): Promise<Sample[]> {
  const res = await fetch(`${baseUrl}/api/v1/query?${new URLSearchParams({ query: expr, time: String(timeSec) })}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  const body = (await res.json()) as { status: string; data: { result: Sample[] } };
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data.result;
}

/**
 * The q-quantile of a histogram with linear interpolation inside the bucket holding it: Prometheus 2's rule for
 * native histograms (Prometheus 3, and promdog, interpolate exponentially inside exponential buckets).
 */
function linearQuantile(q: number, h: HistogramJson): number {
  const rank = q * Number(h.count);
  let seen = 0;
  for (const [, lower, upper, count] of h.buckets ?? []) {
    const c = Number(count);
    if (seen + c >= rank) return Number(lower) + (Number(upper) - Number(lower)) * ((rank - seen) / c);
    seen += c;
  }
  return Number.NaN;
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

function sketchOf(values: number[], ts: number): SketchInput['dogsketches'][number] {
  const b = new DDSketchBuilder();
  for (const v of values) b.add(v);
  const p = b.toPoint(ts);
  return { ts, cnt: p.cnt, min: p.min, max: p.max, avg: p.avg, sum: p.sum, k: p.keys, n: p.counts };
}

describe('sketches as native histograms in a real Prometheus and in the embedded store', () => {
  test('histogram_quantile(0.99, sum(rate(x[1m]))) over three hosts: within 2 % of the exact p99 in both', async () => {
    const r = seededRandom(16);
    const end = Math.floor(Date.now() / 1000 / INTERVAL_S) * INTERVAL_S;
    const start = end - (INTERVALS - 1) * INTERVAL_S;
    // rate() over the window sees what came after its first sample: the values of every interval but the first.
    const counted: number[] = [];
    for (let ts = start; ts <= end; ts += INTERVAL_S) {
      const sketches: SketchInput[] = Object.entries(HOSTS).map(([host, draw]) => {
        const values = Array.from({ length: VALUES_PER_INTERVAL }, () => draw(r));
        if (ts > start) counted.push(...values);
        return { metric: 'checkout.latency', host, tags: ['env:prod'], dogsketches: [sketchOf(values, ts)] };
      });
      for (const target of [pd, local]) {
        const res = await post(target.url, '/api/beta/sketches', encodeSketchPayload(sketches), {
          encoding: 'zstd',
          key: target.keys.default,
          contentType: 'application/x-protobuf',
        });
        assert.equal(res.status, 202, JSON.stringify(res.json));
      }
    }
    counted.sort((a, b) => a - b);
    const exact = counted[Math.ceil(0.99 * counted.length) - 1]!;

    const p99Expr = 'histogram_quantile(0.99, sum(rate(checkout_latency_histogram[1m])))';
    const got = await prom.query(p99Expr, end);
    assert.equal(got.length, 1, JSON.stringify(got));
    const p99 = Number(got[0]!.value[1]);
    assert.ok(Math.abs(p99 - exact) / exact <= 0.02, `p99 ${p99} vs exact ${exact}`);
    // The embedded store answers the same query from the same payloads: within 2 % of the exact p99 too, over the
    // same histogram as Prometheus' (every bucket within float tolerance), and at the same quantile but for the
    // interpolation inside the bucket, which Prometheus 2 does linearly.
    const embedded = await instantQuery(local.url, p99Expr, end, local.keys.default);
    assert.equal(embedded.length, 1, JSON.stringify(embedded));
    const localP99 = Number(embedded[0]!.value![1]);
    assert.ok(relative(localP99, exact) <= 0.02, `embedded p99 ${localP99} vs exact ${exact}`);
    const rateExpr = 'sum(rate(checkout_latency_histogram[1m]))';
    const [fromProm] = await instantQuery(prom.url, rateExpr, end);
    const [fromLocal] = await instantQuery(local.url, rateExpr, end, local.keys.default);
    const promH = fromProm!.histogram![1];
    const localH = fromLocal!.histogram![1];
    assert.ok(relative(Number(localH.count), Number(promH.count)) <= 1e-12, `count ${localH.count} vs ${promH.count}`);
    assert.ok(relative(Number(localH.sum), Number(promH.sum)) <= 1e-12, `sum ${localH.sum} vs ${promH.sum}`);
    assert.equal(localH.buckets!.length, promH.buckets!.length);
    localH.buckets!.forEach((b, i) => {
      const p = promH.buckets![i]!;
      // Bounds computed as 2^(i/64) may differ in the last bit between Go's math and JavaScript's.
      assert.equal(b[0], p[0], `bucket ${i} boundary rule`);
      for (const k of [1, 2]) assert.ok(relative(Number(b[k]), Number(p[k])) <= 1e-12, `bucket ${i}: ${b} vs ${p}`);
      assert.ok(relative(Number(b[3]), Number(p[3])) <= 1e-12, `bucket ${i}: ${b[3]} vs ${p[3]}`);
    });
    assert.ok(
      relative(linearQuantile(0.99, localH), p99) <= 1e-12,
      `linear p99 ${linearQuantile(0.99, localH)} vs ${p99}`,
    );
    const localCount = await instantQuery(
      local.url,
      'sum(histogram_count(checkout_latency_histogram))',
      end,
      local.keys.default,
    );
    assert.equal(Number(localCount[0]!.value![1]), INTERVALS * VALUES_PER_INTERVAL * 3);
    // Local mode's default also keeps the Datadog-style quantile gauges, one per host.
    const gauges = await instantQuery(local.url, 'checkout_latency{quantile="0.99"}', end, local.keys.default);
    assert.deepEqual(gauges.map((g) => g.metric.instance).sort(), ['web-1', 'web-2', 'web-3']);

    // Every interval's values are in the series' running count; the extremes are gauges of the last interval.
    const count = await prom.query('sum(histogram_count(checkout_latency_histogram))', end);
    assert.equal(Number(count[0]!.value[1]), INTERVALS * VALUES_PER_INTERVAL * 3);
    const series = await prom.series(['{__name__=~"checkout_latency.*"}'], start, end);
    assert.deepEqual([...new Set(series.map((s) => s.__name__))].sort(), [
      'checkout_latency_histogram',
      'checkout_latency_max',
      'checkout_latency_min',
    ]);
    assert.deepEqual(
      series.find((s) => s.__name__ === 'checkout_latency_histogram' && s.instance === 'web-2'),
      {
        __name__: 'checkout_latency_histogram',
        env: 'prod',
        instance: 'web-2',
        job: 'ddagent',
        type: 'distribution',
      },
    );
  });

  test('DogStatsD d distributions follow the option: a running histogram of every value sent', {
    timeout: 60_000,
  }, async () => {
    const r = seededRandom(5);
    const values = Array.from({ length: 500 }, () => Math.round(1000 * (1 + 99 * r())) / 1000);
    const udp = pd.server.dogstatsd!.udpAddress()!;
    const socket = createSocket('udp4');
    try {
      for (let i = 0; i < values.length; i += 50) {
        const lines = values.slice(i, i + 50).map((v) => `svc.lat:${v}|d|#env:prod`);
        await new Promise<void>((resolve, reject) =>
          socket.send(lines.join('\n'), udp.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
        );
      }
    } finally {
      socket.close();
    }
    // DogStatsD flushes a 10 s bucket once it is closed: wait for every value to have reached Prometheus.
    let count = 0;
    for (let waited = 0; count < values.length && waited < 40_000; waited += 500) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const res = await prom.query('sum(histogram_count(svc_lat_histogram))');
      count = res.length === 1 ? Number(res[0]!.value[1]) : 0;
    }
    assert.equal(count, values.length);
    const sorted = [...values].sort((a, b) => a - b);
    const exact = sorted[Math.ceil(0.5 * sorted.length) - 1]!;
    const median = Number((await prom.query('histogram_quantile(0.5, sum(svc_lat_histogram))'))[0]!.value[1]);
    assert.ok(Math.abs(median - exact) / exact <= 0.02, `median ${median} vs exact ${exact}`);
    const series = await prom.series(['{__name__=~"svc_lat.*"}']);
    assert.deepEqual([...new Set(series.map((x) => x.__name__))].sort(), [
      'svc_lat_histogram',
      'svc_lat_max',
      'svc_lat_min',
    ]);
  });
});
