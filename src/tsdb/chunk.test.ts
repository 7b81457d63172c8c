import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkAppender, ENC_DECIMAL, ENC_XOR, MAX_SAMPLES_PER_CHUNK, chunkSampleCount, decodeChunk } from './chunk.js';
import { seededRandom } from '../../test/support/random.js';

function bits(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.toString('hex');
}

/** Encodes, decodes, checks bit-exactness; returns the chunk. */
function roundTrip(ts: number[], vs: number[], xorOnly = false): Uint8Array {
  const a = new ChunkAppender({ xorOnly, initialBytes: 4 });
  for (let i = 0; i < ts.length; i++) a.append(ts[i]!, vs[i]!);
  const chunk = a.bytes();
  assert.equal(chunkSampleCount(chunk), ts.length);
  const outT = new Float64Array(ts.length);
  const outV = new Float64Array(ts.length);
  assert.equal(decodeChunk(chunk, outT, outV, 0), ts.length);
  assert.deepEqual([...outT], ts);
  assert.deepEqual([...outV].map(bits), vs.map(bits), 'values bit-exact');
  // The open chunk's buffer decodes the same (the head reads it while appending).
  const again = new Float64Array(ts.length);
  decodeChunk(a.buf, again, new Float64Array(ts.length), 0);
  assert.deepEqual([...again], ts);
  return chunk;
}

const nanPayload = new Float64Array(new Uint32Array([1, 0x7ff00000]).buffer)[0]!; // NaN with a payload (like Prometheus' stale marker)
const SPECIAL = [
  0,
  -0,
  NaN,
  Infinity,
  -Infinity,
  nanPayload,
  Number.MIN_VALUE,
  -Number.MAX_VALUE,
  1,
  1,
  1,
  0.1,
  1e308,
  -1e-308,
  5e-324,
];

function randomCase(seed: number): { ts: number[]; vs: number[] } {
  const r = seededRandom(seed);
  const n = 1 + Math.floor(r() * MAX_SAMPLES_PER_CHUNK);
  const ts: number[] = [];
  const vs: number[] = [];
  let t = Math.floor(r() * 2e12);
  for (let i = 0; i < n; i++) {
    t += 1 + Math.floor(r() < 0.2 ? r() * 1e9 : r() * 20_000);
    ts.push(t);
    const kind = r();
    vs.push(
      kind < 0.2
        ? Math.round(r() * 100)
        : kind < 0.4
          ? Math.round(r() * 1e4) / 100
          : kind < 0.5
            ? r() * 1e-5
            : kind < 0.6
              ? SPECIAL[Math.floor(r() * SPECIAL.length)]!
              : kind < 0.8
                ? (r() - 0.5) * 1e15
                : (vs[vs.length - 1] ?? 0),
    );
  }
  return { ts, vs };
}

describe('XOR chunk', () => {
  test('special values round-trip bit-exact: NaN (with payload), ±Inf, -0, extremes', () => {
    const ts = SPECIAL.map((_, i) => 1_700_000_000_000 + i * 15_000);
    assert.equal(roundTrip(ts, SPECIAL, true)[0], ENC_XOR);
  });

  test('identical values and a regular interval stay tiny', () => {
    const ts = Array.from({ length: MAX_SAMPLES_PER_CHUNK }, (_, i) => 1_700_000_000_000 + i * 10_000);
    const chunk = roundTrip(
      ts,
      ts.map(() => 42.5),
      true,
    );
    // header 3 + first sample 16 + second ~3 + 118 × 2 bits
    assert.ok(chunk.length < 60, `chunk is ${chunk.length} bytes`);
  });

  test('irregular timestamps and every delta-of-delta bucket, including huge and negative ones', () => {
    const deltas = [
      1,
      1,
      2,
      8191,
      1000,
      65535,
      1,
      524287,
      3,
      2 ** 40,
      7,
      2 ** 33,
      1,
      100,
      90,
      1_000_000,
      5,
      8192,
      65536,
      524288,
    ];
    const ts = [-5_000_000_000];
    for (const d of deltas) ts.push(ts[ts.length - 1]! + d);
    const r = seededRandom(7);
    roundTrip(
      ts,
      ts.map(() => (r() - 0.5) * 1e6),
      true,
    );
    roundTrip([0, 2 ** 52], [1, 2], true);
    roundTrip([-(2 ** 52), 0, 2 ** 52], [3, 2, 1], true);
  });

  test('random values and timestamps round-trip across many seeds', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { ts, vs } = randomCase(seed);
      roundTrip(ts, vs, true);
    }
  });

  test('decode honours [mint, maxt]', () => {
    const a = new ChunkAppender({ xorOnly: true });
    for (let i = 0; i < 10; i++) a.append(i * 100, i + 0.1);
    const ts = new Float64Array(10);
    const vs = new Float64Array(10);
    const n = decodeChunk(a.bytes(), ts, vs, 0, 250, 600);
    assert.deepEqual([...ts.subarray(0, n)], [300, 400, 500, 600]);
    assert.deepEqual([...vs.subarray(0, n)], [3.1, 4.1, 5.1, 6.1]);
  });
});

