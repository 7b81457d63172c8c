// The template cases rendered by a real Prometheus (Debian's 2.42) from a rule file over data remote-written to it,
// compared with the cases' expected annotations and with promdog's rendering of the same alerts; and the parse errors
// of `promtool check rules` compared with promdog's.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { PromSeries } from '../../src/model/prometheus.js';
import { AlertTemplate, type TemplateQuery, TemplateError } from '../../src/template/alert-template.js';
import { remoteWrite } from '../api/dataset.js';
import { type PrometheusAlert, PrometheusProcess, sampleValue } from '../support/prometheus.js';
import {
  CASES,
  EXTERNAL_LABELS,
  EXTERNAL_URL,
  FIXTURES,
  PARSE_ERRORS,
  QUERY_SERIES,
  renderCase,
  type TemplateFixture,
} from './cases.js';

const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';
const READY_TIMEOUT_MS = 60_000;

/** Cases Prometheus 2.42 can load, keyed by their annotation name. */
const loadable = new Map(
  CASES.flatMap((c, i) => (typeof c.prometheus242 === 'object' ? [] : [[`case_${i}`, c] as const])),
);

function ruleFile(): string {
  const rules = Object.keys(FIXTURES).map((alert) => ({
    alert,
    expr: `template_case{fixture="${alert.toLowerCase()}"}`,
    annotations: Object.fromEntries(
      [...loadable].filter(([, c]) => c.fixture === alert).map(([k, c]) => [k, c.template]),
    ),
  }));
  return stringify({ groups: [{ name: 'templates', rules }] });
}

function series(fixtures: TemplateFixture[], timeMs: number): PromSeries[] {
  return fixtures.map((f) => ({
    labels: Object.entries(f.labels)
      .map(([name, value]) => ({ name, value }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    timestamps: [timeMs],
    values: [f.value],
  }));
}

/** The template `query` function over Prometheus' query API. */
function prometheusQuery(prom: PrometheusProcess): TemplateQuery {
  return async (expr) => {
    const res = await fetch(`${prom.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.json()) as {
      data: { resultType: string; result: unknown };
      error?: string;
    };
    if (body.error) throw new Error(body.error);
    if (body.data.resultType === 'scalar') {
      return [{ labels: {}, value: sampleValue((body.data.result as [number, string])[1]) }];
    }
    const vector = body.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
    return vector.map((s) => ({ labels: s.metric, value: sampleValue(s.value[1]) }));
  };
}

describe('templates rendered by Prometheus 2.42 and by promdog', () => {
  let prom: PrometheusProcess;
  let alerts: Map<string, PrometheusAlert>;

  before(async () => {
    prom = await PrometheusProcess.start({
      ruleFiles: { 'templates.yml': ruleFile() },
      evaluationInterval: '1s',
      externalLabels: EXTERNAL_LABELS,
      externalUrl: EXTERNAL_URL,
    });
    await remoteWrite(prom.remoteWriteUrl, series([...Object.values(FIXTURES), ...QUERY_SERIES], Date.now()));
    const giveUpAt = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      alerts = new Map((await prom.alerts()).map((a) => [a.labels.alertname!, a]));
      if (alerts.size === Object.keys(FIXTURES).length) break;
      if (Date.now() > giveUpAt)
        throw new Error(`alerts not active after ${READY_TIMEOUT_MS} ms: ${[...alerts.keys()]}\n${prom.logTail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    await prom?.cleanup();
  });

  test('Prometheus renders every case as expected', () => {
    const wrong: string[] = [];
    for (const [key, c] of loadable) {
      const got = alerts.get(c.fixture)!.annotations[key];
      const want = typeof c.prometheus242 === 'string' ? c.prometheus242 : c.expected;
      if (got !== want) wrong.push(`${c.name}: ${c.template}\n  Prometheus: ${got}\n  expected:   ${want}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('promdog renders every case as expected, with query results from Prometheus', async () => {
    const query = prometheusQuery(prom);
    const wrong: string[] = [];
    for (const c of CASES) {
      const got = await renderCase(c.fixture, c.template, FIXTURES[c.fixture]!, query);
      if (got !== c.expected) wrong.push(`${c.name}: ${c.template}\n  promdog:  ${got}\n  expected: ${c.expected}`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe('template parse errors of promtool check rules', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promdog-templates-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('promtool and promdog refuse each template with the expected message', async () => {
    const rules = PARSE_ERRORS.map((c) => ({
      alert: 'BadTemplate',
      expr: 'vector(1)',
      annotations: { a: c.template },
    }));
    const file = join(dir, 'bad.yml');
    await writeFile(file, stringify({ groups: [{ name: 'g', rules }] }));
    const out = await promisify(execFile)(PROMTOOL_BIN, ['check', 'rules', file]).then(
      () => assert.fail('promtool accepted the templates'),
      (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
    );
    const reported = new Map<number, string>();
    for (const m of out.matchAll(/rule (\d+), "BadTemplate": annotation "a": (.*)$/gm))
      reported.set(Number(m[1]) - 1, m[2]!);
    PARSE_ERRORS.forEach((c, i) => {
      assert.equal(reported.get(i), c.prometheus242 ?? c.expected, `promtool on ${c.template}`);
      assert.throws(
        () => AlertTemplate.parse('__alert_BadTemplate', c.template),
        (e) => e instanceof TemplateError && e.message === c.expected,
        `promdog on ${c.template}`,
      );
    });
  });
});
