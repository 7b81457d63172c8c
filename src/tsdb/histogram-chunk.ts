import { CounterResetHint, type BucketSpan, type FloatHistogram } from '../model/histogram.js';

// A chunk encoding for native histogram samples: one series' samples that share a schema, zero threshold and custom
// bounds (a change of any of them starts a new chunk, as in Prometheus). The head seals its histogram samples into
// these chunks and blocks store them beside float chunks: the first byte tells them apart.
//
// Like Prometheus' histogram chunk, the bucket layout is written once per chunk: the union of every sample's buckets,
// so a sample without one of them has a zero there (decoded samples carry the union layout; zeros keep their
// meaning). Then per sample, in a bit stream:
//   timestamp   first: the value; second: the delta; then delta of deltas;
//   count, zero count, every bucket (positive then negative, in layout order), when all counts are whole numbers
//               ("integer" chunk): first sample as is (buckets as differences from the previous bucket), second as
//               the difference from the first, then differences of differences: a counter histogram growing at a
//               steady rate costs one bit per bucket; otherwise ("float" chunk) as the sum: XOR with the previous;
//   sum         XOR with the previous sample's (the first one whole).
// Integers are zigzagged and written as '0' (zero) or n ones, a zero, and VARBIT_WIDTHS[n] bits. XOR values are '0'
// (unchanged) or '1', 6 bits of leading zeros, 6 bits of length − 1 and the significant bits.
//
// Header (bytes): u8 encoding (HISTOGRAM_CHUNK_ENCODING), u8 flags (bit 0 float chunk, bit 1 hints per sample), u16 big-endian sample count;
// then in the bit stream: schema (zigzag varbit), zero threshold (64 bits), custom bounds (count, then 64 bits
// each), positive and negative spans (count, then zigzag offset and length each), the first sample's counter-reset
// hint (2 bits) and the hint of the others (2 bits), or with flag bit 1 two bits per sample.

/** The first byte of every histogram chunk: distinct from the float chunks' encodings (chunk.ts: 1, 2). */
export const HISTOGRAM_CHUNK_ENCODING = 3;
const FLAG_FLOAT = 1;
const FLAG_HINT_PER_SAMPLE = 2;
const HEADER_BYTES = 4;
/** Samples of one chunk at most (the count is a u16). */
export const MAX_HISTOGRAM_CHUNK_SAMPLES = 0xffff;
/** Payload bits after a prefix of n ones (the last bucket holds any safe integer). */
const VARBIT_WIDTHS = [0, 4, 7, 10, 13, 19, 26, 36, 53] as const;
/** Whole counts up to this go in an integer chunk: their differences of differences stay safe once zigzagged. */
const MAX_INTEGER_COUNT = 2 ** 50;
const TWO32 = 2 ** 32;
/** Timestamps up to ±2^52 ms (the year 144 000): zigzagged, they fit the widest varbit. */
const MAX_TIMESTAMP = 2 ** 52;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Typed arrays use the platform byte order; every platform Node supports for this project is little-endian.
const LO = 0;
const HI = 1;

export class CorruptHistogramChunkError extends Error {
  override name = 'CorruptHistogramChunkError';
}

class BitWriter {
  buf = new Uint8Array(256);
  bitPos = 0;

  /** The low `n` (≤ 32) bits of `v`, most significant first. */
  write(v: number, n: number): void {
    if (this.bitPos + n > this.buf.length * 8) {
      const bigger = new Uint8Array(this.buf.length * 2 + 8);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    for (let i = n - 1; i >= 0; i--) {
      if ((v >>> i) & 1) this.buf[this.bitPos >>> 3]! |= 0x80 >>> (this.bitPos & 7);
      this.bitPos++;
    }
  }

  /** An unsigned integer of up to 53 bits in `n` bits. */
  writeWide(v: number, n: number): void {
    if (n > 32) {
      this.write(Math.floor(v / TWO32), n - 32);
      this.write(v >>> 0, 32);
    } else this.write(v, n);
  }

  varbit(v: number): void {
    const u = v >= 0 ? 2 * v : -2 * v - 1;
    let n = 0;
    while (n < VARBIT_WIDTHS.length - 1 && u >= 2 ** VARBIT_WIDTHS[n]!) n++;
    if (n > 0) this.write(0xffffffff, n);
    if (n < VARBIT_WIDTHS.length - 1) this.write(0, 1);
    this.writeWide(u, VARBIT_WIDTHS[n]!);
  }

  float(v: number): void {
    f64[0] = v;
    this.write(u32[HI]!, 32);
    this.write(u32[LO]!, 32);
  }

  /** `v` XOR `previous` (Gorilla's idea, without its window reuse). */
  xor(v: number, previous: number): void {
    f64[0] = previous;
    const pHi = u32[HI]!;
    const pLo = u32[LO]!;
    f64[0] = v;
    const hi = (u32[HI]! ^ pHi) >>> 0;
    const lo = (u32[LO]! ^ pLo) >>> 0;
    if (hi === 0 && lo === 0) {
      this.write(0, 1);
      return;
    }
    const leading = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
    const trailing = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + (31 - Math.clz32(hi & -hi));
    const length = 64 - leading - trailing;
    this.write(1, 1);
    this.write(Math.min(leading, 63), 6);
    this.write(length - 1, 6);
    // The significant bits: (hi, lo) >> trailing, `length` of them.
    if (trailing >= 32) this.write(hi >>> (trailing - 32), length);
    else if (length <= 32) this.write(((lo >>> trailing) | (trailing === 0 ? 0 : hi << (32 - trailing))) >>> 0, length);
    else {
      this.write(hi >>> trailing, length - 32);
      this.write(((lo >>> trailing) | (trailing === 0 ? 0 : hi << (32 - trailing))) >>> 0, 32);
    }
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, (this.bitPos + 7) >>> 3);
  }
}

