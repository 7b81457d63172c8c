import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkAppender, MAX_SAMPLES_PER_CHUNK } from './chunk.js';
import { OpenChunks } from './open-chunks.js';
import { SlotArena } from './slots.js';
import { seededRandom } from '../../test/support/random.js';

/** A value of one of the kinds the encodings treat differently: decimal, full-precision (XOR), special. */
function randomValue(r: () => number): number {
  const k = r();
  if (k < 0.4) return Math.round(r() * 1000) / 100;
  if (k < 0.8) return r() * 1e6;
  if (k < 0.9) return NaN;
  return Math.floor(r() * 10);
}

describe('open chunks', () => {
  test('interleaved appends to many rows encode exactly like one appender per chunk', () => {
    const r = seededRandom(7);
    const open = new OpenChunks();
    const rows: number[] = [];
    const own: ChunkAppender[] = [];
    const t: number[] = [];
    for (let i = 0; i < 300; i++) {
      rows.push(open.open());
      own.push(new ChunkAppender());
      t.push(Math.floor(r() * 1e12));
    }
    for (let step = 0; step < 40_000; step++) {
      const i = Math.floor(r() * rows.length);
      const a = own[i]!;
      if (a.count === MAX_SAMPLES_PER_CHUNK || r() < 0.002) {
        // A chunk that is cut starts over in its slot; one that closes frees its row for the next series.
        if (r() < 0.5) {
          open.reset(rows[i]!);
        } else {
          open.close(rows[i]!);
          rows[i] = open.open();
        }
        own[i] = new ChunkAppender();
        continue;
      }
      t[i]! += 1 + Math.floor(r() < 0.1 ? r() * 1e9 : r() * 20_000);
      const v = randomValue(r);
      a.append(t[i]!, v);
      open.append(rows[i]!, t[i]!, v);
    }
    for (let i = 0; i < rows.length; i++) {
      const a = own[i]!;
      const row = rows[i]!;
      assert.deepEqual(open.view(row), a.bytes(), `row ${row}`);
      assert.equal(open.sampleCount(row), a.count);
      if (a.count === 0) continue;
      assert.equal(open.minTime(row), a.minT);
      assert.equal(open.maxTime(row), a.maxT);
      assert.equal(Object.is(open.lastValue(row), a.lastValue), true);
    }
  });
});

describe('slot arena', () => {
  test('slots of each size are disjoint, zeroed, and reused after release', () => {
    const slots = new SlotArena();
    const taken = new Map<number, number>();
    for (let bytes = 1; bytes <= SlotArena.MAX_SLOT_BYTES; bytes = bytes * 3 + 1) {
      for (let k = 0; k < 40; k++) {
        const ref = slots.alloc(bytes);
        assert.ok(slots.size(ref) >= bytes);
        const page = slots.page(ref);
        const at = slots.offset(ref);
        assert.ok(page.subarray(at, at + slots.size(ref)).every((b) => b === 0));
        page.fill(taken.size % 255 || 1, at, at + slots.size(ref));
        taken.set(ref, taken.size % 255 || 1);
      }
    }
    for (const [ref, fill] of taken) {
      const at = slots.offset(ref);
      assert.ok(
        slots
          .page(ref)
          .subarray(at, at + slots.size(ref))
          .every((b) => b === fill),
        `slot ${ref} kept its bytes`,
      );
    }
    const [first] = taken.keys();
    const allocated = slots.allocatedBytes;
    slots.release(first!);
    const again = slots.alloc(slots.size(first!));
    assert.equal(again, first);
    assert.equal(slots.allocatedBytes, allocated);
    const at = slots.offset(again);
    assert.ok(
      slots
        .page(again)
        .subarray(at, at + slots.size(again))
        .every((b) => b === 0),
    );
    assert.throws(() => slots.alloc(SlotArena.MAX_SLOT_BYTES + 1), RangeError);
  });

  test('a page whose slots are all released becomes the next page of any size', () => {
    const slots = new SlotArena();
    const kept = slots.alloc(64);
    slots.page(kept).fill(7, slots.offset(kept), slots.offset(kept) + 64);
    const first = slots.alloc(32);
    const page = slots.allocatedBytes / 2;
    const refs = [first];
    while (refs.length < (3 * page) / 32) refs.push(slots.alloc(32));
    assert.equal(slots.allocatedBytes, 4 * page);
    for (const ref of refs) slots.page(ref).fill(9, slots.offset(ref), slots.offset(ref) + 32);
    // Every other slot first: no page is empty until the second pass.
    for (let i = 0; i < refs.length; i += 2) slots.release(refs[i]!);
    for (let i = 1; i < refs.length; i += 2) slots.release(refs[i]!);
    // Two pages' worth of 64-byte slots and one of 32-byte ones fit in the pages there are.
    const again: [number, number][] = [];
    for (let i = 0; i < (2 * page) / 64; i++) again.push([slots.alloc(64), 64]);
    for (let i = 0; i < page / 32; i++) again.push([slots.alloc(32), 32]);
    assert.equal(slots.allocatedBytes, 4 * page);
    for (const [ref, bytes] of again) {
      const at = slots.offset(ref);
      const bytesOf = () => slots.page(ref).subarray(at, at + bytes);
      assert.ok(
        bytesOf().every((b) => b === 0),
        `slot ${ref} is zeroed`,
      );
      bytesOf().fill(1 + (ref % 200));
    }
    for (const [ref, bytes] of again) {
      const at = slots.offset(ref);
      assert.ok(
        slots
          .page(ref)
          .subarray(at, at + bytes)
          .every((b) => b === 1 + (ref % 200)),
        `slot ${ref} kept its bytes`,
      );
    }
    assert.ok(
      slots
        .page(kept)
        .subarray(slots.offset(kept), slots.offset(kept) + 64)
        .every((b) => b === 7),
    );
  });

  test('pages emptied in any order are given back, keeping one page of free slots', () => {
    const slots = new SlotArena();
    const page = 1 << 16;
    const refs: number[] = [];
    while (refs.length < (40 * page) / 32) refs.push(slots.alloc(32));
    assert.equal(slots.allocatedBytes, 40 * page);
    // A fixed shuffle: pages empty late and many at a time, as when most series' chunks outgrow their slots.
    let seed = 7;
    for (let i = refs.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [refs[i], refs[j]] = [refs[j]!, refs[i]!];
    }
    for (const ref of refs) slots.release(ref);
    // At most two pages of 32-byte slots stay, and the 16 spare pages kept for reuse.
    assert.ok(slots.allocatedBytes <= (2 + 16) * page, `${slots.allocatedBytes / page} pages held`);
    const again = new Set<number>();
    for (let i = 0; i < (4 * page) / 32; i++) again.add(slots.alloc(32));
    assert.equal(again.size, (4 * page) / 32, 'no slot handed out twice');
  });
});
