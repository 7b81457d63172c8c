// Chunk encodings for float samples. A chunk holds up to MAX_SAMPLES_PER_CHUNK samples with strictly increasing
// integer-millisecond timestamps. Header: u8 encoding, u8 sample count, u8 decimal scale; then a bit stream.
//
// Timestamps (both encodings, as in Gorilla / Prometheus): sample 0 as a "var int" (1 sign bit, 6 bits magnitude
// length L, L bits magnitude: 48 bits for a current ms timestamp); later
// samples as delta-of-delta in a prefix-coded bucket ('0' = 0, '10' + 14 bits, '110' + 17, '1110' + 20,
// '1111' + 64; sample 1 codes its delta as the delta-of-delta from 0).
//
// ENC_XOR (Gorilla, Pelkonen et al. VLDB 2015, as Prometheus' XOR chunks): value 0 as 64 raw bits, then each
// value XOR'd with the previous: '0' = same value, '10' = meaningful bits fit the previous leading/trailing-zero
// window, '11' + 5 bits leading zeros + 6 bits length (0 means 64) + the meaningful bits.
//
// ENC_DECIMAL: when every value v of the chunk is m / 10^scale for an integer |m| < 2^50 (agent values usually are:
// integers, counters, gauges with a few decimals), the integers m are stored instead, value 0 as a var int, then
// delta-of-delta in buckets '0' = 0, '10' + 4 bits, '110' + 8, '1110' + 14, '11110' + 32, '11111' + 64. This is
// exact (m / 10^scale reproduces the stored double bit for bit, checked on append; -0 and NaN never qualify) and
// needs ~1-2 bytes/sample for slowly changing decimal gauges where XOR needs 5-7. The appender starts a chunk at
// the smallest scale that fits, re-encodes the (at most 120) samples at a larger scale or as XOR when a value needs
// it.
//
// 64-bit quantities are handled as (hi, lo) uint32 halves: JS bit operations are 32-bit.

export const MAX_SAMPLES_PER_CHUNK = 120;
export const ENC_XOR = 1;
export const ENC_DECIMAL = 2;
const HEADER_BITS = 24;
const MAX_SCALE = 12;
const MAX_DECIMAL_INT = 2 ** 50;
const POW10 = Array.from({ length: MAX_SCALE + 1 }, (_, i) => 10 ** i);

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Typed arrays use the platform byte order; every platform Node supports for this project is little-endian.
const LO = 0;
const HI = 1;

const TWO32 = 4294967296;

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** The integer m with m / 10^scale === v (bit for bit), or NaN. */
function decimalInt(v: number, scale: number): number {
  const p = POW10[scale]!;
  const m = Math.round(v * p);
  return m / p === v && Math.abs(m) < MAX_DECIMAL_INT && (v !== 0 || 1 / v > 0) ? m : NaN;
}

/** The smallest scale at which v is a decimal, or -1. */
function decimalScale(v: number): number {
  for (let s = 0; s <= MAX_SCALE; s++) if (!Number.isNaN(decimalInt(v, s))) return s;
  return -1;
}

export interface ChunkAppenderOptions {
  /** Use XOR only (tests; and the format's baseline). */
  xorOnly?: boolean;
  initialBytes?: number;
}

/** Shared by the head's appenders (one per series): no options object each. */
const DEFAULT_APPENDER_OPTIONS: ChunkAppenderOptions = {};

/**
 * Appends samples (timestamps strictly increasing) to one growing chunk, held in `buf` from byte `base` on with
 * `capacity` bytes of room. Standalone it owns its buffer; the head's open chunks use one appender for all series,
 * loading a series' state into it for an append (see OpenChunks), so the state is protected, not private.
 */
export class ChunkAppender {
  buf: Uint8Array;
  /** Where the chunk starts in `buf`. */
  base = 0;
  /** Bytes the chunk may use from `base` on before grow() is called. */
  protected capacity: number;
  bitPos = HEADER_BITS;
  count = 0;
  minT = 0;
  maxT = 0;
  encoding = 0;
  protected scale = 0;
  protected tDelta = 0;
  // XOR state: the last value's bits as int32 halves (int32, not uint32, so V8 keeps them unboxed)
  protected vHi = 0;
  protected vLo = 0;
  protected leading = 0xff;
  protected trailing = 0;
  // decimal state
  protected m = 0;
  protected mDelta = 0;

  constructor(private readonly opts: ChunkAppenderOptions = DEFAULT_APPENDER_OPTIONS) {
    this.buf = new Uint8Array(opts.initialBytes ?? 32);
    this.capacity = this.buf.length;
  }

