import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize } from 'node:path';

// What `npm pack` ships (package.json "files"): what `promdog serve` runs and nothing else. Every module the shipped
// code imports is shipped too, or is a runtime dependency, so an install of the tarball starts.

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { encoding: 'utf8' }),
) as [{ files: { path: string }[] }];
const files = new Set(packed[0].files.map((f) => f.path));

test('the tarball holds the CLI, the decode worker, the console bundle, the docs and package.json', () => {
  for (const path of [
    ...Object.values(pkg.bin),
    'dist/src/intake/decode-worker.js',
    'dist/console/index.html',
    'package.json',
    'README.md',
    'docs/operations.md',
  ]) {
    assert.ok(files.has(path), path);
  }
  assert.ok(
    [...files].some((f) => /^dist\/console\/assets\/app-[^/]+\.js$/.test(f)),
    'the console script',
  );
});

test('no tests, benchmarks, test support or sources', () => {
  const unwanted = [...files].filter(
    (f) =>
      /\.(test|bench)\.js(\.map)?$/.test(f) ||
      /^(test|bench|src|web|scripts|dist\/test|dist\/bench)\//.test(f) ||
      f.endsWith('.ts'),
  );
  assert.deepEqual(unwanted, []);
});

test('every import of the shipped code is shipped or a runtime dependency', () => {
  const missing: string[] = [];
  for (const file of files) {
    if (!file.startsWith('dist/src/') || !file.endsWith('.js')) continue;
    const text = readFileSync(file, 'utf8');
    // Imports, and files read by URL (the decode worker, the console bundle, package.json for the version). A
    // string 'from' (a parameter name) is not an import.
    for (const m of text.matchAll(
      /(?:(?<!')\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*)'([^']+)'(\s*,\s*import\.meta\.url)?/g,
    )) {
      const spec = m[1]!;
      const byUrl = m[0].startsWith('new URL');
      if (byUrl && !m[2]) continue;
      if (spec.startsWith('.')) {
        const target = normalize(join(dirname(file), spec)).replace(/\/$/, '');
        if (!files.has(target) && !(byUrl && [...files].some((f) => f.startsWith(`${target}/`))))
          missing.push(`${file} → ${spec}`);
        continue;
      }
      if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      if (!(name in pkg.dependencies)) missing.push(`${file} → ${spec} (not a dependency)`);
    }
  }
  assert.deepEqual(missing, []);
});
