import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMatcher, matchesLabels } from './matcher.js';

describe('label matchers', () => {
  test('each type, fully anchored regexes', () => {
    assert.equal(compileMatcher({ type: '=', name: 'a', value: 'x' }).matches('x'), true);
    assert.equal(compileMatcher({ type: '=', name: 'a', value: 'x' }).matches('xx'), false);
    assert.equal(compileMatcher({ type: '!=', name: 'a', value: 'x' }).matches('y'), true);
    assert.equal(compileMatcher({ type: '=~', name: 'a', value: 'x.' }).matches('xy'), true);
    assert.equal(compileMatcher({ type: '=~', name: 'a', value: 'a|b.*' }).matches('ab'), false);
    assert.equal(compileMatcher({ type: '!~', name: 'a', value: 'x.' }).matches('x'), true);
  });

  test('what the index uses: literals, matchesAll, matchesEmpty', () => {
    const m = (type: '=' | '!=' | '=~' | '!~', value: string) => compileMatcher({ type, name: 'n', value });
    assert.deepEqual(m('=', 'a').literals, ['a']);
    assert.deepEqual(m('=~', 'a|b').literals, ['a', 'b']);
    assert.equal(m('!~', 'a|b').literals, undefined, 'a negative matcher accepts unlisted values');
    assert.equal(m('=~', '.*').matchesAll, true);
    assert.equal(m('!~', '').matchesAll, false);
    for (const [type, value, empty] of [
      ['=', '', true],
      ['!=', '', false],
      ['=~', 'a|', true],
      ['=~', '.+', false],
      ['!~', '.+', true],
      ['!~', '', false],
    ] as const) {
      assert.equal(m(type, value).matchesEmpty, empty, `${type}"${value}"`);
    }
  });

  test('a missing label is the empty value', () => {
    const labels = [{ name: 'job', value: 'api' }];
    assert.equal(matchesLabels(labels, [compileMatcher({ type: '=~', name: 'env', value: 'prod|' })]), true);
    assert.equal(matchesLabels(labels, [compileMatcher({ type: '!=', name: 'env', value: '' })]), false);
    assert.equal(matchesLabels(labels, [compileMatcher({ type: '=', name: 'job', value: 'api' })]), true);
  });
});
