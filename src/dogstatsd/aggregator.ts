import { hostname as osHostname } from 'node:os';
import type { DDEvent, DDSeries, DDServiceCheck, DecodedPayload } from '../model/datadog.js';
import { BUCKET_SECONDS, Buckets, bucketStart } from './buckets.js';
import {
  ContextTable,
  KIND_OF,
  K_COUNTER,
  K_DISTRIBUTION,
  K_GAUGE,
  K_HISTOGRAM,
  K_SET,
  detach,
  resolveTags,
} from './contexts.js';
import { FlushBuilder, newSeries } from './flush.js';
import {
  DEFAULT_HISTOGRAM_AGGREGATES,
  DEFAULT_HISTOGRAM_PERCENTILES,
  histogramOutputs,
  type HistogramOutput,
} from './histogram.js';
import {
  DogStatsDParser,
  type MalformedReason,
  type ParsedEvent,
  type ParsedMetric,
  type ParsedServiceCheck,
  type ParseHandler,
} from './parser.js';
import { DogStatsDStats, type Transport } from './stats.js';

// Aggregation as the Datadog Agent's time sampler does it (pkg/aggregator/time_sampler.go, pkg/metrics/*.go):
// 10 s buckets (start = ts − ts mod 10) flushed once closed; a context is (name, host, sorted tags) — plus the
// metric kind here, see docs/dogstatsd.md.

export interface AggregatorOptions {
  /** Host of samples without a `host:` tag. Default: os.hostname(). */
  hostname?: string;
  /** The Agent's `histogram_aggregates` (max, min, median, avg, sum, count). Default max, median, avg, count. */
  histogramAggregates?: string[];
  /** The Agent's `histogram_percentiles`, each in [0, 1]: 0.95 → `.95percentile`. Default [0.95]. */
  histogramPercentiles?: Array<number | string>;
  /** The Agent's `dogstatsd_expiry_seconds`: a counter gets zeros this long after its last sample. Default 300. */
  counterExpirySeconds?: number;
  /** The Agent's `dogstatsd_context_expiry_seconds`: a context is forgotten this long after it was last used. Default 20. */
  contextExpirySeconds?: number;
  /** Live contexts at most; samples that would create one more are dropped (`context_limit`). Default 100000. */
  maxContexts?: number;
  /** Events, service checks and `|T` samples held for the next flush, at most. Default 100000. */
  maxBuffered?: number;
  /**
   * Histogram samples and set members held in unflushed buckets, all contexts together, at most; beyond it values
   * are dropped (`value_limit`). Counters, gauges and sketches take constant memory per context. Default 2000000.
   */
  maxHeldValues?: number;
  /** The Agent's `dogstatsd_no_aggregation_pipeline`: `|T` samples bypass aggregation. Default true. */
  noAggregationPipeline?: boolean;
  /** Milliseconds since the epoch; injectable for tests. Default Date.now. */
  clock?: () => number;
  stats?: DogStatsDStats;
}

/**
 * Parses DogStatsD packets and aggregates them into 10 s buckets; `flush()` turns closed buckets, events, service
 * checks and `|T` samples into one DecodedPayload. Not thread-safe (one per server).
 */
export class DogStatsDAggregator implements ParseHandler {
  readonly stats: DogStatsDStats;
  private readonly parser: DogStatsDParser;
  private readonly clock: () => number;
  private readonly defaultHost: string;
  private readonly histOutputs: HistogramOutput[];
  private readonly counterExpiry: number;
  private readonly contextExpiry: number;
  private readonly maxBuffered: number;
  private readonly contexts: ContextTable;
  private readonly buckets: Buckets;
  /** Every bucket starting before this has been flushed (zero-filled counters included). */
  private flushedUpTo: number;

  private nowSec = 0;

  private pendingSeries: DDSeries[] = [];
  private pendingEvents: DDEvent[] = [];
  private pendingChecks: DDServiceCheck[] = [];

