import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// The HTTP server's own families on /metrics, counted by the server's onResponse hook.

export type HttpMetrics = ReturnType<typeof httpMetrics>;

export function httpMetrics(registry: Registry) {
  return {
    /**
     * HTTP requests by tenant (the one the request's API key resolved to; '' for a missing or unknown key and for
     * routes that take none), route template (`/api/v2/series`, `unmatched` for 404s), method and status code.
     */
    requests: new Counter({
      name: 'promdog_http_requests_total',
      help: 'HTTP requests answered, by tenant (empty: no or unknown API key), route template, method and status code.',
      labelNames: ['tenant', 'route', 'method', 'code'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'promdog_http_request_duration_seconds',
      help: 'Time from request start to response, by route template.',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers: [registry],
    }),
  };
}

/** `promdog_startup_seconds`, read at scrape time. */
export function registerStartupSeconds(registry: Registry, startupSeconds: () => number): void {
  new Gauge({
    name: 'promdog_startup_seconds',
    help: 'Time from process start until the server was ready (includes opening the store and replaying WALs).',
    registers: [registry],
    collect() {
      this.set(startupSeconds());
    },
  });
}
