import type { IdentitySeriesBatch } from '../model/datadog.js';
import type { Label } from '../model/prometheus.js';
import type { HostTagCache } from './host-tags.js';
import { EntryTable, type Entry, type Family, type HostSlot } from './entries.js';
import { IdentityTable } from './identities.js';
import { NO_RESOURCES, type FamilyRule, type SeriesIdentity } from './label-rules.js';
import { LabelSetTable, labelSetHash, type LabelSet } from './label-sets.js';

/**
 * Every cache of one tenant: its entries (by strings and, per wire format, by identity bytes), and what they share,
 * interned: label sets, families, hosts, strings and label pairs. sweep() evicts idle entries; what they used stays
 * in the shared tables (found again if it comes back) until evictions add up to the live entries, then the tables
 * are rebuilt from the live entries alone.
 */
export class TenantState {
  readonly series = new EntryTable();
  /** One table per wire format: JSON bytes are never compared with protobuf bytes. */
  readonly identities: Record<IdentitySeriesBatch['encoding'], IdentityTable> = {
    'v2-protobuf': new IdentityTable(),
    'v1-json': new IdentityTable(),
    'v3-columnar': new IdentityTable(),
  };
  readonly sketches = new EntryTable();
  readonly checks = new EntryTable();
  private labelSets = new LabelSetTable();
  private families = new Map<string, Family>();
  private hosts = new Map<string, HostSlot>();
  /**
   * Interned strings and label pairs of the cached entries: one "env:prod" and one {env="prod"} per tenant instead
   * of one per series (decoders make fresh strings for every series).
   */
  private strings = new Map<string, string>();
  private pairs = new Map<string, Map<string, Label>>();
  /** Entries evicted since the shared tables were last rebuilt: what they used may still be in them. */
  private evictedSinceRebuild = 0;
  lastSweepMs: number;
  /** Hosts new to this state whose metadata the host-tag cache did not have; the mapper takes them per request. */
  hostsWithoutMetadata: string[] = [];

  constructor(
    readonly tenant: string,
    private readonly hostTags: HostTagCache,
    nowMs: number,
  ) {
    this.lastSweepMs = nowMs;
  }

  /** Cached identities: entries and identity rows. */
  get entryCount(): number {
    let n = this.series.size + this.sketches.size + this.checks.size;
    for (const table of Object.values(this.identities)) n += table.size;
    return n;
  }

  /** The entries of the entry tables (the identity tables' rows are not objects). */
  *entries(): Generator<Entry> {
    for (const table of [this.series, this.sketches, this.checks]) yield* table.entries();
  }

  /**
   * The interned label set of `labels` (sorted here by name). A new set's labels are interned pairs, in an array of
   * exactly their number (the rules' arrays grow by push, with room to spare).
   */
  intern(labels: Label[]): LabelSet {
    sortByName(labels);
    const hash = labelSetHash(labels);
    let ls = this.labelSets.find(hash, labels);
    if (ls === undefined) {
      const pairs = new Array<Label>(labels.length);
      for (let i = 0; i < labels.length; i++) pairs[i] = this.pair(labels[i]!.name, labels[i]!.value);
      ls = { labels: Object.freeze(pairs) as Label[], epoch: 0, out: null, histogram: null, sinkState: undefined };
      this.labelSets.add(ls, hash);
    }
    return ls;
  }

