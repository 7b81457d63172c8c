import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RE2JS } from 're2js';
import { compileLabelRegexp, expandTemplate, InvalidRegexpError, ReplaceRegexp } from './regexp.js';
import { analyzePattern } from './regexp-fastpath.js';
import { compileMatcher } from './matcher.js';

const VALUES = [
  '',
  'a',
  'b',
  'ab',
  'abc',
  'foo',
  'FOO',
  'Foo',
  'foobar',
  'barfoo',
  'xfoox',
  'foo\nbar',
  'foofoo',
  'a.b',
  'a|b',
  'prod-eu-1',
  'dev-us-2',
  'x',
  'k',
  'K',
  '\u212a',
  'ü',
  'Ü',
  '😀',
  'a😀b',
  'fo',
  'oo',
];

describe('label regexps', () => {
  test('the fast path takes the common shapes and agrees with the engine on every value', () => {
    const patterns = [
      '',
      'a',
      'foo',
      'a|b',
      'a|b|',
      'foo|bar|a\\.b',
      '.*',
      '.+',
      'foo.*',
      '.*foo',
      '.*foo.*',
      '.+foo.+',
      'f.*o.*o',
      '.*o.+o.*',
      '(prod|dev)-.*',
      '(?:a|b)(c|)',
      '(a|)b|x',
      'a\\|b',
      '(?i)foo',
      '(?i)FOO.*',
      '(?i)k',
      '(?i)a|B',
      '.*.+',
      '.+.*foo',
      '()',
      '😀',
      'a😀b',
      '.*😀.*',
    ];
    for (const p of patterns) {
      assert.ok(
        analyzePattern(p, () => false),
        `fast path for ${p}`,
      );
      const engine = RE2JS.compile(p, RE2JS.DOTALL);
      const re = compileLabelRegexp(p);
      for (const v of VALUES)
        assert.equal(re.matches(v), engine.testExact(v), `${JSON.stringify(p)} on ${JSON.stringify(v)}`);
    }
  });

  test('set matches and match-everything, for the index', () => {
    assert.deepEqual(compileLabelRegexp('a|b|a').setMatches, ['a', 'b']);
    assert.deepEqual(compileLabelRegexp('(prod|dev)-(eu|us)').setMatches, ['prod-eu', 'prod-us', 'dev-eu', 'dev-us']);
    assert.equal(compileLabelRegexp('(?i)a|b').setMatches, undefined, 'case-insensitive: not a finite list of values');
    assert.equal(compileLabelRegexp('a.*').setMatches, undefined);
    assert.equal(compileLabelRegexp('.*').matchesEverything, true);
    assert.equal(compileLabelRegexp('foo|.*').matchesEverything, true);
    assert.equal(compileLabelRegexp('.+').matchesEverything, false);
  });

  test('Go syntax: flags, POSIX and Unicode classes, ASCII-only Perl classes, `.` across newlines', () => {
    const cases: [string, string, boolean][] = [
      ['(?i:ab)c', 'ABc', true],
      ['(?i:ab)c', 'ABC', false],
      ['(?i)k', '\u212a', true],
      ['(?i)s', '\u017f', true],
      ['[[:alpha:]]+', 'abc', true],
      ['[[:alpha:]]+', 'ü', false],
      ['\\pL+', 'über', true],
      ['\\p{Han}+', '漢字', true],
      ['\\p{Greek}', 'λ', true],
      ['\\PL', '1', true],
      ['\\d', '\u0663', false],
      ['\\w+', 'é', false],
      ['\\s', '\u00a0', false],
      ['\\Qa.b\\E', 'a.b', true],
      ['\\Qa.b\\E', 'axb', false],
      ['(?P<n>a)b', 'ab', true],
      ['(?<n>a)b', 'ab', true],
      ['(?U)a+', 'aaa', true],
      ['a.c', 'a\nc', true],
      ['(?-s:a.c)', 'a\nc', false],
      ['^a$', 'a', true],
      ['\\Aa\\z', 'a', true],
      ['a{2,3}', 'aaa', true],
      ['a{,2}', 'a{,2}', true],
      ['.', '😀', true],
      ['..', '😀', false],
      ['[^a]', '😀', true],
      ['\\x{1F600}', '😀', true],
      ['(?m)^a$', 'a', true],
    ];
    for (const [p, v, want] of cases)
      assert.equal(compileLabelRegexp(p).matches(v), want, `${p} on ${JSON.stringify(v)}`);
  });

  test("invalid patterns: Go's error texts", () => {
    const cases: [string, string][] = [
      ['(', 'missing closing ): `(`'],
      ['a)(b', 'unexpected ): `a)(b`'],
      ['a**', 'invalid nested repetition operator: `**`'],
      ['*', 'missing argument to repetition operator: `*`'],
      ['x{1001}', 'invalid repeat count: `{1001}`'],
      ['[z-a]', 'invalid character class range: `z-a`'],
      ['[[:foo:]]', 'invalid character class range: `[:foo:]`'],
      ['\\8', 'invalid escape sequence: `\\8`'],
      ['\\C', 'invalid escape sequence: `\\C`'],
      ['\\u0041', 'invalid escape sequence: `\\u`'],
      ['(?=a)', 'invalid or unsupported Perl syntax: `(?=`'],
      ['(?<=a)b', 'invalid named capture: `(?<=a)b`'],
      ['[a', 'missing closing ]: `[a`'],
      ['a\\', 'trailing backslash at end of expression: ``'],
    ];
    for (const [p, msg] of cases) {
      assert.throws(
        () => compileLabelRegexp(p),
        (e: unknown) => {
          assert.ok(e instanceof InvalidRegexpError);
          assert.equal(e.message, `error parsing regexp: ${msg}`, p);
          return true;
        },
      );
    }
    assert.throws(() => compileMatcher({ type: '!~', name: 'a', value: '(' }), InvalidRegexpError);
  });

  test('no backtracking: (a+)+b against 100,000 characters', () => {
    const v = 'a'.repeat(100_000);
    assert.equal(compileLabelRegexp('(a+)+b').matches(v), false);
    assert.equal(compileLabelRegexp('(a|aa)+').matches(v), true);
  });

  test("label_replace: ^(?s:re)$ with groups, Go's Expand", () => {
    const re = new ReplaceRegexp('(?P<host>[^:]+):(\\d+)');
    assert.equal(re.replace('web:80', '$1'), 'web');
    assert.equal(re.replace('web:80', '${2}-$host-${host}'), '80-web-web');
    assert.equal(re.replace('web:80', '$1x|${1}x|$$1|$3|$01|${1'), '|webx|$1|||${1');
    assert.equal(re.replace('xweb:80 ', '$1'), undefined, 'anchored: no match');
    assert.equal(new ReplaceRegexp('(a)|(b)').replace('b', '[$1][$2]'), '[][b]', 'an unmatched group is empty');
    assert.equal(new ReplaceRegexp('(.*)').replace('a\nb', '$1'), 'a\nb');
    assert.throws(() => new ReplaceRegexp('('), InvalidRegexpError);
    assert.equal(
      expandTemplate('$é1 ${_}', (n, name) => `<${n}:${name}>`),
      '<-1:é1> <-1:_>',
    );
  });
});
