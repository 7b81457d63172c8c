import type { Label } from '../model/prometheus.js';
import { hashLabelPair, hashLabels, labelsEqual } from './labels.js';
import { SeriesByHash } from './series-by-hash.js';
import { PackedLabelSets } from './packed-label-sets.js';
import type { CompiledMatcher } from '../model/matcher.js';
import { EMPTY_POSTINGS, selectPostings, type Postings, type PostingsSource } from './postings.js';
import { ChunkArena } from './arena.js';
import { MAX_SAMPLES_PER_CHUNK, decodeChunk, decodeChunks, chunkSampleCount } from './chunk.js';
import { OpenChunks } from './open-chunks.js';
import { LateSamples } from './late-samples.js';
import type { SeriesData } from '../model/storage.js';
import type { SeriesColumnsBuilder } from '../model/series-columns.js';

// The head: the newest data, in memory. Series are found by label hash (SeriesByHash), each holds closed chunks
// plus one open chunk. Chunks never cross a block-range boundary, so cutting a block moves whole chunks. What a
// series holds per sample lives outside it, in typed arrays and shared pages (the closed chunks in a ChunkArena, the
// open chunk in OpenChunks, late samples in LateSamples): objects per series were most of the head's memory and of
// the collector's work while WAL replay filled it.
// Samples older than their series' newest wait, unencoded and sorted, in the series' out-of-order buffer (as in
// Prometheus' out-of-order head chunk): re-encoding the chunks for every late sample cost far more than the append.
// The buffer is merged into the chunks when it fills, when a read needs its range and before a block is cut.

export enum AppendOutcome {
  Appended = 0,
  /** Same timestamp and bit-identical value as a stored sample: accepted, not stored twice. */
  Identical = 1,
  TooOld = 2,
  DuplicateTimestamp = 3,
  /** Older than its series' newest sample, of a kind kept in order only (native histograms: histogram-head.ts). */
  OutOfOrder = 4,
}

/** Oldest timestamps an append accepts (see Head.append). */
export interface AppendWindow {
  inOrderBefore: number;
  outOfOrderBefore: number;
}

export const UNBOUNDED_WINDOW: AppendWindow = { inOrderBefore: -Infinity, outOfOrderBefore: -Infinity };

/** Out-of-order samples a series buffers before they are merged into its chunks (Prometheus' default too). */
export const OUT_OF_ORDER_CAPACITY = 32;

/**
 * The chunk list of every series without closed chunks (most, in its first 20 minutes at a 10 s interval): an empty
 * array is 32 bytes. Frozen, so that a push meant for a series' own list fails loudly.
 */
const NO_CHUNKS: number[] = Object.freeze([]) as unknown as number[];

/**
 * A series of the head. Only what has no better place is a field: its times are read from its chunks (the open
 * chunk's are columns of OpenChunks). Every field is 8 bytes of every series, and a number that is not a small
 * integer (a timestamp) was a 16-byte heap object besides.
 */
export class HeadSeries {
  /**
   * Closed chunks, oldest first, as triples (arena reference, minT, maxT): one array instead of three saves ~300
   * bytes per series (a JS array's backing store starts at 17 slots).
   */
  chunks: number[] = NO_CHUNKS;
  /** The open chunk's row in the head's OpenChunks (never empty); -1 when none. */
  openRow = -1;
  /** Set when the head drops the series: a SeriesRef still holding it must look the labels up again. */
  removed = false;
  /**
   * The series' out-of-order buffer in the head's LateSamples (never empty; -1 when none): samples before maxT that
   * are in no chunk, sorted by time.
   */
  lateRef = -1;
  /**
   * Its labels, canonical (frozen when shared with the mapper's label set, then never re-interned); or, for a series
   * read from the WAL until the mapper's array replaces them, its set in the head's packedLabels (a reference).
   */
  private labelsOrRef: Label[] | number;

  constructor(
    readonly id: number,
    labels: Label[] | number,
    readonly hash: number,
    readonly head: Head,
  ) {
    this.labelsOrRef = labels;
  }