describe('decimal chunk', () => {
  test('decimal values use the decimal encoding, smaller than XOR', () => {
    const ts = Array.from({ length: MAX_SAMPLES_PER_CHUNK }, (_, i) => 1_700_000_000_000 + i * 10_000);
    const vs = ts.map((_, i) => Math.round((50 + 10 * Math.sin(i / 20)) * 100) / 100);
    const dec = roundTrip(ts, vs);
    assert.equal(dec[0], ENC_DECIMAL);
    assert.equal(dec[2], 2, 'scale 2');
    const xor = roundTrip(ts, vs, true);
    assert.ok(dec.length * 2 < xor.length, `decimal ${dec.length} B vs XOR ${xor.length} B`);
  });

  test('the scale grows when a value needs more decimals; big and negative integers; every dod bucket', () => {
    const vs = [
      1,
      2,
      1.5,
      -7.25,
      1e-3,
      3,
      2 ** 40,
      -(2 ** 40),
      0,
      100,
      107,
      106,
      100,
      227,
      100,
      -27,
      8000,
      8000 - 8192,
      1e6,
      -1e6,
      2 ** 40,
      0,
    ];
    const ts = vs.map((_, i) => 1000 + i * 1000);
    const c = roundTrip(ts, vs);
    assert.equal(c[0], ENC_DECIMAL);
    assert.equal(c[2], 3);
  });

  test('falls back to XOR mid-chunk for values that are not short decimals (-0, NaN, 0.1+0.2, too big)', () => {
    for (const odd of [-0, NaN, 0.1 + 0.2, 2 ** 51, Infinity, 1e-13]) {
      const vs = [1.5, 2.25, odd, 3];
      const c = roundTrip(
        vs.map((_, i) => i * 10),
        vs,
      );
      assert.equal(c[0], ENC_XOR, `after ${odd}`);
    }
    // A scale increase that would push a big value over the integer limit also falls back.
    const c = roundTrip([1, 2], [2 ** 48, 0.001]);
    assert.equal(c[0], ENC_XOR);
  });

  test('random mixes round-trip across many seeds (encoding chosen per chunk)', () => {
    for (let seed = 100; seed <= 220; seed++) {
      const { ts, vs } = randomCase(seed);
      roundTrip(ts, vs);
    }
  });
});

describe('chunk appender reuse', () => {
  test('reset() starts an empty chunk: encodes exactly like a fresh appender', () => {
    const reused = new ChunkAppender();
    for (let i = 0; i < 120; i++) reused.append(i * 1000, Math.sin(i)); // XOR, a large buffer
    reused.reset();
    const fresh = new ChunkAppender();
    for (let i = 0; i < 50; i++) {
      reused.append(500_000 + i * 10_000, i % 7);
      fresh.append(500_000 + i * 10_000, i % 7);
    }
    assert.deepEqual(reused.bytes(), fresh.bytes());
  });
});
