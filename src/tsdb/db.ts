// One tenant's database (head + WAL + blocks in one directory): opening it, its public surface, and closing it.
// The work is done by the parts: replay.ts (recovery on open), appender.ts (append path), metadata.ts,
// compactor.ts (blocks cut from the head, merged and expired in the background) and querier.ts (reads).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Label, MetricMetadata, PromSeries } from '../model/prometheus.js';
import type {
  LabelMatcher,
  Querier,
  ReadHints,
  SelectHints,
  SeriesColumns,
  SeriesData,
  SeriesHints,
} from '../model/storage.js';
import { seriesDataOf } from '../model/series-columns.js';
import { Appender, TsdbUnavailableError, type AppendResult, type RejectReason } from './appender.js';
import type { BlockMeta } from './block.js';
import { Compactor } from './compactor.js';
import { silentLogger, type TsdbLogger } from './fsutil.js';
import { Head } from './head.js';
import { HistogramHead } from './histogram-head.js';
import { MetadataStore } from './metadata.js';
import { HeadBlockQuerier } from './querier.js';
import { openBlocks, replayWal } from './replay.js';
import type { Wal } from './wal.js';

export { SeriesLimitError, TsdbUnavailableError, type AppendResult, type RejectReason } from './appender.js';

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
  exportSeries(matchers: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints): Promise<SeriesData[]>;
  /** Metric metadata (type, help, unit) last received per metric family, sorted by name. */
  metricMetadata(): Promise<MetricMetadata[]>;
}

/** One tenant's database: head + WAL + blocks in `dir`. */
export class TenantDb implements TsdbQuerier {
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly opts: TsdbOptions,
    private readonly head: Head,
    private readonly histograms: HistogramHead,
    private readonly wal: Wal,
    private readonly compactor: Compactor,
    private readonly appender: Appender,
    private readonly metadata: MetadataStore,
    private readonly querier: HeadBlockQuerier,
    private readonly replayMs: number,
  ) {}

  static async open(dir: string, options: Partial<TsdbOptions> = {}): Promise<TenantDb> {
    const opts: TsdbOptions = { ...DEFAULT_TSDB_OPTIONS, ...options };
    const started = performance.now();
    const log = opts.logger;
    await mkdir(join(dir, 'wal'), { recursive: true });
    const blocks = await openBlocks(dir, log);
    const head = new Head(opts.blockRangeMs);
    const histograms = new HistogramHead(opts.blockRangeMs);
    head.holdsSamplesElsewhere = (id) => histograms.has(id);
    const last = blocks[blocks.length - 1];
    if (last) head.minValidTime = last.meta.maxTime;
    const metadata = await MetadataStore.open(dir, log);
    const { wal, samples } = await replayWal(dir, head, histograms, opts);
    const replayMs = performance.now() - started;
    log.info(
      { dir, blocks: blocks.length, series: head.numSeries, walSamples: samples, ms: Math.round(replayMs) },
      'tsdb opened',
    );
    const compactor = new Compactor(dir, opts, head, histograms, wal, blocks);
    const appender = new Appender(dir, opts, head, histograms, wal, () => compactor.scheduleMaintenance());
    const querier = new HeadBlockQuerier(head, histograms, () => compactor.blockList());
    const db = new TenantDb(dir, opts, head, histograms, wal, compactor, appender, metadata, querier, replayMs);
    compactor.scheduleMaintenance();
    return db;
  }

  /**
   * Appends series samples. Resolves after the accepted samples are fsync'd in the WAL. Samples refused by the
   * write rules are counted in the result; refused new series (active-series limit) make it throw SeriesLimitError
   * after the rest is durable.
   */
  async append(batch: readonly PromSeries[]): Promise<AppendResult> {
    if (this.closed) throw new TsdbUnavailableError('database is closed');
    return this.appender.append(batch);
  }

  /** Records metric metadata (latest wins); written to disk in the background, see metadata.ts. */
  setMetadata(list: readonly MetricMetadata[]): void {
    this.metadata.set(list);
  }

  async metricMetadata(): Promise<MetricMetadata[]> {
    return this.metadata.sorted();
  }

  /** Whether the WAL failed (the owner should reopen the database). */
  get failed(): boolean {
    return this.wal.failure !== undefined;
  }

  /** Waits for background work and then runs a full maintenance pass (for tests and shutdown). */
  flushMaintenance(): Promise<void> {
    return this.compactor.flushMaintenance();
  }

  /**
   * Persists every head chunk before `t1` into blocks of the block range (tests; normally the head keeps the last
   * half range in memory).
   */
  cutHeadBefore(t1: number): Promise<void> {
    return this.compactor.cutHeadBefore(t1);
  }

  select(matchers: LabelMatcher[], mint: number, maxt: number, hints?: SelectHints): Promise<SeriesColumns> {
    return this.querier.select(matchers, mint, maxt, hints);
  }

  async exportSeries(matchers: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints): Promise<SeriesData[]> {
    return seriesDataOf(await this.querier.select(matchers, mint, maxt, hints));
  }

  series(matchers: LabelMatcher[], mint: number, maxt: number, hints?: SeriesHints): Promise<Label[][]> {
    return this.querier.series(matchers, mint, maxt, hints);
  }

  labelNames(matchers: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints): Promise<string[]> {
    return this.querier.labelNames(matchers, mint, maxt, hints);
  }

  labelValues(
    name: string,
    matchers: LabelMatcher[],
    mint: number,
    maxt: number,
    hints?: ReadHints,
  ): Promise<string[]> {
    return this.querier.labelValues(name, matchers, mint, maxt, hints);
  }

  stats(): TenantStats {
    const h = this.head;
    const blocks = this.compactor.blockList();
    let blockBytes = 0;
    for (const b of blocks) blockBytes += b.sizeBytes;
    const walBytes = this.wal.sizeBytes;
    const hh = this.histograms;
    return {
      headSeries: h.numSeries,
      headSamples: h.numSamples + hh.numSamples,
      headChunks: h.chunkCount + hh.chunkCount,
      headMemoryBytes: h.memoryBytes() + hh.memoryBytes(),
      headMinTime: Math.min(h.minT, hh.minT),
      headMaxTime: Math.max(h.maxT, hh.maxT),
      blocks: blocks.length,
      blockBytes,
      walBytes,
      diskBytes: blockBytes + walBytes,
      replayMs: this.replayMs,
      samplesRejected: { ...this.appender.rejectedTotals },
    };
  }

  /** Block metas, oldest first (for tests and status pages). */
  blockMetas(): BlockMeta[] {
    return this.compactor.blockList().map((b) => b.meta);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Maintenance and metadata writes both stop taking new work now, then finish what runs.
    await Promise.all([this.compactor.close(), this.metadata.close()]);
    await this.wal.close();
    for (const b of this.compactor.blockList()) await b.close();
  }
}
