import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConformanceRunner, parseTestFile } from './runner.js';

// Prometheus' own PromQL test files stay outside the repository: CI runs them with `npm run conformance -- DIR`.
// These tests check the runner and that CLI on small files of their own.

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** Runs the conformance CLI on a fresh directory holding `files`; the directory is removed afterwards. */
function runCli(files: Record<string, string>, dirArg?: (dir: string) => string) {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-conformance-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const res = spawnSync(process.execPath, [MAIN, dirArg ? dirArg(dir) : dir], { encoding: 'utf8' });
    const lines = res.stdout.trimEnd().split('\n');
    return { status: res.status, stdout: res.stdout, stderr: res.stderr, lastLine: lines[lines.length - 1] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PASSING = ['load 1m', '  m 1 2 3', '', 'eval instant at 2m m', '  m 3', ''].join('\n');
const FAILING = ['load 1m', '  m 1 2 3', '', 'eval instant at 2m m', '  m 4', ''].join('\n');

test('series notation expands like promqltest', () => {
  const cmds = parseTestFile(
    ['load 1m', '  m{a="b"} 1+2x2 _ stale 5x1 -1-1x2 Inf _x2 {{schema:0 sum:1 count:1}}', ''].join('\n'),
  );
  const load = cmds[0]!;
  assert.equal(load.kind, 'load');
  if (load.kind !== 'load') return;
  const vals = load.series[0]!.vals.map((v) => (v.histogram ? 'h' : v.omitted ? '_' : v.stale ? 'stale' : v.value));
  assert.deepEqual(vals, [1, 3, 5, '_', 'stale', 5, 5, -1, -2, -3, Infinity, '_', '_', 'h']);
  assert.deepEqual(load.series[0]!.labels, [
    { name: '__name__', value: 'm' },
    { name: 'a', value: 'b' },
  ]);
});

test('a wrong expectation is reported as a failure with its line', async () => {
  const runner = new ConformanceRunner();
  const file = [
    'load 1m',
    '  m 1 2 3',
    '',
    'eval instant at 2m m',
    '  m 3',
    '',
    'eval instant at 2m m',
    '  m 4',
    '',
  ].join('\n');
  const out = await runner.runFile('t.test', file);
  assert.deepEqual(
    out.map((o) => [o.line, o.status]),
    [
      [4, 'pass'],
      [7, 'fail'],
    ],
  );
  assert.match(out[1]!.message!, /expected 4 for m\{\} but got 3/);
});

test('conformance CLI: exit 0 and the totals as last line when every eval passes', () => {
  const res = runCli({ 'a.test': PASSING, 'b.test': PASSING, 'README.md': 'not a test file' });
  assert.equal(res.status, 0, res.stdout + res.stderr);
  assert.equal(res.lastLine, '2 passed, 0 failed');
});

test('conformance CLI: exit 1 when a core eval fails, naming file and line', () => {
  const res = runCli({ 'a.test': PASSING, 'b.test': FAILING });
  assert.equal(res.status, 1);
  assert.match(res.stdout, /^FAIL b\.test:4: m$/m);
  assert.equal(res.lastLine, '1 passed, 1 failed');
});

test('conformance CLI: exit 1 when an experimental file fails too', () => {
  const res = runCli({ 'a.test': PASSING, 'limit.test': FAILING });
  assert.equal(res.status, 1);
  assert.match(res.stdout, /^experimental\/native: 0 passed, 1 failed/m);
  assert.equal(res.lastLine, '1 passed, 1 failed');
});

test('conformance CLI: exit 2 with a clear message for a missing directory or one without *.test files', () => {
  const missing = runCli({}, (dir) => join(dir, 'v9.9.9'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^conformance: no such directory: .*v9\.9\.9$/m);
  const empty = runCli({ 'README.md': 'no tests here' });
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /^conformance: no \*\.test files in /m);
  assert.equal(empty.stdout, '');
});
