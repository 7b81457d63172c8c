import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import type { DecodedPayload, IdentitySeriesBatch } from '../model/datadog.js';
import { loadFixture } from '../../test/support/fixtures.js';
import { STEP_S, seriesPrefix, seriesValue } from '../../test/support/agent-series.js';
import { HostTagCache } from '../mapping/host-tags.js';
import { Mapper } from '../mapping/mapper.js';
import { BadBodyError, PayloadTooLargeError, decompressBody, type BodyEncoding } from './body.js';
import { DecodePool, type DecodeFormat } from './decode-pool.js';
import { decodeMetricsV3 } from './decoders/metrics-v3.js';
import { decodeSeriesV1Json } from './decoders/series-v1-json.js';
import { decodeSeriesV2 } from './decoders/series-v2.js';
import { agentLikeSeries } from './decoders/series-v2-proto.bench.js';
import { encodeV3Payload } from '../../test/support/v3-writer.js';

const limits = { maxCompressedBytes: 8 << 20, maxDecompressedBytes: 16 << 20 };
const pool = new DecodePool(2);
after(() => pool.close());

/** The words of series i's identity, to compare batches made in different threads. */
function identity(b: IdentitySeriesBatch, i: number): number[] {
  const words = new Int32Array(b.identityWords(i));
  b.writeIdentity(i, words, 0);
  return [...words];
}

/** What the main thread would have decoded, and what the pool decoded: equal in every way the mapper reads. */
async function assertSameAsMainThread(
  format: DecodeFormat,
  compressed: Buffer,
  encoding: BodyEncoding,
): Promise<DecodedPayload> {
  const decoders = { 'v1-json': decodeSeriesV1Json, v2: decodeSeriesV2, v3: decodeMetricsV3 };
  const local = decoders[format](await decompressBody(compressed, encoding, limits), limits);
  const { payload, decompressedBytes } = await pool.decode(format, compressed, encoding, limits);
  assert.equal(decompressedBytes, (await decompressBody(compressed, encoding, limits)).length);
  assert.deepEqual(payload.series, local.series);
  assert.deepEqual(payload.sketches, local.sketches);
  const [a, b] = [payload.seriesBatch, local.seriesBatch];
  assert.equal(a === undefined, b === undefined, 'scanned in both or in neither');
  if (a && b) {
    assert.equal(a.encoding, b.encoding);
    assert.equal(a.count, b.count);
    for (let i = 0; i < a.count; i++) {
      assert.deepEqual(identity(a, i), identity(b, i));
      assert.equal(a.identityHash(i), b.identityHash(i));
      const words = new Int32Array(identity(b, i));
      assert.ok(a.identityEquals(i, words, 0));
      assert.equal(a.pointsStart(i), b.pointsStart(i));
    }
    assert.equal(a.pointsStart(a.count), b.pointsStart(b.count));
    assert.deepEqual(Array.from(a.timestamps), Array.from(b.timestamps));
    assert.deepEqual(
      Array.from(a.values, (v) => (Object.is(v, -0) ? '-0' : v)),
      Array.from(b.values, (v) => (Object.is(v, -0) ? '-0' : v)),
    );
  }
  return payload;
}

function agentV1Body(series: number, step: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < series; i++)
    parts.push(`${seriesPrefix(i, 'w')}[${1_700_000_000 + step * STEP_S},${seriesValue('noisy20', i, step)}]]}`);
  return Buffer.from(`{"series":[${parts.join(',')}]}`);
}

