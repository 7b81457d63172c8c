import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Label } from '../model/prometheus.js';
import type { LabelMatcher } from '../model/storage.js';
import { Head } from './head.js';
import { hashLabels } from './labels.js';
import { compileMatcher, compileMatchers, literalAlternatives } from './matchers.js';
import { selectPostings } from './postings.js';

function L(o: Record<string, string>): Label[] {
  return Object.keys(o)
    .sort()
    .map((name) => ({ name, value: o[name]! }));
}

const SERIES: Record<string, string>[] = [
  { __name__: 'up', job: 'a', env: 'prod' },
  { __name__: 'up', job: 'b', env: 'dev' },
  { __name__: 'up', job: 'ab' },
  { __name__: 'cpu', job: 'a', env: 'prod', core: '0' },
  { __name__: 'cpu', job: 'c', core: '1' },
  { __name__: 'mem', job: 'foo\nbar' },
];

function headWithSeries(): Head {
  const h = new Head(7200_000);
  for (const s of SERIES) {
    const ls = L(s);
    h.create(ls, hashLabels(ls));
  }
  return h;
}

/** What the matchers select, as indexes into SERIES, by brute force over the Prometheus definition. */
function expected(ms: LabelMatcher[]): number[] {
  const out: number[] = [];
  SERIES.forEach((s, i) => {
    if (ms.every((m) => compileMatcher(m).matches(s[m.name] ?? ''))) out.push(i);
  });
  return out;
}

function selected(h: Head, ms: LabelMatcher[]): number[] {
  return [...selectPostings(h, compileMatchers(ms))].map((id) => id - 1);
}

describe('matchers', () => {
  test('each type against single values', () => {
    assert.equal(compileMatcher({ type: '=', name: 'a', value: 'x' }).matches('x'), true);
    assert.equal(compileMatcher({ type: '=', name: 'a', value: 'x' }).matches('xx'), false);
    assert.equal(compileMatcher({ type: '!=', name: 'a', value: 'x' }).matches('x'), false);
    assert.equal(compileMatcher({ type: '!=', name: 'a', value: 'x' }).matches('y'), true);
    assert.equal(compileMatcher({ type: '=~', name: 'a', value: 'x.' }).matches('xy'), true);
    assert.equal(compileMatcher({ type: '!~', name: 'a', value: 'x.' }).matches('xy'), false);
    assert.equal(compileMatcher({ type: '!~', name: 'a', value: 'x.' }).matches('x'), true);
  });

  test('regexes are fully anchored and dot matches newline', () => {
    const m = compileMatcher({ type: '=~', name: 'job', value: 'a' });
    assert.equal(m.matches('ab'), false);
    assert.equal(m.matches('ba'), false);
    const alt = compileMatcher({ type: '=~', name: 'job', value: 'a|b.*' });
    assert.equal(alt.matches('bzz'), true);
    assert.equal(alt.matches('ab'), false, 'anchoring applies to the whole alternation');
    assert.equal(compileMatcher({ type: '=~', name: 'x', value: 'foo.bar' }).matches('foo\nbar'), true);
    assert.equal(compileMatcher({ type: '=~', name: 'x', value: '(?i)FOO' }).matches('foo'), true);
  });

  test('empty-string semantics: a matcher matching "" selects series without the label', () => {
    const h = headWithSeries();
    const cases: LabelMatcher[][] = [
      [{ type: '=', name: 'env', value: '' }],
      [{ type: '!=', name: 'env', value: 'prod' }],
      [{ type: '=~', name: 'env', value: 'dev|' }],
      [{ type: '!~', name: 'env', value: '.+' }],
      [{ type: '!=', name: 'env', value: '' }],
      [{ type: '=~', name: 'env', value: '.*' }],
      [{ type: '=~', name: 'env', value: '.+' }],
      [{ type: '=', name: '__name__', value: 'up' }, { type: '=', name: 'env', value: '' }],
    ];
    const want = [[2, 4, 5], [1, 2, 4, 5], [1, 2, 4, 5], [2, 4, 5], [0, 1, 3], [0, 1, 2, 3, 4, 5], [0, 1, 3], [2]];
    cases.forEach((ms, i) => {
      assert.deepEqual(selected(h, ms), want[i], JSON.stringify(ms));
      assert.deepEqual(expected(ms), want[i], `brute force ${JSON.stringify(ms)}`);
    });
  });

  test('combinations agree with brute force', () => {
    const h = headWithSeries();
    const names = ['__name__', 'job', 'env', 'core', 'missing'];
    const values = ['', 'up', 'a', 'prod', '0', 'a|b', 'a.*', '.*', '.+', 'c|ab', 'foo.bar'];
    const types: LabelMatcher['type'][] = ['=', '!=', '=~', '!~'];
    let checked = 0;
    for (const n1 of names)
      for (const t1 of types)
        for (const v1 of values)
          for (const t2 of types) {
            const ms: LabelMatcher[] = [
              { type: t1, name: n1, value: v1 },
              { type: t2, name: 'job', value: v1 === '' ? 'a' : v1 },
            ];
            assert.deepEqual(selected(h, ms), expected(ms), JSON.stringify(ms));
            checked++;
          }
    assert.ok(checked > 800);
  });

  test('literal alternation fast path agrees with the generic regex path', () => {
    assert.deepEqual(literalAlternatives('a|b|c'), ['a', 'b', 'c']);
    assert.equal(literalAlternatives('a|b.'), undefined);
    const values = ['a', 'b', 'c', 'ab', 'a|b', '', 'abc', 'x'];
    for (const re of ['a|b|c', 'ab', 'a|', 'abc|x|b']) {
      const fast = compileMatcher({ type: '=~', name: 'n', value: re });
      assert.ok(fast.literals, 'fast path used');
      const generic = new RegExp(`^(?:${re})$`, 's');
      for (const v of values) assert.equal(fast.matches(v), generic.test(v), `${re} vs ${JSON.stringify(v)}`);
      const neg = compileMatcher({ type: '!~', name: 'n', value: re });
      for (const v of values) assert.equal(neg.matches(v), !generic.test(v));
    }
  });

  test('invalid regex is a typed error', () => {
    assert.throws(() => compileMatcher({ type: '=~', name: 'a', value: '(' }), { name: 'InvalidMatcherError' });
  });
});
