// The append path: checks samples against the write rules, adds them to the head and logs what was accepted in
// the WAL, one record per append, fsync'd before the append resolves.
import type { PromHistogramSamples, PromSeries } from '../model/prometheus.js';
import type { TsdbOptions } from './db.js';
import { AppendOutcome, HeadSeries, type AppendWindow, type Head } from './head.js';
import type { HistogramHead } from './histogram-head.js';
import { encodeHistogramSamplesRecord, type HistogramSampleEntry } from './histogram-wal.js';
import { canonicalLabels, hashLabels } from './labels.js';
import { encodeSamplesRecord, encodeSeriesRecord, type Wal } from './wal.js';

/** Reasons samples are refused (the keys of AppendResult.rejected; also self-metric label values). */
export type RejectReason =
  | 'too_old'
  | 'duplicate_timestamp'
  | 'too_far_in_future'
  | 'invalid_timestamp'
  | 'invalid_labels'
  | 'series_limit'
  /** A native histogram sample older than its series' newest (histogram-head.ts keeps them in order only). */
  | 'histogram_out_of_order';

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
 * stored durably before this was thrown; `result` says what, `series` how many new series were refused.
 */
export class SeriesLimitError extends Error {
  override name = 'SeriesLimitError';
  readonly reason = 'series_limit';
  constructor(
    readonly limit: number,
    readonly result: AppendResult,
    readonly series: number,
  ) {
    super(`active series limit (${limit}) reached: ${result.rejected.series_limit ?? 0} samples of new series refused`);
  }
}

/** ±2^52 ms (±142,000 years): keeps timestamp deltas exact in the WAL's varints. */
const MAX_TIMESTAMP = 2 ** 52;

/** Why a sample at `t` is refused before the head sees it, if it is. */
function timestampRefusal(t: number, futureLimit: number): RejectReason | undefined {
  if (!Number.isSafeInteger(t) || t > MAX_TIMESTAMP || t < -MAX_TIMESTAMP) return 'invalid_timestamp';
  if (t > futureLimit) return 'too_far_in_future';
  return undefined;
}

/** Counts a head outcome in `result`; whether the sample is to be logged (stored, or an identical re-send). */
function counted(outcome: AppendOutcome, result: AppendResult): boolean {
  if (outcome === AppendOutcome.Appended) result.accepted++;
  else if (outcome === AppendOutcome.Identical) result.duplicates++;
  else {
    const reason: RejectReason =
      outcome === AppendOutcome.TooOld
        ? 'too_old'
        : outcome === AppendOutcome.OutOfOrder
          ? 'histogram_out_of_order'
          : 'duplicate_timestamp';
    result.rejected[reason] = (result.rejected[reason] ?? 0) + 1;
    return false;
  }
  return true;
}

export class Appender {
  /** Samples refused since the database opened, by reason. */
  readonly rejectedTotals: Partial<Record<RejectReason, number>> = {};
  private scratchIds = new Uint32Array(0);
  private scratchTs = new Float64Array(0);
  private scratchVs = new Float64Array(0);

  constructor(
    private readonly dir: string,
    private readonly opts: Pick<
      TsdbOptions,
      'blockRangeMs' | 'outOfOrderWindowMs' | 'futureToleranceMs' | 'maxActiveSeries' | 'logger'
    >,
    private readonly head: Head,
    private readonly histograms: HistogramHead,
    private readonly wal: Wal,
    /** Called after a record reached the WAL: the head grew, maintenance may be due. */
    private readonly onLogged: () => void,
  ) {}

