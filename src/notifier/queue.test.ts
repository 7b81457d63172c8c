import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DropOldestQueue } from './queue.js';

test('first in, first out, across the ring’s wrap-around', () => {
  const q = new DropOldestQueue<number>(4);
  assert.equal(q.push([1, 2, 3]), 0);
  assert.deepEqual(q.take(2), [1, 2]);
  assert.equal(q.push([4, 5, 6]), 0);
  assert.equal(q.length, 4);
  assert.deepEqual(q.take(10), [3, 4, 5, 6]);
  assert.equal(q.length, 0);
  assert.deepEqual(q.take(1), []);
});

test('when full, the oldest entries make room and are counted', () => {
  const q = new DropOldestQueue<number>(4);
  q.push([1, 2, 3]);
  assert.equal(q.push([4, 5]), 1);
  assert.deepEqual(q.take(10), [2, 3, 4, 5]);
  q.push([6, 7]);
  // More than the capacity at once: the whole queue and the first of the new entries go.
  assert.equal(q.push([8, 9, 10, 11, 12]), 3);
  assert.deepEqual(q.take(10), [9, 10, 11, 12]);
});

test('clear empties the queue and says how many it held', () => {
  const q = new DropOldestQueue<string>(3);
  q.push(['a', 'b']);
  assert.equal(q.clear(), 2);
  assert.equal(q.length, 0);
  q.push(['c']);
  assert.deepEqual(q.take(5), ['c']);
});

test('a capacity below 1 is refused', () => {
  assert.throws(() => new DropOldestQueue(0), /positive integer/);
  assert.throws(() => new DropOldestQueue(1.5), /positive integer/);
});