  /** Its labels; a packed set (see labelsOrRef) gives a new array each time. */
  get labels(): Label[] {
    const l = this.labelsOrRef;
    return typeof l === 'number' ? this.head.packedLabels.labels(l) : l;
  }

  set labels(labels: Label[]) {
    this.labelsOrRef = labels;
  }

  /** Whether its labels are a packed set (see labelsOrRef). */
  get labelsPacked(): boolean {
    return typeof this.labelsOrRef === 'number';
  }

  get labelCount(): number {
    const l = this.labelsOrRef;
    return typeof l === 'number' ? this.head.packedLabels.count(l) : l.length;
  }

  /** Whether its labels are `labels` (a packed set is compared where it is). */
  hasLabels(labels: readonly Label[]): boolean {
    const l = this.labelsOrRef;
    return typeof l === 'number' ? this.head.packedLabels.equals(l, labels) : labelsEqual(l, labels);
  }

  /** Whether its labels are the set `ref` of the head's packedLabels. */
  hasPackedLabels(ref: number): boolean {
    const l = this.labelsOrRef;
    const packed = this.head.packedLabels;
    return typeof l === 'number' ? packed.same(l, ref) : packed.equals(ref, l);
  }

  /** The newest in-order sample's time (late samples are older); -Infinity when there is none. */
  get maxT(): number {
    if (this.openRow >= 0) return this.head.openChunks.maxTime(this.openRow);
    const c = this.chunks;
    return c.length > 0 ? c[c.length - 1]! : -Infinity;
  }

  get minT(): number {
    const inOrder =
      this.chunks.length > 0
        ? this.chunks[1]!
        : this.openRow >= 0
          ? this.head.openChunks.minTime(this.openRow)
          : Infinity;
    if (this.lateRef < 0) return inOrder;
    return Math.min(this.head.lateSamples.time(this.lateRef, 0), inOrder);
  }
}

/** A growable sorted list of series IDs (IDs are handed out in increasing order, so appends keep it sorted). */
export class PostingsList {
  ids = new Uint32Array(4);
  n = 0;
  push(id: number): void {
    if (this.n === this.ids.length) {
      const grown = new Uint32Array(this.n * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.n++] = id;
  }
  view(): Postings {
    return this.ids.subarray(0, this.n);
  }
}

/**
 * A distinct label pair of the head's series: the one Label object its series share (most pairs — job, type,
 * __name__ — repeat across series), its part of a label set's hash (hashLabelPair) and its postings.
 */
export interface LabelPair {
  readonly label: Label;
  readonly hash: number;
  readonly postings: PostingsList;
}

/** A pair as WAL replay decodes it: the head's pair, and its number in the head's packedLabels. */
export interface ReplayedPair {
  readonly label: Label;
  readonly pair: LabelPair;
  readonly number: number;
}

/**
 * The head's series by ID. IDs are handed out densely in increasing order, so an array indexed by ID (a hole where a
 * series was dropped, 4 bytes each) costs less than a Map's entries and its rehashing as it grows: at 1M series the
 * Map was ~25 bytes a series and a good part of WAL replay's time.
 */
class SeriesById {
  private slots: (HeadSeries | undefined)[] = [];
  size = 0;

  get(id: number): HeadSeries | undefined {
    return this.slots[id];
  }

  set(s: HeadSeries): void {
    const slots = this.slots;
    // Filled up to the ID first: an index far past the end would turn the array into a slow dictionary.
    while (slots.length < s.id) slots.push(undefined);
    if (slots[s.id] === undefined) this.size++;
    slots[s.id] = s;
  }

  delete(id: number): void {
    if (this.slots[id] === undefined) return;
    this.slots[id] = undefined;
    this.size--;
  }

