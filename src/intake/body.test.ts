import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { deflateSync, deflateRawSync, gzipSync } from 'node:zlib';
import {
  BadBodyError,
  PayloadTooLargeError,
  UnsupportedEncodingError,
  decompressBody,
  inflateChunkBytes,
  parseContentEncoding,
  readCompressedBody,
  type BodyEncoding,
  type BodyLimits,
} from './body.js';
import { zstdFrames, zstdReady, zstdSync } from '../../test/support/zstd.js';

const limits = { maxCompressedBytes: 1 << 20, maxDecompressedBytes: 4 << 20 };
const streamOf = (buf: Buffer, chunk = 65536) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts);
};
/** What a route does: the body as sent (size-checked), then decompressed (size-checked). */
async function readBody(
  stream: Readable,
  encoding: BodyEncoding,
  lim: BodyLimits,
): Promise<{ body: Buffer; compressedBytes: number }> {
  const compressed = await readCompressedBody(stream, lim);
  return { body: await decompressBody(compressed, encoding, lim), compressedBytes: compressed.length };
}
const payload = Buffer.from(
  JSON.stringify({ series: Array.from({ length: 2000 }, (_, i) => ({ metric: `m.${i}`, points: [[1, i]] })) }),
);

test('Content-Encoding names map to codecs; unknown ones are refused', () => {
  assert.equal(parseContentEncoding(undefined), 'identity');
  assert.equal(parseContentEncoding('identity'), 'identity');
  assert.equal(parseContentEncoding('Deflate'), 'deflate');
  assert.equal(parseContentEncoding('gzip'), 'gzip');
  assert.equal(parseContentEncoding('zstd'), 'zstd');
  assert.equal(parseContentEncoding('zstd1'), 'zstd');
  assert.throws(() => parseContentEncoding('br'), UnsupportedEncodingError);
  assert.throws(() => parseContentEncoding('snappy'), /unsupported Content-Encoding "snappy"/);
});

test('every encoding round-trips, zlib-wrapped and raw deflate alike', async () => {
  await zstdReady();
  const cases: [BodyEncoding, Buffer][] = [
    ['identity', payload],
    ['deflate', deflateSync(payload)],
    ['deflate', deflateRawSync(payload)],
    ['gzip', gzipSync(payload)],
    ['zstd', zstdSync(payload)],
  ];
  for (const [enc, wire] of cases) {
    const { body, compressedBytes } = await readBody(streamOf(wire, 1000), enc, limits);
    assert.equal(compressedBytes, wire.length, enc);
    assert.ok(body.equals(payload), `${enc} body differs`);
  }
});

test('zlib output chunks grow with the body, 16 KiB to 1 MiB; a body larger than one chunk still round-trips', async () => {
  assert.equal(inflateChunkBytes(100), 16 << 10);
  assert.equal(inflateChunkBytes(160_000), 1 << 20);
  assert.equal(inflateChunkBytes(20_000), 256 << 10);
  assert.equal(inflateChunkBytes(1 << 30), 1 << 20);
  // Incompressible bytes: the output is as long as the input, so a chunk sized for 8× holds all; a 64 KiB body of
  // zeros deflates to ~100 bytes and inflates through four 16 KiB chunks.
  const zeros = Buffer.alloc(64 << 10);
  const wire = deflateSync(zeros);
  assert.ok(wire.length * 8 < 16 << 10);
  const { body } = await readBody(streamOf(wire), 'deflate', limits);
  assert.ok(body.equals(zeros));
});

test('an over-limit compressed body is refused while reading', async () => {
  const big = Buffer.alloc(limits.maxCompressedBytes + 1, 1);
  await assert.rejects(readBody(streamOf(big), 'identity', limits), PayloadTooLargeError);
});

test('decompression bombs stop at the decompressed limit for every codec', async () => {
  await zstdReady();
  const zeros = Buffer.alloc(64 << 20);
  for (const [enc, wire] of [
    ['deflate', deflateSync(zeros)],
    ['gzip', gzipSync(zeros)],
    ['zstd', zstdSync(zeros)],
  ] as const) {
    assert.ok(wire.length < limits.maxCompressedBytes, `${enc} bomb must pass the compressed limit`);
    await assert.rejects(readBody(streamOf(wire), enc, limits), /decompressed size limit of 4194304 bytes/, enc);
  }
  await assert.rejects(
    readBody(streamOf(Buffer.alloc(limits.maxDecompressedBytes + 1)), 'identity', {
      ...limits,
      maxCompressedBytes: 64 << 20,
    }),
    PayloadTooLargeError,
  );
});

test('corrupt compressed bodies are BadBodyError, never something else', async () => {
  await zstdReady();
  const gz = gzipSync(payload);
  const zs = zstdSync(payload);
  for (const [enc, wire] of [
    ['gzip', Buffer.from('not gzip at all')],
    ['deflate', Buffer.from([0x78, 0x9c, 1, 2, 3, 4, 5])],
    ['zstd', Buffer.from('garbage garbage')],
    ['gzip', gz.subarray(0, gz.length >> 1)],
    ['zstd', zs.subarray(0, zs.length >> 1)],
  ] as const) {
    await assert.rejects(readBody(streamOf(wire), enc, limits), BadBodyError, enc);
  }
});

test('a zstd frame declaring more than the limit is refused before decoding', async () => {
  const { zstdBomb } = await import('../../test/support/zstd-bomb.js');
  const before = process.memoryUsage().arrayBuffers;
  for (const declareSize of [true, false]) {
    await assert.rejects(
      readBody(streamOf(zstdBomb(512 << 20, { declareSize })), 'zstd', limits),
      PayloadTooLargeError,
    );
  }
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'the bomb never allocated its declared size');
  // Within the limit the same construction decodes byte for byte.
  const { body } = await readBody(streamOf(zstdBomb(300_000, { declareSize: true })), 'zstd', limits);
  assert.equal(body.length, 300_000);
  assert.ok(body.every((b) => b === 0x41));
});

test("concatenated zstd frames and gzip members, as the Agent's v3 serializer compresses, read as one body", async () => {
  // The Agent compresses the payload header and each column on its own and sends the frames one after the other.
  const parts = [Buffer.from([0x1a, 0x80, 0x10]), payload.subarray(0, 70_000), payload.subarray(70_000)];
  const whole = Buffer.concat(parts);
  const frames = await zstdFrames(parts);
  const members = Buffer.concat(parts.map((p) => gzipSync(p)));
  assert.deepEqual(await decompressBody(frames, 'zstd', limits), whole);
  assert.deepEqual(await decompressBody(members, 'gzip', limits), whole);
  for (const [enc, body] of [
    ['zstd', frames],
    ['gzip', members],
  ] as const)
    await assert.rejects(
      decompressBody(body, enc, { ...limits, maxDecompressedBytes: whole.length - 1 }),
      PayloadTooLargeError,
      enc,
    );
});
