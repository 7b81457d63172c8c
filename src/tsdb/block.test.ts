import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockReader, BlockWriter, ULID_RE, newUlid } from './block.js';
import { ChunkAppender } from './chunk.js';
import { compileMatchers } from '../model/matcher.js';

function chunkOf(from: number, n: number): { bytes: Uint8Array; minT: number; maxT: number } {
  const a = new ChunkAppender();
  for (let i = 0; i < n; i++) a.append(from + i * 1000, i * 1.5);
  return { bytes: a.bytes(), minT: from, maxT: from + (n - 1) * 1000 };
}

describe('block', () => {
  test('write, read back through the index, and delete only after the last reader releases it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promdog-block-'));
    try {
      const w = await BlockWriter.create(dir);
      const names = ['a', 'b', 'c'];
      for (const [i, name] of names.entries()) {
        const c1 = chunkOf(i * 100, 3);
        const c2 = chunkOf(10_000 + i * 100, 2);
        await w.addSeries(
          [
            { name: '__name__', value: name },
            { name: 'job', value: i === 1 ? 'x' : 'y' },
          ],
          [c1.bytes, c2.bytes],
          [c1.minT, c2.minT],
          [c1.maxT, c2.maxT],
        );
      }
      const meta = await w.finish(0, 20_000, 1, [w.ulid]);
      assert.deepEqual(meta.stats, { numSamples: 15, numSeries: 3, numChunks: 6 });
      assert.deepEqual(await readdir(dir), [w.ulid]);
      const b = await BlockReader.open(join(dir, w.ulid));
      const hits = b.matchingSeries(compileMatchers([{ type: '=', name: 'job', value: 'y' }]), 0, 20_000);
      assert.deepEqual(
        hits.map((s) => b.labels(s)[0]!.value),
        ['a', 'c'],
      );
      b.acquire();
      await b.delete();
      await access(join(dir, w.ulid)); // still there: a reader holds it
      const data = await b.samples(hits, 10_000, 20_000);
      assert.deepEqual(
        data.map((d) => [...d.timestamps]),
        [
          [10_000, 11_000],
          [10_200, 11_200],
        ],
      );
      b.release();
      for (let i = 0; i < 50 && (await readdir(dir)).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('ULIDs are 26 Crockford characters and sort by time', () => {
    const a = newUlid(1_000_000);
    const b = newUlid(2_000_000);
    assert.match(a, ULID_RE);
    assert.ok(a < b);
  });
});
