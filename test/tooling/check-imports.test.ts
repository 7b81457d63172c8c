import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// scripts/check-imports.mjs (run by `npm run lint`) on small trees of its own.

const SCRIPT = join(process.cwd(), 'scripts', 'check-imports.mjs');

/** An ARCHITECTURE.md whose import table holds `lines` (`folder: allowed folders`). */
const architecture = (...lines: string[]) => ['# Architecture', '', '```imports', ...lines, '```', ''].join('\n');

/**
 * Runs the checker on a fresh tree holding `files` (path → text); the tree is removed afterwards. Without an
 * ARCHITECTURE.md in `files`, the tree gets one whose table allows every import between its folders, so that only
 * the other rules are under test.
 */
function check(files: Record<string, string>) {
  if (!('ARCHITECTURE.md' in files)) {
    const folders = [...new Set(Object.keys(files).flatMap((p) => /^src\/([^/]+)\//.exec(p)?.[1] ?? []))];
    files = { ...files, 'ARCHITECTURE.md': architecture(...folders.map((f) => `${f}: ${folders.join(' ')}`)) };
  }
  const root = mkdtempSync(join(tmpdir(), 'promdog-check-imports-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const res = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
    return { status: res.status, out: res.stdout + res.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Asserts the report's block for one edge of a folder cycle: the edge, the way back, exactly these imports. */
function assertEdge(out: string, edge: string, back: string, imports: string[]) {
  const block = [`  ${edge}   (and back: ${back})`, ...imports.map((i) => `    ${i}`), ''].join('\n');
  const at = out.indexOf(block);
  assert.ok(at >= 0, `expected\n${block}in\n${out}`);
  assert.ok(!out.slice(at + block.length).startsWith('    '), `more imports than expected after\n${block}`);
}

test('check-imports: folders that import one way only pass', () => {
  const res = check({
    'src/model/types.ts': 'export type Point = { t: number };\n',
    'src/tsdb/db.ts': "import type { Point } from '../model/types.js';\nexport const points: Point[] = [];\n",
    'src/api/query.ts': "import { points } from '../tsdb/db.js';\nexport const n = () => points.length;\n",
  });
  assert.equal(res.status, 0, res.out);
  assert.match(
    res.out,
    /3 production files in 3 src\/ folders: imports as ARCHITECTURE.md allows, no folder cycle, no test\/ or bench\/ import/,
  );
});

test('check-imports: a cycle between two folders names each edge and the files that make it', () => {
  const res = check({
    'src/api/params.ts': 'export const isForm = (s: string) => s.length > 0;\n',
    'src/api/query.ts': "import { key } from '../intake/auth.js';\nexport const q = key;\n",
    'src/intake/auth.ts': 'export const key = 1;\n',
    'src/intake/routes.ts': "import { isForm } from '../api/params.js';\nexport const r = isForm;\n",
  });
  assert.equal(res.status, 1);
  assert.match(res.out, /the src\/ folders api, intake import each other in a cycle/);
  assertEdge(res.out, 'api → intake', 'intake → api', ['src/api/query.ts imports src/intake/auth.ts']);
  assertEdge(res.out, 'intake → api', 'api → intake', ['src/intake/routes.ts imports src/api/params.ts']);
  assert.match(res.out, /check-imports: 1 problem$/m);
});

test('check-imports: a cycle through three folders, with a type-only and a dynamic import', () => {
  const res = check({
    'src/a/x.ts': "import type { Y } from '../b/y.js';\nexport type X = Y;\n",
    'src/b/y.ts': "export type Y = number;\nexport const load = () => import('../c/z.js');\n",
    'src/c/z.ts': "export { x } from '../a/w.js';\n",
    'src/a/w.ts': 'export const x = 1;\n',
  });
  assert.equal(res.status, 1);
  assert.match(res.out, /the src\/ folders a, b, c import each other in a cycle/);
  assertEdge(res.out, 'a → b', 'b → c → a', ['src/a/x.ts imports src/b/y.ts (import type)']);
  assertEdge(res.out, 'b → c', 'c → a → b', ['src/b/y.ts imports src/c/z.ts']);
  assertEdge(res.out, 'c → a', 'a → b → c', ['src/c/z.ts imports src/a/w.ts']);
});

test('check-imports: tests and benchmarks may import across folders and from test/ and bench/', () => {
  const res = check({
    'src/mapping/mapper.ts': "import { decode } from '../intake/decode.js';\nexport const map = decode;\n",
    'src/intake/decode.ts': 'export const decode = (b: string) => b;\n',
    'src/intake/decode.test.ts':
      "import { map } from '../mapping/mapper.js';\nimport { f } from '../../test/support/f.js';\n",
    'src/intake/decode.bench.ts': "import { g } from '../../bench/g.js';\n",
    'test/support/f.ts': 'export const f = 1;\n',
    'bench/g.ts': 'export const g = 1;\n',
  });
  assert.equal(res.status, 0, res.out);
});

test('check-imports: production code importing test/ or bench/ is reported with the file', () => {
  const res = check({
    'src/intake/decoder-testing.ts': "import { rand } from '../../test/support/random.js';\nexport const r = rand;\n",
    'src/tsdb/load.ts': "import type { Mix } from '../../bench/mix.js';\nexport type M = Mix;\n",
    'test/support/random.ts': 'export const rand = Math.random;\n',
    'bench/mix.ts': 'export type Mix = string;\n',
  });
  assert.equal(res.status, 1);
  assert.match(res.out, /production code imports test\/ or bench\//);
  assert.match(res.out, /src\/intake\/decoder-testing\.ts imports test\/support\/random\.ts\n/);
  assert.match(res.out, /src\/tsdb\/load\.ts imports bench\/mix\.ts \(import type\)\n/);
});

test('check-imports: an import inside a string or a comment is not an import', () => {
  const res = check({
    'src/a/x.ts': "// import { y } from '../b/y.js';\nexport const s = \"import { y } from '../b/y.js'\";\n",
    'src/b/y.ts': "import { s } from '../a/x.js';\nexport const y = s;\n",
  });
  assert.equal(res.status, 0, res.out);
});

test('check-imports: an import the ARCHITECTURE.md table does not allow is reported with its files', () => {
  const res = check({
    'ARCHITECTURE.md': architecture('model:', 'tsdb: model', 'api: model tsdb'),
    'src/model/types.ts': 'export type Point = { t: number };\n',
    'src/tsdb/db.ts':
      "import type { Point } from '../model/types.js';\nimport { n } from '../api/query.js';\nexport const m = n;\nexport type P = Point;\n",
    'src/api/query.ts': 'export const n = 1;\n',
  });
  assert.equal(res.status, 1);
  assert.match(
    res.out,
    /src\/tsdb may not import src\/api \(ARCHITECTURE.md's import table\):\n {4}src\/tsdb\/db\.ts imports src\/api\/query\.ts\n/,
  );
  assert.doesNotMatch(res.out, /may not import src\/model/);
  assert.match(res.out, /check-imports: 1 problem$/m);
});

test('check-imports: a folder missing from the table, or no table at all, is a problem', () => {
  const missing = check({
    'ARCHITECTURE.md': architecture('model:'),
    'src/model/types.ts': 'export type Point = { t: number };\n',
    'src/tsdb/db.ts': 'export const m = 1;\n',
  });
  assert.equal(missing.status, 1);
  assert.match(missing.out, /src\/tsdb is not in ARCHITECTURE.md's import table/);
  const none = check({ 'ARCHITECTURE.md': '# Architecture\n', 'src/model/types.ts': 'export const t = 1;\n' });
  assert.equal(none.status, 1);
  assert.match(none.out, /ARCHITECTURE.md has no ```imports table/);
});

test('check-imports: the repository itself follows its ARCHITECTURE.md', () => {
  const res = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stdout + res.stderr);
});
