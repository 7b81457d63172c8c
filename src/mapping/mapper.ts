import type { DDMetricType, DDResource, DDSeries, DDSketchPoint, DecodedPayload, IdentitySeriesBatch } from '../model/datadog.js';
import type { Label, MetricMetadata, PromMetricType, PromSeries, SeriesRef } from '../model/prometheus.js';
import type { HostTagCache } from './host-tags.js';
import { sanitizeLabelName, sanitizeMetricName, tagKey, tagValue } from './names.js';
import { DDSketchBuilder, quantileOrder, sketchQuantiles } from './ddsketch.js';

export interface MappingOptions {
  /** Keep Datadog metric names as they are (Prometheus 3 UTF-8 names) instead of sanitizing them. */
  keepUtf8Names: boolean;
  /** Quantiles emitted for each distribution point; default {@link DEFAULT_QUANTILES}. */
  quantiles?: readonly number[];
  /**
   * Series identities cached per tenant; default {@link DEFAULT_SERIES_CACHE_SIZE}. A soft bound: past it, the least
   * recently used are evicted at the next sweep (at most one a minute), so a burst of new series costs one rebuild.
   */
  seriesCacheSize?: number;
  /** Identities not seen for this long are evicted at the next sweep; default {@link DEFAULT_SERIES_CACHE_IDLE_MS}. */
  seriesCacheIdleMs?: number;
}

export const DEFAULT_QUANTILES: readonly number[] = Object.freeze([0.5, 0.75, 0.9, 0.95, 0.99]);
export const DEFAULT_SERIES_CACHE_SIZE = 1_000_000;
export const DEFAULT_SERIES_CACHE_IDLE_MS = 15 * 60_000;
/** How often a tenant's caches are swept for idle identities (checked between requests). */
const SWEEP_INTERVAL_MS = 60_000;
export const JOB = 'ddagent';
export const SERVICE_CHECK_METRIC = 'datadog_service_check_status';

/** Samples dropped by {@link Mapper.map}, by reason (usable as the `reason` label of promdog_samples_rejected_total). */
export interface DroppedSamples {
  /** Timestamp not finite or outside ±2^53 ms. */
  invalid_timestamp: number;
  /** Metric name empty. */
  invalid_metric_name: number;
  /** Service check status not 0..3; non-finite raw distribution value. */
  invalid_value: number;
  /** Another sample of the same series in the same request had the same timestamp and was sent later. */
  duplicate_timestamp: number;
}

export interface MapResult {
  series: PromSeries[];
  /** One entry per metric family in this request. */
  metadata: MetricMetadata[];
  /** Samples dropped, all reasons together (details in `dropped`). */
  invalid: number;
  dropped: DroppedSamples;
}

/**
 * One mapped label set and what it is doing in the current request. Interned per tenant: equal labels ⇒ same
 * object. It is the `ref` of its PromSeries, so sinks can keep their per-series state in it across requests.
 */
interface LabelSet extends SeriesRef {
  /** Frozen, with frozen interned Label objects: shared by every PromSeries of this set and by sinks (the store's head). */
  readonly labels: Label[];
  readonly hash: number;
  /** Next label set with the same hash. */
  next: LabelSet | undefined;
  /** The request (Mapper.epoch) that `out` belongs to. */
  epoch: number;
  out: PromSeries | null;
  /** `out` got a timestamp ≤ its previous one: sort and dedupe at the end of the request. */
  unsorted: boolean;
}

interface Family {
  readonly name: string;
  readonly type: PromMetricType;
  readonly help: string;
  epoch: number;
  unit: string;
  meta: MetricMetadata | null;
}

/** A host's tags as the cached label sets saw them; `version` moves when the host-tag cache changes them. */
interface HostSlot {
  tags: readonly string[];
  version: number;
}

/**
 * One Datadog series identity and its mapped label sets. Series use every identity field; distributions use
 * metric, host and tags; service checks check (as metric), host and tags (the other fields are empty).
 */
interface Entry {
  readonly metric: string;
  readonly host: string;
  readonly device: string;
  readonly sourceTypeName: string;
  readonly type: string;
  readonly resources: readonly DDResource[];
  readonly tags: readonly string[];
  /** Next entry with the same identity hash. */
  next: Entry | undefined;
  readonly slot: HostSlot | null;
  /** slot.version when the sets were built; a different one means the host's tags changed: rebuild. */
  hostVersion: number;
  /** The request time (ms) it was last used: idle entries are evicted by TenantState.sweep. */
  used: number;
  /** Series: 1 set (0 if the name is invalid); distributions: quantiles then count, sum, min, max, avg; checks: 1. */
  sets: readonly LabelSet[];
  families: readonly Family[];
}

/**
 * Identity hash → entries, chained on collision. Tags are hashed from a sample of their characters (cheaper; the
 * equality check reads them all anyway); if a chain grows past MAX_CHAIN (identities that differ only in characters
 * the sample skips), the table switches to hashing every character, for good.
 */
