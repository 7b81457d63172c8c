// Prometheus remote-write 1.0 request encoder: protobuf by hand, then snappy block compression.
// Wire format (prometheus/prompb remote.proto + types.proto):
//   WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }   (2 is reserved)
//   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2; repeated Histogram histograms = 4; }
//                  (3 is exemplars; Histogram: histogram-message.ts)
//   Label          { string name = 1; string value = 2; }
//   Sample         { double value = 1; int64 timestamp = 2; }
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
//   MetricType     { UNKNOWN = 0; COUNTER = 1; GAUGE = 2; HISTOGRAM = 3; GAUGEHISTOGRAM = 4; SUMMARY = 5; INFO = 6; STATESET = 7; }
// Two passes: sizes first (every length prefix must be known before its message), then one write into a single
// Buffer of exactly the right size. String byte lengths from pass one are kept in a reused scratch array.
import { compressSync } from 'snappy';
import type {
  Label,
  MetricMetadata,
  PromHistogramSamples,
  PromMetricType,
  PromSeries,
} from '../../model/prometheus.js';
import { seriesSampleCount } from '../../model/prometheus.js';
import { histogramMessageSize, writeHistogramMessage } from './histogram-message.js';
import { varintSize, writeVarint } from './varint.js';

// Tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
const TAG_WRITE_TIMESERIES = 0x0a; // 1, LEN
const TAG_WRITE_METADATA = 0x1a; // 3, LEN
const TAG_SERIES_LABEL = 0x0a; // 1, LEN
const TAG_SERIES_SAMPLE = 0x12; // 2, LEN
const TAG_SERIES_HISTOGRAM = 0x22; // 4, LEN
const TAG_LABEL_NAME = 0x0a; // 1, LEN
const TAG_LABEL_VALUE = 0x12; // 2, LEN
const TAG_SAMPLE_VALUE = 0x09; // 1, I64
const TAG_SAMPLE_TIMESTAMP = 0x10; // 2, VARINT
const TAG_META_TYPE = 0x08; // 1, VARINT
const TAG_META_FAMILY = 0x12; // 2, LEN
const TAG_META_HELP = 0x22; // 4, LEN
const TAG_META_UNIT = 0x2a; // 5, LEN

const METRIC_TYPE: Record<PromMetricType, number> = { unknown: 0, counter: 1, gauge: 2, histogram: 3, summary: 5 };

function writeString(buf: Buffer, pos: number, tag: number, s: string, byteLen: number): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, byteLen);
  if (byteLen === s.length && byteLen <= SHORT_ASCII) {
    // Short ASCII (label names, most values): a JS loop beats the native call behind buf.write (see encode.bench).
    for (let i = 0; i < byteLen; i++) buf[pos + i] = s.charCodeAt(i);
    return pos + byteLen;
  }
  return pos + buf.write(s, pos, byteLen, 'utf8');
}
const SHORT_ASCII = 64;

/** Scratch for pass one → pass two: per label [nameBytes, valueBytes], per series its body size. Grows, never shrinks. */
let scratch = new Int32Array(4096);

function ensureScratch(n: number): Int32Array {
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/** UTF-8 byte length. Short strings are scanned in JS (cheaper than the native call when they are ASCII). */
function utf8Length(s: string): number {
  const n = s.length;
  if (n > SHORT_ASCII) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return n;
}

function stringField(byteLen: number): number {
  return 1 + varintSize(byteLen) + byteLen;
}

/**
 * The encoded Label fields of a series that carries a SeriesRef, kept in the ref's sinkState: the mapper hands out
 * the same ref and labels for a series every request, so the Agent's every-flush re-send of the same series costs a
 * copy instead of re-encoding its strings (encoding one-sample series was most of the gateway's CPU). The ref lives
 * as long as the mapper keeps the label set. The remote-write encoder's state in a ref is exactly this Uint8Array
 * (the embedded store keeps its HeadSeries there; a process has one of the two sinks).
 */
function labelFieldsOf(s: PromSeries): Uint8Array | undefined {
  const ref = s.ref;
  if (ref === undefined) return undefined;
  const state = ref.sinkState;
  if (state instanceof Uint8Array) return state;
  const bytes = encodeLabelFields(s.labels);
  ref.sinkState = bytes;
  return bytes;
}

/** encodeLabelFields' byte lengths of names and values, measured once (the encoder's `scratch` is in use then). */
let labelLengths = new Int32Array(64);

function encodeLabelFields(labels: readonly Label[]): Uint8Array {
  if (labelLengths.length < 2 * labels.length) labelLengths = new Int32Array(4 * labels.length);
  const lengths = labelLengths;
  let size = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    const n = utf8Length(l.name);
    const v = utf8Length(l.value);
    lengths[2 * i] = n;
    lengths[2 * i + 1] = v;
    const label = stringField(n) + stringField(v);
    size += 1 + varintSize(label) + label;
  }
  const bytes = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    const n = lengths[2 * i]!;
    const v = lengths[2 * i + 1]!;
    bytes[pos++] = TAG_SERIES_LABEL;
    pos = writeVarint(bytes, pos, stringField(n) + stringField(v));
    pos = writeString(bytes, pos, TAG_LABEL_NAME, l.name, n);
    pos = writeString(bytes, pos, TAG_LABEL_VALUE, l.value, v);
  }
  return bytes;
}

