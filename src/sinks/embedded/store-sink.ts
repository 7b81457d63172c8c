import type { WriteBatch } from '../../model/prometheus.js';
import type { SelfMetrics } from '../../selfmon/metrics.js';
import { SinkRejectedError, SinkUnavailableError, type Sink } from '../sink.js';
import { SeriesLimitError, type AppendResult } from '../../tsdb/db.js';
import type { Storage } from '../../tsdb/storage.js';

const RETRY_AFTER_SECONDS = 5;

/**
 * The embedded store as a sink: appends each batch to its tenant's database and resolves after the WAL fsync.
 * Counts only rejections (`promdog_samples_rejected_total{tenant,reason}` with the store's reasons: too_old,
 * duplicate_timestamp, too_far_in_future, invalid_timestamp, invalid_labels, series_limit, and sink_unavailable for
 * batches that failed as a whole); accepted samples are counted by the HTTP layer. Identical re-sent samples are
 * neither accepted nor rejected: they are already stored.
 */
export class EmbeddedStoreSink implements Sink {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly storage: Storage,
    private readonly metrics: SelfMetrics,
  ) {}

  private countRejected(tenant: string, result: AppendResult): void {
    for (const [reason, n] of Object.entries(result.rejected)) {
      if (n) this.metrics.samplesRejected.inc({ tenant, reason }, n);
    }
  }

  async write(batch: WriteBatch, deadline: number): Promise<void> {
    const { tenant } = batch;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SinkUnavailableError('embedded store did not make the batch durable before the deadline', RETRY_AFTER_SECONDS)),
        Math.max(0, deadline - Date.now()),
      );
    });
    const append = this.storage.append(tenant, batch.series, batch.metadata);
    const settled = append.catch(() => {});
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    try {
      const result = await Promise.race([append, timeout]);
      this.countRejected(tenant, result);
    } catch (err) {
      if (err instanceof SeriesLimitError) {
        this.countRejected(tenant, err.result);
        throw new SinkRejectedError(err.message);
      }
      let samples = 0;
      for (const s of batch.series) samples += s.timestamps.length;
      this.metrics.samplesRejected.inc({ tenant, reason: 'sink_unavailable' }, samples);
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
