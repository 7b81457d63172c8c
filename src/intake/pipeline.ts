import type { DecodedPayload } from '../model/datadog.js';
import { sampleCount } from '../model/prometheus.js';
import type { HostLookup, Mapper } from '../mapping/index.js';
import type { Sink } from '../sinks/sink.js';
import { SinkRejectedError, SinkUnavailableError, type RejectedSamples } from '../sinks/sink.js';
import type { Registry } from 'prom-client';
import { EventStoreUnavailableError, type EventAppendResult, type EventWriter } from '../events/store.js';
import { ingestMetrics, type IngestMetrics } from './metrics.js';

// The one way data flows after decoding, for the HTTP intake and DogStatsD alike: map to Prometheus series, write
// to the sink, write events to the event store, count what was accepted, rejected and (by design) not stored.

export type IngestKind = 'series' | 'sketch' | 'distribution' | 'service_check' | 'metadata' | 'event' | 'dogstatsd';

/** What became of a payload's events (its samples are counted in the metrics). */
export interface IngestOutcome {
  events: EventAppendResult;
}

export class IngestPipeline {
  /** Declared on the registry given; the self-scrape counts the system tenant's lost samples in samplesRejected too. */
  readonly metrics: IngestMetrics;

  constructor(
    private readonly mapper: Mapper,
    private readonly sink: Sink,
    registry: Registry,
    private readonly events: EventWriter,
    /** Gateway replicas: host metadata another replica received, read back before a new host's series are written. */
    private readonly hostLookup?: HostLookup,
  ) {
    this.metrics = ingestMetrics(registry);
  }

  /**
   * Resolves when the payload's samples and events are durable; rejects with the sink's error (counted here), or
   * SinkUnavailableError when the event store could not write. Samples go first: when they fail, no event is
   * stored, so the client's retry does not store its events twice.
   */
  async ingest(tenant: string, kind: IngestKind, payload: DecodedPayload, deadline: number): Promise<IngestOutcome> {
    const m = this.metrics;
    if (payload.hostMetadata.length) m.hostMetadataReceived.inc({ tenant }, payload.hostMetadata.length);
    const nowMs = Date.now();
    let mapped = this.mapper.map(tenant, payload, nowMs);
    if (
      mapped.hostsWithoutMetadata.length > 0 &&
      this.hostLookup !== undefined &&
      (await this.hostLookup.resolve(tenant, mapped.hostsWithoutMetadata, deadline))
    ) {
      // Host tags learnt: mapped again, the hosts' series get them.
      mapped = this.mapper.map(tenant, payload, nowMs);
    }
    if (mapped.invalid > 0) {
      for (const [reason, n] of Object.entries(mapped.dropped)) if (n > 0) m.samplesRejected.inc({ tenant, reason }, n);
    }
    const samples = sampleCount(mapped.series);
    const countRejected = (rejected: RejectedSamples): number => {
      let n = 0;
      for (const [reason, k] of Object.entries(rejected)) {
        if (!k) continue;
        m.samplesRejected.inc({ tenant, reason }, k);
        n += k;
      }
      return n;
    };
    let refused = 0;
    try {
      if (mapped.series.length > 0) {
        refused = countRejected(
          (await this.sink.write({ tenant, series: mapped.series, metadata: mapped.metadata }, deadline)).rejected,
        );
      }
    } catch (e) {
      if (e instanceof SinkRejectedError && e.rejected) {
        // Part of the batch was refused (e.g. new series over the limit); the rest is durable.
        const stored = samples - countRejected(e.rejected);
        if (stored > 0) m.samplesAccepted.inc({ tenant, kind }, stored);
        throw e;
      }
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
    try {
      // The event store counts what it stores and refuses.
      return { events: await this.events.append(tenant, payload.events) };
    } catch (e) {
      if (e instanceof EventStoreUnavailableError) throw new SinkUnavailableError(e.message, 1);
      throw e;
    }
  }
}
