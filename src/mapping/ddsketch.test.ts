import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DDSketchBuilder, SKETCH_BIAS, SKETCH_GAMMA, keyValue, sketchKey, sketchQuantile } from './ddsketch.js';
import { seededRandom } from '../../test/support/random.js';

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.round(q * (sorted.length - 1))]!;
}

const RELATIVE_ACCURACY = Math.sqrt(SKETCH_GAMMA) - 1; // a value lies within half a bin (in log space) of its key

describe('sketchKey / keyValue', () => {
  test('keys are non-decreasing in the value, positive above the tiny range', () => {
    let prev = 0;
    for (let e = -8; e <= 12; e += 0.01) {
      const k = sketchKey(10 ** e);
      assert.ok(k >= prev, `key(${10 ** e}) = ${k} < ${prev}`);
      assert.ok(k > 0);
      prev = k;
    }
  });

  test('key of 1 is the bias; consecutive keys are a factor γ apart', () => {
    assert.equal(sketchKey(1), SKETCH_BIAS);
    assert.equal(sketchKey(SKETCH_GAMMA), SKETCH_BIAS + 1);
    assert.ok(Math.abs(keyValue(SKETCH_BIAS + 10) / keyValue(SKETCH_BIAS + 9) - SKETCH_GAMMA) < 1e-12);
  });

  test('value → key → value stays within the relative accuracy', () => {
    const r = seededRandom(1);
    for (let i = 0; i < 5000; i++) {
      const v = 10 ** (r() * 18 - 6);
      const back = keyValue(sketchKey(v));
      assert.ok(Math.abs(back - v) / v <= RELATIVE_ACCURACY + 1e-12, `${v} → ${back}`);
    }
  });

  test('negative values mirror positive ones', () => {
    for (const v of [1e-6, 0.5, 1, 3.7, 1e9]) {
      assert.equal(sketchKey(-v), -sketchKey(v));
      assert.ok(Math.abs(keyValue(sketchKey(-v)) + v) / v <= RELATIVE_ACCURACY + 1e-12);
    }
    assert.ok(sketchKey(-2) < sketchKey(-1), 'more negative values get smaller keys');
  });

  test('values below ~1e-9 in magnitude share key 0, whose value is 0', () => {
    // `=== 0`: negative tiny values give -0, which is the same bin (and the same zigzag varint) as 0.
    for (const v of [0, 1e-10, -1e-10, 5e-12, -0]) assert.ok(sketchKey(v) === 0, `key(${v}) = ${sketchKey(v)}`);
    assert.ok(sketchKey(1e-8) > 0);
    assert.equal(keyValue(0), 0);
  });

  test('huge values are clamped to the largest key instead of overflowing', () => {
    const k = sketchKey(1e300);
    assert.ok(k <= 32767);
    assert.equal(sketchKey(1e301), k);
  });
});

describe('DDSketchBuilder', () => {
  test('count, min, max, sum, avg and sorted unique keys', () => {
    const b = new DDSketchBuilder();
    for (const v of [3, 1, 2, 2, -4]) b.add(v);
    b.add(10, 2);
    const p = b.toPoint(1700000000);
    assert.equal(p.ts, 1700000000);
    assert.equal(p.cnt, 7);
    assert.equal(p.min, -4);
    assert.equal(p.max, 10);
    assert.equal(p.sum, 3 + 1 + 2 + 2 - 4 + 20);
    assert.equal(p.avg, 24 / 7);
    assert.deepEqual(
      p.keys,
      [...p.keys].sort((a, b) => a - b),
    );
    assert.equal(new Set(p.keys).size, p.keys.length);
    assert.equal(
      p.counts.reduce((a, b) => a + b, 0),
      7,
    );
    assert.equal(p.counts[p.keys.indexOf(sketchKey(2))], 2);
  });

  test('non-finite values and non-positive counts are ignored', () => {
    const b = new DDSketchBuilder();
    b.add(NaN);
    b.add(Infinity);
    b.add(5, 0);
    assert.equal(b.count, 0);
    const p = b.toPoint(1);
    assert.deepEqual([p.cnt, p.min, p.max, p.avg, p.keys.length], [0, 0, 0, 0, 0]);
  });

  for (const [name, gen] of [
    ['uniform 1..1000', (r: () => number) => 1 + r() * 999],
    [
      'log-normal latencies',
      (r: () => number) => Math.exp(3 + 1.5 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
    ],
    ['mixed signs', (r: () => number) => (r() - 0.3) * 500],
  ] as const) {
    test(`quantiles within 2% of the exact ones: ${name}`, () => {
      const r = seededRandom(42);
      const values = Array.from({ length: 20000 }, () => gen(r));
      const b = new DDSketchBuilder();
      for (const v of values) b.add(v);
      const p = b.toPoint(0);
      const sorted = [...values].sort((x, y) => x - y);
      for (const q of [0.5, 0.75, 0.9, 0.95, 0.99]) {
        const exact = exactQuantile(sorted, q);
        const got = sketchQuantile(p, q);
        assert.ok(Math.abs(got - exact) <= 0.02 * Math.abs(exact) + 1e-9, `q=${q}: sketch ${got}, exact ${exact}`);
      }
      assert.equal(sketchQuantile(p, 0), sorted[0]);
      assert.equal(sketchQuantile(p, 1), sorted[sorted.length - 1]);
    });
  }

  test('a repeated key counts like one bin with the summed count', () => {
    const merged = {
      ts: 0,
      cnt: 10,
      min: 1,
      max: 100,
      avg: 30,
      sum: 300,
      keys: [sketchKey(1), sketchKey(50), sketchKey(100)],
      counts: [2, 7, 1],
    };
    const split = {
      ...merged,
      keys: [sketchKey(1), sketchKey(50), sketchKey(50), sketchKey(100)],
      counts: [2, 3, 4, 1],
    };
    for (const q of [0.1, 0.5, 0.75, 0.9, 0.99]) assert.equal(sketchQuantile(split, q), sketchQuantile(merged, q));
  });
});
