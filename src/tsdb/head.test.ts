import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Label } from '../model/prometheus.js';
import { AppendOutcome, Head, UNBOUNDED_WINDOW, type ReplayedPair } from './head.js';
import { hashLabels } from './labels.js';
import { isStaleAt, writeStaleNaN } from '../promql/staleness.js';
import { decodeChunks } from './chunk.js';
import { SeriesColumnsBuilder } from '../model/series-columns.js';

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

  test('replayed series: packed labels found, compared, shared, re-created and kept through a truncation', () => {
    const h = new Head(R);
    const pairs = new Map<string, ReplayedPair>();
    const replayedPairs = (ls: Label[]) =>
      ls.map((l) => {
        const key = `${l.name}=${l.value}`;
        if (!pairs.has(key)) pairs.set(key, h.replayedPair(l.name, l.value));
        return pairs.get(key)!;
      });
    const replay = (ls: Label[], id: number) => h.createReplayed(replayedPairs(ls), ls.length, hashLabels(ls), id);
    for (let i = 0; i < 20; i++) assert.equal(replay(L(i % 2 ? 'a' : 'b', i), i + 1), undefined);
    assert.equal(h.numSeries, 20);
    const a3 = h.get(L('a', 3))!;
    assert.equal(a3.id, 4);
    assert.ok(a3.labelsPacked);
    assert.deepEqual(a3.labels, L('a', 3));
    assert.equal(h.get(L('a', 4)), undefined);
    assert.equal(h.get([{ name: '__name__', value: 'a' }]), undefined);
    // The same labels under another ID (a series re-created after a truncation): the existing one.
    assert.equal(replay(L('a', 3), 40), a3);
    assert.equal(h.numSeries, 20);
    assert.deepEqual([...h.postingsFor('__name__', 'a')], [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    // The mapper's frozen array replaces the packed set.
    const frozen = Object.freeze(L('a', 3)) as Label[];
    a3.labels = frozen;
    assert.ok(!a3.labelsPacked);
    assert.equal(h.get(L('a', 3)), a3);
    assert.equal(a3.labels, frozen);
    // Series 1 (b, 0) gets no sample: a truncation drops it and rebuilds the index; packed sets stay readable.
    for (const s of h.byId.values()) if (s.id !== 1) h.append(s, R + 1000, 1, UNBOUNDED_WINDOW);
    h.sealBefore(R);
    h.truncateBefore(R);
    assert.equal(h.numSeries, 19);
    assert.equal(h.get(L('b', 0)), undefined);
    assert.deepEqual(h.get(L('b', 2))!.labels, L('b', 2));
    assert.deepEqual([...h.postingsFor('__name__', 'b')], [3, 5, 7, 9, 11, 13, 15, 17, 19]);
    assert.deepEqual([...h.postingsFor('i', '0')], []);
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

  test('chunkCount keeps up with chunks sealed, late buffers merged and chunks truncated', () => {
    const h = new Head(R);
    const series = Array.from({ length: 50 }, (_, i) => h.create(L('m', i), hashLabels(L('m', i))));
    const walked = () => {
      let n = 0;
      for (const s of h.byId.values()) n += s.chunks.length / 3 + (s.openRow >= 0 ? 1 : 0) + (s.lateRef >= 0 ? 1 : 0);
      return n;
    };
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 400; k++) {
      for (const s of series) {
        // Mostly in order (every 30 s, crossing the block boundary at R), one in five late by up to ten minutes.
        const late = random() < 0.2;
        const t = k * 30_000 - (late ? Math.floor(random() * 600_000) : 0);
        h.append(s, t, random(), UNBOUNDED_WINDOW);
      }
      if (k % 97 === 0) assert.equal(h.chunkCount, walked(), `after round ${k}`);
    }
    assert.equal(h.chunkCount, walked());
    h.sealBefore(R);
    assert.equal(h.chunkCount, walked(), 'after merging late samples and closing open chunks before R');
    h.truncateBefore(R);
    assert.equal(h.chunkCount, walked(), 'after truncation');
    assert.ok(h.chunkCount > series.length, 'chunks remain after R');
  });

  test('out-of-order samples: buffered, merged on read and before a cut, each stored and cut exactly once', () => {
    const h = new Head(R);
    const ls = L('m', 1);
    const s = h.create(ls, hashLabels(ls));
    const step = 10_000;
    const steps = (2 * R) / step; // two block ranges, several chunks each
    // A fixed shuffle (multiplier coprime with steps): every timestamp once, most of them out of order.
    const order = Array.from({ length: steps }, (_, k) => (k * 7919) % steps);
    const value = (k: number) => (k % 5 === 0 ? k : Math.sin(k));
    let outOfOrder = 0;
    for (const k of order) {
      if (k * step < s.maxT) outOfOrder++;
      assert.equal(h.append(s, k * step, value(k), UNBOUNDED_WINDOW), AppendOutcome.Appended);
    }
    assert.ok(outOfOrder > steps / 2, `${outOfOrder} samples out of order`);
    assert.equal(h.numSamples, steps);
    // Re-sends: identical → Identical, another value → DuplicateTimestamp, whether the sample sits in a chunk or
    // in the out-of-order buffer.
    for (const k of order.slice(-40)) {
      assert.equal(h.append(s, k * step, value(k), UNBOUNDED_WINDOW), AppendOutcome.Identical);
      assert.equal(h.append(s, k * step, value(k) + 1, UNBOUNDED_WINDOW), AppendOutcome.DuplicateTimestamp);
    }
    assert.ok(s.lateRef >= 0, 'some samples still buffered');
    assert.equal(s.minT, 0);
    assert.ok(h.hasChunkIn(s, 0, 0));
    const all = (mint = -Infinity, maxt = Infinity) => decodeChunks(h.chunksIn(s, mint, maxt), mint, maxt);
    const want = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
    const d = all(0, R - 1)!;
    assert.deepEqual(
      [...d.timestamps],
      want(0, R / step).map((k) => k * step),
    );
    assert.deepEqual([...d.values], want(0, R / step).map(value));
    // Late samples again after the read, then a block cut of the first range: every sample in it once.
    const late = [steps - 3, 5].map((k) => k * step + 1);
    for (const t of late) assert.equal(h.append(s, t, -1, UNBOUNDED_WINDOW), AppendOutcome.Appended);
    h.sealBefore(R);
    const [cut, ...more] = [...h.chunksInRange(0, R)];
    assert.equal(more.length, 0);
    const block = decodeChunks(cut!.chunks, 0, R - 1)!;
    assert.deepEqual(
      [...block.timestamps],
      [...want(0, R / step).map((k) => k * step), 5 * step + 1].sort((a, b) => a - b),
    );
    h.truncateBefore(R);
    const rest = all()!;
    const restWant = [...want(R / step, steps).map((k) => k * step), (steps - 3) * step + 1].sort((a, b) => a - b);
    assert.deepEqual([...rest.timestamps], restWant);
    assert.equal(h.numSamples, restWant.length);
  });

  test('latestSampleInto: the newest sample in range, a stale marker bit for bit, none when it must decode', () => {
    const h = new Head(R);
    const ls = L('m', 1);
    const s = h.create(ls, hashLabels(ls));
    const decimal = h.create(L('d', 1), hashLabels(L('d', 1)));
    for (let k = 1; k <= 10; k++) {
      h.append(s, k * 10_000, Math.sin(k), UNBOUNDED_WINDOW);
      h.append(decimal, k * 10_000, k * 1.25, UNBOUNDED_WINDOW);
    }
    const latest = (series = s, mint = 0, maxt = 200_000) => {
      const out = new SeriesColumnsBuilder();
      if (!h.latestSampleInto(series, mint, maxt, out)) return 'decode';
      const c = out.build();
      return c.labels.length === 0 ? 'none' : { t: [...c.timestamps.subarray(0, 1)], v: [...c.values.subarray(0, 1)] };
    };
    assert.deepEqual(latest(), { t: [100_000], v: [Math.sin(10)] });
    assert.deepEqual(latest(decimal), { t: [100_000], v: [12.5] });
    assert.equal(latest(s, 100_001), 'none', 'newest sample before the range');
    // Samples after maxt: the open chunk cannot tell the newest one at or before it without decoding.
    assert.equal(latest(s, 60_000, 75_000), 'decode');
    const stale = new Float64Array(1);
    writeStaleNaN(stale, 0);
    h.append(s, 110_000, stale[0]!, UNBOUNDED_WINDOW);
    const out = new SeriesColumnsBuilder();
    assert.ok(h.latestSampleInto(s, 0, 200_000, out));
    const c = out.build();
    assert.equal(c.timestamps[c.starts[0]!], 110_000);
    assert.ok(isStaleAt(c.values, c.starts[0]!), 'the stale marker keeps its bits');
  });
});
