import type { IdentitySeriesBatch } from '../model/datadog.js';
import { MAX_CHAIN, type Family, type HostSlot } from './entries.js';
import type { LabelSet } from './label-sets.js';
import type { SeriesRefusal } from './limits.js';
import { SlotIndex } from './slot-index.js';

/** Words of a page of identity words (~40 a series); a longer identity gets a page of its own. */
const PAGE_WORDS = 1 << 16;
/** Rows of a fresh table (the typed columns double). */
const START_ROWS = 1024;

/**
 * Identity bytes → what the series maps to, for series decoded into an IdentitySeriesBatch (see
 * Mapper.mapSeriesBatch). The Agent's series are 100,000s of rows here, so a row is a number and its fields are
 * columns: typed arrays, and JS arrays of the shared objects (label set, family, host) — no object per identity.
 * Found by the decoder's hash of the bytes (SlotIndex), then compared word for word with the words it keeps in
 * pages: rows the Agent sends one after the other sit one after the other in memory. A row holds no string of its
 * identity: when its host's tags change, the mapper rebuilds it from the batch in hand, which has the same bytes.
 * evict() leaves an evicted row as a hole (page -1, out of the index); once holes outnumber live rows, the live
 * rows are copied into a fresh table: each eviction pays for at most one copy of a row, and holes and their words
 * take at most as much memory as the live rows. At most MAX_CHAIN rows share a hash: identities crafted to collide
 * are not remembered and take the slower path through their strings.
 */
export class IdentityTable {
  private index = new SlotIndex();
  /** Rows not evicted: rows (holes included) are numbered up to `units.length`. */
  private live = 0;
  private pages: Int32Array[] = [];
  /** Words in use in the last page. */
  private pageUsed = PAGE_WORDS;
  /** -1: the row was evicted (a hole). */
  private page = new Int32Array(START_ROWS);
  private at = new Int32Array(START_ROWS);
  private words = new Int32Array(START_ROWS);
  /** The row that followed this one in the last request that had it (-1: none): the guess for the next series. */
  private successors = new Int32Array(START_ROWS);
  /** The request time (ms) it was last used: idle rows are evicted by TenantState.sweep. */
  private used = new Float64Array(START_ROWS);
  /** Its host slot's version when its label set was built; another one means the host's tags changed: rebuild. */
  private hostVersions = new Int32Array(START_ROWS);
  private hosts: (HostSlot | null)[] = [];
  /** null when refused (the reason in `refusals`). */
  private sets: (LabelSet | null)[] = [];
  private families: (Family | null)[] = [];
  /** The series' unit: part of the identity bytes, but not of the label set (it goes to the family's metadata). */
  private units: string[] = [];
  /** Rows whose samples are refused (an empty metric name, a limit their labels break), and why: few. */
  private refusals = new Map<number, SeriesRefusal>();

  /** Rows not evicted. */
  get size(): number {
    return this.live;
  }

  /** Whether series i of `batch` has exactly the identity of row `k` (an evicted row has none). */
  matches(k: number, batch: IdentitySeriesBatch, i: number): boolean {
    const page = this.page[k]!;
    return page >= 0 && batch.identityEquals(i, this.pages[page]!, this.at[k]!);
  }

  /** The row of series i of `batch` (`hash` its identity hash), or -1. */
  find(batch: IdentitySeriesBatch, i: number, hash: number): number {
    const ix = this.index;
    for (let c = ix.start(hash), k: number; (k = ix.slotAt(c)) >= 0; c = ix.next(c))
      if (ix.hashOf(k) === hash && this.matches(k, batch, i)) return k;
    return -1;
  }

  /** Whether identities of `hash` fill their chain: one more is not remembered. */
  full(hash: number): boolean {
    return this.index.count(hash, MAX_CHAIN) >= MAX_CHAIN;
  }

  /**
   * Remembers series i of `batch` (not found before, its chain not full) as a new row, used at `nowMs`, of `host`;
   * its label set is still to build (stale() is true).
   */
  add(batch: IdentitySeriesBatch, i: number, hash: number, unit: string, host: HostSlot | null, nowMs: number): number {
    const k = this.units.length;
    if (k === this.at.length) this.growColumns();
    const n = batch.identityWords(i);
    const [page, at] = this.reserve(n);
    batch.writeIdentity(i, this.pages[page]!, at);
    this.page[k] = page;
    this.at[k] = at;
    this.words[k] = n;
    this.successors[k] = -1;
    this.used[k] = nowMs;
    this.hostVersions[k] = -1;
    this.hosts.push(host);
    this.sets.push(null);
    this.families.push(null);
    this.units.push(unit);
    this.index.add(hash, k);
    this.live++;
    return k;
  }

  successor(k: number): number {
    return this.successors[k]!;
  }

  setSuccessor(k: number, next: number): void {
    this.successors[k] = next;
  }

  touch(k: number, nowMs: number): void {
    this.used[k] = nowMs;
  }

