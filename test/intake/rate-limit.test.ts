import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { encodeMetricPayload } from '../support/proto-writer.js';
import { post, selfMetric, startPromdog, type TestPromdog } from '../support/promdog.js';

// Samples per second per tenant: tenant default has its own limit (1 sample/s, a burst of 100), tenant system none.
// Over it an HTTP payload is answered 429 with Retry-After and nothing of it is stored, a DogStatsD flush loses its
// samples; both are counted, and the other tenant, the listener and the server go on.

const BURST = 100;
const now = () => Math.floor(Date.now() / 1000);
/** A v1 body of `n` single-sample series of `metric`, one host each. */
const v1 = (metric: string, n: number) =>
  JSON.stringify({
    series: Array.from({ length: n }, (_, i) => ({ metric, host: `h${i}`, points: [[now(), 1]] })),
  });

let pd: TestPromdog;

before(async () => {
  pd = await startPromdog(['--dogstatsd-listen', '127.0.0.1:0', '--self-scrape-interval', '0'], {
    config: `tenants:\n  default:\n    limits: { samples_per_second: 1, samples_burst: ${BURST} }\n`,
  });
});
after(async () => pd.close());

const rateLimited = (family: string) => selfMetric(pd.url, family, { tenant: 'default', reason: 'rate_limited' });

async function stored(expr: string, key: string): Promise<number> {
  const res = await fetch(`${pd.url}/api/v1/query?query=${encodeURIComponent(expr)}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: { result: unknown[] } }).data.result.length;
}

/** The server is ready and tenant system, which has no limit, stores an Agent's POST larger than default's burst. */
async function otherTenantAnswered(metric: string): Promise<void> {
  assert.equal((await fetch(`${pd.url}/-/ready`)).status, 200);
  const agent = encodeMetricPayload(
    Array.from({ length: 3 * BURST }, (_, i) => ({
      metric,
      type: 3,
      tags: [`i:${i}`],
      points: [{ timestamp: now(), value: i }],
    })),
  );
  const res = await post(pd.url, '/api/v2/series', agent, {
    key: pd.keys.system,
    encoding: 'deflate',
    contentType: 'application/x-protobuf',
  });
  assert.equal(res.status, 202);
  assert.equal(await stored(metric.replaceAll('.', '_'), pd.keys.system), 3 * BURST);
}

describe('samples per second per tenant (limits.samples_per_second)', () => {
  test('HTTP: within the burst 202, past it 429 with Retry-After naming the limit, nothing of it stored', async () => {
    const first = await post(pd.url, '/api/v1/series', v1('rate.first', 60), { key: pd.keys.default });
    assert.equal(first.status, 202);
    const samplesBefore = await rateLimited('promdog_samples_rejected_total');
    const requestsBefore = await selfMetric(pd.url, 'promdog_requests_rejected_total', {
      route: '/api/v1/series',
      reason: 'rate_limited',
    });
    // 40 samples left in the bucket, refilled at 1 a second: 60 more wait about 20 s.
    const over = await post(pd.url, '/api/v1/series', v1('rate.over', 60), { key: pd.keys.default });
    assert.equal(over.status, 429);
    assert.match(over.json.errors[0], /1 samples\/s with a burst of 100 \(limits\.samples_per_second/);
    const retryAfter = Number(over.headers.get('retry-after'));
    assert.ok(retryAfter >= 10 && retryAfter <= 21, `Retry-After: ${retryAfter}`);
    assert.equal((await rateLimited('promdog_samples_rejected_total')) - samplesBefore, 60);
    assert.equal(
      (await selfMetric(pd.url, 'promdog_requests_rejected_total', {
        route: '/api/v1/series',
        reason: 'rate_limited',
      })) - requestsBefore,
      1,
    );
    assert.equal(await stored('rate_over', pd.keys.default), 0);
    assert.equal(await stored('rate_first', pd.keys.default), 60);
    await otherTenantAnswered('rate.other.http');
  });

  test('DogStatsD: a flush over the limit loses its samples, counted; the listener keeps going', async () => {
    const before = await rateLimited('promdog_samples_rejected_total');
    const dogstatsd = pd.server.dogstatsd!;
    const packets = dogstatsd.stats.packets.udp;
    const sock = createSocket('udp4');
    // More samples than the whole burst: the bucket, drawn down by the test above, cannot hold them.
    const lines = Array.from({ length: BURST + 20 }, (_, i) => `dsd.rate:${i}|g|#i:${i}`);
    await new Promise<void>((resolve, reject) =>
      sock.send(lines.join('\n'), dogstatsd.udpAddress()!.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
    sock.close();
    while (dogstatsd.stats.packets.udp === packets) await new Promise((r) => setTimeout(r, 20));
    await dogstatsd.tick(true);
    assert.equal((await rateLimited('promdog_samples_rejected_total')) - before, BURST + 20);
    assert.equal(await stored('dsd_rate', pd.keys.default), 0);
    assert.equal(dogstatsd.stats.flushErrors, 0);
    await otherTenantAnswered('rate.other.dsd');
  });
});
