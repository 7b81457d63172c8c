import type { WriteBatch } from '../model/prometheus.js';

/** Samples a sink refused by its write rules, by reason (`too_old`, `series_limit`...). */
export type RejectedSamples = Partial<Record<string, number>>;

export interface WriteOutcome {
  /** Samples of the batch not stored, by reason; everything else is durable. */
  rejected: RejectedSamples;
  /** New series the sink's own limit refused (the store's active series per tenant), and that limit in words. */
  refusedSeries?: { reason: string; series: number; limit: string };
}

/** Where mapped samples go: the embedded store or remote-write targets. Sinks report; the pipeline counts. */
export interface Sink {
  /**
   * Resolves once the batch is durable (embedded store: in the WAL; remote write: every target answered 2xx).
   * Rejects with SinkUnavailableError (→ 503 + Retry-After) or SinkRejectedError (→ 400).
   * `deadline` is an absolute Date.now() by which the call must settle.
   */
  write(batch: WriteBatch, deadline: number): Promise<WriteOutcome>;
  /** Flush what is in flight and release resources. */
  close(): Promise<void>;
}

/** The store or a target is unavailable now; the client should retry later. */
export class SinkUnavailableError extends Error {
  override name = 'SinkUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A target refused the data itself (a 4xx); retrying the same data will not help. Nothing was stored. */
export class SinkRejectedError extends Error {
  override name = 'SinkRejectedError';
}
