import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DDSketchPoint } from '../model/datadog.js';
import { DDSketchBuilder, quantileOrder, sketchKey, sketchQuantile, sketchQuantiles } from './ddsketch.js';
import { seededRandom } from '../../test/support/random.js';

const QS = [0.99, 0, 0.5, 0.001, 0.25, 1, 0.75, 0.9, 0.95, 0.5];

function assertSameAsSketchQuantile(p: DDSketchPoint, what: string): void {
  const out: number[] = [];
  sketchQuantiles(p, QS, quantileOrder(QS), out);
  QS.forEach((q, i) => {
    assert.ok(Object.is(out[i], sketchQuantile(p, q)), `${what}, q=${q}: ${out[i]} vs ${sketchQuantile(p, q)}`);
  });
}

// One walk over the bins for many quantiles (state carried from quantile to quantile) must give what a fresh walk
// per quantile gives.
describe('sketchQuantiles', () => {
  test('identical to sketchQuantile on random sketches (sizes, signs, zeros)', () => {
    const r = seededRandom(7);
    for (let round = 0; round < 300; round++) {
      const b = new DDSketchBuilder();
      const n = Math.floor(r() * 200);
      const scale = 10 ** (r() * 8 - 3);
      for (let i = 0; i < n; i++)
        b.add(r() < 0.1 ? 0 : (r() - (round % 3 === 0 ? 0.5 : 0)) * scale, 1 + Math.floor(r() * 3));
      assertSameAsSketchQuantile(b.toPoint(0), `round ${round} (${n} values)`);
    }
  });

  test('identical with repeated and unordered keys (as split bins arrive)', () => {
    const k = (v: number): number => sketchKey(v);
    const p: DDSketchPoint = {
      ts: 0,
      cnt: 20,
      min: 0.5,
      max: 900,
      avg: 100,
      sum: 2000,
      keys: [k(100), k(1), k(100), k(900), k(1)],
      counts: [5, 3, 6, 2, 4],
    };
    assertSameAsSketchQuantile(p, 'unordered');
  });

  test('bins counting fewer values than cnt: the unreached quantiles are the max, like sketchQuantile', () => {
    const p: DDSketchPoint = {
      ts: 0,
      cnt: 100,
      min: 1,
      max: 50,
      avg: 10,
      sum: 1000,
      keys: [sketchKey(1), sketchKey(10)],
      counts: [10, 10],
    };
    assertSameAsSketchQuantile(p, 'short bins');
    const out: number[] = [];
    sketchQuantiles(p, [0.99], [0], out);
    assert.equal(out[0], 50);
  });

  test('an empty sketch gives 0, like sketchQuantile', () => {
    const p: DDSketchPoint = { ts: 0, cnt: 0, min: 0, max: 0, avg: 0, sum: 0, keys: [], counts: [] };
    assertSameAsSketchQuantile(p, 'empty');
  });
});
