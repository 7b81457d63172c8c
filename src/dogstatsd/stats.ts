import { Counter, Gauge, type Registry } from 'prom-client';
import { MALFORMED_REASONS, METRIC_TYPES, type MalformedReason, type MetricType } from './parser.js';

export type Transport = 'udp' | 'unix';

/** Why a parsed sample, event or service check was not passed on. */
export type DropReason =
  /** A new context while `maxContexts` contexts are live. */
  | 'context_limit'
  /** NaN or ±Inf value (the Agent parses them, then its aggregator ignores them). */
  | 'non_finite_value'
  /** Histogram sample or new set member while `maxHeldValues` are held in unflushed buckets. */
  | 'value_limit'
  /** `|T` sample of a type the Agent's no-aggregation pipeline does not take (only `c` and `g`). */
  | 'timestamp_unsupported_type'
  /** Events, service checks and `|T` samples waiting for the next flush are over `maxBuffered`. */
  | 'buffer_full'
  /** Points of a flushed payload whose `onFlush` failed. */
  | 'flush_failed';

export const DROP_REASONS: readonly DropReason[] = [
  'context_limit',
  'non_finite_value',
  'value_limit',
  'timestamp_unsupported_type',
  'buffer_full',
  'flush_failed',
];

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  const r = {} as Record<K, number>;
  for (const k of keys) r[k] = 0;
  return r;
}

/**
 * Plain counters the DogStatsD hot path bumps (no prom-client call per message); the prom-client metrics read
 * them when /metrics is scraped.
 */
export class DogStatsDStats {
  readonly packets: Record<Transport, number> = { udp: 0, unix: 0 };
  readonly packetBytes: Record<Transport, number> = { udp: 0, unix: 0 };
  /** Metric values parsed, by DogStatsD type (a multi-value message counts each value). */
  readonly samples: Record<MetricType, number> = zeroes(METRIC_TYPES);
  events = 0;
  serviceChecks = 0;
  readonly malformed: Record<MalformedReason, number> = zeroes(MALFORMED_REASONS);
  readonly dropped: Record<DropReason, number> = zeroes(DROP_REASONS);
  /** Live aggregation contexts. */
  contexts = 0;
  flushes = 0;
  flushErrors = 0;
  /** Points handed to onFlush, by kind. */
  readonly flushed = { series: 0, sketches: 0, events: 0, service_checks: 0 };
  receiveErrors = 0;
}

// prom-client refuses a second metric of the same name on one registry: every DogStatsD server that reports to a
// registry adds its stats to that registry's one set of collectors, which sum them.
const sourcesByRegistry = new WeakMap<Registry, Set<DogStatsDStats>>();

/** Exposes `stats` as `promdog_dogstatsd_*` metrics on `registry`. */
export function registerDogStatsDMetrics(registry: Registry, stats: DogStatsDStats): void {
  const existing = sourcesByRegistry.get(registry);
  if (existing) {
    existing.add(stats);
    return;
  }
  const sources = new Set<DogStatsDStats>([stats]);
  sourcesByRegistry.set(registry, sources);
  const sum = (f: (s: DogStatsDStats) => number): number => {
    let t = 0;
    for (const s of sources) t += f(s);
    return t;
  };
  const registers = [registry];

  new Counter({
    name: 'promdog_dogstatsd_packets_total',
    help: 'DogStatsD datagrams received, by transport (udp, unix).',
    labelNames: ['transport'] as const,
    registers,
    collect() {
      this.reset();
      for (const t of ['udp', 'unix'] as const)
        this.inc(
          { transport: t },
          sum((s) => s.packets[t]),
        );
    },
  });
  new Counter({
    name: 'promdog_dogstatsd_packet_bytes_total',
    help: 'Bytes of DogStatsD datagrams received, by transport.',
    labelNames: ['transport'] as const,
    registers,
    collect() {
      this.reset();
      for (const t of ['udp', 'unix'] as const)
        this.inc(
          { transport: t },
          sum((s) => s.packetBytes[t]),
        );
    },
  });
  new Counter({
    name: 'promdog_dogstatsd_metric_samples_total',
    help: 'DogStatsD metric values parsed, by DogStatsD type (c, g, h, ms, d, s); each value of a multi-value message counts.',
    labelNames: ['type'] as const,
    registers,
    collect() {
      this.reset();
      for (const t of METRIC_TYPES)
        this.inc(
          { type: t },
          sum((s) => s.samples[t]),
        );
    },
  });
  new Counter({
    name: 'promdog_dogstatsd_events_total',
    help: 'DogStatsD events parsed.',
    registers,
    collect() {
      this.reset();
      this.inc(sum((s) => s.events));
    },
  });
  new Counter({
    name: 'promdog_dogstatsd_service_checks_total',
    help: 'DogStatsD service checks parsed.',
    registers,
    collect() {
      this.reset();
      this.inc(sum((s) => s.serviceChecks));
    },
  });
  new Counter({
    name: 'promdog_dogstatsd_malformed_total',
    help: 'DogStatsD messages skipped as malformed, by reason.',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const r of MALFORMED_REASONS)
        this.inc(
          { reason: r },
          sum((s) => s.malformed[r]),
        );
    },
  });
  new Counter({
    name: 'promdog_dogstatsd_dropped_total',
    help: 'DogStatsD values, events or points parsed but not passed on, by reason.',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const r of DROP_REASONS)
        this.inc(
          { reason: r },
          sum((s) => s.dropped[r]),
        );
    },
  });
  new Gauge({
    name: 'promdog_dogstatsd_contexts',
    help: 'Live DogStatsD aggregation contexts (name, host, sorted tags, type).',
    registers,
    collect() {
      this.set(sum((s) => s.contexts));
    },
  });
  new Counter({
    name: 'promdog_dogstatsd_flushes_total',
    help: 'DogStatsD flushes handed to the pipeline, by outcome (ok, error).',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset();
      this.inc(
        { outcome: 'ok' },
        sum((s) => s.flushes - s.flushErrors),
      );
      this.inc(
        { outcome: 'error' },
        sum((s) => s.flushErrors),
      );
    },
  });
  new Counter({
    name: 'promdog_dogstatsd_flushed_total',
    help: 'Points handed to the pipeline by DogStatsD flushes, by kind (series, sketches, events, service_checks).',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      this.reset();
      for (const k of ['series', 'sketches', 'events', 'service_checks'] as const) {
        this.inc(
          { kind: k },
          sum((s) => s.flushed[k]),
        );
      }
    },
  });
  new Counter({
    name: 'promdog_dogstatsd_receive_errors_total',
    help: 'Errors reported by the DogStatsD sockets.',
    registers,
    collect() {
      this.reset();
      this.inc(sum((s) => s.receiveErrors));
    },
  });
}
