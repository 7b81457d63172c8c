import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdbUnavailableError } from './db.js';
import { Storage } from './storage.js';
import { seriesDataOf } from '../model/series-columns.js';

const T = 1_700_000_000_000;
const ALL = [{ type: '=~' as const, name: '__name__', value: '.+' }];

describe('Storage', () => {
  test('tenant isolation: data of tenant A is never visible from tenant B', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'promdog-storage-'));
    const storage = new Storage({ dataDir });
    try {
      const labels = [
        { name: '__name__', value: 'up' },
        { name: 'instance', value: 'h1' },
      ];
      await storage.append(
        'tenant-a',
        [{ labels, timestamps: [T], values: [1] }],
        [{ metricFamilyName: 'up', type: 'gauge', unit: '', help: 'a help' }],
      );
      await storage.append('tenant-a', [
        { labels: [{ name: '__name__', value: 'only_a' }], timestamps: [T], values: [5] },
      ]);
      await storage.append('tenant_b', [{ labels, timestamps: [T, T + 1000], values: [2, 3] }]);
      const a = storage.querier('tenant-a');
      const b = storage.querier('tenant_b');
      const sa = seriesDataOf(await a.select(ALL, -Infinity, Infinity));
      const sb = seriesDataOf(await b.select(ALL, -Infinity, Infinity));
      assert.deepEqual(
        sa.map((s) => [s.labels[0]!.value, [...s.values]]),
        [
          ['only_a', [5]],
          ['up', [1]],
        ],
      );
      assert.deepEqual(
        sb.map((s) => [s.labels[0]!.value, [...s.values]]),
        [['up', [2, 3]]],
      );
      assert.deepEqual(await b.labelValues('__name__', [], -Infinity, Infinity), ['up']);
      assert.deepEqual(
        await b.exportSeries([{ type: '=', name: '__name__', value: 'only_a' }], -Infinity, Infinity),
        [],
      );
      const none = storage.querier('nobody');
      assert.deepEqual(seriesDataOf(await none.select(ALL, -Infinity, Infinity)), []);
      assert.deepEqual(await none.labelNames([], -Infinity, Infinity), []);
      assert.deepEqual(
        (await readdir(join(dataDir, 'tenants'))).sort(),
        ['tenant-a', 'tenant_b'],
        'reads do not create tenants',
      );
      assert.throws(() => storage.querier('../etc'), /invalid tenant/);
      const stats = await storage.stats();
      assert.equal(stats['tenant-a']!.headSeries, 2);
      assert.equal(stats.tenant_b!.headSamples, 2);
      await storage.close();
      // Reopened lazily from disk: still isolated.
      const again = new Storage({ dataDir });
      await again.openAll();
      assert.deepEqual((await again.querier('tenant_b').select(ALL, -Infinity, Infinity)).labels.length, 1);
      assert.deepEqual((await again.querier('tenant-a').select(ALL, -Infinity, Infinity)).labels.length, 2);
      assert.deepEqual(await again.querier('tenant-a').metricMetadata(), [
        { metricFamilyName: 'up', type: 'gauge', unit: '', help: 'a help' },
      ]);
      assert.deepEqual(await again.querier('tenant_b').metricMetadata(), []);
      await again.close();
    } finally {
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a WAL write failure refuses appends, then the database is reopened from what is durable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'promdog-storage-'));
    const storage = new Storage({ dataDir });
    try {
      const s = (t: number, v: number) => [
        { labels: [{ name: '__name__', value: 'm' }], timestamps: [t], values: [v] },
      ];
      await storage.append('t', s(T, 1));
      const db = await storage.tenant('t');
      // Simulate an I/O error: the segment's file handle goes away under the WAL.
      await (db as unknown as { wal: { fh: { close(): Promise<void> } } }).wal.fh.close();
      await assert.rejects(storage.append('t', s(T + 1000, 2)), TsdbUnavailableError);
      assert.equal(db.failed, true);
      await assert.rejects(db.append(s(T + 2000, 3)), TsdbUnavailableError, 'the failed database refuses appends');
      // The next use through Storage reopens the database (WAL replay) and appends work again.
      await storage.append('t', s(T + 3000, 4));
      const got = seriesDataOf(await storage.querier('t').select(ALL, -Infinity, Infinity));
      // T+1000 was never acknowledged and was not durable: after the reopen it is gone; T+2000 was refused.
      assert.deepEqual([...got[0]!.timestamps], [T, T + 3000]);
      assert.notEqual(await storage.tenant('t'), db);
    } finally {
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
