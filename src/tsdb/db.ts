import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Label, MetricMetadata, PromSeries } from '../model/prometheus.js';
import type { LabelMatcher, Querier, SeriesData } from '../model/storage.js';
import { BlockReader, BlockWriter, ULID_RE, type BlockMeta } from './block.js';
import { silentLogger, type TsdbLogger } from './fsutil.js';
import { AppendOutcome, Head, HeadSeries, UNBOUNDED_WINDOW } from './head.js';
import { canonicalLabels, hashLabels } from './labels.js';
import { compareLabels, labelsKey } from '../model/labels.js';
import { compileMatchers, type CompiledMatcher } from '../model/matcher.js';
import {
  RECORD_SAMPLES,
  RECORD_SERIES,
  Wal,
  decodeSamplesPayload,
  decodeSeriesPayload,
  encodeSamplesRecord,
  encodeSeriesRecord,
} from './wal.js';

export interface TsdbOptions {
  /** Data older than the newest data minus this is deleted (whole blocks). Default 15 days. */
  retentionMs: number;
  /** Samples up to this much older than the newest sample are accepted and merged in order. Default 10 minutes. */
  outOfOrderWindowMs: number;
  /** Length of the blocks cut from the head. Default 2 hours. */
  blockRangeMs: number;
  /** Samples more than this ahead of the wall clock are rejected. Default 1 hour. */
  futureToleranceMs: number;
  /** Active (head) series limit; new series over it are rejected. Default 0 = unlimited. */
  maxActiveSeries: number;
  walSegmentBytes: number;
  logger: TsdbLogger;
}

export const DEFAULT_TSDB_OPTIONS: TsdbOptions = {
  retentionMs: 15 * 24 * 3600_000,
  outOfOrderWindowMs: 10 * 60_000,
  blockRangeMs: 2 * 3600_000,
  futureToleranceMs: 3600_000,
  maxActiveSeries: 0,
  walSegmentBytes: 128 << 20,
  logger: silentLogger,
};

/** Reasons samples are refused (the keys of AppendResult.rejected; also self-metric label values). */
export type RejectReason =
  | 'too_old'
  | 'duplicate_timestamp'
  | 'too_far_in_future'
  | 'invalid_timestamp'
  | 'invalid_labels'
  | 'series_limit';

export interface AppendResult {
  /** Samples stored (new to the store). */
  accepted: number;
  /** Samples identical to stored ones (same timestamp and value): acknowledged, not stored twice. */
  duplicates: number;
  rejected: Partial<Record<RejectReason, number>>;
}

/** The write could not be made durable (disk full, I/O error); retrying later may work. */
export class TsdbUnavailableError extends Error {
  override name = 'TsdbUnavailableError';
}

/**
 * Some series were refused because the tenant is at its active-series limit. Everything else in the append was
 * stored durably before this was thrown; `result` says what.
 */
export class SeriesLimitError extends Error {
  override name = 'SeriesLimitError';
  readonly reason = 'series_limit';
  constructor(
    readonly limit: number,
    readonly result: AppendResult,
  ) {
    super(`active series limit (${limit}) reached: ${result.rejected.series_limit ?? 0} samples of new series refused`);
  }
}

export interface TenantStats {
  headSeries: number;
  headSamples: number;
  headChunks: number;
  headMemoryBytes: number;
  headMinTime: number;
  headMaxTime: number;
  blocks: number;
  blockBytes: number;
  walBytes: number;
  /** Blocks plus WAL. */
  diskBytes: number;
  /** Time the last open spent replaying the WAL and opening blocks. */
  replayMs: number;
  samplesRejected: Partial<Record<RejectReason, number>>;
}

/** The read interface plus raw export. */
export interface TsdbQuerier extends Querier {
  /** Raw samples of matching series in [mint, maxt] — what /api/v1/export streams. */
  exportSeries(matchers: LabelMatcher[], mint: number, maxt: number): Promise<SeriesData[]>;
  /** Metric metadata (type, help, unit) last received per metric family, sorted by name. */
  metricMetadata(): Promise<MetricMetadata[]>;
}

/** Compaction ranges: the block range times 3, 9, 27... (like Prometheus), up to `max`. */
export function compactionRanges(blockRange: number, max: number): number[] {
  const out = [blockRange];
  for (let r = blockRange * 3; r <= max; r *= 3) out.push(r);
  return out;
}

const METADATA_FILE = 'metadata.json';
/** ±2^52 ms (±142,000 years): keeps timestamp deltas exact in the WAL's varints. */
const MAX_TIMESTAMP = 2 ** 52;

