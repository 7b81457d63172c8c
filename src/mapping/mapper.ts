import type {
  DDHostMetadata,
  DDResource,
  DDSeries,
  DDSketchPoint,
  DecodedPayload,
  IdentitySeriesBatch,
} from '../model/datadog.js';
import type { Label, MetricMetadata, PromSeries } from '../model/prometheus.js';
import type { HostTagCache } from './host-tags.js';
import { DDSketchBuilder, quantileOrder } from './ddsketch.js';
import { hostVersionOf, type Entry, type EntryTable, type Family } from './entries.js';
import { HOST_INFO_FAMILY, HOST_INFO_METRIC, hostInfoLabels } from './host-info-series.js';
import type { IdentityTable } from './identities.js';
import {
  CHECK_FAMILY,
  NO_RESOURCES,
  SERIES_FAMILY,
  SERVICE_CHECK_METRIC,
  SKETCH_FAMILIES,
  SKETCH_SUFFIXES,
  checkLabels,
  quantileLabel,
  seriesLabels,
  sketchLabelSets,
  sketchSeriesCount,
  type DistributionsMode,
  type SeriesIdentity,
} from './label-rules.js';
import type { LabelSet } from './label-sets.js';
import {
  DEFAULT_SERIES_LIMITS,
  identityRefusal,
  labelRefusal,
  type SeriesLimits,
  type SeriesRefusal,
} from './limits.js';
import { NameCache } from './name-cache.js';
import { checkMs, msOf, sketchValues, sortDedupe, validCheckStatus, validMs } from './sample-rules.js';
import { SketchHistogramSeries } from './sketch-histogram.js';
import { TenantState } from './tenant-state.js';

export interface MappingOptions {
  /** Keep Datadog metric names as they are (Prometheus 3 UTF-8 names) instead of sanitizing them. */
  keepUtf8Names: boolean;
  /** Quantiles emitted for each distribution point; default {@link DEFAULT_QUANTILES}. */
  quantiles?: readonly number[];
  /** What each distribution point becomes; default {@link DEFAULT_DISTRIBUTIONS}. */
  distributions?: DistributionsMode;
  /**
   * Series identities cached per tenant; default {@link DEFAULT_SERIES_CACHE_SIZE}. A soft bound: past it, the least
   * recently used are evicted at the next sweep (at most one a minute), so a burst of new series costs one rebuild.
   */
  seriesCacheSize?: number;
  /** Identities not seen for this long are evicted at the next sweep; default {@link DEFAULT_SERIES_CACHE_IDLE_MS}. */
  seriesCacheIdleMs?: number;
  /** Bounds on each series; default {@link DEFAULT_SERIES_LIMITS}. */
  limits?: SeriesLimits;
}

export const DEFAULT_QUANTILES: readonly number[] = Object.freeze([0.5, 0.75, 0.9, 0.95, 0.99]);
/** Quantile gauges: what every destination stores, and what existing dashboards query (docs/mapping.md). */
export const DEFAULT_DISTRIBUTIONS: DistributionsMode = 'quantiles';
export const DEFAULT_SERIES_CACHE_SIZE = 1_000_000;
export const DEFAULT_SERIES_CACHE_IDLE_MS = 15 * 60_000;
const NO_HOSTS: readonly string[] = Object.freeze([]);
/** How often a tenant's caches are swept for idle identities (checked between requests). */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Samples dropped by {@link Mapper.map}, by reason (usable as the `reason` label of promdog_samples_rejected_total):
 * those of refused series (a SeriesRefusal: an empty metric name, a limit) and these.
 */
export interface DroppedSamples extends Record<SeriesRefusal, number> {
  /** Timestamp not finite or outside ±2^53 ms. */
  invalid_timestamp: number;
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
  /** Prometheus series refused, by reason (a distribution's count as every series it would have made). */
  refusedSeries: Partial<Record<SeriesRefusal, number>>;
  /** Host metadata refused, by the series limit its tags break; the host keeps the tags it had. */
  refusedHostMetadata: Partial<Record<SeriesRefusal, number>>;
  /**
   * Hosts this request's series named that the mapper had not seen in this tenant and whose metadata the host-tag
   * cache does not have: their series were mapped without host tags.
   */
  hostsWithoutMetadata: readonly string[];
}

const enum Kind {
  Series,
  Sketch,
  Check,
}

