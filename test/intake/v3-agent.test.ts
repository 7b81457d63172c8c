import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPromdog, type PromdogProcess } from '../support/process.js';
import { post, selfMetric } from '../support/promdog.js';
import { assembleV3Parts, buildV3Columns } from '../support/v3-writer.js';
import { zstdFrames } from '../support/zstd.js';
import { agentLikeSeries } from '../../src/intake/decoders/series-v2-proto.bench.js';

// A real `promdog serve` process taking what an Agent 7.81 sends: intake_v3 series and sketches, zstd with one frame
// per part; malformed v3 bodies answered 400 or 413 with where; the v3 beta route answered 404, counted and logged
// once with the setting to change.

let pd: PromdogProcess;
let dir: string;
let key: string;
const nowS = () => Math.floor(Date.now() / 1000);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promdog-v3-'));
  pd = await spawnPromdog(['--data-dir', dir, '--self-scrape-interval', '0']);
  key = readFileSync(join(dir, 'tenant-api-token-default'), 'utf8').trim();
});
after(async () => {
  pd?.child.kill('SIGTERM');
  await pd?.exited;
  rmSync(dir, { recursive: true, force: true });
});

/** POSTs a v3 payload as the Agent does: Content-Encoding zstd, each part its own frame. */
async function postV3(path: string, parts: Buffer[]) {
  return post(pd.url, path, await zstdFrames(parts), {
    key,
    encoding: 'none',
    rawEncodingHeader: 'zstd',
    contentType: 'application/x-protobuf',
  });
}

async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${pd.url}/api/v1/query?${new URLSearchParams({ query: q })}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

describe('an Agent sending intake_v3 to a promdog process', () => {
  test('series and sketches, zstd frame by frame, are stored and queryable', async () => {
    const series = agentLikeSeries(10_000, 9).map((s) => ({
      ...s,
      points: s.points!.map((p) => ({ ...p, timestamp: nowS() - 5 })),
    }));
    const sketches = [
      {
        metric: 'v3.agent.latency',
        host: 'agent-host',
        tags: ['env:prod', 'endpoint:/home'],
        dogsketches: [
          { ts: nowS() - 5, cnt: 4, min: 1, max: 8, avg: 3.75, sum: 15, k: [1338, 1382, 1409, 1471], n: [1, 1, 1, 1] },
        ],
      },
    ];
    const seriesBody = assembleV3Parts(buildV3Columns({ series }, { splitTags: (tags) => Math.min(2, tags.length) }));
    const r = await postV3('/api/intake/metrics/v3/series', seriesBody);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.deepEqual(r.json, { errors: [] });
    const s = await postV3('/api/intake/metrics/v3/sketches', assembleV3Parts(buildV3Columns({ sketches })));
    assert.equal(s.status, 202, JSON.stringify(s.json));

    const stored = await query('count({job="ddagent", __name__!~"v3_agent_.*"})');
    assert.equal(
      Number(stored[0]!.value[1]),
      new Set(series.map((x) => JSON.stringify([x.metric, x.resources, x.tags, x.type, x.sourceTypeName]))).size,
    );
    const one = series.find((x) => x.metric === 'system.disk.metric_3' && x.points!.length === 1)!;
    const got = await query(
      `system_disk_metric_3{instance="${one.resources![0]!.name}", device="${one.resources![1]!.name}", ${one.tags!.map((t) => `${t.split(':')[0]}="${t.split(':')[1]}"`).join(', ')}}`,
    );
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(Number(got[0]!.value[1]), one.points![0]!.value);
    assert.deepEqual(
      (await query('v3_agent_latency_count')).map((x) => [x.metric.instance, x.metric.endpoint, x.value[1]]),
      [['agent-host', '/home', '4']],
    );
    assert.equal(
      await selfMetric(pd.url, 'promdog_intake_bodies_decoded_total', {
        route: '/api/intake/metrics/v3/series',
        thread: 'worker',
      }),
      1,
      'the 10,000-point body was decoded by a worker',
    );
  });

  test('malformed v3 bodies: 400 with the column, the entry and the byte; the process keeps serving', async () => {
    const columns = buildV3Columns({ series: [{ metric: 'x', type: 3, points: [{ timestamp: nowS(), value: 1 }] }] });
    columns.set(11, Buffer.from([4])); // nameRefs: reference 2 in a dictionary of one name
    const r = await postV3('/api/intake/metrics/v3/series', assembleV3Parts(columns));
    assert.equal(r.status, 400);
    assert.match(
      r.json.errors[0],
      /^intake_v3\.Payload: metricData\.nameRefs\[0\]: reference 2 outside dictNameStr \(2 entries, entry 0 the empty one\) at byte \d+$/,
    );
    const v2Body = await postV3('/api/intake/metrics/v3/series', [Buffer.from([0x0a, 0x02, 0x12, 0x00])]);
    assert.equal(v2Body.status, 400);
    assert.match(v2Body.json.errors[0], /field 1 is MetricPayload\.series/);
    assert.equal(
      await selfMetric(pd.url, 'promdog_requests_rejected_total', {
        route: '/api/intake/metrics/v3/series',
        reason: 'decode',
      }),
      2,
    );
    assert.equal((await fetch(`${pd.url}/-/ready`)).status, 200);
  });

  test('the v3 beta route: 404, counted, logged once with the setting to change', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await postV3('/api/intake/metrics/v3beta/series', [Buffer.alloc(0)]);
      assert.equal(r.status, 404);
      assert.deepEqual(r.json, { errors: ['not found: POST /api/intake/metrics/v3beta/series'] });
    }
    assert.equal(
      await selfMetric(pd.url, 'promdog_http_unknown_routes_total', {
        method: 'POST',
        path: '/api/intake/metrics/v3beta/series',
      }),
      3,
    );
    const line = await pd.waitForLog(/Agent route POST \/api\/intake\/metrics\/v3beta\/series is not served/);
    assert.equal(line.level, 40, 'warn');
    assert.match(String(line.msg), /serializer_experimental_use_v3_api\.series\.use_beta: false/);
    assert.equal(pd.logs.filter((l) => /v3beta/.test(String(l.msg))).length, 1, 'once per path per hour');
  });
});