class EntryTable {
  private buckets = new Map<number, Entry>();
  private sampled = true;
  size = 0;

  hash(metric: string, host: string, device: string, sourceTypeName: string, type: string, resources: readonly DDResource[], tags: readonly string[]): number {
    return identityHash(this.sampled, metric, host, device, sourceTypeName, type, resources, tags);
  }

  find(hash: number, metric: string, host: string, device: string, sourceTypeName: string, type: string, resources: readonly DDResource[], tags: readonly string[]): Entry | undefined {
    for (let e = this.buckets.get(hash); e !== undefined; e = e.next) {
      if (e.metric === metric && e.host === host && e.device === device && e.sourceTypeName === sourceTypeName && e.type === type && sameTags(e.tags, tags) && sameResources(e.resources, resources)) return e;
    }
    return undefined;
  }

  /** Adds a new entry; `hash` is this.hash() of it. */
  add(hash: number, e: Entry): void {
    let chain = 0;
    for (let c = this.buckets.get(hash); c !== undefined; c = c.next) chain++;
    e.next = this.buckets.get(hash);
    this.buckets.set(hash, e);
    this.size++;
    if (chain >= MAX_CHAIN && this.sampled) this.hashEveryCharacter();
  }

  /** Keeps only the entries `keep` accepts. */
  retain(keep: (e: Entry) => boolean): void {
    const old = this.buckets;
    this.buckets = new Map();
    this.size = 0;
    for (const [hash, head] of old) {
      let chain: Entry | undefined;
      for (let e: Entry | undefined = head; e !== undefined; ) {
        const next: Entry | undefined = e.next;
        if (keep(e)) {
          e.next = chain;
          chain = e;
          this.size++;
        }
        e = next;
      }
      if (chain !== undefined) this.buckets.set(hash, chain);
    }
  }

  *entries(): Generator<Entry> {
    for (const head of this.buckets.values()) for (let e: Entry | undefined = head; e !== undefined; e = e.next) yield e;
  }

  private hashEveryCharacter(): void {
    const old = this.buckets;
    this.buckets = new Map();
    this.size = 0;
    this.sampled = false;
    for (const head of old.values()) {
      for (let e: Entry | undefined = head; e !== undefined; ) {
        const next: Entry | undefined = e.next;
        this.add(this.hash(e.metric, e.host, e.device, e.sourceTypeName, e.type, e.resources, e.tags), e);
        e = next;
      }
    }
  }
}

/** A v2 protobuf series identity (the bytes of its fields other than points) and what it maps to. */
interface KnownIdentity {
  /** Where its identity words (IdentitySeriesBatch.writeIdentity) start in the table's arena. */
  at: number;
  /** How many words. */
  readonly words: number;
  readonly entry: Entry;
  /** The series' unit: part of the identity bytes, but not of the entry (it goes to the family's metadata). */
  readonly unit: string;
  /** Next identity with the same hash. */
  next: KnownIdentity | undefined;
  /** The identity that followed this one in the last request that had it: the guess for the next series. */
  successor: KnownIdentity | undefined;
}

/**
 * Identity bytes → entry, for series decoded from v2 protobuf (see Mapper.mapSeriesBatch). Found by the decoder's
 * hash of the bytes, then compared word for word. Identities are only removed by a sweep, which copies the
 * survivors into a fresh arena, so their words are appended to one arena: no allocation per identity, and
 * identities the Agent sends one after the other sit one after the other in memory. A chain never grows past
 * MAX_CHAIN: identities crafted to collide are not remembered and take the slower path through their strings.
 */
class IdentityTable {
  private buckets = new Map<number, KnownIdentity>();
  private arena = new Int32Array(IDENTITY_ARENA_START);
  private used = 0;
  size = 0;

  /** Whether series i of `batch` has exactly the identity `k`. */
  matches(k: KnownIdentity, batch: IdentitySeriesBatch, i: number): boolean {
    return batch.identityEquals(i, this.arena, k.at);
  }

  find(batch: IdentitySeriesBatch, i: number, hash: number): KnownIdentity | undefined {
    for (let k = this.buckets.get(hash); k !== undefined; k = k.next) if (this.matches(k, batch, i)) return k;
    return undefined;
  }

  /** Remembers series i of `batch` (not found before) as mapping to `entry`; undefined when its chain is full. */
  add(batch: IdentitySeriesBatch, i: number, hash: number, entry: Entry, unit: string): KnownIdentity | undefined {
    const head = this.buckets.get(hash);
    let chain = 0;
    for (let c = head; c !== undefined; c = c.next) if (++chain >= MAX_CHAIN) return undefined;
    const n = batch.identityWords(i);
    this.reserve(n);
    batch.writeIdentity(i, this.arena, this.used);
    const k: KnownIdentity = { at: this.used, words: n, entry, unit, next: head, successor: undefined };
    this.used += n;
    this.buckets.set(hash, k);
    this.size++;
    return k;
  }

