import type { DDResource } from '../model/datadog.js';
import type { MetricMetadata, PromMetricType } from '../model/prometheus.js';
import type { SeriesIdentity } from './label-rules.js';
import type { LabelSet } from './label-sets.js';
import type { SeriesRefusal } from './limits.js';
import { HASH_SEED, mixAll, mixSample } from './string-hash.js';

// The mapper's cache entries: one per Datadog identity a tenant sent, holding the label sets and families the
// mapping rules made of it, found again by the identity's strings (EntryTable).

/** A host's tags as the cached label sets saw them; `version` moves when the host-tag cache changes them. */
export interface HostSlot {
  readonly host: string;
  tags: readonly string[];
  version: number;
}

/** A metric family and what it is doing in the current request (the mapper's epoch). */
export interface Family {
  readonly name: string;
  readonly type: PromMetricType;
  readonly help: string;
  epoch: number;
  unit: string;
  meta: MetricMetadata | null;
  /** [this family]: the families of every series or check entry of it, one array for all of them. */
  readonly alone: readonly Family[];
}

/**
 * One Datadog series identity and its mapped label sets. Series use every identity field; distributions use
 * metric, host and tags; service checks check (as metric), host and tags (the other fields are empty).
 */
export interface Entry extends SeriesIdentity {
  /** Next entry with the same identity hash. */
  next: Entry | undefined;
  readonly slot: HostSlot | null;
  /** slot.version when the sets were built; a different one means the host's tags changed: rebuild. */
  hostVersion: number;
  /** The request time (ms) it was last used: idle entries are evicted by TenantState.sweep. */
  used: number;
  /** Series: 1 set; distributions: those of sketchLabelSets, in its order; checks: 1. None when refused. */
  sets: readonly LabelSet[];
  families: readonly Family[];
  /** Why its samples are refused (an empty metric name, a limit its labels break); null when they are mapped. */
  refused: SeriesRefusal | null;
}

/** The version of its host's tags an entry's label sets must have been built with (0 without a host). */
export function hostVersionOf(e: Entry): number {
  return e.slot === null ? 0 : e.slot.version;
}

/** Longest hash chain a table keeps as it is (EntryTable: then hashes every character; IdentityTable: stops adding). */
export const MAX_CHAIN = 8;

/**
 * Identity hash → entries, chained on collision. Tags are hashed from a sample of their characters (cheaper; the
 * equality check reads them all anyway); if a chain grows past MAX_CHAIN (identities that differ only in characters
 * the sample skips), the table switches to hashing every character, for good.
 */
export class EntryTable {
  private buckets = new Map<number, Entry>();
  private sampled = true;
  size = 0;

  hash(
    metric: string,
    host: string,
    device: string,
    sourceTypeName: string,
    type: string,
    resources: readonly DDResource[],
    tags: readonly string[],
  ): number {
    return identityHash(this.sampled, metric, host, device, sourceTypeName, type, resources, tags);
  }

  find(
    hash: number,
    metric: string,
    host: string,
    device: string,
    sourceTypeName: string,
    type: string,
    resources: readonly DDResource[],
    tags: readonly string[],
  ): Entry | undefined {
    for (let e = this.buckets.get(hash); e !== undefined; e = e.next) {
      if (
        e.metric === metric &&
        e.host === host &&
        e.device === device &&
        e.sourceTypeName === sourceTypeName &&
        e.type === type &&
        sameTags(e.tags, tags) &&
        sameResources(e.resources, resources)
      )
        return e;
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

  /** Evicts the entries last used before `cutoff`, in place; returns how many. */
  evict(cutoff: number): number {
    let evicted = 0;
    for (const [hash, head] of this.buckets) {
      let first: Entry | undefined = head;
      while (first !== undefined && first.used < cutoff) {
        first = first.next;
        evicted++;
      }
      if (first === undefined) this.buckets.delete(hash);
      else if (first !== head) this.buckets.set(hash, first);
      for (let e: Entry | undefined = first; e !== undefined; e = e.next) {
        while (e.next !== undefined && e.next.used < cutoff) {
          e.next = e.next.next;
          evicted++;
        }
      }
    }
    this.size -= evicted;
    return evicted;
  }

  /** Writes when each entry was last used into `into` from `at`; returns the index after the last written. */
  copyLastUsed(into: Float64Array, at: number): number {
    for (const head of this.buckets.values())
      for (let e: Entry | undefined = head; e !== undefined; e = e.next) into[at++] = e.used;
    return at;
  }

  *entries(): Generator<Entry> {
    for (const head of this.buckets.values())
      for (let e: Entry | undefined = head; e !== undefined; e = e.next) yield e;
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

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameResources(a: readonly DDResource[], b: readonly DDResource[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.type !== b[i]!.type || a[i]!.name !== b[i]!.name) return false;
  return true;
}

/** Names, host, device and resources are hashed in full: series of many hosts differ only there. */
function identityHash(
  sampled: boolean,
  metric: string,
  host: string,
  device: string,
  sourceTypeName: string,
  type: string,
  resources: readonly DDResource[],
  tags: readonly string[],
): number {
  let h = mixAll(HASH_SEED, metric);
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
