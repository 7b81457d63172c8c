import { Counter, Histogram, type Registry } from 'prom-client';

// The remote-write sink's families on /metrics, by target URL: declared once per registry, shared by the sinks on it
// (the default targets' and each tenant's own).

export type RemoteWriteMetrics = ReturnType<typeof declareRemoteWriteMetrics>;

const declared = new WeakMap<Registry, RemoteWriteMetrics>();

export function remoteWriteMetrics(registry: Registry): RemoteWriteMetrics {
  let m = declared.get(registry);
  if (!m) {
    m = declareRemoteWriteMetrics(registry);
    declared.set(registry, m);
  }
  return m;
}

function declareRemoteWriteMetrics(registry: Registry) {
  return {
    duration: new Histogram({
      name: 'promdog_remote_write_duration_seconds',
      help: 'Duration of one remote-write HTTP attempt, by target URL.',
      labelNames: ['target'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'promdog_remote_write_requests_total',
      help: 'Remote-write HTTP attempts by target URL and outcome (2xx, 3xx, 4xx, 5xx, 429, network, timeout, tls).',
      labelNames: ['target', 'outcome'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'promdog_remote_write_errors_total',
      help: 'Remote writes that failed for good after retries (unavailable) or were refused (rejected), by target URL.',
      labelNames: ['target', 'reason'] as const,
      registers: [registry],
    }),
    retries: new Counter({
      name: 'promdog_remote_write_retries_total',
      help: 'Remote-write attempts that were retries, by target URL.',
      labelNames: ['target'] as const,
      registers: [registry],
    }),
    samples: new Counter({
      name: 'promdog_remote_write_samples_total',
      help: 'Samples a remote-write target acknowledged with 2xx, by target URL.',
      labelNames: ['target'] as const,
      registers: [registry],
    }),
    alreadyAcknowledged: new Counter({
      name: 'promdog_remote_write_already_acknowledged_total',
      help: 'Remote-write requests not sent to a target because it acknowledged the same request (tenant and body) before: retries of payloads that reached this target but not all, by target URL.',
      labelNames: ['target'] as const,
      registers: [registry],
    }),
  };
}