  /** Keeps the identities whose entry `keep` accepts, their words copied into a fresh arena. */
  retain(keep: (e: Entry) => boolean): void {
    const old = this.buckets;
    const oldArena = this.arena;
    this.buckets = new Map();
    this.arena = new Int32Array(IDENTITY_ARENA_START);
    this.used = 0;
    this.size = 0;
    const kept: KnownIdentity[] = [];
    for (const [hash, head] of old) {
      let chain: KnownIdentity | undefined;
      for (let k: KnownIdentity | undefined = head; k !== undefined; ) {
        const next: KnownIdentity | undefined = k.next;
        if (keep(k.entry)) {
          this.reserve(k.words);
          this.arena.set(oldArena.subarray(k.at, k.at + k.words), this.used);
          k.at = this.used;
          this.used += k.words;
          k.next = chain;
          chain = k;
          this.size++;
          kept.push(k);
        }
        k = next;
      }
      if (chain !== undefined) this.buckets.set(hash, chain);
    }
    for (const k of kept) if (k.successor !== undefined && !keep(k.successor.entry)) k.successor = undefined;
  }

  private reserve(n: number): void {
    if (this.used + n <= this.arena.length) return;
    const grown = new Int32Array(Math.max(2 * this.arena.length, this.used + n));
    grown.set(this.arena.subarray(0, this.used));
    this.arena = grown;
  }
}

/** Words of a fresh identity arena (grows by doubling; ~40 words per Agent series). */
const IDENTITY_ARENA_START = 4096;

/**
 * Label sets by hash, chained on collision: equal labels ⇒ the same LabelSet (so one request's samples of a label
 * set land in one PromSeries) without keeping a string key per series.
 */
class LabelSetTable {
  private buckets = new Map<number, LabelSet>();

  find(hash: number, labels: readonly Label[]): LabelSet | undefined {
    for (let ls = this.buckets.get(hash); ls !== undefined; ls = ls.next) if (sameLabels(ls.labels, labels)) return ls;
    return undefined;
  }

  add(ls: LabelSet): void {
    ls.next = this.buckets.get(ls.hash);
    this.buckets.set(ls.hash, ls);
  }
}

/** Every cache of one tenant. Identities, label sets, families and hosts live as long as an entry uses them. */
class TenantState {
  readonly series = new EntryTable();
  /** One table per wire format: JSON bytes are never compared with protobuf bytes. */
  readonly identities: Record<IdentitySeriesBatch['encoding'], IdentityTable> = { 'v2-protobuf': new IdentityTable(), 'v1-json': new IdentityTable() };
  readonly sketches = new EntryTable();
  readonly checks = new EntryTable();
  labelSets = new LabelSetTable();
  families = new Map<string, Family>();
  hosts = new Map<string, HostSlot>();
  /**
   * Interned strings and label pairs of the cached entries: one "env:prod" and one {env="prod"} per tenant instead
   * of one per series (decoders make fresh strings for every series).
   */
  private strings = new Map<string, string>();
  private pairs = new Map<string, Map<string, Label>>();
  lastSweepMs: number;

  constructor(nowMs: number) {
    this.lastSweepMs = nowMs;
  }

  get entryCount(): number {
    return this.series.size + this.sketches.size + this.checks.size;
  }

  string(s: string): string {
    let have = this.strings.get(s);
    if (have === undefined) this.strings.set(s, (have = s));
    return have;
  }

  pair(name: string, value: string): Label {
    let values = this.pairs.get(name);
    if (values === undefined) this.pairs.set(name, (values = new Map()));
    let have = values.get(value);
    if (have === undefined) values.set(value, (have = Object.freeze({ name, value })));
    return have;
  }

  /**
   * Evicts entries unused since `idleBefore`, then, while more than `max` remain, the least recently used down to
   * 90 % of `max` (entries last used in the same request as the last of those go too); rebuilds what only entries
   * refer to. Runs between requests. Returns how many were evicted.
   */
  sweep(idleBefore: number, max: number): number {
    const tables = [this.series, this.sketches, this.checks];
    let cutoff = idleBefore;
    if (this.entryCount > max) {
      const used: number[] = [];
      for (const table of tables) for (const e of table.entries()) used.push(e.used);
      used.sort((a, b) => b - a);
      cutoff = Math.max(cutoff, used[Math.floor(max * 0.9)]! + 1);
    }
    const keep = (e: Entry): boolean => e.used >= cutoff;
    // Usually nothing is idle: a scan is much cheaper than rebuilding the tables.
    let idle = 0;
    for (const table of tables) for (const e of table.entries()) if (!keep(e)) idle++;
    if (idle === 0) return 0;
    const before = this.entryCount;
    for (const table of tables) table.retain(keep);
    for (const table of Object.values(this.identities)) table.retain(keep);
    const evicted = before - this.entryCount;
    if (evicted > 0) this.rebuildShared(tables);
    return evicted;
  }