  /** Makes room for at least `bytes` bytes of chunk (the room must be zeroed past the chunk's bytes). */
  protected grow(bytes: number): void {
    const grown = new Uint8Array(Math.max(this.capacity * 2, bytes + 8));
    grown.set(this.buf.subarray(this.base, this.base + this.byteLength));
    this.buf = grown;
    this.base = 0;
    this.capacity = grown.length;
  }

  /** Empties the appender for a new chunk, keeping its buffer. */
  reset(): void {
    this.buf.fill(0, this.base, this.base + this.byteLength);
    this.clear();
  }

  /** Starts an empty chunk in a buffer already zeroed. */
  protected clear(): void {
    this.bitPos = HEADER_BITS;
    this.count = 0;
    this.leading = 0xff;
    this.trailing = 0;
  }

  /** The chunk's bytes as a view of the buffer (changed by later appends). */
  view(): Uint8Array {
    return this.buf.subarray(this.base, this.base + this.byteLength);
  }

  get lastValue(): number {
    if (this.encoding === ENC_DECIMAL) return this.m / POW10[this.scale]!;
    u32[HI] = this.vHi;
    u32[LO] = this.vLo;
    return f64[0]!;
  }

  append(t: number, v: number): void {
    if (this.count === 0) {
      const scale = this.opts.xorOnly ? -1 : decimalScale(v);
      this.encoding = scale < 0 ? ENC_XOR : ENC_DECIMAL;
      this.scale = Math.max(scale, 0);
      this.buf[this.base] = this.encoding;
      this.buf[this.base + 2] = this.scale;
      this.writeVarInt(t);
      this.minT = t;
      this.tDelta = 0;
      if (this.encoding === ENC_XOR) this.writeFirstXor(v);
      else {
        this.m = decimalInt(v, this.scale);
        this.mDelta = 0;
        this.writeVarInt(this.m);
      }
    } else {
      if (this.encoding === ENC_DECIMAL) {
        const m = decimalInt(v, this.scale);
        if (Number.isNaN(m)) {
          this.reencode(t, v);
          return;
        }
        this.writeTimestamp(t);
        const delta = m - this.m;
        this.writeDecimalDod(delta - this.mDelta);
        this.mDelta = delta;
        this.m = m;
      } else {
        this.writeTimestamp(t);
        f64[0] = v;
        const hi = u32[HI]!;
        const lo = u32[LO]!;
        this.writeXor(hi ^ this.vHi, lo ^ this.vLo);
        this.vHi = hi | 0;
        this.vLo = lo | 0;
      }
    }
    this.maxT = t;
    this.count++;
    this.buf[this.base + 1] = this.count;
  }

  /** A value does not fit the decimal scale: re-encode the chunk at a larger scale, or as XOR. */
  private reencode(t: number, v: number): void {
    const n = this.count;
    const ts = new Float64Array(n + 1);
    const vs = new Float64Array(n + 1);
    decodeChunk(this.view(), ts, vs, 0);
    ts[n] = t;
    vs[n] = v;
    // A scale that fits every value (a larger scale can push a big value over the integer limit), else XOR.
    let scale = decimalScale(v);
    if (scale >= 0) {
      scale = Math.max(scale, this.scale);
      for (let i = 0; i <= n; i++) if (Number.isNaN(decimalInt(vs[i]!, scale))) scale = -1;
    }
    this.reset();
    // The first append picks the smallest scale of the first value; force the one that fits all.
    this.encoding = scale < 0 ? ENC_XOR : ENC_DECIMAL;
    this.scale = Math.max(scale, 0);
    this.buf[this.base] = this.encoding;
    this.buf[this.base + 2] = this.scale;
    this.writeVarInt(ts[0]!);
    this.minT = ts[0]!;
    this.tDelta = 0;
    if (this.encoding === ENC_XOR) this.writeFirstXor(vs[0]!);
    else {
      this.m = decimalInt(vs[0]!, this.scale);
      this.mDelta = 0;
      this.writeVarInt(this.m);
    }
    this.maxT = ts[0]!;
    this.count = 1;
    this.buf[this.base + 1] = 1;
    for (let i = 1; i <= n; i++) this.append(ts[i]!, vs[i]!);
  }

  /** The encoded chunk, copied to an exactly sized array. */
  bytes(): Uint8Array {
    return this.buf.slice(this.base, this.base + this.byteLength);
  }

  get byteLength(): number {
    return (this.bitPos + 7) >>> 3;
  }

  private writeFirstXor(v: number): void {
    f64[0] = v;
    this.vHi = u32[HI]! | 0;
    this.vLo = u32[LO]! | 0;
    this.writeBits(this.vHi, 32);
    this.writeBits(this.vLo, 32);
  }

