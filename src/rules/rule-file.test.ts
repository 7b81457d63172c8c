import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRuleFile, parseRuleGroup } from './rule-file.js';

const errorsOf = (text: string) => {
  const r = parseRuleFile(text);
  assert.equal(r.groups, undefined, 'expected the file to be refused');
  return r.errors;
};

test('a valid file: groups, intervals, offsets, limits, labels and both rule kinds', () => {
  const r = parseRuleFile(`groups:
  - name: g1
    interval: 30s
    query_offset: 1m
    limit: 10
    labels: { team: a }
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels: { agg: "1" }
      - alert: HighLoad
        expr: job:up:sum > 1
        for: 5m
        keep_firing_for: 1m
        labels: { severity: page }
        annotations: { summary: "{{ $labels.job }} is {{ $value }}" }
  - name: g2
    rules: []
`);
  assert.ok(r.groups);
  assert.equal(r.groups.length, 2);
  const g = r.groups[0]!;
  assert.deepEqual(
    { name: g.name, interval: g.intervalMs, offset: g.queryOffsetMs, limit: g.limit, labels: g.labels },
    { name: 'g1', interval: 30_000, offset: 60_000, limit: 10, labels: [['team', 'a']] },
  );
  assert.deepEqual(
    g.rules.map((x) => [x.kind, x.name, x.forMs, x.keepFiringForMs, x.labels]),
    [
      ['record', 'job:up:sum', 0, 0, [['agg', '1']]],
      ['alert', 'HighLoad', 300_000, 60_000, [['severity', 'page']]],
    ],
  );
  assert.equal(r.groups[1]!.queryOffsetMs, undefined, 'no query_offset: the default applies');
  assert.equal(r.groups[1]!.intervalMs, 0, 'no interval: the default applies');
});

test('empty files and null groups load with no rules', () => {
  assert.deepEqual(parseRuleFile('').groups, []);
  assert.deepEqual(parseRuleFile('groups:\n').groups, []);
});

test('scalars go into string fields as their text, like yaml.v3', () => {
  const r = parseRuleFile(
    'groups:\n  - name: 5\n    rules:\n      - alert: true\n        expr: up\n        labels: { n: 1, b: ~ }\n',
  );
  assert.ok(r.groups);
  assert.equal(r.groups[0]!.name, '5');
  assert.equal(r.groups[0]!.rules[0]!.name, 'true');
  assert.deepEqual(r.groups[0]!.rules[0]!.labels, [
    ['n', '1'],
    ['b', ''],
  ]);
});

test('an expression that does not parse: position of the expr node, group, rule and the parser message', () => {
  assert.deepEqual(errorsOf('groups:\n  - name: g1\n    rules:\n      - alert: X\n        expr: nosuchfn(up)\n'), [
    '5:15: group "g1", rule 1, "X": could not parse expression: 1:1: parse error: unknown function with name "nosuchfn"',
  ]);
});

test('a bad duration stops the decoding and names where it is', () => {
  assert.deepEqual(
    errorsOf('groups:\n  - name: g1\n    rules:\n      - alert: X\n        expr: up\n        for: 5x\n'),
    ['6:14: group "g1", rule 1, "X": not a valid duration string: "5x"'],
  );
  assert.deepEqual(errorsOf('groups:\n  - name: g1\n    interval: 1.5m\n    rules: []\n'), [
    '3:15: group "g1": not a valid duration string: "1.5m"',
  ]);
});

test('unknown fields and type mistakes are collected as yaml.v3 unmarshal errors with their lines', () => {
  assert.deepEqual(
    errorsOf(
      'groups:\n  - name: g1\n    foo: 1\n    limit: abc\n    rules:\n      - alert: X\n        expr: up\n        bar: 2\n        annotations: { x: { a: 1 } }\n',
    ),
    [
      'yaml: unmarshal errors:\n  line 3: field foo not found in type rulefmt.RuleGroup\n  line 4: cannot unmarshal !!str `abc` into int\n  line 8: field bar not found in type rulefmt.Rule\n  line 9: cannot unmarshal !!map into string',
    ],
  );
  assert.deepEqual(errorsOf('groups: foo\n'), [
    'yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `foo` into []rulefmt.RuleGroup',
  ]);
  assert.deepEqual(errorsOf('- a\n'), [
    'yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into rulefmt.RuleGroups',
  ]);
});

