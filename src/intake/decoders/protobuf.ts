import { DecodeError } from '../../model/datadog.js';

// A minimal protobuf wire-format reader for the Datadog payloads. Hand-written for speed: one reader walks the
// whole body with absolute offsets (no sub-buffers), every read is bounds-checked against the end of the message
// being read, and every failure is a DecodeError naming the byte offset. Wire format:
// https://protobuf.dev/programming-guides/encoding/

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** Groups nest; a body of nothing but start-group tags must not recurse without bound. */
const MAX_GROUP_DEPTH = 64;

/**
 * A DecodeError whose message begins with a field path (`series[3].points[1]: ...`), so an enclosing message can
 * prepend its own segment with a dot instead of a colon.
 */
class PathedDecodeError extends DecodeError {}

/**
 * Rethrows `err` with `segment` (e.g. `series[3]`) prepended to its path. Decoders call it from the catch block
 * around a nested message so the final message reads `series[3].points[1]: truncated varint at byte 1234`.
 */
export function rethrowInPath(err: unknown, segment: string): never {
  if (err instanceof PathedDecodeError) throw new PathedDecodeError(`${segment}.${err.message}`);
  if (err instanceof DecodeError) throw new PathedDecodeError(`${segment}: ${err.message}`);
  throw err;
}

/** Rethrows `err` with the message type in front: `MetricPayload: series[3]: ...`. */
export function rethrowInMessage(err: unknown, messageName: string): never {
  if (err instanceof DecodeError) throw new DecodeError(`${messageName}: ${err.message}`);
  throw err;
}

// Short strings repeat heavily in agent payloads (host names, tag values, metric names, resource types), and
// creating a JS string from bytes costs ~70 ns through Buffer#toString ('utf8' and 'latin1' measured alike;
// TextDecoder and String.fromCharCode were slower) plus garbage. A two-way set-associative
// cache of the strings already seen turns most of them into a comparison of the bytes, four at a time, with
// a copy kept beside the length in the slot (the first 64-byte CPU cache line of a slot holds strings up to 56
// bytes; container ids and other long tags use the second). It is bounded: STRING_CACHE_SLOTS strings of up to
// MAX_CACHED_STRING bytes, 1 MiB of bytes in all.
const STRING_CACHE_SLOTS = 8192;
/** A hash's top bits pick the slot: 32 - log2(STRING_CACHE_SLOTS). */
const SLOT_SHIFT = 32 - Math.log2(STRING_CACHE_SLOTS);
const SLOT_INTS = 32;
/** Slot layout in ints: [0] length, [1] last four bytes (covers a partial tail word), [2..] whole words. */
const MAX_CACHED_STRING = (SLOT_INTS - 2) * 4;
const cachedStrings: string[] = new Array<string>(STRING_CACHE_SLOTS).fill('');
const cachedBytes = new Int32Array(STRING_CACHE_SLOTS * SLOT_INTS);

