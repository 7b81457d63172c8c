import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimiter } from './limiter.js';
import type { ApiError } from './params.js';

const LONG_WAIT_MS = 60_000;

/** What a pending acquire settled to so far: a release function, the error, or nothing yet. */
function track(p: Promise<() => void>) {
  const state: { release?: () => void; error?: ApiError } = {};
  p.then(
    (r) => {
      state.release = r;
    },
    (e: ApiError) => {
      state.error = e;
    },
  );
  return state;
}
const settle = () => new Promise((r) => setImmediate(r));
/** The release function of an acquire that must have been granted by now. */
function granted(state: { release?: () => void }, what = 'the acquire'): () => void {
  assert.ok(state.release, `${what} was granted a slot`);
  return state.release;
}

test('a tenant past its slots and its queue is refused at once with 503 naming both limits', async () => {
  const limiter = new ConcurrencyLimiter({
    maxConcurrent: 4,
    maxConcurrentPerTenant: 1,
    maxQueued: 16,
    maxQueuedPerTenant: 2,
  });
  const running = await limiter.acquire('a', LONG_WAIT_MS);
  const queued = [track(limiter.acquire('a', LONG_WAIT_MS)), track(limiter.acquire('a', LONG_WAIT_MS))];
  await assert.rejects(limiter.acquire('a', LONG_WAIT_MS), (e: ApiError) => {
    assert.equal(e.status, 503);
    assert.equal(e.errorType, 'unavailable');
    assert.equal(e.rejectReason, 'concurrency');
    assert.match(e.message, /tenant "a" has 1 running and 2 waiting \(limits 1 and 2\)/);
    return true;
  });
  assert.equal(limiter.inFlight, 1);
  assert.equal(limiter.waiting, 2);
  // Another tenant still gets a slot of its own at once.
  const other = await limiter.acquire('b', LONG_WAIT_MS);
  assert.equal(limiter.inFlight, 2);
  // The queue drains in order as slots free.
  running();
  await settle();
  assert.equal(queued[1]!.release, undefined);
  granted(queued[0]!)();
  await settle();
  granted(queued[1]!)();
  other();
  assert.equal(limiter.inFlight, 0);
  assert.equal(limiter.waiting, 0);
});

test('a freed slot goes to the next tenant in turn, not to the flooding one', async () => {
  const limiter = new ConcurrencyLimiter({
    maxConcurrent: 1,
    maxConcurrentPerTenant: 1,
    maxQueued: 16,
    maxQueuedPerTenant: 8,
  });
  const first = await limiter.acquire('flood', LONG_WAIT_MS);
  const flood = Array.from({ length: 5 }, () => track(limiter.acquire('flood', LONG_WAIT_MS)));
  const bystander = track(limiter.acquire('bystander', LONG_WAIT_MS));
  first();
  await settle();
  // One flood query came before the bystander's turn; the bystander runs next, not four more of the flood.
  assert.equal(bystander.release, undefined);
  granted(flood[0]!)();
  await settle();
  assert.equal(flood.filter((f) => f.release).length, 1);
  granted(bystander, 'the bystander')();
  await settle();
  for (let i = 1; i < flood.length; i++) {
    granted(flood[i]!, `flood query ${i}`)();
    await settle();
  }
  assert.equal(limiter.inFlight, 0);
});

test('a waiter leaves the queue at its deadline (503 queue_timeout) or when its client goes away (499)', async () => {
  const limiter = new ConcurrencyLimiter({
    maxConcurrent: 1,
    maxConcurrentPerTenant: 1,
    maxQueued: 4,
    maxQueuedPerTenant: 4,
  });
  const running = await limiter.acquire('a', LONG_WAIT_MS);
  const timedOut = limiter.acquire('a', 0);
  const abort = new AbortController();
  const gone = limiter.acquire('a', LONG_WAIT_MS, abort.signal);
  assert.equal(limiter.waiting, 2);
  await assert.rejects(timedOut, (e: ApiError) => e.status === 503 && e.rejectReason === 'queue_timeout');
  abort.abort();
  await assert.rejects(gone, (e: ApiError) => e.status === 499 && e.rejectReason === 'canceled');
  assert.equal(limiter.waiting, 0);
  // The freed places are free: the queue takes new waiters again.
  const next = track(limiter.acquire('a', LONG_WAIT_MS));
  running();
  await settle();
  granted(next)();
  assert.equal(limiter.inFlight, 0);
});

test('the queue limit across tenants refuses even a tenant with no waiters of its own', async () => {
  const limiter = new ConcurrencyLimiter({
    maxConcurrent: 1,
    maxConcurrentPerTenant: 1,
    maxQueued: 2,
    maxQueuedPerTenant: 2,
  });
  const running = await limiter.acquire('a', LONG_WAIT_MS);
  const waiters = [track(limiter.acquire('a', LONG_WAIT_MS)), track(limiter.acquire('b', LONG_WAIT_MS))];
  await assert.rejects(limiter.acquire('c', LONG_WAIT_MS), (e: ApiError) => e.status === 503);
  running();
  await settle();
  granted(waiters[0]!)();
  await settle();
  granted(waiters[1]!)();
});
