// The query API's endpoint methods called directly (no HTTP), over a real embedded store: parameter checks with
// Prometheus' messages and codes, and the answers' data. test/api/ covers the same endpoints over HTTP.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { Label, PromSeries } from '../model/prometheus.js';
import { Storage } from '../tsdb/storage.js';
import { ApiError, Params } from './params.js';
import { QueryApi, type QueryApiOptions, type QueryApiResult } from './query-api.js';

// Whole minutes an hour ago: recent enough for the store's write rules, and whole seconds for the assertions.
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3600_000;
const STEP = 15_000;
const POINTS = 40;
const T_END = T0 + (POINTS - 1) * STEP;

const labels = (o: Record<string, string>): Label[] =>
  Object.entries(o)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));

function series(o: Record<string, string>, value: (i: number) => number): PromSeries {
  const timestamps = Array.from({ length: POINTS }, (_, i) => T0 + i * STEP);
  return { labels: labels(o), timestamps, values: timestamps.map((_, i) => value(i)) };
}

const params = (o: Record<string, string | string[]>): Params => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, x);
  return new Params(u);
};

/** The parsed `data` of an answer. */
const data = (r: QueryApiResult) => JSON.parse(r.data);

/** Asserts the call fails with this ApiError: status, Prometheus error type and message (string or pattern). */
async function refused(
  call: Promise<unknown>,
  status: number,
  errorType: string,
  message: string | RegExp,
  rejectReason?: string,
) {
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof ApiError, `an ApiError, not ${String(e)}`);
    assert.equal(e.status, status);
    assert.equal(e.errorType, errorType);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.equal(e.rejectReason, rejectReason);
    return true;
  });
}

async function readAll(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

let dir: string;
let storage: Storage;
let api: QueryApi;
let options: QueryApiOptions;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promdog-query-api-'));
  storage = new Storage({ dataDir: dir });
  await storage.append(
    'a',
    [
      series({ __name__: 'http_requests_total', job: 'api', instance: 'a:80', code: '200' }, (i) => i * 10),
      series({ __name__: 'http_requests_total', job: 'api', instance: 'b:80', code: '500' }, (i) => i),
      series({ __name__: 'temperature', job: 'sensors', room: 'lab', 'http.method': 'GET' }, (i) => 20 + (i % 5)),
    ],
    [
      { metricFamilyName: 'http_requests_total', type: 'counter', help: 'Requests.', unit: '' },
      { metricFamilyName: 'temperature', type: 'gauge', help: 'Temperature.', unit: 'celsius' },
    ],
  );
  await storage.append('b', [series({ __name__: 'secret_metric', job: 'b-only' }, () => 42)]);
  options = {
    querierFor: (t) => storage.querier(t),
    metadataFor: (t) => storage.querier(t).metricMetadata(),
    exportSourceFor: (t) => storage.querier(t),
    limits: { maxSamples: 1_000_000, timeoutMs: 10_000, maxConcurrent: 2 },
    buildInfo: { revision: 'promdog-test' },
    now: () => T_END,
  };
  api = new QueryApi(options);
});