/** Pass one → pass two: the cached label bytes of each series (undefined: encode its labels in place). Grows only. */
let seriesLabelBytes: (Uint8Array | undefined)[] = [];

/**
 * Serialize a WriteRequest (uncompressed protobuf). Series must hold the model's invariants (sorted unique labels,
 * integer millisecond timestamps in order); series without samples are skipped.
 */
export function encodeWriteRequest(series: readonly PromSeries[], metadata: readonly MetricMetadata[] = []): Buffer {
  let labelCount = 0;
  for (const s of series) labelCount += s.labels.length;
  const sizes = ensureScratch(2 * labelCount + series.length);
  if (seriesLabelBytes.length < series.length) seriesLabelBytes = new Array(series.length);
  const seriesBase = 2 * labelCount;

  // Pass one: sizes.
  let total = 0;
  let li = 0;
  for (let si = 0; si < series.length; si++) {
    const s = series[si]!;
    const ts = s.timestamps;
    if (seriesSampleCount(s) === 0) {
      li += 2 * s.labels.length;
      continue;
    }
    let body = 0;
    const cached = labelFieldsOf(s);
    seriesLabelBytes[si] = cached;
    if (cached) {
      body += cached.length;
      li += 2 * s.labels.length;
    } else
      for (const l of s.labels) {
        const n = utf8Length(l.name);
        const v = utf8Length(l.value);
        sizes[li++] = n;
        sizes[li++] = v;
        const label = stringField(n) + stringField(v);
        body += 1 + varintSize(label) + label;
      }
    for (let i = 0; i < ts.length; i++) {
      const t = checkedTimestamp(ts[i]!);
      const sample = 9 + 1 + varintSize(t);
      body += 1 + varintSize(sample) + sample;
    }
    if (s.histograms !== undefined) body += histogramsSize(s.histograms);
    sizes[seriesBase + si] = body;
    total += 1 + varintSize(body) + body;
  }
  for (const m of metadata) total += 1 + varintSize(metadataSize(m)) + metadataSize(m);

  // Pass two: write.
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  li = 0;
  for (let si = 0; si < series.length; si++) {
    const s = series[si]!;
    const ts = s.timestamps;
    if (seriesSampleCount(s) === 0) {
      li += 2 * s.labels.length;
      continue;
    }
    buf[pos++] = TAG_WRITE_TIMESERIES;
    pos = writeVarint(buf, pos, sizes[seriesBase + si]!);
    const cached = seriesLabelBytes[si];
    if (cached) {
      buf.set(cached, pos);
      pos += cached.length;
      li += 2 * s.labels.length;
    } else
      for (const l of s.labels) {
        const n = sizes[li++]!;
        const v = sizes[li++]!;
        buf[pos++] = TAG_SERIES_LABEL;
        pos = writeVarint(buf, pos, stringField(n) + stringField(v));
        pos = writeString(buf, pos, TAG_LABEL_NAME, l.name, n);
        pos = writeString(buf, pos, TAG_LABEL_VALUE, l.value, v);
      }
    const vs = s.values;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      buf[pos++] = TAG_SERIES_SAMPLE;
      buf[pos++] = 10 + varintSize(t); // at most 20: one byte
      buf[pos++] = TAG_SAMPLE_VALUE;
      pos = buf.writeDoubleLE(vs[i]!, pos);
      buf[pos++] = TAG_SAMPLE_TIMESTAMP;
      pos = writeVarint(buf, pos, t);
    }
    if (s.histograms !== undefined) pos = writeHistograms(buf, pos, s.histograms);
  }
  for (const m of metadata) {
    buf[pos++] = TAG_WRITE_METADATA;
    pos = writeVarint(buf, pos, metadataSize(m));
    const type = METRIC_TYPE[m.type] ?? 0;
    if (type !== 0) {
      buf[pos++] = TAG_META_TYPE;
      buf[pos++] = type;
    }
    pos = writeString(buf, pos, TAG_META_FAMILY, m.metricFamilyName, Buffer.byteLength(m.metricFamilyName, 'utf8'));
    if (m.help) pos = writeString(buf, pos, TAG_META_HELP, m.help, Buffer.byteLength(m.help, 'utf8'));
    if (m.unit) pos = writeString(buf, pos, TAG_META_UNIT, m.unit, Buffer.byteLength(m.unit, 'utf8'));
  }
  if (pos !== total) throw new Error(`remote write encoder: wrote ${pos} bytes, sized ${total}`);
  return buf;
}