/**
 * Maps decoded Datadog payloads to Prometheus series by the rules of label-rules.ts and sample-rules.ts
 * (docs/mapping.md has every rule). Holds per-tenant caches (tenant-state.ts) of the label sets the rules made, so
 * a series seen before costs one hash and one equality check. Not re-entrant; one instance per process.
 */
export class Mapper {
  private readonly naming: NameCache;
  private readonly quantiles: readonly number[];
  private readonly quantileLabels: readonly string[];
  private readonly quantileOrder: readonly number[];
  private readonly distributions: DistributionsMode;
  /** Series (and samples) one distribution point becomes. */
  private readonly sketchSeries: number;
  /** One distribution point's values (sketchValues). */
  private readonly pointValues: number[] = [];
  private readonly cacheSize: number;
  private readonly cacheIdleMs: number;
  readonly limits: SeriesLimits;
  private readonly tenants = new Map<string, TenantState>();

  // State of the request being mapped (map() is synchronous).
  private epoch = 0;
  private nowMs = 0;
  private out: PromSeries[] = [];
  private touched: LabelSet[] = [];
  /** Label sets whose output got a timestamp ≤ its previous one: sorted and deduped at the end of the request. */
  private unsorted = new Set<LabelSet>();
  private touchedFamilies: Family[] = [];
  private dropped: DroppedSamples = newDropped();
  private refusedSeries: Partial<Record<SeriesRefusal, number>> = {};
  /** Datadog series, distributions and service checks this request may still map (max_series_per_request). */
  private seriesLeft = Infinity;
  /** Cached identities evicted so far, all tenants (idle or over the cache size). */
  evicted = 0;

  constructor(
    opts: MappingOptions,
    private readonly hostTags: HostTagCache,
  ) {
    this.naming = new NameCache(opts.keepUtf8Names);
    const quantiles = opts.quantiles ?? DEFAULT_QUANTILES;
    for (const q of quantiles)
      if (!(q >= 0 && q <= 1)) throw new RangeError(`mapping: quantile ${q} is not within [0, 1]`);
    this.quantiles = [...quantiles];
    this.quantileLabels = this.quantiles.map(quantileLabel);
    this.quantileOrder = quantileOrder(this.quantiles);
    this.distributions = opts.distributions ?? DEFAULT_DISTRIBUTIONS;
    this.sketchSeries = sketchSeriesCount(this.distributions, this.quantiles.length);
    this.cacheSize = opts.seriesCacheSize ?? DEFAULT_SERIES_CACHE_SIZE;
    this.cacheIdleMs = opts.seriesCacheIdleMs ?? DEFAULT_SERIES_CACHE_IDLE_MS;
    this.limits = opts.limits ?? DEFAULT_SERIES_LIMITS;
    hostTags.onChange((tenant, host) => this.tenants.get(tenant)?.hostTagsChanged(host));
  }