  /** The series in ID order. */
  *values(): Generator<HeadSeries> {
    for (const s of this.slots) if (s !== undefined) yield s;
  }
}

const hasPackedLabels = (s: HeadSeries, ref: number): boolean => s.hasPackedLabels(ref);

/** Adds the ID to a list; sorts the list when IDs so far were not all smaller. */
function addPosting(list: PostingsList, id: number, sorted: boolean): void {
  list.push(id);
  if (!sorted) list.ids.subarray(0, list.n).sort();
}

const f64 = new Float64Array(2);
const u32 = new Uint32Array(f64.buffer);
/** Where storedValue() decodes the one sample it looks for. */
const lookupT = new Float64Array(1);
const lookupV = new Float64Array(1);

function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  f64[1] = b;
  return u32[0] === u32[2] && u32[1] === u32[3];
}

export class Head implements PostingsSource {
  readonly byId = new SeriesById();
  private readonly byHash = new SeriesByHash(this.byId);
  /** The label pairs of the series by name and value; each has at least one series. */
  private pairs = new Map<string, Map<string, LabelPair>>();
  private all = new PostingsList();
  /** The labels of series read from the WAL that the mapper has not handed its own array for yet. */
  packedLabels = new PackedLabelSets();
  nextId = 1;
  /** Newest and oldest sample timestamps in the head. */
  maxT = -Infinity;
  minT = Infinity;
  /** Samples before this are in blocks: never accepted into the head. */
  minValidTime = -Infinity;
  numSamples = 0;
  private arena = new ChunkArena();
  readonly openChunks = new OpenChunks();
  readonly lateSamples = new LateSamples();
  /** Bytes of live closed chunks in the arena. */
  private closedChunkBytes = 0;
  // Running totals for chunkCount and memoryBytes: walking every series on each scrape held the event loop ~0.4 s
  // at 1M series.
  private closedChunks = 0;
  private labelSlots = 0;
  private labelPairBytes = 0;

  /**
   * Whether a series holds samples elsewhere (the histogram head, keyed by series ID): truncateBefore keeps such a
   * series even when it has no float samples left.
   */
  holdsSamplesElsewhere: (id: number) => boolean = () => false;

  constructor(readonly blockRangeMs: number) {}

  get numSeries(): number {
    return this.byId.size;
  }

  /** The head's pair `name`=`value`, added when none of its series has it yet (the caller then adds one). */
  labelPair(name: string, value: string): LabelPair {
    let values = this.pairs.get(name);
    if (!values) this.pairs.set(name, (values = new Map()));
    let pair = values.get(value);
    if (!pair) {
      pair = { label: { name, value }, hash: hashLabelPair(name, value), postings: new PostingsList() };
      values.set(value, pair);
      this.labelPairBytes += 120 + value.length;
    }
    return pair;
  }

  /** The pair `name`=`value` for WAL replay's decoder, which asks once per distinct pair (see createReplayed). */
  replayedPair(name: string, value: string): ReplayedPair {
    const pair = this.labelPair(name, value);
    return { label: pair.label, pair, number: this.packedLabels.addPair(pair.label) };
  }

  get(labels: readonly Label[], hash = hashLabels(labels)): HeadSeries | undefined {
    return this.byHash.get(labels, hash);
  }

  /**
   * Creates a series (labels canonical, not present yet). A frozen label array is the mapper's, immutable and kept
   * as long as the mapper caches the series: the head shares it instead of a copy.
   */
  create(labels: readonly Label[], hash: number): HeadSeries {
    const own = Object.isFrozen(labels)
      ? (labels as Label[])
      : labels.map((l) => this.labelPair(l.name, l.value).label);
    const s = this.register(own, own.length, hash, this.nextId);
    this.indexSeries(s);
    return s;
  }

  /**
   * Creates a series read from the WAL with its ID there, labelled with the first `n` of `found` (replayedPair's,
   * canonical, `hash` their hash): packed, and added to its pairs' postings without looking them up again. When a
   * series with these labels exists (re-created after a truncation), creates nothing and returns that one.
   */
  createReplayed(found: readonly ReplayedPair[], n: number, hash: number, id: number): HeadSeries | undefined {
    const ref = this.packedLabels.add(found, n);
    const existing = this.byHash.find(hash, ref, hasPackedLabels);
    if (existing) {
      this.packedLabels.removeLast(ref);
      return existing;
    }
    this.register(ref, n, hash, id);
    const sorted = this.addToAll(id);
    for (let j = 0; j < n; j++) addPosting(found[j]!.pair.postings, id, sorted);
    return undefined;
  }

