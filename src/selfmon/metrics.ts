import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every self-metric promdog exports on /metrics, in one place so their names and labels stay consistent.
 * One instance per server (tests run several servers in one process), passed to the parts that count.
 */
export class SelfMetrics {
  readonly registry = new Registry();

  /**
   * HTTP requests by tenant (the one the request's API key resolved to; '' for a missing or unknown key and for
   * routes that take none), route template (`/api/v2/series`, `unmatched` for 404s), method and status code.
   */
  readonly httpRequests = new Counter({
    name: 'promdog_http_requests_total',
    help: 'HTTP requests answered, by tenant (empty: no or unknown API key), route template, method and status code.',
    labelNames: ['tenant', 'route', 'method', 'code'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'promdog_http_request_duration_seconds',
    help: 'Time from request start to response, by route template.',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [this.registry],
  });

  /** Body sizes on the wire (`compressed`) and after decoding the Content-Encoding (`decompressed`). */
  readonly payloadBytes = new Histogram({
    name: 'promdog_payload_bytes',
    help: 'Request body sizes by route template and stage (compressed = as received, decompressed = after Content-Encoding).',
    labelNames: ['route', 'stage'] as const,
    buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
    registers: [this.registry],
  });

  /** Intake bodies decompressed and decoded, by route and where: a decode worker thread or the main thread. */
  readonly bodiesDecoded = new Counter({
    name: 'promdog_intake_bodies_decoded_total',
    help: 'Intake bodies decompressed and decoded, by route template and thread (worker: limits.decode_workers; main: small bodies and other routes).',
    labelNames: ['route', 'thread'] as const,
    registers: [this.registry],
  });

  /** Requests refused before their data was decoded or stored, by reason (auth, too_large, bad_encoding, decode...). */
  readonly requestsRejected = new Counter({
    name: 'promdog_requests_rejected_total',
    help: 'Intake requests refused, by route template and reason.',
    labelNames: ['route', 'reason'] as const,
    registers: [this.registry],
  });

  readonly samplesAccepted = new Counter({
    name: 'promdog_samples_accepted_total',
    help: 'Samples written durably (store WAL or every remote target), by tenant and kind (series, sketch, service_check, dogstatsd).',
    labelNames: ['tenant', 'kind'] as const,
    registers: [this.registry],
  });

  readonly seriesAccepted = new Counter({
    name: 'promdog_series_accepted_total',
    help: 'Series (one per mapped label set per request) written durably, by tenant.',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  /** Samples decoded but not stored, by reason: sink_unavailable, sink_rejected, invalid_value, series_limit... */
  readonly samplesRejected = new Counter({
    name: 'promdog_samples_rejected_total',
    help: 'Samples received but not stored, by tenant and reason.',
    labelNames: ['tenant', 'reason'] as const,
    registers: [this.registry],
  });

  readonly seriesRejected = new Counter({
    name: 'promdog_series_rejected_total',
    help: 'Series received but not stored, by tenant and reason.',
    labelNames: ['tenant', 'reason'] as const,
    registers: [this.registry],
  });

  /** Accepted items that by design are not turned into samples (events, inventories, host metadata), with the reason. */
  readonly itemsNotStored = new Counter({
    name: 'promdog_items_not_stored_total',
    help: 'Accepted items that are not stored as samples, by tenant, kind (event, inventory) and reason (not_stored).',
    labelNames: ['tenant', 'kind', 'reason'] as const,
    registers: [this.registry],
  });

  readonly hostMetadataReceived = new Counter({
    name: 'promdog_host_metadata_total',
    help: 'Host metadata payloads received (their host tags are joined onto that host series), by tenant.',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  readonly remoteWriteDuration = new Histogram({
    name: 'promdog_remote_write_duration_seconds',
    help: 'Duration of one remote-write HTTP attempt, by target URL.',
    labelNames: ['target'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly remoteWriteRequests = new Counter({
    name: 'promdog_remote_write_requests_total',
    help: 'Remote-write HTTP attempts by target URL and outcome (2xx, 3xx, 4xx, 5xx, 429, network, timeout, tls).',
    labelNames: ['target', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly remoteWriteErrors = new Counter({
    name: 'promdog_remote_write_errors_total',
    help: 'Remote writes that failed for good after retries (unavailable) or were refused (rejected), by target URL.',
    labelNames: ['target', 'reason'] as const,
    registers: [this.registry],
  });

  readonly remoteWriteRetries = new Counter({
    name: 'promdog_remote_write_retries_total',
    help: 'Remote-write attempts that were retries, by target URL.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  readonly remoteWriteSamples = new Counter({
    name: 'promdog_remote_write_samples_total',
    help: 'Samples a remote-write target acknowledged with 2xx, by target URL.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  readonly selfScrapeSamples = new Counter({
    name: 'promdog_self_scrape_samples_total',
    help: 'Samples of promdog\'s own metrics written to the system tenant by the self-scrape.',
    registers: [this.registry],
  });

  /** Self-scrapes that did not store their samples, by reason: collect, unavailable, rejected, error, overrun (the previous one still ran). */
  readonly selfScrapeFailures = new Counter({
    name: 'promdog_self_scrape_failures_total',
    help: 'Self-scrapes that did not store (all) their samples, by reason (collect, unavailable, rejected, error, overrun).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly selfScrapeDuration = new Gauge({
    name: 'promdog_self_scrape_duration_seconds',
    help: 'Duration of the last self-scrape: collecting the metrics and writing them to the system tenant.',
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'promdog_' });
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }
}