  private writeTimestamp(t: number): void {
    const delta = t - this.maxT;
    const dod = delta - this.tDelta;
    this.tDelta = delta;
    if (dod === 0) this.writeBits(0, 1);
    else if (dod >= -8192 && dod <= 8191) this.writeBits((0b10 << 14) | (dod & 0x3fff), 16);
    else if (dod >= -65536 && dod <= 65535) this.writeBits((0b110 << 17) | (dod & 0x1ffff), 20);
    else if (dod >= -524288 && dod <= 524287) this.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
    else {
      this.writeBits(0b1111, 4);
      this.writeInt64(dod);
    }
  }

  private writeDecimalDod(dod: number): void {
    if (dod === 0) this.writeBits(0, 1);
    else if (dod >= -8 && dod <= 7) this.writeBits((0b10 << 4) | (dod & 0xf), 6);
    else if (dod >= -128 && dod <= 127) this.writeBits((0b110 << 8) | (dod & 0xff), 11);
    else if (dod >= -8192 && dod <= 8191) this.writeBits((0b1110 << 14) | (dod & 0x3fff), 18);
    else if (dod >= -2147483648 && dod <= 2147483647) {
      this.writeBits(0b11110, 5);
      this.writeBits(dod >>> 0, 32);
    } else {
      this.writeBits(0b11111, 5);
      this.writeInt64(dod);
    }
  }

  /** Sign bit, 6-bit length L, L bits of |x| (|x| <= 2^53). */
  private writeVarInt(x: number): void {
    const mag = Math.abs(x);
    const hi = Math.floor(mag / TWO32);
    const lo = mag - hi * TWO32;
    const len = hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(lo);
    this.writeBits(((x < 0 ? 1 : 0) << 6) | len, 7);
    if (len > 32) {
      this.writeBits(hi, len - 32);
      this.writeBits(lo, 32);
    } else if (len > 0) this.writeBits(lo, len);
  }

  private writeInt64(x: number): void {
    const hi = Math.floor(x / TWO32);
    this.writeBits(hi >>> 0, 32);
    this.writeBits((x - hi * TWO32) >>> 0, 32);
  }

