import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

// The layering of src/: its top-level folders import each other without a cycle, and production code never imports
// test code. Tests and benchmarks (*.test.ts, *.bench.ts) may reach across.

const SRC = 'src';

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return productionFiles(path);
    return e.name.endsWith('.ts') && !/\.(test|bench)\.ts$/.test(e.name) ? [path] : [];
  });
}

/** folder → folders it imports, from the relative imports of its production files; and imports leaving src/. */
function folderGraph(): { edges: Map<string, Set<string>>; outside: string[] } {
  const edges = new Map<string, Set<string>>();
  const outside: string[] = [];
  for (const file of productionFiles(SRC)) {
    const from = relative(SRC, file).split('/')[0]!;
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.[^']+)'/g)) {
      const target = relative(SRC, normalize(join(dirname(file), m[1]!)));
      if (target.startsWith('..')) {
        outside.push(`${file} → ${m[1]}`);
        continue;
      }
      const to = target.split('/')[0]!.replace(/\.js$/, '');
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  return { edges, outside };
}

/** A cycle of folders as `a → b → a`, or undefined. */
function findCycle(edges: Map<string, Set<string>>): string | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...path.slice(path.indexOf(node)), node].join(' → ');
    state.set(node, 'visiting');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

test('the top-level folders of src/ import each other without a cycle', () => {
  const { edges } = folderGraph();
  assert.ok(edges.size > 5, 'the imports were read');
  assert.equal(findCycle(edges), undefined);
});

test('production code imports nothing outside src/ (test support included)', () => {
  assert.deepEqual(folderGraph().outside, []);
});
