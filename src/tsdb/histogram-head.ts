import type { FloatHistogram, HistogramSamples } from '../model/histogram.js';
import { compactHistogram, copyHistogram, histogramsEqual } from '../model/histogram-ops.js';
import { AppendOutcome, type AppendWindow } from './head.js';
import {
  decodeHistogramChunk,
  decodeHistogramChunksIn,
  encodeHistogramChunk,
  histogramChunkSampleCount,
} from './histogram-chunk.js';

// The head's native histogram samples, apart from its float samples: one object per series that has any, keyed by
// the head's series ID (the head owns labels, postings and IDs; histogram series are few, thousands rather than
// millions). Each holds closed chunks (histogram-chunk.ts) and its open chunk. A chunk's bucket layout is the union
// of its samples', known only when it closes, so the open chunk is kept as parts: its newest samples unencoded, the
// older ones encoded OPEN_PART_SAMPLES at a time (a sketch's histogram has hundreds of buckets: 120 of them as
// objects cost ~8 bytes a bucket each, a few hundred KB per series), decoded and encoded again as one chunk when it
// closes. A chunk closes at MAX_CHUNK_SAMPLES samples, at a block-range boundary, and when the schema, zero threshold
// or custom bounds change.
//
// Out-of-order rule: a histogram sample must be newer than its series' newest. An older one (or one at the same
// time) identical to the stored sample at its time is acknowledged as a duplicate; any other is refused
// (AppendOutcome.OutOfOrder, or DuplicateTimestamp at an occupied time). Histogram series come from the Agent's
// sketches, one sample per interval in order: merging late samples into encoded chunks is not worth its cost here.

/** Samples of a chunk (Prometheus cuts histogram chunks at 120 samples too). */
const MAX_CHUNK_SAMPLES = 120;
/** Unencoded samples of an open chunk before they are encoded as one of its parts. */
const OPEN_PART_SAMPLES = 8;

interface ClosedChunk {
  bytes: Uint8Array;
  minT: number;
  maxT: number;
}

class HistogramSeries {
  /** Oldest first; never overlapping the open chunk. */
  closed: ClosedChunk[] = [];
  /** The open chunk's older samples, encoded; `openPartSamples` of them. */
  openParts: Uint8Array[] = [];
  openPartSamples = 0;
  /** The open chunk's newest samples, unencoded. */
  openTimestamps: number[] = [];
  openHistograms: FloatHistogram[] = [];
  /** The open chunk's first sample (its schema, zero threshold and custom bounds are the chunk's) and time. */
  openFirst: FloatHistogram | undefined;
  openMinT = Infinity;
  /** Exclusive end of the block range the open chunk belongs to. */
  openEnd = 0;
  maxT = -Infinity;

  get openCount(): number {
    return this.openPartSamples + this.openTimestamps.length;
  }

  get minT(): number {
    return this.closed[0]?.minT ?? this.openMinT;
  }

  /** The open chunk's samples in [mint, maxt], appended to the arrays. */
  openSamples(mint: number, maxt: number, timestamps: number[], values: FloatHistogram[]): void {
    decodeHistogramChunksIn(this.openParts, mint, maxt, timestamps, values);
    this.openTimestamps.forEach((t, i) => {
      if (t >= mint && t <= maxt) {
        timestamps.push(t);
        values.push(this.openHistograms[i]!);
      }
    });
  }
}

function sameChunkShape(a: FloatHistogram, b: FloatHistogram): boolean {
  return (
    a.schema === b.schema &&
    Object.is(a.zeroThreshold, b.zeroThreshold) &&
    a.customValues.length === b.customValues.length &&
    a.customValues.every((v, i) => Object.is(v, b.customValues[i]))
  );
}

/** Same observations (a chunk's union layout adds zero buckets a sample did not have). */
function sameData(a: FloatHistogram, b: FloatHistogram): boolean {
  return histogramsEqual(compactHistogram(a), compactHistogram(b));
}

export class HistogramHead {
  private readonly series = new Map<number, HistogramSeries>();
  numSamples = 0;
  /** Newest and oldest histogram sample timestamps in the head. */
  maxT = -Infinity;
  minT = Infinity;

  constructor(readonly blockRangeMs: number) {}

  get numSeries(): number {
    return this.series.size;
  }

  has(id: number): boolean {
    return this.series.has(id);
  }

  /** IDs of the series with histogram samples. */
  ids(): IterableIterator<number> {
    return this.series.keys();
  }