/** One tenant's database: head + WAL + blocks in `dir`. */
export class TenantDb implements TsdbQuerier {
  private blocks: BlockReader[] = [];
  private wal!: Wal;
  private readonly head: Head;
  private maintenance: Promise<void> | undefined;
  private closed = false;
  private replayMs = 0;
  private readonly rejectedTotals: Partial<Record<RejectReason, number>> = {};
  private readonly metadataByName = new Map<string, MetricMetadata>();
  private metadataWrite: Promise<void> = Promise.resolve();
  private scratchIds = new Uint32Array(0);
  private scratchTs = new Float64Array(0);
  private scratchVs = new Float64Array(0);

  private constructor(
    readonly dir: string,
    readonly opts: TsdbOptions,
  ) {
    this.head = new Head(opts.blockRangeMs);
  }

  static async open(dir: string, options: Partial<TsdbOptions> = {}): Promise<TenantDb> {
    const db = new TenantDb(dir, { ...DEFAULT_TSDB_OPTIONS, ...options });
    await db.load();
    return db;
  }

  private async load(): Promise<void> {
    const started = performance.now();
    const log = this.opts.logger;
    await mkdir(join(this.dir, 'wal'), { recursive: true });
    const blocks: BlockReader[] = [];
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.tmp')) {
        // A block whose write was interrupted: never renamed into place, so never used.
        await rm(join(this.dir, name), { recursive: true, force: true });
      } else if (ULID_RE.test(name)) {
        blocks.push(await BlockReader.open(join(this.dir, name)));
      }
    }
    // A compaction that stopped after writing its output but before deleting its inputs leaves both: drop the inputs.
    const replaced = new Set<string>();
    for (const b of blocks) for (const src of b.meta.compaction.sources) if (src !== b.meta.ulid) replaced.add(src);
    for (const b of blocks) {
      const parents = blocks.filter((o) => o !== b && o.meta.compaction.sources.includes(b.meta.ulid));
      if (parents.length > 0 || replaced.has(b.meta.ulid)) {
        log.warn({ block: b.dir }, 'removing block already merged into a compacted block');
        await b.delete();
      } else this.blocks.push(b);
    }
    this.blocks.sort((a, b) => a.meta.minTime - b.meta.minTime);
    const last = this.blocks[this.blocks.length - 1];
    if (last) this.head.minValidTime = last.meta.maxTime;
    try {
      for (const m of JSON.parse(await readFile(join(this.dir, METADATA_FILE), 'utf8')) as MetricMetadata[]) {
        this.metadataByName.set(m.metricFamilyName, m);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ dir: this.dir, err }, 'ignoring unreadable metadata file');
    }

    const head = this.head;
    // Series IDs in the WAL map to head series; a record for labels already present (re-created after a
    // truncation) aliases the existing series.
    const alias = new Map<number, HeadSeries>();
    let samples = 0;
    this.wal = await Wal.open(join(this.dir, 'wal'), { segmentBytes: this.opts.walSegmentBytes, logger: log }, (type, payload) => {
      if (type === RECORD_SERIES) {
        for (const e of decodeSeriesPayload(payload)) {
          const hash = hashLabels(e.labels);
          const existing = head.get(e.labels, hash);
          if (existing) alias.set(e.id, existing);
          else head.create(e.labels, hash, e.id);
        }
        return -Infinity;
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
    this.replayMs = performance.now() - started;
    log.info(
      { dir: this.dir, blocks: this.blocks.length, series: head.numSeries, walSamples: samples, ms: Math.round(this.replayMs) },
      'tsdb opened',
    );
    this.scheduleMaintenance();
  }

  /**
   * Appends series samples. Resolves after the accepted samples are fsync'd in the WAL. Samples refused by the
   * write rules are counted in the result; refused new series (active-series limit) make it throw SeriesLimitError
   * after the rest is durable.
   */
  async append(batch: readonly PromSeries[]): Promise<AppendResult> {
    if (this.closed) throw new TsdbUnavailableError('database is closed');
    const walFailure = this.wal.failure;
    if (walFailure) throw new TsdbUnavailableError(walFailure.message);
    const head = this.head;
    const now = Date.now();
    const newest = Math.min(head.maxT, now);
    // The appendable range is half a block back from the newest sample, as in Prometheus (1 h with 2 h blocks).
    const window = { inOrderBefore: newest - this.opts.blockRangeMs / 2, outOfOrderBefore: newest - this.opts.outOfOrderWindowMs };
    const futureLimit = now + this.opts.futureToleranceMs;
    const limit = this.opts.maxActiveSeries;
    let total = 0;
    for (const s of batch) total += s.timestamps.length;
    if (this.scratchTs.length < total) {
      this.scratchIds = new Uint32Array(total);
      this.scratchTs = new Float64Array(total);
      this.scratchVs = new Float64Array(total);
    }
    // Reused between appends: the WAL record copies them before this call awaits.
    const ids = this.scratchIds;
    const ts = this.scratchTs;
    const vs = this.scratchVs;
    let k = 0;
    let maxT = -Infinity;
    const result: AppendResult = { accepted: 0, duplicates: 0, rejected: {} };
    const rejected = result.rejected;
    const newSeries: HeadSeries[] = [];
    for (const ps of batch) {
      const n = ps.timestamps.length;
      if (n === 0) continue;
      // A series the mapper handed us before carries its head series: no hashing or lookup by labels.
      const ref = ps.ref;
      let series = ref?.sinkState as HeadSeries | undefined;
      if (!(series instanceof HeadSeries) || series.head !== head || series.removed) {
        try {
          const labels = canonicalLabels(ps.labels);
          const hash = hashLabels(labels);
          series = head.get(labels, hash);
          if (!series) {
            if (labels.length === 0) throw new Error('empty label set');
            if (limit > 0 && head.numSeries >= limit) {
              rejected.series_limit = (rejected.series_limit ?? 0) + n;
              continue;
            }
            series = head.create(labels, hash);
            newSeries.push(series);
          } else if (series.labels !== labels && Object.isFrozen(labels)) {
            // Found by equal labels (e.g. created by WAL replay): share the mapper's array instead of keeping two.
            series.labels = labels;
          }
        } catch {
          rejected.invalid_labels = (rejected.invalid_labels ?? 0) + n;
          continue;
        }
        if (ref !== undefined) ref.sinkState = series;
      }
      const pts = ps.timestamps;
      const pvs = ps.values;
      for (let j = 0; j < n; j++) {
        const t = pts[j]!;
        const v = pvs[j]!;
        if (!Number.isSafeInteger(t) || t > MAX_TIMESTAMP || t < -MAX_TIMESTAMP) {
          rejected.invalid_timestamp = (rejected.invalid_timestamp ?? 0) + 1;
          continue;
        }
        if (t > futureLimit) {
          rejected.too_far_in_future = (rejected.too_far_in_future ?? 0) + 1;
          continue;
        }
        const outcome = head.append(series, t, v, window);
        if (outcome === AppendOutcome.Appended) result.accepted++;
        else if (outcome === AppendOutcome.Identical) result.duplicates++;
        else {
          const reason = outcome === AppendOutcome.TooOld ? 'too_old' : 'duplicate_timestamp';
          rejected[reason] = (rejected[reason] ?? 0) + 1;
          continue;
        }
        // Identical re-sends are logged again: a retry after a failed fsync must become durable.
        ids[k] = series.id;
        ts[k] = t;
        vs[k] = v;
        k++;
        if (t > maxT) maxT = t;
      }
    }
    for (const r in rejected) {
      const reason = r as RejectReason;
      this.rejectedTotals[reason] = (this.rejectedTotals[reason] ?? 0) + rejected[reason]!;
    }
    if (newSeries.length > 0 || k > 0) {
      let record: Uint8Array;
      const samplesRecord = k > 0 ? encodeSamplesRecord(ids, ts, vs, k) : undefined;
      if (newSeries.length > 0) {
        const seriesRecord = encodeSeriesRecord(newSeries);
        record = samplesRecord ? Buffer.concat([seriesRecord, samplesRecord]) : seriesRecord;
      } else record = samplesRecord!;
      try {
        await this.wal.log(record, maxT);
      } catch (err) {
        this.opts.logger.error({ dir: this.dir, err }, 'WAL write failed; appends refused until the database is reopened');
        throw new TsdbUnavailableError(`WAL write failed: ${(err as Error).message}`);
      }
      this.scheduleMaintenance();
    }
    if (rejected.series_limit) throw new SeriesLimitError(limit, result);
    return result;
  }

  /**
   * Records metric metadata (latest wins). Kept in memory and written to metadata.json in the background when it
   * changed: metadata is descriptive, the agent re-sends it, so it is not in the WAL's durability promise.
   */
  setMetadata(list: readonly MetricMetadata[]): void {
    let changed = false;
    for (const m of list) {
      const have = this.metadataByName.get(m.metricFamilyName);
      if (have && have.type === m.type && have.help === m.help && have.unit === m.unit) continue;
      this.metadataByName.set(m.metricFamilyName, { ...m });
      changed = true;
    }
    if (!changed || this.closed) return;
    this.metadataWrite = this.metadataWrite.then(async () => {
      const tmp = join(this.dir, `${METADATA_FILE}.tmp`);
      try {
        const fh = await open(tmp, 'w');
        try {
          await fh.write(JSON.stringify(this.metadataSorted()));
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, join(this.dir, METADATA_FILE));
      } catch (err) {
        this.opts.logger.warn({ dir: this.dir, err }, 'could not write metadata file');
      }
    });
  }

  private metadataSorted(): MetricMetadata[] {
    return [...this.metadataByName.values()].sort((a, b) => (a.metricFamilyName < b.metricFamilyName ? -1 : 1));
  }

  async metricMetadata(): Promise<MetricMetadata[]> {
    return this.metadataSorted();
  }

  /** Whether the WAL failed (the owner should reopen the database). */
  get failed(): boolean {
    return this.wal.failure !== undefined;
  }

  private needsCut(): boolean {
    const h = this.head;
    return h.numSamples > 0 && h.maxT - h.minT > this.opts.blockRangeMs * 1.5;
  }

  private scheduleMaintenance(): void {
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
      const t0 = Math.floor(this.head.minT / R) * R;
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
      while (this.head.numSamples > 0 && this.head.minT < t1) {
        const t0 = Math.floor(this.head.minT / R) * R;
        if (t0 + R > t1) break;
        await this.cutBlock(t0, t0 + R);
      }
      await this.truncateWal();
    });
  }

  private async cutBlock(t0: number, t1: number): Promise<void> {
    const head = this.head;
    head.sealBefore(t1);
    const entries = [...head.chunksInRange(t0, t1)].sort((a, b) => compareLabels(a.labels, b.labels));
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
    head.truncateBefore(t1);
    this.opts.logger.info({ dir: this.dir, minTime: t0, maxTime: t1, series: entries.length }, 'tsdb block cut from head');
  }

  private addBlock(b: BlockReader): void {
    this.blocks.push(b);
    this.blocks.sort((x, y) => x.meta.minTime - y.meta.minTime);
  }

  private async truncateWal(): Promise<void> {
    const head = this.head;
    if (head.minValidTime === -Infinity) return;
    await this.wal.truncateBefore(head.minValidTime, () =>
      encodeSeriesRecord([...head.byId.values()].sort((a, b) => a.id - b.id)),
    );
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
    this.opts.logger.info({ dir: this.dir, block: w.ulid, inputs: inputs.length, level: out.meta.compaction.level }, 'tsdb blocks compacted');
  }

  private retentionCutoff(): number {
    const last = this.blocks[this.blocks.length - 1];
    const newest = Math.max(this.head.maxT, last ? last.meta.maxTime : -Infinity);
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

  // Reads. The head part is read synchronously together with the block list snapshot, so a block cut or
  // compaction running meanwhile can neither hide nor double data.

  private acquireBlocks(mint: number, maxt: number): BlockReader[] {
    const bs = this.blocks.filter((b) => b.overlaps(mint, maxt));
    for (const b of bs) b.acquire();
    return bs;
  }

  async select(matchers: LabelMatcher[], mint: number, maxt: number): Promise<SeriesData[]> {
    const ms = compileMatchers(matchers);
    const blocks = this.acquireBlocks(mint, maxt);
    const parts: SeriesData[] = [];
    try {
      for (const s of this.head.matchingSeries(ms, mint, maxt)) {
        const d = this.head.samples(s, mint, maxt);
        if (d) parts.push(d);
      }
      const fromBlocks = await Promise.all(blocks.map((b) => b.samples(b.matchingSeries(ms, mint, maxt), mint, maxt)));
      for (const f of fromBlocks) parts.push(...f);
    } finally {
      for (const b of blocks) b.release();
    }
    return mergeSeriesData(parts);
  }

  exportSeries(matchers: LabelMatcher[], mint: number, maxt: number): Promise<SeriesData[]> {
    return this.select(matchers, mint, maxt);
  }

  private forEachMatchingLabels(
    ms: CompiledMatcher[],
    mint: number,
    maxt: number,
    fn: (labels: readonly { name: string; value: string }[]) => void,
  ): void {
    for (const s of this.head.matchingSeries(ms, mint, maxt)) if (this.head.hasChunkIn(s, mint, maxt)) fn(s.labels);
    for (const b of this.blocks) {
      if (!b.overlaps(mint, maxt)) continue;
      for (const s of b.matchingSeries(ms, mint, maxt)) fn(b.labels(s));
    }
  }

  async series(matchers: LabelMatcher[], mint: number, maxt: number): Promise<Label[][]> {
    const found = new Map<string, Label[]>();
    this.forEachMatchingLabels(compileMatchers(matchers), mint, maxt, (labels) => {
      const key = labelsKey(labels);
      if (!found.has(key)) found.set(key, labels as Label[]);
    });
    return [...found.values()].sort(compareLabels);
  }

  async labelNames(matchers: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    const names = new Set<string>();
    if (matchers.length === 0) {
      if (this.head.numSeries > 0 && this.head.maxT >= mint && this.head.minT <= maxt) {
        for (const n of this.head.labelNamesAll()) names.add(n);
      }
      for (const b of this.blocks) if (b.overlaps(mint, maxt)) for (const n of b.labelNamesAll()) names.add(n);
    } else {
      this.forEachMatchingLabels(compileMatchers(matchers), mint, maxt, (ls) => {
        for (const l of ls) names.add(l.name);
      });
    }
    return [...names].sort();
  }

  async labelValues(name: string, matchers: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    const values = new Set<string>();
    if (matchers.length === 0) {
      if (this.head.numSeries > 0 && this.head.maxT >= mint && this.head.minT <= maxt) {
        for (const v of this.head.labelValuesOf(name)) values.add(v);
      }
      for (const b of this.blocks) if (b.overlaps(mint, maxt)) for (const v of b.labelValuesOf(name)) values.add(v);
    } else {
      this.forEachMatchingLabels(compileMatchers(matchers), mint, maxt, (ls) => {
        for (const l of ls) if (l.name === name) values.add(l.value);
      });
    }
    return [...values].sort();
  }

  stats(): TenantStats {
    const h = this.head;
    let blockBytes = 0;
    for (const b of this.blocks) blockBytes += b.sizeBytes;
    const walBytes = this.wal.sizeBytes;
    return {
      headSeries: h.numSeries,
      headSamples: h.numSamples,
      headChunks: h.chunkCount,
      headMemoryBytes: h.memoryBytes(),
      headMinTime: h.minT,
      headMaxTime: h.maxT,
      blocks: this.blocks.length,
      blockBytes,
      walBytes,
      diskBytes: blockBytes + walBytes,
      replayMs: this.replayMs,
      samplesRejected: { ...this.rejectedTotals },
    };
  }

  /** Block metas, oldest first (for tests and status pages). */
  blockMetas(): BlockMeta[] {
    return this.blocks.map((b) => b.meta);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.maintenance) await this.maintenance;
    await this.metadataWrite;
    await this.wal.close();
    for (const b of this.blocks) await b.close();
  }
}

