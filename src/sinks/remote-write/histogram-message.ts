// The remote-write 1.0 Histogram message (prometheus/prompb types.proto), TimeSeries field 4:
//   Histogram  { oneof count { uint64 count_int = 1; double count_float = 2; }  double sum = 3;  sint32 schema = 4;
//                double zero_threshold = 5;  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
//                repeated BucketSpan negative_spans = 8;  repeated sint64 negative_deltas = 9;
//                repeated double negative_counts = 10;  repeated BucketSpan positive_spans = 11;
//                repeated sint64 positive_deltas = 12;  repeated double positive_counts = 13;
//                ResetHint reset_hint = 14;  int64 timestamp = 15;  repeated double custom_values = 16; }
//   BucketSpan { sint32 offset = 1; uint32 length = 2; }
// A histogram whose counts are all whole numbers is sent as an integer histogram (count_int, zero_count_int, bucket
// deltas), as Prometheus' own clients do: receivers before float histograms (Prometheus 2.42) take only those, and
// deltas are smaller. Others are float histograms (absolute counts). Both oneofs are always written, even when zero:
// which member is set is what tells the two kinds apart.
import type { BucketSpan, FloatHistogram } from '../../model/histogram.js';
import { varintSize, writeVarint, zigzag } from './varint.js';

const TAG_COUNT_INT = 0x08; // 1, VARINT
const TAG_COUNT_FLOAT = 0x11; // 2, I64
const TAG_SUM = 0x19; // 3, I64
const TAG_SCHEMA = 0x20; // 4, VARINT (zigzag)
const TAG_ZERO_THRESHOLD = 0x29; // 5, I64
const TAG_ZERO_COUNT_INT = 0x30; // 6, VARINT
const TAG_ZERO_COUNT_FLOAT = 0x39; // 7, I64
const TAG_NEGATIVE_SPANS = 0x42; // 8, LEN
const TAG_NEGATIVE_DELTAS = 0x4a; // 9, LEN (packed zigzag)
const TAG_NEGATIVE_COUNTS = 0x52; // 10, LEN (packed doubles)
const TAG_POSITIVE_SPANS = 0x5a; // 11, LEN
const TAG_POSITIVE_DELTAS = 0x62; // 12, LEN
const TAG_POSITIVE_COUNTS = 0x6a; // 13, LEN
const TAG_RESET_HINT = 0x70; // 14, VARINT
const TAG_TIMESTAMP = 0x78; // 15, VARINT
const TAG_CUSTOM_VALUES = [0x82, 0x01] as const; // 16, LEN (two-byte key)
const TAG_SPAN_OFFSET = 0x08; // 1, VARINT (zigzag)
const TAG_SPAN_LENGTH = 0x10; // 2, VARINT

/** Counts up to 2^52: their deltas' zigzag values stay safe integers. */
const MAX_INTEGER_COUNT = 2 ** 52;

function isWholeCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_INTEGER_COUNT;
}

/** Whether `h` goes as an integer histogram. */
function isIntegerHistogram(h: FloatHistogram): boolean {
  if (!isWholeCount(h.count) || !isWholeCount(h.zeroCount)) return false;
  for (const n of h.positiveBuckets) if (!isWholeCount(n)) return false;
  for (const n of h.negativeBuckets) if (!isWholeCount(n)) return false;
  return true;
}

function spanSize(s: BucketSpan): number {
  return 1 + varintSize(zigzag(s.offset)) + 1 + varintSize(s.length);
}

function spansSize(spans: readonly BucketSpan[]): number {
  let n = 0;
  for (const s of spans) {
    const size = spanSize(s);
    n += 1 + varintSize(size) + size;
  }
  return n;
}

function deltasBytes(counts: readonly number[]): number {
  let n = 0;
  let previous = 0;
  for (const c of counts) {
    n += varintSize(zigzag(c - previous));
    previous = c;
  }
  return n;
}

/** A packed field's size with its key and length; nothing when empty. */
function packedSize(keyBytes: number, payload: number): number {
  return payload === 0 ? 0 : keyBytes + varintSize(payload) + payload;
}

