import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CounterResetHint, type FloatHistogram } from '../model/histogram.js';
import { compactHistogram } from '../model/histogram-ops.js';
import type { Label, PromSeries } from '../model/prometheus.js';
import type { LabelMatcher, SeriesColumns, SeriesData } from '../model/storage.js';
import { TenantDb, type TsdbOptions } from './db.js';
import { seriesDataOf } from '../model/series-columns.js';

// Native histogram samples in the embedded store: WAL, head, block chunks, compaction, retention, reads.

const BASE = 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000);
const MIN = 60_000;
const ALL: LabelMatcher[] = [{ type: '=~', name: '__name__', value: '.+' }];

function labelsOf(name: string, host: string): Label[] {
  return [
    { name: '__name__', value: name },
    { name: 'host', value: host },
  ];
}

/**
 * A counter histogram after `k` steps: whole counts growing in a few schema-3 buckets whose set widens over time
 * (so chunks hold layouts of different samples); `fractional` scales them to non-integers (a float chunk).
 */
function counterHistogram(seed: number, k: number, fractional: boolean): FloatHistogram {
  const scale = fractional ? 0.37 : 1;
  const width = 2 + (k % 5);
  const buckets = Array.from({ length: width }, (_, i) => (k + 1) * (i + 1 + seed) * scale);
  const count = buckets.reduce((a, b) => a + b, 0) + 2 * k * scale;
  return {
    counterResetHint: k === 0 ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset,
    schema: 3,
    zeroThreshold: 1e-128,
    zeroCount: 2 * k * scale,
    count,
    sum: count * (seed + 1.5),
    positiveSpans: [{ offset: seed, length: width }],
    positiveBuckets: buckets,
    negativeSpans: [],
    negativeBuckets: [],
    customValues: [],
  };
}

interface Data {
  series: PromSeries[];
}

/** Three histogram-only series and one with floats and histograms at other times, one sample a `step`. */
function generate(from: number, to: number, step: number): Data {
  const series: PromSeries[] = [];
  for (let i = 0; i < 3; i++) {
    const ts: number[] = [];
    const hs: FloatHistogram[] = [];
    for (let t = from, k = 0; t < to; t += step, k++) {
      ts.push(t);
      hs.push(counterHistogram(i, k, i === 2));
    }
    series.push({
      labels: labelsOf('latency', `h${i}`),
      timestamps: [],
      values: [],
      histograms: { timestamps: ts, histograms: hs },
    });
  }
  const ft: number[] = [];
  const fv: number[] = [];
  const ht: number[] = [];
  const hs: FloatHistogram[] = [];
  for (let t = from, k = 0; t < to; t += step, k++) {
    if (k % 2 === 0) {
      ft.push(t);
      fv.push(k);
    } else {
      ht.push(t);
      hs.push(counterHistogram(4, k, false));
    }
  }
  series.push({
    labels: labelsOf('mixed', 'h9'),
    timestamps: ft,
    values: fv,
    histograms: { timestamps: ht, histograms: hs },
  });
  return { series };
}

/** The slice of each series in [t, t + slice): what agents flush at once. */
function slice(data: Data, t: number, span: number): PromSeries[] {
  return data.series.map((s) => {
    const fi = s.timestamps.map((x, i) => (x >= t && x < t + span ? i : -1)).filter((i) => i >= 0);
    const h = s.histograms!;
    const hi = h.timestamps.map((x, i) => (x >= t && x < t + span ? i : -1)).filter((i) => i >= 0);
    return {
      labels: s.labels,
      timestamps: fi.map((i) => s.timestamps[i]!),
      values: fi.map((i) => s.values[i]!),
      histograms: { timestamps: hi.map((i) => h.timestamps[i]!), histograms: hi.map((i) => h.histograms[i]!) },
    };
  });
}

/** Comparable form: floats as they are, histograms compacted (a chunk's layout may add empty buckets). */
function plain(data: readonly SeriesData[] | SeriesColumns): unknown[] {
  const series: readonly SeriesData[] = 'starts' in data ? seriesDataOf(data) : data;
  return series.map((s) => ({
    labels: s.labels.map((l) => `${l.name}=${l.value}`).join(','),
    ts: [...s.timestamps],
    vs: [...s.values],
    hts: [...(s.histograms?.timestamps ?? [])],
    hs: (s.histograms?.values ?? []).map(compactHistogram),
  }));
}

