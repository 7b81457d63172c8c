import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from './fsutil.js';
import {
  LabelPairDecoder,
  RECORD_SAMPLES,
  RECORD_SERIES,
  Wal,
  decodeSamplesPayload,
  decodeSeriesPayload,
  encodeSamplesRecord,
  encodeSeriesRecord,
} from './wal.js';

const opts = { segmentBytes: 1 << 20, logger: silentLogger };

/** Records replayed from `dir`, as plain JSON-able values. */
async function replay(dir: string): Promise<{ wal: Wal; records: unknown[] }> {
  const records: unknown[] = [];
  const wal = await Wal.open(dir, opts, (type, payload) => {
    if (type === RECORD_SERIES) records.push({ series: decodeSeriesPayload(payload) });
    else if (type === RECORD_SAMPLES) {
      const { ids, ts, vs } = decodeSamplesPayload(payload);
      records.push({ ids: [...ids], ts: [...ts], vs: [...vs] });
    }
    return -Infinity;
  });
  return { wal, records };
}

function samplesRecord(i: number, n: number): { bytes: Uint8Array; json: unknown } {
  const ids = Uint32Array.from({ length: n }, (_, k) => i * 10 + k);
  const ts = Float64Array.from({ length: n }, (_, k) => 1_700_000_000_000 + i * 1000 + k);
  const vs = Float64Array.from({ length: n }, (_, k) => i + k / 3);
  return { bytes: encodeSamplesRecord(ids, ts, vs, n), json: { ids: [...ids], ts: [...ts], vs: [...vs] } };
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'promdog-wal-'));
}

describe('WAL', () => {
  test('series records: pairs decoded once each, across records, whatever their characters', () => {
    const pairs = new LabelPairDecoder((name, value) => ({ label: { name, value } }));
    const names = ['job', 'host', 'ünï', 'a', 'é'];
    const values = ['', 'x', 'ünïcode', 'h-01', 'h-10', '€ 1', 'ab', 'ba', 'a'.repeat(300)];
    const series = (from: number) =>
      Array.from({ length: 40 }, (_, i) => ({
        id: from + i,
        labels: [0, 1, 2].map((k) => ({
          name: names[(i + k) % names.length]!,
          value: values[(i * 7 + k) % values.length]!,
        })),
      }));
    const payload = (entries: ReturnType<typeof series>) => encodeSeriesRecord(entries).subarray(16);
    const first = decodeSeriesPayload(payload(series(1)), pairs);
    const second = decodeSeriesPayload(payload(series(41)), pairs);
    assert.deepEqual(first, series(1));
    assert.deepEqual(second, series(41));
    const distinct = new Set([...first, ...second].flatMap((e) => e.labels));
    const distinctPairs = new Set([...first, ...second].flatMap((e) => e.labels.map((l) => `${l.name}\0${l.value}`)));
    assert.equal(distinct.size, distinctPairs.size, 'one object per distinct pair');
  });

  test('append, reopen: every record back in order; concurrent appends group-commit', async () => {
    const dir = await tempDir();
    try {
      const { wal } = await replay(dir);
      const want: unknown[] = [];
      const series = [
        {
          id: 1,
          labels: [
            { name: '__name__', value: 'ünïcode' },
            { name: 'a', value: '' },
          ],
        },
      ];
      await wal.log(encodeSeriesRecord(series), -Infinity);
      want.push({ series });
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        const r = samplesRecord(i, 1 + (i % 7));
        want.push(r.json);
        pending.push(wal.log(r.bytes, 0));
      }
      await Promise.all(pending);
      await wal.close();
      const again = await replay(dir);
      assert.deepEqual(again.records, want);
      await again.wal.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('segments rotate at the size limit and replay in order', async () => {
    const dir = await tempDir();
    try {
      const wal = await Wal.open(dir, { ...opts, segmentBytes: 150 }, () => -Infinity);
      const want: unknown[] = [];
      for (let i = 0; i < 20; i++) {
        const r = samplesRecord(i, 4);
        want.push(r.json);
        await wal.log(r.bytes, i);
      }
      await wal.close();
      assert.ok((await readdir(dir)).length > 5, 'several segments');
      const again = await replay(dir);
      assert.deepEqual(again.records, want);
      await again.wal.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('torn tail: for every byte offset inside the last record, earlier records survive and appends work', async () => {
    const base = await tempDir();
    try {
      const src = join(base, 'src');
      await mkdir(src);
      const wal = await Wal.open(src, opts, () => -Infinity);
      const want: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const r = samplesRecord(i, 2);
        want.push(r.json);
        await wal.log(r.bytes, 0);
      }
      const last = samplesRecord(9, 3);
      await wal.log(last.bytes, 0);
      await wal.close();
      const [segment] = await readdir(src);
      const size = (await stat(join(src, segment!))).size;
      const start = size - last.bytes.length;
      for (let cut = start; cut < size; cut++) {
        const dir = join(base, `cut${cut}`);
        await cp(src, dir, { recursive: true });
        await truncate(join(dir, segment!), cut);
        const r1 = await replay(dir);
        assert.deepEqual(r1.records, want, `cut at ${cut}`);
        assert.equal((await stat(join(dir, segment!))).size, start, 'torn record cut off');
        const extra = samplesRecord(5, 1);
        await r1.wal.log(extra.bytes, 0);
        await r1.wal.close();
        const r2 = await replay(dir);
        assert.deepEqual(r2.records, [...want, extra.json], `append after cut at ${cut}`);
        await r2.wal.close();
        await rm(dir, { recursive: true });
      }
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  test('a corrupted byte in the last record cuts it; later segments are removed', async () => {
    const dir = await tempDir();
    try {
      const wal = await Wal.open(dir, opts, () => -Infinity);
      const a = samplesRecord(1, 2);
      const b = samplesRecord(2, 2);
      await wal.log(a.bytes, 0);
      await wal.log(b.bytes, 0);
      await wal.close();
      const [segment] = await readdir(dir);
      const buf = await readFile(join(dir, segment!));
      buf[buf.length - 5]! ^= 0x40;
      await writeFile(join(dir, segment!), buf);
      await writeFile(join(dir, '00000099'), samplesRecord(3, 1).bytes);
      const r = await replay(dir);
      assert.deepEqual(r.records, [a.json]);
      assert.deepEqual((await readdir(dir)).sort(), [segment]);
      await r.wal.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('truncateBefore drops old segments and keeps series in a checkpoint', async () => {
    const dir = await tempDir();
    try {
      const wal = await Wal.open(dir, { ...opts, segmentBytes: 200 }, () => -Infinity);
      const series = [{ id: 7, labels: [{ name: '__name__', value: 'x' }] }];
      await wal.log(encodeSeriesRecord(series), -Infinity);
      const logged: unknown[] = [];
      for (let i = 0; i < 10; i++) {
        const r = samplesRecord(i, 2);
        logged.push(r.json);
        await wal.log(r.bytes, i * 100);
      }
      const newest = samplesRecord(99, 1);
      logged.push(newest.json);
      await wal.log(newest.bytes, 5000);
      const removed = await wal.truncateBefore(1000, () => encodeSeriesRecord(series));
      assert.ok(removed > 0);
      await wal.close();
      const r = await replay(dir);
      // The checkpoint's series, then a suffix of the log: only segments entirely before 1000 were dropped (the
      // segment shared with the newest record stays).
      assert.deepEqual(r.records[0], { series });
      const rest = r.records.slice(1);
      assert.ok(rest.length < logged.length && rest.length >= 1);
      assert.deepEqual(rest, logged.slice(logged.length - rest.length));
      await r.wal.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
