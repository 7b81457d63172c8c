// Reads across a tenant's head and blocks: samples (select), series, label names and values. Every read goes through
// the head a batch of series at a time, yielding to the event loop in between, and takes the block list only after
// the head's last batch: a block cut in the meantime moves chunks out of the head and into a new block in one go, so
// what the read no longer finds in the head is in the block list it takes (a chunk seen in both is merged once).
import type { Label } from '../model/prometheus.js';
import {
  SampleLimitError,
  type LabelMatcher,
  type Querier,
  type ReadHints,
  type SelectHints,
  type SeriesColumns,
  type SeriesHints,
  type SeriesData,
} from '../model/storage.js';
import { columnSamples, SeriesColumnsBuilder, sortColumns } from '../model/series-columns.js';
import { chunkSampleCount, decodeChunk } from './chunk.js';
import type { BlockReader } from './block.js';
import type { Head, HeadSeries } from './head.js';
import type { HistogramHead } from './histogram-head.js';
import { decodeHistogramChunksIn, isHistogramChunk } from './histogram-chunk.js';
import type { FloatHistogram, HistogramSamples } from '../model/histogram.js';
import { selectPostings } from './postings.js';
import { compareLabels, labelsKey, smallestLabelSets } from '../model/labels.js';
import { compileMatchers, type CompiledMatcher } from '../model/matcher.js';

export class HeadBlockQuerier implements Querier {
  constructor(
    private readonly head: Head,
    /** The head's native histogram samples, by head series ID. */
    private readonly histograms: HistogramHead,
    /** The current blocks, oldest first: maintenance changes the list as it cuts, merges and deletes blocks. */
    private readonly blocks: () => readonly BlockReader[],
  ) {}

  /** Whether the head holds samples (float or histogram) in [mint, maxt]. */
  private headOverlaps(mint: number, maxt: number): boolean {
    const head = this.head;
    const histograms = this.histograms;
    return (
      head.numSeries > 0 && Math.max(head.maxT, histograms.maxT) >= mint && Math.min(head.minT, histograms.minT) <= maxt
    );
  }

  /** The blocks overlapping [mint, maxt] now, kept on disk until released. */
  private acquireBlocks(mint: number, maxt: number): BlockReader[] {
    const bs = this.blocks().filter((b) => b.overlaps(mint, maxt));
    for (const b of bs) b.acquire();
    return bs;
  }

  /**
   * Calls `fn` for each head series matching the matchers with samples in [mint, maxt], HEAD_BATCH series between
   * two yields; a series the head dropped meanwhile is skipped (its chunks are in a block by then).
   */
  private async forEachHeadSeries(
    ms: CompiledMatcher[],
    mint: number,
    maxt: number,
    hints: ReadHints,
    fn: (s: HeadSeries) => void,
  ): Promise<void> {
    hints.signal?.throwIfAborted();
    const head = this.head;
    if (mint > head.maxT || maxt < head.minT) return;
    // A view of the postings as they are now: later series are not read, later appends may be.
    await this.inBatches(selectPostings(head, ms), hints, (id) => {
      const s = head.byId.get(id);
      if (s && s.maxT >= mint && s.minT <= maxt) fn(s);
    });
  }

  /**
   * Calls `fn` for each head series matching the matchers with histogram samples in [mint, maxt] (none, at no cost,
   * when the histogram head is empty), HEAD_BATCH postings between two yields.
   */
  private async forEachHistogramSeries(
    ms: CompiledMatcher[],
    mint: number,
    maxt: number,
    hints: ReadHints,
    fn: (s: HeadSeries) => void,
  ): Promise<void> {
    const histograms = this.histograms;
    if (histograms.numSeries === 0 || mint > histograms.maxT || maxt < histograms.minT) return;
    await this.inBatches(selectPostings(this.head, ms), hints, (id) => {
      const s = histograms.hasDataIn(id, mint, maxt) ? this.head.byId.get(id) : undefined;
      if (s) fn(s);
    });
  }

  /** Calls `fn` for each of `items`, HEAD_BATCH between two yields. */
  private async inBatches<T>(items: ArrayLike<T>, hints: ReadHints, fn: (item: T) => void): Promise<void> {
    for (let from = 0; from < items.length; from += HEAD_BATCH) {
      if (from > 0) await pause(hints);
      const to = Math.min(items.length, from + HEAD_BATCH);
      for (let i = from; i < to; i++) fn(items[i]!);
    }
  }