  private register(labels: Label[] | number, labelCount: number, hash: number, id: number): HeadSeries {
    const s = new HeadSeries(id, labels, hash, this);
    this.labelSlots += labelCount;
    if (id >= this.nextId) this.nextId = id + 1;
    this.byId.set(s);
    this.byHash.add(hash, id);
    return s;
  }

  private indexSeries(s: HeadSeries): void {
    const sorted = this.addToAll(s.id);
    for (const l of s.labels) addPosting(this.labelPair(l.name, l.value).postings, s.id, sorted);
  }

  /** Adds the ID to the postings of all series; whether IDs so far were all smaller (no postings need sorting). */
  private addToAll(id: number): boolean {
    // Replay can create series out of ID order; keep postings sorted then.
    const sorted = this.all.n === 0 || this.all.ids[this.all.n - 1]! < id;
    addPosting(this.all, id, sorted);
    return sorted;
  }

  /**
   * Appends one sample. Like Prometheus' head: a sample newer than its series' last one is accepted back to
   * `window.inOrderBefore` (the head's appendable range), an older one only back to `window.outOfOrderBefore` (the
   * out-of-order window). A new series may start anywhere in the appendable range, so an Agent re-sending payloads
   * it buffered during an outage is not refused just because other hosts' data is newer. Replay passes -Infinity.
   */
  append(s: HeadSeries, t: number, v: number, window: AppendWindow): AppendOutcome {
    if (t < this.minValidTime || t < window.inOrderBefore) return AppendOutcome.TooOld;
    if (t > s.maxT) {
      this.appendInOrder(s, t, v);
    } else if (t === s.maxT && s.openRow >= 0) {
      const last = this.openChunks.lastValue(s.openRow);
      return sameBits(last, v) ? AppendOutcome.Identical : AppendOutcome.DuplicateTimestamp;
    } else {
      if (t < window.outOfOrderBefore) return AppendOutcome.TooOld;
      const outcome = this.appendOutOfOrder(s, t, v);
      if (outcome !== AppendOutcome.Appended) return outcome;
    }
    this.numSamples++;
    if (t > this.maxT) this.maxT = t;
    if (t < this.minT) this.minT = t;
    return AppendOutcome.Appended;
  }

  private appendInOrder(s: HeadSeries, t: number, v: number): void {
    const open = this.openChunks;
    let row = s.openRow;
    if (row < 0) row = s.openRow = open.open();
    else if (open.sampleCount(row) >= MAX_SAMPLES_PER_CHUNK || t >= this.openEnd(row)) {
      this.sealChunk(s, row);
      open.reset(row); // keeps the row's slot, grown to a full chunk's size
    }
    open.append(row, t, v);
  }

  /** Exclusive end of the block range the open chunk belongs to (chunks never cross one). */
  private openEnd(row: number): number {
    return (Math.floor(this.openChunks.minTime(row) / this.blockRangeMs) + 1) * this.blockRangeMs;
  }

  /** Copies the open chunk into the arena as a closed chunk. */
  private sealChunk(s: HeadSeries, row: number): void {
    const open = this.openChunks;
    if (open.sampleCount(row) === 0) return;
    const bytes = open.view(row);
    if (s.chunks === NO_CHUNKS) s.chunks = [];
    s.chunks.push(this.arena.add(bytes), open.minTime(row), open.maxTime(row));
    this.closedChunkBytes += bytes.length + 2;
    this.closedChunks++;
  }

  /** Closes the open chunk and frees its row (the series may not get samples for a while). */
  private closeOpenChunk(s: HeadSeries): void {
    if (s.openRow < 0) return;
    this.sealChunk(s, s.openRow);
    this.openChunks.close(s.openRow);
    s.openRow = -1;
  }

