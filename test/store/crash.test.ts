import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { spawnPromdog, type PromdogProcess } from '../support/process.js';

// Durability: a real promdog process is killed with SIGKILL while agents post, many times in a row. Every sample
// that was acknowledged with 202 must be exported after the restart.

const ROUNDS = 6;
const POSTERS = 4;

interface Ack {
  ts: number;
  value: number;
}

const START_MS = Date.now() - 5 * 60_000;

async function postUntilKilled(p: PromdogProcess, key: string, poster: number, round: number, acked: Map<string, Ack[]>, stop: { done: boolean }) {
  const dispatcher = new Agent({ connections: 1 });
  const series = `poster-${poster}`;
  let i = 0;
  try {
    while (!stop.done) {
      // Timestamps strictly increasing within a poster's series across requests and rounds (ms, sent as seconds).
      const points = Array.from({ length: 20 }, (_, j) => [(START_MS + round * 60_000 + i * 20 + j) / 1000, round * 1e6 + i * 100 + j]);
      i++;
      try {
        const res = await request(`${p.url}/api/v1/series`, {
          method: 'POST',
          body: JSON.stringify({ series: [{ metric: 'crash.test', points, host: 'h', tags: [`poster:${series}`] }] }),
          headers: { 'dd-api-key': key },
          dispatcher,
        });
        await res.body.dump();
        if (res.statusCode === 202) {
          const list = acked.get(series) ?? [];
          for (const [t, v] of points) list.push({ ts: Math.round(t! * 1000), value: v! });
          acked.set(series, list);
        }
      } catch {
        return; // the process is gone
      }
    }
  } finally {
    await dispatcher.destroy();
  }
}

test(`kill -9 while posting, ${ROUNDS} times: every acknowledged sample survives`, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-crash-'));
  const acked = new Map<string, Ack[]>();
  let key = '';
  for (let round = 0; round < ROUNDS; round++) {
    const p = await spawnPromdog(['--data-dir', dataDir]);
    key ||= readFileSync(join(dataDir, 'tenant-api-token-default'), 'utf8').trim();
    const stop = { done: false };
    const posting = Array.from({ length: POSTERS }, (_, poster) => postUntilKilled(p, key, poster, round, acked, stop));
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
    p.child.kill('SIGKILL');
    await p.exited;
    stop.done = true;
    await Promise.all(posting);
  }
  const total = [...acked.values()].reduce((n, l) => n + l.length, 0);
  t.diagnostic(`${total} acknowledged samples over ${ROUNDS} kills`);
  assert.ok(total > 0, 'some posts were acknowledged');

  const p = await spawnPromdog(['--data-dir', dataDir]);
  try {
    const res = await fetch(`${p.url}/api/v1/export?match[]=${encodeURIComponent('crash_test')}`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.status, 200);
    const exported = new Map<string, Map<number, number>>();
    for (const line of (await res.text()).split('\n')) {
      if (!line) continue;
      const row = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
      const m = new Map<number, number>();
      row.timestamps.forEach((ts, i) => m.set(ts, row.values[i]!));
      exported.set(row.metric.poster!, m);
    }
    let missing = 0;
    const examples: string[] = [];
    for (const [series, list] of acked) {
      const got = exported.get(series);
      for (const a of list) {
        if (got?.get(a.ts) === a.value) continue;
        missing++;
        if (examples.length < 5) examples.push(`${series} t=${a.ts} want ${a.value} got ${got?.get(a.ts)} (round ${Math.floor(a.value / 1e6)})`);
      }
    }
    if (missing) {
      for (const [series, list] of acked) {
        const got = exported.get(series) ?? new Map<number, number>();
        const lost = list.filter((a) => got.get(a.ts) !== a.value).map((a) => a.ts);
        if (!lost.length) continue;
        const have = [...got.keys()].sort((a, b) => a - b);
        t.diagnostic(`${series}: lost ${lost.length} in [${lost[0]}, ${lost[lost.length - 1]}]; exported ${have.length}, last ${have[have.length - 1]}; acked last ${list[list.length - 1]!.ts}; exported after lost range: ${have.filter((x) => x > lost[lost.length - 1]!).length}`);
      }
    }
    assert.equal(missing, 0, `${missing} of ${total} acknowledged samples lost, e.g. ${examples.join('; ')}`);
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});
