import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogThrottle } from './log-throttle.js';

test('one line per interval, carrying the occurrences since the last line', () => {
  const throttle = new LogThrottle(60_000);
  assert.equal(throttle.due(3, 1_000), 3);
  assert.equal(throttle.due(1, 2_000), undefined);
  assert.equal(throttle.due(2, 60_999), undefined);
  assert.equal(throttle.due(1, 61_000), 4);
  assert.equal(throttle.due(1, 61_001), undefined);
});
