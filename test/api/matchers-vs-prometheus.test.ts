// Label matchers, promdog (embedded store) against a real Prometheus (2.42, the Debian package) holding the same
// series: /api/v1/series and /api/v1/query must select the same series for RE2 syntax Go accepts (case folding,
// POSIX and Unicode classes, Perl classes that are ASCII-only), alternations, `.*` / `.+`, negative matchers and
// empty-string matches (absent labels), and both must answer 400 for the same invalid regexes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { PromSeries } from '../../src/model/prometheus.js';
import { PrometheusProcess } from '../support/prometheus.js';
import { TestStore } from '../support/store.js';
import { remoteWrite } from './dataset.js';
import { getJson, qs, startApiServer, type ApiServer } from './support.js';

const VALUES = [
  'foobar',
  'FooBar',
  'FOOBAR',
  'abc',
  'ABC',
  'a.b',
  'a|b',
  'tab\there',
  'x123',
  'x\u0661\u0662\u0663',
  'héllo_wörld',
  'Ünïcödé',
  'ünïcödé',
  '漢字',
  'Ελληνικά',
  'k',
  '\u212a',
  's',
  '\u017f',
  'straße',
];
/** The one value with a newline: Prometheus 2.42 and 3.x disagree on it (see the last test). */
const NEWLINE_VALUE = 'foo\nbar';

const MATCHERS = [
  'v=~"(?i)foobar"',
  'v=~"(?i:foo)bar"',
  'v=~"(?i)FOO.*"',
  'v=~"(?i)foo|abc"',
  'v=~"(?i)ÜNÏCÖDÉ"',
  'v=~"(?i)k"',
  'v=~"(?i)s"',
  'v=~"(?i)STRASSE"',
  'v=~"[[:alpha:]]+"',
  'v=~"[[:upper:]]+"',
  'v=~"[[:^lower:]]+"',
  'v=~"\\\\pL+"',
  'v=~"\\\\p{Han}+"',
  'v=~"\\\\p{Greek}+"',
  'v=~"\\\\PL+"',
  'v=~"x\\\\d+"',
  'v=~"x\\\\w+"',
  'v=~"\\\\w+"',
  'v=~"[^a-z]+"',
  'v=~"foobar|abc|ABC"',
  'v=~"(foo|a)(bar|bc)"',
  'v=~"foo.*"',
  'v=~".*bar"',
  'v=~".*o.*"',
  'v=~"a.b"',
  'v=~"a\\\\.b"',
  'v=~"a\\\\|b"',
  'v=~"\\\\Qa.b\\\\E"',
  'v=~"(?P<x>foo)bar"',
  'v=~"tab\\\\there"',
  'v=~"(?U)foo.+"',
  'v=~"(?i)FOO.+"',
  'v=~"[[:alpha:]]{3}"',
  'v=~"ab|"',
  'v=~""',
  'v!~""',
  'v!~"(?i)foo.*"',
  'v!="foobar"',
  'v=""',
  'v!~"[a-z]+"',
];

/** Matchers whose answer on NEWLINE_VALUE changed in Prometheus 3.0 (`.` matches `\n`), with 3.x's answer. */
const DOT_MATCHERS: { matcher: string; matchesNewlineValue: boolean }[] = [
  { matcher: 'v=~".*"', matchesNewlineValue: true },
  { matcher: 'v=~".+"', matchesNewlineValue: true },
  { matcher: 'v=~"foo.bar"', matchesNewlineValue: true },
  { matcher: 'v=~"foo.*"', matchesNewlineValue: true },
  { matcher: 'v=~".*o.*"', matchesNewlineValue: true },
  { matcher: 'v!~".+"', matchesNewlineValue: false },
  { matcher: 'v!~"foo.*"', matchesNewlineValue: false },
];

// Not `a\` nor `a)(b`: 2.42 compiled `^(?:re)$` without parsing `re` alone first as 3.x does, so it reads `a\)` as
// an escaped paren (`missing closing )`) and accepts `^(?:a)(b)$`; src/model/regexp.test.ts covers 3.x's answers.
const INVALID = [
  '(',
  'a)',
  'a**',
  '*',
  'x{1001}',
  '[z-a]',
  '\\\\8',
  '(?=a)',
  '[a',
  '\\\\C',
  '\\\\u0041',
  '[[:foo:]]',
  '\\\\pX',
];