  private rebuildShared(tables: readonly EntryTable[]): void {
    this.labelSets = new LabelSetTable();
    this.families = new Map();
    this.hosts = new Map();
    this.strings = new Map();
    this.pairs = new Map();
    const seen = new Set<LabelSet>();
    for (const table of tables) {
      for (const e of table.entries()) {
        for (const ls of e.sets) {
          if (seen.has(ls)) continue;
          seen.add(ls);
          this.labelSets.add(ls);
          for (const l of ls.labels) {
            let values = this.pairs.get(l.name);
            if (values === undefined) this.pairs.set(l.name, (values = new Map()));
            values.set(l.value, l);
          }
        }
        for (const f of e.families) this.families.set(f.name, f);
        if (e.slot !== null) this.hosts.set(e.host, e.slot);
        this.string(e.metric);
        this.string(e.host);
        for (const tag of e.tags) this.string(tag);
      }
    }
  }
}

const MAX_TS_MS = Number.MAX_SAFE_INTEGER;
const NAME_CACHE_LIMIT = 100_000;

const TYPE_LABEL: Record<DDMetricType, string> = { unspecified: 'gauge', gauge: 'gauge', rate: 'rate', count: 'count' };
const SERIES_RESERVED: ReadonlySet<string> = new Set(['__name__', 'instance', 'job', 'type']);
const SKETCH_RESERVED: ReadonlySet<string> = new Set(['__name__', 'instance', 'job', 'type', 'quantile']);
const CHECK_RESERVED: ReadonlySet<string> = new Set(['__name__', 'instance', 'job', 'check']);
const SKETCH_SUFFIXES = ['_count', '_sum', '_min', '_max', '_avg'] as const;

const NO_RESOURCES: readonly DDResource[] = Object.freeze([]);

const enum Kind {
  Series,
  Sketch,
  Check,
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameLabels(a: readonly Label[], b: readonly Label[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  return true;
}

function sameResources(a: readonly DDResource[], b: readonly DDResource[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.type !== b[i]!.type || a[i]!.name !== b[i]!.name) return false;
  return true;
}

// Identity hashes are computed in JS: V8 hashes a string one character at a time with a long dependency chain, so
// hashing one concatenated key costs about twice as much (mapper.bench.ts measures the mapper).
const MAX_CHAIN = 8;

function mixAll(h: number, s: string): number {
  const n = s.length;
  let a = Math.imul(h ^ n, 0x01000193);
  let b = 0x9e3779b9 | 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ s.charCodeAt(i + 1), 0x5bd1e995);
  }
  if (i < n) a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
  return Math.imul(a ^ (b >>> 13) ^ b, 0x85ebca6b);
}

