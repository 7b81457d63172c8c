import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { exprType, type Expr } from './ast.js';
import { parseExpr, ParseError, unquoteString } from './parser.js';
import { goQuote } from './printer.js';

function parseError(q: string): string {
  try {
    parseExpr(q);
  } catch (e) {
    assert.ok(e instanceof ParseError, `expected a ParseError for ${q}`);
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(q)} to fail`);
}

describe('valid expressions build the typed AST', () => {
  test('aggregation over a rate with matchers, offset and @ start()', () => {
    const e = parseExpr('sum by (job) (rate(http_requests_total{code=~"5..",method!="GET"}[5m] offset 1m @ start()))');
    assert.equal(e.type, 'AggregateExpr');
    if (e.type !== 'AggregateExpr') return;
    assert.equal(e.op, 'sum');
    assert.deepEqual(e.grouping, ['job']);
    assert.equal(e.without, false);
    const call = e.expr;
    assert.equal(call.type, 'Call');
    if (call.type !== 'Call') return;
    assert.equal(call.func.name, 'rate');
    const ms = call.args[0]!;
    assert.equal(ms.type, 'MatrixSelector');
    if (ms.type !== 'MatrixSelector') return;
    assert.equal(ms.rangeMs, 300_000);
    assert.equal(ms.vs.offsetMs, 60_000);
    assert.deepEqual(ms.vs.at, { kind: 'start' });
    assert.deepEqual(ms.vs.matchers, [
      { type: '=~', name: 'code', value: '5..' },
      { type: '!=', name: 'method', value: 'GET' },
      { type: '=', name: '__name__', value: 'http_requests_total' },
    ]);
  });

  test('binary matching modifiers', () => {
    const e = parseExpr('a * on(instance) group_left(version) b');
    assert.equal(e.type, 'BinaryExpr');
    if (e.type !== 'BinaryExpr') return;
    assert.deepEqual(e.matching, { card: 'many-to-one', on: true, labels: ['instance'], include: ['version'] });
    const s = parseExpr('a and ignoring(x) b');
    assert.ok(s.type === 'BinaryExpr' && s.matching?.card === 'many-to-many' && s.matching.on === false);
    const b = parseExpr('a > bool 1');
    assert.ok(b.type === 'BinaryExpr' && b.returnBool && b.matching === null);
  });

  test('number literals: hex, octal, exponent, Inf/NaN, durations as seconds', () => {
    const num = (q: string) => {
      const e = parseExpr(q);
      assert.equal(e.type, 'NumberLiteral', q);
      return (e as Extract<Expr, { type: 'NumberLiteral' }>).val;
    };
    assert.equal(num('0x1F'), 31);
    assert.equal(num('010'), 8);
    assert.equal(num('1e3'), 1000);
    assert.equal(num('-1.5'), -1.5);
    assert.equal(num('.5'), 0.5);
    assert.equal(num('2.'), 2);
    assert.equal(num('Inf'), Infinity);
    assert.equal(num('-inf'), -Infinity);
    assert.ok(Number.isNaN(num('NaN')));
    assert.equal(num('1h30m'), 5400);
  });

  test('subqueries, negative offsets and durations', () => {
    const e = parseExpr('max_over_time(rate(x[1m])[1h:5m] offset -1h30m)');
    assert.ok(e.type === 'Call');
    const sq = (e as Extract<Expr, { type: 'Call' }>).args[0]!;
    assert.ok(sq.type === 'SubqueryExpr');
    if (sq.type !== 'SubqueryExpr') return;
    assert.equal(sq.rangeMs, 3_600_000);
    assert.equal(sq.stepMs, 300_000);
    assert.equal(sq.offsetMs, -5_400_000);
    const d = parseExpr('x[5m:]');
    assert.ok(d.type === 'SubqueryExpr' && d.stepMs === 0);
  });

  test('offset and @ bind to the nearest selector, not the whole binary expression', () => {
    const e = parseExpr('a or b offset 5m');
    assert.ok(e.type === 'BinaryExpr');
    if (e.type !== 'BinaryExpr') return;
    assert.ok(e.lhs.type === 'VectorSelector' && e.lhs.offsetMs === 0);
    assert.ok(e.rhs.type === 'VectorSelector' && e.rhs.offsetMs === 300_000);
    const at = parseExpr('a - b @ 100');
    assert.ok(
      at.type === 'BinaryExpr' &&
        at.rhs.type === 'VectorSelector' &&
        at.rhs.at?.kind === 'time' &&
        at.rhs.at.ms === 100_000,
    );
  });

  test('precedence: ^ is right-associative and binds tighter than unary minus', () => {
    const e = parseExpr('2 ^ 3 ^ 2');
    assert.ok(e.type === 'BinaryExpr' && e.lhs.type === 'NumberLiteral' && e.rhs.type === 'BinaryExpr');
    const u = parseExpr('-2 ^ 2');
    assert.ok(u.type === 'UnaryExpr' && u.expr.type === 'BinaryExpr');
    const m = parseExpr('1 + 2 * 3');
    assert.ok(m.type === 'BinaryExpr' && m.op === '+' && m.rhs.type === 'BinaryExpr');
  });

  test('keywords are case-insensitive and names may be quoted', () => {
    const e = parseExpr('SUM BY (job) ({"my.metric", "a.b"="c"})');
    assert.ok(e.type === 'AggregateExpr' && e.op === 'sum');
    if (e.type !== 'AggregateExpr') return;
    assert.ok(e.expr.type === 'VectorSelector' && e.expr.name === 'my.metric');
  });

  test('result types', () => {
    assert.equal(exprType(parseExpr('1 + 1')), 'scalar');
    assert.equal(exprType(parseExpr('foo + 1')), 'vector');
    assert.equal(exprType(parseExpr('foo[5m]')), 'matrix');
    assert.equal(exprType(parseExpr('"s"')), 'string');
    assert.equal(exprType(parseExpr('scalar(foo)')), 'scalar');
  });
});

describe('invalid expressions fail with position and Prometheus wording', () => {
  const cases: [string, string][] = [
    ['a +', '1:4: parse error: unexpected end of input'],
    ['rate(foo)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['1 > 2', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
    ['{a=~".*"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['sum(x, y)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2'],
    ['topk(x)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['topk("a", x)', '1:6: parse error: expected type scalar in aggregation parameter, got string'],
    ['a and on(b) group_left c', '1:1: parse error: no grouping allowed for "and" operation'],
    ['1 and 2', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
    ['a + bool b', '1:3: parse error: bool modifier can only be used on comparison operators'],
    ['foo[5m] + 1', '1:1: parse error: binary expression must contain only scalar and instant vector types'],
    [
      '-"a"',
      '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"',
    ],
    ['foo offset 5m offset 1m', '1:1: parse error: offset may not be set multiple times'],
    [
      'sum(foo) offset 5m',
      '1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    ],
    ['foo[5m][5m:1m]', '1:1: parse error: subquery is only allowed on instant vector, got matrix instead'],
    ['round(foo, 1, 2)', '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3'],
    ['label_join(foo, "a")', '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 2'],
    ['foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
    ['nonexistent_fn(foo)', '1:1: parse error: unknown function with name "nonexistent_fn"'],
    ['foo\n  + (', '2:6: parse error: unexpected end of input'],
  ];
  for (const [q, want] of cases) {
    test(JSON.stringify(q), () => assert.equal(parseError(q), want));
  }
});

test('unquoteString follows Go strconv.Unquote', () => {
  assert.equal(unquoteString('"a\\nb\\t\\"c\\""'), 'a\nb\t"c"');
  assert.equal(unquoteString("'it\\'s'"), "it's");
  assert.equal(unquoteString('`raw\\n`'), 'raw\\n');
  assert.equal(unquoteString('"\\u00e9\\x41\\101"'), 'éAA');
  // Escaped bytes form UTF-8 where they can; a byte of invalid UTF-8 stays a byte that quotes back as itself.
  assert.equal(unquoteString('"\\xc3\\xa9"'), 'é');
  assert.equal(goQuote(unquoteString('"a\\xc5z"')!), '"a\\xc5z"');
  assert.equal(unquoteString('"\\q"'), null);
  assert.equal(unquoteString('"unterminated'), null);
});