test('YAML syntax errors name the line', () => {
  const [e] = errorsOf('groups:\n  - name: a\n    rules:\n      - record: foo\n        expr: up\n       bad: indent\n');
  assert.match(e!, /^yaml: line \d+: /);
  assert.match(errorsOf('groups:\n  - name: a\n    name: b\n')[0]!, /^yaml: line 3: Map keys must be unique/);
});

test('group problems: empty and repeated names, label names', () => {
  assert.deepEqual(
    errorsOf(
      'groups:\n  - name: g1\n    rules: []\n  - name: g1\n    labels: { __name__: x }\n    rules: []\n  - rules: []\n',
    ),
    [
      '4:5: groupname: "g1" is repeated in the same file',
      'invalid label name: __name__',
      '7:5: Groupname must not be empty',
    ],
  );
});

test('rule problems, each with the node it is at, as rulefmt words them', () => {
  assert.deepEqual(
    errorsOf(`groups:
  - name: a
    rules:
      - record: "foo{a}"
        expr: up
        for: 5m
        keep_firing_for: 1m
      - record: x
        alert: y
        expr: up
        annotations: { s: a }
      - alert: ""
        record: ""
        expr: ""
      - record: ok
      - alert: T
        expr: up
        labels: { __name__: x, "": y }
        annotations: { "": z, s: "{{ $labels.x " }
`),
    [
      `4:17: group "a", rule 1, "foo{a}": invalid field 'for' in recording rule`,
      `4:17: group "a", rule 1, "foo{a}": invalid field 'keep_firing_for' in recording rule`,
      '4:17: group "a", rule 1, "foo{a}": braces present in the recording rule name; should it be in expr?: foo{a}',
      `8:17: 9:16: group "a", rule 2, "y": only one of 'record' and 'alert' must be set`,
      `8:17: group "a", rule 2, "y": invalid field 'annotations' in recording rule`,
      `13:17: 12:16: group "a", rule 3, "": one of 'record' or 'alert' must be set`,
      `14:15: group "a", rule 3, "": field 'expr' must be set in rule`,
      `group "a", rule 4, "ok": field 'expr' must be set in rule`,
      'group "a", rule 5, "T": invalid label name: __name__',
      'group "a", rule 5, "T": invalid label name: ',
      'group "a", rule 5, "T": invalid annotation name: ',
      'group "a", rule 5, "T": annotation "s": template: __alert_T:1: unclosed action',
    ],
  );
});

test('names are UTF-8 as in Prometheus 3: dots and spaces are fine, braces in a record name are not', () => {
  const r = parseRuleFile(
    'groups:\n  - name: a\n    rules:\n      - record: "foo.bar baz"\n        expr: up\n        labels: { "my.label": x }\n',
  );
  assert.ok(r.groups, JSON.stringify(r.errors));
});

test('one group for the ruler API: the same checks; nothing is no group', () => {
  const ok = parseRuleGroup('name: g\ninterval: 1m\nrules:\n  - record: r\n    expr: up\n');
  assert.ok(ok.groups);
  assert.equal(ok.groups[0]!.name, 'g');
  assert.deepEqual(parseRuleGroup('').errors, ['Groupname must not be empty']);
  const [bad] = parseRuleGroup('name: g\nrules:\n  - alert: A\n    expr: rate(x[5m]\n').errors;
  assert.match(bad!, /^4:11: group "g", rule 1, "A": could not parse expression: 1:\d+: parse error: /);
  assert.deepEqual(parseRuleGroup('name: g\nbad: 1\nrules: []\n').errors, [
    'yaml: unmarshal errors:\n  line 2: field bad not found in type rulefmt.RuleGroup',
  ]);
});
