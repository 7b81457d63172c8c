// Regex matchers over HTTP on the embedded store: RE2 syntax the store used to reject or misread, an invalid regex
// on every route that takes a selector (400 bad_data naming the regexp error, never a 500), and patterns that make
// a backtracking engine run for ages against long values (RE2 matches in linear time).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestStore } from '../support/store.js';
import { getJson, postForm, qs, startApiServer, type ApiServer } from './support.js';

const T = 1_700_000_000; // s

describe('regex matchers on the store over HTTP', () => {
  let store: TestStore;
  let srv: ApiServer;
  const longA = 'a'.repeat(10_000);

  before(async () => {
    store = await TestStore.open();
    const add = (labels: Record<string, string>, v: number) =>
      store.appendSamples(
        'default',
        Object.entries(labels).map(([name, value]) => ({ name, value })),
        [{ t: T * 1000, v }],
      );
    await add({ __name__: 'up', job: 'foobar' }, 1);
    await add({ __name__: 'up', job: 'FooBar' }, 2);
    await add({ __name__: 'up', job: 'node-1' }, 3);
    await add({ __name__: 'long', v: longA }, 4);
    await add({ __name__: 'long', v: `${longA}b` }, 5);
    await add({ __name__: 'long', v: `x${'ab'.repeat(5_000)}` }, 6);
    srv = await startApiServer({ noAuth: true, queriers: { default: store.querier('default') } });
  });
  after(async () => {
    await srv?.close();
    await store?.close();
  });

  const query = async (q: string) => {
    const r = await getJson(`${srv.url}/api/v1/query?${qs({ query: q, time: T + 1 })}`);
    assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
    return (r.body.data.result as { metric: Record<string, string>; value: [number, string] }[])
      .map((s) => s.value[1])
      .sort();
  };

  test('RE2 syntax JS RegExp lacks: flag groups, POSIX classes, \\Q..\\E, named groups', async () => {
    assert.deepEqual(await query('up{job=~"(?i:foo)bar"}'), ['1']);
    assert.deepEqual(await query('up{job=~"(?i:FOO)Bar"}'), ['2']);
    assert.deepEqual(await query('up{job=~"Foo(?i)BAR"}'), ['2']);
    assert.deepEqual(await query('up{job=~"[[:alpha:]]+"}'), ['1', '2']);
    assert.deepEqual(await query('up{job=~"[[:alpha:]]+-[[:digit:]]"}'), ['3']);
    assert.deepEqual(await query('up{job=~"\\\\Qnode-\\\\E\\\\d"}'), ['3']);
    assert.deepEqual(await query('up{job=~"(?P<kind>node)-1"}'), ['3']);
    assert.deepEqual(await query('up{job!~"(?i)foo.*"}'), ['3']);
  });

  test('an invalid regex is a 400 bad_data on every route, naming the regexp error', async () => {
    const selector = 'up{job=~"("}';
    const want = 'error parsing regexp: missing closing ): `(`';
    const range = { query: selector, start: T - 60, end: T, step: 15 };
    const answers = [
      await getJson(`${srv.url}/api/v1/query?${qs({ query: selector, time: T })}`),
      await postForm(`${srv.url}/api/v1/query`, { query: selector, time: String(T) }),
      await getJson(`${srv.url}/api/v1/query_range?${qs(range)}`),
      await getJson(`${srv.url}/api/v1/query?${qs({ query: 'sum(rate(up{job!~"a**"}[5m]))', time: T })}`),
      await getJson(`${srv.url}/api/v1/series?${qs({ 'match[]': selector })}`),
      await postForm(`${srv.url}/api/v1/series`, { 'match[]': ['up', selector] }),
      await getJson(`${srv.url}/api/v1/labels?${qs({ 'match[]': selector })}`),
      await getJson(`${srv.url}/api/v1/label/job/values?${qs({ 'match[]': selector })}`),
      await getJson(`${srv.url}/api/v1/export?${qs({ 'match[]': selector })}`),
    ];
    for (const [i, r] of answers.entries()) {
      assert.equal(r.status, 400, `answer ${i}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.status, 'error');
      assert.equal(r.body.errorType, 'bad_data');
      assert.match(r.body.error, /error parsing regexp: /, `answer ${i}`);
      if (i !== 3) assert.ok(r.body.error.includes(want), `answer ${i}: ${r.body.error}`);
    }
    assert.ok(answers[3]!.body.error.includes('invalid nested repetition operator: `**`'), answers[3]!.body.error);
  });

  test('label_replace: Go regexp and Regexp.Expand', async () => {
    const r = await getJson(
      `${srv.url}/api/v1/query?${qs({ query: 'label_replace(up{job="node-1"}, "dst", "${1}x-$kind-$1x-$$", "job", "(?P<kind>[[:alpha:]]+)-(\\\\d)")', time: T + 1 })}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(
      r.body.data.result[0].metric.dst,
      'nodex-node--$',
      'Expand: ${1}, $kind, $1x is the group named 1x, $$ is $',
    );
  });

  test('catastrophic patterns against 10,000-character values answer correctly (no backtracking)', {
    // A backtracking engine would not finish these within the age of the universe; RE2 needs milliseconds.
    timeout: 10_000,
  }, async () => {
    assert.deepEqual(await query('long{v=~"(a+)+b"}'), ['5']);
    // The shape reported against the old matcher: no metric name, every series with a `v` label.
    assert.deepEqual(await query('{v=~"(a+)+b"}'), ['5']);
    assert.deepEqual(await query('long{v=~"(a+)+"}'), ['4']);
    assert.deepEqual(await query('long{v=~"(a|aa)+c"}'), []);
    assert.deepEqual(await query('long{v=~"(a*)*c"}'), []);
    assert.deepEqual(await query('long{v=~"(.*a){20}c"}'), []);
    assert.deepEqual(await query('long{v=~"x(ab|a|b)*c"}'), []);
    assert.deepEqual(await query('long{v!~"(a+)+b"}'), ['4', '6']);
    const series = await getJson(`${srv.url}/api/v1/series?${qs({ 'match[]': 'long{v=~"((a+)+)+b"}' })}`);
    assert.equal(series.body.data.length, 1);
  });
});
