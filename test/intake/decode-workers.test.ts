import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { startPromdog, post, selfMetric, type TestPromdog } from '../support/promdog.js';
import { STEP_S, seriesPrefix, seriesValue } from '../support/agent-series.js';

// Series bodies of 8 KiB and more (compressed) are decoded by worker threads (limits.decode_workers), smaller ones
// on the main thread. Both paths must store the same thing and refuse bad bodies the same way.

const nowS = Math.floor(Date.now() / 1000) - 60;

function v1Body(series: number, tag: string): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < series; i++)
    parts.push(
      `${seriesPrefix(i, tag)}[${nowS - STEP_S},${seriesValue('agent', i, 1)}],[${nowS},${seriesValue('agent', i, 2)}]]}`,
    );
  return Buffer.from(`{"series":[${parts.join(',')}]}`);
}

async function query(
  pd: TestPromdog,
  q: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${pd.url}/api/v1/query?${new URLSearchParams({ query: q, time: String(nowS) })}`, {
    headers: { authorization: `Bearer ${pd.keys.default}` },
  });
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

describe('series bodies decoded in worker threads and on the main thread', () => {
  const servers: { name: string; pd: TestPromdog }[] = [];
  before(async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'promdog-decode-')), 'main-thread.yaml');
    writeFileSync(config, 'limits:\n  decode_workers: 0\n');
    servers.push({ name: 'workers', pd: await startPromdog([]) });
    servers.push({ name: 'main thread', pd: await startPromdog(['--config', config]) });
  });
  after(async () => {
    for (const s of servers) await s.pd.close();
  });

  test('a large v1 body (worker) and a small one (main thread) store the same series on both servers', async () => {
    const large = deflateSync(v1Body(3000, 'large'));
    const small = deflateSync(v1Body(10, 'small'));
    assert.ok(large.length >= 8 * 1024 && small.length < 8 * 1024, `${large.length} / ${small.length} bytes`);
    const answers: string[] = [];
    for (const { name, pd } of servers) {
      const decoded = (thread: string) =>
        selfMetric(pd.url, 'promdog_intake_bodies_decoded_total', { route: '/api/v1/series', thread });
      for (const body of [large, small]) {
        const r = await post(pd.url, '/api/v1/series', body, {
          key: pd.keys.default,
          encoding: 'none',
          rawEncodingHeader: 'deflate',
        });
        assert.equal(r.status, 202, `${name}: ${JSON.stringify(r.json)}`);
      }
      assert.deepEqual(
        [await decoded('worker'), await decoded('main')],
        name === 'workers' ? [1, 1] : [0, 2],
        `${name}: bodies by thread`,
      );
      const counted = await query(pd, 'count by (__name__) ({job="ddagent"})');
      assert.equal(
        counted.reduce((n, s) => n + Number(s.value[1]), 0),
        3010,
        name,
      );
      const sample = await query(pd, 'system_net_bytes_rcvd{instance=~"ip-10-0-0-1[.].*"}');
      answers.push(JSON.stringify(sample.map((s) => [s.metric, s.value[1]]).sort()));
    }
    assert.equal(answers[0], answers[1], 'both servers answer the same');
  });

  test('a bomb, garbage and invalid JSON get the same status and message from both paths', async () => {
    const cases = [
      { body: deflateSync(Buffer.alloc(80 << 20, 0x20)), status: 413 },
      { body: Buffer.concat([Buffer.from([0x78, 0x9c]), Buffer.alloc(9000, 0xab)]), status: 400 },
      // Truncated: the array is never closed.
      { body: deflateSync(v1Body(3000, 'cut').subarray(0, -3)), status: 400 },
    ];
    for (const c of cases) {
      assert.ok(c.body.length >= 8 * 1024, 'large enough for a worker');
      const got: string[] = [];
      for (const { pd } of servers) {
        const r = await post(pd.url, '/api/v1/series', c.body, {
          key: pd.keys.default,
          encoding: 'none',
          rawEncodingHeader: 'deflate',
        });
        got.push(`${r.status} ${JSON.stringify(r.json)}`);
      }
      assert.equal(got[0], got[1]);
      assert.ok(got[0]!.startsWith(`${c.status} `), got[0]);
    }
  });
});