  /** Whether row k's label set was built with other host tags than its host's now (or not built yet). */
  stale(k: number): boolean {
    return this.hostVersions[k] !== (this.hosts[k]?.version ?? 0);
  }

  /** Row k's label set and family, built with its host's tags as they are now; or why its samples are refused. */
  setBuilt(k: number, set: LabelSet | null, family: Family | null, refused: SeriesRefusal | null): void {
    this.hostVersions[k] = this.hosts[k]?.version ?? 0;
    this.sets[k] = set;
    this.families[k] = family;
    if (refused === null) this.refusals.delete(k);
    else this.refusals.set(k, refused);
  }

  /** The tags of row k's host as they are now. */
  hostTags(k: number): readonly string[] {
    return this.hosts[k]?.tags ?? [];
  }

  /** Row k's label set; null when it is refused. */
  labelSet(k: number): LabelSet | null {
    return this.sets[k]!;
  }

  family(k: number): Family {
    return this.families[k]!;
  }

  unit(k: number): string {
    return this.units[k]!;
  }

  refusal(k: number): SeriesRefusal {
    return this.refusals.get(k)!;
  }

  /** Writes when each live row was last used into `into` from `at`; returns the index after the last written. */
  copyLastUsed(into: Float64Array, at: number): number {
    for (let k = 0; k < this.units.length; k++) if (this.page[k]! >= 0) into[at++] = this.used[k]!;
    return at;
  }

  /** The label sets, families and hosts the live rows use (repeats included). */
  shared(visit: (set: LabelSet | null, family: Family | null, host: HostSlot | null) => void): void {
    for (let k = 0; k < this.units.length; k++)
      if (this.page[k]! >= 0) visit(this.sets[k]!, this.families[k]!, this.hosts[k]!);
  }

  /** Evicts the rows last used before `cutoff`; returns how many. */
  evict(cutoff: number): number {
    let evicted = 0;
    for (let k = 0; k < this.units.length; k++) {
      if (this.page[k]! < 0 || this.used[k]! >= cutoff) continue;
      this.index.remove(k);
      this.page[k] = -1;
      this.hosts[k] = null;
      this.sets[k] = null;
      this.families[k] = null;
      this.refusals.delete(k);
      evicted++;
    }
    this.live -= evicted;
    if (this.units.length - this.live > this.live) this.compact();
    return evicted;
  }

  /**
   * Copies the live rows into a fresh table, in their order: the columns are compacted in place (a kept row only
   * moves down, after it was read), the words copied into fresh pages.
   */
  private compact(): void {
    const old = {
      index: this.index,
      pages: this.pages,
      hosts: this.hosts,
      sets: this.sets,
      families: this.families,
      units: this.units,
      refusals: this.refusals,
    };
    const rows = this.units.length;
    this.index = new SlotIndex();
    this.pages = [];
    this.pageUsed = PAGE_WORDS;
    this.hosts = [];
    this.sets = [];
    this.families = [];
    this.units = [];
    this.refusals = new Map();
    /** Old row → new row, -1 when evicted. */
    const moved = new Int32Array(rows).fill(-1);
    for (let j = 0; j < rows; j++) {
      if (this.page[j]! < 0) continue;
      const k = this.units.length;
      moved[j] = k;
      const n = this.words[j]!;
      const [page, at] = this.reserve(n);
      const from = this.at[j]!;
      this.pages[page]!.set(old.pages[this.page[j]!]!.subarray(from, from + n), at);
      this.page[k] = page;
      this.at[k] = at;
      this.words[k] = n;
      this.used[k] = this.used[j]!;
      this.hostVersions[k] = this.hostVersions[j]!;
      this.hosts.push(old.hosts[j]!);
      this.sets.push(old.sets[j]!);
      this.families.push(old.families[j]!);
      this.units.push(old.units[j]!);
      const refused = old.refusals.get(j);
      if (refused !== undefined) this.refusals.set(k, refused);
      this.index.add(old.index.hashOf(j), k);
    }
    for (let j = 0; j < rows; j++) {
      const k = moved[j]!;
      if (k < 0) continue;
      const next = this.successors[j]!;
      this.successors[k] = next < 0 ? -1 : moved[next]!;
    }
  }

  /** Room for `n` words: [page, offset]. */
  private reserve(n: number): [number, number] {
    if (this.pageUsed + n > PAGE_WORDS) {
      this.pages.push(new Int32Array(Math.max(n, PAGE_WORDS)));
      this.pageUsed = 0;
    }
    const at = this.pageUsed;
    this.pageUsed += n;
    return [this.pages.length - 1, at];
  }

  private growColumns(): void {
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const grown = make(2 * a.length);
      grown.set(a);
      return grown;
    };
    const int32 = (n: number) => new Int32Array(n);
    this.page = grow(this.page, int32);
    this.at = grow(this.at, int32);
    this.words = grow(this.words, int32);
    this.successors = grow(this.successors, int32);
    this.hostVersions = grow(this.hostVersions, int32);
    this.used = grow(this.used, (n) => new Float64Array(n));
  }
}