class BitReader {
  private bitPos: number;

  constructor(
    private readonly buf: Uint8Array,
    startByte: number,
  ) {
    this.bitPos = startByte * 8;
  }

  read(n: number): number {
    if (this.bitPos + n > this.buf.length * 8) throw new CorruptHistogramChunkError('histogram chunk: truncated');
    // A byte's worth of bits at a time (decoding bit by bit was most of a histogram query's time); n <= 32, so
    // the multiplications stay exact where shifts would overflow into the sign bit.
    let v = 0;
    let left = n;
    while (left > 0) {
      const free = 8 - (this.bitPos & 7);
      const take = Math.min(free, left);
      const bits = (this.buf[this.bitPos >>> 3]! >>> (free - take)) & ((1 << take) - 1);
      v = v * (1 << take) + bits;
      this.bitPos += take;
      left -= take;
    }
    return v;
  }

  readWide(n: number): number {
    return n > 32 ? this.read(n - 32) * TWO32 + this.read(32) : this.read(n);
  }

  varbit(): number {
    let n = 0;
    while (n < VARBIT_WIDTHS.length - 1 && this.read(1) === 1) n++;
    const u = this.readWide(VARBIT_WIDTHS[n]!);
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  float(): number {
    u32[HI] = this.read(32);
    u32[LO] = this.read(32);
    return f64[0]!;
  }

  xor(previous: number): number {
    if (this.read(1) === 0) return previous;
    const leading = this.read(6);
    const length = this.read(6) + 1;
    const trailing = 64 - leading - length;
    if (trailing < 0) throw new CorruptHistogramChunkError('histogram chunk: bad XOR value');
    let hi: number;
    let lo: number;
    if (trailing >= 32) {
      hi = (this.read(length) << (trailing - 32)) >>> 0;
      lo = 0;
    } else if (length <= 32) {
      const bits = this.read(length);
      lo = (bits << trailing) >>> 0;
      hi = trailing === 0 ? 0 : bits >>> (32 - trailing);
    } else {
      const top = this.read(length - 32);
      const bottom = this.read(32);
      lo = (bottom << trailing) >>> 0;
      hi = ((top << trailing) | (trailing === 0 ? 0 : bottom >>> (32 - trailing))) >>> 0;
    }
    f64[0] = previous;
    u32[HI] = (u32[HI]! ^ hi) >>> 0;
    u32[LO] = (u32[LO]! ^ lo) >>> 0;
    return f64[0]!;
  }
}

/** Sorted bucket indexes of a side's spans. */
function indexesOf(spans: readonly BucketSpan[]): number[] {
  const out: number[] = [];
  let index = 0;
  for (let s = 0; s < spans.length; s++) {
    index += spans[s]!.offset;
    for (let i = 0; i < spans[s]!.length; i++) out.push(index++);
  }
  return out;
}

function spansOf(indexes: readonly number[]): BucketSpan[] {
  const spans: BucketSpan[] = [];
  let next = 0;
  for (let i = 0; i < indexes.length; i++) {
    const index = indexes[i]!;
    const last = spans[spans.length - 1];
    if (last !== undefined && index === next) last.length++;
    else spans.push({ offset: last === undefined ? index : index - next, length: 1 });
    next = index + 1;
  }
  return spans;
}

/** Every sample's counts of one side over the chunk's layout (`union` indexes): zeros where a sample has none. */
function expand(
  samples: readonly FloatHistogram[],
  side: 'positive' | 'negative',
  union: readonly number[],
): number[][] {
  const position = new Map<number, number>();
  for (let i = 0; i < union.length; i++) position.set(union[i]!, i);
  return samples.map((h) => {
    const counts = new Array<number>(union.length).fill(0);
    const spans = side === 'positive' ? h.positiveSpans : h.negativeSpans;
    const buckets = side === 'positive' ? h.positiveBuckets : h.negativeBuckets;
    indexesOf(spans).forEach((index, i) => {
      counts[position.get(index)!] = buckets[i]!;
    });
    return counts;
  });
}

function isWhole(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_INTEGER_COUNT;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/**
 * One chunk of `histograms` at `timestamps` (integer ms, strictly increasing). They must share schema, zero
 * threshold and custom bounds: throws a RangeError otherwise (the caller starts a new chunk there).
 */
export function encodeHistogramChunk(timestamps: readonly number[], histograms: readonly FloatHistogram[]): Uint8Array {
  const n = timestamps.length;
  if (n === 0 || n !== histograms.length || n > MAX_HISTOGRAM_CHUNK_SAMPLES)
    throw new RangeError(`histogram chunk: ${n} timestamps for ${histograms.length} histograms`);
  const first = histograms[0]!;
  for (let i = 0; i < n; i++) {
    const h = histograms[i]!;
    const t = timestamps[i]!;
    if (!Number.isInteger(t) || Math.abs(t) > MAX_TIMESTAMP || (i > 0 && t <= timestamps[i - 1]!))
      throw new RangeError(`histogram chunk: timestamp ${t} is not an integer ms after the previous one`);
    if (
      h.schema !== first.schema ||
      !Object.is(h.zeroThreshold, first.zeroThreshold) ||
      !sameBounds(h.customValues, first.customValues)
    )
      throw new RangeError('histogram chunk: samples differ in schema, zero threshold or custom bounds');
  }
  const positiveLayout = [...new Set(histograms.flatMap((h) => indexesOf(h.positiveSpans)))].sort((a, b) => a - b);
  const negativeLayout = [...new Set(histograms.flatMap((h) => indexesOf(h.negativeSpans)))].sort((a, b) => a - b);
  const positive = expand(histograms, 'positive', positiveLayout);
  const negative = expand(histograms, 'negative', negativeLayout);
  const integer = histograms.every(
    (h, i) => isWhole(h.count) && isWhole(h.zeroCount) && positive[i]!.every(isWhole) && negative[i]!.every(isWhole),
  );
  const hints = histograms.map((h) => h.counterResetHint);
  const restHint = hints[1] ?? CounterResetHint.NotCounterReset;
  const hintPerSample = hints.some((h, i) => i > 0 && h !== restHint);

  const w = new BitWriter();
  w.write(HISTOGRAM_CHUNK_ENCODING, 8);
  w.write((integer ? 0 : FLAG_FLOAT) | (hintPerSample ? FLAG_HINT_PER_SAMPLE : 0), 8);
  w.write(n, 16);
  w.varbit(first.schema);
  w.float(first.zeroThreshold);
  w.varbit(first.customValues.length);
  for (const v of first.customValues) w.float(v);
  for (const layout of [positiveLayout, negativeLayout]) {
    const spans = spansOf(layout);
    w.varbit(spans.length);
    for (const s of spans) {
      w.varbit(s.offset);
      w.varbit(s.length);
    }
  }
  if (hintPerSample) for (const h of hints) w.write(h, 2);
  else {
    w.write(hints[0]!, 2);
    w.write(restHint, 2);
  }

  // Per integer field: its last value and last difference (the 2nd-order state); floats: their last value.
  const fields = 2 + positiveLayout.length + negativeLayout.length;
  const lastValue = new Float64Array(fields);
  const lastDelta = new Float64Array(fields);
  let lastSum = 0;
  let tDelta = 0;
  const values = new Float64Array(fields);
  for (let i = 0; i < n; i++) {
    const h = histograms[i]!;
    const t = timestamps[i]!;
    if (i === 0) w.varbit(t);
    else {
      const delta = t - timestamps[i - 1]!;
      w.varbit(i === 1 ? delta : delta - tDelta);
      tDelta = delta;
    }
    values[0] = h.count;
    values[1] = h.zeroCount;
    values.set(positive[i]!, 2);
    values.set(negative[i]!, 2 + positiveLayout.length);
    for (let f = 0; f < fields; f++) {
      const v = values[f]!;
      if (!integer) w.xor(v, lastValue[f]!);
      else if (i === 0) w.varbit(f >= 2 && f !== 2 + positiveLayout.length ? v - values[f - 1]! : v);
      else {
        const delta = v - lastValue[f]!;
        w.varbit(i === 1 ? delta : delta - lastDelta[f]!);
        lastDelta[f] = delta;
      }
      lastValue[f] = v;
    }
    if (i === 0) w.float(h.sum);
    else w.xor(h.sum, lastSum);
    lastSum = h.sum;
  }
  return w.bytes();
}

/** Whether `chunk` (from a block, which holds both kinds) is a histogram chunk. */
export function isHistogramChunk(chunk: Uint8Array): boolean {
  return chunk[0] === HISTOGRAM_CHUNK_ENCODING;
}

/** Number of samples in a histogram chunk, read from its header. */
export function histogramChunkSampleCount(chunk: Uint8Array): number {
  return (chunk[2]! << 8) | chunk[3]!;
}

/** The samples of a chunk made by encodeHistogramChunk, each over the chunk's layout. */
export function decodeHistogramChunk(chunk: Uint8Array): { timestamps: number[]; histograms: FloatHistogram[] } {
  if (chunk.length < HEADER_BYTES || chunk[0] !== HISTOGRAM_CHUNK_ENCODING)
    throw new CorruptHistogramChunkError(`histogram chunk: unknown encoding ${chunk[0]}`);
  const flags = chunk[1]!;
  const integer = (flags & FLAG_FLOAT) === 0;
  const n = (chunk[2]! << 8) | chunk[3]!;
  const r = new BitReader(chunk, HEADER_BYTES);
  const schema = r.varbit();
  const zeroThreshold = r.float();
  const customValues: number[] = [];
  for (let i = r.varbit(); i > 0; i--) customValues.push(r.float());
  const layouts: BucketSpan[][] = [];
  for (let side = 0; side < 2; side++) {
    const spans: BucketSpan[] = [];
    for (let i = r.varbit(); i > 0; i--) spans.push({ offset: r.varbit(), length: r.varbit() });
    layouts.push(spans);
  }
  const [positiveSpans, negativeSpans] = layouts as [BucketSpan[], BucketSpan[]];
  const positiveLength = indexesOf(positiveSpans).length;
  const negativeLength = indexesOf(negativeSpans).length;
  const hints: CounterResetHint[] = [];
  if (flags & FLAG_HINT_PER_SAMPLE) for (let i = 0; i < n; i++) hints.push(r.read(2));
  else {
    const firstHint = r.read(2);
    const restHint = r.read(2);
    for (let i = 0; i < n; i++) hints.push(i === 0 ? firstHint : restHint);
  }

  const fields = 2 + positiveLength + negativeLength;
  const lastValue = new Float64Array(fields);
  const lastDelta = new Float64Array(fields);
  let lastSum = 0;
  let t = 0;
  let tDelta = 0;
  const timestamps: number[] = [];
  const histograms: FloatHistogram[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0) t = r.varbit();
    else {
      const d = r.varbit();
      tDelta = i === 1 ? d : tDelta + d;
      t += tDelta;
    }
    for (let f = 0; f < fields; f++) {
      let v: number;
      if (!integer) v = r.xor(lastValue[f]!);
      else if (i === 0) v = r.varbit() + (f >= 2 && f !== 2 + positiveLength ? lastValue[f - 1]! : 0);
      else {
        const d = r.varbit();
        const delta = i === 1 ? d : lastDelta[f]! + d;
        lastDelta[f] = delta;
        v = lastValue[f]! + delta;
      }
      lastValue[f] = v;
    }
    const sum = i === 0 ? r.float() : r.xor(lastSum);
    lastSum = sum;
    timestamps.push(t);
    histograms.push({
      counterResetHint: hints[i]!,
      schema,
      zeroThreshold,
      zeroCount: lastValue[1]!,
      count: lastValue[0]!,
      sum,
      positiveSpans: positiveSpans.map((s) => ({ ...s })),
      positiveBuckets: Array.from(lastValue.subarray(2, 2 + positiveLength)),
      negativeSpans: negativeSpans.map((s) => ({ ...s })),
      negativeBuckets: Array.from(lastValue.subarray(2 + positiveLength)),
      customValues: [...customValues],
    });
  }
  return { timestamps, histograms };
}

/** Appends the samples in [mint, maxt] of histogram chunks (one series', in time order). */
export function decodeHistogramChunksIn(
  chunks: readonly Uint8Array[],
  mint: number,
  maxt: number,
  timestamps: number[],
  values: FloatHistogram[],
): void {
  for (const c of chunks) {
    const d = decodeHistogramChunk(c);
    d.timestamps.forEach((t, i) => {
      if (t >= mint && t <= maxt) {
        timestamps.push(t);
        values.push(d.histograms[i]!);
      }
    });
  }
}
