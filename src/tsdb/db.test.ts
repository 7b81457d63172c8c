import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Label, PromSeries } from '../model/prometheus.js';
import type { SeriesColumns, SeriesData } from '../model/storage.js';
import { SeriesLimitError, TenantDb, type TsdbOptions } from './db.js';
import { seriesDataOf } from '../model/series-columns.js';

const BASE = 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000); // an hour boundary in the past
const MIN = 60_000;

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'promdog-tsdb-'));
}

function series(name: string, extra: Record<string, string>, ts: number[], vs: number[]): PromSeries {
  const labels = Object.entries({ __name__: name, ...extra })
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([n, value]) => ({ name: n, value }));
  return { labels, timestamps: ts, values: vs };
}

/** Agent-like data: `n` gauges, one sample every `step` ms over [from, to), slowly changing values. */
function generate(n: number, from: number, to: number, step: number): PromSeries[] {
  const out: PromSeries[] = [];
  for (let i = 0; i < n; i++) {
    const ts: number[] = [];
    const vs: number[] = [];
    for (let t = from; t < to; t += step) {
      ts.push(t);
      vs.push(Math.round((100 + i + Math.sin((t - from) / 600_000 + i) * 10) * 100) / 100);
    }
    out.push(series('system_load', { host: `h${String(i).padStart(3, '0')}`, job: 'ddagent' }, ts, vs));
  }
  return out;
}

/** Appends the data in time order, a time slice at a time, like agents flushing. */
async function appendInSlices(db: TenantDb, data: PromSeries[], slice: number): Promise<void> {
  const from = Math.min(...data.map((s) => s.timestamps[0]!));
  const to = Math.max(...data.map((s) => s.timestamps[s.timestamps.length - 1]!));
  for (let t = from; t <= to; t += slice) {
    const batch: PromSeries[] = [];
    for (const s of data) {
      const idx = s.timestamps.map((x, i) => (x >= t && x < t + slice ? i : -1)).filter((i) => i >= 0);
      if (idx.length)
        batch.push({
          labels: s.labels,
          timestamps: idx.map((i) => s.timestamps[i]!),
          values: idx.map((i) => s.values[i]!),
        });
    }
    await db.append(batch);
  }
}

function plain(data: SeriesData[] | SeriesColumns): { labels: string; ts: number[]; vs: number[] }[] {
  return ('starts' in data ? seriesDataOf(data) : data).map((s) => ({
    labels: s.labels.map((l) => `${l.name}=${l.value}`).join(','),
    ts: [...s.timestamps],
    vs: [...s.values],
  }));
}

function expectedOf(data: PromSeries[], mint: number, maxt: number): ReturnType<typeof plain> {
  return plain(
    data
      .map((s) => {
        const idx = s.timestamps.map((t, i) => (t >= mint && t <= maxt ? i : -1)).filter((i) => i >= 0);
        return {
          labels: s.labels,
          timestamps: Float64Array.from(idx.map((i) => s.timestamps[i]!)),
          values: Float64Array.from(idx.map((i) => s.values[i]!)),
        };
      })
      .filter((s) => s.timestamps.length > 0),
  );
}

const ALL = [{ type: '=~' as const, name: '__name__', value: '.+' }];

