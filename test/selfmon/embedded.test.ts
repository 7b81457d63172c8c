import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startPromdog, post, type TestPromdog } from '../support/promdog.js';
import { OVERVIEW_PANELS } from '../../src/selfmon/overview-panels.js';
import { firingRuleFlags } from '../support/ruler-flags.js';
import { apiData, instant, postAgentCapture, v1Series, waitFor } from './support.js';

// Embedded store: promdog scrapes itself (every 1 s here) into the system tenant, next to the Agent data of tenant
// `default` (and a firing alert of its rules), and each key sees only its own tenant.

let pd: TestPromdog;
/** The rule file that gives the ruler and notifier panels something to draw. */
let ruler: { args: string[]; dir: string } | undefined;
let instanceLabel: string;
const REQUESTS_202 = 'promdog_http_requests_total{tenant="default",route="/api/v2/series",code="202",job="promdog"}';

before(async () => {
  ruler = await firingRuleFlags();
  pd = await startPromdog(['--self-scrape-interval', '1s', ...ruler.args]);
  instanceLabel = new URL(pd.url).host;
  await postAgentCapture(pd.url, pd.keys.default);
  // Traffic for the panels that show refusals: a wrong key (403), a route promdog does not serve (404) and samples
  // too far in the future.
  assert.equal((await post(pd.url, '/api/v2/series', '{}', { key: 'not-a-key' })).status, 403);
  assert.equal((await post(pd.url, '/api/intake/metrics/v3beta/series', '', { key: pd.keys.default })).status, 404);
  const now = Math.floor(Date.now() / 1000);
  const r = await post(
    pd.url,
    '/api/v1/series',
    v1Series('selfmon.future', [
      [now, 1],
      [now + 86_400, 2],
    ]),
    { key: pd.keys.default },
  );
  assert.equal(r.status, 202);
});
after(async () => {
  await pd?.close();
  if (ruler) rmSync(ruler.dir, { recursive: true, force: true });
});

/** The value of a one-series instant query, or undefined when it has no result yet. */
async function single(key: string, query: string): Promise<number | undefined> {
  const r = await instant(pd.url, key, query);
  assert.ok(r.length <= 1, `${query}: ${JSON.stringify(r)}`);
  return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
}