  /** Series identities (series, distributions, service checks) cached per tenant, for /metrics. */
  cachedIdentities(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [tenant, t] of this.tenants) out.set(tenant, t.entryCount);
    return out;
  }

  /**
   * Maps one request's payload. Host metadata in it updates the host-tag cache first, so it applies to its series.
   * Its Datadog series, distributions and service checks past the first `maxSeries` (0: no bound) are refused.
   */
  map(tenant: string, payload: DecodedPayload, nowMs: number, maxSeries = 0): MapResult {
    const refusedHostMetadata: Partial<Record<SeriesRefusal, number>> = {};
    const acceptedHostMetadata: DDHostMetadata[] = [];
    for (const md of payload.hostMetadata) {
      // Host tags join every series of the host: they are held to the bounds of a series' own tags.
      const refused = identityRefusal(this.limits, '', '', '', '', NO_RESOURCES, md.hostTags);
      if (refused === null) {
        this.hostTags.update(tenant, md, nowMs);
        acceptedHostMetadata.push(md);
      } else refusedHostMetadata[refused] = (refusedHostMetadata[refused] ?? 0) + 1;
    }
    let t = this.tenants.get(tenant);
    if (t === undefined) this.tenants.set(tenant, (t = new TenantState(tenant, this.hostTags, nowMs)));
    else if (nowMs - t.lastSweepMs >= SWEEP_INTERVAL_MS || nowMs < t.lastSweepMs) {
      // Only here, between requests: label sets stay unique within one.
      this.evicted += t.sweep(nowMs - this.cacheIdleMs, this.cacheSize);
      t.lastSweepMs = nowMs;
    }
    this.nowMs = nowMs;
    this.naming.trim();

    this.epoch++;
    this.out = [];
    this.touched = [];
    this.unsorted.clear();
    this.touchedFamilies = [];
    this.dropped = newDropped();
    this.refusedSeries = {};
    this.seriesLeft = maxSeries > 0 ? maxSeries : Infinity;

    if (acceptedHostMetadata.length > 0) this.appendHostInfo(t, acceptedHostMetadata);
    if (payload.seriesBatch !== undefined) this.mapSeriesBatch(t, payload.seriesBatch);
    else for (const s of payload.series) this.mapSeries(t, s);
    const sketchSamples = this.sketchSeries;
    for (const sk of payload.sketches) {
      if (this.overRequestLimit(sketchSamples, sketchSamples * sk.points.length)) continue;
      const e = this.entry(t, Kind.Sketch, sk.metric, sk.host, '', '', '', NO_RESOURCES, sk.tags);
      for (const p of sk.points) this.appendSketch(e, p);
    }
    for (const d of payload.distributions) {
      if (this.overRequestLimit(sketchSamples, sketchSamples * d.points.length)) continue;
      const e = this.entry(t, Kind.Sketch, d.metric, d.host, '', '', '', NO_RESOURCES, d.tags);
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
      if (this.overRequestLimit(1, 1)) continue;
      const e = this.entry(t, Kind.Check, sc.check, sc.host, '', '', '', NO_RESOURCES, sc.tags);
      const ms = checkMs(sc.timestamp, nowMs);
      if (e.refused !== null) this.refuse(e.refused, 1, 1);
      else if (!validMs(ms)) this.dropped.invalid_timestamp++;
      else if (!validCheckStatus(sc.status)) this.dropped.invalid_value++;
      else {
        this.append(e.sets[0]!, ms, sc.status);
        this.touchFamily(e.families[0]!, '');
      }
    }
    return this.finish(t, refusedHostMetadata);
  }

  /** One sample of the host info series per host whose metadata came in this request, at the time it came. */
  private appendHostInfo(t: TenantState, metadata: readonly DDHostMetadata[]): void {
    const hosts = new Set<string>();
    for (const md of metadata) if (md.host !== '') hosts.add(md.host);
    if (hosts.size === 0) return;
    for (const host of hosts) {
      const info = this.hostTags.info(t.tenant, host)!;
      this.out.push({ labels: hostInfoLabels(info), timestamps: [info.updatedMs], values: [1] });
    }
    this.touchFamily(t.family(HOST_INFO_METRIC, HOST_INFO_FAMILY, ''), '');
  }

  private finish(t: TenantState, refusedHostMetadata: Partial<Record<SeriesRefusal, number>>): MapResult {
    const dropped = this.dropped;
    for (const ls of this.unsorted) dropped.duplicate_timestamp += sortDedupe(ls.out!);
    this.unsorted.clear();
    // Do not keep this request's samples alive until the label set's next request.
    for (const ls of this.touched) ls.out = null;
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
    let invalid = 0;
    for (const n of Object.values(dropped)) invalid += n;
    let hostsWithoutMetadata: readonly string[] = NO_HOSTS;
    if (t.hostsWithoutMetadata.length > 0) {
      hostsWithoutMetadata = t.hostsWithoutMetadata;
      t.hostsWithoutMetadata = [];
    }
    return {
      series,
      metadata,
      invalid,
      dropped,
      refusedSeries: this.refusedSeries,
      refusedHostMetadata,
      hostsWithoutMetadata,
    };
  }

  /**
   * Counts one more Datadog series, distribution or service check of the request; past its limit, refuses it
   * (`series` Prometheus series with `samples` samples) and returns true.
   */
  private overRequestLimit(series: number, samples: number): boolean {
    if (--this.seriesLeft >= 0) return false;
    this.refuse('too_many_series_in_request', series, samples);
    return true;
  }

  private refuse(reason: SeriesRefusal, series: number, samples: number): void {
    this.dropped[reason] += samples;
    this.refusedSeries[reason] = (this.refusedSeries[reason] ?? 0) + series;
  }

  // ---- hot path ----

  private mapSeries(t: TenantState, s: DDSeries): void {
    if (this.overRequestLimit(1, s.timestamps.length)) return;
    const e = this.entry(t, Kind.Series, s.metric, s.host, s.device, s.sourceTypeName, s.type, s.resources, s.tags);
    this.appendEntryPoints(e, s.unit, s.timestamps, s.values);
  }

  /**
   * The fast path for scanned series (v2 protobuf, v1 JSON, v3 columnar): a series whose identity bytes this tenant
   * has sent before goes straight to its row of the identity table and its label set, without a string being
   * created (the Agent sends the same identities every flush). Only a new identity is decoded to strings and mapped
   * by the rules; its bytes are then remembered. The row's host-tag version is still checked on every hit, so a
   * host-tag change rebuilds its label set either way (from the series decoded again).
   */
  private mapSeriesBatch(t: TenantState, batch: IdentitySeriesBatch): void {
    const rows = t.identities[batch.encoding];
    const nowMs = this.nowMs;
    let previous = -1;
    for (let i = 0; i < batch.count; i++) {
      const from = batch.pointsStart(i);
      const to = batch.pointsStart(i + 1);
      if (this.overRequestLimit(1, to - from)) continue;
      // The Agent sends its series in the same order every flush: try the one that came next last time first.
      let k = previous < 0 ? -1 : rows.successor(previous);
      if (k < 0 || !rows.matches(k, batch, i)) {
        const hash = batch.identityHash(i);
        k = rows.find(batch, i, hash);
        if (k < 0) {
          k = this.newRow(t, rows, batch, i, hash);
          if (k < 0) {
            previous = -1;
            continue;
          }
        }
        if (previous >= 0) rows.setSuccessor(previous, k);
      }
      rows.touch(k, nowMs);
      // The host's tags changed since the label set was built (entry() checks the same).
      if (rows.stale(k)) this.buildRow(t, rows, k, batch.decode(i));
      const ls = rows.labelSet(k);
      if (ls === null) this.refuse(rows.refusal(k), 1, to - from);
      else this.appendPoints(ls, rows.family(k), rows.unit(k), batch.timestamps, batch.values, from, to);
      previous = k;
    }
  }

  /**
   * The new row of series i of `batch`, its label set built; -1 when the series is not remembered, its samples
   * mapped (or refused) here: too many tags to be worth decoding (one series may carry millions), a limit it breaks
   * as sent (costly to keep), or identities crafted to collide past a full chain (found by their strings instead,
   * in the series' EntryTable).
   */
  private newRow(t: TenantState, rows: IdentityTable, batch: IdentitySeriesBatch, i: number, hash: number): number {
    const points = batch.pointsStart(i + 1) - batch.pointsStart(i);
    const maxTags = this.limits.maxTagsPerSeries;
    if (maxTags > 0 && batch.tagCount(i) > maxTags) {
      this.refuse('too_many_tags', 1, points);
      return -1;
    }
    const s = batch.decode(i);
    if (rows.full(hash)) {
      const e = this.entry(t, Kind.Series, s.metric, s.host, s.device, s.sourceTypeName, s.type, s.resources, s.tags);
      this.appendEntryPoints(e, s.unit, s.timestamps, s.values);
      return -1;
    }
    const refused = identityRefusal(this.limits, s.metric, s.host, s.device, s.sourceTypeName, s.resources, s.tags);
    if (refused !== null) {
      this.refuse(refused, 1, points);
      return -1;
    }
    const k = rows.add(batch, i, hash, s.unit, t.hostSlot(s.host), this.nowMs);
    this.buildRow(t, rows, k, s);
    return k;
  }

  /** (Re)builds row k's label set from its series decoded, with its host's tags as they are now. */
  private buildRow(t: TenantState, rows: IdentityTable, k: number, s: SeriesIdentity): void {
    const built = this.labelSets(t, Kind.Series, s, rows.hostTags(k));
    rows.setBuilt(k, built.sets[0] ?? null, built.families[0] ?? null, built.refused);
  }

  /** Appends the points of a series of entry `e` (refused: counts them). */
  private appendEntryPoints(e: Entry, unit: string, timestamps: readonly number[], values: readonly number[]): void {
    if (e.refused !== null) this.refuse(e.refused, 1, timestamps.length);
    else this.appendPoints(e.sets[0]!, e.families[0]!, unit, timestamps, values, 0, timestamps.length);
  }

  /** Appends points [from, to) of one series to label set `ls` of family `f`. */
  private appendPoints(
    ls: LabelSet,
    f: Family,
    unit: string,
    timestamps: readonly number[],
    values: readonly number[],
    from: number,
    to: number,
  ): void {
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
    if (appended) this.touchFamily(f, unit);
  }

  /** A distribution point's samples, into the label sets of sketchLabelSets in their order. */
  private appendSketch(e: Entry, p: DDSketchPoint): void {
    const sets = e.sets;
    if (e.refused !== null) {
      this.refuse(e.refused, this.sketchSeries, this.sketchSeries);
      return;
    }
    const ms = msOf(p.ts);
    if (!validMs(ms)) {
      this.dropped.invalid_timestamp += sets.length;
      return;
    }
    if (this.distributions === 'native_histogram') {
      const empty = p.cnt <= 0;
      this.append(sets[0]!, ms, empty ? NaN : p.min);
      this.append(sets[1]!, ms, empty ? NaN : p.max);
    } else {
      const values = this.pointValues;
      sketchValues(p, this.quantiles, this.quantileOrder, values);
      const n = this.quantiles.length + SKETCH_SUFFIXES.length;
      for (let i = 0; i < n; i++) this.append(sets[i]!, ms, values[i]!);
    }
    if (this.distributions !== 'quantiles') this.appendHistogram(sets[sets.length - 1]!, ms, p);
    for (const f of e.families) this.touchFamily(f, '');
  }

  /**
   * Adds a point to its series' running totals (SketchHistogramSeries); the sample they make, if any, joins the
   * request's output (replacing one of the same time: SketchHistogramSeries.add says when).
   */
  private appendHistogram(ls: LabelSet, ms: number, p: DDSketchPoint): void {
    const h = (ls.histogram ??= new SketchHistogramSeries()).add(p, ms, this.epoch);
    if (h === null) return;
    if (ls.epoch !== this.epoch) {
      const histograms = { timestamps: [ms], histograms: [h] };
      this.startOutput(ls, { labels: ls.labels, timestamps: [], values: [], histograms, ref: ls });
      return;
    }
    const hs = (ls.out!.histograms ??= { timestamps: [], histograms: [] });
    const last = hs.timestamps.length - 1;
    if (last >= 0 && hs.timestamps[last] === ms) hs.histograms[last] = h;
    else {
      hs.timestamps.push(ms);
      hs.histograms.push(h);
    }
  }

  private append(ls: LabelSet, ms: number, v: number): void {
    if (ls.epoch !== this.epoch) {
      this.startOutput(ls, new OutputSeries(ls, ms, v));
      return;
    }
    const out = ls.out!;
    const ts = out.timestamps;
    if (ms <= ts[ts.length - 1]!) this.unsorted.add(ls);
    ts.push(ms);
    out.values.push(v);
  }

  /** A label set's first samples in this request: `out` is its output series. */
  private startOutput(ls: LabelSet, out: PromSeries): void {
    ls.epoch = this.epoch;
    ls.out = out;
    this.out.push(out);
    this.touched.push(ls);
  }

  private touchFamily(f: Family, unit: string): void {
    if (f.epoch !== this.epoch) {
      f.epoch = this.epoch;
      f.unit = unit;
      this.touchedFamilies.push(f);
    } else if (f.unit === '' && unit !== '') f.unit = unit;
  }

  /**
   * The entry of an identity, its label sets built when new or when its host's tags changed. A new identity that
   * breaks a limit as sent is not cached: it gets the shared entry of its refusal.
   */
  private entry(
    t: TenantState,
    kind: Kind,
    metric: string,
    host: string,
    device: string,
    sourceTypeName: string,
    type: string,
    resources: readonly DDResource[],
    tags: readonly string[],
  ): Entry {
    const table: EntryTable = kind === Kind.Series ? t.series : kind === Kind.Sketch ? t.sketches : t.checks;
    const hash = table.hash(metric, host, device, sourceTypeName, type, resources, tags);
    const e = table.find(hash, metric, host, device, sourceTypeName, type, resources, tags);
    if (e === undefined) {
      const created = this.newEntry(t, kind, { metric, host, device, sourceTypeName, type, resources, tags });
      if (!isUncached(created)) table.add(hash, created);
      return created;
    }
    e.used = this.nowMs;
    if (e.hostVersion !== hostVersionOf(e)) this.build(t, kind, e);
    return e;
  }

  /**
   * A new entry of an identity, its label sets built, for the caller to file; the shared entry of its refusal when
   * it breaks a limit as sent (see entry()).
   */
  private newEntry(t: TenantState, kind: Kind, id: SeriesIdentity): Entry {
    const refused = identityRefusal(
      this.limits,
      id.metric,
      id.host,
      id.device,
      id.sourceTypeName,
      id.resources,
      id.tags,
    );
    if (refused !== null) return uncachedEntry(refused);
    const e = t.create(id, this.nowMs);
    this.build(t, kind, e);
    return e;
  }

  /**
   * (Re)builds an entry's label sets and families with its host's tags as they are now (see labelSets). Callers
   * check hostVersionOf first, so a series with nothing to build makes no call.
   */
  private build(t: TenantState, kind: Kind, e: Entry): void {
    e.hostVersion = hostVersionOf(e);
    const built = this.labelSets(t, kind, e, e.slot?.tags ?? []);
    e.sets = built.sets;
    e.families = built.families;
    e.refused = built.refused;
  }

  /**
   * The label sets and families the rules make of an identity with these host tags, or why its samples are refused
   * (an empty metric name, labels that break a limit: then no sets).
   */
  private labelSets(t: TenantState, kind: Kind, id: SeriesIdentity, hostTags: readonly string[]): Built {
    const name = kind === Kind.Check ? SERVICE_CHECK_METRIC : this.naming.metricName(id.metric);
    const labelSets =
      name === ''
        ? []
        : kind === Kind.Check
          ? [checkLabels(id, hostTags, this.naming)]
          : kind === Kind.Series
            ? [seriesLabels(id, name, hostTags, this.naming)]
            : sketchLabelSets(id, name, hostTags, this.quantileLabels, this.distributions, this.naming);
    let refused: SeriesRefusal | null = labelSets.length === 0 ? 'invalid_metric_name' : null;
    for (let i = 0; refused === null && i < labelSets.length; i++) refused = labelRefusal(this.limits, labelSets[i]!);
    if (refused !== null) return { sets: NO_SETS, families: NO_FAMILIES, refused };
    const sets = labelSets.map((labels) => t.intern(labels));
    const families =
      kind === Kind.Check
        ? t.family(SERVICE_CHECK_METRIC, CHECK_FAMILY, id.metric).alone
        : kind === Kind.Series
          ? t.family(name, SERIES_FAMILY, id.metric).alone
          : SKETCH_FAMILIES[this.distributions].map((rule) => t.family(name + rule.suffix, rule, id.metric));
    return { sets, families, refused: null };
  }
}

