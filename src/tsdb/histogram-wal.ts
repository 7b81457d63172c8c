import type { BucketSpan, CounterResetHint, FloatHistogram } from '../model/histogram.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { finishRecord, HEADER, RECORD_HISTOGRAM_SAMPLES } from './wal.js';

// The WAL record of native histogram samples (type RECORD_HISTOGRAM_SAMPLES), beside the float samples record:
// payload u32 LE n, u32 0, then per sample zigzag varints of (series ID − previous ID) and (timestamp − previous
// timestamp), then the histogram:
//   u8 flags: counter-reset hint (bits 0-1), bit 2 set when every count is a whole number (then written as varints,
//   bucket counts as differences from the previous bucket; otherwise as f64 LE), schema (zigzag varint), zero
//   threshold and sum (f64), count and zero count, custom bounds (count, f64 each), positive then negative side:
//   span count, per span zigzag offset and length, bucket count, the counts.
// Every field is kept as it came, so replay rebuilds the sample exactly.

const FLAG_WHOLE = 4;
/** Whole counts up to this are written as varints (their differences stay exact). */
const MAX_WHOLE = 2 ** 50;

export interface HistogramSampleEntry {
  id: number;
  t: number;
  h: FloatHistogram;
}

function isWhole(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_WHOLE;
}

function writeSide(w: ByteWriter, spans: readonly BucketSpan[], buckets: readonly number[], whole: boolean): void {
  w.uvarint(spans.length);
  for (const s of spans) {
    w.varint(s.offset);
    w.uvarint(s.length);
  }
  w.uvarint(buckets.length);
  let previous = 0;
  for (const c of buckets) {
    if (whole) w.varint(c - previous);
    else w.f64(c);
    previous = c;
  }
}

function readSide(r: ByteReader, whole: boolean): { spans: BucketSpan[]; buckets: number[] } {
  const spans: BucketSpan[] = [];
  for (let i = r.uvarint(); i > 0; i--) spans.push({ offset: r.varint(), length: r.uvarint() });
  const buckets: number[] = [];
  let previous = 0;
  for (let i = r.uvarint(); i > 0; i--) {
    previous = whole ? previous + r.varint() : r.f64();
    buckets.push(previous);
  }
  return { spans, buckets };
}

/** A framed WAL record of histogram samples (`entries` in the order they were accepted). */
export function encodeHistogramSamplesRecord(entries: readonly HistogramSampleEntry[]): Uint8Array {
  const w = new ByteWriter(HEADER + 8 + entries.length * 64);
  w.len = HEADER + 8;
  let prevId = 0;
  let prevT = 0;
  for (const { id, t, h } of entries) {
    w.varint(id - prevId);
    w.varint(t - prevT);
    prevId = id;
    prevT = t;
    const whole =
      isWhole(h.count) && isWhole(h.zeroCount) && h.positiveBuckets.every(isWhole) && h.negativeBuckets.every(isWhole);
    w.u8((h.counterResetHint & 3) | (whole ? FLAG_WHOLE : 0));
    w.varint(h.schema);
    w.f64(h.zeroThreshold);
    w.f64(h.sum);
    if (whole) {
      w.uvarint(h.count);
      w.uvarint(h.zeroCount);
    } else {
      w.f64(h.count);
      w.f64(h.zeroCount);
    }
    w.uvarint(h.customValues.length);
    for (const v of h.customValues) w.f64(v);
    writeSide(w, h.positiveSpans, h.positiveBuckets, whole);
    writeSide(w, h.negativeSpans, h.negativeBuckets, whole);
  }
  const record = new Uint8Array((w.len + 7) & ~7);
  record.set(w.view());
  new DataView(record.buffer).setUint32(HEADER, entries.length, true);
  return finishRecord(record, RECORD_HISTOGRAM_SAMPLES);
}

/** The samples of a histogram samples record's payload. */
export function decodeHistogramSamplesPayload(payload: Uint8Array): HistogramSampleEntry[] {
  const n = new DataView(payload.buffer, payload.byteOffset, 8).getUint32(0, true);
  const r = new ByteReader(payload);
  r.off = 8;
  const out: HistogramSampleEntry[] = [];
  let id = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    id += r.varint();
    t += r.varint();
    const flags = r.u8();
    const whole = (flags & FLAG_WHOLE) !== 0;
    const schema = r.varint();
    const zeroThreshold = r.f64();
    const sum = r.f64();
    const count = whole ? r.uvarint() : r.f64();
    const zeroCount = whole ? r.uvarint() : r.f64();
    const customValues: number[] = [];
    for (let k = r.uvarint(); k > 0; k--) customValues.push(r.f64());
    const positive = readSide(r, whole);
    const negative = readSide(r, whole);
    out.push({
      id,
      t,
      h: {
        counterResetHint: (flags & 3) as CounterResetHint,
        schema,
        zeroThreshold,
        zeroCount,
        count,
        sum,
        positiveSpans: positive.spans,
        positiveBuckets: positive.buckets,
        negativeSpans: negative.spans,
        negativeBuckets: negative.buckets,
        customValues,
      },
    });
  }
  return out;
}
