import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NamespaceStore, namespaceFileName } from './namespace-store.js';
import { parseRuleGroup } from './rule-file.js';

const group = (yaml: string) => {
  const r = parseRuleGroup(yaml);
  assert.ok(r.groups, JSON.stringify(r.errors));
  return r.groups[0]!;
};

test('namespace file names cannot leave the tenant directory and decode back', () => {
  assert.equal(namespaceFileName('team-a_1'), 'team-a_1.yaml');
  assert.equal(namespaceFileName('../x'), '%2E%2E%2Fx.yaml');
  assert.equal(namespaceFileName('é'), '%C3%A9.yaml');
});

test('namespaces round-trip through the data dir with every group field; deleting removes the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-ns-'));
  const store = new NamespaceStore(dir);
  const g = group(
    'name: g\ninterval: 1m30s\nquery_offset: 0s\nlimit: 5\nlabels: { team: a }\nrules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n    keep_firing_for: 1m\n    labels: { sev: "{{ $labels.x }}" }\n    annotations: { s: "multi\\nline" }\n  - record: r\n    expr: sum(up)\n',
  );
  await store.write('t1', 'ns/one', [g]);
  await store.write('t1', 'two', [group('name: h\nrules:\n  - record: q\n    expr: up\n')]);
  await store.write('t2', 'other', [g]);
  const loaded = store.load('t1');
  assert.deepEqual(loaded.errors, []);
  assert.deepEqual([...loaded.namespaces.keys()], ['ns/one', 'two']);
  const back = loaded.namespaces.get('ns/one')![0]!;
  assert.deepEqual(
    { ...back, rules: back.rules.map(({ ast: _, ...r }) => r) },
    { ...g, rules: g.rules.map(({ ast: _, ...r }) => r) },
  );
  await store.write('t1', 'two', []);
  assert.deepEqual([...store.load('t1').namespaces.keys()], ['ns/one']);
  assert.deepEqual(readdirSync(join(dir, 't1')), [namespaceFileName('ns/one')]);
  assert.deepEqual([...store.load('nobody').namespaces.keys()], []);
});

test('a stored file that no longer loads is reported and left out, the others load', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-ns-'));
  const store = new NamespaceStore(dir);
  await store.write('t', 'good', [group('name: h\nrules:\n  - record: q\n    expr: up\n')]);
  writeFileSync(join(dir, 't', namespaceFileName('bad')), 'groups: [');
  const loaded = store.load('t');
  assert.deepEqual([...loaded.namespaces.keys()], ['good']);
  assert.equal(loaded.errors.length, 1);
  assert.match(loaded.errors[0]!, /bad\.yaml: yaml: line/);
});
