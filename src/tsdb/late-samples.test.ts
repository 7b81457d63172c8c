import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LateSamples } from './late-samples.js';
import { seededRandom } from '../../test/support/random.js';

describe('late samples', () => {
  test('buffers stay sorted and separate as they grow, move and are freed and reused', () => {
    const r = seededRandom(5);
    const late = new LateSamples();
    const refs: number[] = [];
    const model: [number, number][][] = [];
    for (let b = 0; b < 50; b++) {
      refs.push(-1);
      model.push([]);
    }
    for (let step = 0; step < 5000; step++) {
      const b = Math.floor(r() * refs.length);
      const pairs = model[b]!;
      if (pairs.length === 40 || (pairs.length > 0 && r() < 0.02)) {
        late.release(refs[b]!);
        refs[b] = -1;
        model[b] = [];
        continue;
      }
      const t = Math.floor(r() * 1e6);
      if (pairs.some(([pt]) => pt === t)) continue;
      const v = r() < 0.1 ? NaN : r() * 100;
      const ref = refs[b]!;
      const at = ref < 0 ? 0 : late.search(ref, t);
      refs[b] = late.insert(ref, at, t, v);
      const after = pairs.findIndex(([pt]) => pt > t);
      pairs.splice(after < 0 ? pairs.length : after, 0, [t, v]);
    }
    for (let b = 0; b < refs.length; b++) {
      const ref = refs[b]!;
      const pairs = model[b]!;
      if (ref < 0) {
        assert.equal(pairs.length, 0);
        continue;
      }
      assert.equal(late.count(ref), pairs.length);
      for (let i = 0; i < pairs.length; i++) {
        assert.equal(late.time(ref, i), pairs[i]![0]);
        assert.ok(Object.is(late.value(ref, i), pairs[i]![1]));
      }
      assert.equal(late.search(ref, -1), 0);
      assert.equal(late.search(ref, 2e6), pairs.length);
    }
  });

  test('buffers keep their samples as others grow out of their pages into pages given back', () => {
    const late = new LateSamples();
    const buffers = 10_000;
    const stay = 1000;
    const refs: number[] = [];
    for (let b = 0; b < buffers; b++) refs.push(late.insert(-1, 0, b * 10, b));
    // Every buffer from `stay` on grows past its first slot, in order: the first slots' pages empty one by one and
    // become pages of the larger slots.
    for (let b = stay; b < buffers; b++) {
      refs[b] = late.insert(refs[b]!, 0, b * 10 - 1, -b);
      refs[b] = late.insert(refs[b]!, 2, b * 10 + 1, b + 0.5);
    }
    for (let b = 0; b < buffers; b++) {
      const ref = refs[b]!;
      const want: [number, number][] =
        b < stay
          ? [[b * 10, b]]
          : [
              [b * 10 - 1, -b],
              [b * 10, b],
              [b * 10 + 1, b + 0.5],
            ];
      assert.deepEqual(
        Array.from({ length: late.count(ref) }, (_, i) => [late.time(ref, i), late.value(ref, i)]),
        want,
        `buffer ${b}`,
      );
    }
    for (const ref of refs) late.release(ref);
    assert.equal(late.buffersInUse, 0);
  });
});
