import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import StatsD from 'hot-shots';
import { startPromdog, post, selfMetric, type TestPromdog, type WireEncoding } from '../support/promdog.js';
import { agentEventsPayload, type AgentEvent } from '../support/agent-events.js';

// Events from every way in — the Agent's /intake/ envelope in each Content-Encoding it may use, DogStatsD `_e{}`
// from hot-shots, the public API — land in one stream per tenant; bad input is a 400 with a JSON error; the
// self-metrics count what was stored, refused and cut; the size bound deletes the oldest and counts them.

let pd: TestPromdog;
const nowS = () => Math.floor(Date.now() / 1000);

before(async () => {
  pd = await startPromdog(['--dogstatsd-listen', '127.0.0.1:0', '--self-scrape-interval', '0']);
});
after(async () => {
  await pd?.close();
});

interface V1Event {
  id: number;
  title: string;
  text: string;
  host: string | null;
  tags: string[];
  date_happened: number;
  priority: string;
  alert_type: string;
  source_type_name: string | null;
}

async function get(url: string, key: string | null = pd.keys.default): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { headers: key ? { 'dd-api-key': key } : {} });
  return { status: res.status, json: await res.json() };
}

async function listV1(query: string, key = pd.keys.default): Promise<V1Event[]> {
  const r = await get(`${pd.url}/api/v1/events?start=${nowS() - 3600}&end=${nowS() + 60}&${query}`, key);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.events as V1Event[];
}

async function waitFor<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('events through the intake', () => {
  for (const encoding of ['deflate', 'gzip', 'zstd'] as WireEncoding[]) {
    test(`the Agent's /intake/ envelope (${encoding}): every event, its source and the Agent's host`, async () => {
      const source = `nagios-${encoding}`;
      const events: AgentEvent[] = [
        {
          title: `Service down (${encoding})`,
          text: 'HTTP 503',
          ts: nowS() - 20,
          priority: 'normal',
          host: 'web-3',
          tags: ['env:prod'],
          alertType: 'error',
          aggregationKey: 'svc',
          sourceTypeName: source,
        },
        {
          title: `Service up (${encoding})`,
          text: 'HTTP 200',
          ts: nowS() - 10,
          host: '',
          tags: [],
          sourceTypeName: source,
        },
        {
          title: `Check restarted (${encoding})`,
          text: '',
          ts: nowS() - 5,
          host: '',
          tags: ['check:ntp'],
          sourceTypeName: '',
        },
      ];
      const body = agentEventsPayload(events, 'agent-host-1');
      const r = await post(pd.url, '/intake/', body, { key: pd.keys.default, encoding });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      assert.deepEqual(r.json, { status: 'ok' });

      const fromSource = await listV1(`sources=${source}`);
      assert.deepEqual(
        fromSource.map((e) => [e.title, e.text, e.host, e.tags, e.alert_type, e.source_type_name, e.date_happened]),
        [
          [`Service up (${encoding})`, 'HTTP 200', 'agent-host-1', [], 'info', source, events[1]!.ts],
          [`Service down (${encoding})`, 'HTTP 503', 'web-3', ['env:prod'], 'error', source, events[0]!.ts],
        ],
      );
      const [noSource] = await listV1('tags=check:ntp');
      assert.equal(noSource!.title, `Check restarted (${encoding})`);
      assert.equal(noSource!.source_type_name, null);
    });
  }

  test('DogStatsD _e{} events from hot-shots are stored with their fields', async () => {
    const statsd = new StatsD({
      host: '127.0.0.1',
      port: pd.server.dogstatsd!.udpAddress()!.port,
      protocol: 'udp',
      maxBufferSize: 0,
    });
    try {
      statsd.event(
        'Nightly job finished',
        'took 12 min\nno errors',
        {
          alert_type: 'success',
          priority: 'low',
          hostname: 'batch-1',
          aggregation_key: 'nightly',
          source_type_name: 'dogstatsd-test',
          date_happened: new Date(Date.now() - 3000),
        },
        ['team:data'],
      );
      const [e] = await waitFor('the DogStatsD event', async () => {
        const list = await listV1('sources=dogstatsd-test');
        return list.length > 0 ? list : undefined;
      });
      assert.deepEqual(
        [e!.title, e!.text, e!.host, e!.tags, e!.alert_type, e!.priority],
        ['Nightly job finished', 'took 12 min\nno errors', 'batch-1', ['team:data'], 'success', 'low'],
      );
      assert.ok(Math.abs(e!.date_happened - (nowS() - 3)) <= 5);
    } finally {
      await new Promise<void>((r) => statsd.close(() => r()));
    }
  });

  test('the self-metrics count stored, refused and cut events; none is counted as not stored', async () => {
    const counters = async () => ({
      stored: await selfMetric(pd.url, 'promdog_events_stored_total', { tenant: 'default' }),
      tooOld: await selfMetric(pd.url, 'promdog_events_rejected_total', { tenant: 'default', reason: 'too_old' }),
      cut: await selfMetric(pd.url, 'promdog_events_truncated_total', { tenant: 'default', field: 'title' }),
    });
    const before = await counters();
    const ok = JSON.stringify({ title: 'T'.repeat(120), text: 'long title' });
    const r = await post(pd.url, '/api/v1/events', ok, { key: pd.keys.default });
    assert.equal(r.status, 202);
    assert.equal(r.json.event.title, 'T'.repeat(100));
    const old = JSON.stringify({ title: 'stale', text: '', date_happened: nowS() - 19 * 3600 });
    const refused = await post(pd.url, '/api/v1/events', old, { key: pd.keys.default });
    assert.equal(refused.status, 400);
    assert.match(refused.json.errors[0], /event not stored \(too_old\): event time .* more than 18 h in the past/);
    // In an envelope, one refused event does not refuse the others.
    const envelope = agentEventsPayload(
      [
        { title: 'old one', text: '', ts: nowS() - 20 * 3600, host: 'h', tags: [], sourceTypeName: '' },
        { title: 'fresh one', text: '', ts: nowS(), host: 'h', tags: [], sourceTypeName: '' },
      ],
      'h',
    );
    assert.equal((await post(pd.url, '/intake/', envelope, { key: pd.keys.default })).status, 202);
    assert.deepEqual(await counters(), { stored: before.stored + 2, tooOld: before.tooOld + 2, cut: before.cut + 1 });
    assert.equal(await selfMetric(pd.url, 'promdog_items_not_stored_total', { kind: 'event' }), 0);
    assert.ok((await selfMetric(pd.url, 'promdog_events_store_bytes', { tenant: 'default' })) > 0);
  });

  test('bad input: 400 with a JSON error that says what is wrong; no key: 403', async () => {
    const posts: [string, string, RegExp][] = [
      ['/api/v1/events', '{"text":"no title"}', /^title: missing$/],
      ['/api/v1/events', '{"title":"t","text":"x","tags":"a"}', /^tags: expected an array/],
      ['/api/v1/events', '{"title":"t","text":', /invalid JSON/],
      ['/api/v2/events', '{"data":{"type":"event","attributes":{"title":"t"}}}', /category: missing/],
      ['/api/v2/events', '{"data":{"type":"event","attributes":{"title":"t","category":"x"}}}', /"change" or "alert"/],
      ['/intake/', '{"events":{"api":[{"msg_text":"no title"}]}}', /^events\.api\[0\]\.msg_title: missing$/],
    ];
    for (const [path, body, re] of posts) {
      const r = await post(pd.url, path, body, { key: pd.keys.default });
      assert.equal(r.status, 400, `${path} ${body}`);
      assert.match(r.json.errors[0], re, `${path} ${body}`);
    }
    const gets: [string, RegExp][] = [
      ['/api/v1/events', /^start: required/],
      ['/api/v1/events?start=1&end=x', /^end: expected an integer/],
      ['/api/v1/events?start=1&end=2&priority=urgent', /^priority: expected normal or low/],
      ['/api/v1/events?start=1&end=2&unaggregated=maybe', /^unaggregated: expected true or false/],
      ['/api/v1/events?start=1&end=2&page=100', /^page: expected an integer from 0 to 99/],
      ['/api/v1/events?start=1&start=2&end=3', /^start: expected one value/],
      ['/api/v1/events/abc', /^event_id: expected an integer id/],
      ['/api/v2/events?filter[from]=yesterday', /^filter\[from\]: expected milliseconds/],
      ['/api/v2/events?sort=title', /^sort: expected timestamp or -timestamp/],
      ['/api/v2/events?page[limit]=0', /^page\[limit\]: expected an integer from 1 to 1000/],
      ['/api/v2/events?page[cursor]=xyz', /^page\[cursor\]: not a cursor/],
      ['/api/v2/events?filter[query]=a%20OR%20b', /OR is not supported/],
    ];
    for (const [path, re] of gets) {
      const r = await get(`${pd.url}${path}`);
      assert.equal(r.status, 400, path);
      assert.match(r.json.errors[0], re, path);
    }
    for (const path of ['/api/v1/events?start=1&end=2', '/api/v1/events/1', '/api/v2/events', '/api/v2/events/1']) {
      const r = await get(`${pd.url}${path}`, 'wrong-key');
      assert.equal(r.status, 403, path);
      assert.deepEqual(r.json, { errors: ['Forbidden'] });
    }
    assert.equal((await get(`${pd.url}/api/v1/events/12345`)).status, 404);
    assert.equal((await fetch(`${pd.url}/-/ready`)).status, 200);
  });
});