type LabelSet = Record<string, string>;
const sortSets = (sets: LabelSet[]): LabelSet[] =>
  [...sets].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe('label matchers: promdog (store) and Prometheus select the same series', () => {
  let prom: PrometheusProcess;
  let store: TestStore;
  let srv: ApiServer;
  const t = Math.floor(Date.now() / 1000) - 60;

  before(async () => {
    const data: PromSeries[] = [...VALUES, NEWLINE_VALUE].map((v, i) => ({
      labels: [
        { name: '__name__', value: 'm' },
        { name: 'id', value: String(i) },
        { name: 'v', value: v },
      ],
      timestamps: [t * 1000],
      values: [i],
    }));
    // A series without `v`: what matchers accepting "" also select.
    data.push({
      labels: [
        { name: '__name__', value: 'm' },
        { name: 'id', value: 'absent' },
      ],
      timestamps: [t * 1000],
      values: [-1],
    });
    prom = await PrometheusProcess.start();
    await remoteWrite(prom.remoteWriteUrl, data);
    store = await TestStore.open();
    await store.append('default', data);
    srv = await startApiServer({ noAuth: true, queriers: { default: store.querier('default') } });
  });
  after(async () => {
    await srv?.close();
    await store?.close();
    await prom?.cleanup();
  });

  /** The label sets each answers for `m{matcher}` via /api/v1/series and /api/v1/query. */
  async function selected(base: string, matcher: string): Promise<{ series: LabelSet[]; query: LabelSet[] }> {
    const selector = `m{${matcher}}`;
    const s = await getJson(`${base}/api/v1/series?${qs({ 'match[]': selector, start: t - 10, end: t + 10 })}`);
    assert.equal(s.status, 200, `${base} series ${selector}: ${JSON.stringify(s.body)}`);
    const q = await getJson(`${base}/api/v1/query?${qs({ query: selector, time: t + 1 })}`);
    assert.equal(q.status, 200, `${base} query ${selector}: ${JSON.stringify(q.body)}`);
    return {
      series: sortSets(s.body.data),
      query: sortSets(q.body.data.result.map((r: { metric: LabelSet }) => r.metric)),
    };
  }

  const withoutNewline = (sets: LabelSet[]) => sets.filter((s) => s.v !== NEWLINE_VALUE);

  test('valid matchers: same series', async () => {
    for (const matcher of MATCHERS) {
      const [p, o] = await Promise.all([selected(prom.url, matcher), selected(srv.url, matcher)]);
      // The newline value is compared in its own test: only `.` treats it differently across versions.
      assert.deepEqual(withoutNewline(o.series), withoutNewline(p.series), `series m{${matcher}}`);
      assert.deepEqual(withoutNewline(o.query), withoutNewline(p.query), `query m{${matcher}}`);
      assert.deepEqual(o.query, o.series, `promdog: query and series agree on m{${matcher}}`);
      if (!matcher.includes('.')) assert.deepEqual(o.series, p.series, `series m{${matcher}} (newline value included)`);
    }
  });

  test('invalid regexes: both answer 400 bad_data naming the same regexp error', async () => {
    for (const re of INVALID) {
      for (const path of [
        `/api/v1/series?${qs({ 'match[]': `m{v=~"${re}"}` })}`,
        `/api/v1/query?${qs({ query: `m{v=~"${re}"}`, time: t })}`,
        `/api/v1/query?${qs({ query: `m{v!~"${re}"}`, time: t })}`,
      ]) {
        const [p, o] = await Promise.all([getJson(prom.url + path), getJson(srv.url + path)]);
        assert.equal(p.status, 400, `Prometheus ${path}: ${JSON.stringify(p.body)}`);
        assert.equal(o.status, 400, `promdog ${path}: ${JSON.stringify(o.body)}`);
        assert.equal(o.body.errorType, 'bad_data');
        // The kind of error (`missing closing )`): the quoted text differs, as 2.42 quotes `^(?:re)$`.
        const kind = (msg: string) => /error parsing regexp: ([^:`]*)/.exec(msg)?.[1];
        assert.ok(kind(p.body.error), `Prometheus names a regexp error: ${p.body.error}`);
        assert.equal(kind(o.body.error), kind(p.body.error), `${path}: ${o.body.error} vs Prometheus ${p.body.error}`);
      }
    }
  });

  test('`.` and newlines: promdog answers as Prometheus 3 does; 2.42 answers the opposite', async () => {
    // Prometheus 3.0 anchors regexes as ^(?s:re)$ (its migration guide: "the . pattern in regular expressions in
    // PromQL matches newline characters now"); 2.42 compiled ^(?:re)$, where `.` stops at `\n`. So on the newline
    // value each of these gives the opposite answer in 2.42, which this test also checks, as evidence.
    for (const { matcher, matchesNewlineValue } of DOT_MATCHERS) {
      const [p, o] = await Promise.all([selected(prom.url, matcher), selected(srv.url, matcher)]);
      const hasNewline = (sets: LabelSet[]) => sets.some((s) => s.v === NEWLINE_VALUE);
      assert.equal(hasNewline(o.series), matchesNewlineValue, `promdog m{${matcher}}`);
      assert.equal(hasNewline(o.query), matchesNewlineValue, `promdog query m{${matcher}}`);
      assert.equal(hasNewline(p.series), !matchesNewlineValue, `Prometheus 2.42 m{${matcher}}`);
      assert.deepEqual(withoutNewline(o.series), withoutNewline(p.series), `other series m{${matcher}}`);
    }
  });
});