  /**
   * Reads in two steps: the chunks of every matching series are gathered (the head's a batch at a time, then the
   * blocks'), then decoded a batch at a time into the columns of the result, yielding to the event loop in between
   * (other requests go on while a read of a million series runs), stopping when the hints' signal is aborted or as
   * soon as the samples decoded pass the hints' limit.
   */
  async select(matchers: LabelMatcher[], mint: number, maxt: number, hints: SelectHints = {}): Promise<SeriesColumns> {
    const ms = compileMatchers(matchers);
    const latestOnly = hints.latestOnly === true;
    // The matching series' label sets and, flat, their chunks: series i's are chunks[chunkEnd[i - 1] .. chunkEnd[i]).
    const labels: Label[][] = [];
    const chunkEnd: number[] = [];
    const chunks: Uint8Array[] = [];
    // Every series' samples go into one pair of columns. With latestOnly, most head series' newest sample comes
    // first, read from the open chunk without decoding; the others are decoded with the blocks' series.
    const cols = new SeriesColumnsBuilder();
    await this.forEachHeadSeries(ms, mint, maxt, hints, (s) => {
      if (latestOnly && this.head.latestSampleInto(s, mint, maxt, cols)) return;
      const before = chunks.length;
      if (this.head.chunksIn(s, mint, maxt, chunks).length === before) return;
      labels.push(s.labels);
      chunkEnd.push(chunks.length);
    });
    // Native histogram samples, as parts of their own (merged with the float parts of their series at the end).
    const histogramParts: SeriesData[] = [];
    await this.forEachHistogramSeries(ms, mint, maxt, hints, (s) => {
      const hs = this.histograms.samples(s.id, mint, maxt);
      if (hs) histogramParts.push(histogramPart(s.labels, hs.timestamps, hs.values, latestOnly));
    });
    const blocks = this.acquireBlocks(mint, maxt);
    try {
      for (const b of blocks) {
        const series = b.matchingSeries(ms, mint, maxt);
        const raw = await b.readChunks(series, mint, maxt);
        hints.signal?.throwIfAborted();
        for (let i = 0; i < series.length; i++) {
          const seriesLabels = b.labels(series[i]!);
          const histogramChunks: Uint8Array[] = [];
          for (const c of raw[i]!.chunks) {
            if (isHistogramChunk(c)) histogramChunks.push(c);
            else chunks.push(c);
          }
          labels.push(seriesLabels);
          chunkEnd.push(chunks.length);
          if (histogramChunks.length === 0) continue;
          const ts: number[] = [];
          const hs: FloatHistogram[] = [];
          decodeHistogramChunksIn(histogramChunks, mint, maxt, ts, hs);
          if (ts.length > 0) histogramParts.push(histogramPart(seriesLabels, ts, hs, latestOnly));
        }
      }
    } finally {
      for (const b of blocks) b.release();
    }
    const limit = hints.maxSamples ?? Infinity;
    let samples = cols.used;
    for (const d of histogramParts) samples += d.histograms!.timestamps.length;
    if (samples > limit) throw new SampleLimitError(`the read holds more than ${limit} samples`);
    // Room for every chunk's samples at once (the columns grow past it only on the way to refusing the read).
    let capacity = 0;
    for (const c of chunks) capacity += chunkSampleCount(c);
    cols.reserve(Math.min(capacity, limit - samples + 1));
    for (let from = 0; from < labels.length; from += DECODE_BATCH) {
      if (from > 0) await pause(hints);
      const to = Math.min(labels.length, from + DECODE_BATCH);
      const first = from > 0 ? chunkEnd[from - 1]! : 0;
      let n = 0;
      for (let c = first; c < chunkEnd[to - 1]!; c++) n += chunkSampleCount(chunks[c]!);
      cols.reserve(n);
      const ts = cols.timestamps;
      const vs = cols.values;
      let end = cols.used;
      for (let i = from, c = first; i < to; i++) {
        const start = end;
        for (; c < chunkEnd[i]!; c++) end = decodeChunk(chunks[c]!, ts, vs, end, mint, maxt);
        if (end === start) continue;
        samples += end - start;
        if (samples > limit) throw new SampleLimitError(`the read holds more than ${limit} samples`);
        cols.addSeries(labels[i]!, start, end);
      }
      cols.used = end;
    }
    const read = cols.build();
    if (histogramParts.length > 0) return withHistograms(blocks.length > 0 ? mergeColumns(read) : read, histogramParts);
    if (blocks.length > 0) return mergeColumns(read);
    return hints.sorted === false ? read : sortColumns(read);
  }

