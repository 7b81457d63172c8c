// promdog's rule-file checks against the real `promtool check rules` (Debian's Prometheus 2.42): on a corpus of good
// and bad files both accept or refuse the same files, and every problem promtool reports is one promdog reports with
// the same facts: the file, the YAML position, the group, the rule's index and name, and the message (for a PromQL
// syntax error: its position; the two parsers word some errors differently). Files that Prometheus 3.5 (promdog's
// reference) accepts and 2.42 refuses are a separate list with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleFiles } from '../../src/rules/rule-files.js';

const PROMTOOL = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';

const rule = (lines: string) => `groups:\n  - name: g\n    rules:\n${lines}`;

/** Both promtool 2.42 and promdog accept (ok) or refuse (bad) these. */
const CORPUS: Record<string, string> = {
  'ok-basic.yml': rule(`      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: HighLoad
        expr: job:up:sum > 1
        for: 5m
        keep_firing_for: 1m
        labels: { severity: page }
        annotations:
          summary: "{{ $labels.job }} is at {{ $value }}"
`),
  'ok-groups.yml': `groups:
  - name: fast
    interval: 15s
    limit: 100
    rules:
      - record: a:b:c
        expr: histogram_quantile(0.9, sum by (le) (rate(http_duration_seconds_bucket[5m])))
      - record: d
        expr: (x offset 1h) / on (job) group_left (instance) y unless z @ 1700000000
  - name: slow
    interval: 1h30m
    rules:
      - alert: Sub
        expr: max_over_time(rate(x[1m])[10m:30s]) > bool 0
        for: 0s
  - name: none
    rules: []
`,
  'ok-empty.yml': '',
  'ok-null-groups.yml': 'groups:\n',
  'ok-scalars.yml': rule(`      - alert: "42"
        expr: up
        labels: { n: 1, b: true, z: ~ }
`),
  'bad-syntax.yml': rule(`      - record: a
        expr: sum(rate(x[5m])
      - record: b
        expr: x{a="b"
      - record: c
        expr: 'x +'
`),
  'bad-unknown-function.yml': rule(`      - alert: X
        expr: nosuchfn(up) > 0
`),
  'bad-for-duration.yml': rule(`      - alert: X
        expr: up
        for: 5x
`),
  'bad-interval.yml': 'groups:\n  - name: g\n    interval: 1.5m\n    rules: []\n',
  'bad-duplicate-group.yml':
    'groups:\n  - name: g\n    rules: []\n  - name: h\n    rules: []\n  - name: g\n    rules: []\n',
  'bad-empty-group-name.yml': 'groups:\n  - rules:\n      - record: a\n        expr: up\n',
  'bad-record-and-alert.yml': rule(`      - record: a
        alert: b
        expr: up
`),
  'bad-missing-expr.yml': rule(`      - record: a
      - alert: b
        expr: ""
`),
  'bad-recording-fields.yml': rule(`      - record: a
        expr: up
        for: 1m
        annotations: { x: y }
`),
  'bad-label-name.yml': rule(`      - record: a
        expr: up
        labels: { __name__: x }
`),
  'bad-unknown-fields.yml': `groups:
  - name: g
    evaluation_interval: 1m
    rules:
      - record: a
        expr: up
        description: x
`,
  'bad-types.yml': `groups:
  - name: g
    limit: many
    rules:
      - alert: a
        expr: up
        annotations: { x: { nested: map } }
`,
  'bad-groups-scalar.yml': 'groups: all of them\n',
  'bad-yaml.yml': 'groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n       bad: indent\n',
  'bad-template.yml': rule(`      - alert: A
        expr: up
        annotations: { s: "{{ $labels.x " }
`),
};

