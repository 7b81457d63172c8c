import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Label } from '../model/prometheus.js';
import { SeriesByHash } from './series-by-hash.js';
import { labelsEqual } from './labels.js';
import { seededRandom } from '../../test/support/random.js';

interface Entry {
  id: number;
  hash: number;
  labels: Label[];
  hasLabels(labels: readonly Label[]): boolean;
}

describe('series by hash', () => {
  test('adds and deletes with colliding hashes agree with a Map, through growing and shrinking', () => {
    const r = seededRandom(11);
    const byId = new Map<number, Entry>();
    const table = new SeriesByHash(byId);
    const live: Entry[] = [];
    let nextId = 1;
    const labelsOf = (i: number): Label[] => [{ name: 'i', value: String(i) }];
    // Few distinct hashes, some negative: long runs of equal and neighbouring homes, wrapping at the table's end.
    const hashOf = (i: number): number => ((i % 401) - 200) * 0x01000193;
    for (let step = 0; step < 20_000; step++) {
      // Grows to a few thousand series, then mostly deletes down to a few.
      const adding = step < 10_000 ? r() < 0.7 : r() < 0.2;
      if (adding || live.length === 0) {
        const labels = labelsOf(nextId);
        const e = {
          id: nextId,
          hash: hashOf(nextId),
          labels,
          hasLabels: (ls: readonly Label[]) => labelsEqual(labels, ls),
        };
        nextId++;
        byId.set(e.id, e);
        table.add(e.hash, e.id);
        live.push(e);
      } else {
        const k = Math.floor(r() * live.length);
        const e = live[k]!;
        live[k] = live[live.length - 1]!;
        live.pop();
        table.delete(e.hash, e.id);
        byId.delete(e.id);
        assert.equal(table.get(e.labels, e.hash), undefined);
      }
      if (step % 2000 === 1999) for (const e of live) assert.equal(table.get(e.labels, e.hash), e);
    }
    for (const e of live) assert.equal(table.get(e.labels, e.hash), e);
    assert.equal(table.get(labelsOf(nextId), hashOf(nextId)), undefined);
  });
});
