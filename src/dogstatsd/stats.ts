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
  /** A counter by `label`: for each of `keys`, `pick` summed over the sources. */
  const counterBy = <K extends string>(
    name: string,
    help: string,
    label: string,
    keys: readonly K[],
    pick: (s: DogStatsDStats, key: K) => number,
  ) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        this.reset();
        for (const k of keys)
          this.inc(
            { [label]: k },
            sum((s) => pick(s, k)),
          );
      },
    });
  /** A counter without labels: `pick` summed over the sources. */
  const counter = (name: string, help: string, pick: (s: DogStatsDStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(sum(pick));
      },
    });
  const transports = ['udp', 'unix'] as const;

  counterBy(
    'promdog_dogstatsd_packets_total',
    'DogStatsD datagrams received, by transport (udp, unix).',
    'transport',
    transports,
    (s, t) => s.packets[t],
  );
  counterBy(
    'promdog_dogstatsd_packet_bytes_total',
    'Bytes of DogStatsD datagrams received, by transport.',
    'transport',
    transports,
    (s, t) => s.packetBytes[t],
  );
  counterBy(
    'promdog_dogstatsd_metric_samples_total',
    'DogStatsD metric values parsed, by DogStatsD type (c, g, h, ms, d, s); each value of a multi-value message counts.',
    'type',
    METRIC_TYPES,
    (s, t) => s.samples[t],
  );
  counter('promdog_dogstatsd_events_total', 'DogStatsD events parsed.', (s) => s.events);
  counter('promdog_dogstatsd_service_checks_total', 'DogStatsD service checks parsed.', (s) => s.serviceChecks);
  counterBy(
    'promdog_dogstatsd_malformed_total',
    'DogStatsD messages skipped as malformed, by reason.',
    'reason',
    MALFORMED_REASONS,
    (s, r) => s.malformed[r],
  );
  counterBy(
    'promdog_dogstatsd_dropped_total',
    'DogStatsD values, events or points parsed but not passed on, by reason.',
    'reason',
    DROP_REASONS,
    (s, r) => s.dropped[r],
  );
  new Gauge({
    name: 'promdog_dogstatsd_contexts',
    help: 'Live DogStatsD aggregation contexts (name, host, sorted tags, type).',
    registers,
    collect() {
      this.set(sum((s) => s.contexts));
    },
  });
  counterBy(
    'promdog_dogstatsd_flushes_total',
    'DogStatsD flushes handed to the pipeline, by outcome (ok, error).',
    'outcome',
    ['ok', 'error'] as const,
    (s, o) => (o === 'ok' ? s.flushes - s.flushErrors : s.flushErrors),
  );
  counterBy(
    'promdog_dogstatsd_flushed_total',
    'Points handed to the pipeline by DogStatsD flushes, by kind (series, sketches, events, service_checks).',
    'kind',
    ['series', 'sketches', 'events', 'service_checks'] as const,
    (s, k) => s.flushed[k],
  );
  counter(
    'promdog_dogstatsd_receive_errors_total',
    'Errors reported by the DogStatsD sockets.',
    (s) => s.receiveErrors,
  );
}
