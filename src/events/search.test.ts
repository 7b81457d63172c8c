import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSearchError, parseEventSearch } from './search.js';

describe('event search syntax', () => {
  test('fields, tags, text, quotes, negation', () => {
    assert.deepEqual(parseEventSearch('source:jenkins host:web-* status:warn env:prod tags:team:a deploy'), [
      { field: 'source', values: ['jenkins'], negate: false },
      { field: 'host', values: ['web-*'], negate: false },
      { field: 'alert_type', values: ['warning'], negate: false },
      { field: 'tag', values: ['env:prod'], negate: false },
      { field: 'tag', values: ['team:a'], negate: false },
      { field: 'text', values: ['deploy'], negate: false },
    ]);
    assert.deepEqual(parseEventSearch('-"disk full" AND NOT priority:low source:"my apps" "a:b"'), [
      { field: 'text', values: ['disk full'], negate: true },
      { field: 'priority', values: ['low'], negate: true },
      { field: 'source', values: ['my apps'], negate: false },
      { field: 'text', values: ['a:b'], negate: false },
    ]);
    assert.deepEqual(parseEventSearch('   '), []);
  });

  test('what is not supported says so', () => {
    for (const [q, re] of [
      ['a OR b', /OR is not supported/],
      ['source:(a b)', /parentheses/],
      ['@evt.name:x', /attribute searches/],
      ['"open', /unbalanced quote/],
      ['host:', /empty value/],
      ['deploy NOT', /NOT at the end/],
    ] as const) {
      assert.throws(
        () => parseEventSearch(q),
        (e: unknown) => e instanceof EventSearchError && re.test(e.message),
        q,
      );
    }
  });
});
