import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPromdog, post, selfMetric, type TestPromdog } from '../support/promdog.js';
import {
  encodeMetricPayload,
  encodeSketchPayload,
  type MetricSeriesInput,
  type SketchInput,
} from '../support/proto-writer.js';
import { assembleV3Parts, buildV3Columns, type V3Input, type V3WriterOptions } from '../support/v3-writer.js';
import { zstd, zstdFrames } from '../support/zstd.js';
import { decodedBody, loadFixture, seriesInput, shiftToNewest } from '../support/fixtures.js';
import { seededRandom } from '../support/random.js';
import { decodeSeriesV2 } from '../../src/intake/decoders/series-v2.js';
import { agentLikeSeries } from '../../src/intake/decoders/series-v2-proto.bench.js';

// The same data through the v2 routes and through intake_v3 gives identical Prometheus series: two promdogs
// (embedded store), one fed /api/v2/series and /api/beta/sketches, the other /api/intake/metrics/v3/*, both zstd as
// the Agent sends them, exported sample for sample (names, labels, timestamps, values) and compared.

let v2: TestPromdog;
let v3: TestPromdog;
before(async () => {
  v2 = await startPromdog(['--self-scrape-interval', '0']);
  v3 = await startPromdog(['--self-scrape-interval', '0']);
});
after(async () => {
  await v2?.close();
  await v3?.close();
});

const nowS = () => Math.floor(Date.now() / 1000);
const rand = seededRandom(0x0003_d1ff);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

async function postOk(pd: TestPromdog, path: string, body: Buffer): Promise<void> {
  const r = await post(pd.url, path, body, {
    key: pd.keys.default,
    encoding: 'none',
    rawEncodingHeader: 'zstd',
    contentType: 'application/x-protobuf',
  });
  assert.equal(r.status, 202, `${path}: ${JSON.stringify(r.json)}`);
  assert.deepEqual(r.json, { errors: [] }, path);
}

/** v2 bodies to one server, the same input as v3 (each part its own zstd frame, as the Agent) to the other. */
async function postBoth(input: V3Input, opts: V3WriterOptions = {}, v3Path = '/api/intake/metrics/v3/series') {
  const meta = opts.metadata;
  // What payload metadata means, applied to the v2 input: its tags join each series' own, its resources follow.
  // (A sketch has no resources but its host: the metadata here has none of type host.)
  const tagsWithMeta = (tags: string[] = []) => [...tags, ...(meta?.tags ?? []).filter((t) => !tags.includes(t))];
  const series = input.series?.map((s) => ({
    ...s,
    tags: tagsWithMeta(s.tags),
    resources: [...(s.resources ?? []), ...(meta?.resources ?? [])],
  }));
  const sketches = input.sketches?.map((s) => ({ ...s, tags: tagsWithMeta(s.tags) }));
  if (series?.length) await postOk(v2, '/api/v2/series', await zstd(encodeMetricPayload(series)));
  if (sketches?.length) await postOk(v2, '/api/beta/sketches', await zstd(encodeSketchPayload(sketches)));
  const parts = assembleV3Parts(buildV3Columns(input, opts), { metadata: meta });
  await postOk(v3, v3Path, await zstdFrames(parts));
}

/** Every series of the server, each as `labels values timestamps`, sorted. */
async function exported(pd: TestPromdog): Promise<string[]> {
  const res = await fetch(`${pd.url}/api/v1/export?${new URLSearchParams({ 'match[]': '{__name__=~".+"}' })}`, {
    headers: { authorization: `Bearer ${pd.keys.default}` },
  });
  assert.equal(res.status, 200);
  const lines = (await res.text()).split('\n').filter((l) => l !== '');
  return lines
    .map((l) => {
      const s = JSON.parse(l) as { metric: Record<string, string>; values: unknown[]; timestamps: number[] };
      const labels = Object.entries(s.metric).sort(([a], [b]) => (a < b ? -1 : 1));
      return JSON.stringify([labels, s.values, s.timestamps]);
    })
    .sort();
}

async function assertSameStores(): Promise<number> {
  const [a, b] = [await exported(v2), await exported(v3)];
  assert.deepEqual(b, a);
  return a.length;
}

const METRICS = ['gen.cpu', 'gen.mem.used', 'gen.disk-io', 'gen.ütf8.name', 'gen.9lives', '', 'gen.a.b.c.d'];
const TAGS = [
  'env:prod',
  'env:dev',
  'role:web',
  'role:db',
  'team:a',
  'job:etl',
  'instance:x',
  '__meta:y',
  'novalue',
  '',
  'host:h9',
  'a:b:c',
  'ünï:cødé',
  `long:${'x'.repeat(300)}`,
];
const VALUES = [0, 1, -7, 42, 2 ** 50, -(2 ** 49), 0.5, 0.1, -3.25, 1e300, 12345.678, Number.NaN, Infinity, -Infinity];