function checkedTimestamp(t: number): number {
  if (!Number.isSafeInteger(t))
    throw new RangeError(`remote write: timestamp ${t} is not an integer number of milliseconds`);
  return t;
}

// Histogram samples are few (one per distribution and interval): their sizes are computed again when written.
function histogramsSize(hs: PromHistogramSamples): number {
  let n = 0;
  for (let i = 0; i < hs.timestamps.length; i++) {
    const size = histogramMessageSize(hs.histograms[i]!, checkedTimestamp(hs.timestamps[i]!));
    n += 1 + varintSize(size) + size;
  }
  return n;
}

function writeHistograms(buf: Buffer, pos: number, hs: PromHistogramSamples): number {
  for (let i = 0; i < hs.timestamps.length; i++) {
    const h = hs.histograms[i]!;
    const t = hs.timestamps[i]!;
    buf[pos++] = TAG_SERIES_HISTOGRAM;
    pos = writeVarint(buf, pos, histogramMessageSize(h, t));
    pos = writeHistogramMessage(buf, pos, h, t);
  }
  return pos;
}

// Metadata is a handful of entries per request: no scratch, lengths are recomputed when written.
function metadataSize(m: MetricMetadata): number {
  let n = stringField(Buffer.byteLength(m.metricFamilyName, 'utf8'));
  if ((METRIC_TYPE[m.type] ?? 0) !== 0) n += 2;
  if (m.help) n += stringField(Buffer.byteLength(m.help, 'utf8'));
  if (m.unit) n += stringField(Buffer.byteLength(m.unit, 'utf8'));
  return n;
}

/** The HTTP body of a remote-write request: the WriteRequest in snappy's block format (not the framed format). */
export function encodeSnappyWriteRequest(
  series: readonly PromSeries[],
  metadata: readonly MetricMetadata[] = [],
): Buffer {
  return compressSync(encodeWriteRequest(series, metadata));
}

/**
 * Split series into requests of at most `maxSamples` samples (float and histogram) each, in order. A series stays
 * whole unless it alone has more than `maxSamples` samples; then it is cut into consecutive time slices (sent in
 * order, so the receiver still sees its samples in time order; a series with both kinds has its float slices
 * first). Series without samples are dropped.
 */
export function splitBySamples(series: readonly PromSeries[], maxSamples: number): PromSeries[][] {
  if (!(maxSamples >= 1)) throw new RangeError(`maxSamples must be at least 1, got ${maxSamples}`);
  const requests: PromSeries[][] = [];
  let current: PromSeries[] = [];
  let currentSamples = 0;
  const flush = () => {
    if (current.length > 0) requests.push(current);
    current = [];
    currentSamples = 0;
  };
  for (const s of series) {
    const n = seriesSampleCount(s);
    if (n === 0) continue;
    if (n > maxSamples) {
      flush();
      for (const slice of timeSlices(s, maxSamples)) {
        flush();
        current = [slice];
        currentSamples = seriesSampleCount(slice);
      }
      continue;
    }
    if (currentSamples + n > maxSamples) flush();
    current.push(s);
    currentSamples += n;
  }
  flush();
  return requests;
}

/** A series' samples in consecutive slices of `maxSamples` (the last one shorter): floats, then histograms. */
function* timeSlices(s: PromSeries, maxSamples: number): Generator<PromSeries> {
  const n = s.timestamps.length;
  for (let from = 0; from < n; from += maxSamples) {
    const to = Math.min(n, from + maxSamples);
    yield { labels: s.labels, timestamps: s.timestamps.slice(from, to), values: s.values.slice(from, to) };
  }
  const hs = s.histograms;
  if (hs === undefined) return;
  for (let from = 0; from < hs.timestamps.length; from += maxSamples) {
    const to = Math.min(hs.timestamps.length, from + maxSamples);
    const histograms = { timestamps: hs.timestamps.slice(from, to), histograms: hs.histograms.slice(from, to) };
    yield { labels: s.labels, timestamps: [], values: [], histograms };
  }
}
