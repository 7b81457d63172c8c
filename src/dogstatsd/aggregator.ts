import { hostname as osHostname } from 'node:os';
import { DDSketchBuilder } from '../mapping/ddsketch.js';
import { emptyPayload } from '../model/datadog.js';
import type { DDEvent, DDMetricType, DDSeries, DDServiceCheck, DDSketch, DecodedPayload } from '../model/datadog.js';
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

/** The Agent's DogStatsD bucket size (`bucketSize`), also the `interval` of every series it sends. */
export const BUCKET_SECONDS = 10;

export const DEFAULT_HISTOGRAM_AGGREGATES = ['max', 'median', 'avg', 'count'];
export const DEFAULT_HISTOGRAM_PERCENTILES = [0.95];
const KNOWN_AGGREGATES = new Set(['max', 'min', 'median', 'avg', 'sum', 'count']);

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

const K_COUNTER = 0;
const K_GAUGE = 1;
const K_SET = 2;
const K_HISTOGRAM = 3;
const K_DISTRIBUTION = 4;
const KINDS = 5;
const KIND_OF = { c: K_COUNTER, g: K_GAUGE, s: K_SET, h: K_HISTOGRAM, ms: K_HISTOGRAM, d: K_DISTRIBUTION } as const;

/** Raw (name, tags-as-sent) spellings cached per context; beyond this a spelling takes the slow path each time. */
const MAX_ALIASES = 8;

/** A copy of s that does not keep the packet string it was sliced from alive (V8 sliced strings share it). */
function detach(s: string): string {
  return (' ' + s).slice(1);
}

class Context {
  lastSeen = 0;
  /** Data of the newest bucket this context has samples in; null once flushed. */
  state: BucketState | null = null;
  /** Counters: the first bucket with data (no zeros before it) and the last bucket flushed with data. */
  firstBucket = 0;
  lastDataBucket = -1;
  readonly aliases: string[] = [];
  constructor(
    readonly kind: number,
    readonly name: string,
    readonly host: string,
    readonly tags: string[],
    readonly key: string,
  ) {}
}

/** One context's samples in one bucket. One class for every kind keeps property access monomorphic. */
class BucketState {
  /** Counter: sum of value/rate. Gauge: last value. Histogram: sum of value/rate. */
  value = 0;
  /** Counter, gauge: finite values taken. Histogram: sum of the weights (truncated 1/rate, as the Agent). */
  count = 0;
  samples: number[] | null = null;
  /** Histogram weights, created at the first sampled (rate < 1) value; all 1 before. */
  weights: number[] | null = null;
  members: Set<string> | null = null;
  sketch: DDSketchBuilder | null = null;
  constructor(
    readonly ctx: Context,
    readonly bucket: number,
  ) {}
}

interface HistogramOutput {
  suffix: string;
  /** One of KNOWN_AGGREGATES, or '' for a percentile. */
  aggregate: string;
  /** Percentile in 0..100 (the Agent's integer), for aggregate ''. */
  percentile: number;
}

/** The Agent's percentile rule: 0.95 → 95 → `.95percentile` (int(p·100 + 0.5), sorted; outside [0,1] skipped). */
export function histogramOutputs(aggregates: string[], percentiles: Array<number | string>): HistogramOutput[] {
  const out: HistogramOutput[] = [];
  for (const a of aggregates) if (KNOWN_AGGREGATES.has(a)) out.push({ suffix: '.' + a, aggregate: a, percentile: 0 });
  const ints: number[] = [];
  for (const p of percentiles) {
    const f = typeof p === 'number' ? p : Number(p);
    if (!Number.isFinite(f) || f < 0 || f > 1) continue;
    ints.push(Math.trunc(f * 100 + 0.5));
  }
  ints.sort((a, b) => a - b);
  for (const i of ints) out.push({ suffix: `.${i}percentile`, aggregate: '', percentile: i });
  return out;
}

function bucketStart(sec: number): number {
  const t = Math.trunc(sec);
  return t - (t % BUCKET_SECONDS);
}