function randomSeries(count: number, at: number): MetricSeriesInput[] {
  const out: MetricSeriesInput[] = [];
  for (let i = 0; i < count; i++) {
    const resources: { type: string; name: string }[] = [];
    if (rand() < 0.8) resources.push({ type: 'host', name: pick(['web-1', 'web-2', 'db-1', '']) });
    if (rand() < 0.3) resources.push({ type: 'device', name: pick(['eth0', 'sda1']) });
    if (rand() < 0.2) resources.push({ type: pick(['cluster', 'region', 'host']), name: pick(['c1', 'eu', 'h2']) });
    out.push({
      metric: `${pick(METRICS)}${rand() < 0.5 ? `.${int(20)}` : ''}`,
      type: int(4),
      resources,
      tags: Array.from({ length: int(8) }, () => pick(TAGS)),
      unit: pick(['', '', 'byte', 'second']),
      sourceTypeName: pick(['', 'System', 'kubernetes']),
      interval: pick([0, 10, 15, 60]),
      points: Array.from({ length: 1 + int(4) }, () => ({ timestamp: at - int(1800), value: pick(VALUES) })),
    });
  }
  return out;
}

function randomOptions(): V3WriterOptions {
  return {
    splitTags: (tags) => (rand() < 0.5 ? int(tags.length) : 0),
    valueType: pick(['smallest', 'smallest', 'float64'] as const),
    noIndex: () => rand() < 0.1,
    ...(rand() < 0.3
      ? {
          metadata: {
            tags: pick([['dc:eu'], ['env:prod', 'dc:us']]),
            resources: [{ type: 'cluster', name: 'c-meta' }],
          },
        }
      : {}),
  };
}

function randomSketches(count: number, at: number): SketchInput[] {
  return Array.from({ length: count }, () => {
    const cnt = int(6);
    const sum = pick([0, 3, 2.5, 1e6 + 0.25, -4]);
    return {
      metric: `gen.dist.${int(10)}`,
      host: pick(['web-1', '', 'db-1']),
      tags: Array.from({ length: int(5) }, () => pick(TAGS)),
      dogsketches: Array.from({ length: 1 + int(2) }, (_, j) => ({
        ts: at - 60 * j - int(30),
        cnt,
        min: pick([0, -1.5, 1]),
        max: pick([0, 7, 1e6]),
        avg: cnt > 0 ? sum / cnt : 0,
        sum,
        k: Array.from({ length: cnt }, (_, b) => 1300 + 5 * b),
        n: Array.from({ length: cnt }, (_, b) => 1 + b),
      })),
    };
  });
}

describe('v2 and v3 routes store the same Prometheus series', () => {
  test('generated payloads of many shapes (seeded)', async () => {
    for (let p = 0; p < 30; p++) await postBoth({ series: randomSeries(1 + int(120), nowS()) }, randomOptions());
    assert.ok((await assertSameStores()) > 100);
  });

  test('the Agent capture re-encoded as v3, and a large body the decode workers take', async () => {
    const payloads = loadFixture('api_v2_series_response.json').filter((p) => p.encoding === 'deflate');
    for (const [i, p] of payloads.entries()) {
      const decoded = decodeSeriesV2(decodedBody(p)).series;
      const shift = shiftToNewest(decoded, nowS() - 30 * (payloads.length - i));
      const series = decoded.map((s) => seriesInput(s, shift));
      await postBoth({ series }, { splitTags: (tags) => tags.length >>> 1 });
    }
    const large = agentLikeSeries(10_000, 5).map((s) => ({
      ...s,
      points: s.points!.map((pt) => ({ ...pt, timestamp: nowS() - 5 })),
    }));
    await postBoth({ series: large });
    const decoded = (thread: string) =>
      selfMetric(v3.url, 'promdog_intake_bodies_decoded_total', { route: '/api/intake/metrics/v3/series', thread });
    assert.ok((await decoded('worker')) >= 1, 'the large body went to a decode worker');
    assert.ok((await decoded('main')) >= 1, 'small bodies were decoded on the main thread');
    await assertSameStores();
  });

  test('sketches: /api/beta/sketches against /v3/sketches, and sketches inside a /v3/series body', async () => {
    for (let p = 0; p < 10; p++)
      await postBoth(
        { sketches: randomSketches(1 + int(30), nowS()) },
        randomOptions(),
        '/api/intake/metrics/v3/sketches',
      );
    await postBoth({ sketches: randomSketches(20, nowS()) }, {}, '/api/intake/metrics/v3/series');
    await assertSameStores();
    assert.ok(
      (await selfMetric(v3.url, 'promdog_samples_accepted_total', { tenant: 'default', kind: 'sketch' })) > 0,
      'the sketches route counts as kind sketch',
    );
  });
});
