import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, type Registry } from 'prom-client';

// /metrics: every family the server's parts declared on its one registry (each part declares its own), plus Node's
// process metrics declared here, in Prometheus' text format.

/** CPU, memory, heap, event-loop lag... as `promdog_process_*` and `promdog_nodejs_*`. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'promdog_' });
}

export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(await registry.metrics()),
  );
}
