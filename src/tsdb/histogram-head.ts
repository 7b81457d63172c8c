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
// millions). Each holds closed chunks (histogram-chunk.ts) and the open chunk's samples unencoded: a chunk's bucket
// layout is the union of its samples', known only when it closes. A chunk closes at MAX_OPEN_SAMPLES samples, at a
// block-range boundary, and when the schema, zero threshold or custom bounds change.
//
// Out-of-order rule: a histogram sample must be newer than its series' newest. An older one (or one at the same
// time) identical to the stored sample at its time is acknowledged as a duplicate; any other is refused
// (AppendOutcome.OutOfOrder, or DuplicateTimestamp at an occupied time). Histogram series come from the Agent's
// sketches, one sample per interval in order: merging late samples into encoded chunks is not worth its cost here.

/** Samples of an open chunk before it is encoded (Prometheus cuts histogram chunks at 120 samples too). */
const MAX_OPEN_SAMPLES = 120;

interface ClosedChunk {
  bytes: Uint8Array;
  minT: number;
  maxT: number;
}

class HistogramSeries {
  /** Oldest first; never overlapping the open samples. */
  closed: ClosedChunk[] = [];
  openTimestamps: number[] = [];
  openHistograms: FloatHistogram[] = [];
  /** Exclusive end of the block range the open chunk belongs to. */
  openEnd = 0;
  maxT = -Infinity;

  get minT(): number {
    return this.closed[0]?.minT ?? this.openTimestamps[0] ?? Infinity;
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
    const open = s.openHistograms;
    if (open.length >= MAX_OPEN_SAMPLES || t >= s.openEnd || (open.length > 0 && !sameChunkShape(open[0]!, h))) {
      this.closeOpen(s);
      s.openEnd = (Math.floor(t / this.blockRangeMs) + 1) * this.blockRangeMs;
    }
    s.openTimestamps.push(t);
    s.openHistograms.push(copyHistogram(h));
    s.maxT = t;
    this.numSamples++;
    if (t > this.maxT) this.maxT = t;
    if (t < this.minT) this.minT = t;
    return AppendOutcome.Appended;
  }

  private closeOpen(s: HistogramSeries): void {
    const n = s.openTimestamps.length;
    if (n === 0) return;
    const bytes = encodeHistogramChunk(s.openTimestamps, s.openHistograms);
    s.closed.push({ bytes, minT: s.openTimestamps[0]!, maxT: s.openTimestamps[n - 1]! });
    s.openTimestamps = [];
    s.openHistograms = [];
  }

  /** The series' sample at `t`, if any. */
  private storedAt(s: HistogramSeries, t: number): FloatHistogram | undefined {
    const i = s.openTimestamps.indexOf(t);
    if (i >= 0) return s.openHistograms[i];
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
    s.openTimestamps.forEach((t, i) => {
      if (t >= mint && t <= maxt) {
        timestamps.push(t);
        values.push(s.openHistograms[i]!);
      }
    });
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
      if (s.closed.length === 0 && s.openTimestamps.length === 0) this.series.delete(id);
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
      for (const h of s.openHistograms) n += 250 + 8 * (h.positiveBuckets.length + h.negativeBuckets.length);
    }
    return n;
  }

  get chunkCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.closed.length + (s.openTimestamps.length > 0 ? 1 : 0);
    return n;
  }
}
