import type { BucketState } from './buckets.js';

// Aggregation contexts, as the Agent keys them: (name, host, sorted unique tags), plus the kind of metric here (see
// docs/dogstatsd.md). The hot path finds a context by the name and tags exactly as sent; only a new spelling
// resolves its host and tags.

export const K_COUNTER = 0;
export const K_GAUGE = 1;
export const K_SET = 2;
export const K_HISTOGRAM = 3;
export const K_DISTRIBUTION = 4;
const KINDS = 5;
/** A DogStatsD type's kind of context: `h` and `ms` share one. */
export const KIND_OF = {
  c: K_COUNTER,
  g: K_GAUGE,
  s: K_SET,
  h: K_HISTOGRAM,
  ms: K_HISTOGRAM,
  d: K_DISTRIBUTION,
} as const;

/** Raw (name, tags-as-sent) spellings cached per context; beyond this a spelling takes the slow path each time. */
const MAX_ALIASES = 8;

/** A copy of s that does not keep the packet string it was sliced from alive (V8 sliced strings share it). */
export function detach(s: string): string {
  return ` ${s}`.slice(1);
}

export class Context {
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

/** Host and tags as the Agent enriches them: a `host:` tag sets the host and is removed; tags sorted, unique. */
export function resolveTags(rawTags: string, defaultHost: string): { host: string; tags: string[] } {
  let host = defaultHost;
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

/** The live contexts, at most `maxContexts`. */
export class ContextTable {
  private readonly byKey = new Map<string, Context>();
  /** The counter contexts, which flushes zero-fill. */
  readonly counters = new Set<Context>();
  /** name → tags as sent → context per kind: the hot path's lookup, no tag parsing or sorting. */
  private readonly rawIndex = new Map<string, Map<string, Array<Context | undefined>>>();

  constructor(
    private readonly defaultHost: string,
    private readonly maxContexts: number,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** The context of (name, tags as sent, kind) if this spelling was seen before. */
  find(name: string, rawTags: string, kind: number): Context | undefined {
    return this.rawIndex.get(name)?.get(rawTags)?.[kind];
  }

  /**
   * Slow path: finds or creates (first bucket `bucket`) the context of (name, tags as sent, kind) and caches the
   * spelling; null when it would be one context too many.
   */
  resolve(rawName: string, rawTagsSliced: string, kind: number, bucket: number): Context | null {
    const rawTags = detach(rawTagsSliced);
    const { host, tags } = resolveTags(rawTags, this.defaultHost);
    const name = detach(rawName);
    const key = `${kind}\n${host}\n${name}\n${tags.join('\n')}`;
    let ctx = this.byKey.get(key);
    if (ctx === undefined) {
      if (this.byKey.size >= this.maxContexts) return null;
      ctx = new Context(kind, name, host, tags, key);
      ctx.firstBucket = bucket;
      this.byKey.set(key, ctx);
      if (kind === K_COUNTER) this.counters.add(ctx);
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

  /**
   * Forgets the contexts without unflushed data unused for `contextExpiry` seconds (counters: plus `counterExpiry`),
   * as the Agent does.
   */
  expire(nowSec: number, contextExpiry: number, counterExpiry: number): void {
    for (const ctx of this.byKey.values()) {
      if (ctx.state !== null) continue;
      const ttl = ctx.kind === K_COUNTER ? contextExpiry + counterExpiry : contextExpiry;
      if (ctx.lastSeen + ttl < nowSec) this.forget(ctx);
    }
  }

  private forget(ctx: Context): void {
    this.byKey.delete(ctx.key);
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
}
