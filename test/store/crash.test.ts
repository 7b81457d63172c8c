import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { spawnPromdog, type PromdogProcess } from '../support/process.js';
import { seededRandom } from '../support/random.js';

// Durability: a real promdog process is killed with SIGKILL while agents post, many times in a row. Every sample
// that was acknowledged with 202 must be exported after the restart.

const ROUNDS = 6;
const POSTERS = 4;
const POINTS_PER_REQUEST = 20;
/** Each round's timestamps start this far after the previous round's (1 ms apart). */
const ROUND_SPAN_MS = 60_000;
const MAX_REQUESTS_PER_ROUND = ROUND_SPAN_MS / POINTS_PER_REQUEST;

interface Ack {
  ts: number;
  value: number;
}

// Every timestamp lies before this module was loaded. A request carries 20 ms of timestamps but takes a few ms, so
// posters outrun the wall clock; with timestamps ending near "now" the last round's newest samples were still in
// the future at export time and /api/v1/export (whose `end` defaults to now, as in VictoriaMetrics) left them out,
// which looked like lost data.
const START_MS = Date.now() - (ROUNDS + 1) * ROUND_SPAN_MS;

const roundOf = (a: Ack) => Math.floor(a.value / 1e6);
const point = (a: Ack) => `${Math.floor((a.value % 1e6) / 100)}.${a.value % 100}`;

async function postUntilKilled(
  p: PromdogProcess,
  key: string,
  poster: number,
  round: number,
  acked: Map<string, Ack[]>,
  stop: { done: boolean },
) {
  const dispatcher = new Agent({ connections: 1 });
  const series = `poster-${poster}`;
  try {
    // Timestamps strictly increasing within a poster's series across requests and rounds (ms, sent as seconds).
    for (let i = 0; i < MAX_REQUESTS_PER_ROUND && !stop.done; i++) {
      const points = Array.from({ length: POINTS_PER_REQUEST }, (_, j) => [
        (START_MS + round * ROUND_SPAN_MS + i * POINTS_PER_REQUEST + j) / 1000,
        round * 1e6 + i * 100 + j,
      ]);
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

/** Contiguous runs (in acknowledgement order) of acknowledged samples missing from `got`, described for a failure. */
function describeLosses(series: string, list: Ack[], got: Map<number, number> | undefined): string[] {
  const have = got ? [...got.keys()].sort((a, b) => a - b) : [];
  const out: string[] = [];
  for (let i = 0; i < list.length; ) {
    if (got?.get(list[i]!.ts) === list[i]!.value) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < list.length && got?.get(list[j + 1]!.ts) !== list[j + 1]!.value) j++;
    const first = list[i]!;
    const last = list[j]!;
    const before = have.filter((t) => t < first.ts);
    const after = have.filter((t) => t > last.ts);
    const wrong = list.slice(i, j + 1).filter((a) => got?.has(a.ts)).length;
    out.push(
      `${series}: ${j - i + 1} lost, t=[${first.ts}, ${last.ts}] rounds ${roundOf(first)}-${roundOf(last)} ` +
        `(request ${point(first)} to ${point(last)}); ` +
        (got
          ? `series exported with ${have.length} samples, last before ${before[before.length - 1] ?? 'none'}, first after ${after[0] ?? 'none'}`
          : 'series not exported') +
        (wrong ? `; ${wrong} present with another value` : ''),
    );
    i = j + 1;
  }
  return out;
}

test(`kill -9 while posting, ${ROUNDS} times: every acknowledged sample survives`, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-crash-'));
  const random = seededRandom(20261124);
  const acked = new Map<string, Ack[]>();
  // Warnings and errors of every process (a torn WAL tail cut at replay, failed maintenance): printed on failure.
  const warnings: string[] = [];
  const collectWarnings = (p: PromdogProcess, round: number | 'final') => {
    for (const l of p.logs) if (Number(l.level) >= 40) warnings.push(`round ${round}: ${JSON.stringify(l)}`);
  };
  let key = '';
  for (let round = 0; round < ROUNDS; round++) {
    const p = await spawnPromdog(['--data-dir', dataDir]);
    key ||= readFileSync(join(dataDir, 'tenant-api-token-default'), 'utf8').trim();
    const stop = { done: false };
    const posting = Array.from({ length: POSTERS }, (_, poster) => postUntilKilled(p, key, poster, round, acked, stop));
    await new Promise((r) => setTimeout(r, 300 + random() * 700));
    p.child.kill('SIGKILL');
    await p.exited;
    stop.done = true;
    await Promise.all(posting);
    collectWarnings(p, round);
  }
  const all = [...acked.values()].flat();
  const total = all.length;
  t.diagnostic(`${total} acknowledged samples over ${ROUNDS} kills`);
  assert.ok(total > 0, 'some posts were acknowledged');

  // The window is explicit (and covers every acknowledged sample): the test checks durability, not export defaults.
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (const a of all) {
    if (a.ts < minTs) minTs = a.ts;
    if (a.ts > maxTs) maxTs = a.ts;
  }
  const window = `start=${minTs / 1000}&end=${maxTs / 1000}`;
  const p = await spawnPromdog(['--data-dir', dataDir]);
  let passed = false;
  try {
    const res = await fetch(`${p.url}/api/v1/export?match[]=${encodeURIComponent('crash_test')}&${window}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(res.status, 200);
    const exported = new Map<string, Map<number, number>>();
    for (const line of (await res.text()).split('\n')) {
      if (!line) continue;
      const row = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
      const m = new Map<number, number>();
      row.timestamps.forEach((ts, i) => {
        m.set(ts, row.values[i]!);
      });
      exported.set(row.metric.poster!, m);
    }
    let missing = 0;
    const examples: string[] = [];
    for (const [series, list] of acked) {
      const got = exported.get(series);
      for (const a of list) {
        if (got?.get(a.ts) === a.value) continue;
        missing++;
        if (examples.length < 5)
          examples.push(`${series} t=${a.ts} want ${a.value} got ${got?.get(a.ts)} (round ${roundOf(a)})`);
      }
    }
    if (missing) {
      collectWarnings(p, 'final');
      t.diagnostic(`export window ${window}, exported at ${Date.now()}`);
      for (const [series, list] of acked)
        for (const d of describeLosses(series, list, exported.get(series)).slice(0, 10)) t.diagnostic(d);
      const opened = p.logs.find((l) => l.msg === 'tsdb opened');
      t.diagnostic(`final replay: ${JSON.stringify(opened)}`);
      for (const w of warnings.slice(0, 10)) t.diagnostic(w);
      t.diagnostic(`data kept in ${dataDir}`);
    }
    assert.equal(missing, 0, `${missing} of ${total} acknowledged samples lost, e.g. ${examples.join('; ')}`);
    passed = true;
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
    if (passed) rmSync(dataDir, { recursive: true, force: true });
  }
});
