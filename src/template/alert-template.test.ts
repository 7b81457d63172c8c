import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CASES,
  EXTERNAL_LABELS,
  EXTERNAL_URL,
  FIXTURES,
  PARSE_ERRORS,
  QUERY_SERIES,
  renderCase,
} from '../../test/template/cases.js';
import { MemoryQuerier } from '../../test/support/memory-querier.js';
import { Engine } from '../promql/engine.js';
import { AlertTemplate, type AlertTemplateData, type TemplateQuery, TemplateError } from './alert-template.js';
import { DEFAULT_LIMITS } from './exec.js';
import { MAX_NESTING } from './parse.js';

/** `query` over the cases' series, evaluated by promdog's PromQL engine at time 0 (as the ruler will wire it). */
function engineQuery(): TemplateQuery {
  const querier = new MemoryQuerier();
  for (const s of QUERY_SERIES) {
    querier.add(
      Object.entries(s.labels).map(([name, value]) => ({ name, value })),
      0,
      s.value,
    );
  }
  const engine = new Engine({ lookbackDeltaMs: 5 * 60_000, maxSamples: 1_000_000, timeoutMs: 10_000 });
  return async (expr) => {
    const r = await engine.instantQueryRaw(querier, expr, 0);
    // A scalar is one sample without labels, as Prometheus' rule query function makes it.
    if (r.resultType === 'scalar') return [{ labels: {}, value: r.value }];
    if (r.resultType !== 'vector') throw new Error(`rule result is not a vector or scalar`);
    return r.series.map((s) => ({
      labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
      value: s.values[0]!,
    }));
  };
}

const DATA: AlertTemplateData = {
  labels: { instance: 'web-1:9100', job: 'node' },
  externalLabels: EXTERNAL_LABELS,
  externalURL: EXTERNAL_URL,
  value: 0.5,
};

const noQuery: TemplateQuery = async (expr) => {
  throw new Error(`unexpected query ${expr}`);
};

async function expand(text: string, data: AlertTemplateData = DATA, query: TemplateQuery = noQuery): Promise<string> {
  return AlertTemplate.parse('__alert_Test', text).expand(data, 1_700_000_000_123, query);
}

describe('template cases rendered by Prometheus', () => {
  const query = engineQuery();
  for (const c of CASES) {
    test(`${c.name}: ${c.template}`, async () => {
      assert.equal(await renderCase(c.fixture, c.template, FIXTURES[c.fixture]!, query), c.expected);
    });
  }
});

describe('parse errors as promtool check rules reports them', () => {
  for (const c of PARSE_ERRORS) {
    test(c.template, () => {
      assert.throws(
        () => AlertTemplate.parse('__alert_BadTemplate', c.template),
        (e) => e instanceof TemplateError && e.message === c.expected,
      );
    });
  }
});

