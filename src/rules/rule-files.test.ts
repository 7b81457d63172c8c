import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandPattern, loadRuleFiles } from './rule-files.js';

const GOOD = 'groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n';

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-rulefiles-'));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  for (const f of ['a/one.yml', 'a/two.yml', 'a/two.yaml', 'b/three.yml', 'a/.hidden.yml'])
    writeFileSync(join(dir, f), GOOD);
  return dir;
}

test('patterns expand like filepath.Glob: *, ?, classes, wildcard directories, sorted', () => {
  const dir = tree();
  const rel = (files: string[]) => files.map((f) => f.slice(dir.length + 1));
  assert.deepEqual(rel(expandPattern(join(dir, 'a/*.yml'))), ['a/.hidden.yml', 'a/one.yml', 'a/two.yml']);
  assert.deepEqual(rel(expandPattern(join(dir, 'a/t?o.y[a-z]ml'))), ['a/two.yaml']);
  assert.deepEqual(rel(expandPattern(join(dir, 'a/[^o]*.yml'))), ['a/.hidden.yml', 'a/two.yml']);
  assert.deepEqual(rel(expandPattern(join(dir, '*/*.yml'))), [
    'a/.hidden.yml',
    'a/one.yml',
    'a/two.yml',
    'b/three.yml',
  ]);
  assert.deepEqual(expandPattern(join(dir, 'none/*.yml')), []);
  assert.throws(() => expandPattern(join(dir, 'a/[.yml')), /syntax error in pattern/);
});

test('loading: each file read once and checked; a missing plain path and a bad file are problems naming the file', () => {
  const dir = tree();
  writeFileSync(join(dir, 'b/bad.yml'), 'groups:\n  - name: g\n    rules:\n      - record: r\n        expr: sum(\n');
  const ok = loadRuleFiles([join(dir, 'a/one.yml'), join(dir, 'a/*.yml'), join(dir, 'nothing/*.yml')]);
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.sources.length, 3, 'one.yml matched twice, read once');
  assert.equal(ok.sources[0]!.file, join(dir, 'a/one.yml'));
  const bad = loadRuleFiles([join(dir, 'missing.yml'), join(dir, 'b/*.yml')]);
  assert.equal(bad.errors.length, 2);
  assert.equal(bad.errors[0], `${join(dir, 'missing.yml')}: no such rule file`);
  assert.match(
    bad.errors[1]!,
    new RegExp(`^${join(dir, 'b/bad.yml')}: 5:15: group "g", rule 1, "r": could not parse expression`),
  );
});
