import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcknowledgedRequests, requestKey } from './acknowledged.js';

test('requestKey: the tenant and the body, 128 bits', () => {
  const body = Buffer.from('snappy bytes');
  assert.equal(requestKey('a', body), requestKey('a', Buffer.from('snappy bytes')));
  assert.notEqual(requestKey('a', body), requestKey('b', body));
  assert.notEqual(requestKey('a', body), requestKey('a', Buffer.from('snappy bytez')));
  // The separator keeps tenant and body apart: "ab" + "c" is not "a" + "bc".
  assert.notEqual(requestKey('ab', Buffer.from('c')), requestKey('a', Buffer.from('bc')));
  assert.equal(Buffer.from(requestKey('a', body), 'base64').length, 16);
});

test('AcknowledgedRequests: bounded in entries (oldest first) and in age', () => {
  const acked = new AcknowledgedRequests(3, 1000);
  acked.add('a', 0);
  acked.add('b', 10);
  acked.add('c', 20);
  acked.add('a', 30); // acknowledged again: now the newest
  acked.add('d', 40);
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((k) => acked.has(k, 40)),
    [true, false, true, true],
  );
  assert.equal(acked.size, 3);
  assert.equal(acked.has('c', 1020), true);
  assert.equal(acked.has('c', 1021), false);
  acked.add('e', 1035); // c and a are older than 1000 ms by now
  assert.deepEqual(
    ['a', 'c', 'd', 'e'].map((k) => acked.has(k, 1035)),
    [false, false, true, true],
  );
  assert.equal(acked.size, 2);
});
