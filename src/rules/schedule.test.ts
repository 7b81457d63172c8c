import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xxhash64 } from '../model/label-hash.js';
import { evalTimestamp, groupHash } from './schedule.js';

test('xxhash64 gives the reference digests (short input, the 4- and 8-byte tails, the 32-byte stripes)', () => {
  const h = (s: string) => xxhash64(Buffer.from(s)).toString(16);
  assert.equal(h(''), 'ef46db3751d8e999');
  assert.equal(h('a'), 'd24ec4f1a98c6e5b');
  assert.equal(h('abc'), '44bc2cf5ad770999');
  assert.equal(h('Nobody inspects the spammish repetition'), 'fbcea83c8a378bf1');
});

test('a group hash is labels.Hash of {file, name}: both go in, in label order', () => {
  const sep = '\xff';
  const expected = xxhash64(Buffer.from(`file${sep}f.yml${sep}name${sep}g${sep}`, 'latin1'));
  assert.equal(groupHash('f.yml', 'g'), expected);
  assert.notEqual(groupHash('f.yml', 'g'), groupHash('f.yml', 'h'));
  assert.notEqual(groupHash('f.yml', 'g'), groupHash('e.yml', 'g'));
});

test('evaluation slots: the last slot at or before now, one interval apart, the same offset at any time', () => {
  const interval = 60_000;
  const now = 1_700_000_123_456;
  const slot = evalTimestamp('/rules/a.yml', 'g', interval, now);
  assert.ok(slot <= now && slot > now - interval);
  // Slots are whole milliseconds of a nanosecond offset: the slot's own millisecond still belongs to the one before.
  assert.equal(evalTimestamp('/rules/a.yml', 'g', interval, slot + 1), slot);
  assert.equal(evalTimestamp('/rules/a.yml', 'g', interval, slot + interval), slot);
  assert.equal(evalTimestamp('/rules/a.yml', 'g', interval, slot + interval + 1), slot + interval);
  assert.equal(evalTimestamp('/rules/a.yml', 'g', interval, now + 7 * interval), slot + 7 * interval);
  const offset = slot % interval;
  assert.equal(offset, Number((groupHash('/rules/a.yml', 'g') % 60_000_000_000n) / 1_000_000n));
});
