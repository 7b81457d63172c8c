// The query API's families on /metrics, declared on the server's registry (once per registry).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface QueryApiMetrics {
  requests: Counter<'endpoint' | 'code'>;
  rejected: Counter<'reason'>;
  duration: Histogram<'endpoint'>;
  inFlight: Gauge;
  queued: Gauge;
}

const cache = new WeakMap<Registry, QueryApiMetrics>();

export function queryApiMetrics(registry: Registry): QueryApiMetrics {
  let m = cache.get(registry);
  if (m) return m;
  m = {
    requests: new Counter({
      name: 'promdog_query_requests_total',
      help: 'Query API requests answered, by endpoint (query, query_range, series, labels, label_values, metadata, export...) and status code.',
      labelNames: ['endpoint', 'code'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'promdog_query_rejected_total',
      help: 'Query API requests refused by a limit or by authentication, by reason (unauthorized, concurrency, queue_timeout, canceled, timeout, too_many_samples, too_many_points, too_deep, body_too_large; gateway mode: no_query_url, response_too_large, gateway_mode).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'promdog_query_duration_seconds',
      help: 'Query API request duration from arrival to response, queueing included, by endpoint.',
      labelNames: ['endpoint'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'promdog_query_in_flight',
      help: 'Data-reading query API requests and rule evaluations running now (they share the query slots).',
      registers: [registry],
    }),
    queued: new Gauge({
      name: 'promdog_query_queued',
      help: 'Data-reading query API requests and rule evaluations waiting for a slot (--query-max-concurrency).',
      registers: [registry],
    }),
  };
  cache.set(registry, m);
  return m;
}