/** Length, the last 4 characters (where generated ids and counters differ) and 4 from the middle. */
function mixSample(h: number, s: string): number {
  const n = s.length;
  if (n <= 8) return mixAll(h, s);
  h = Math.imul(h ^ n, 0x01000193);
  for (let i = n - 4; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  const mid = (n >> 1) - 2;
  for (let i = mid; i < mid + 4; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** Names, host, device and resources are hashed in full: series of many hosts differ only there. */
function identityHash(sampled: boolean, metric: string, host: string, device: string, sourceTypeName: string, type: string, resources: readonly DDResource[], tags: readonly string[]): number {
  let h = mixAll(0x811c9dc5 | 0, metric);
  h = mixAll(h, host);
  h = mixAll(h, device);
  h = mixAll(h, sourceTypeName);
  h = mixAll(h, type);
  for (let i = 0; i < resources.length; i++) h = mixAll(mixAll(h, resources[i]!.type), resources[i]!.name);
  if (sampled) for (let i = 0; i < tags.length; i++) h = mixSample(h, tags[i]!);
  else for (let i = 0; i < tags.length; i++) h = mixAll(h, tags[i]!);
  // 30 bits: a small integer in every V8 build, the fast Map key.
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

function byName(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function msOf(seconds: number): number {
  return Math.round(seconds * 1000);
}

function validMs(ms: number): boolean {
  return ms >= -MAX_TS_MS && ms <= MAX_TS_MS; // false for NaN
}

/**
 * Maps decoded Datadog payloads to Prometheus series (docs/mapping.md has every rule). Holds per-tenant caches of
 * mapped label sets, so a series seen before costs one hash and one equality check. Not re-entrant; one instance per process.
 */
export class Mapper {
  private readonly keepUtf8Names: boolean;
  private readonly quantiles: readonly number[];
  private readonly quantileLabels: readonly string[];
  private readonly quantileOrder: readonly number[];
  private readonly quantileValues: number[] = [];
  private readonly cacheSize: number;
  private readonly cacheIdleMs: number;
  private readonly tenants = new Map<string, TenantState>();
  private readonly metricNames = new Map<string, string>();
  private readonly labelNames = new Map<string, string>();

  // State of the request being mapped (map() is synchronous).
  private epoch = 0;
  private nowMs = 0;
  private out: PromSeries[] = [];
  private touched: LabelSet[] = [];
  private touchedFamilies: Family[] = [];
  private dropped: DroppedSamples = newDropped();
  /** Cached identities evicted so far, all tenants (idle or over the cache size). */
  evicted = 0;

  constructor(
    opts: MappingOptions,
    private readonly hostTags: HostTagCache,
  ) {
    this.keepUtf8Names = opts.keepUtf8Names;
    const quantiles = opts.quantiles ?? DEFAULT_QUANTILES;
    for (const q of quantiles) if (!(q >= 0 && q <= 1)) throw new RangeError(`mapping: quantile ${q} is not within [0, 1]`);
    this.quantiles = [...quantiles];
    this.quantileLabels = this.quantiles.map((q) => String(q));
    this.quantileOrder = quantileOrder(this.quantiles);
    this.cacheSize = opts.seriesCacheSize ?? DEFAULT_SERIES_CACHE_SIZE;
    this.cacheIdleMs = opts.seriesCacheIdleMs ?? DEFAULT_SERIES_CACHE_IDLE_MS;
    hostTags.onChange((tenant, host) => {
      const slot = this.tenants.get(tenant)?.hosts.get(host);
      if (slot === undefined) return;
      slot.tags = hostTags.tags(tenant, host);
      slot.version++;
    });
  }

  /** Series identities (series, distributions, service checks) cached per tenant, for /metrics. */
  cachedIdentities(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [tenant, t] of this.tenants) out.set(tenant, t.entryCount);
    return out;
  }

  /** Maps one request's payload. Host metadata in it updates the host-tag cache first, so it applies to its series. */
  map(tenant: string, payload: DecodedPayload, nowMs: number): MapResult {
    for (const md of payload.hostMetadata) this.hostTags.update(tenant, md, nowMs);
    let t = this.tenants.get(tenant);
    if (t === undefined) this.tenants.set(tenant, (t = new TenantState(nowMs)));
    else if (nowMs - t.lastSweepMs >= SWEEP_INTERVAL_MS || nowMs < t.lastSweepMs) {
      // Only here, between requests: label sets stay unique within one.
      this.evicted += t.sweep(nowMs - this.cacheIdleMs, this.cacheSize);
      t.lastSweepMs = nowMs;
    }
    this.nowMs = nowMs;
    if (this.metricNames.size > NAME_CACHE_LIMIT) this.metricNames.clear();
    if (this.labelNames.size > NAME_CACHE_LIMIT) this.labelNames.clear();

    this.epoch++;
    this.out = [];
    this.touched = [];
    this.touchedFamilies = [];
    this.dropped = newDropped();

    if (payload.seriesBatch !== undefined) this.mapSeriesBatch(t, tenant, payload.seriesBatch);
    else for (const s of payload.series) this.mapSeries(t, tenant, s);
    for (const sk of payload.sketches) {
      const e = this.entry(t, tenant, Kind.Sketch, sk.metric, sk.host, '', '', '', NO_RESOURCES, sk.tags);
      for (const p of sk.points) this.appendSketch(e, p);
    }
    for (const d of payload.distributions) {
      const e = this.entry(t, tenant, Kind.Sketch, d.metric, d.host, '', '', '', NO_RESOURCES, d.tags);
      for (const p of d.points) {
        const b = new DDSketchBuilder();
        for (const v of p.values) {
          if (Number.isFinite(v)) b.add(v);
          else this.dropped.invalid_value++;
        }
        this.appendSketch(e, b.toPoint(p.ts));
      }
    }
    for (const sc of payload.serviceChecks) {
      const e = this.entry(t, tenant, Kind.Check, sc.check, sc.host, '', '', '', NO_RESOURCES, sc.tags);
      const ms = sc.timestamp === 0 ? nowMs : msOf(sc.timestamp);
      if (!validMs(ms)) this.dropped.invalid_timestamp++;
      else if (!(sc.status === 0 || sc.status === 1 || sc.status === 2 || sc.status === 3)) this.dropped.invalid_value++;
      else {
        this.append(e.sets[0]!, ms, sc.status);
        this.touchFamily(e.families[0]!, '');
      }
    }
    return this.finish();
  }

  private finish(): MapResult {
    const dropped = this.dropped;
    for (const ls of this.touched) {
      if (ls.unsorted) dropped.duplicate_timestamp += sortDedupe(ls.out!);
      ls.out = null; // do not keep this request's samples alive until the label set's next request
    }
    const metadata: MetricMetadata[] = [];
    for (const f of this.touchedFamilies) {
      if (f.meta === null || f.meta.unit !== f.unit) {
        f.meta = Object.freeze({ metricFamilyName: f.name, type: f.type, unit: f.unit, help: f.help });
      }
      metadata.push(f.meta);
    }
    const series = this.out;
    this.out = [];
    this.touched = [];
    this.touchedFamilies = [];
    const invalid = dropped.invalid_timestamp + dropped.invalid_metric_name + dropped.invalid_value + dropped.duplicate_timestamp;
    return { series, metadata, invalid, dropped };
  }

  // ---- hot path ----

  private mapSeries(t: TenantState, tenant: string, s: DDSeries): void {
    const e = this.entry(t, tenant, Kind.Series, s.metric, s.host, s.device, s.sourceTypeName, s.type, s.resources, s.tags);
    this.appendPoints(e, s.unit, s.timestamps, s.values, 0, s.timestamps.length);
  }

  /**
   * The fast path for scanned series (v2 protobuf, v1 JSON): a series whose identity bytes this tenant has sent
   * before goes straight to its entry, without a string being created (the Agent sends the same identities every
   * flush). Only a new identity is decoded to strings and goes through entry() like any series; its bytes are then
   * remembered. The entry's host-tag check still runs on every hit, so a host-tag change rebuilds its label sets
   * either way.
   */
  private mapSeriesBatch(t: TenantState, tenant: string, batch: IdentitySeriesBatch): void {
    const identities = t.identities[batch.encoding];
    let previous: KnownIdentity | undefined;
    for (let i = 0; i < batch.count; i++) {
      // The Agent sends its series in the same order every flush: try the one that came next last time first.
      let known = previous?.successor;
      if (known === undefined || !identities.matches(known, batch, i)) {
        const hash = batch.identityHash(i);
        known = identities.find(batch, i, hash);
        if (known === undefined) {
          const s = batch.decode(i);
          const e = this.entry(t, tenant, Kind.Series, s.metric, s.host, s.device, s.sourceTypeName, s.type, s.resources, s.tags);
          known = identities.add(batch, i, hash, e, s.unit);
          if (known === undefined) {
            this.appendPoints(e, s.unit, s.timestamps, s.values, 0, s.timestamps.length);
            previous = undefined;
            continue;
          }
        }
        if (previous !== undefined) previous.successor = known;
      }
      known.entry.used = this.nowMs;
      this.checkHostTags(t, Kind.Series, known.entry);
      this.appendPoints(known.entry, known.unit, batch.timestamps, batch.values, batch.pointsStart(i), batch.pointsStart(i + 1));
      previous = known;
    }
  }

  /** Appends points [from, to) of one series of entry `e`. */
  private appendPoints(e: Entry, unit: string, timestamps: readonly number[], values: readonly number[], from: number, to: number): void {
    if (e.sets.length === 0) {
      this.dropped.invalid_metric_name += to - from;
      return;
    }
    const ls = e.sets[0]!;
    let appended = false;
    for (let i = from; i < to; i++) {
      const ms = msOf(timestamps[i]!);
      if (!validMs(ms)) {
        this.dropped.invalid_timestamp++;
        continue;
      }
      this.append(ls, ms, values[i]!);
      appended = true;
    }
    if (appended) this.touchFamily(e.families[0]!, unit);
  }

  private appendSketch(e: Entry, p: DDSketchPoint): void {
    const sets = e.sets;
    if (sets.length === 0) {
      this.dropped.invalid_metric_name += this.quantiles.length + SKETCH_SUFFIXES.length;
      return;
    }
    const ms = msOf(p.ts);
    if (!validMs(ms)) {
      this.dropped.invalid_timestamp += sets.length;
      return;
    }
    const nq = this.quantiles.length;
    // An empty sketch has no quantiles, min, max or average; NaN like a Prometheus summary with no observations.
    const empty = p.cnt <= 0;
    const qv = this.quantileValues;
    sketchQuantiles(p, this.quantiles, this.quantileOrder, qv);
    for (let i = 0; i < nq; i++) this.append(sets[i]!, ms, empty ? NaN : qv[i]!);
    this.append(sets[nq]!, ms, p.cnt);
    this.append(sets[nq + 1]!, ms, p.sum);
    this.append(sets[nq + 2]!, ms, empty ? NaN : p.min);
    this.append(sets[nq + 3]!, ms, empty ? NaN : p.max);
    this.append(sets[nq + 4]!, ms, empty ? NaN : p.avg);
    for (const f of e.families) this.touchFamily(f, '');
  }

  private append(ls: LabelSet, ms: number, v: number): void {
    if (ls.epoch !== this.epoch) {
      const out: PromSeries = { labels: ls.labels, timestamps: [ms], values: [v], ref: ls };
      ls.epoch = this.epoch;
      ls.out = out;
      ls.unsorted = false;
      this.out.push(out);
      this.touched.push(ls);
      return;
    }
    const out = ls.out!;
    const ts = out.timestamps;
    if (ms <= ts[ts.length - 1]!) ls.unsorted = true;
    ts.push(ms);
    out.values.push(v);
  }

  private touchFamily(f: Family, unit: string): void {
    if (f.epoch !== this.epoch) {
      f.epoch = this.epoch;
      f.unit = unit;
      this.touchedFamilies.push(f);
    } else if (f.unit === '' && unit !== '') f.unit = unit;
  }

  /** The entry of an identity, created and (re)built when new or when its host's tags changed. */
  private entry(t: TenantState, tenant: string, kind: Kind, metric: string, host: string, device: string, sourceTypeName: string, type: string, resources: readonly DDResource[], tags: readonly string[]): Entry {
    const table = kind === Kind.Series ? t.series : kind === Kind.Sketch ? t.sketches : t.checks;
    const hash = table.hash(metric, host, device, sourceTypeName, type, resources, tags);
    let e = table.find(hash, metric, host, device, sourceTypeName, type, resources, tags);
    if (e === undefined) {
      e = {
        metric: t.string(metric),
        host: t.string(host),
        device,
        sourceTypeName,
        type,
        // Copies: the producer owns its arrays.
        resources: resources.length === 0 ? NO_RESOURCES : resources.map((r) => ({ type: r.type, name: r.name })),
        tags: tags.map((tag) => t.string(tag)),
        next: undefined,
        slot: this.hostSlot(t, tenant, host),
        hostVersion: -1,
        used: this.nowMs,
        sets: [],
        families: [],
      };
      table.add(hash, e);
    } else e.used = this.nowMs;
    this.checkHostTags(t, kind, e);
    return e;
  }

  /** (Re)builds the label sets of a new entry or of one whose host's tags changed since they were built. */
  private checkHostTags(t: TenantState, kind: Kind, e: Entry): void {
    const hostVersion = e.slot === null ? 0 : e.slot.version;
    if (e.hostVersion === hostVersion) return;
    if (kind === Kind.Series) this.buildSeries(t, e);
    else if (kind === Kind.Sketch) this.buildSketch(t, e);
    else this.buildCheck(t, e);
    e.hostVersion = hostVersion;
  }

  // ---- building label sets (first sight of a series identity) ----

  private buildSeries(t: TenantState, e: Entry): void {
    const name = this.metricName(e.metric);
    if (name === '') {
      e.sets = [];
      e.families = [];
      return;
    }
    const fixed: Label[] = [
      { name: 'job', value: JOB },
      { name: 'type', value: TYPE_LABEL[e.type as DDMetricType] ?? 'gauge' },
    ];
    if (e.host !== '') fixed.push({ name: 'instance', value: e.host });
    if (e.device !== '') fixed.push({ name: 'device', value: e.device });
    if (e.sourceTypeName !== '') fixed.push({ name: 'source_type_name', value: e.sourceTypeName });
    const base = this.labelsOf(fixed, SERIES_RESERVED, e.resources, e.tags, e.slot?.tags ?? []);
    base.push({ name: '__name__', value: name });
    e.sets = [this.intern(t, base)];
    e.families = [this.family(t, name, 'gauge', () => `Datadog metric ${e.metric}.`)];
  }

  private buildSketch(t: TenantState, e: Entry): void {
    const name = this.metricName(e.metric);
    if (name === '') {
      e.sets = [];
      e.families = [];
      return;
    }
    const fixed: Label[] = [
      { name: 'job', value: JOB },
      { name: 'type', value: 'distribution' },
    ];
    if (e.host !== '') fixed.push({ name: 'instance', value: e.host });
    const base = this.labelsOf(fixed, SKETCH_RESERVED, NO_RESOURCES, e.tags, e.slot?.tags ?? []);
    const sets: LabelSet[] = [];
    for (const q of this.quantileLabels) {
      sets.push(this.intern(t, [{ name: '__name__', value: name }, { name: 'quantile', value: q }, ...base]));
    }
    for (const suffix of SKETCH_SUFFIXES) sets.push(this.intern(t, [{ name: '__name__', value: name + suffix }, ...base]));
    e.sets = sets;
    e.families = [
      this.family(t, name, 'summary', () => `Datadog distribution ${e.metric}: quantiles, _count and _sum of each interval.`),
      this.family(t, name + '_min', 'gauge', () => `Smallest value of Datadog distribution ${e.metric} in each interval.`),
      this.family(t, name + '_max', 'gauge', () => `Largest value of Datadog distribution ${e.metric} in each interval.`),
      this.family(t, name + '_avg', 'gauge', () => `Average of Datadog distribution ${e.metric} in each interval.`),
    ];
  }

  /** Service checks: `e.metric` holds the check name. */
  private buildCheck(t: TenantState, e: Entry): void {
    const fixed: Label[] = [{ name: 'job', value: JOB }];
    if (e.metric !== '') fixed.push({ name: 'check', value: e.metric });
    if (e.host !== '') fixed.push({ name: 'instance', value: e.host });
    const base = this.labelsOf(fixed, CHECK_RESERVED, NO_RESOURCES, e.tags, e.slot?.tags ?? []);
    e.sets = [this.intern(t, [{ name: '__name__', value: SERVICE_CHECK_METRIC }, ...base])];
    e.families = [this.family(t, SERVICE_CHECK_METRIC, 'gauge', () => 'Datadog service check status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.')];
  }

  /**
   * The fixed labels plus resources, tags and host tags as labels (without `__name__`). A resource or tag whose
   * label name is reserved for the kind, is a fixed label of this series, or starts with `__` becomes
   * `exported_<name>`; tags also yield to resource labels. Several values for one name are joined (unique, sorted,
   * `,`). Host tags only add names the series does not have.
   */
  private labelsOf(fixed: Label[], reserved: ReadonlySet<string>, resources: readonly DDResource[], tags: readonly string[], hostTags: readonly string[]): Label[] {
    // Runs once per new series: one value per name is kept as a string, a second one makes it a list.
    const values = new Map<string, string | string[]>();
    let resourceNames: ReadonlySet<string> | null = null;
    const nameFor = (raw: string): string => {
      const n = this.labelName(raw);
      const taken = reserved.has(n) || fixedHas(fixed, n) || (resourceNames !== null && resourceNames.has(n));
      return taken || n.startsWith('__') ? 'exported_' + n : n;
    };
    for (const r of resources) if (r.name !== '') addValue(values, nameFor(r.type), r.name);
    if (values.size > 0) resourceNames = new Set(values.keys());
    for (const tag of tags) addValue(values, nameFor(tagKey(tag)), tagValue(tag));
    let fromHost: Map<string, string | string[]> | null = null;
    for (const tag of hostTags) {
      const n = nameFor(tagKey(tag));
      if (!values.has(n)) addValue((fromHost ??= new Map()), n, tagValue(tag));
    }
    const labels = [...fixed];
    for (const [name, v] of values) labels.push({ name, value: joinedValue(v) });
    if (fromHost !== null) for (const [name, v] of fromHost) labels.push({ name, value: joinedValue(v) });
    return labels;
  }

  private intern(t: TenantState, labels: Label[]): LabelSet {
    labels.sort(byName);
    let hash = 0x811c9dc5 | 0;
    for (const l of labels) hash = mixAll(mixAll(hash, l.name), l.value);
    let ls = t.labelSets.find(hash, labels);
    if (ls === undefined) {
      const frozen = Object.freeze(labels.map((l) => t.pair(l.name, l.value))) as Label[];
      ls = { labels: frozen, hash, next: undefined, epoch: 0, out: null, unsorted: false, sinkState: undefined };
      t.labelSets.add(ls);
    }
    return ls;
  }

  /** The tenant's family `name`; `help` is only called for a new one (most series share a family). */
  private family(t: TenantState, name: string, type: PromMetricType, help: () => string): Family {
    let f = t.families.get(name);
    if (f === undefined) t.families.set(name, (f = { name, type, help: help(), epoch: 0, unit: '', meta: null }));
    return f;
  }

  private hostSlot(t: TenantState, tenant: string, host: string): HostSlot | null {
    if (host === '') return null;
    let slot = t.hosts.get(host);
    if (slot === undefined) t.hosts.set(host, (slot = { tags: this.hostTags.tags(tenant, host), version: 0 }));
    return slot;
  }

  private metricName(raw: string): string {
    if (this.keepUtf8Names) return raw;
    let n = this.metricNames.get(raw);
    if (n === undefined) this.metricNames.set(raw, (n = sanitizeMetricName(raw)));
    return n;
  }

  private labelName(raw: string): string {
    let n = this.labelNames.get(raw);
    if (n === undefined) this.labelNames.set(raw, (n = sanitizeLabelName(raw)));
    return n;
  }
}

function fixedHas(fixed: readonly Label[], name: string): boolean {
  for (let i = 0; i < fixed.length; i++) if (fixed[i]!.name === name) return true;
  return false;
}

/** Adds a value to a name's values (unique). */
function addValue(into: Map<string, string | string[]>, name: string, value: string): void {
  const have = into.get(name);
  if (have === undefined) into.set(name, value);
  else if (typeof have === 'string') {
    if (have !== value) into.set(name, [have, value]);
  } else if (!have.includes(value)) have.push(value);
}

/** One value as is; several sorted and joined with `,`. */
function joinedValue(v: string | string[]): string {
  return typeof v === 'string' ? v : v.sort().join(',');
}

function newDropped(): DroppedSamples {
  return { invalid_timestamp: 0, invalid_metric_name: 0, invalid_value: 0, duplicate_timestamp: 0 };
}

/** Sorts a series' samples by time; of equal timestamps the one sent last wins. Returns how many were dropped. */
function sortDedupe(s: PromSeries): number {
  const ts = s.timestamps;
  const vs = s.values;
  const order = Array.from({ length: ts.length }, (_, i) => i);
  order.sort((a, b) => ts[a]! - ts[b]! || a - b);
  const outTs: number[] = [];
  const outVs: number[] = [];
  for (const i of order) {
    if (outTs.length > 0 && outTs[outTs.length - 1] === ts[i]) outVs[outVs.length - 1] = vs[i]!;
    else {
      outTs.push(ts[i]!);
      outVs.push(vs[i]!);
    }
  }
  s.timestamps = outTs;
  s.values = outVs;
  return ts.length - outTs.length;
}