/** Prometheus 3.5 accepts these; 2.42 refuses them. */
const ONLY_NEWER: Record<string, { text: string; why: string }> = {
  'query-offset.yml': {
    text: 'groups:\n  - name: g\n    query_offset: 1m\n    rules:\n      - record: a\n        expr: up\n',
    why: 'query_offset came in Prometheus 2.53',
  },
  'group-labels.yml': {
    text: 'groups:\n  - name: g\n    labels: { team: a }\n    rules:\n      - record: a\n        expr: up\n',
    why: 'group labels came in Prometheus 3.0',
  },
  'utf8-names.yml': {
    text: rule('      - record: "http.requests rate"\n        expr: up\n        labels: { "service.name": x }\n'),
    why: 'UTF-8 metric and label names are valid since Prometheus 3.0',
  },
};

function promtool(file: string): Promise<{ ok: boolean; errors: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(PROMTOOL, ['check', 'rules', file], (err, _stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      // One error per line that starts with the file; the lines after it that start with spaces continue it.
      const errors: string[] = [];
      for (const line of stderr.split('\n')) {
        if (line.startsWith(`${file}: `)) errors.push(line.slice(file.length + 2));
        else if (line.startsWith('  line ') && errors.length > 0) errors[errors.length - 1] += `\n${line}`;
      }
      resolve({ ok: !err, errors });
    });
  });
}

/**
 * The facts of a message: where (positions), what (group, rule index and name) and the problem. yaml.v3's decoding
 * into 2.42's node types names them differently (rulefmt.RuleNode, []yaml.Node) and reports them twice.
 */
function facts(message: string): string[] {
  const m = message
    // Go prints an absent node's position as 0:0; promdog prints none.
    .replace(/^(0:0: )+/, '')
    .replace(/rulefmt\.RuleNode/g, 'rulefmt.Rule')
    .replace(/\[\]yaml\.Node/g, '[]rulefmt.RuleGroup');
  if (m.startsWith('yaml: unmarshal errors:'))
    return m
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  // Syntax errors: the two YAML libraries word and place them differently; that it is one is the fact.
  if (m.startsWith('yaml: line ')) return ['yaml syntax error'];
  const parse = /^(.*could not parse expression: \d+:\d+: parse error:)/.exec(m);
  return [parse ? parse[1]! : m];
}

function factSet(messages: string[]): string[] {
  return [...new Set(messages.flatMap(facts))].sort();
}

test('promtool 2.42 and promdog accept and refuse the same rule files, with the same facts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-promtool-'));
  await Promise.all(
    Object.entries(CORPUS).map(async ([name, text]) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      const reference = await promtool(file);
      const ours = loadRuleFiles([file]);
      assert.equal(
        ours.errors.length === 0,
        reference.ok,
        `${name}: promtool ${reference.ok ? 'accepts' : 'refuses'} it`,
      );
      assert.equal(reference.ok, name.startsWith('ok-'), `${name}: the corpus says what promtool does`);
      for (const e of ours.errors) assert.ok(e.startsWith(`${file}: `), `${name}: "${e}" names the file`);
      const mine = ours.errors.map((e) => e.slice(file.length + 2));
      const theirs = factSet(reference.errors);
      // A bad duration: promtool names only the file; promdog adds where (position, group, rule) in front.
      const got = factSet(mine).map((f) => {
        const duration = /(not a valid duration string: .*)$/.exec(f);
        return duration && theirs.includes(duration[1]!) ? duration[1]! : f;
      });
      assert.deepEqual(got, theirs, `${name}:\npromtool: ${reference.errors.join('\n')}\npromdog: ${mine.join('\n')}`);
    }),
  );
});

test('files only Prometheus 3 accepts load in promdog; promtool 2.42 refuses them (documented reasons)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-promtool-'));
  for (const [name, { text, why }] of Object.entries(ONLY_NEWER)) {
    const file = join(dir, name);
    writeFileSync(file, text);
    assert.equal((await promtool(file)).ok, false, `${name}: 2.42 refuses it (${why})`);
    assert.deepEqual(loadRuleFiles([file]).errors, [], `${name}: promdog, like Prometheus 3.5, accepts it`);
  }
});
