import type { DecodedPayload } from '../model/datadog.js';
import { sampleCount } from '../model/prometheus.js';
import { describeRefusal, type HostLookup, type Mapper, type SeriesRefusal } from '../mapping/index.js';
import type { Sink } from '../sinks/sink.js';
import { SinkRejectedError, SinkUnavailableError } from '../sinks/sink.js';
import type { Registry } from 'prom-client';
import { EventStoreUnavailableError, type EventAppendResult, type EventWriter } from '../events/store.js';
import { ingestMetrics, type IngestMetrics } from './metrics.js';
import { IngestRateLimiter, RateLimitedError, type IngestRateLimit } from './ingest-rate.js';

// The one way data flows after decoding, for the HTTP intake and DogStatsD alike: map to Prometheus series, write
// to the sink, write events to the event store, count what was accepted, rejected and (by design) not stored.

export type IngestKind = 'series' | 'sketch' | 'distribution' | 'service_check' | 'metadata' | 'event' | 'dogstatsd';

/** What became of a payload's events (its samples are counted in the metrics). */
export interface IngestOutcome {
  events: EventAppendResult;
  /** Set when the payload had series and limits refused every one: what was refused and by which limits. */
  everySeriesRefused?: string;
}

export interface IngestLimits {
  /** Datadog series, distributions and service checks one HTTP request may hold; 0 = no bound. */
  maxSeriesPerRequest: number;
  /** A tenant's samples per second (`limits.samples_per_second`, or its own), undefined when not bounded. */
  samplesRate: (tenant: string) => IngestRateLimit | undefined;
}

export class IngestPipeline {
  /** Declared on the registry given; the self-scrape counts the system tenant's lost samples in samplesRejected too. */
  readonly metrics: IngestMetrics;
  private readonly rate: IngestRateLimiter;

  constructor(
    private readonly mapper: Mapper,
    private readonly sink: Sink,
    registry: Registry,
    private readonly events: EventWriter,
    private readonly limits: IngestLimits,
    /** Gateway replicas: host metadata another replica received, read back before a new host's series are written. */
    private readonly hostLookup?: HostLookup,
  ) {
    this.metrics = ingestMetrics(registry);
    this.rate = new IngestRateLimiter(limits.samplesRate);
  }

  /**
   * Resolves when the payload's samples and events are durable; rejects with the sink's error (counted here), or
   * SinkUnavailableError when the event store could not write. Samples go first: when they fail, no event is
   * stored, so the client's retry does not store its events twice. DogStatsD flushes have no series-per-request
   * bound: max_contexts bounds them. Over the tenant's samples per second, an HTTP payload is refused whole before
   * anything of it is stored (RateLimitedError: the client sends it again later); a DogStatsD flush loses its
   * samples and keeps its events.
   */
  async ingest(tenant: string, kind: IngestKind, payload: DecodedPayload, deadline: number): Promise<IngestOutcome> {
    const m = this.metrics;
    if (payload.hostMetadata.length) m.hostMetadataReceived.inc({ tenant }, payload.hostMetadata.length);
    const maxSeries = kind === 'dogstatsd' ? 0 : this.limits.maxSeriesPerRequest;
    const nowMs = Date.now();
    let mapped = this.mapper.map(tenant, payload, nowMs, maxSeries);
    if (
      mapped.hostsWithoutMetadata.length > 0 &&
      this.hostLookup !== undefined &&
      (await this.hostLookup.resolve(tenant, mapped.hostsWithoutMetadata, deadline))
    ) {
      // Host tags learnt: mapped again, the hosts' series get them.
      mapped = this.mapper.map(tenant, payload, nowMs, maxSeries);
    }
    let samples = sampleCount(mapped.series);
    const waitSeconds = this.rate.take(tenant, samples, Date.now());
    if (waitSeconds > 0) {
      m.samplesRejected.inc({ tenant, reason: 'rate_limited' }, samples);
      m.seriesRejected.inc({ tenant, reason: 'rate_limited' }, mapped.series.length);
      if (kind !== 'dogstatsd') {
        const limit = this.rate.limit(tenant)!;
        throw new RateLimitedError(
          `${samples} samples over the ingestion rate limit of ${limit.samplesPerSecond} samples/s with a burst of ` +
            `${limit.burst} (limits.samples_per_second, limits.samples_burst): send them again later`,
          waitSeconds,
        );
      }
      mapped = { ...mapped, series: [], metadata: [] };
      samples = 0;
    }
    if (mapped.invalid > 0) {
      for (const [reason, n] of Object.entries(mapped.dropped)) if (n > 0) m.samplesRejected.inc({ tenant, reason }, n);
    }
    // What limits refused, in words, for the answer when nothing was stored.
    const limitRefusals: string[] = [];
    for (const [r, n] of Object.entries(mapped.refusedSeries)) {
      const reason = r as SeriesRefusal;
      m.seriesRejected.inc({ tenant, reason }, n);
      if (reason !== 'invalid_metric_name')
        limitRefusals.push(`${n} series: ${describeRefusal(reason, this.mapper.limits, maxSeries)}`);
    }
    for (const [reason, n] of Object.entries(mapped.refusedHostMetadata))
      m.itemsNotStored.inc({ tenant, kind: 'host_metadata', reason }, n);
    let refused = 0;
    try {
      if (mapped.series.length > 0) {
        const outcome = await this.sink.write({ tenant, series: mapped.series, metadata: mapped.metadata }, deadline);
        for (const [reason, k] of Object.entries(outcome.rejected)) {
          if (!k) continue;
          m.samplesRejected.inc({ tenant, reason }, k);
          refused += k;
        }
        const bySink = outcome.refusedSeries;
        if (bySink !== undefined) {
          m.seriesRejected.inc({ tenant, reason: bySink.reason }, bySink.series);
          limitRefusals.push(`${bySink.series} series: ${bySink.limit}`);
        }
      }
    } catch (e) {
      const reason =
        e instanceof SinkRejectedError
          ? 'sink_rejected'
          : e instanceof SinkUnavailableError
            ? 'sink_unavailable'
            : 'sink_error';
      m.samplesRejected.inc({ tenant, reason }, samples);
      m.seriesRejected.inc({ tenant, reason }, mapped.series.length);
      throw e;
    }
    if (samples > refused) m.samplesAccepted.inc({ tenant, kind }, samples - refused);
    if (mapped.series.length) m.seriesAccepted.inc({ tenant }, mapped.series.length);
    // Accepted but not turned into samples: counted, documented, never silent.
    if (payload.inventories)
      m.itemsNotStored.inc({ tenant, kind: 'inventory', reason: 'not_stored' }, payload.inventories);
    let events: EventAppendResult;
    try {
      // The event store counts what it stores and refuses.
      events = await this.events.append(tenant, payload.events);
    } catch (e) {
      if (e instanceof EventStoreUnavailableError) throw new SinkUnavailableError(e.message, 1);
      throw e;
    }
    if (samples > refused || limitRefusals.length === 0) return { events };
    return { events, everySeriesRefused: `every series was refused: ${limitRefusals.join('; ')}` };
  }
}