/** Merges parts of the same series from several sources (time-sorted, duplicates dropped) and sorts by labels. */
export function mergeSeriesData(parts: SeriesData[]): SeriesData[] {
  const byKey = new Map<string, SeriesData[]>();
  for (const p of parts) {
    const key = labelsKey(p.labels);
    const have = byKey.get(key);
    if (have) have.push(p);
    else byKey.set(key, [p]);
  }
  const out: SeriesData[] = [];
  for (const group of byKey.values()) {
    if (group.length === 1) {
      out.push(group[0]!);
      continue;
    }
    group.sort((a, b) => a.timestamps[0]! - b.timestamps[0]!);
    let n = 0;
    for (const g of group) n += g.timestamps.length;
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let end = 0;
    for (const g of group) {
      const gt = g.timestamps;
      // Sources rarely overlap (blocks never do); merge sample by sample only when they do.
      if (end === 0 || gt[0]! > ts[end - 1]!) {
        ts.set(gt, end);
        vs.set(g.values, end);
        end += gt.length;
        continue;
      }
      const mts = new Float64Array(end + gt.length);
      const mvs = new Float64Array(end + gt.length);
      let i = 0;
      let j = 0;
      let m = 0;
      while (i < end || j < gt.length) {
        if (j >= gt.length || (i < end && ts[i]! <= gt[j]!)) {
          if (j < gt.length && ts[i] === gt[j]) j++;
          mts[m] = ts[i]!;
          mvs[m++] = vs[i++]!;
        } else {
          mts[m] = gt[j]!;
          mvs[m++] = g.values[j++]!;
        }
      }
      ts.set(mts.subarray(0, m));
      vs.set(mvs.subarray(0, m));
      end = m;
    }
    out.push({ labels: group[0]!.labels, timestamps: ts.subarray(0, end), values: vs.subarray(0, end) });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}