describe('self-scrape into the system tenant (embedded store)', () => {
  test('request counts arrive with job and instance and increase with more traffic', async () => {
    await waitFor(
      'the 3 capture POSTs in the system tenant',
      async () => (await single(pd.keys.system, REQUESTS_202)) === 3,
    );
    const [s] = await instant(pd.url, pd.keys.system, REQUESTS_202);
    assert.deepEqual(s!.metric, {
      __name__: 'promdog_http_requests_total',
      code: '202',
      instance: instanceLabel,
      job: 'promdog',
      method: 'POST',
      route: '/api/v2/series',
      tenant: 'default',
    });
    await postAgentCapture(pd.url, pd.keys.default);
    await waitFor('6 POSTs after the second capture', async () => (await single(pd.keys.system, REQUESTS_202)) === 6);
    // Every series of the system tenant is promdog's own, from this one listener.
    const instances = await instant(pd.url, pd.keys.system, 'count by (job, instance) ({__name__=~".+"})');
    assert.deepEqual(
      instances.map((x) => x.metric),
      [{ instance: instanceLabel, job: 'promdog' }],
    );
  });

  test('histograms come through as _bucket{le}, _sum and _count, with their metadata', async () => {
    const route = 'route="/api/v2/series"';
    await waitFor(
      'the duration histogram',
      async () => ((await single(pd.keys.system, `promdog_http_request_duration_seconds_count{${route}}`)) ?? 0) >= 3,
    );
    // One evaluation time for all three, so they come from the same scrape.
    const at = String(Date.now() / 1000);
    const q = async (query: string) =>
      (await apiData(pd.url, pd.keys.system, '/api/v1/query', { query, time: at })).result as {
        metric: Record<string, string>;
        value: [number, string];
      }[];
    const buckets = await q(`promdog_http_request_duration_seconds_bucket{${route}}`);
    const les = buckets.map((b) => b.metric.le);
    assert.ok(les.includes('+Inf') && les.includes('0.005') && les.length === 15, les.join(','));
    const inf = Number(buckets.find((b) => b.metric.le === '+Inf')!.value[1]);
    const [count] = await q(`promdog_http_request_duration_seconds_count{${route}}`);
    const [sum] = await q(`promdog_http_request_duration_seconds_sum{${route}}`);
    assert.equal(Number(count!.value[1]), inf);
    assert.ok(Number(sum!.value[1]) > 0);
    // Cumulative buckets never decrease with le.
    const byLe = buckets
      .map((b) => [Number(b.metric.le === '+Inf' ? Infinity : b.metric.le), Number(b.value[1])] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < byLe.length; i++) assert.ok(byLe[i]![1] >= byLe[i - 1]![1]);

    const meta = await apiData(pd.url, pd.keys.system, '/api/v1/metadata', {});
    assert.equal(meta.promdog_http_request_duration_seconds?.[0]?.type, 'histogram');
    assert.equal(meta.promdog_http_requests_total?.[0]?.type, 'counter');
    assert.equal(meta.promdog_process_resident_memory_bytes?.[0]?.type, 'gauge');
    assert.equal(
      (await apiData(pd.url, pd.keys.default, '/api/v1/metadata', { metric: 'promdog_http_requests_total' }))
        .promdog_http_requests_total,
      undefined,
    );
  });

  test('tenant isolation: default sees none of the self-metrics, system none of the Agent series', async () => {
    await waitFor('self-metrics', async () => (await single(pd.keys.system, REQUESTS_202)) !== undefined);
    const d = pd.keys.default;
    const s = pd.keys.system;
    // default → no promdog_* anywhere
    assert.deepEqual(await instant(pd.url, d, '{__name__=~"promdog_.+"}'), []);
    assert.deepEqual(await instant(pd.url, d, REQUESTS_202), []);
    assert.deepEqual(await apiData(pd.url, d, '/api/v1/series', { 'match[]': '{__name__=~"promdog_.+"}' }), []);
    assert.deepEqual(await apiData(pd.url, d, '/api/v1/labels', { 'match[]': '{job="promdog"}' }), []);
    const defaultNames: string[] = await apiData(pd.url, d, '/api/v1/label/__name__/values');
    assert.ok(defaultNames.includes('system_load_1'));
    assert.deepEqual(
      defaultNames.filter((n) => n.startsWith('promdog_')),
      [],
    );
    assert.deepEqual(await apiData(pd.url, d, '/api/v1/label/job/values'), ['ddagent']);
    assert.deepEqual(await apiData(pd.url, d, '/api/v1/label/route/values'), []);
    // system → no Agent data anywhere
    assert.deepEqual(await instant(pd.url, s, '{job="ddagent"}'), []);
    assert.deepEqual(await instant(pd.url, s, 'system_load_1'), []);
    assert.deepEqual(await apiData(pd.url, s, '/api/v1/series', { 'match[]': '{job="ddagent"}' }), []);
    assert.deepEqual(await apiData(pd.url, s, '/api/v1/series', { 'match[]': '{__name__="system_load_1"}' }), []);
    assert.deepEqual(await apiData(pd.url, s, '/api/v1/labels', { 'match[]': '{job="ddagent"}' }), []);
    const systemNames: string[] = await apiData(pd.url, s, '/api/v1/label/__name__/values');
    assert.ok(systemNames.includes('promdog_http_requests_total'));
    assert.deepEqual(
      systemNames.filter((n) => !n.startsWith('promdog_')),
      [],
    );
    assert.deepEqual(await apiData(pd.url, s, '/api/v1/label/job/values'), ['promdog']);
    assert.deepEqual(await apiData(pd.url, s, '/api/v1/label/instance/values'), [instanceLabel]);
    assert.deepEqual(await apiData(pd.url, s, '/api/v1/label/device/values'), []);
  });

  test('every Overview panel draws data from the system tenant; gateway-only panels draw nothing', async () => {
    for (const panel of OVERVIEW_PANELS) {
      for (const { expr } of panel.queries) {
        const points = async () => {
          const end = Date.now() / 1000;
          const data = await apiData(pd.url, pd.keys.system, '/api/v1/query_range', {
            query: expr,
            start: String(end - 120),
            end: String(end),
            step: '2',
          });
          let finite = 0;
          for (const s of data.result as { values: [number, string][] }[])
            for (const [, v] of s.values) if (Number.isFinite(Number(v))) finite++;
          return finite;
        };
        if (panel.mode === 'gateway') assert.equal(await points(), 0, `${panel.id}: ${expr}`);
        else await waitFor(`${panel.id}: ${expr}`, async () => (await points()) > 0);
      }
    }
  });
});
