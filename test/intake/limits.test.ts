import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { encodeMetricPayload } from '../support/proto-writer.js';
import { post, selfMetric, startPromdog, type TestPromdog } from '../support/promdog.js';

// The issue's ingestion rows, each request scaled to CI size: it meets its limit with the answer and counter the
// docs give, and meanwhile the server stays ready, another tenant's query and an Agent's POST are answered.

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
const now = () => Math.floor(Date.now() / 1000);
const v1 = (series: object[]) => JSON.stringify({ series });

let pd: TestPromdog;
const MAX_ACTIVE_SERIES = 300;

before(async () => {
  pd = await startPromdog(['--dogstatsd-listen', '127.0.0.1:0', '--self-scrape-interval', '0'], {
    config: `storage:\n  max_active_series_per_tenant: ${MAX_ACTIVE_SERIES}\n`,
  });
});
after(async () => pd.close());

const send = (body: string, encoding: 'gzip' | 'identity' = 'identity') =>
  post(pd.url, '/api/v1/series', body, { key: pd.keys.default, encoding });

async function query(expr: string, key: string): Promise<{ status: number; result: unknown[] }> {
  const res = await fetch(`${pd.url}/api/v1/query?query=${encodeURIComponent(expr)}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const body = (await res.json()) as { data?: { result: unknown[] } };
  return { status: res.status, result: body.data?.result ?? [] };
}

async function labelNames(key: string): Promise<number> {
  const res = await fetch(`${pd.url}/api/v1/labels`, { headers: { authorization: `Bearer ${key}` } });
  return ((await res.json()) as { data: string[] }).data.length;
}

const rejected = (reason: string, family = 'promdog_series_rejected_total') =>
  selfMetric(pd.url, family, { tenant: 'default', reason });

/** The server is ready, tenant system's query and an Agent's POST of a known series are answered. */
async function bystandersAnswered(): Promise<void> {
  assert.equal((await fetch(`${pd.url}/-/ready`)).status, 200);
  assert.equal((await query('up', pd.keys.system)).status, 200);
  const agent = encodeMetricPayload([
    { metric: 'agent.cpu', type: 3, tags: ['env:ci'], points: [{ timestamp: now(), value: 1 }] },
  ]);
  const res = await post(pd.url, '/api/v2/series', agent, {
    key: pd.keys.default,
    encoding: 'deflate',
    contentType: 'application/x-protobuf',
  });
  assert.equal(res.status, 202);
}

describe('ingestion limits, the issue rows scaled down', () => {
  test('one series, 20,000 tags sharing one key: 400 naming limits.max_tags_per_series', async () => {
    await bystandersAnswered();
    const before = await rejected('too_many_tags');
    const res = await send(
      v1([{ metric: 'hostile.samekey', points: [[now(), 1]], tags: range(20_000, (i) => `k:v${i}`) }]),
    );
    assert.equal(res.status, 400);
    assert.match(res.json.errors[0], /more than 1000 tags \(limits\.max_tags_per_series\)/);
    assert.equal((await rejected('too_many_tags')) - before, 1);
    await bystandersAnswered();
  });

  test('200,000 distinct tags in one gzip body: refused, the tenant gains no label name', async () => {
    const names = await labelNames(pd.keys.default);
    const body = v1([{ metric: 'hostile.manytags', points: [[now(), 1]], tags: range(200_000, (i) => `t${i}`) }]);
    const res = await send(body, 'gzip');
    assert.equal(res.status, 400);
    assert.match(res.json.errors[0], /limits\.max_tags_per_series/);
    assert.equal(await labelNames(pd.keys.default), names);
    await bystandersAnswered();
  });

  test('a 1 MiB metric name and a 1 MiB label value: those series refused, the rest stored (202)', async () => {
    const mib = 'x'.repeat(1 << 20);
    const good = { metric: 'limits.good', host: 'h', points: [[now(), 7]] };
    const res = await send(
      v1([
        good,
        { metric: `m${mib}`, points: [[now(), 1]] },
        { metric: 'limits.long_value', points: [[now(), 1]], tags: [`k:${mib}`] },
      ]),
    );
    assert.equal(res.status, 202);
    assert.equal(await rejected('metric_name_too_long'), 1);
    assert.equal(await rejected('label_value_too_long'), 1);
    assert.equal(await rejected('label_value_too_long', 'promdog_samples_rejected_total'), 1);
    assert.equal((await query('limits_good', pd.keys.default)).result.length, 1);
    assert.equal((await query('limits_long_value', pd.keys.default)).result.length, 0);

    const allBad = await send(v1([{ metric: `m${mib}`, points: [[now(), 1]] }]));
    assert.equal(allBad.status, 400);
    assert.match(allBad.json.errors[0], /longer than 200 bytes \(limits\.max_metric_name_length\)/);
    await bystandersAnswered();
  });

  test('DogStatsD: series over a limit are counted, the rest stored, the listener keeps going', async () => {
    const before = await rejected('too_many_tags');
    const dogstatsd = pd.server.dogstatsd!;
    const packets = dogstatsd.stats.packets.udp;
    const sock = createSocket('udp4');
    const lines = [`dsd.hostile:1|g|#${range(1001, (i) => `k${i}:v`).join(',')}`, 'dsd.good:5|g|#env:ci'];
    await new Promise<void>((resolve, reject) =>
      sock.send(lines.join('\n'), dogstatsd.udpAddress()!.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
    sock.close();
    while (dogstatsd.stats.packets.udp === packets) await new Promise((r) => setTimeout(r, 20));
    // The aggregator flushes closed 10 s buckets; the open one too, now, instead of waiting.
    await dogstatsd.tick(true);
    assert.equal((await rejected('too_many_tags')) - before, 1);
    assert.equal((await query('dsd_good', pd.keys.default)).result.length, 1);
    await bystandersAnswered();
  });
  // Last: it fills tenant default up to its active-series limit.
  test('the active-series limit: new series past it refused (202 with the rest), then 400 naming it', async () => {
    const series = (n: number, prefix: string) =>
      range(n, (i) => `${prefix}${i}`).map((host) => ({ metric: 'limits.active', host, points: [[now(), 1]] }));
    const before = await rejected('series_limit');
    // Some series exist already (agent.cpu, limits.good): these 400 cannot all fit.
    const res = await send(v1(series(MAX_ACTIVE_SERIES, 'a')));
    assert.equal(res.status, 202);
    const refused = (await rejected('series_limit')) - before;
    assert.ok(refused > 0 && refused < MAX_ACTIVE_SERIES, `${refused} refused`);
    const full = await send(v1(series(5, 'b')));
    assert.equal(full.status, 400);
    assert.match(full.json.errors[0], /limit of 300 active series \(storage\.max_active_series_per_tenant\)/);
    // Known series are still stored, and another tenant has its own limit.
    await bystandersAnswered();
    const other = await post(pd.url, '/api/v1/series', v1(series(5, 'c')), { key: pd.keys.system });
    assert.equal(other.status, 202);
  });
});