  constructor(opts: AggregatorOptions = {}) {
    this.stats = opts.stats ?? new DogStatsDStats();
    this.clock = opts.clock ?? Date.now;
    this.defaultHost = opts.hostname ?? osHostname();
    this.histOutputs = histogramOutputs(
      opts.histogramAggregates ?? DEFAULT_HISTOGRAM_AGGREGATES,
      opts.histogramPercentiles ?? DEFAULT_HISTOGRAM_PERCENTILES,
    );
    this.counterExpiry = opts.counterExpirySeconds ?? 300;
    this.contextExpiry = opts.contextExpirySeconds ?? 20;
    this.maxBuffered = opts.maxBuffered ?? 100_000;
    this.contexts = new ContextTable(this.defaultHost, opts.maxContexts ?? 100_000);
    this.buckets = new Buckets(opts.maxHeldValues ?? 2_000_000, this.stats.dropped);
    this.parser = new DogStatsDParser({ readTimestamps: opts.noAggregationPipeline ?? true });
    this.flushedUpTo = bucketStart(this.clock() / 1000);
  }

  /** Live contexts. */
  get contextCount(): number {
    return this.contexts.size;
  }

  /** Parses and aggregates one datagram, stamped with the clock's current time. */
  ingest(packet: Buffer, transport: Transport = 'udp'): void {
    this.stats.packets[transport]++;
    this.stats.packetBytes[transport] += packet.length;
    this.nowSec = this.clock() / 1000;
    this.buckets.open(bucketStart(this.nowSec));
    this.parser.parsePacket(packet, this);
  }

  // ParseHandler: called by the parser for each message of the packet being ingested.

  malformed(reason: MalformedReason): void {
    this.stats.malformed[reason]++;
  }

  metric(m: ParsedMetric): void {
    const kind = KIND_OF[m.type];
    const n = kind === K_SET ? 1 : m.valueCount;
    this.stats.samples[m.type] += n;
    if (m.timestamp > 0) return this.timestamped(m, kind);

    let ctx = this.contexts.find(m.name, m.rawTags, kind);
    if (ctx === undefined) {
      const resolved = this.contexts.resolve(m.name, m.rawTags, kind, this.buckets.currentStart);
      this.stats.contexts = this.contexts.size;
      if (resolved === null) {
        this.stats.dropped.context_limit += n;
        return;
      }
      ctx = resolved;
    }
    ctx.lastSeen = this.nowSec;
    const st = this.buckets.stateOf(ctx);
    switch (kind) {
      case K_COUNTER:
        this.buckets.addCounter(st, m.values, n, m.sampleRate);
        break;
      case K_GAUGE:
        this.buckets.addGauge(st, m.values, n);
        break;
      case K_SET:
        this.buckets.addSetMember(st, m.setValue);
        break;
      case K_HISTOGRAM:
        this.buckets.addHistogram(st, m.values, n, m.sampleRate);
        break;
      case K_DISTRIBUTION:
        this.buckets.addDistribution(st, m.values, n, m.sampleRate);
        break;
    }
  }

  event(e: ParsedEvent): void {
    this.stats.events++;
    if (this.bufferFull()) return;
    const { host, tags } = resolveTags(e.rawTags, this.defaultHost);
    this.pendingEvents.push({
      title: e.title,
      text: e.text,
      host: e.hostname !== '' ? e.hostname : host,
      tags,
      timestamp: e.timestamp !== 0 ? e.timestamp : Math.trunc(this.nowSec),
      alertType: e.alertType,
      priority: e.priority,
      sourceTypeName: e.sourceType,
      aggregationKey: e.aggregationKey,
    });
  }

