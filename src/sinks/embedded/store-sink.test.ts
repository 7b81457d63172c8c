import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SinkUnavailableError } from '../sink.js';
import { Storage } from '../../tsdb/storage.js';
import { EmbeddedStoreSink } from './store-sink.js';
import { histogram } from '../../../test/support/histograms.js';
import { seriesDataOf } from '../../model/series-columns.js';

const T = 1_700_000_000_000;

describe('EmbeddedStoreSink', () => {
  test('stores durably, reports rejections by reason and the series its active-series limit refused', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'promdog-sink-'));
    const storage = new Storage({ dataDir, maxActiveSeries: 2, outOfOrderWindowMs: 60_000 });
    const sink = new EmbeddedStoreSink(storage);
    const s = (name: string, ts: number[]) => ({
      labels: [{ name: '__name__', value: name }],
      timestamps: ts,
      values: ts.map(() => 1),
    });
    try {
      assert.deepEqual(
        await sink.write({ tenant: 't1', series: [s('a', [T, T + 600_000])], metadata: [] }, Date.now() + 5000),
        { rejected: {} },
      );
      assert.deepEqual(await sink.write({ tenant: 't1', series: [s('a', [T])], metadata: [] }, Date.now() + 5000), {
        rejected: { too_old: 1 },
      });
      await sink.write({ tenant: 't1', series: [s('b', [T + 600_000])], metadata: [] }, Date.now() + 5000);
      assert.deepEqual(
        await sink.write(
          { tenant: 't1', series: [s('c', [T + 600_000, T + 601_000]), s('a', [T + 601_000])], metadata: [] },
          Date.now() + 5000,
        ),
        {
          rejected: { series_limit: 2 },
          refusedSeries: {
            reason: 'series_limit',
            series: 1,
            limit: 'the tenant is at its limit of 2 active series (storage.max_active_series_per_tenant)',
          },
        },
      );
      const got = seriesDataOf(
        await storage.querier('t1').select([{ type: '=~', name: '__name__', value: 'a|b|c' }], -Infinity, Infinity),
      );
      assert.deepEqual(
        got.map((x) => [x.labels[0]!.value, x.timestamps.length]),
        [
          ['a', 3],
          ['b', 1],
        ],
      );
      await storage.close();
      await assert.rejects(
        sink.write({ tenant: 't1', series: [s('a', [T + 700_000])], metadata: [] }, Date.now() + 5000),
        SinkUnavailableError,
      );
      await sink.close();
    } finally {
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('stores native histogram samples beside floats; a late histogram sample is refused and counted', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'promdog-sink-'));
    const storage = new Storage({ dataDir, maxActiveSeries: 0, outOfOrderWindowMs: 60_000 });
    const sink = new EmbeddedStoreSink(storage);
    const h = histogram({ count: 1, sum: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1] });
    const histograms = { timestamps: [T, T + 1000], histograms: [h, h] };
    try {
      const outcome = await sink.write(
        {
          tenant: 't1',
          series: [
            { labels: [{ name: '__name__', value: 'only_h' }], timestamps: [], values: [], histograms },
            { labels: [{ name: '__name__', value: 'mixed' }], timestamps: [T + 2000], values: [3], histograms },
          ],
          metadata: [],
        },
        Date.now() + 5000,
      );
      assert.deepEqual(outcome, { rejected: {} });
      const late = { timestamps: [T + 500], histograms: [h] };
      assert.deepEqual(
        await sink.write(
          {
            tenant: 't1',
            series: [{ labels: [{ name: '__name__', value: 'only_h' }], timestamps: [], values: [], histograms: late }],
            metadata: [],
          },
          Date.now() + 5000,
        ),
        { rejected: { histogram_out_of_order: 1 } },
      );
      const got = seriesDataOf(
        await storage.querier('t1').select([{ type: '=~', name: '__name__', value: '.+' }], -Infinity, Infinity),
      );
      assert.deepEqual(
        got.map((x) => [x.labels[0]!.value, [...x.values], [...(x.histograms?.timestamps ?? [])]]),
        [
          ['mixed', [3], [T, T + 1000]],
          ['only_h', [], [T, T + 1000]],
        ],
      );
      assert.deepEqual(got[1]!.histograms!.values[1], h);
    } finally {
      await sink.close();
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