  /**
   * Appends one sample of head series `id` (the sample is copied). `minValidTime` is the head's: samples before it
   * are in blocks. The window's in-order bound applies as for floats; see the file comment for late samples.
   */
  append(id: number, t: number, h: FloatHistogram, window: AppendWindow, minValidTime: number): AppendOutcome {
    if (t < minValidTime || t < window.inOrderBefore) return AppendOutcome.TooOld;
    let s = this.series.get(id);
    if (s === undefined) this.series.set(id, (s = new HistogramSeries()));
    if (t <= s.maxT) {
      const stored = this.storedAt(s, t);
      if (stored !== undefined) return sameData(stored, h) ? AppendOutcome.Identical : AppendOutcome.DuplicateTimestamp;
      return AppendOutcome.OutOfOrder;
    }
    if (
      s.openCount >= MAX_CHUNK_SAMPLES ||
      t >= s.openEnd ||
      (s.openFirst !== undefined && !sameChunkShape(s.openFirst, h))
    ) {
      this.closeOpen(s);
      s.openEnd = (Math.floor(t / this.blockRangeMs) + 1) * this.blockRangeMs;
    }
    const copy = copyHistogram(h);
    if (s.openFirst === undefined) {
      s.openFirst = copy;
      s.openMinT = t;
    }
    s.openTimestamps.push(t);
    s.openHistograms.push(copy);
    if (s.openTimestamps.length >= OPEN_PART_SAMPLES) {
      s.openParts.push(encodeHistogramChunk(s.openTimestamps, s.openHistograms));
      s.openPartSamples += s.openTimestamps.length;
      s.openTimestamps = [];
      s.openHistograms = [];
    }
    s.maxT = t;
    this.numSamples++;
    if (t > this.maxT) this.maxT = t;
    if (t < this.minT) this.minT = t;
    return AppendOutcome.Appended;
  }

  private closeOpen(s: HistogramSeries): void {
    if (s.openCount === 0) return;
    const timestamps: number[] = [];
    const histograms: FloatHistogram[] = [];
    s.openSamples(-Infinity, Infinity, timestamps, histograms);
    const bytes = encodeHistogramChunk(timestamps, histograms);
    s.closed.push({ bytes, minT: timestamps[0]!, maxT: timestamps[timestamps.length - 1]! });
    s.openParts = [];
    s.openPartSamples = 0;
    s.openTimestamps = [];
    s.openHistograms = [];
    s.openFirst = undefined;
    s.openMinT = Infinity;
  }

  /** The series' sample at `t`, if any. */
  private storedAt(s: HistogramSeries, t: number): FloatHistogram | undefined {
    if (t >= s.openMinT) {
      const timestamps: number[] = [];
      const histograms: FloatHistogram[] = [];
      s.openSamples(t, t, timestamps, histograms);
      return histograms[0];
    }
    const chunk = s.closed.find((c) => c.minT <= t && t <= c.maxT);
    if (chunk === undefined) return undefined;
    const d = decodeHistogramChunk(chunk.bytes);
    const j = d.timestamps.indexOf(t);
    return j >= 0 ? d.histograms[j] : undefined;
  }

  /** Whether series `id`'s histogram samples span a range overlapping [mint, maxt]. */
  hasDataIn(id: number, mint: number, maxt: number): boolean {
    const s = this.series.get(id);
    return s !== undefined && s.maxT >= mint && s.minT <= maxt;
  }

  /** Series `id`'s samples in [mint, maxt]; undefined when none. */
  samples(id: number, mint: number, maxt: number): HistogramSamples | undefined {
    const s = this.series.get(id);
    if (s === undefined || s.maxT < mint || s.minT > maxt) return undefined;
    const parts = s.closed.filter((c) => c.maxT >= mint && c.minT <= maxt).map((c) => c.bytes);
    const timestamps: number[] = [];
    const values: FloatHistogram[] = [];
    decodeHistogramChunksIn(parts, mint, maxt, timestamps, values);
    if (s.maxT >= mint && s.openMinT <= maxt) s.openSamples(mint, maxt, timestamps, values);
    return timestamps.length > 0 ? { timestamps: Float64Array.from(timestamps), values } : undefined;
  }

  /** Closes open chunks that end at or before t1, so [.., t1) is made only of closed chunks. */
  sealBefore(t1: number): void {
    for (const s of this.series.values()) if (s.openEnd <= t1) this.closeOpen(s);
  }

  /** Series `id`'s closed chunks that lie in [t0, t1) (after sealBefore(t1)). */
  chunksInRange(id: number, t0: number, t1: number): ClosedChunk[] {
    return this.series.get(id)?.closed.filter((c) => c.minT >= t0 && c.maxT < t1) ?? [];
  }

  /** Drops chunks before `t` (they are in a block now) and series left without samples. */
  truncateBefore(t: number): void {
    let minT = Infinity;
    for (const [id, s] of this.series) {
      let k = 0;
      while (k < s.closed.length && s.closed[k]!.maxT < t)
        this.numSamples -= histogramChunkSampleCount(s.closed[k++]!.bytes);
      if (k > 0) s.closed.splice(0, k);
      if (s.closed.length === 0 && s.openCount === 0) this.series.delete(id);
      else if (s.minT < minT) minT = s.minT;
    }
    this.minT = minT;
  }

  /** Approximate bytes held: chunk bytes plus open samples (objects and their bucket arrays). */
  memoryBytes(): number {
    let n = 0;
    for (const s of this.series.values()) {
      n += 200;
      for (const c of s.closed) n += c.bytes.length + 64;
      for (const part of s.openParts) n += part.length + 64;
      for (const h of s.openHistograms) n += 250 + 8 * (h.positiveBuckets.length + h.negativeBuckets.length);
    }
    return n;
  }

  get chunkCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.closed.length + (s.openCount > 0 ? 1 : 0);
    return n;
  }
}