export class ProtoReader {
  /** Absolute offset of the next byte to read. */
  pos = 0;
  /** Where the last tag started, for error messages. */
  private tagAt = 0;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(readonly buf: Buffer) {
    this.bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  fail(what: string, at: number): never {
    throw new DecodeError(`${what} at byte ${at}`);
  }

  /**
   * A field tag: field number << 3 | wire type. Only validated when skipped: the tags a decoder matches are
   * valid by construction, and every other tag goes through skip().
   */
  tag(end: number): number {
    this.tagAt = this.pos;
    return this.uint32(end);
  }

  /** A varint as uint32 (higher bits dropped, as protobuf does for uint32 and enum fields). */
  uint32(end: number): number {
    const pos = this.pos;
    const bytes = this.bytes;
    if (pos < end) {
      const b = bytes[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
      // Two bytes: lengths of 128 bytes to 16 KiB (a series message, a long tag).
      if (pos + 1 < end) {
        const b2 = bytes[pos + 1]!;
        if (b2 < 0x80) {
          this.pos = pos + 2;
          return (b & 0x7f) | (b2 << 7);
        }
      }
    }
    return this.uint32Slow(end);
  }

  private uint32Slow(end: number): number {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    let v = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) this.fail('truncated varint', start);
      const b = bytes[pos++]!;
      if (shift < 32) v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return v >>> 0;
      }
    }
    return this.fail('varint longer than 10 bytes', start);
  }

  /** A varint as int64 in a JS number (two's complement; exact up to 2^53). */
  int64(end: number): number {
    const bytes = this.bytes;
    let pos = this.pos;
    // Fast path for values below 2^49 (timestamps, intervals, counts): integer ops for the first 28 bits, then
    // multiplication. Anything longer, negative or cut short goes the slow way.
    let v = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) return this.int64Slow(end);
      const b = bytes[pos++]!;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return this.done(pos, v);
    }
    let scale = 0x10000000;
    for (let i = 0; i < 3; i++) {
      if (pos >= end) return this.int64Slow(end);
      const b = bytes[pos++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return this.done(pos, v);
      scale *= 128;
    }
    return this.int64Slow(end);
  }

  private done(pos: number, v: number): number {
    this.pos = pos;
    return v;
  }

  private int64Slow(end: number): number {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) this.fail('truncated varint', start);
      const b = bytes[pos++]!;
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) {
        this.pos = pos;
        return (hi | 0) * 4294967296 + (lo >>> 0);
      }
    }
    return this.fail('varint longer than 10 bytes', start);
  }

  /** A zigzag-encoded sint32. */
  sint32(end: number): number {
    const u = this.uint32(end);
    return (u >>> 1) ^ -(u & 1);
  }

  /** A little-endian IEEE 754 double (wire type 1). */
  double(end: number): number {
    const pos = this.pos;
    if (end - pos < 8) this.fail('truncated fixed64', pos);
    this.pos = pos + 8;
    return this.view.getFloat64(pos, true);
  }

  /** The length prefix of a length-delimited field; returns the absolute end of its content. */
  lengthEnd(end: number): number {
    const at = this.pos;
    const len = this.uint32(end);
    const contentEnd = this.pos + len;
    if (contentEnd > end) this.fail(`length ${len} runs past the end of its message (byte ${end})`, at);
    return contentEnd;
  }

  /** A length-delimited UTF-8 string. */
  string(end: number): string {
    const stop = this.lengthEnd(end);
    const start = this.pos;
    this.pos = stop;
    return this.decodeString(start, stop);
  }

  /** A string field that is usually `constant` (whose UTF-8 is `constantBytes`): compared without a lookup. */
  stringOrConstant(end: number, constantBytes: Uint8Array, constant: string): string {
    const stop = this.lengthEnd(end);
    const start = this.pos;
    this.pos = stop;
    const len = constantBytes.length;
    if (stop - start === len) {
      const bytes = this.bytes;
      let i = 0;
      while (i < len && bytes[start + i] === constantBytes[i]) i++;
      if (i === len) return constant;
    }
    return this.decodeString(start, stop);
  }

  /** Bytes [start, stop) as a string, through the cache of recently seen strings. */
  decodeString(start: number, stop: number): string {
    const len = stop - start;
    if (len < 4) return this.shortString(start, len);
    if (len > MAX_CACHED_STRING) return this.buf.toString('utf8', start, stop);
    const view = this.view;
    // The slot comes from every four-byte word and the last four bytes (sampling a few words let strings that
    // differ only elsewhere, like ids inside long tags, pile into one set); rotate-multiply mixing, top bits.
    const last = view.getInt32(stop - 4, true);
    let h = Math.imul(last ^ len, 0x9e3779b1);
    for (let p = start; p + 4 <= stop; p += 4)
      h = Math.imul(((h << 13) | (h >>> 19)) ^ view.getInt32(p, true), 0x85ebca6b);
    const slot = (h >>> SLOT_SHIFT) & ~1;
    if (this.cachedAt(slot, start, len, last)) return cachedStrings[slot]!;
    if (this.cachedAt(slot + 1, start, len, last)) return cachedStrings[slot + 1]!;
    const s = this.buf.toString('utf8', start, stop);
    // The newest string takes the first way; the one there moves to the second, evicting its occupant.
    demoteSlot(slot);
    cachedStrings[slot] = s;
    const base = slot * SLOT_INTS;
    cachedBytes[base] = len;
    cachedBytes[base + 1] = last;
    const words = len >>> 2;
    for (let w = 0; w < words; w++) cachedBytes[base + 2 + w] = view.getInt32(start + w * 4, true);
    return s;
  }

  /** Whether cache slot `slot` holds bytes [start, start+len); `last` is their final four bytes. */
  private cachedAt(slot: number, start: number, len: number, last: number): boolean {
    const base = slot * SLOT_INTS;
    if (cachedBytes[base] !== len || cachedBytes[base + 1] !== last) return false;
    const view = this.view;
    const words = len >>> 2;
    for (let w = 0; w < words; w++) if (cachedBytes[base + 2 + w] !== view.getInt32(start + w * 4, true)) return false;
    return true;
  }

  /** Strings of 1-3 bytes: ASCII ones without a trip through Buffer#toString. */
  private shortString(start: number, len: number): string {
    if (len === 0) return '';
    const bytes = this.bytes;
    const a = bytes[start]!;
    const b = len > 1 ? bytes[start + 1]! : 0;
    const c = len > 2 ? bytes[start + 2]! : 0;
    if ((a | b | c) >= 0x80) return this.buf.toString('utf8', start, start + len);
    return len === 1 ? String.fromCharCode(a) : len === 2 ? String.fromCharCode(a, b) : String.fromCharCode(a, b, c);
  }

  /** Skips one field's value given its tag (every wire type, groups included). */
  skip(tag: number, end: number): void {
    if (tag >>> 3 === 0) this.fail('invalid field number 0', this.tagAt);
    switch (tag & 7) {
      case WIRE_VARINT:
        this.skipVarint(end);
        return;
      case WIRE_FIXED64:
        if (end - this.pos < 8) this.fail('truncated fixed64', this.pos);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.lengthEnd(end);
        return;
      case WIRE_FIXED32:
        if (end - this.pos < 4) this.fail('truncated fixed32', this.pos);
        this.pos += 4;
        return;
      case WIRE_START_GROUP:
        this.skipGroup(tag >>> 3, end);
        return;
      case WIRE_END_GROUP:
        return this.fail(`unexpected end-group tag for field ${tag >>> 3}`, this.tagAt);
      default:
        this.fail(`invalid wire type ${tag & 7}`, this.tagAt);
    }
  }

  private skipVarint(end: number): void {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) this.fail('truncated varint', start);
      if (bytes[pos++]! < 0x80) {
        this.pos = pos;
        return;
      }
    }
    this.fail('varint longer than 10 bytes', start);
  }

  /** Skips to the end-group tag matching `field`, iteratively so deep nesting cannot overflow the stack. */
  private skipGroup(field: number, end: number): void {
    const open: number[] = [field];
    const groupStart = this.tagAt;
    while (open.length > 0) {
      if (this.pos >= end) this.fail(`unterminated group (field ${open[open.length - 1]})`, groupStart);
      const t = this.tag(end);
      if (t >>> 3 === 0) this.fail('invalid field number 0', this.tagAt);
      const wire = t & 7;
      if (wire === WIRE_START_GROUP) {
        if (open.length >= MAX_GROUP_DEPTH) this.fail(`groups nested deeper than ${MAX_GROUP_DEPTH}`, this.tagAt);
        open.push(t >>> 3);
      } else if (wire === WIRE_END_GROUP) {
        const expected = open.pop()!;
        if (t >>> 3 !== expected) this.fail(`end-group tag for field ${t >>> 3} closes group ${expected}`, this.tagAt);
      } else this.skip(t, end);
    }
  }
}

function demoteSlot(slot: number): void {
  cachedStrings[slot + 1] = cachedStrings[slot]!;
  const from = slot * SLOT_INTS;
  const n = 2 + (cachedBytes[from]! >>> 2);
  cachedBytes.copyWithin(from + SLOT_INTS, from, from + n);
}