describe('decode pool', () => {
  test('Agent v2 protobuf captures decode in a worker exactly as on the main thread', async () => {
    const payloads = loadFixture('api_v2_series_response.json').filter((p) => p.encoding === 'deflate');
    assert.ok(payloads.length >= 3);
    for (const p of payloads) {
      const got = await assertSameAsMainThread('v2', p.data, 'deflate');
      assert.ok(got.seriesBatch && got.seriesBatch.count > 100);
    }
  });

  test('v1 JSON: scanned bodies, the JSON.parse fallback and v2 JSON come back the same', async () => {
    const body = agentV1Body(5000, 3);
    for (const [wire, enc] of [
      [deflateSync(body), 'deflate'],
      [gzipSync(body), 'gzip'],
      [body, 'identity'],
    ] as const) {
      const got = await assertSameAsMainThread('v1-json', wire, enc);
      assert.equal(got.seriesBatch?.count, 5000);
    }
    // An escaped key is left to JSON.parse: no batch, the series as objects.
    const escaped = Buffer.from('{"series":[{"metr\\u0069c":"a.b","points":[[1700000000,1]],"host":"h"}]}');
    const fallback = await assertSameAsMainThread('v1-json', deflateSync(escaped), 'deflate');
    assert.equal(fallback.seriesBatch, undefined);
    assert.equal(fallback.series[0]?.metric, 'a.b');
    const v2json = Buffer.from(
      JSON.stringify({
        series: [
          {
            metric: 'c.d',
            type: 3,
            points: [{ timestamp: 1700000000, value: 2.5 }],
            resources: [{ type: 'host', name: 'h' }],
          },
        ],
      }),
    );
    assert.equal((await assertSameAsMainThread('v2', deflateSync(v2json), 'deflate')).series[0]?.values[0], 2.5);
  });

  test('v3 columnar: series and sketches decode in a worker exactly as on the main thread', async () => {
    const series = agentLikeSeries(5000, 2);
    const sketches = [
      {
        metric: 'lat',
        host: 'h1',
        tags: ['env:prod'],
        dogsketches: [{ ts: 1_700_000_000, cnt: 2, min: 1, max: 3, avg: 2, sum: 4, k: [1338, 1409], n: [1, 1] }],
      },
    ];
    const body = encodeV3Payload({ series, sketches }, { splitTags: (tags) => tags.length >>> 1 });
    const got = await assertSameAsMainThread('v3', gzipSync(body), 'gzip');
    assert.equal(got.seriesBatch?.count, series.length);
    assert.equal(got.sketches.length, 1);
  });

  test('what the mapper makes of a worker-decoded body is what it makes of a main-thread one', async () => {
    const viaPool = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
    const local = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
    for (let step = 0; step < 3; step++) {
      const body = agentV1Body(2000, step);
      const a = viaPool.map(
        't',
        (await pool.decode('v1-json', deflateSync(body), 'deflate', limits)).payload,
        1_700_001_000_000,
      );
      const b = local.map('t', decodeSeriesV1Json(body), 1_700_001_000_000);
      assert.deepEqual(
        a.series.map((s) => [s.labels, s.timestamps, s.values]),
        b.series.map((s) => [s.labels, s.timestamps, s.values]),
      );
      assert.equal(a.series.length, 2000);
    }
  });

  test("errors are the main thread's, with the same messages; the pool keeps working after them", async () => {
    const bad = Buffer.from('{"series":[{"metric":"a","points":[[1,2]]}');
    const localError = (() => {
      try {
        decodeSeriesV1Json(bad);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a DecodeError');
    })();
    await assert.rejects(
      pool.decode('v1-json', deflateSync(bad), 'deflate', limits),
      (e: Error) => e.name === 'DecodeError' && e.message === localError.message,
    );
    await assert.rejects(
      pool.decode('v2', Buffer.from('not zlib at all, not zlib at all'), 'deflate', limits),
      BadBodyError,
    );
    await assert.rejects(
      pool.decode('v2', deflateSync(Buffer.alloc(32 << 20)), 'deflate', limits),
      (e: Error) => e instanceof PayloadTooLargeError && /decompressed size limit of 16777216 bytes/.test(e.message),
    );
    const ok = await pool.decode('v1-json', deflateSync(agentV1Body(10, 0)), 'deflate', limits);
    assert.equal(ok.payload.seriesBatch?.count, 10);
  });
});
