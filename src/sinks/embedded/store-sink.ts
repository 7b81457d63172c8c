import type { WriteBatch } from '../../model/prometheus.js';
import { SinkUnavailableError, type Sink, type WriteOutcome } from '../sink.js';
import { SeriesLimitError } from '../../tsdb/db.js';
import type { Storage } from '../../tsdb/storage.js';

const RETRY_AFTER_SECONDS = 5;

/**
 * The embedded store as a sink: appends each batch to its tenant's database and resolves after the WAL fsync,
 * reporting the samples the store's write rules refused (too_old, duplicate_timestamp, too_far_in_future,
 * invalid_timestamp, invalid_labels, series_limit, histogram_out_of_order) and the new series its active-series
 * limit refused. Identical re-sent samples are neither: they are already stored. Float and native histogram samples
 * alike.
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
    const append = this.storage.append(batch.tenant, batch.series, batch.metadata);
    const settled = append.catch(() => {});
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    try {
      const result = await Promise.race([append, timeout]);
      return { rejected: result.rejected };
    } catch (err) {
      // The rest of the batch is durable.
      if (err instanceof SeriesLimitError) {
        const limit = `the tenant is at its limit of ${err.limit} active series (storage.max_active_series_per_tenant)`;
        return { rejected: err.result.rejected, refusedSeries: { reason: err.reason, series: err.series, limit } };
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
