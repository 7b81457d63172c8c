import type { IdentitySeriesBatch } from '../model/datadog.js';
import { MAX_CHAIN, type Entry } from './entries.js';

/** A series identity as bytes (see IdentitySeriesBatch) and what it maps to. */
export interface KnownIdentity {
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

/** Words of a fresh identity arena (grows by doubling; ~40 words per Agent series). */
const IDENTITY_ARENA_START = 4096;

/**
 * Identity bytes → entry, for series decoded into an IdentitySeriesBatch (see Mapper.mapSeriesBatch). Found by the
 * decoder's hash of the bytes, then compared word for word. Each identity owns its entry, which no EntryTable
 * holds: a new identity is not looked up by its strings too. Identities are only removed by a sweep, which copies the
 * survivors into a fresh arena, so their words are appended to one arena: no allocation per identity, and
 * identities the Agent sends one after the other sit one after the other in memory. A chain never grows past
 * MAX_CHAIN: identities crafted to collide are not remembered and take the slower path through their strings.
 */
export class IdentityTable {
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

  /** Whether identities of `hash` fill their chain: one more is not remembered. */
  full(hash: number): boolean {
    let chain = 0;
    for (let c = this.buckets.get(hash); c !== undefined; c = c.next) if (++chain >= MAX_CHAIN) return true;
    return false;
  }

  /** Remembers series i of `batch` (not found before, its chain not full) as mapping to `entry`. */
  add(batch: IdentitySeriesBatch, i: number, hash: number, entry: Entry, unit: string): KnownIdentity {
    const head = this.buckets.get(hash);
    const n = batch.identityWords(i);
    this.reserve(n);
    batch.writeIdentity(i, this.arena, this.used);
    const k: KnownIdentity = { at: this.used, words: n, entry, unit, next: head, successor: undefined };
    this.used += n;
    this.buckets.set(hash, k);
    this.size++;
    return k;
  }

  /** The entries of the identities (each its own: see Mapper.mapSeriesBatch). */
  *entries(): Generator<Entry> {
    for (const head of this.buckets.values())
      for (let k: KnownIdentity | undefined = head; k !== undefined; k = k.next) yield k.entry;
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