/** Bytes of the Histogram message of `h` at time `t` (ms), without its key and length prefix. */
export function histogramMessageSize(h: FloatHistogram, t: number): number {
  const integer = isIntegerHistogram(h);
  let n = integer ? 1 + varintSize(h.count) + 1 + varintSize(h.zeroCount) : 9 + 9;
  n += 9 + 1 + varintSize(zigzag(h.schema)) + 9; // sum, schema, zero threshold
  n += spansSize(h.negativeSpans) + spansSize(h.positiveSpans);
  if (integer) {
    n += packedSize(1, deltasBytes(h.negativeBuckets)) + packedSize(1, deltasBytes(h.positiveBuckets));
  } else n += packedSize(1, 8 * h.negativeBuckets.length) + packedSize(1, 8 * h.positiveBuckets.length);
  if (h.counterResetHint !== 0) n += 2;
  n += 1 + varintSize(t);
  n += packedSize(2, 8 * h.customValues.length);
  return n;
}

function writeDouble(buf: Buffer, pos: number, tag: number, v: number): number {
  buf[pos++] = tag;
  return buf.writeDoubleLE(v, pos);
}

function writeSpans(buf: Buffer, pos: number, tag: number, spans: readonly BucketSpan[]): number {
  for (const s of spans) {
    buf[pos++] = tag;
    pos = writeVarint(buf, pos, spanSize(s));
    buf[pos++] = TAG_SPAN_OFFSET;
    pos = writeVarint(buf, pos, zigzag(s.offset));
    buf[pos++] = TAG_SPAN_LENGTH;
    pos = writeVarint(buf, pos, s.length);
  }
  return pos;
}

function writeDeltas(buf: Buffer, pos: number, tag: number, counts: readonly number[]): number {
  const size = deltasBytes(counts);
  if (size === 0) return pos;
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, size);
  let previous = 0;
  for (const c of counts) {
    pos = writeVarint(buf, pos, zigzag(c - previous));
    previous = c;
  }
  return pos;
}

function writeDoubles(buf: Buffer, pos: number, tag: readonly number[], values: readonly number[]): number {
  if (values.length === 0) return pos;
  for (const b of tag) buf[pos++] = b;
  pos = writeVarint(buf, pos, 8 * values.length);
  for (const v of values) pos = buf.writeDoubleLE(v, pos);
  return pos;
}

/** Writes the Histogram message of `h` at time `t` (ms) at `pos` (histogramMessageSize bytes); returns the end. */
export function writeHistogramMessage(buf: Buffer, pos: number, h: FloatHistogram, t: number): number {
  const integer = isIntegerHistogram(h);
  if (integer) {
    buf[pos++] = TAG_COUNT_INT;
    pos = writeVarint(buf, pos, h.count);
  } else pos = writeDouble(buf, pos, TAG_COUNT_FLOAT, h.count);
  pos = writeDouble(buf, pos, TAG_SUM, h.sum);
  buf[pos++] = TAG_SCHEMA;
  pos = writeVarint(buf, pos, zigzag(h.schema));
  pos = writeDouble(buf, pos, TAG_ZERO_THRESHOLD, h.zeroThreshold);
  if (integer) {
    buf[pos++] = TAG_ZERO_COUNT_INT;
    pos = writeVarint(buf, pos, h.zeroCount);
  } else pos = writeDouble(buf, pos, TAG_ZERO_COUNT_FLOAT, h.zeroCount);
  pos = writeSpans(buf, pos, TAG_NEGATIVE_SPANS, h.negativeSpans);
  if (integer) pos = writeDeltas(buf, pos, TAG_NEGATIVE_DELTAS, h.negativeBuckets);
  else pos = writeDoubles(buf, pos, [TAG_NEGATIVE_COUNTS], h.negativeBuckets);
  pos = writeSpans(buf, pos, TAG_POSITIVE_SPANS, h.positiveSpans);
  if (integer) pos = writeDeltas(buf, pos, TAG_POSITIVE_DELTAS, h.positiveBuckets);
  else pos = writeDoubles(buf, pos, [TAG_POSITIVE_COUNTS], h.positiveBuckets);
  if (h.counterResetHint !== 0) {
    buf[pos++] = TAG_RESET_HINT;
    buf[pos++] = h.counterResetHint;
  }
  buf[pos++] = TAG_TIMESTAMP;
  pos = writeVarint(buf, pos, t);
  return writeDoubles(buf, pos, TAG_CUSTOM_VALUES, h.customValues);
}