  private writeXor(xHi: number, xLo: number): void {
    if (xHi === 0 && xLo === 0) {
      this.writeBits(0, 1);
      return;
    }
    xHi >>>= 0;
    xLo >>>= 0;
    let leading = xHi !== 0 ? Math.clz32(xHi) : 32 + Math.clz32(xLo);
    const trailing = xLo !== 0 ? ctz32(xLo) : 32 + ctz32(xHi);
    if (leading > 31) leading = 31; // 5 bits hold the count; extra leading zeros become meaningful bits
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      this.writeBits(0b10, 2);
      this.writeShifted(xHi, xLo, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    const sig = 64 - leading - trailing;
    this.leading = leading;
    this.trailing = trailing;
    this.writeBits((0b11 << 11) | (leading << 6) | (sig & 63), 13); // 64 is written as 0: sig is never 0 here
    this.writeShifted(xHi, xLo, trailing, sig);
  }

  /** Writes `n` bits of the 64-bit (hi, lo) shifted right by `shift`. */
  private writeShifted(hi: number, lo: number, shift: number, n: number): void {
    let sHi: number;
    let sLo: number;
    if (shift === 0) {
      sHi = hi;
      sLo = lo;
    } else if (shift < 32) {
      sLo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
      sHi = hi >>> shift;
    } else {
      sLo = hi >>> (shift - 32);
      sHi = 0;
    }
    if (n > 32) {
      this.writeBits(sHi, n - 32);
      this.writeBits(sLo, 32);
    } else this.writeBits(sLo, n);
  }

  /** Writes the low `n` (1..32) bits of `value`, most significant first. */
  private writeBits(value: number, n: number): void {
    let pos = this.bitPos;
    const end = pos + n;
    if (end > this.capacity << 3) this.grow((end + 7) >>> 3);
    const buf = this.buf;
    const base = this.base;
    while (n > 0) {
      const free = 8 - (pos & 7);
      const idx = base + (pos >>> 3);
      if (n <= free) {
        buf[idx]! |= (value & ((1 << n) - 1)) << (free - n);
        pos += n;
        break;
      }
      buf[idx]! |= (value >>> (n - free)) & ((1 << free) - 1);
      n -= free;
      pos += free;
    }
    this.bitPos = pos;
  }
}

/** Number of samples in an encoded chunk. */
export function chunkSampleCount(chunk: Uint8Array): number {
  return chunk[1]!;
}

/** The samples in [mint, maxt] of one series' chunks (time order, not overlapping); undefined when none. */
export function decodeChunks(
  chunks: readonly Uint8Array[],
  mint: number,
  maxt: number,
): { timestamps: Float64Array; values: Float64Array } | undefined {
  let n = 0;
  for (const c of chunks) n += chunkSampleCount(c);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  let end = 0;
  for (const c of chunks) end = decodeChunk(c, ts, vs, end, mint, maxt);
  if (end === 0) return undefined;
  return { timestamps: ts.subarray(0, end), values: vs.subarray(0, end) };
}

export class CorruptChunkError extends Error {
  override name = 'CorruptChunkError';
}

/**
 * Decodes the samples of `chunk` with mint <= t <= maxt into ts/vs starting at `at`; returns the new end index.
 * The arrays must have room for chunkSampleCount(chunk) more entries.
 */
export function decodeChunk(
  chunk: Uint8Array,
  ts: Float64Array,
  vs: Float64Array,
  at: number,
  mint = -Infinity,
  maxt = Infinity,
): number {
  const encoding = chunk[0]!;
  const n = chunk[1]!;
  const scale = POW10[chunk[2]!]!;
  if ((encoding !== ENC_XOR && encoding !== ENC_DECIMAL) || scale === undefined) {
    throw new CorruptChunkError(`unknown chunk encoding ${encoding}/${chunk[2]}`);
  }
  let pos = HEADER_BITS;
  const readBits = (k: number): number => {
    let out = 0;
    while (k > 0) {
      const avail = 8 - (pos & 7);
      const byte = chunk[pos >>> 3]!;
      if (k <= avail) {
        out = out * (1 << k) + ((byte >>> (avail - k)) & ((1 << k) - 1));
        pos += k;
        return out;
      }
      out = out * (1 << avail) + (byte & ((1 << avail) - 1));
      k -= avail;
      pos += avail;
    }
    return out;
  };
  const readInt64 = (): number => {
    const hi = readBits(32) | 0; // signed high word
    return hi * TWO32 + readBits(32);
  };
  const readVarInt = (): number => {
    const head = readBits(7);
    const len = head & 63;
    const mag = len > 32 ? readBits(len - 32) * TWO32 + readBits(32) : len > 0 ? readBits(len) : 0;
    return head >> 6 ? -mag : mag;
  };
  let out = at;
  let t = 0;
  let delta = 0;
  let vHi = 0;
  let vLo = 0;
  let leading = 0;
  let trailing = 0;
  let m = 0;
  let mDelta = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0) {
      t = readVarInt();
      if (encoding === ENC_XOR) {
        vHi = readBits(32);
        vLo = readBits(32);
      } else m = readVarInt();
    } else {
      let dod: number;
      // biome-ignore-start lint/suspicious/noDuplicateElseIf: each test reads the next control bit (a unary prefix);
      // a loop counting the ones measured 2-3 % slower in decoding.
      if (readBits(1) === 0) dod = 0;
      else if (readBits(1) === 0) dod = (readBits(14) << 18) >> 18;
      else if (readBits(1) === 0) dod = (readBits(17) << 15) >> 15;
      else if (readBits(1) === 0) dod = (readBits(20) << 12) >> 12;
      else dod = readInt64();
      delta += dod;
      t += delta;
      if (encoding === ENC_DECIMAL) {
        let mdod: number;
        if (readBits(1) === 0) mdod = 0;
        else if (readBits(1) === 0) mdod = (readBits(4) << 28) >> 28;
        else if (readBits(1) === 0) mdod = (readBits(8) << 24) >> 24;
        else if (readBits(1) === 0) mdod = (readBits(14) << 18) >> 18;
        else if (readBits(1) === 0) mdod = readBits(32) | 0;
        else mdod = readInt64();
        // biome-ignore-end lint/suspicious/noDuplicateElseIf: end of the two prefix chains
        mDelta += mdod;
        m += mDelta;
      } else if (readBits(1) === 1) {
        if (readBits(1) === 1) {
          leading = readBits(5);
          const sig = readBits(6) || 64;
          trailing = 64 - leading - sig;
        }
        const sig = 64 - leading - trailing;
        let sHi = 0;
        let sLo: number;
        if (sig > 32) {
          sHi = readBits(sig - 32);
          sLo = readBits(32);
        } else sLo = readBits(sig);
        // Shift (sHi, sLo) left by `trailing` back into place.
        let xHi: number;
        let xLo: number;
        if (trailing === 0) {
          xHi = sHi;
          xLo = sLo;
        } else if (trailing < 32) {
          xHi = (sHi << trailing) | (sLo >>> (32 - trailing));
          xLo = sLo << trailing;
        } else {
          xHi = sLo << (trailing - 32);
          xLo = 0;
        }
        vHi = (vHi ^ xHi) >>> 0;
        vLo = (vLo ^ xLo) >>> 0;
      }
    }
    if (t < mint) continue;
    if (t > maxt) break;
    ts[out] = t;
    if (encoding === ENC_DECIMAL) vs[out] = m / scale;
    else {
      u32[HI] = vHi;
      u32[LO] = vLo;
      vs[out] = f64[0]!;
    }
    out++;
  }
  return out;
}
