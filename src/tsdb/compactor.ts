// Maintenance of a tenant's blocks, in the background and one task at a time: cuts blocks from the head as it
// grows, truncates the WAL behind them, merges adjacent blocks into larger ranges and deletes blocks past retention.
import { join } from 'node:path';
import type { Label } from '../model/prometheus.js';
import { BlockReader, BlockWriter } from './block.js';
import type { TsdbOptions } from './db.js';
import type { Head } from './head.js';
import type { HistogramHead } from './histogram-head.js';
import { compareLabels, labelsKey } from '../model/labels.js';
import { encodeSeriesRecord, type Wal } from './wal.js';

/** Compaction ranges: the block range times 3, 9, 27... (like Prometheus), up to `max`. */
export function compactionRanges(blockRange: number, max: number): number[] {
  const out = [blockRange];
  for (let r = blockRange * 3; r <= max; r *= 3) out.push(r);
  return out;
}

/** Owns the block list: only maintenance adds or removes blocks once the database is open. */
export class Compactor {
  private maintenance: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly opts: Pick<TsdbOptions, 'blockRangeMs' | 'retentionMs' | 'logger'>,
    private readonly head: Head,
    /** The head's histogram samples: cut, truncated and counted with the float samples. */
    private readonly histograms: HistogramHead,
    private readonly wal: Wal,
    /** Oldest first. */
    private blocks: BlockReader[],
  ) {}

  /** The blocks now, oldest first. */
  blockList(): readonly BlockReader[] {
    return this.blocks;
  }

  /** Samples in the head, float and histogram. */
  private headSamples(): number {
    return this.head.numSamples + this.histograms.numSamples;
  }

  private headMinT(): number {
    return Math.min(this.head.minT, this.histograms.minT);
  }

  private headMaxT(): number {
    return Math.max(this.head.maxT, this.histograms.maxT);
  }

  private needsCut(): boolean {
    return this.headSamples() > 0 && this.headMaxT() - this.headMinT() > this.opts.blockRangeMs * 1.5;
  }

  /** Starts a maintenance pass in the background when the head is due for a cut or blocks for retention. */
  scheduleMaintenance(): void {
    if (this.maintenance || this.closed) return;
    const last = this.blocks[this.blocks.length - 1];
    if (!this.needsCut() && !(last && this.retentionCutoff() >= this.blocks[0]!.meta.maxTime)) return;
    this.exclusive(() => this.runMaintenance()).catch(() => {}); // logged by exclusive()
  }

  /** Runs `task` after any running maintenance task: block cuts, compactions and truncations never overlap. */
  private exclusive(task: () => Promise<void>): Promise<void> {
    const run = (this.maintenance ?? Promise.resolve()).then(task);
    const tracked: Promise<void> = run
      .catch((err) => this.opts.logger.error({ dir: this.dir, err }, 'tsdb maintenance failed'))
      .finally(() => {
        if (this.maintenance === tracked) this.maintenance = undefined;
      });
    this.maintenance = tracked;
    return run;
  }

  /** Cuts blocks from the head while it spans more than 1.5 block ranges, then compacts and applies retention. */
  private async runMaintenance(): Promise<void> {
    const R = this.opts.blockRangeMs;
    while (this.needsCut() && !this.closed) {
      const t0 = Math.floor(this.headMinT() / R) * R;
      await this.cutBlock(t0, t0 + R);
    }
    await this.truncateWal();
    await this.compact();
    await this.applyRetention();
  }

  /** Waits for background work and then runs a full maintenance pass (for tests and shutdown). */
  flushMaintenance(): Promise<void> {
    return this.exclusive(() => this.runMaintenance());
  }

  /**
   * Persists every head chunk before `t1` into blocks of the block range (tests; normally the head keeps the last
   * half range in memory).
   */
  cutHeadBefore(t1: number): Promise<void> {
    return this.exclusive(async () => {
      const R = this.opts.blockRangeMs;
      while (this.headSamples() > 0 && this.headMinT() < t1) {
        const t0 = Math.floor(this.headMinT() / R) * R;
        if (t0 + R > t1) break;
        await this.cutBlock(t0, t0 + R);
      }
      await this.truncateWal();
    });
  }

  private async cutBlock(t0: number, t1: number): Promise<void> {
    const head = this.head;
    head.sealBefore(t1);
    this.histograms.sealBefore(t1);
    const entries = withHistogramChunks([...head.chunksInRange(t0, t1)], head, this.histograms, t0, t1).sort((a, b) =>
      compareLabels(a.labels, b.labels),
    );
    if (entries.length > 0) {
      const w = await BlockWriter.create(this.dir);
      try {
        for (const e of entries) await w.addSeries(e.labels, e.chunks, e.minT, e.maxT);
        await w.finish(t0, t1, 1, [w.ulid]);
      } catch (err) {
        await w.abort();
        throw err;
      }
      this.addBlock(await BlockReader.open(join(this.dir, w.ulid)));
    }
    // The histogram head first: the head keeps a series while the histogram head holds samples of it.
    this.histograms.truncateBefore(t1);
    head.truncateBefore(t1);
    this.opts.logger.info(
      { dir: this.dir, minTime: t0, maxTime: t1, series: entries.length },
      'tsdb block cut from head',
    );
  }

  private addBlock(b: BlockReader): void {
    this.blocks.push(b);
    this.blocks.sort((x, y) => x.meta.minTime - y.meta.minTime);
  }

  private async truncateWal(): Promise<void> {
    const head = this.head;
    if (head.minValidTime === -Infinity) return;
    await this.wal.truncateBefore(head.minValidTime, () => encodeSeriesRecord([...head.byId.values()]));
  }

  /** Merges adjacent blocks that fill a window of a larger compaction range; repeats until nothing is left. */
  private async compact(): Promise<void> {
    const R = this.opts.blockRangeMs;
    const maxRange = Math.min(this.opts.retentionMs / 10, 31 * 24 * 3600_000);
    const ranges = compactionRanges(R, Math.max(maxRange, R));
    for (;;) {
      let plan: BlockReader[] | undefined;
      for (const range of ranges.slice(1)) {
        const groups = new Map<number, BlockReader[]>();
        for (const b of this.blocks) {
          const w = Math.floor(b.meta.minTime / range) * range;
          if (b.meta.maxTime > w + range) continue;
          const g = groups.get(w);
          if (g) g.push(b);
          else groups.set(w, [b]);
        }
        for (const [w, g] of groups) {
          // Only windows the head has moved past: no more blocks will be cut into them.
          if (g.length >= 2 && this.head.minValidTime >= w + range) {
            plan = g;
            break;
          }
        }
        if (plan) break;
      }
      if (!plan || this.closed) return;
      await this.compactBlocks(plan);
    }
  }

  private async compactBlocks(inputs: BlockReader[]): Promise<void> {
    inputs.sort((a, b) => a.meta.minTime - b.meta.minTime);
    const merged = new Map<string, { labels: Label[]; parts: number[] }>();
    inputs.forEach((b, bi) => {
      for (let s = 0; s < b.numSeries; s++) {
        const labels = b.labels(s);
        const key = labelsKey(labels);
        let m = merged.get(key);
        if (!m) merged.set(key, (m = { labels, parts: inputs.map(() => -1) }));
        m.parts[bi] = s;
      }
    });
    const all = [...merged.values()].sort((a, b) => compareLabels(a.labels, b.labels));
    const w = await BlockWriter.create(this.dir);
    try {
      const BATCH = 2048;
      for (let i = 0; i < all.length; i += BATCH) {
        const batch = all.slice(i, i + BATCH);
        const perBlock = await Promise.all(
          inputs.map((b, bi) => b.readChunks(batch.map((m) => m.parts[bi]!).filter((s) => s >= 0))),
        );
        const cursor = inputs.map(() => 0);
        for (const m of batch) {
          const chunks: Uint8Array[] = [];
          const minT: number[] = [];
          const maxT: number[] = [];
          inputs.forEach((_, bi) => {
            if (m.parts[bi]! < 0) return;
            const r = perBlock[bi]![cursor[bi]!++]!;
            chunks.push(...r.chunks);
            minT.push(...r.minT);
            maxT.push(...r.maxT);
          });
          await w.addSeries(m.labels, chunks, minT, maxT);
        }
      }
      const level = Math.max(...inputs.map((b) => b.meta.compaction.level)) + 1;
      const sources = [...new Set(inputs.flatMap((b) => b.meta.compaction.sources))].sort();
      await w.finish(inputs[0]!.meta.minTime, inputs[inputs.length - 1]!.meta.maxTime, level, sources);
    } catch (err) {
      await w.abort();
      throw err;
    }
    const out = await BlockReader.open(join(this.dir, w.ulid));
    this.blocks = this.blocks.filter((b) => !inputs.includes(b));
    this.addBlock(out);
    for (const b of inputs) await b.delete();
    this.opts.logger.info(
      { dir: this.dir, block: w.ulid, inputs: inputs.length, level: out.meta.compaction.level },
      'tsdb blocks compacted',
    );
  }

  private retentionCutoff(): number {
    const last = this.blocks[this.blocks.length - 1];
    const newest = Math.max(this.headMaxT(), last ? last.meta.maxTime : -Infinity);
    return newest - this.opts.retentionMs;
  }

  /** Deletes blocks whose data is entirely older than the retention period. */
  private async applyRetention(): Promise<void> {
    const cutoff = this.retentionCutoff();
    const expired = this.blocks.filter((b) => b.meta.maxTime <= cutoff);
    if (expired.length === 0) return;
    this.blocks = this.blocks.filter((b) => !expired.includes(b));
    for (const b of expired) await b.delete();
    this.opts.logger.info({ dir: this.dir, blocks: expired.length, cutoff }, 'tsdb retention deleted blocks');
  }

  /** Stops starting maintenance work; resolves when the running task finished. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.maintenance) await this.maintenance;
  }
}

interface CutEntry {
  labels: Label[];
  chunks: Uint8Array[];
  minT: number[];
  maxT: number[];
}

/**
 * The float entries of a block cut with each series' histogram chunks in [t0, t1) added: a block holds one entry per
 * series, its float chunks then its histogram chunks (their first byte tells them apart).
 */
function withHistogramChunks(
  entries: CutEntry[],
  head: Head,
  histograms: HistogramHead,
  t0: number,
  t1: number,
): CutEntry[] {
  let byKey: Map<string, CutEntry> | undefined;
  for (const id of histograms.ids()) {
    const chunks = histograms.chunksInRange(id, t0, t1);
    const s = head.byId.get(id);
    if (chunks.length === 0 || s === undefined) continue;
    byKey ??= new Map(entries.map((e) => [labelsKey(e.labels), e]));
    let e = byKey.get(labelsKey(s.labels));
    if (e === undefined) {
      e = { labels: s.labels, chunks: [], minT: [], maxT: [] };
      entries.push(e);
    }
    for (const c of chunks) {
      e.chunks.push(c.bytes);
      e.minT.push(c.minT);
      e.maxT.push(c.maxT);
    }
  }
  return entries;
}