  /**
   * The label sets of matching series with a chunk in [mint, maxt]: the head's, then the blocks' (in any order).
   * Resolves to the number of blocks read.
   */
  private async forEachMatchingLabels(
    ms: CompiledMatcher[],
    mint: number,
    maxt: number,
    hints: ReadHints,
    fn: (labels: Label[]) => void,
  ): Promise<number> {
    await this.forEachHeadSeries(ms, mint, maxt, hints, (s) => {
      if (this.head.hasChunkIn(s, mint, maxt)) fn(s.labels);
    });
    // A series with float and histogram samples may come twice: the callers keep label sets once.
    await this.forEachHistogramSeries(ms, mint, maxt, hints, (s) => fn(s.labels));
    const blocks = this.acquireBlocks(mint, maxt);
    try {
      for (const b of blocks) {
        await pause(hints);
        await this.inBatches(b.matchingSeries(ms, mint, maxt), hints, (s) => fn(b.labels(s)));
      }
    } finally {
      for (const b of blocks) b.release();
    }
    return blocks.length;
  }

  async series(matchers: LabelMatcher[], mint: number, maxt: number, hints: SeriesHints = {}): Promise<Label[][]> {
    const ms = compileMatchers(matchers);
    const limit = hints.limit ?? 0;
    if (this.blocks().some((b) => b.overlaps(mint, maxt))) {
      // A series may be in the head and in blocks: one each.
      const byKey = new Map<string, Label[]>();
      await this.forEachMatchingLabels(ms, mint, maxt, hints, (labels) => {
        const key = labelsKey(labels);
        if (!byKey.has(key)) byKey.set(key, labels);
      });
      const found = [...byKey.values()];
      return limit > 0 && found.length > limit ? smallestLabelSets(found, limit) : found.sort(compareLabels);
    }
    let found: Label[][] = [];
    let blocksRead: number;
    if (limit === 0) {
      blocksRead = await this.forEachMatchingLabels(ms, mint, maxt, hints, (labels) => found.push(labels));
      found.sort(compareLabels);
    } else {
      // Only the smallest `limit` so far are kept: memory and sorting proportional to the answer.
      let batch: Label[][] = [];
      blocksRead = await this.forEachMatchingLabels(ms, mint, maxt, hints, (labels) => {
        batch.push(labels);
        if (batch.length < HEAD_BATCH) return;
        found = smallestLabelSets(found.concat(batch), limit);
        batch = [];
      });
      found = smallestLabelSets(found.concat(batch), limit);
    }
    // A block cut during the read holds series the head still showed, and a head series with float and histogram
    // samples came twice: once each (with a limit, rarely fewer).
    return blocksRead > 0 || this.histograms.numSeries > 0
      ? found.filter((l, i) => i === 0 || compareLabels(found[i - 1]!, l) !== 0)
      : found;
  }

  async labelNames(matchers: LabelMatcher[], mint: number, maxt: number, hints: ReadHints = {}): Promise<string[]> {
    const names = new Set<string>();
    if (matchers.length === 0) {
      if (this.headOverlaps(mint, maxt)) {
        for (const n of this.head.labelNamesAll()) names.add(n);
      }
      for (const b of this.blocks()) if (b.overlaps(mint, maxt)) for (const n of b.labelNamesAll()) names.add(n);
    } else {
      await this.forEachMatchingLabels(compileMatchers(matchers), mint, maxt, hints, (ls) => {
        for (const l of ls) names.add(l.name);
      });
    }
    return [...names].sort();
  }

  async labelValues(
    name: string,
    matchers: LabelMatcher[],
    mint: number,
    maxt: number,
    hints: ReadHints = {},
  ): Promise<string[]> {
    const values = new Set<string>();
    if (matchers.length === 0) {
      if (this.headOverlaps(mint, maxt)) {
        for (const v of this.head.labelValuesOf(name)) values.add(v);
      }
      for (const b of this.blocks()) if (b.overlaps(mint, maxt)) for (const v of b.labelValuesOf(name)) values.add(v);
    } else {
      await this.forEachMatchingLabels(compileMatchers(matchers), mint, maxt, hints, (ls) => {
        for (const l of ls) if (l.name === name) values.add(l.value);
      });
    }
    return [...values].sort();
  }
}

/** Series decoded between two yields to the event loop (about a millisecond of work each). */
const DECODE_BATCH = 1024;
/** Head series (or block label sets) looked at between two yields: a few milliseconds of work. */
const HEAD_BATCH = 4096;

/**
 * Lets other callbacks run (the hints' pause, else setImmediate: after pending I/O), then stops if the read was
 * aborted meanwhile.
 */
async function pause(hints: ReadHints): Promise<void> {
  hints.signal?.throwIfAborted();
  await (hints.pause ? hints.pause() : new Promise<void>((resolve) => setImmediate(resolve)));
  hints.signal?.throwIfAborted();
}

