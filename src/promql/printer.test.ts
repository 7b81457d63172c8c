// Expected strings are Prometheus' own (promql/parser/printer_test.go and prettier_test.go, which set the line
// length to 10 to exercise splitting).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpr } from './parser.js';
import { exprString, formatDuration, goQuote, prettyExpr } from './printer.js';

const canonical: [string, string][] = [
  ['sum  by(job)(rate(x{a="b"}[5m]))', 'sum by (job) (rate(x{a="b"}[5m]))'],
  ['sum(x) without (a,b)', 'sum without (a, b) (x)'],
  ['sum by() (x)', 'sum(x)'],
  ['topk(5, x)', 'topk(5, x)'],
  ['count_values("v", x)', 'count_values("v", x)'],
  ['a + on(b) group_left(c) d', 'a + on (b) group_left (c) d'],
  ['a and on() b', 'a and on () b'],
  ['a or b', 'a or b'],
  ['a > bool 1', 'a > bool 1'],
  ['x offset 1h30m', 'x offset 1h30m'],
  ['x offset -5m', 'x offset -5m'],
  ['x @ 1', 'x @ 1.000'],
  ['x[5m] @ end() offset 90s', 'x[5m] @ end() offset 1m30s'],
  ['rate(x[5m])[30m:1m] offset 1w', 'rate(x[5m])[30m:1m] offset 1w'],
  ['x[1h:]', 'x[1h:]'],
  ['{__name__="x", b!="c", a=~"d"}', '{__name__="x",a=~"d",b!="c"}'],
  ['x{b!="c", a=~"d"}', 'x{a=~"d",b!="c"}'],
  ['{"utf8.name"="v"}', '{"utf8.name"="v"}'],
  ['-x', '-x'],
  ['-1', '-1'],
  ['1e3', '1000'],
  ['(1 + 2) * 3', '(1 + 2) * 3'],
  ['x[90d]', 'x[90d]'],
  ['label_replace(x, "a", "$1", "b", "(.*)\\\\n")', 'label_replace(x, "a", "$1", "b", "(.*)\\\\n")'],
];

for (const [input, want] of canonical) {
  test(`exprString: ${input}`, () => assert.equal(exprString(parseExpr(input)), want));
}

const pretty10: [string, string][] = [
  ['sum(foo)', 'sum(foo)'],
  [
    'sum without(job,foo) (task:errors:rate10s{job="s"})',
    'sum without (job, foo) (\n  task:errors:rate10s{job="s"}\n)',
  ],
  ['topk(10, ask:errors:rate10s{job="s"})', 'topk(\n  10,\n  ask:errors:rate10s{job="s"}\n)'],
  ['a == bool 1', '  a\n== bool\n  1'],
  ['foo_1 + foo_2 + foo_3', '    foo_1\n  +\n    foo_2\n+\n  foo_3'],
  ['foo + baar + foo_3', '  foo + baar\n+\n  foo_3'],
  [
    'foo_1 + ignoring(foo) foo_2 + ignoring(job) group_left foo_3 + on(instance) group_right foo_4',
    '      foo_1\n    + ignoring (foo)\n      foo_2\n  + ignoring (job) group_left ()\n    foo_3\n+ on (instance) group_right ()\n  foo_4',
  ],
  ['histogram_quantile(0.9, rate(foo[1m]))', 'histogram_quantile(\n  0.9,\n  rate(\n    foo[1m]\n  )\n)'],
  [
    'max_over_time(rate(demo_api_request_duration_seconds_count[1m])[1m:] @ start() offset 1m)',
    'max_over_time(\n  rate(\n    demo_api_request_duration_seconds_count[1m]\n  )[1m:] @ start() offset 1m\n)',
  ],
  ['((_foo_long_))', '(\n  (\n    _foo_long_\n  )\n)'],
  ['(((foo_long)))', '(\n  (\n    (foo_long)\n  )\n)'],
  ['a @ 1', 'a @ 1.000'],
];

for (const [input, want] of pretty10) {
  test(`prettyExpr (10 columns): ${input}`, () => assert.equal(prettyExpr(parseExpr(input), 10), want));
}

test('prettyExpr keeps short queries on one line at the default 100 columns', () => {
  const q = 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))';
  assert.equal(prettyExpr(parseExpr(q)), q);
  const long = `sum by (job) (rate(http_requests_total{code=~"5..",handler="/api/v1/query_range",instance="some-host:9090"}[5m]))`;
  assert.equal(
    prettyExpr(parseExpr(long)),
    'sum by (job) (\n  rate(http_requests_total{code=~"5..",handler="/api/v1/query_range",instance="some-host:9090"}[5m])\n)',
  );
});

test('formatDuration prints like prometheus/common model.Duration', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(90 * 86_400_000), '90d');
  assert.equal(formatDuration(14 * 86_400_000), '2w');
  assert.equal(formatDuration(365 * 86_400_000), '1y');
  assert.equal(formatDuration(1500), '1s500ms');
});

test('goQuote escapes like strconv.Quote', () => {
  assert.equal(goQuote('a"b\\c\nd\te'), '"a\\"b\\\\c\\nd\\te"');
  assert.equal(goQuote('\x01\x7f'), '"\\x01\\x7f"');
  assert.equal(goQuote('héllo'), '"héllo"');
});