after(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('query', () => {
  test('an instant vector at `time`, by default at now()', async () => {
    const at = T0 + 4 * STEP;
    const r = await api.query(params({ query: 'http_requests_total{code="200"}', time: String(at / 1000) }), 'a');
    assert.deepEqual(data(r), {
      resultType: 'vector',
      result: [
        {
          metric: { __name__: 'http_requests_total', code: '200', instance: 'a:80', job: 'api' },
          value: [at / 1000, '40'],
        },
      ],
    });
    assert.deepEqual(data(await api.query(params({ query: 'sum(http_requests_total)' }), 'a')).result, [
      { metric: {}, value: [T_END / 1000, String((POINTS - 1) * 11)] },
    ]);
  });

  test('a tenant reads only its own data', async () => {
    assert.deepEqual(data(await api.query(params({ query: 'secret_metric' }), 'a')).result, []);
    assert.equal(data(await api.query(params({ query: 'secret_metric' }), 'b')).result.length, 1);
  });

  test('limit cuts the result with a warning; stats counts the samples read', async () => {
    const r = await api.query(params({ query: 'http_requests_total', limit: '1', stats: 'all' }), 'a');
    const d = data(r);
    assert.equal(d.result.length, 1);
    assert.deepEqual(r.warnings, ['results truncated due to limit']);
    // Two series, one sample each: an instant selector reads only the newest sample of its lookback window, the
    // one sample per series and step Prometheus counts.
    assert.equal(d.stats.samples.totalQueryableSamples, 2);
  });

  test('lookback_delta narrows the window', async () => {
    const between = T0 + 4 * STEP + 10_000;
    const at = (lookback: string) =>
      api.query(params({ query: 'temperature', time: String(between / 1000), lookback_delta: lookback }), 'a');
    assert.equal(data(await at('5s')).result.length, 0);
    assert.equal(data(await at('11s')).result.length, 1);
  });

  test('parameter checks', async () => {
    const q = (o: Record<string, string>) => api.query(params({ query: 'up', ...o }), 'a');
    await refused(q({ time: 'noon' }), 400, 'bad_data', /^invalid parameter "time": invalid time value for 'time': /);
    await refused(q({ limit: '-1' }), 400, 'bad_data', 'invalid parameter "limit": limit must be non-negative');
    await refused(
      q({ limit: 'x' }),
      400,
      'bad_data',
      'invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax',
    );
    await refused(q({ timeout: 'soon' }), 400, 'bad_data', /^invalid parameter "timeout": /);
    await refused(q({ lookback_delta: 'nope' }), 400, 'bad_data', /^error parsing lookback delta duration: /);
    await refused(api.query(params({ query: 'sum(' }), 'a'), 400, 'bad_data', /^invalid parameter "query": /);
    await refused(api.query(params({}), 'a'), 400, 'bad_data', /^invalid parameter "query": /);
  });

  test('maxSamples: an execution error counted as too_many_samples', async () => {
    const small = new QueryApi({ ...options, limits: { ...options.limits, maxSamples: 5 } });
    await refused(
      small.query(params({ query: 'http_requests_total[10m]' }), 'a'),
      422,
      'execution',
      /too many samples/,
      'too_many_samples',
    );
  });

  test('the request timing shows in stats: time queued, and the total since arrival', async () => {
    const timing = { arrivedAt: performance.now() - 1000, queuedMs: 250 };
    const { timings } = data(
      await api.query(params({ query: 'http_requests_total', stats: 'all' }), 'a', timing),
    ).stats;
    assert.equal(timings.execQueueTime, 0.25);
    assert.ok(timings.execTotalTime >= 1, String(timings.execTotalTime));
  });
});

describe('query_range', () => {
  const range = (o: Record<string, string>) =>
    params({ query: 'temperature', start: String(T0 / 1000), end: String(T_END / 1000), step: '60', ...o });

  test('a matrix from start to end every step', async () => {
    const d = data(await api.queryRange(range({}), 'a'));
    assert.equal(d.resultType, 'matrix');
    assert.equal(d.result.length, 1);
    const values = d.result[0].values as [number, string][];
    assert.deepEqual(
      values.map(([t]) => t),
      Array.from({ length: 10 }, (_, i) => T0 / 1000 + i * 60),
    );
    assert.deepEqual(values[1], [T0 / 1000 + 60, '24']);
  });

  test('parameter checks', async () => {
    await refused(api.queryRange(range({ start: '' }), 'a'), 400, 'bad_data', /^invalid parameter "start": /);
    await refused(
      api.queryRange(range({ end: String(T0 / 1000 - 1) }), 'a'),
      400,
      'bad_data',
      'invalid parameter "end": end timestamp must not be before start time',
    );
    await refused(
      api.queryRange(range({ step: '0' }), 'a'),
      400,
      'bad_data',
      'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
    );
    await refused(api.queryRange(range({ step: 'x' }), 'a'), 400, 'bad_data', /^invalid parameter "step": /);
    await refused(
      api.queryRange(range({ step: '0.01' }), 'a'),
      400,
      'bad_data',
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
      'too_many_points',
    );
  });
});

describe('series, labels and label values', () => {
  test('series: the label sets matching any match[], sorted and without repeats', async () => {
    const r = await api.series(params({ 'match[]': ['http_requests_total{code="500"}', 'http_requests_total'] }), 'a');
    assert.deepEqual(data(r), [
      { __name__: 'http_requests_total', code: '200', instance: 'a:80', job: 'api' },
      { __name__: 'http_requests_total', code: '500', instance: 'b:80', job: 'api' },
    ]);
    const cut = await api.series(params({ 'match[]': 'http_requests_total', limit: '1' }), 'a');
    assert.equal(data(cut).length, 1);
    assert.deepEqual(cut.warnings, ['results truncated due to limit']);
  });

  test('series: match[] is required and must select series', async () => {
    await refused(api.series(params({}), 'a'), 400, 'bad_data', 'no match[] parameter provided');
    await refused(
      api.series(params({ 'match[]': '{job=~".*"}' }), 'a'),
      400,
      'bad_data',
      'invalid parameter "match[]": 1:1: parse error: vector selector must contain at least one non-empty matcher',
    );
    await refused(
      api.series(params({ 'match[]': 'rate(x[5m])' }), 'a'),
      400,
      'bad_data',
      /^invalid parameter "match\[\]": .*is not a series selector/,
    );
    await refused(
      api.series(params({ 'match[]': 'up', start: 'then' }), 'a'),
      400,
      'bad_data',
      /^invalid parameter "start": /,
    );
  });

  test('labels: every name, or those of the series matching match[]', async () => {
    assert.deepEqual(data(await api.labels(params({}), 'a')), [
      '__name__',
      'code',
      'http.method',
      'instance',
      'job',
      'room',
    ]);
    assert.deepEqual(data(await api.labels(params({ 'match[]': 'temperature' }), 'a')), [
      '__name__',
      'http.method',
      'job',
      'room',
    ]);
    assert.deepEqual(data(await api.labels(params({}), 'b')), ['__name__', 'job']);
    const cut = await api.labels(params({ limit: '2' }), 'a');
    assert.deepEqual([data(cut), cut.warnings], [['__name__', 'code'], ['results truncated due to limit']]);
  });

  test('label values: by name as in the path, U__ escaping included', async () => {
    assert.deepEqual(data(await api.labelValues('job', params({}), 'a')), ['api', 'sensors']);
    assert.deepEqual(data(await api.labelValues('job', params({ 'match[]': 'temperature' }), 'a')), ['sensors']);
    assert.deepEqual(data(await api.labelValues('U__http_2e_method', params({}), 'a')), ['GET']);
    assert.deepEqual(data(await api.labelValues('job', params({}), 'b')), ['b-only']);
    await refused(api.labelValues('', params({}), 'a'), 400, 'bad_data', 'invalid label name: ""');
    await refused(api.labelValues('job', params({ 'match[]': '{' }), 'a'), 400, 'bad_data', /parse error/);
  });
});

describe('metadata, buildinfo, exemplars, format_query', () => {
  test('metadata by metric name; limit, limit_per_metric and metric filter', async () => {
    assert.deepEqual(data(await api.metadata(params({}), 'a')), {
      http_requests_total: [{ type: 'counter', help: 'Requests.', unit: '' }],
      temperature: [{ type: 'gauge', help: 'Temperature.', unit: 'celsius' }],
    });
    assert.deepEqual(Object.keys(data(await api.metadata(params({ limit: '1' }), 'a'))), ['http_requests_total']);
    assert.deepEqual(Object.keys(data(await api.metadata(params({ metric: 'temperature' }), 'a'))), ['temperature']);
    assert.deepEqual(data(await api.metadata(params({}), 'b')), {});
    await refused(api.metadata(params({ limit: 'many' }), 'a'), 400, 'bad_data', 'limit must be a number');
    await refused(
      api.metadata(params({ limit_per_metric: '1.5' }), 'a'),
      400,
      'bad_data',
      'limit_per_metric must be a number',
    );
  });

  test('buildinfo: Prometheus 3.5 to Grafana, promdog in revision', async () => {
    const d = data(await api.buildinfo());
    assert.equal(d.version, '3.5.0');
    assert.equal(d.revision, 'promdog-test');
    assert.deepEqual(Object.keys(d).sort(), ['branch', 'buildDate', 'buildUser', 'goVersion', 'revision', 'version']);
  });

  test('query_exemplars: parameters checked, no exemplars', async () => {
    assert.deepEqual(data(await api.queryExemplars(params({ query: 'up' }))), []);
    await refused(
      api.queryExemplars(params({ query: 'up', start: '20', end: '10' })),
      400,
      'bad_data',
      'end timestamp must not be before start timestamp',
    );
    await refused(api.queryExemplars(params({ query: 'up{' })), 400, 'bad_data', /parse error/);
  });

  test('format_query: pretty-printed like Prometheus', async () => {
    assert.equal(
      data(await api.formatQuery(params({ query: 'sum  by(job)(rate(x[5m]))' }))),
      'sum by (job) (rate(x[5m]))',
    );
    await refused(api.formatQuery(params({ query: 'sum(' })), 400, 'bad_data', /^invalid parameter "query": /);
  });
});

describe('export', () => {
  test('one JSON line per matching series, sorted, up to now() by default', async () => {
    const lines = (await readAll(await api.export(params({ 'match[]': ['http_requests_total', 'temperature'] }), 'a')))
      .trim()
      .split('\n');
    const parsed = lines.map(
      (l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] },
    );
    assert.deepEqual(
      parsed.map((s) => s.metric.instance ?? s.metric.room),
      ['a:80', 'b:80', 'lab'],
    );
    assert.equal(parsed[0]!.timestamps.length, POINTS);
    assert.deepEqual(parsed[1]!.values.slice(0, 3), [0, 1, 2]);
    const window = await readAll(
      await api.export(params({ 'match[]': 'temperature', start: String(T_END / 1000 - 30) }), 'a'),
    );
    assert.equal((JSON.parse(window) as { timestamps: number[] }).timestamps.length, 3);
  });

  test('match[] is required', async () => {
    await refused(api.export(params({}), 'a'), 400, 'bad_data', 'no match[] parameter provided');
  });
});
