import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// The notifier's families on /metrics, like Prometheus' prometheus_notifications_*, with a tenant label: every
// tenant's notifier shares one set of families on the registry.

/** What the gauges read from a running notifier when the registry is collected. */
export interface NotifierGauges {
  readonly tenant: string;
  readonly queueLength: number;
  readonly queueCapacity: number;
  readonly alertmanagerCount: number;
}

export type NotifierMetrics = ReturnType<typeof declareNotifierMetrics>;

const declared = new WeakMap<Registry, NotifierMetrics>();

/** The families on `registry`, declared by the first notifier that uses it. */
export function notifierMetrics(registry: Registry): NotifierMetrics {
  let metrics = declared.get(registry);
  if (!metrics) {
    metrics = declareNotifierMetrics(registry);
    declared.set(registry, metrics);
  }
  return metrics;
}

function declareNotifierMetrics(registry: Registry) {
  /** The running notifiers; a stopped one leaves the gauges (its counters stay, as counters do). */
  const running = new Set<NotifierGauges>();
  /** A gauge per tenant summed over its running notifiers (two while a reload replaces one). */
  const gauge = (name: string, help: string, value: (n: NotifierGauges) => number): Gauge<'tenant'> => {
    const g: Gauge<'tenant'> = new Gauge({
      name,
      help,
      labelNames: ['tenant'] as const,
      registers: [registry],
      collect: () => {
        g.reset();
        for (const n of running) g.inc({ tenant: n.tenant }, value(n));
      },
    });
    return g;
  };
  gauge('promdog_notifications_queue_length', 'Alert notifications waiting in the queue.', (n) => n.queueLength);
  gauge('promdog_notifications_queue_capacity', 'Capacity of the alert notification queue.', (n) => n.queueCapacity);
  gauge(
    'promdog_notifications_alertmanagers_discovered',
    'Alertmanagers configured and active.',
    (n) => n.alertmanagerCount,
  );
  return {
    running,
    sent: new Counter({
      name: 'promdog_notifications_sent_total',
      help: 'Alerts sent to an Alertmanager, failed attempts included (as Prometheus counts them).',
      labelNames: ['tenant', 'alertmanager'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'promdog_notifications_errors_total',
      help: 'Sent alerts affected by an error (non-2xx answer, network error, timeout).',
      labelNames: ['tenant', 'alertmanager'] as const,
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'promdog_notifications_dropped_total',
      help: 'Alerts dropped: no Alertmanager took their batch, the queue was full, or the notifier stopped.',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'promdog_notifications_latency_seconds',
      help: 'Time from the start of sending a batch until an Alertmanager answered (or failed).',
      labelNames: ['tenant', 'alertmanager'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