describe('AlertTemplate', () => {
  test('parses once and expands for each alert', async () => {
    const t = AlertTemplate.parse('__alert_Test', '{{ $labels.instance }} is at {{ humanizePercentage $value }}');
    assert.equal(await t.expand(DATA, 0, noQuery), 'web-1:9100 is at 50%');
    const other = { ...DATA, labels: { instance: 'web-2:9100' }, value: 0.25 };
    assert.equal(await t.expand(other, 0, noQuery), 'web-2:9100 is at 25%');
    assert.equal(await t.expand(DATA, 0, noQuery), 'web-1:9100 is at 50%');
  });

  test('a string value prints as is', async () => {
    assert.equal(await expand('{{ $value }} {{ printf "%q" .Value }}', { ...DATA, value: 'ok' }), 'ok "ok"');
  });

  test('now is the evaluation time in seconds (a float: the millisecond can round down, as in Prometheus)', async () => {
    assert.equal(
      await expand('{{ now }} {{ now | humanizeTimestamp }}'),
      '1.700000000123e+09 2023-11-14 22:13:20.122 +0000 UTC',
    );
  });

  test('runs each distinct query once, and a query again gets a fresh result', async () => {
    const calls: string[] = [];
    const query: TemplateQuery = async (expr) => {
      calls.push(expr);
      return [
        { labels: { job: 'b' }, value: 1 },
        { labels: { job: 'a' }, value: 2 },
      ];
    };
    const text =
      '{{ range query "x" | sortByLabel "job" }}{{ .Labels.job }}{{ end }}|' +
      '{{ range query "x" }}{{ .Labels.job }}{{ end }}|{{ query "y" | len }}';
    assert.equal(await expand(text, DATA, query), 'ab|ba|2');
    assert.deepEqual(calls, ['x', 'y']);
  });

  test('a failing query is an error of the query function', async () => {
    const query: TemplateQuery = async () => {
      throw new Error('1:5: parse error: unclosed left parenthesis');
    };
    await assert.rejects(
      expand('{{ with query "sum(" }}x{{ end }}', DATA, query),
      new TemplateError(
        'error executing template __alert_Test: template: __alert_Test:1:120: executing "__alert_Test" at ' +
          '<query "sum(">: error calling query: 1:5: parse error: unclosed left parenthesis',
      ),
    );
  });

  test('concurrent expansions keep their own data and query results', async () => {
    const t = AlertTemplate.parse('__alert_Test', '{{ $labels.job }}:{{ query "q" | first | value }}');
    const slowQuery =
      (value: number, ms: number): TemplateQuery =>
      async () => {
        await new Promise((r) => setTimeout(r, ms));
        return [{ labels: {}, value }];
      };
    const [a, b] = await Promise.all([
      t.expand({ ...DATA, labels: { job: 'a' } }, 0, slowQuery(1, 20)),
      t.expand({ ...DATA, labels: { job: 'b' } }, 0, slowQuery(2, 1)),
    ]);
    assert.deepEqual([a, b], ['a:1', 'b:2']);
  });
});

describe('bounded execution', () => {
  test('recursive templates stop at the depth limit with Go error', async () => {
    await assert.rejects(
      expand('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}'),
      new TemplateError(
        'error executing template __alert_Test: template: __alert_Test:1:140: executing "r" at <{{template "r" .}}>: ' +
          `exceeded maximum template depth (${DEFAULT_LIMITS.maxDepth})`,
      ),
    );
  });

  test('nesting deeper than the limit is refused when parsing, never overflows the stack', () => {
    const parens = `{{ ${'('.repeat(MAX_NESTING + 1)}1${')'.repeat(MAX_NESTING + 1)} }}`;
    const ifs = `${'{{ if 1 }}'.repeat(MAX_NESTING + 1)}x${'{{ end }}'.repeat(MAX_NESTING + 1)}`;
    for (const text of [parens, ifs]) {
      assert.throws(
        () => AlertTemplate.parse('__alert_Test', text),
        new TemplateError('template: __alert_Test:1: max expression depth exceeded'),
      );
    }
    const deepest = `${'{{ if 1 }}'.repeat(MAX_NESTING - 1)}x${'{{ end }}'.repeat(MAX_NESTING - 1)}`;
    assert.doesNotThrow(() => AlertTemplate.parse('__alert_Test', deepest));
  });

  test('recursion through deep bodies hits the depth limit, not the stack', async () => {
    const body = `${'{{ if 1 }}'.repeat(100)}{{ template "r" ${'('.repeat(100)}.${')'.repeat(100)} }}${'{{ end }}'.repeat(100)}`;
    await assert.rejects(expand(`{{ define "r" }}${body}{{ end }}{{ template "r" . }}`), (e) => {
      assert.ok(e instanceof TemplateError);
      assert.match(e.message, /exceeded maximum template depth/);
      return true;
    });
  });

  test('a run of too many steps stops', async () => {
    const ten = '(args 1 2 3 4 5 6 7 8 9 10)';
    const text = `${`{{ range ${ten} }}`.repeat(7)}x${'{{ end }}'.repeat(7)}`; // 10^7 iterations
    await assert.rejects(expand(text), /template execution exceeds 1000000 steps/);
  });

  test('output beyond the limit stops', async () => {
    await assert.rejects(
      expand('{{ range (args 1 2 3) }}{{ printf "%500000d" 1 }}{{ end }}'),
      /template output exceeds 1048576 characters/,
    );
  });
});
