import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Label } from '../model/prometheus.js';
import { AppendOutcome, Head, UNBOUNDED_WINDOW } from './head.js';
import { hashLabels } from './labels.js';
import { isStaleAt, writeStaleNaN } from '../promql/staleness.js';
import { decodeChunks } from './chunk.js';

const R = 3600_000;

function L(name: string, i: number): Label[] {
  return [
    { name: '__name__', value: name },
    { name: 'i', value: String(i) },
  ];
}

describe('head', () => {
  test('hash collisions: series with the same hash stay distinct and survive removal of the other', () => {
    const h = new Head(R);
    const a = h.create(L('a', 1), 42);
    const b = h.create(L('b', 2), 42);
    const c = h.create(L('c', 3), 42);
    assert.equal(h.get(L('a', 1), 42), a);
    assert.equal(h.get(L('b', 2), 42), b);
    assert.equal(h.get(L('c', 3), 42), c);
    assert.equal(h.get(L('d', 4), 42), undefined);
    assert.equal(h.append(a, 1000, 1, UNBOUNDED_WINDOW), AppendOutcome.Appended);
    assert.equal(h.append(c, R + 1000, 1, UNBOUNDED_WINDOW), AppendOutcome.Appended);
    h.sealBefore(R);
    h.truncateBefore(R); // a's only chunk goes; b never had samples: both removed
    assert.equal(h.get(L('a', 1), 42), undefined);
    assert.equal(h.get(L('b', 2), 42), undefined);
    assert.equal(h.get(L('c', 3), 42), c);
    assert.deepEqual([...h.postingsFor('__name__', 'c')], [c.id]);
    assert.deepEqual([...h.postingsFor('__name__', 'a')], []);
  });

  test('truncation compacts the chunk arena without changing the remaining data', () => {
    const h = new Head(R);
    const series = Array.from({ length: 300 }, (_, i) => {
      const ls = L('m', i);
      return h.create(ls, hashLabels(ls));
    });
    const value = (i: number, k: number): number => Math.sin(i * 1000 + k) * 1e6; // full-precision: XOR, large chunks
    const steps = 720;
    for (let k = 0; k < steps; k++)
      for (let i = 0; i < series.length; i++) h.append(series[i]!, k * 10_000, value(i, k), UNBOUNDED_WINDOW);
    const before = h.memoryBytes();
    h.sealBefore(R);
    h.truncateBefore(R);
    for (let i = 0; i < series.length; i += 37) {
      const d = decodeChunks(h.chunksIn(series[i]!, -Infinity, Infinity), -Infinity, Infinity)!;
      const want = [];
      for (let k = R / 10_000; k < steps; k++) want.push(value(i, k));
      assert.equal(d.timestamps[0], R);
      assert.deepEqual([...d.values], want);
    }
    assert.ok(h.memoryBytes() < before * 0.75, `arena compacted: ${before} → ${h.memoryBytes()} bytes`);
    assert.equal(h.numSamples, series.length * (steps - R / 10_000));
  });

  test('latestSample: the newest sample in range, a stale marker bit for bit, decoding only when it must', () => {
    const h = new Head(R);
    const ls = L('m', 1);
    const s = h.create(ls, hashLabels(ls));
    const decimal = h.create(L('d', 1), hashLabels(L('d', 1)));
    for (let k = 1; k <= 10; k++) {
      h.append(s, k * 10_000, Math.sin(k), UNBOUNDED_WINDOW);
      h.append(decimal, k * 10_000, k * 1.25, UNBOUNDED_WINDOW);
    }
    const latest = (series = s, mint = 0, maxt = 200_000) => {
      const d = h.latestSample(series, mint, maxt);
      return d && { t: [...d.timestamps], v: [...d.values] };
    };
    assert.deepEqual(latest(), { t: [100_000], v: [Math.sin(10)] });
    assert.deepEqual(latest(decimal), { t: [100_000], v: [12.5] });
    assert.equal(latest(s, 100_001), undefined, 'newest sample before the range');
    // Samples after maxt: the open chunk cannot tell the newest one at or before it without decoding.
    assert.deepEqual(latest(s, 60_000, 75_000), { t: [60_000, 70_000], v: [Math.sin(6), Math.sin(7)] });
    const stale = new Float64Array(1);
    writeStaleNaN(stale, 0);
    h.append(s, 110_000, stale[0]!, UNBOUNDED_WINDOW);
    const d = h.latestSample(s, 0, 200_000)!;
    assert.deepEqual([...d.timestamps], [110_000]);
    assert.ok(isStaleAt(d.values, 0), 'the stale marker keeps its bits');
  });
});
