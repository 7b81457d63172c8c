import { histogramSampleCount, type PromSeries, type WriteBatch } from '../../model/prometheus.js';
import { SinkUnavailableError, type RejectedSamples, type Sink, type WriteOutcome } from '../sink.js';
import { SeriesLimitError } from '../../tsdb/db.js';
import type { Storage } from '../../tsdb/storage.js';

const RETRY_AFTER_SECONDS = 5;
/**
 * The reason native histogram samples are refused with: the store keeps float samples only, for now (the
 * configuration refuses `mapping.distributions` modes that make them in local mode, so none should come).
 */
export const HISTOGRAMS_NOT_STORED = 'native_histograms_not_stored';

/**
 * The embedded store as a sink: appends each batch to its tenant's database and resolves after the WAL fsync,
 * reporting the samples the store's write rules refused (too_old, duplicate_timestamp, too_far_in_future,
 * invalid_timestamp, invalid_labels, series_limit) and the new series its active-series limit refused. Identical
 * re-sent samples are neither: they are already stored. Native histogram samples are reported refused
 * (HISTOGRAMS_NOT_STORED), never dropped silently.
 */
export class EmbeddedStoreSink implements Sink {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly storage: Storage) {}

  async write(batch: WriteBatch, deadline: number): Promise<WriteOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SinkUnavailableError(
              'embedded store did not make the batch durable before the deadline',
              RETRY_AFTER_SECONDS,
            ),
          ),
        Math.max(0, deadline - Date.now()),
      );
    });
    const histograms = histogramSampleCount(batch.series);
    const series = histograms === 0 ? batch.series : floatSeries(batch.series);
    const append = this.storage.append(batch.tenant, series, batch.metadata);
    const settled = append.catch(() => {});
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    try {
      const result = await Promise.race([append, timeout]);
      return { rejected: withHistograms(result.rejected, histograms) };
    } catch (err) {
      // The rest of the batch is durable.
      if (err instanceof SeriesLimitError) {
        const limit = `the tenant is at its limit of ${err.limit} active series (storage.max_active_series_per_tenant)`;
        const rejected = withHistograms(err.result.rejected, histograms);
        return { rejected, refusedSeries: { reason: err.reason, series: err.series, limit } };
      }
      if (err instanceof SinkUnavailableError) throw err;
      throw new SinkUnavailableError(`embedded store: ${(err as Error).message}`, RETRY_AFTER_SECONDS);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for appends in flight. The Storage is shared with the query side: its owner closes it. */
  async close(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}

/** The series that have float samples, without their histogram samples (the store would not read them). */
function floatSeries(series: readonly PromSeries[]): PromSeries[] {
  const out: PromSeries[] = [];
  for (const s of series) {
    if (s.timestamps.length === 0) continue;
    out.push(
      s.histograms === undefined ? s : { labels: s.labels, timestamps: s.timestamps, values: s.values, ref: s.ref },
    );
  }
  return out;
}

function withHistograms(rejected: RejectedSamples, histograms: number): RejectedSamples {
  return histograms === 0 ? rejected : { ...rejected, [HISTOGRAMS_NOT_STORED]: histograms };
}