test('the size bound: past events.max_bytes_per_tenant the oldest go, counted; the newest stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-events-size-'));
  const config = join(dir, 'promdog.yaml');
  const maxBytes = 256 * 1024;
  writeFileSync(config, `events:\n  max_bytes_per_tenant: ${maxBytes}\n`);
  const small = await startPromdog(['--config', config, '--self-scrape-interval', '0']);
  try {
    const text = 'x'.repeat(1000);
    let n = 0;
    for (let request = 0; request < 8; request++) {
      const events = Array.from({ length: 50 }, () => ({
        title: `bulk ${n++}`,
        text,
        ts: nowS(),
        host: 'h',
        tags: [],
        sourceTypeName: '',
      }));
      const r = await post(small.url, '/intake/', agentEventsPayload(events, 'h'), {
        key: small.keys.default,
        encoding: 'deflate',
      });
      assert.equal(r.status, 202);
    }
    const dropped = await selfMetric(small.url, 'promdog_events_dropped_total', { tenant: 'default', reason: 'size' });
    const bytes = await selfMetric(small.url, 'promdog_events_store_bytes', { tenant: 'default' });
    const kept = await selfMetric(small.url, 'promdog_events_store_events', { tenant: 'default' });
    assert.ok(dropped > 0, 'some events were dropped');
    assert.ok(bytes <= maxBytes, `${bytes} bytes over ${maxBytes}`);
    assert.equal(kept + dropped, n);
    const res = await fetch(`${small.url}/api/v2/events?filter[from]=now-1h&page[limit]=1`, {
      headers: { 'dd-api-key': small.keys.default },
    });
    const newest = ((await res.json()) as { data: { attributes: { attributes: { title: string } } }[] }).data[0];
    assert.equal(newest!.attributes.attributes.title, `bulk ${n - 1}`);
  } finally {
    await small.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