  /** Adds a sample older than the series' newest to its out-of-order buffer, merged into the chunks when full. */
  private appendOutOfOrder(s: HeadSeries, t: number, v: number): AppendOutcome {
    const late = this.lateSamples;
    const ref = s.lateRef;
    let at = 0;
    if (ref >= 0) {
      at = late.search(ref, t);
      if (at < late.count(ref) && late.time(ref, at) === t)
        return sameBits(late.value(ref, at), v) ? AppendOutcome.Identical : AppendOutcome.DuplicateTimestamp;
    }
    const stored = this.storedValue(s, t);
    if (stored !== undefined) return sameBits(stored, v) ? AppendOutcome.Identical : AppendOutcome.DuplicateTimestamp;
    s.lateRef = late.insert(ref, at, t, v);
    if (late.count(s.lateRef) >= OUT_OF_ORDER_CAPACITY) this.mergeOutOfOrder(s);
    return AppendOutcome.Appended;
  }

  /** The value the series' chunks hold at `t`, if any: decodes only the chunk whose time range covers `t`. */
  private storedValue(s: HeadSeries, t: number): number | undefined {
    let chunk: Uint8Array | undefined;
    const open = this.openChunks;
    const row = s.openRow;
    if (row >= 0 && open.sampleCount(row) > 0 && open.minTime(row) <= t) chunk = open.view(row);
    else {
      const c = s.chunks;
      for (let i = c.length - 3; i >= 0 && chunk === undefined; i -= 3) {
        if (c[i + 2]! < t) break;
        if (c[i + 1]! <= t) chunk = this.arena.get(c[i]!);
      }
    }
    if (chunk === undefined || decodeChunk(chunk, lookupT, lookupV, 0, t, t) === 0) return undefined;
    return lookupV[0]!;
  }

  /** Re-encodes the chunks from the series' oldest out-of-order sample on with the out-of-order samples merged in. */
  private mergeOutOfOrder(s: HeadSeries): void {
    const ref = s.lateRef;
    if (ref < 0) return;
    const late = this.lateSamples;
    const m = late.count(ref);
    const oldestLate = late.time(ref, 0);
    const arena = this.arena;
    const c = s.chunks;
    let first = c.length;
    while (first > 0 && c[first - 1]! >= oldestLate) first -= 3; // `first` indexes triples
    const open = this.openChunks;
    const row = s.openRow;
    let n = row >= 0 ? open.sampleCount(row) : 0;
    for (let i = first; i < c.length; i += 3) n += chunkSampleCount(arena.get(c[i]!));
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let end = 0;
    for (let i = first; i < c.length; i += 3) end = decodeChunk(arena.get(c[i]!), ts, vs, end);
    if (row >= 0) {
      end = decodeChunk(open.view(row), ts, vs, end);
      open.close(row);
      s.openRow = -1;
    }
    for (let i = first; i < c.length; i += 3) this.closedChunkBytes -= arena.get(c[i]!).length + 2;
    this.closedChunks -= (c.length - first) / 3;
    if (first < c.length) c.length = first;
    s.lateRef = -1;
    // Both runs are sorted and share no timestamp (appendOutOfOrder refused those).
    let i = 0;
    let j = 0;
    while (i < end || j < m) {
      if (j === m || (i < end && ts[i]! < late.time(ref, j))) {
        this.appendInOrder(s, ts[i]!, vs[i]!);
        i++;
      } else {
        this.appendInOrder(s, late.time(ref, j), late.value(ref, j));
        j++;
      }
    }
    late.release(ref);
  }

  /** Whether the series' out-of-order buffer holds samples in [mint, maxt]. */
  private outOfOrderIn(s: HeadSeries, mint: number, maxt: number): boolean {
    const ref = s.lateRef;
    if (ref < 0) return false;
    const late = this.lateSamples;
    const n = late.count(ref);
    for (let i = 0; i < n; i++) {
      const t = late.time(ref, i);
      if (t > maxt) return false;
      if (t >= mint) return true;
    }
    return false;
  }

  // PostingsSource
  allPostings(): Postings {
    return this.all.view();
  }
  labelValuesOf(name: string): Iterable<string> {
    return this.pairs.get(name)?.keys() ?? [];
  }
  postingsFor(name: string, value: string): Postings {
    return this.pairs.get(name)?.get(value)?.postings.view() ?? EMPTY_POSTINGS;
  }
  labelNamesAll(): string[] {
    return [...this.pairs.keys()];
  }