/** What the rules made of an identity (Mapper.labelSets). */
interface Built {
  sets: readonly LabelSet[];
  families: readonly Family[];
  refused: SeriesRefusal | null;
}

const NO_SETS: readonly LabelSet[] = Object.freeze([]);
const NO_FAMILIES: readonly Family[] = Object.freeze([]);

function newDropped(): DroppedSamples {
  return {
    invalid_timestamp: 0,
    invalid_value: 0,
    duplicate_timestamp: 0,
    invalid_metric_name: 0,
    metric_name_too_long: 0,
    too_many_tags: 0,
    too_many_labels: 0,
    label_name_too_long: 0,
    label_value_too_long: 0,
    too_many_series_in_request: 0,
  };
}

/** One shared entry per refusal, for identities refused before they were cached (see Mapper.entry). */
const UNCACHED_ENTRIES = new Map<SeriesRefusal, Entry>();

function uncachedEntry(refused: SeriesRefusal): Entry {
  let e = UNCACHED_ENTRIES.get(refused);
  if (e === undefined) {
    e = {
      metric: '',
      host: '',
      device: '',
      sourceTypeName: '',
      type: '',
      resources: NO_RESOURCES,
      tags: [],
      next: undefined,
      slot: null,
      hostVersion: 0,
      used: 0,
      sets: [],
      families: [],
      refused,
    };
    UNCACHED_ENTRIES.set(refused, e);
  }
  return e;
}

function isUncached(e: Entry): boolean {
  return e.refused !== null && UNCACHED_ENTRIES.get(e.refused) === e;
}

/**
 * A label set's output series of one request, first sample given. Made by a constructor and `new Array`, not by
 * object and array literals: V8 tenures what a literal makes once most of it survives a while (the round that
 * creates the series keeps each output series alive for its whole request), and from then on every request made
 * its output series straight in the old generation, garbage only a major collection frees — ~35 MB a round of
 * 200k series, most of what a busy process held above its live data.
 */
class OutputSeries implements PromSeries {
  readonly labels: Label[];
  readonly timestamps: number[] = new Array<number>(1);
  readonly values: number[] = new Array<number>(1);
  readonly ref: LabelSet;

  constructor(ls: LabelSet, ms: number, v: number) {
    this.labels = ls.labels;
    this.timestamps[0] = ms;
    this.values[0] = v;
    this.ref = ls;
  }
}
