import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DDSketchBuilder } from '../../src/mapping/ddsketch.js';
import { spawnPromdog, type PromdogProcess } from '../support/process.js';
import { post } from '../support/promdog.js';
import { encodeSketchPayload } from '../support/proto-writer.js';
import { seededRandom } from '../support/random.js';

// Durability of native histogram samples: a local-mode promdog (mapping.distributions: native_histogram) is killed
// with SIGKILL while agents post sketches, several times in a row. Every histogram sample acknowledged with 202 must
// be exported after the restart, with the count the acknowledged sketches add up to.

const ROUNDS = 3;
const POSTERS = 3;
const INTERVAL_S = 10;
/** Sketch intervals a poster may send in one round (a round lasts about a second). */
const MAX_REQUESTS_PER_ROUND = 200;
const START_S = Math.floor(Date.now() / 1000) - 2 * 3600;

/** Poster → histogram timestamp (ms) → the series' running count after that sketch. */
type Acked = Map<string, Map<number, number>>;

async function postUntilKilled(p: PromdogProcess, key: string, poster: number, round: number, acked: Acked) {
  const host = `poster-${poster}`;
  // The mapper's running histogram starts over with the process: counts add up within a round.
  let running = 0;
  for (let i = 0; i < MAX_REQUESTS_PER_ROUND; i++) {
    const ts = START_S + (round * MAX_REQUESTS_PER_ROUND + i) * INTERVAL_S;
    const b = new DDSketchBuilder();
    const values = 1 + ((i + poster) % 5);
    for (let v = 0; v < values; v++) b.add(10 * (v + 1) + poster);
    const pt = b.toPoint(ts);
    const sketch = { ts, cnt: pt.cnt, min: pt.min, max: pt.max, avg: pt.avg, sum: pt.sum, k: pt.keys, n: pt.counts };
    let status: number;
    try {
      const body = encodeSketchPayload([{ metric: 'crash.sketch', host, tags: [], dogsketches: [sketch] }]);
      status = (await post(p.url, '/api/beta/sketches', body, { key, contentType: 'application/x-protobuf' })).status;
    } catch {
      return; // the process is gone
    }
    if (status !== 202) return;
    running += values;
    const list = acked.get(host) ?? new Map<number, number>();
    list.set(ts * 1000, running);
    acked.set(host, list);
  }
}

test(`kill -9 while agents post sketches, ${ROUNDS} times: every acknowledged histogram sample survives`, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-nh-crash-'));
  const config = join(dataDir, 'promdog.yaml');
  writeFileSync(config, 'mapping:\n  distributions: native_histogram\n');
  const random = seededRandom(16);
  const acked: Acked = new Map();
  let key = '';
  for (let round = 0; round < ROUNDS; round++) {
    const p = await spawnPromdog(['--data-dir', dataDir, '--config', config]);
    key ||= readFileSync(join(dataDir, 'tenant-api-token-default'), 'utf8').trim();
    const posting = Array.from({ length: POSTERS }, (_, poster) => postUntilKilled(p, key, poster, round, acked));
    await new Promise((r) => setTimeout(r, 300 + random() * 700));
    p.child.kill('SIGKILL');
    await p.exited;
    await Promise.all(posting);
  }
  const total = [...acked.values()].reduce((n, m) => n + m.size, 0);
  t.diagnostic(`${total} acknowledged histogram samples over ${ROUNDS} kills`);
  assert.ok(total > 0, 'some posts were acknowledged');

  const p = await spawnPromdog(['--data-dir', dataDir, '--config', config]);
  try {
    const window = `start=${START_S}&end=${START_S + ROUNDS * MAX_REQUESTS_PER_ROUND * INTERVAL_S}`;
    const res = await fetch(`${p.url}/api/v1/export?match[]=crash_sketch_histogram&${window}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(res.status, 200);
    const exported = new Map<string, Map<number, number>>();
    for (const line of (await res.text()).split('\n')) {
      if (!line) continue;
      const row = JSON.parse(line) as {
        metric: Record<string, string>;
        histograms?: { count: number }[];
        histogram_timestamps?: number[];
      };
      const m = new Map<number, number>();
      row.histogram_timestamps?.forEach((ts, i) => {
        m.set(ts, row.histograms![i]!.count);
      });
      exported.set(row.metric.instance!, m);
    }
    const missing: string[] = [];
    for (const [host, list] of acked) {
      for (const [ts, count] of list) {
        const got = exported.get(host)?.get(ts);
        if (got !== count) missing.push(`${host} t=${ts} count ${count}, exported ${got}`);
      }
    }
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${total} acknowledged histogram samples lost`);
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
