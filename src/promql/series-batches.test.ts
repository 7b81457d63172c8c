import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type RawResult } from './engine.js';
import { SERIES_BATCH, batchableAggregation } from './series-batches.js';
import { parseExpr } from './parser.js';
import { MemoryQuerier } from '../../test/support/memory-querier.js';

// More series than two batches hold, in groups that span batches; some values NaN, one group NaN throughout.
const SERIES = 2 * SERIES_BATCH + 123;
const T = 600_000;

function querier(): MemoryQuerier {
  const q = new MemoryQuerier();
  for (let i = 0; i < SERIES; i++) {
    const g = i % 7;
    const v = g === 6 ? NaN : i % 11 === 0 ? NaN : (i * 37) % 101;
    const labels = [
      { name: '__name__', value: 'm' },
      { name: 'i', value: String(i) },
      { name: 'g', value: String(g) },
    ];
    q.add(labels, T - 15_000, v);
    q.add(labels, T, v);
    q.add([{ name: '__name__', value: 'c' }, ...labels.slice(1)], T - 60_000, i);
    q.add([{ name: '__name__', value: 'c' }, ...labels.slice(1)], T, i + (i % 5) * 60);
  }
  return q;
}

const engine = new Engine({ lookbackDeltaMs: 300_000, maxSamples: 50_000_000, timeoutMs: 60_000 });
const sorted = (r: RawResult) => JSON.stringify(r.resultType === 'vector' || r.resultType === 'matrix' ? r.series : r);

test('aggregations evaluated in batches of series answer as evaluated whole', async () => {
  const q = querier();
  const queries = [
    'count(m)',
    'count by (g) (m)',
    'count_values("v", m)',
    'count_values without (i) ("v", m)',
    'min by (g) (m)',
    'max(m)',
    'max by (g) (abs(m))',
    'group by (g) (m)',
    'count by (g) (rate(c[5m]))',
    'max(increase(c[5m]))',
  ];
  for (const query of queries) {
    assert.ok(batchableAggregation(parseExpr(query)), query);
    const batched = await engine.instantQueryRaw(q, query, T);
    // The same aggregation under a binary operator is evaluated whole.
    const whole = await engine.instantQueryRaw(q, `(${query}) * 1`, T);
    assert.equal(batched.resultType, 'vector');
    assert.ok(batched.resultType === 'vector' && batched.series.length > 0, query);
    assert.equal(sorted(batched), sorted(whole), query);
  }
  // The NaN group keeps NaN; the others their smallest number.
  const min = await engine.instantQueryRaw(q, 'min by (g) (m)', T);
  assert.ok(min.resultType === 'vector');
  const byGroup = new Map(min.series.map((s) => [s.labels[0]!.value, s.values[0]!]));
  assert.ok(Number.isNaN(byGroup.get('6')));
  assert.equal(byGroup.get('0'), 0);
  const count = await engine.instantQueryRaw(q, 'count(m)', T);
  assert.ok(count.resultType === 'vector');
  assert.equal(count.series[0]!.values[0], SERIES);
});

test('aggregations that do not merge exactly, or not over one per-series selector, are evaluated whole', () => {
  for (const query of ['sum(m)', 'avg(m)', 'topk(3, m)', 'count(m * m)', 'count by (__name__) (m)', 'count(sort(m))'])
    assert.equal(batchableAggregation(parseExpr(query)), undefined, query);
});

test('range queries of per-series expressions evaluated in batches of series answer as evaluated whole', async () => {
  const q = querier();
  for (const query of ['m', 'rate(c[5m])', 'abs(m)', 'max_over_time(m[1m])']) {
    const batched = await engine.rangeQueryRaw(q, query, T - 60_000, T, 15_000);
    // Under a binary operator (which keeps the left side's series as they are), evaluated whole.
    const whole = await engine.rangeQueryRaw(q, `(${query}) and (${query})`, T - 60_000, T, 15_000);
    assert.ok(batched.resultType === 'matrix' && batched.series.length > SERIES_BATCH, query);
    assert.equal(sorted(batched), sorted(whole), query);
  }
});

test('a range query in batches of series is refused at the points limit', async () => {
  // Every series has a value at the newest step: refused after the first batch's newest step.
  const small = new Engine({ lookbackDeltaMs: 300_000, maxSamples: 3 * SERIES, timeoutMs: 60_000 });
  await assert.rejects(small.rangeQueryRaw(querier(), 'm', T - 60_000, T, 1000), { type: 'too_many_samples' });
});