  /** Series matching the matchers with samples in [mint, maxt]. */
  matchingSeries(matchers: readonly CompiledMatcher[], mint: number, maxt: number): HeadSeries[] {
    const out: HeadSeries[] = [];
    if (mint > this.maxT || maxt < this.minT) return out;
    for (const id of selectPostings(this, matchers)) {
      const s = this.byId.get(id)!;
      if (s.maxT >= mint && s.minT <= maxt) out.push(s);
    }
    return out;
  }

  /** Whether one of the series' chunks overlaps [mint, maxt]. */
  hasChunkIn(s: HeadSeries, mint: number, maxt: number): boolean {
    if (this.outOfOrderIn(s, mint, maxt)) return true;
    const c = s.chunks;
    for (let i = 0; i < c.length; i += 3) if (c[i + 2]! >= mint && c[i + 1]! <= maxt) return true;
    return this.openChunkIn(s, mint, maxt);
  }

  /** Whether the series' open chunk has samples and overlaps [mint, maxt]. */
  private openChunkIn(s: HeadSeries, mint: number, maxt: number): boolean {
    const open = this.openChunks;
    const row = s.openRow;
    return row >= 0 && open.sampleCount(row) > 0 && open.maxTime(row) >= mint && open.minTime(row) <= maxt;
  }

  /**
   * The series' chunks overlapping [mint, maxt] as they are now, to decode later, appended to `out`: closed chunks
   * as views of the arena (its pages are never overwritten), the open chunk copied (appends reuse its buffer).
   * Out-of-order samples in the range are merged into the chunks first.
   */
  chunksIn(s: HeadSeries, mint: number, maxt: number, out: Uint8Array[] = []): Uint8Array[] {
    if (this.outOfOrderIn(s, mint, maxt)) this.mergeOutOfOrder(s);
    const c = s.chunks;
    for (let i = 0; i < c.length; i += 3) {
      if (c[i + 2]! >= mint && c[i + 1]! <= maxt) out.push(this.arena.get(c[i]!));
    }
    if (this.openChunkIn(s, mint, maxt)) out.push(this.openChunks.view(s.openRow).slice());
    return out;
  }

  /** The series' samples in [mint, maxt], decoded; undefined when none (select() decodes many series in batches). */
  samples(s: HeadSeries, mint: number, maxt: number): SeriesData | undefined {
    const d = decodeChunks(this.chunksIn(s, mint, maxt), mint, maxt);
    return d && { labels: s.labels.slice(), ...d };
  }

  /**
   * Adds the series' newest sample to `out` when it lies in [mint, maxt], read from the open chunk's appender without
   * decoding (its value's bits as stored: a stale marker stays one). Returns false, adding nothing, when the open
   * chunk cannot tell (none, or samples after maxt): the caller decodes the series' chunks instead.
   */
  latestSampleInto(s: HeadSeries, mint: number, maxt: number, out: SeriesColumnsBuilder): boolean {
    const open = this.openChunks;
    const row = s.openRow;
    if (row < 0 || open.sampleCount(row) === 0 || open.maxTime(row) !== s.maxT || s.maxT > maxt) return false;
    if (s.maxT >= mint) out.addSample(s.labels, s.maxT, open.lastValue(row));
    return true;
  }

  /**
   * Prepares [.., t1) for a block: merges out-of-order samples before t1 into the chunks, closes open chunks that
   * end at or before t1 so the range is made only of closed chunks, and forbids new samples before t1.
   */
  sealBefore(t1: number): void {
    if (t1 > this.minValidTime) this.minValidTime = t1;
    for (const s of this.byId.values()) {
      if (s.lateRef >= 0 && this.lateSamples.time(s.lateRef, 0) < t1) this.mergeOutOfOrder(s);
      if (s.openRow >= 0 && this.openEnd(s.openRow) <= t1) this.closeOpenChunk(s);
    }
  }

