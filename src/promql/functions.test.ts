import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FUNCTIONS, type ValueType } from './ast.js';
import { Engine } from './engine.js';
import { FUNCTION_CALLS } from './functions.js';
import { MemoryQuerier } from '../../test/support/memory-querier.js';

const MIN = 60_000;

test('the function table and the parser know the same functions', () => {
  const names = (m: ReadonlyMap<string, unknown>) => [...m.keys()].sort();
  assert.deepEqual(names(FUNCTION_CALLS), names(FUNCTIONS));
});

test('every function evaluates a call built from its signature to a value of its return type', async () => {
  const q = new MemoryQuerier();
  const labels = [
    { name: '__name__', value: 'requests_total' },
    { name: 'le', value: '+Inf' },
  ];
  for (let i = 0; i <= 10; i++) q.add(labels, i * MIN, i * 10);
  const engine = new Engine({ lookbackDeltaMs: 5 * MIN, maxSamples: 1_000_000, timeoutMs: 10_000 });
  const argument: Record<ValueType, string> = {
    vector: 'requests_total',
    matrix: 'requests_total[5m]',
    scalar: '0.5',
    string: '"x"',
  };
  for (const f of FUNCTIONS.values()) {
    const expr = `${f.name}(${f.argTypes.map((t) => argument[t]).join(', ')})`;
    const r = await engine.instantQueryRaw(q, expr, 10 * MIN);
    assert.equal(r.resultType, f.returnType, expr);
  }
});