  /** The tenant's family `name` (of Datadog metric `metric`); its help is only built for a new one. */
  family(name: string, rule: FamilyRule, metric: string): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      const alone: Family[] = [];
      f = { name, type: rule.type, help: rule.help(metric), epoch: 0, unit: '', meta: null, alone };
      alone.push(f);
      this.families.set(name, f);
    }
    return f;
  }

  /** The host-tag cache changed `host`'s tags: entries of the host rebuild their label sets when next used. */
  hostTagsChanged(host: string): void {
    const slot = this.hosts.get(host);
    if (slot === undefined) return;
    slot.tags = this.hostTags.tags(this.tenant, host);
    slot.version++;
  }

  /**
   * Evicts entries unused since `idleBefore`, then, while more than `max` remain, the least recently used down to
   * 90 % of `max` (entries last used in the same request as the last of those go too); rebuilds what only entries
   * refer to once evictions since the last rebuild add up to the live entries. Runs between requests. Returns how
   * many were evicted.
   *
   * A sweep is a scan of the entries' last-use times (no allocation per entry); the rebuild walks every live entry.
   * Rebuilding only when the entries evicted since the last rebuild are at least as many as the live ones, every
   * rebuild is paid for by as many evictions (O(1) amortized per eviction, where rebuilding at every evicting sweep
   * cost O(live) each: 13 s at 1M series), and the tables hold at most as many evicted entries' label sets, families,
   * hosts and strings as live ones: at most about twice what the live entries use.
   */
  sweep(idleBefore: number, max: number): number {
    let cutoff = idleBefore;
    const count = this.entryCount;
    if (count > max) cutoff = Math.max(cutoff, this.mostRecentUse(count, Math.floor(max * 0.9)) + 1);
    let evicted = 0;
    for (const table of [this.series, this.sketches, this.checks]) evicted += table.evict(cutoff);
    for (const table of Object.values(this.identities)) evicted += table.evict(cutoff);
    this.evictedSinceRebuild += evicted;
    if (evicted > 0 && this.evictedSinceRebuild >= this.entryCount) this.rebuildShared();
    return evicted;
  }

  /** The (k+1)-th most recent last use of the `count` cached identities (k < count), by quickselect. */
  private mostRecentUse(count: number, k: number): number {
    const used = new Float64Array(count);
    let n = 0;
    for (const table of [this.series, this.sketches, this.checks]) n = table.copyLastUsed(used, n);
    for (const table of Object.values(this.identities)) n = table.copyLastUsed(used, n);
    return kthLargest(used, k);
  }

  /**
   * A new entry, its strings interned and its arrays copied (the producer owns them), its label sets still to build;
   * the caller files it in a table of this tenant.
   */
  create(id: SeriesIdentity, nowMs: number): Entry {
    const { resources, tags } = id;
    const e: Entry = {
      metric: this.string(id.metric),
      host: this.string(id.host),
      device: id.device,
      sourceTypeName: id.sourceTypeName,
      type: id.type,
      resources: resources.length === 0 ? NO_RESOURCES : resources.map((r) => ({ type: r.type, name: r.name })),
      tags: tags.map((tag) => this.string(tag)),
      next: undefined,
      slot: this.hostSlot(id.host),
      hostVersion: -1,
      used: nowMs,
      sets: [],
      families: [],
      refused: null,
    };
    return e;
  }

  private string(s: string): string {
    let have = this.strings.get(s);
    if (have === undefined) this.strings.set(s, (have = s));
    return have;
  }

  private pair(name: string, value: string): Label {
    let values = this.pairs.get(name);
    if (values === undefined) this.pairs.set(name, (values = new Map()));
    let have = values.get(value);
    if (have === undefined) values.set(value, (have = Object.freeze({ name, value })));
    return have;
  }

  /** The slot of `host` ('': none), new when the host is new to this state. */
  hostSlot(host: string): HostSlot | null {
    if (host === '') return null;
    let slot = this.hosts.get(host);
    if (slot === undefined) {
      this.hosts.set(host, (slot = { host, tags: this.hostTags.tags(this.tenant, host), version: 0 }));
      if (this.hostTags.info(this.tenant, host) === undefined) this.hostsWithoutMetadata.push(host);
    }
    return slot;
  }

  private rebuildShared(): void {
    this.evictedSinceRebuild = 0;
    this.labelSets = new LabelSetTable();
    this.families = new Map();
    this.hosts = new Map();
    this.strings = new Map();
    this.pairs = new Map();
    const seen = new Set<LabelSet>();
    const keep = (ls: LabelSet | null, f: Family | null, slot: HostSlot | null) => {
      if (ls !== null && !seen.has(ls)) {
        seen.add(ls);
        this.labelSets.add(ls, labelSetHash(ls.labels));
        for (const l of ls.labels) {
          let values = this.pairs.get(l.name);
          if (values === undefined) this.pairs.set(l.name, (values = new Map()));
          values.set(l.value, l);
        }
      }
      if (f !== null) this.families.set(f.name, f);
      if (slot !== null) this.hosts.set(slot.host, slot);
    };
    for (const e of this.entries()) {
      for (const ls of e.sets) keep(ls, null, null);
      for (const f of e.families) keep(null, f, null);
      keep(null, null, e.slot);
      this.string(e.metric);
      this.string(e.host);
      for (const tag of e.tags) this.string(tag);
    }
    for (const table of Object.values(this.identities)) table.shared(keep);
  }
}

/** The (k+1)-th largest of `a` (k < a.length); reorders `a`. Hoare's selection: O(a.length) on average. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Longest label array sortByName sorts by insertion (quadratic: a series may carry thousands of tags). */
const INSERTION_SORT_MAX = 32;

/**
 * Sorts labels by name. The rules' arrays are short and almost sorted (`__name__` comes last), and
 * Array.prototype.sort calling a JS comparator was most of the cost of interning a new label set: short ones are
 * sorted by insertion here.
 */
function sortByName(labels: Label[]): void {
  if (labels.length > INSERTION_SORT_MAX) {
    labels.sort(byName);
    return;
  }
  for (let i = 1; i < labels.length; i++) {
    const l = labels[i]!;
    let j = i - 1;
    for (; j >= 0 && labels[j]!.name > l.name; j--) labels[j + 1] = labels[j]!;
    labels[j + 1] = l;
  }
}

function byName(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