/** A rate outside (0, 1] counts as 1 (the Agent's sketch rule; its counters and histograms would divide by it). */
function effectiveRate(r: number): number {
  return r > 0 && r <= 1 ? r : 1;
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
  private readonly maxContexts: number;
  private readonly maxBuffered: number;
  private readonly maxHeldValues: number;
  /** Histogram samples and set members in unflushed buckets. */
  private heldValues = 0;

  private readonly contexts = new Map<string, Context>();
  private readonly counters = new Set<Context>();
  /** name → tags as sent → context per kind: the hot path's lookup, no tag parsing or sorting. */
  private readonly rawIndex = new Map<string, Map<string, Array<Context | undefined>>>();
  private readonly buckets = new Map<number, BucketState[]>();
  /** Every bucket starting before this has been flushed (zero-filled counters included). */
  private flushedUpTo: number;

  private nowSec = 0;
  private curBucket = -1;
  private curStates: BucketState[] = [];

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
    this.maxContexts = opts.maxContexts ?? 100_000;
    this.maxBuffered = opts.maxBuffered ?? 100_000;
    this.maxHeldValues = opts.maxHeldValues ?? 2_000_000;
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
    const b = bucketStart(this.nowSec);
    if (b !== this.curBucket) {
      this.curBucket = b;
      let states = this.buckets.get(b);
      if (!states) {
        states = [];
        this.buckets.set(b, states);
      }
      this.curStates = states;
    }
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

    let ctx = this.rawIndex.get(m.name)?.get(m.rawTags)?.[kind];
    if (ctx === undefined) {
      const resolved = this.resolve(m.name, m.rawTags, kind);
      if (resolved === null) {
        this.stats.dropped.context_limit += n;
        return;
      }
      ctx = resolved;
    }
    ctx.lastSeen = this.nowSec;
    let st = ctx.state;
    if (st === null || st.bucket !== this.curBucket) {
      st = new BucketState(ctx, this.curBucket);
      ctx.state = st;
      this.curStates.push(st);
    }
    const values = m.values;
    switch (kind) {
      case K_COUNTER: {
        const f = 1 / effectiveRate(m.sampleRate);
        for (let i = 0; i < n; i++) {
          const v = values[i]!;
          if (v - v !== 0) {
            this.stats.dropped.non_finite_value++;
          } else {
            st.value += v * f;
            st.count++;
          }
        }
        break;
      }
      case K_GAUGE:
        for (let i = 0; i < n; i++) {
          const v = values[i]!;
          if (v - v !== 0) {
            this.stats.dropped.non_finite_value++;
          } else {
            st.value = v;
            st.count++;
          }
        }
        break;
      case K_SET: {
        const members = (st.members ??= new Set());
        if (members.has(m.setValue)) break;
        if (this.heldValues >= this.maxHeldValues) {
          this.stats.dropped.value_limit++;
          break;
        }
        members.add(m.setValue);
        this.heldValues++;
        break;
      }
      case K_HISTOGRAM:
        this.addHistogram(st, values, n, effectiveRate(m.sampleRate));
        break;
      case K_DISTRIBUTION: {
        const sketch = (st.sketch ??= new DDSketchBuilder());
        // The Agent's sketch counts a sampled value trunc(1/rate) times.
        const weight = Math.trunc(1 / effectiveRate(m.sampleRate));
        for (let i = 0; i < n; i++) {
          const v = values[i]!;
          if (v - v !== 0) this.stats.dropped.non_finite_value++;
          else sketch.add(v, weight);
        }
        break;
      }
    }
  }

  event(e: ParsedEvent): void {
    this.stats.events++;
    if (this.bufferFull()) return;
    const { host, tags } = this.resolveTags(e.rawTags);
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
    const { host, tags } = this.resolveTags(sc.rawTags);
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
    if (this.pendingEvents.length + this.pendingChecks.length + this.pendingSeries.length < this.maxBuffered) return false;
    this.stats.dropped.buffer_full++;
    return true;
  }

  private addHistogram(st: BucketState, values: number[], n: number, rate: number): void {
    const samples = (st.samples ??= []);
    // As the Agent: weight int64(1/rate), sum += value · (1/rate).
    const f = 1 / rate;
    const weight = Math.trunc(f);
    if (weight !== 1 && st.weights === null) st.weights = new Array<number>(samples.length).fill(1);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v - v !== 0) {
        this.stats.dropped.non_finite_value++;
        continue;
      }
      if (this.heldValues >= this.maxHeldValues) {
        this.stats.dropped.value_limit++;
        continue;
      }
      this.heldValues++;
      samples.push(v);
      if (st.weights !== null) st.weights.push(weight);
      st.value += v * f;
      st.count += weight;
    }
  }

  /** The Agent's no-aggregation pipeline: gauges as gauges, counters as rates (value / 10), others dropped. */
  private timestamped(m: ParsedMetric, kind: number): void {
    if (kind !== K_COUNTER && kind !== K_GAUGE) {
      this.stats.dropped.timestamp_unsupported_type += kind === K_SET ? 1 : m.valueCount;
      return;
    }
    const { host, tags } = this.resolveTags(m.rawTags);
    const name = detach(m.name);
    for (let i = 0; i < m.valueCount; i++) {
      const v = m.values[i]!;
      if (v - v !== 0) {
        this.stats.dropped.non_finite_value++;
        continue;
      }
      if (this.bufferFull()) return;
      this.pendingSeries.push(
        newSeries(name, host, tags, kind === K_COUNTER ? 'rate' : 'gauge', m.timestamp, kind === K_COUNTER ? v / BUCKET_SECONDS : v),
      );
    }
  }

  /** Host and tags as the Agent enriches them: a `host:` tag sets the host and is removed; tags sorted, unique. */
  private resolveTags(rawTags: string): { host: string; tags: string[] } {
    let host = this.defaultHost;
    if (rawTags === '') return { host, tags: [] };
    const tags: string[] = [];
    for (const t of rawTags.split(',')) {
      if (t === '') continue;
      if (t.startsWith('host:')) host = t.slice(5);
      // Origin-detection hints the Agent strips before tagging (enrich.go); promdog has no tagger to feed.
      else if (!t.startsWith('dd.internal.entity_id:') && !t.startsWith('dd.internal.card:')) tags.push(t);
    }
    tags.sort();
    let w = 0;
    for (let i = 0; i < tags.length; i++) if (i === 0 || tags[i] !== tags[w - 1]) tags[w++] = tags[i]!;
    tags.length = w;
    return { host, tags };
  }

  /** Slow path: finds or creates the context of (name, tags as sent, kind) and caches the spelling. */
  private resolve(rawName: string, rawTagsSliced: string, kind: number): Context | null {
    const rawTags = detach(rawTagsSliced);
    const { host, tags } = this.resolveTags(rawTags);
    const name = detach(rawName);
    const key = `${kind}\n${host}\n${name}\n${tags.join('\n')}`;
    let ctx = this.contexts.get(key);
    if (ctx === undefined) {
      if (this.contexts.size >= this.maxContexts) return null;
      ctx = new Context(kind, name, host, tags, key);
      ctx.firstBucket = this.curBucket;
      this.contexts.set(key, ctx);
      if (kind === K_COUNTER) this.counters.add(ctx);
      this.stats.contexts = this.contexts.size;
    }
    if (ctx.aliases.length < 2 * MAX_ALIASES) {
      let byTags = this.rawIndex.get(name);
      if (!byTags) {
        byTags = new Map();
        this.rawIndex.set(name, byTags);
      }
      let slots = byTags.get(rawTags);
      if (!slots) {
        slots = new Array<Context | undefined>(KINDS).fill(undefined);
        byTags.set(rawTags, slots);
      }
      slots[kind] = ctx;
      ctx.aliases.push(name, rawTags);
    }
    return ctx;
  }

  private forget(ctx: Context): void {
    this.contexts.delete(ctx.key);
    this.counters.delete(ctx);
    for (let i = 0; i < ctx.aliases.length; i += 2) {
      const byTags = this.rawIndex.get(ctx.aliases[i]!);
      const slots = byTags?.get(ctx.aliases[i + 1]!);
      if (!byTags || !slots) continue;
      slots[ctx.kind] = undefined;
      if (slots.every((c) => c === undefined)) byTags.delete(ctx.aliases[i + 1]!);
      if (byTags.size === 0) this.rawIndex.delete(ctx.aliases[i]!);
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
    for (const b of this.buckets.keys()) if (b + BUCKET_SECONDS <= cutoff) closed.push(b);
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

    const payload = emptyPayload();
    const seriesByCtx = new Map<Context, DDSeries[]>();
    const sketchByCtx = new Map<Context, DDSketch>();
    for (const b of closed) {
      const states = this.buckets.get(b);
      if (states) {
        for (const st of states) this.flushState(st, seriesByCtx, sketchByCtx, payload);
        this.buckets.delete(b);
        if (b === this.curBucket) this.curBucket = -1;
      }
      if (zeroFill.has(b)) {
        for (const ctx of this.counters) {
          if (ctx.lastDataBucket === b || ctx.firstBucket > b || Math.trunc(ctx.lastSeen) + this.counterExpiry <= b) continue;
          this.point(seriesByCtx, payload, ctx, 0, '', 'rate', b, 0);
        }
      }
    }
    if (zeroFill.size > 0) this.expire(nowSec);

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

  private flushState(
    st: BucketState,
    seriesByCtx: Map<Context, DDSeries[]>,
    sketchByCtx: Map<Context, DDSketch>,
    payload: DecodedPayload,
  ): void {
    const ctx = st.ctx;
    const b = st.bucket;
    if (ctx.state === st) ctx.state = null;
    if (st.samples) this.heldValues -= st.samples.length;
    if (st.members) this.heldValues -= st.members.size;
    switch (ctx.kind) {
      case K_COUNTER:
        // Only non-finite values: nothing sampled, as in the Agent (the zero-fill may still send a 0).
        if (st.count === 0) break;
        ctx.lastDataBucket = b;
        this.point(seriesByCtx, payload, ctx, 0, '', 'rate', b, st.value / BUCKET_SECONDS);
        break;
      case K_GAUGE:
        if (st.count > 0) this.point(seriesByCtx, payload, ctx, 0, '', 'gauge', b, st.value);
        break;
      case K_SET:
        if (st.members && st.members.size > 0) this.point(seriesByCtx, payload, ctx, 0, '', 'gauge', b, st.members.size);
        break;
      case K_HISTOGRAM:
        if (st.samples && st.samples.length > 0) this.flushHistogram(st, seriesByCtx, payload);
        break;
      case K_DISTRIBUTION: {
        if (!st.sketch || st.sketch.count === 0) break;
        let sk = sketchByCtx.get(ctx);
        if (!sk) {
          sk = { metric: ctx.name, host: ctx.host, tags: ctx.tags, points: [] };
          sketchByCtx.set(ctx, sk);
          payload.sketches.push(sk);
        }
        sk.points.push(st.sketch.toPoint(b));
        break;
      }
    }
  }

  /** The Agent's Histogram.flush: exact sorted samples, weighted ranks with integer targets. */
  private flushHistogram(st: BucketState, seriesByCtx: Map<Context, DDSeries[]>, payload: DecodedPayload): void {
    const samples = st.samples!;
    const n = samples.length;
    let sorted: Float64Array;
    let weights: Float64Array | null = null;
    if (st.weights === null) {
      sorted = Float64Array.from(samples).sort();
    } else {
      const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => samples[i]! - samples[j]!);
      sorted = new Float64Array(n);
      weights = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        sorted[i] = samples[order[i]!]!;
        weights[i] = st.weights[order[i]!]!;
      }
    }
    const count = st.count;
    /** The first sorted value whose cumulative weight exceeds target. */
    const valueAtRank = (target: number): number => {
      if (weights === null) return sorted[Math.min(Math.max(target + 1, 1), n) - 1]!;
      let w = 0;
      for (let i = 0; i < n; i++) {
        w += weights[i]!;
        if (w > target) return sorted[i]!;
      }
      return sorted[n - 1]!;
    };
    const outs = this.histOutputs;
    for (let i = 0; i < outs.length; i++) {
      const o = outs[i]!;
      let v: number;
      let type: DDMetricType = 'gauge';
      switch (o.aggregate) {
        case 'max':
          v = sorted[n - 1]!;
          break;
        case 'min':
          v = sorted[0]!;
          break;
        case 'median':
          v = valueAtRank(Math.floor((count - 1) / 2));
          break;
        case 'avg':
          v = st.value / count;
          break;
        case 'sum':
          v = st.value;
          break;
        case 'count':
          v = count / BUCKET_SECONDS;
          type = 'rate';
          break;
        default:
          // Go's integer division truncates toward zero: (p·count − 1) / 100.
          v = valueAtRank(Math.trunc((o.percentile * count - 1) / 100));
      }
      this.point(seriesByCtx, payload, st.ctx, i, o.suffix, type, st.bucket, v);
    }
  }

  /** Adds one point to the series (context, output index) of this flush, creating it on first use. */
  private point(
    seriesByCtx: Map<Context, DDSeries[]>,
    payload: DecodedPayload,
    ctx: Context,
    index: number,
    suffix: string,
    type: DDMetricType,
    ts: number,
    value: number,
  ): void {
    let list = seriesByCtx.get(ctx);
    if (!list) {
      list = [];
      seriesByCtx.set(ctx, list);
    }
    const existing = list[index];
    if (existing) {
      existing.timestamps.push(ts);
      existing.values.push(value);
      return;
    }
    const s = newSeries(ctx.name + suffix, ctx.host, ctx.tags, type, ts, value);
    list[index] = s;
    payload.series.push(s);
  }

  /** Forgets contexts unused for contextExpirySeconds (counters: plus counterExpirySeconds), as the Agent does. */
  private expire(nowSec: number): void {
    for (const ctx of this.contexts.values()) {
      if (ctx.state !== null) continue;
      const ttl = ctx.kind === K_COUNTER ? this.contextExpiry + this.counterExpiry : this.contextExpiry;
      if (ctx.lastSeen + ttl < nowSec) this.forget(ctx);
    }
    this.stats.contexts = this.contexts.size;
  }
}

function newSeries(metric: string, host: string, tags: string[], type: DDMetricType, ts: number, value: number): DDSeries {
  return {
    metric,
    type,
    host,
    device: '',
    resources: [],
    tags,
    sourceTypeName: '',
    interval: BUCKET_SECONDS,
    unit: '',
    timestamps: [ts],
    values: [value],
  };
}