  /** Closed chunks of each series that lie in [t0, t1) (after sealBefore(t1)). */
  *chunksInRange(
    t0: number,
    t1: number,
  ): Generator<{ labels: Label[]; chunks: Uint8Array[]; minT: number[]; maxT: number[] }> {
    for (const s of this.byId.values()) {
      const c = s.chunks;
      let a = 0;
      while (a < c.length && c[a + 1]! < t0) a += 3;
      const chunks: Uint8Array[] = [];
      const minT: number[] = [];
      const maxT: number[] = [];
      for (let b = a; b < c.length && c[b + 2]! < t1; b += 3) {
        chunks.push(this.arena.get(c[b]!));
        minT.push(c[b + 1]!);
        maxT.push(c[b + 2]!);
      }
      if (chunks.length > 0) yield { labels: s.labels, chunks, minT, maxT };
    }
  }

  /** Drops chunks before `t` (they are in a block now) and series left without samples. */
  truncateBefore(t: number): void {
    if (t > this.minValidTime) this.minValidTime = t;
    let removed = false;
    let minT = Infinity;
    for (const s of this.byId.values()) {
      let k = 0;
      const c = s.chunks;
      while (k < c.length && c[k + 2]! < t) {
        const bytes = this.arena.get(c[k]!);
        this.closedChunkBytes -= bytes.length + 2;
        this.numSamples -= chunkSampleCount(bytes);
        k += 3;
      }
      if (k > 0) {
        c.splice(0, k);
        this.closedChunks -= k / 3;
      }
      if (s.chunks.length === 0 && s.openRow < 0 && s.lateRef < 0 && !this.holdsSamplesElsewhere(s.id)) {
        this.removeSeries(s);
        removed = true;
      } else if (s.minT < minT) minT = s.minT;
    }
    this.minT = minT;
    if (removed) this.rebuildIndex();
    this.compactArena();
  }

  /** Copies live chunks into a fresh arena when dropped chunks take at least half of it (and a page or more). */
  private compactArena(): void {
    const dead = this.arena.usedBytes - this.closedChunkBytes;
    if (dead < this.closedChunkBytes || dead < ChunkArena.PAGE_BYTES) return;
    const old = this.arena;
    const fresh = new ChunkArena();
    for (const s of this.byId.values()) {
      for (let i = 0; i < s.chunks.length; i += 3) s.chunks[i] = fresh.add(old.get(s.chunks[i]!));
    }
    this.arena = fresh;
  }

  private removeSeries(s: HeadSeries): void {
    s.removed = true;
    this.labelSlots -= s.labelCount;
    this.byId.delete(s.id);
    this.byHash.delete(s.hash, s.id);
  }

  private rebuildIndex(): void {
    this.pairs = new Map();
    this.all = new PostingsList();
    this.labelPairBytes = 0;
    let packed = 0;
    for (const s of this.byId.values()) {
      if (s.labelsPacked) packed++;
      else if (!Object.isFrozen(s.labels)) {
        const ls = s.labels;
        for (let i = 0; i < ls.length; i++) ls[i] = this.labelPair(ls[i]!.name, ls[i]!.value).label;
      }
      this.indexSeries(s);
    }
    // Packed sets are not reused: once no series has one, they all go.
    if (packed === 0) this.packedLabels = new PackedLabelSets();
  }

  /** Approximate bytes the head holds: chunk data plus an estimate of per-series and index overhead. */
  memoryBytes(): number {
    const open = this.openChunks.allocatedBytes + this.lateSamples.allocatedBytes;
    const labelBytes = this.byId.size * 32 + this.labelSlots * 8 + this.packedLabels.allocatedBytes;
    // ~160 bytes: the series object (88), its slot by ID, postings entries (measured with a heap snapshot; the open
    // chunks are in `open`).
    const index = this.byHash.allocatedBytes + this.byId.size * 160;
    return this.arena.allocatedBytes + open + labelBytes + this.labelPairBytes + index;
  }

  /** Closed chunks, open chunks and out-of-order buffers. */
  get chunkCount(): number {
    return this.closedChunks + this.openChunks.rowsInUse + this.lateSamples.buffersInUse;
  }
}
