// Recovery when a tenant database opens: the blocks on disk, minus what an interrupted block write or compaction
// left behind, and the head rebuilt by replaying the WAL.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockReader, ULID_RE } from './block.js';
import type { TsdbOptions } from './db.js';
import { UNBOUNDED_WINDOW, type Head, type HeadSeries } from './head.js';
import type { HistogramHead } from './histogram-head.js';
import { decodeHistogramSamplesPayload } from './histogram-wal.js';
import { EMPTY_LABELS_HASH, addPairHash } from './labels.js';
import {
  LabelPairDecoder,
  RECORD_HISTOGRAM_SAMPLES,
  RECORD_SAMPLES,
  RECORD_SERIES,
  Wal,
  decodeSamplesPayload,
  forEachSeriesInRecord,
} from './wal.js';
import type { TsdbLogger } from './fsutil.js';

/** Opens the blocks in `dir`, oldest first, deleting leftovers of interrupted writes and compactions. */
export async function openBlocks(dir: string, log: TsdbLogger): Promise<BlockReader[]> {
  const blocks: BlockReader[] = [];
  for (const name of await readdir(dir)) {
    if (name.endsWith('.tmp')) {
      // A block whose write was interrupted: never renamed into place, so never used.
      await rm(join(dir, name), { recursive: true, force: true });
    } else if (ULID_RE.test(name)) {
      blocks.push(await BlockReader.open(join(dir, name)));
    }
  }
  // A compaction that stopped after writing its output but before deleting its inputs leaves both: drop the inputs.
  const replaced = new Set<string>();
  for (const b of blocks) for (const src of b.meta.compaction.sources) if (src !== b.meta.ulid) replaced.add(src);
  const kept: BlockReader[] = [];
  for (const b of blocks) {
    const parents = blocks.filter((o) => o !== b && o.meta.compaction.sources.includes(b.meta.ulid));
    if (parents.length > 0 || replaced.has(b.meta.ulid)) {
      log.warn({ block: b.dir }, 'removing block already merged into a compacted block');
      await b.delete();
    } else kept.push(b);
  }
  return kept.sort((a, b) => a.meta.minTime - b.meta.minTime);
}

/**
 * Opens the WAL in `dir`/wal, replaying its records into `head` and its histogram samples into `histograms`;
 * `samples` counts the sample entries read.
 */
export async function replayWal(
  dir: string,
  head: Head,
  histograms: HistogramHead,
  opts: Pick<TsdbOptions, 'walSegmentBytes' | 'logger'>,
): Promise<{ wal: Wal; samples: number }> {
  // Series IDs in the WAL map to head series; a record for labels already present (re-created after a
  // truncation) aliases the existing series.
  const alias = new Map<number, HeadSeries>();
  let samples = 0;
  // The head's own pairs: a series' hash, labels and postings come from them, without reading its strings.
  const pairs = new LabelPairDecoder((name, value) => head.replayedPair(name, value));
  const walOptions = { segmentBytes: opts.walSegmentBytes, logger: opts.logger };
  const wal = await Wal.open(join(dir, 'wal'), walOptions, (type, payload) => {
    if (type === RECORD_SERIES) {
      forEachSeriesInRecord(payload, pairs, (id, found, n) => {
        let hash = EMPTY_LABELS_HASH;
        for (let j = 0; j < n; j++) hash = addPairHash(hash, found[j]!.pair.hash);
        const existing = head.createReplayed(found, n, hash, id);
        if (existing) alias.set(id, existing);
      });
      return -Infinity;
    }
    if (type === RECORD_HISTOGRAM_SAMPLES) {
      let maxT = -Infinity;
      for (const e of decodeHistogramSamplesPayload(payload)) {
        if (e.t > maxT) maxT = e.t;
        const s = head.byId.get(e.id) ?? alias.get(e.id);
        if (s) histograms.append(s.id, e.t, e.h, UNBOUNDED_WINDOW, head.minValidTime);
        samples++;
      }
      return maxT;
    }
    if (type !== RECORD_SAMPLES) return -Infinity;
    const { ids, ts, vs } = decodeSamplesPayload(payload);
    let maxT = -Infinity;
    for (let i = 0; i < ids.length; i++) {
      const s = head.byId.get(ids[i]!) ?? alias.get(ids[i]!);
      const t = ts[i]!;
      if (t > maxT) maxT = t;
      // Samples of series no longer known are older than the head (their series was dropped at a truncation).
      if (s) head.append(s, t, vs[i]!, UNBOUNDED_WINDOW);
    }
    samples += ids.length;
    return maxT;
  });
  return { wal, samples };
}
