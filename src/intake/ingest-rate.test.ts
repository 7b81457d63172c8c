import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IngestRateLimiter } from './ingest-rate.js';

// The token bucket on an explicit clock: 10 samples/s, a burst of 100, tenant a bounded and tenant b not.
const limiter = () =>
  new IngestRateLimiter((tenant) => (tenant === 'a' ? { samplesPerSecond: 10, burst: 100 } : undefined));

test('a full bucket admits the burst, then the rate; a refusal says how long until admission', () => {
  const l = limiter();
  assert.equal(l.take('a', 100, 0), 0);
  assert.equal(l.take('a', 20, 1000), 1); // 10 refilled, 20 needed: 1 s more
  assert.equal(l.take('a', 20, 2000), 0);
  assert.equal(l.take('a', 1, 2000), 0.1);
  // The refill stops at the burst.
  assert.equal(l.take('a', 100, 60_000), 0);
  assert.equal(l.take('a', 1, 60_000), 0.1);
});

test('a payload larger than the burst is admitted from a full bucket and paid back before the next', () => {
  const l = limiter();
  assert.equal(l.take('a', 250, 0), 0);
  // 150 below zero: 15 s to refill to 0, then 1 sample more.
  assert.equal(l.take('a', 1, 0), 15.1);
  assert.equal(l.take('a', 250, 10_000), 15); // needs a full bucket: 150 + 100 at 10/s from -50
  assert.equal(l.take('a', 250, 25_000), 0);
});

test('a tenant without a limit and an empty payload are always admitted', () => {
  const l = limiter();
  assert.equal(l.take('b', 1e9, 0), 0);
  assert.equal(l.take('a', 100, 0), 0);
  assert.equal(l.take('a', 0, 0), 0);
});