async function withDb<T>(opts: Partial<TsdbOptions>, fn: (db: TenantDb, dir: string) => Promise<T>): Promise<T> {
  const dir = await tempDir();
  const db = await TenantDb.open(dir, opts);
  try {
    return await fn(db, dir);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('tsdb', () => {
  test('head → blocks → compaction → reopen: export answers stay identical', async () => {
    const data = generate(12, BASE, BASE + 30 * MIN, 10_000);
    await withDb({ blockRangeMs: MIN }, async (db, dir) => {
      await appendInSlices(db, data, 20_000);
      const want = expectedOf(data, -Infinity, Infinity);
      assert.deepEqual(plain(await db.exportSeries(ALL, -Infinity, Infinity)), want, 'while blocks are being cut');
      await db.flushMaintenance();
      await db.cutHeadBefore(BASE + 28 * MIN);
      await db.flushMaintenance();
      const metas = db.blockMetas();
      assert.ok(metas.length >= 2, `blocks: ${metas.length}`);
      assert.ok(
        metas.some((m) => m.compaction.level >= 3),
        `compacted levels: ${metas.map((m) => m.compaction.level)}`,
      );
      for (let i = 1; i < metas.length; i++)
        assert.ok(metas[i]!.minTime >= metas[i - 1]!.maxTime, 'blocks do not overlap');
      assert.deepEqual(plain(await db.exportSeries(ALL, -Infinity, Infinity)), want, 'after cut and compaction');
      const mint = BASE + 7 * MIN + 5_000;
      const maxt = BASE + 19 * MIN;
      const host = [{ type: '=~' as const, name: 'host', value: 'h001|h007' }];
      assert.deepEqual(plain(await db.select(host, mint, maxt)), expectedOf([data[1]!, data[7]!], mint, maxt));
      assert.deepEqual(await db.labelNames([], -Infinity, Infinity), ['__name__', 'host', 'job']);
      assert.deepEqual(await db.labelValues('host', [{ type: '=', name: 'host', value: 'h003' }], BASE, BASE + MIN), [
        'h003',
      ]);
      assert.equal((await db.labelValues('host', [], -Infinity, Infinity)).length, 12);

      const reopened = await TenantDb.open(dir, { blockRangeMs: MIN });
      try {
        assert.deepEqual(plain(await reopened.exportSeries(ALL, -Infinity, Infinity)), want, 'after reopen');
      } finally {
        await reopened.close();
      }
    });
  });

  test('a series ref skips the lookup while valid and is re-resolved after the head drops the series or a reopen', async () => {
    const dir = await tempDir();
    try {
      const ref = { sinkState: undefined as unknown };
      // Frozen like the mapper's label sets.
      const labels = Object.freeze(series('up', { host: 'a' }, [], []).labels.map((l) => Object.freeze(l))) as Label[];
      const send = (db: TenantDb, t: number, v: number) => db.append([{ labels, timestamps: [t], values: [v], ref }]);
      let db = await TenantDb.open(dir, { blockRangeMs: MIN });
      await send(db, BASE, 1);
      const first = ref.sinkState;
      assert.ok(first !== undefined, 'the store keeps its series in the ref');
      await send(db, BASE + 10_000, 2);
      assert.equal(ref.sinkState, first, 'a valid ref is used as is');
      await db.flushMaintenance();
      await db.cutHeadBefore(BASE + 2 * MIN);
      await db.flushMaintenance();
      await send(db, BASE + 2 * MIN + 10_000, 3);
      assert.notEqual(ref.sinkState, first, 'the head dropped the series when its chunks went to a block: new series');
      await db.close();
      db = await TenantDb.open(dir, { blockRangeMs: MIN });
      await send(db, BASE + 2 * MIN + 20_000, 4);
      const replayed = ref.sinkState as { labels: unknown };
      assert.equal(replayed.labels, labels, 'the series replayed from the WAL now shares the frozen label array');
      const got = plain(await db.exportSeries(ALL, -Infinity, Infinity));
      assert.deepEqual(got, [
        {
          labels: '__name__=up,host=a',
          ts: [BASE, BASE + 10_000, BASE + 2 * MIN + 10_000, BASE + 2 * MIN + 20_000],
          vs: [1, 2, 3, 4],
        },
      ]);
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('series replayed from the WAL are found by their labels after a reopen, whatever their characters', async () => {
    const dir = await tempDir();
    try {
      // Pairs repeated at the same position from series to series, equal-length values that differ, non-ASCII.
      const values = ['ab', 'ba', 'h-01', 'h-10', 'ünï', 'été', '€ 1', ''];
      const data = (t: number) =>
        Array.from({ length: 40 }, (_, i) =>
          series(`m${i % 3}`, { host: values[i % values.length]!, job: 'ddagent', k: `v${i}` }, [t], [i]),
        );
      let db = await TenantDb.open(dir);
      await db.append(data(BASE));
      await db.close();
      db = await TenantDb.open(dir);
      assert.equal(db.stats().headSeries, 40);
      await db.append(data(BASE + 10_000));
      assert.equal(db.stats().headSeries, 40, 'no series created twice');
      const got = plain(await db.exportSeries([{ type: '=', name: 'job', value: 'ddagent' }], -Infinity, Infinity));
      assert.equal(got.length, 40);
      for (const s of got) assert.deepEqual(s.ts, [BASE, BASE + 10_000], s.labels);
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('series() lists label sets by chunk overlap, without samples, from head and blocks, deduplicated', async () => {
    await withDb({ blockRangeMs: 10 * MIN }, async (db) => {
      const a = series('up', { host: 'a' }, [BASE, BASE + 10_000], [1, 2]);
      // b: a chunk in the first block range, then nothing for 30 minutes, then a chunk in the head.
      const b1 = series('up', { host: 'b' }, [BASE + 20_000, BASE + 9 * MIN], [1, 2]);
      const b2 = series('up', { host: 'b' }, [BASE + 40 * MIN], [3]);
      await db.append([a, b1]);
      await db.append([b2]);
      await db.cutHeadBefore(BASE + 10 * MIN);
      const names = async (mint: number, maxt: number) =>
        (await db.series([{ type: '=', name: '__name__', value: 'up' }], mint, maxt)).map((ls) =>
          ls.map((l) => `${l.name}=${l.value}`).join(','),
        );
      assert.deepEqual(
        await names(-Infinity, Infinity),
        ['__name__=up,host=a', '__name__=up,host=b'],
        'once each, sorted',
      );
      assert.deepEqual(await names(BASE + 20 * MIN, BASE + 30 * MIN), [], 'in the gap: no chunk overlaps');
      assert.deepEqual(
        await names(BASE + 5 * MIN, BASE + 6 * MIN),
        ['__name__=up,host=b'],
        "inside b's first chunk: it spans the range (Prometheus' rule)",
      );
      assert.deepEqual(await names(BASE + 35 * MIN, BASE + 45 * MIN), ['__name__=up,host=b'], 'from the head');
      assert.deepEqual(
        await db.labelValues('host', [{ type: '=', name: '__name__', value: 'up' }], BASE + 20 * MIN, BASE + 30 * MIN),
        [],
        'label values follow the same rule',
      );
    });
  });

  test('retention deletes whole blocks older than the retention period and nothing newer', async () => {
    const data = generate(3, BASE, BASE + 20 * MIN, 15_000);
    await withDb({ blockRangeMs: MIN, retentionMs: 8 * MIN }, async (db) => {
      await appendInSlices(db, data, 60_000);
      await db.flushMaintenance();
      const metas = db.blockMetas();
      const oldest = metas[0]!.minTime;
      const newest = BASE + 20 * MIN - 15_000;
      assert.ok(oldest >= newest - 8 * MIN - MIN, `oldest block starts at +${(oldest - BASE) / MIN} min`);
      assert.ok(oldest > BASE);
      assert.deepEqual(plain(await db.exportSeries(ALL, -Infinity, Infinity)), expectedOf(data, oldest, Infinity));
    });
  });

  test('out-of-order samples within the window are merged in order, also across chunks and after replay', async () => {
    await withDb({ outOfOrderWindowMs: 10 * MIN }, async (db, dir) => {
      const ts = Array.from({ length: 400 }, (_, i) => BASE + i * 1000);
      await db.append([
        series(
          'm',
          {},
          ts,
          ts.map((_, i) => i),
        ),
      ]);
      const late = [BASE + 500, BASE + 150_500, BASE + 399_500, BASE + 250_250];
      const r = await db.append([series('m', {}, [late[0]!], [-1]), series('m', {}, late.slice(1), [-2, -3, -4])]);
      assert.deepEqual(r, { accepted: 4, duplicates: 0, rejected: {} });
      const all = [...ts.map((t, i) => [t, i]), [late[0]!, -1], [late[1]!, -2], [late[2]!, -3], [late[3]!, -4]].sort(
        (a, b) => a[0]! - b[0]!,
      );
      const want = [{ labels: '__name__=m', ts: all.map((x) => x[0]!), vs: all.map((x) => x[1]!) }];
      assert.deepEqual(
        plain(await db.select([{ type: '=', name: '__name__', value: 'm' }], -Infinity, Infinity)),
        want,
      );
      const again = await TenantDb.open(dir, {});
      try {
        assert.deepEqual(
          plain(await again.select([{ type: '=', name: '__name__', value: 'm' }], -Infinity, Infinity)),
          want,
        );
      } finally {
        await again.close();
      }
    });
  });

  test('late samples: each stored once across block cuts, re-sends counted, all back after a kill -9', async () => {
    const data = generate(8, BASE, BASE + 12 * MIN, 10_000);
    const crashed = await tempDir();
    await withDb({ blockRangeMs: 2 * MIN }, async (db, dir) => {
      // One sample per series a step; within every 4 steps the order 2, 0, 3, 1: half the samples arrive late.
      const steps = data[0]!.timestamps.length;
      const order: number[] = [];
      for (let g = 0; g < steps; g += 4) order.push(...[2, 0, 3, 1].map((k) => g + k).filter((k) => k < steps));
      const step = (k: number) =>
        data.map((s) => ({ labels: s.labels, timestamps: [s.timestamps[k]!], values: [s.values[k]!] }));
      let accepted = 0;
      for (const k of order) accepted += (await db.append(step(k))).accepted;
      assert.equal(accepted, data.length * steps);
      const late = await db.append(step(order[order.length - 1]!));
      assert.deepEqual(late, { accepted: 0, duplicates: data.length, rejected: {} }, 'a late step re-sent');
      await db.flushMaintenance();
      assert.ok(db.blockMetas().length >= 2, `blocks: ${db.blockMetas().length}`);
      const want = expectedOf(data, -Infinity, Infinity);
      assert.deepEqual(plain(await db.exportSeries(ALL, -Infinity, Infinity)), want);
      // The state a kill -9 leaves: the database is never closed.
      await cp(dir, crashed, { recursive: true });
      const recovered = await TenantDb.open(crashed, { blockRangeMs: 2 * MIN });
      try {
        assert.deepEqual(plain(await recovered.exportSeries(ALL, -Infinity, Infinity)), want);
      } finally {
        await recovered.close();
        await rm(crashed, { recursive: true, force: true });
      }
    });
  });

  test('write rules: too old, identical re-send, duplicate timestamp, future, invalid timestamp', async () => {
    await withDb({ outOfOrderWindowMs: 5 * MIN }, async (db) => {
      const t = BASE + 60 * MIN;
      await db.append([series('m', {}, [t - 2 * MIN, t], [1, 2])]);
      // Out of order for m: only within the 5-minute window. A new series is in order anywhere in the head's
      // appendable range (half a block, 1 h, back from the newest sample), like Prometheus.
      let r = await db.append([
        series('m', {}, [t - 6 * MIN, t - 4 * MIN], [3, 4]),
        series('other', {}, [t - 10 * MIN], [5]),
        series('third', {}, [t - 61 * MIN], [6]),
      ]);
      assert.deepEqual(r, { accepted: 2, duplicates: 0, rejected: { too_old: 2 } });
      r = await db.append([series('m', {}, [t - 2 * MIN, t, t - 4 * MIN], [1, 2, 4])]);
      assert.deepEqual(
        r,
        { accepted: 0, duplicates: 3, rejected: {} },
        'identical re-send (in-order and out-of-order) accepted',
      );
      r = await db.append([series('m', {}, [t, t - 2 * MIN], [2.5, NaN])]);
      assert.deepEqual(r, { accepted: 0, duplicates: 0, rejected: { duplicate_timestamp: 2 } });
      r = await db.append([series('m', {}, [Date.now() + 2 * 3600_000, 1.5], [1, 1])]);
      assert.deepEqual(r, { accepted: 0, duplicates: 0, rejected: { too_far_in_future: 1, invalid_timestamp: 1 } });
      const got = plain(await db.select([{ type: '=', name: '__name__', value: 'm' }], -Infinity, Infinity));
      assert.deepEqual(got, [{ labels: '__name__=m', ts: [t - 4 * MIN, t - 2 * MIN, t], vs: [4, 1, 2] }]);
      assert.deepEqual(db.stats().samplesRejected, {
        too_old: 2,
        duplicate_timestamp: 2,
        too_far_in_future: 1,
        invalid_timestamp: 1,
      });
    });
  });

  test('active series limit: new series over it refused with a typed error, the rest stored', async () => {
    await withDb({ maxActiveSeries: 3 }, async (db) => {
      const batch = [0, 1, 2, 3, 4].map((i) => series('m', { i: String(i) }, [BASE, BASE + 1000], [i, i]));
      await assert.rejects(db.append(batch), (err: unknown) => {
        assert.ok(err instanceof SeriesLimitError);
        assert.equal(err.reason, 'series_limit');
        assert.deepEqual(err.result, { accepted: 6, duplicates: 0, rejected: { series_limit: 4 } });
        return true;
      });
      const r = await db.append([series('m', { i: '1' }, [BASE + 2000], [9])]);
      assert.equal(r.accepted, 1, 'existing series still accept samples');
      const got = await db.select([{ type: '=', name: '__name__', value: 'm' }], -Infinity, Infinity);
      assert.deepEqual(
        got.labels.map((l) => l[1]!.value),
        ['0', '1', '2'],
      );
      assert.equal(db.stats().headSeries, 3);
    });
  });

  test('open after an abrupt stop: unclosed WAL with a torn tail, a half-written block and an interrupted compaction', async () => {
    const dir = await tempDir();
    const crashed = await tempDir();
    try {
      const db = await TenantDb.open(dir, { blockRangeMs: MIN });
      const data = generate(4, BASE, BASE + 30 * MIN, 10_000);
      const firstPart = data.map((s) => ({
        ...s,
        timestamps: s.timestamps.slice(0, 72),
        values: s.values.slice(0, 72),
      }));
      const secondPart = data.map((s) => ({ ...s, timestamps: s.timestamps.slice(72), values: s.values.slice(72) }));
      await appendInSlices(db, firstPart, 30_000);
      await db.flushMaintenance();
      // Keep copies of the level-1 blocks; more data makes compaction merge them into a larger block.
      const levelOne = await tempDir();
      const copied = db
        .blockMetas()
        .filter((m) => m.compaction.level === 1)
        .map((m) => m.ulid);
      for (const u of copied) await cp(join(dir, u), join(levelOne, u), { recursive: true });
      await appendInSlices(db, secondPart, 30_000);
      await db.flushMaintenance();
      const want = plain(await db.exportSeries(ALL, -Infinity, Infinity));
      assert.deepEqual(want, expectedOf(data, -Infinity, Infinity));
      const metasBefore = db.blockMetas();
      const merged = copied.filter((u) => !metasBefore.some((m) => m.ulid === u));
      assert.ok(merged.length > 0, 'some copied level-1 blocks were compacted away');
      assert.ok(metasBefore.some((m) => merged.every((u) => m.compaction.sources.includes(u))));
      // The state a kill -9 leaves: the database is never closed.
      await cp(dir, crashed, { recursive: true });
      await mkdir(join(crashed, '01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp', 'chunks'), { recursive: true });
      for (const b of await readdir(levelOne)) await cp(join(levelOne, b), join(crashed, b), { recursive: true });
      await rm(levelOne, { recursive: true });
      const segments = (await readdir(join(crashed, 'wal'))).filter((n) => /^\d+$/.test(n)).sort();
      await appendFile(
        join(crashed, 'wal', segments[segments.length - 1]!),
        Buffer.from([64, 0, 0, 0, 1, 2, 3, 4, 2, 0, 0]),
      );
      const recovered = await TenantDb.open(crashed, { blockRangeMs: MIN });
      try {
        assert.deepEqual(plain(await recovered.exportSeries(ALL, -Infinity, Infinity)), want);
        assert.deepEqual(recovered.blockMetas(), metasBefore, 'compaction inputs left behind are removed');
        assert.ok(!(await readdir(crashed)).some((n) => n.endsWith('.tmp')), 'half-written block removed');
        const r = await recovered.append([
          series('system_load', { host: 'h000', job: 'ddagent' }, [BASE + 30 * MIN], [1]),
        ]);
        assert.equal(r.accepted, 1);
      } finally {
        await recovered.close();
      }
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(crashed, { recursive: true, force: true });
    }
  });
});
