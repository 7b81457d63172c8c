import { Counter, Gauge, type Registry } from 'prom-client';

// The event store's families on /metrics (docs/operations.md): what it stored, refused, cut and deleted, and its
// size on disk per tenant.

export type EventStoreMetrics = ReturnType<typeof eventStoreMetrics>;

export function eventStoreMetrics(
  registry: Registry,
  sizes: () => Iterable<{ tenant: string; bytes: number; events: number }>,
) {
  return {
    stored: new Counter({
      name: 'promdog_events_stored_total',
      help: 'Events written durably to the event store, by tenant.',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'promdog_events_rejected_total',
      help: 'Events received but not stored, by tenant and reason (too_old, too_far_in_future, unavailable).',
      labelNames: ['tenant', 'reason'] as const,
      registers: [registry],
    }),
    truncated: new Counter({
      name: 'promdog_events_truncated_total',
      help: "Events stored with a field cut to Datadog's limit, by tenant and field (title, text, tags, host, other).",
      labelNames: ['tenant', 'field'] as const,
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'promdog_events_dropped_total',
      help: 'Stored events deleted, by tenant and reason (retention: older than the retention; size: over the per-tenant size).',
      labelNames: ['tenant', 'reason'] as const,
      registers: [registry],
    }),
    bytes: new Gauge({
      name: 'promdog_events_store_bytes',
      help: "Bytes of the tenant's event segments on disk.",
      labelNames: ['tenant'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of sizes()) this.set({ tenant: s.tenant }, s.bytes);
      },
    }),
    events: new Gauge({
      name: 'promdog_events_store_events',
      help: 'Events held in the event store, by tenant.',
      labelNames: ['tenant'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of sizes()) this.set({ tenant: s.tenant }, s.events);
      },
    }),
  };
}
