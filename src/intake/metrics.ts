import { Counter, Histogram, type Registry } from 'prom-client';

// The intake's families on /metrics: what the HTTP routes received and refused (intakeMetrics), and what the
// ingest pipeline made durable or not, for the HTTP intake and DogStatsD alike (ingestMetrics).

export type IntakeMetrics = ReturnType<typeof intakeMetrics>;
export type IngestMetrics = ReturnType<typeof ingestMetrics>;

export function intakeMetrics(registry: Registry) {
  return {
    /** Body sizes on the wire (`compressed`) and after decoding the Content-Encoding (`decompressed`). */
    payloadBytes: new Histogram({
      name: 'promdog_payload_bytes',
      help: 'Request body sizes by route template and stage (compressed = as received, decompressed = after Content-Encoding).',
      labelNames: ['route', 'stage'] as const,
      buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
      registers: [registry],
    }),
    /** Intake bodies decompressed and decoded, by route and where: a decode worker thread or the main thread. */
    bodiesDecoded: new Counter({
      name: 'promdog_intake_bodies_decoded_total',
      help: 'Intake bodies decompressed and decoded, by route template and thread (worker: limits.decode_workers; main: small bodies and other routes).',
      labelNames: ['route', 'thread'] as const,
      registers: [registry],
    }),
    /** Requests refused before their data was decoded or stored, by reason (auth, too_large, bad_encoding, decode...). */
    requestsRejected: new Counter({
      name: 'promdog_requests_rejected_total',
      help: 'Intake requests refused, by route template and reason.',
      labelNames: ['route', 'reason'] as const,
      registers: [registry],
    }),
  };
}

export function ingestMetrics(registry: Registry) {
  return {
    samplesAccepted: new Counter({
      name: 'promdog_samples_accepted_total',
      help: 'Samples written durably (store WAL or every remote target), by tenant and kind (series, sketch, service_check, dogstatsd).',
      labelNames: ['tenant', 'kind'] as const,
      registers: [registry],
    }),
    seriesAccepted: new Counter({
      name: 'promdog_series_accepted_total',
      help: 'Series (one per mapped label set per request) written durably, by tenant.',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    /** Samples decoded but not stored, by reason: sink_unavailable, sink_rejected, invalid_value, series_limit... */
    samplesRejected: new Counter({
      name: 'promdog_samples_rejected_total',
      help: 'Samples received but not stored, by tenant and reason.',
      labelNames: ['tenant', 'reason'] as const,
      registers: [registry],
    }),
    seriesRejected: new Counter({
      name: 'promdog_series_rejected_total',
      help: 'Series received but not stored, by tenant and reason.',
      labelNames: ['tenant', 'reason'] as const,
      registers: [registry],
    }),
    /** Accepted items that by design are not stored (inventories), with the reason. */
    itemsNotStored: new Counter({
      name: 'promdog_items_not_stored_total',
      help: 'Accepted items that are not stored, by tenant, kind (inventory) and reason (not_stored).',
      labelNames: ['tenant', 'kind', 'reason'] as const,
      registers: [registry],
    }),
    hostMetadataReceived: new Counter({
      name: 'promdog_host_metadata_total',
      help: 'Host metadata payloads received (their host tags are joined onto that host series), by tenant.',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
  };
}
