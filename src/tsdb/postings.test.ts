import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Label } from '../model/prometheus.js';
import type { LabelMatcher } from '../model/storage.js';
import { Head } from './head.js';
import { hashLabels } from './labels.js';
import { compileMatcher, compileMatchers } from '../model/matcher.js';
import { intersectPostings, selectPostings } from './postings.js';
import { seededRandom } from '../../test/support/random.js';

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

describe('postings selection', () => {
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
      [
        { type: '=', name: '__name__', value: 'up' },
        { type: '=', name: 'env', value: '' },
      ],
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

  test('intersections of lists of very different lengths agree with a set', () => {
    const random = seededRandom(11);
    const list = (n: number, universe: number) =>
      Uint32Array.from(new Set(Array.from({ length: n }, () => Math.floor(random() * universe)))).sort();
    for (const [na, nb, universe] of [
      [0, 50, 100],
      [1, 50_000, 100_000],
      [30, 50_000, 100_000],
      [4_000, 50_000, 100_000],
      [20_000, 50_000, 60_000],
      [500, 600, 1_000],
    ] as const) {
      const a = list(na, universe);
      const b = list(nb, universe);
      const inB = new Set(b);
      const want = [...a].filter((x) => inB.has(x));
      assert.deepEqual([...intersectPostings(a, b)], want, `${na} × ${nb}`);
      assert.deepEqual([...intersectPostings(b, a)], want, `${nb} × ${na}`);
    }
    // The first and last elements of the long list are found too.
    const long = Uint32Array.from({ length: 50_000 }, (_, i) => i * 2);
    assert.deepEqual([...intersectPostings(Uint32Array.from([0, 3, 99_998]), long)], [0, 99_998]);
  });
});