  /**
   * Appends series samples. Resolves after the accepted samples are fsync'd in the WAL. Samples refused by the
   * write rules are counted in the result; refused new series (active-series limit) make it throw SeriesLimitError
   * after the rest is durable.
   */
  async append(batch: readonly PromSeries[]): Promise<AppendResult> {
    const walFailure = this.wal.failure;
    if (walFailure) throw new TsdbUnavailableError(walFailure.message);
    const head = this.head;
    const now = Date.now();
    const newest = Math.min(Math.max(head.maxT, this.histograms.maxT), now);
    // The appendable range is half a block back from the newest sample, as in Prometheus (1 h with 2 h blocks).
    const window = {
      inOrderBefore: newest - this.opts.blockRangeMs / 2,
      outOfOrderBefore: newest - this.opts.outOfOrderWindowMs,
    };
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
    let refusedSeries = 0;
    const histogramEntries: HistogramSampleEntry[] = [];
    for (const ps of batch) {
      const n = ps.timestamps.length;
      const nh = ps.histograms?.timestamps.length ?? 0;
      if (n === 0 && nh === 0) continue;
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
              rejected.series_limit = (rejected.series_limit ?? 0) + n + nh;
              refusedSeries++;
              continue;
            }
            series = head.create(labels, hash);
            newSeries.push(series);
          } else if (Object.isFrozen(labels)) {
            // Found by equal labels (e.g. created by WAL replay, its labels packed): share the mapper's array
            // instead of keeping two (reading series.labels to compare would build a packed series' array).
            series.labels = labels;
          }
        } catch {
          rejected.invalid_labels = (rejected.invalid_labels ?? 0) + n + nh;
          continue;
        }
        if (ref !== undefined) ref.sinkState = series;
      }
      const pts = ps.timestamps;
      const pvs = ps.values;
      for (let j = 0; j < n; j++) {
        const t = pts[j]!;
        const v = pvs[j]!;
        const refused = timestampRefusal(t, futureLimit);
        if (refused !== undefined) {
          rejected[refused] = (rejected[refused] ?? 0) + 1;
          continue;
        }
        if (!counted(head.append(series, t, v, window), result)) continue;
        // Identical re-sends are logged again: a retry after a failed fsync must become durable.
        ids[k] = series.id;
        ts[k] = t;
        vs[k] = v;
        k++;
        if (t > maxT) maxT = t;
      }
      if (nh > 0) {
        const newestHistogram = this.appendHistograms(
          series,
          ps.histograms!,
          window,
          futureLimit,
          result,
          histogramEntries,
        );
        if (newestHistogram > maxT) maxT = newestHistogram;
      }
    }
    for (const r in rejected) {
      const reason = r as RejectReason;
      this.rejectedTotals[reason] = (this.rejectedTotals[reason] ?? 0) + rejected[reason]!;
    }
    if (newSeries.length > 0 || k > 0 || histogramEntries.length > 0) {
      let record: Uint8Array;
      const samplesRecord = k > 0 ? encodeSamplesRecord(ids, ts, vs, k) : undefined;
      if (newSeries.length > 0) {
        const seriesRecord = encodeSeriesRecord(newSeries);
        record = samplesRecord ? Buffer.concat([seriesRecord, samplesRecord]) : seriesRecord;
      } else record = samplesRecord ?? new Uint8Array(0);
      // One record for the append, one fsync: the series record comes first, replay needs it before the samples.
      if (histogramEntries.length > 0) record = Buffer.concat([record, encodeHistogramSamplesRecord(histogramEntries)]);
      try {
        await this.wal.log(record, maxT);
      } catch (err) {
        this.opts.logger.error(
          { dir: this.dir, err },
          'WAL write failed; appends refused until the database is reopened',
        );
        throw new TsdbUnavailableError(`WAL write failed: ${(err as Error).message}`);
      }
      this.onLogged();
    }
    if (refusedSeries > 0) throw new SeriesLimitError(limit, result, refusedSeries);
    return result;
  }

  /**
   * Appends one series' histogram samples to the histogram head, counting outcomes in `result` and adding what is
   * to be logged to `entries`; returns the newest timestamp logged.
   */
  private appendHistograms(
    series: HeadSeries,
    samples: PromHistogramSamples,
    window: AppendWindow,
    futureLimit: number,
    result: AppendResult,
    entries: HistogramSampleEntry[],
  ): number {
    const rejected = result.rejected;
    let maxT = -Infinity;
    for (let j = 0; j < samples.timestamps.length; j++) {
      const t = samples.timestamps[j]!;
      const h = samples.histograms[j]!;
      const refused = timestampRefusal(t, futureLimit);
      if (refused !== undefined) {
        rejected[refused] = (rejected[refused] ?? 0) + 1;
        continue;
      }
      if (!counted(this.histograms.append(series.id, t, h, window, this.head.minValidTime), result)) continue;
      // Identical ones too, as for floats: a retry after a failed fsync must become durable.
      entries.push({ id: series.id, t, h });
      if (t > maxT) maxT = t;
    }
    return maxT;
  }
}