function expected(data: Data, mint: number, maxt: number): unknown[] {
  const want: SeriesData[] = [];
  for (const s of data.series) {
    const fi = s.timestamps.map((t, i) => (t >= mint && t <= maxt ? i : -1)).filter((i) => i >= 0);
    const h = s.histograms!;
    const hi = h.timestamps.map((t, i) => (t >= mint && t <= maxt ? i : -1)).filter((i) => i >= 0);
    if (fi.length === 0 && hi.length === 0) continue;
    want.push({
      labels: s.labels,
      timestamps: Float64Array.from(fi, (i) => s.timestamps[i]!),
      values: Float64Array.from(fi, (i) => s.values[i]!),
      ...(hi.length > 0 && {
        histograms: {
          timestamps: Float64Array.from(hi, (i) => h.timestamps[i]!),
          values: hi.map((i) => h.histograms[i]!),
        },
      }),
    });
  }
  return plain(want);
}

async function withDb(opts: Partial<TsdbOptions>, fn: (db: TenantDb, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'promdog-tsdb-nh-'));
  const db = await TenantDb.open(dir, opts);
  try {
    await fn(db, dir);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('native histograms in the store', () => {
  test('head → WAL replay → blocks → compaction → reopen: reads stay identical', async () => {
    const data = generate(BASE, BASE + 40 * MIN, 10_000);
    const opts = { blockRangeMs: 2 * MIN, retentionMs: 365 * 24 * 3600_000 };
    const crashed = await mkdtemp(join(tmpdir(), 'promdog-tsdb-nh-crash-'));
    try {
      await withDb(opts, async (db, dir) => {
        let accepted = 0;
        for (let t = BASE; t < BASE + 40 * MIN; t += 30_000)
          accepted += (await db.append(slice(data, t, 30_000))).accepted;
        assert.equal(accepted, 4 * 240);
        const want = expected(data, -Infinity, Infinity);
        assert.deepEqual(plain(await db.exportSeries(ALL, -Infinity, Infinity)), want, 'while blocks are cut');
        // The state a kill -9 leaves (never closed): the WAL has every acknowledged sample not in a block yet.
        await db.flushMaintenance();
        await cp(dir, crashed, { recursive: true });
        await db.cutHeadBefore(BASE + 38 * MIN);
        await db.flushMaintenance();
        const metas = db.blockMetas();
        assert.ok(
          metas.some((m) => m.compaction.level >= 2),
          `levels: ${metas.map((m) => m.compaction.level)}`,
        );
        assert.equal(
          metas.reduce((n, m) => n + m.stats.numSamples, 0) + db.stats().headSamples,
          4 * 240,
          'block and head sample counts add up',
        );
        assert.deepEqual(plain(await db.exportSeries(ALL, -Infinity, Infinity)), want, 'after cut and compaction');
        const mint = BASE + 7 * MIN + 5_000;
        const maxt = BASE + 39 * MIN;
        const some: LabelMatcher[] = [{ type: '=~', name: 'host', value: 'h1|h9' }];
        assert.deepEqual(
          plain(await db.select(some, mint, maxt)),
          expected({ series: [data.series[1]!, data.series[3]!] }, mint, maxt),
        );
        assert.deepEqual(
          (await db.series(ALL, BASE + 39 * MIN, Infinity)).map((l) => l[1]!.value),
          ['h0', 'h1', 'h2', 'h9'],
          'head series with histograms only are listed',
        );
        assert.deepEqual(await db.labelValues('host', [], BASE + 39 * MIN, Infinity), ['h0', 'h1', 'h2', 'h9']);
        const latest = await db.select(ALL, BASE + 39 * MIN, BASE + 40 * MIN, { latestOnly: true });
        assert.deepEqual(
          latest.labels.map((_, i) => latest.histograms?.[i]?.timestamps.length ?? 0),
          [1, 1, 1, 1],
        );

        const reopened = await TenantDb.open(dir, opts);
        try {
          assert.deepEqual(plain(await reopened.exportSeries(ALL, -Infinity, Infinity)), want, 'after reopen');
        } finally {
          await reopened.close();
        }
        const recovered = await TenantDb.open(crashed, opts);
        try {
          assert.deepEqual(plain(await recovered.exportSeries(ALL, -Infinity, Infinity)), want, 'after a crash');
        } finally {
          await recovered.close();
        }
      });
    } finally {
      await rm(crashed, { recursive: true, force: true });
    }
  });

  test('write rules: identical re-send, duplicate timestamp, late, too old; counted by reason', async () => {
    await withDb({ blockRangeMs: 2 * 3600_000 }, async (db) => {
      const h = (k: number) => counterHistogram(0, k, false);
      const one = (ts: number[], ks: number[]): PromSeries[] => [
        {
          labels: labelsOf('latency', 'a'),
          timestamps: [],
          values: [],
          histograms: { timestamps: ts, histograms: ks.map(h) },
        },
      ];
      const now = Date.now() - (Date.now() % 1000);
      assert.deepEqual(await db.append(one([now - 20_000, now - 10_000], [0, 1])), {
        accepted: 2,
        duplicates: 0,
        rejected: {},
      });
      assert.deepEqual(await db.append(one([now - 20_000, now - 10_000, now], [0, 1, 2])), {
        accepted: 1,
        duplicates: 2,
        rejected: {},
      });
      assert.deepEqual(
        await db.append(one([now, now - 15_000, now - 3 * 3600_000, now + 2 * 3600_000], [3, 1, 1, 1])),
        {
          accepted: 0,
          duplicates: 0,
          rejected: { duplicate_timestamp: 1, histogram_out_of_order: 1, too_old: 1, too_far_in_future: 1 },
        },
      );
      assert.deepEqual(db.stats().samplesRejected, {
        duplicate_timestamp: 1,
        histogram_out_of_order: 1,
        too_old: 1,
        too_far_in_future: 1,
      });
      const got = await db.select(ALL, -Infinity, Infinity);
      assert.deepEqual([...got.histograms![0]!.timestamps], [now - 20_000, now - 10_000, now]);
    });
  });

  test('long chunks: the open chunk kept in encoded parts reads, deduplicates, replays and cuts like the rest', async () => {
    // 2 h blocks: 200 samples a series at 10 s make a chunk of 120 and an open chunk of 80 (5 parts and 5 samples).
    const data = generate(BASE, BASE + 200 * 10_000, 10_000);
    const crashed = await mkdtemp(join(tmpdir(), 'promdog-tsdb-nh-crash-'));
    try {
      await withDb({}, async (db, dir) => {
        for (let t = BASE; t < BASE + 200 * 10_000; t += 60_000) await db.append(slice(data, t, 60_000));
        const want = expected(data, -Infinity, Infinity);
        assert.deepEqual(plain(await db.exportSeries(ALL, -Infinity, Infinity)), want);
        const mint = BASE + 130 * 10_000 + 1;
        const maxt = BASE + 170 * 10_000;
        assert.deepEqual(
          plain(await db.select(ALL, mint, maxt)),
          expected(data, mint, maxt),
          'a range within the parts',
        );
        // Re-sent: one sample in a part, one in the closed chunk, one among the newest; and one changed.
        const h0 = data.series[0]!.histograms!;
        const again = (ks: number[], change = false): PromSeries[] => [
          {
            labels: data.series[0]!.labels,
            timestamps: [],
            values: [],
            histograms: {
              timestamps: ks.map((k) => h0.timestamps[k]!),
              histograms: ks.map((k) => (change ? counterHistogram(7, k, false) : h0.histograms[k]!)),
            },
          },
        ];
        assert.deepEqual(await db.append(again([150, 30, 198])), { accepted: 0, duplicates: 3, rejected: {} });
        assert.deepEqual(await db.append(again([150], true)), {
          accepted: 0,
          duplicates: 0,
          rejected: { duplicate_timestamp: 1 },
        });
        await db.flushMaintenance();
        await cp(dir, crashed, { recursive: true });
        await db.cutHeadBefore(BASE + 2 * 3600_000);
        assert.equal(db.blockMetas().length, 1);
        assert.deepEqual(plain(await db.exportSeries(ALL, -Infinity, Infinity)), want, 'from a block');
      });
      const recovered = await TenantDb.open(crashed);
      try {
        assert.deepEqual(
          plain(await recovered.exportSeries(ALL, -Infinity, Infinity)),
          expected(data, -Infinity, Infinity),
        );
      } finally {
        await recovered.close();
      }
    } finally {
      await rm(crashed, { recursive: true, force: true });
    }
  });

  test('retention deletes blocks of histogram samples like any other', async () => {
    const data = generate(BASE, BASE + 12 * MIN, 20_000);
    await withDb({ blockRangeMs: MIN, retentionMs: 4 * MIN }, async (db) => {
      for (let t = BASE; t < BASE + 12 * MIN; t += MIN) await db.append(slice(data, t, MIN));
      await db.cutHeadBefore(BASE + 11 * MIN);
      await db.flushMaintenance();
      const oldest = Math.min(...db.blockMetas().map((m) => m.minTime));
      assert.ok(oldest >= BASE + 7 * MIN, `oldest block starts at +${(oldest - BASE) / MIN} min`);
      const got = await db.select(ALL, -Infinity, Infinity);
      const first = Math.min(...got.histograms!.map((h) => h!.timestamps[0]!));
      assert.equal(first, oldest);
    });
  });
});