/**
 * Merges the parts of the same series from several sources (time-sorted, duplicates dropped) and sorts by labels.
 * When no series has two parts, the columns are only reordered; otherwise the merged series are written into new
 * columns.
 */
export function mergeColumns(c: SeriesColumns): SeriesColumns {
  const byKey = new Map<string, number[]>();
  let repeated = false;
  for (let i = 0; i < c.labels.length; i++) {
    const key = labelsKey(c.labels[i]!);
    const have = byKey.get(key);
    if (have) {
      have.push(i);
      repeated = true;
    } else byKey.set(key, [i]);
  }
  if (!repeated) return sortColumns(c);
  const { starts, ends, timestamps: cts, values: cvs } = c;
  const out = new SeriesColumnsBuilder(columnSamples(c));
  for (const group of byKey.values()) {
    group.sort((a, b) => cts[starts[a]!]! - cts[starts[b]!]!);
    const first = out.used;
    let end = first;
    for (const g of group) {
      const ts = out.timestamps;
      const vs = out.values;
      const gStart = starts[g]!;
      const gEnd = ends[g]!;
      // Sources rarely overlap (blocks never do); merge sample by sample only when they do.
      if (end === first || cts[gStart]! > ts[end - 1]!) {
        for (let j = gStart; j < gEnd; j++, end++) {
          ts[end] = cts[j]!;
          vs[end] = cvs[j]!;
        }
        continue;
      }
      const mts = new Float64Array(end - first + gEnd - gStart);
      const mvs = new Float64Array(mts.length);
      let i = first;
      let j = gStart;
      let m = 0;
      while (i < end || j < gEnd) {
        if (j >= gEnd || (i < end && ts[i]! <= cts[j]!)) {
          if (j < gEnd && ts[i] === cts[j]) j++;
          mts[m] = ts[i]!;
          mvs[m++] = vs[i++]!;
        } else {
          mts[m] = cts[j]!;
          mvs[m++] = cvs[j++]!;
        }
      }
      ts.set(mts.subarray(0, m), first);
      vs.set(mvs.subarray(0, m), first);
      end = first + m;
    }
    out.used = end;
    out.addSeries(c.labels[group[0]!]!, first, end);
  }
  return sortColumns(out.build());
}

/** A series' histogram samples as a part of a read: all of them, or with latestOnly the newest. */
function histogramPart(
  labels: Label[],
  timestamps: ArrayLike<number>,
  values: FloatHistogram[],
  latestOnly: boolean,
): SeriesData {
  const from = latestOnly ? timestamps.length - 1 : 0;
  return {
    labels,
    timestamps: new Float64Array(0),
    values: new Float64Array(0),
    histograms: {
      timestamps: Float64Array.from(Array.prototype.slice.call(timestamps, from)),
      values: values.slice(from),
    },
  };
}

/**
 * The float parts (one series each) with the histogram parts added: a series' histogram samples from the head and
 * blocks merged in time order (a sample seen in both once), attached to its float part or as a series of its own
 * (no float samples); sorted by labels.
 */
function withHistograms(parts: SeriesColumns, histogramParts: SeriesData[]): SeriesColumns {
  const labels = [...parts.labels];
  const starts = Array.from(parts.starts);
  const ends = Array.from(parts.ends);
  const histograms = new Array<HistogramSamples | undefined>(labels.length).fill(undefined);
  const byKey = new Map(labels.map((l, i) => [labelsKey(l), i]));
  const histogramsByKey = new Map<string, SeriesData[]>();
  for (const p of histogramParts) {
    const key = labelsKey(p.labels);
    const have = histogramsByKey.get(key);
    if (have) have.push(p);
    else histogramsByKey.set(key, [p]);
  }
  for (const [key, group] of histogramsByKey) {
    const samples = group.flatMap((p) => p.histograms!.values.map((h, i) => ({ t: p.histograms!.timestamps[i]!, h })));
    samples.sort((a, b) => a.t - b.t);
    const kept = samples.filter((x, i) => i === 0 || x.t !== samples[i - 1]!.t);
    const merged = { timestamps: Float64Array.from(kept, (x) => x.t), values: kept.map((x) => x.h) };
    const i = byKey.get(key);
    if (i !== undefined) histograms[i] = merged;
    else {
      labels.push(group[0]!.labels);
      starts.push(0);
      ends.push(0);
      histograms.push(merged);
    }
  }
  return sortColumns({
    labels,
    starts: Uint32Array.from(starts),
    ends: Uint32Array.from(ends),
    timestamps: parts.timestamps,
    values: parts.values,
    histograms,
  });
}
