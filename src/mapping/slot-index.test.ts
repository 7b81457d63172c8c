import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotIndex } from './slot-index.js';

/** Every slot the index files under `hash`, in probe order. */
function slotsOf(ix: SlotIndex, hash: number): number[] {
  const out: number[] = [];
  for (let c = ix.start(hash), k: number; (k = ix.slotAt(c)) >= 0; c = ix.next(c))
    if (ix.hashOf(k) === hash) out.push(k);
  return out;
}

describe('SlotIndex', () => {
  test('finds every slot under its hash across growth, negative hashes and collisions included', () => {
    const ix = new SlotIndex();
    const n = 20_000;
    // Hashes repeat (every 7th slot shares one), some are negative, and many share their low bits.
    const hashOf = (k: number) => (k % 7 === 0 ? 12345 : ((k * 0x9e3779b1) | 0) << 4);
    for (let k = 0; k < n; k++) ix.add(hashOf(k), k);
    assert.equal(ix.size, n);
    for (let k = 0; k < n; k++) {
      assert.equal(ix.hashOf(k), hashOf(k));
      assert.ok(slotsOf(ix, hashOf(k)).includes(k), `slot ${k}`);
    }
    const shared = slotsOf(ix, 12345).sort((a, b) => a - b);
    assert.deepEqual(
      shared,
      Array.from({ length: Math.ceil(n / 7) }, (_, i) => 7 * i),
    );
    assert.equal(ix.count(12345, 8), 8);
    assert.equal(ix.count(hashOf(1), 8), 1);
    assert.equal(ix.count(777, 8), 0);
    assert.deepEqual(slotsOf(ix, 777), []);
  });

  test('after removals the other slots are still found and the removed ones are not', () => {
    const ix = new SlotIndex();
    const n = 5_000;
    // Long probe runs: a shared hash, and hashes that share their low bits.
    const hashOf = (k: number) => (k % 5 === 0 ? 99 : (k * 1024) | 0);
    for (let k = 0; k < n; k++) ix.add(hashOf(k), k);
    const removed = (k: number) => k % 3 === 0;
    for (let k = 0; k < n; k++) if (removed(k)) ix.remove(k);
    assert.equal(ix.size, n - Math.ceil(n / 3));
    for (let k = 0; k < n; k++) assert.equal(slotsOf(ix, hashOf(k)).includes(k), !removed(k), `slot ${k}`);
    ix.add(hashOf(n), n);
    assert.ok(slotsOf(ix, hashOf(n)).includes(n));
  });
});
