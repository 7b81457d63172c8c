import type { Server } from 'node:http';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// The HTTP server's own families on /metrics: requests, counted by the server's onResponse hook, and connections,
// by the listener.

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
    /** Connections closed by a limit before a request was served (listener.ts). */
    connectionsClosed: new Counter({
      name: 'promdog_http_connections_closed_total',
      help: 'Client connections closed by a limit, by reason: max_connections (new connections over limits.max_connections), timeout (request headers not sent within limits.header_timeout), tls_handshake (failed TLS handshake: an old version or cipher...), plain_http (plain HTTP on the TLS port, answered 400).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

/** `promdog_http_open_connections`, read from the server at scrape time. */
export function registerOpenConnections(registry: Registry, server: Server): void {
  new Gauge({
    name: 'promdog_http_open_connections',
    help: 'Client connections open now (limits.max_connections bounds them).',
    registers: [registry],
    async collect() {
      this.set(await new Promise<number>((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n))));
    },
  });
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