  serviceCheck(sc: ParsedServiceCheck): void {
    this.stats.serviceChecks++;
    if (this.bufferFull()) return;
    const { host, tags } = resolveTags(sc.rawTags, this.defaultHost);
    this.pendingChecks.push({
      check: sc.name,
      host: sc.hostname !== '' ? sc.hostname : host,
      timestamp: sc.timestamp !== 0 ? sc.timestamp : Math.trunc(this.nowSec),
      status: sc.status,
      message: sc.message,
      tags,
    });
  }

  private bufferFull(): boolean {
    if (this.pendingEvents.length + this.pendingChecks.length + this.pendingSeries.length < this.maxBuffered)
      return false;
    this.stats.dropped.buffer_full++;
    return true;
  }

  /** The Agent's no-aggregation pipeline: gauges as gauges, counters as rates (value / 10), others dropped. */
  private timestamped(m: ParsedMetric, kind: number): void {
    if (kind !== K_COUNTER && kind !== K_GAUGE) {
      this.stats.dropped.timestamp_unsupported_type += kind === K_SET ? 1 : m.valueCount;
      return;
    }
    const { host, tags } = resolveTags(m.rawTags, this.defaultHost);
    const name = detach(m.name);
    for (let i = 0; i < m.valueCount; i++) {
      const v = m.values[i]!;
      if (v - v !== 0) {
        this.stats.dropped.non_finite_value++;
        continue;
      }
      if (this.bufferFull()) return;
      this.pendingSeries.push(
        newSeries(
          name,
          host,
          tags,
          kind === K_COUNTER ? 'rate' : 'gauge',
          m.timestamp,
          kind === K_COUNTER ? v / BUCKET_SECONDS : v,
        ),
      );
    }
  }

  /**
   * Flushes every closed bucket (start + 10 ≤ now), zero-filling counters seen within counterExpirySeconds, plus the
   * pending events, service checks and `|T` samples. With `includeOpen` (shutdown, like the Agent's forceFlushAll)
   * the bucket still open is flushed too. Returns null when there is nothing to send.
   */
  flush(nowMs: number = this.clock(), includeOpen = false): DecodedPayload | null {
    const nowSec = nowMs / 1000;
    const cutoff = bucketStart(nowSec) + (includeOpen ? BUCKET_SECONDS : 0);
    const closed: number[] = [];
    for (const b of this.buckets.starts()) if (b + BUCKET_SECONDS <= cutoff) closed.push(b);
    // Buckets that closed since the last flush get zeros for idle counters; older ones would be past expiry.
    const zeroFill = new Set<number>();
    if (cutoff > this.flushedUpTo) {
      const oldest = Math.max(this.flushedUpTo, cutoff - this.counterExpiry - BUCKET_SECONDS);
      for (let b = bucketStart(oldest); b < cutoff; b += BUCKET_SECONDS) {
        zeroFill.add(b);
        if (!this.buckets.has(b)) closed.push(b);
      }
      this.flushedUpTo = cutoff;
    }
    closed.sort((a, b) => a - b);

    const out = new FlushBuilder(this.histOutputs);
    for (const b of closed) {
      for (const st of this.buckets.take(b)) out.add(st);
      if (zeroFill.has(b)) {
        for (const ctx of this.contexts.counters) {
          if (ctx.lastDataBucket === b || ctx.firstBucket > b || Math.trunc(ctx.lastSeen) + this.counterExpiry <= b)
            continue;
          out.addZero(ctx, b);
        }
      }
    }
    if (zeroFill.size > 0) {
      this.contexts.expire(nowSec, this.contextExpiry, this.counterExpiry);
      this.stats.contexts = this.contexts.size;
    }

    const payload = out.payload;
    if (this.pendingSeries.length > 0) {
      payload.series.push(...this.pendingSeries);
      this.pendingSeries = [];
    }
    payload.events = this.pendingEvents;
    payload.serviceChecks = this.pendingChecks;
    this.pendingEvents = [];
    this.pendingChecks = [];
    if (payload.series.length + payload.sketches.length + payload.events.length + payload.serviceChecks.length === 0) {
      return null;
    }
    return payload;
  }
}
