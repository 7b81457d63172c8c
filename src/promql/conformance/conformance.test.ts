import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runDirectory } from './main.js';
import { ConformanceRunner, parseTestFile } from './runner.js';

const TESTDATA = join(process.cwd(), '..', 'shared', 'promql-testdata', 'v3.5.0');

test('Prometheus 3.5 PromQL test files: every core eval passes', async () => {
  const summaries = await runDirectory(TESTDATA);
  const core = summaries.filter((s) => s.core).flatMap((s) => s.outcomes);
  const failures = core.filter((o) => o.status === 'fail');
  assert.deepEqual(failures.map((f) => `${f.file}:${f.line} ${f.expr}: ${f.message}`), []);
  // Evals needing native histograms are reported as unsupported; everything else must run and pass.
  assert.ok(core.filter((o) => o.status === 'pass').length >= 741);
  const other = summaries.filter((s) => !s.core).flatMap((s) => s.outcomes);
  assert.equal(other.filter((o) => o.status === 'fail').length, 0);
});

test('series notation expands like promqltest', () => {
  const cmds = parseTestFile(['load 1m', '  m{a="b"} 1+2x2 _ stale 5x1 -1-1x2 Inf _x2 {{schema:0 sum:1 count:1}}', ''].join('\n'));
  const load = cmds[0]!;
  assert.equal(load.kind, 'load');
  if (load.kind !== 'load') return;
  const vals = load.series[0]!.vals.map((v) => (v.histogram ? 'h' : v.omitted ? '_' : v.stale ? 'stale' : v.value));
  assert.deepEqual(vals, [1, 3, 5, '_', 'stale', 5, 5, -1, -2, -3, Infinity, '_', '_', 'h']);
  assert.deepEqual(load.series[0]!.labels, [{ name: '__name__', value: 'm' }, { name: 'a', value: 'b' }]);
});

test('a wrong expectation is reported as a failure with its line', async () => {
  const runner = new ConformanceRunner();
  const file = ['load 1m', '  m 1 2 3', '', 'eval instant at 2m m', '  m 3', '', 'eval instant at 2m m', '  m 4', ''].join('\n');
  const out = await runner.runFile('t.test', file);
  assert.deepEqual(out.map((o) => [o.line, o.status]), [[4, 'pass'], [7, 'fail']]);
  assert.match(out[1]!.message!, /expected 4 for m\{\} but got 3/);
});
