// The query side of "no request from any tenant can stall the others", on a real promdog process: each abusive
// request shape of the issue, scaled down, is refused by its limit with its status and counter, while the server
// stays ready, another tenant's query is answered and an Agent's POST is stored.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { CLI, spawnPromdog, type PromdogProcess } from '../support/process.js';
import { selfMetric } from '../support/promdog.js';

const NOW = Math.floor(Date.now() / 1000);
const COUNTER_SERIES = 20_000;
const COUNTER_POINTS = Array.from({ length: 17 }, (_, k) => NOW - 240 + k * 15);

describe('query limits: one tenant cannot stall the others', () => {
  let dir: string;
  let pd: PromdogProcess;
  const keys = { abuser: '', bystander: '' };

  const seriesBody = (metric: string, count: number, times: number[], tag: (i: number) => string) => {
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const points = times.map((t, k) => [t, (i % 13) + k]);
      parts.push(JSON.stringify({ metric, type: 'gauge', host: 'h', tags: [tag(i)], points }));
    }
    return deflateSync(`{"series":[${parts.join(',')}]}`);
  };
  const postSeries = async (key: string, body: Buffer) => {
    const res = await fetch(`${pd.url}/api/v1/series`, {
      method: 'POST',
      headers: { 'dd-api-key': key, 'content-type': 'application/json', 'content-encoding': 'deflate' },
      body,
    });
    await res.text();
    return res.status;
  };
  const get = async (path: string, params: Record<string, string>, key = keys.abuser, signal?: AbortSignal) => {
    const res = await fetch(`${pd.url}${path}?${new URLSearchParams(params)}`, {
      headers: { authorization: `Bearer ${key}` },
      ...(signal ? { signal } : {}),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };
  const rejected = (reason: string) => selfMetric(pd.url, 'promdog_query_rejected_total', { reason });

  /** The server stays ready, the other tenant's query is answered, an Agent's POST is stored. */
  const othersAreServed = async () => {
    const ready = await fetch(`${pd.url}/-/ready`);
    assert.equal(ready.status, 200);
    const agent = await postSeries(
      keys.abuser,
      seriesBody('agent.load', 1, [Math.floor(Date.now() / 1000)], () => 'a:b'),
    );
    assert.equal(agent, 202);
    const other = await get('/api/v1/query', { query: 'count(bystander_metric)' }, keys.bystander);
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.equal(other.body.data.result[0].value[1], '10');
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'promdog-query-limits-'));
    for (const t of ['default', 'bystander'])
      execFileSync(process.execPath, [CLI, 'tenant', 'add', t, '--data-dir', dir]);
    pd = await spawnPromdog([
      '--data-dir',
      dir,
      '--query-max-samples',
      '5000000',
      '--query-max-concurrency',
      '4',
      '--self-scrape-interval',
      '0',
    ]);
    const key = (t: string) => readFileSync(join(dir, `tenant-api-token-${t}`), 'utf8').trim();
    keys.abuser = key('default');
    keys.bystander = key('bystander');
    assert.equal(
      await postSeries(
        keys.bystander,
        seriesBody('bystander.metric', 10, [NOW], (i) => `i:${i}`),
      ),
      202,
    );
    assert.equal(
      await postSeries(
        keys.abuser,
        seriesBody('single', 1000, [NOW], (i) => `i:${i}`),
      ),
      202,
    );
    for (let from = 0; from < COUNTER_SERIES; from += 2000) {
      const body = seriesBody('counter', 2000, COUNTER_POINTS, (i) => `i:${from + i}`);
      assert.equal(await postSeries(keys.abuser, body), 202);
    }
    assert.equal(
      await postSeries(
        keys.abuser,
        seriesBody('regex', 1, [NOW], () => `v:${'a'.repeat(31)}`),
      ),
      202,
    );
  });
  after(async () => {
    pd?.child.kill('SIGTERM');
    await pd?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  test('query_range over 30 days of single-sample series: 422 execution, counted', async () => {
    const before = await rejected('too_many_samples');
    // 1000 series × 10,801 steps: each would hold a slot per step, 10.8M points over the 5M limit.
    const r = await get('/api/v1/query_range', {
      query: 'single',
      start: String(NOW - 30 * 86400),
      end: String(NOW),
      step: '240',
    });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.errorType, 'execution');
    assert.match(r.body.error, /too many samples/);
    assert.equal(await rejected('too_many_samples'), before + 1);
    await othersAreServed();
  });

  test('rate() at a 1 s step over many series: 422 execution, counted', async () => {
    const before = await rejected('too_many_samples');
    // 20k series × 301 steps.
    const r = await get('/api/v1/query_range', {
      query: 'rate(counter[1m])',
      start: String(NOW - 300),
      end: String(NOW),
      step: '1',
    });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.errorType, 'execution');
    assert.equal(await rejected('too_many_samples'), before + 1);
    await othersAreServed();
  });

  // How many of the flood are refused depends on how fast each query runs here: which request meets a full queue
  // is timing. src/api/limiter.test.ts pins the queue's rules, and test/api/gateway-query.test.ts refuses past the
  // queue for certain with a backend that holds its answers.
  test('a flood of count_values from one tenant: each answered or refused with 503 + Retry-After, counted; the other tenant answered', async () => {
    const before = await rejected('concurrency');
    const flood = Array.from({ length: 100 }, () =>
      get('/api/v1/query', { query: 'count_values("v", counter)', time: String(NOW) }),
    );
    // The other tenant's query and the Agent's POST go through while the flood runs.
    await othersAreServed();
    const answers = await Promise.all(flood);
    const refused = answers.filter((a) => a.status === 503);
    for (const a of refused) {
      assert.equal(a.headers.get('retry-after'), '1');
      assert.equal(a.body.errorType, 'unavailable');
    }
    assert.ok(answers.some((a) => a.status === 200));
    assert.equal(answers.filter((a) => a.status !== 200 && a.status !== 503).length, 0);
    assert.equal(await rejected('concurrency'), before + refused.length);
  });

  test('format_query with 10k nested parentheses: 400 bad_data, logged and counted', async () => {
    const before = await rejected('too_deep');
    const deep = `${'('.repeat(10_000)}1${')'.repeat(10_000)}`;
    for (const path of ['/api/v1/format_query', '/api/v1/query']) {
      // As a form body: 10k parentheses URL-encoded are past the server's header size.
      const res = await fetch(`${pd.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.abuser}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: deep }).toString(),
      });
      const r = { status: res.status, body: (await res.json()) as any };
      assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
      assert.equal(r.body.errorType, 'bad_data');
      assert.match(r.body.error, /nests more than 400 levels/);
    }
    assert.equal(await rejected('too_deep'), before + 2);
    await pd.waitForLog(/nests more than 400 levels/);
    await othersAreServed();
  });

  test('a client that disconnects mid-query frees its slot: the query is canceled', async () => {
    const canceled = () => selfMetric(pd.url, 'promdog_query_requests_total', { endpoint: 'query_range', code: '499' });
    const before = await canceled();
    const abort = new AbortController();
    // 20k series × 181 steps of count_values: seconds of work, under the sample limit.
    const heavy = get(
      '/api/v1/query_range',
      { query: 'count_values("v", counter)', start: String(NOW - 180), end: String(NOW), step: '1' },
      keys.abuser,
      abort.signal,
    ).catch((e: Error) => e);
    while ((await selfMetric(pd.url, 'promdog_query_in_flight')) === 0) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    assert.ok((await heavy) instanceof Error);
    while ((await canceled()) === before) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await canceled(), before + 1);
    assert.equal(await selfMetric(pd.url, 'promdog_query_in_flight'), 0);
    // The tenant's single slot is free again.
    const next = await get('/api/v1/query', { query: 'count(single)', time: String(NOW) });
    assert.equal(next.status, 200);
    assert.equal(next.body.data.result[0].value[1], '1000');
    await othersAreServed();
  });

  test('{v=~"(a+)+b"} on a 31-character value: answered, nothing matches, others served', async () => {
    const r = await get('/api/v1/query', { query: '{v=~"(a+)+b"}', time: String(NOW) });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.result, []);
    const hit = await get('/api/v1/query', { query: '{v=~"(a+)+"}', time: String(NOW) });
    assert.equal(hit.body.data.result.length, 1);
    await othersAreServed();
  });
});
