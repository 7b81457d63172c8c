import type { ProtoReader } from './protobuf.js';
import { decimalMagnitude } from './decimal.js';

// A byte-level JSON scanner for the decoders' fast paths. JSON.parse builds an object tree that a decoder then walks
// and the GC collects; the scanner walks the bytes once instead, checking them as strictly as JSON.parse would
// (RFC 8259), and creates strings only when asked. It takes the shapes clients send and throws NOT_SCANNED at
// anything else (invalid JSON, nesting deeper than MAX_DEPTH, or whatever its caller refuses), which sends the body
// to its decoder's JSON.parse path.

/** Thrown for a body the scanner does not take (a preallocated non-Error: no stack trace to capture). */
export const NOT_SCANNED = Object.freeze({ notScanned: true });
/** Unknown members nested deeper than this are left to JSON.parse (the scanner recurses). */
const MAX_DEPTH = 64;

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
const COLON = 0x3a;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** The first byte of `null`. */
export const LOWER_N = 0x6e;
const NULL_BYTES = Buffer.from('null');
const TRUE_BYTES = Buffer.from('true');
const FALSE_BYTES = Buffer.from('false');

/**
 * A member name to compare keys with, as little-endian words of its bytes at 0, 4, 8 ... and (overlapping) at its
 * length - 4: every name must be at least four bytes long.
 */
export interface KeyName {
  length: number;
  offsets: Int32Array;
  words: Int32Array;
}

export function keyName(name: string): KeyName {
  const bytes = Buffer.from(name, 'latin1');
  const offsets: number[] = [];
  for (let k = 0; k + 4 < bytes.length; k += 4) offsets.push(k);
  offsets.push(bytes.length - 4);
  return {
    length: bytes.length,
    offsets: Int32Array.from(offsets),
    words: Int32Array.from(offsets, (k) => bytes.readInt32LE(k)),
  };
}

/** Tag lists are collected here and copied out; beyond SCRATCH_KEEP tags it is released after use. */
const scratchStrings: string[] = [];
const SCRATCH_KEEP = 4096;

/** A cursor over JSON bytes that checks what it passes as strictly as JSON.parse (RFC 8259). */
export class JsonScanner {
  pos: number;
  /** Set by string(): whether the string just passed holds escapes. */
  escaped = false;
  /** Set by key(): where the last key's bytes start and end (without its quotes). */
  keyStart = 0;
  keyEnd = 0;
  readonly end: number;
  /** The body as a plain Uint8Array (one map for every element load, whatever Buffer it came from). */
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(
    private readonly body: Buffer,
    start: number,
  ) {
    this.pos = start;
    this.end = body.length;
    this.bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }

  /** Skips whitespace; the byte there, or -1 at the end. */
  next(): number {
    const bytes = this.bytes;
    const end = this.end;
    let p = this.pos;
    while (p < end) {
      const c = bytes[p]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        this.pos = p;
        return c;
      }
      p++;
    }
    this.pos = p;
    return -1;
  }

  /** Skips whitespace and then `c`, which must be there. */
  expect(c: number): void {
    if (this.next() !== c) throw NOT_SCANNED;
    this.pos++;
  }

  /** After a member or element: true at `,` (skipped), false at `close` (skipped). */
  more(close: number): boolean {
    const c = this.next();
    this.pos++;
    if (c === COMMA) return true;
    if (c === close) return false;
    throw NOT_SCANNED;
  }

  /** Passes the string whose opening quote is at pos; `escaped` tells whether it holds escapes. */
  string(): void {
    const bytes = this.bytes;
    const view = this.view;
    const end = this.end;
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      // Four bytes at a time to the first quote, backslash or control character: SWAR "has a byte equal to / less
      // than" tests, whose lowest flagged byte is always a true one (borrows only run upwards, little-endian).
      while (p + 4 <= end) {
        const v = view.getInt32(p, true);
        const q = v ^ 0x22222222;
        const b = v ^ 0x5c5c5c5c;
        const hits = (((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b) | ((v - 0x20202020) & ~v)) & 0x80808080;
        if (hits !== 0) {
          p += (31 - Math.clz32(hits & -hits)) >>> 3;
          break;
        }
        p += 4;
      }
      if (p >= end) throw NOT_SCANNED;
      const c = bytes[p]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        p = this.escape(p + 1);
        escaped = true;
      } else if (c < 0x20) throw NOT_SCANNED;
      else p++; // the last bytes of the body, fewer than four
    }
    this.pos = p + 1;
    this.escaped = escaped;
  }

  /** The escape whose first byte after the backslash is at p; where it ends. */
  private escape(p: number): number {
    const bytes = this.bytes;
    if (p >= this.end) throw NOT_SCANNED;
    switch (bytes[p]) {
      case QUOTE:
      case BACKSLASH:
      case 0x2f: // '/'
      case 0x62: // 'b'
      case 0x66: // 'f'
      case 0x6e: // 'n'
      case 0x72: // 'r'
      case 0x74: // 't'
        return p + 1;
      case 0x75: // 'u' and four hex digits; unpaired surrogates are valid JSON
        if (p + 4 >= this.end) throw NOT_SCANNED;
        for (let k = 1; k <= 4; k++) {
          const h = bytes[p + k]!;
          // Letters in lower case to compare; digits as they are (0x10-0x19 would lower to digits too).
          const lower = h | 0x20;
          if (!((h >= ZERO && h <= NINE) || (lower >= 0x61 && lower <= 0x66))) throw NOT_SCANNED;
        }
        return p + 5;
      default:
        throw NOT_SCANNED;
    }
  }

  /** The string at pos as a JS string: unescaped by JSON.parse when it has escapes, else through `strings`. */
  stringValue(strings: ProtoReader): string {
    const open = this.pos;
    this.string();
    if (this.escaped) return JSON.parse(this.body.toString('utf8', open, this.pos)) as string;
    return strings.decodeString(open + 1, this.pos - 1);
  }

  /**
   * The number at pos, bit for bit what JSON.parse makes of it (V8 rounds correctly): its grammar checked here, its
   * digits converted by decimalMagnitude, or, for the forms that does not take, by Number(), which reads every JSON
   * number as JSON.parse does.
   */
  number(): number {
    const bytes = this.bytes;
    const end = this.end;
    const start = this.pos;
    let p = start;
    let c = p < end ? bytes[p]! : -1;
    const negative = c === MINUS;
    if (negative) c = ++p < end ? bytes[p]! : -1;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    if (c === ZERO) c = ++p < end ? bytes[p]! : -1;
    else if (c > ZERO && c <= NINE) {
      do {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        c = ++p < end ? bytes[p]! : -1;
      } while (c >= ZERO && c <= NINE);
    } else throw NOT_SCANNED;
    if (c === DOT) {
      c = ++p < end ? bytes[p]! : -1;
      if (!(c >= ZERO && c <= NINE)) throw NOT_SCANNED;
      do {
        mantissa = mantissa * 10 + (c - ZERO);
        if (mantissa !== 0) digits++; // leading zeros of 0.00x are not significant
        scale--;
        c = ++p < end ? bytes[p]! : -1;
      } while (c >= ZERO && c <= NINE);
    }
    if (c === 0x65 || c === 0x45) {
      c = ++p < end ? bytes[p]! : -1;
      const negativeExponent = c === MINUS;
      if (negativeExponent || c === PLUS) c = ++p < end ? bytes[p]! : -1;
      if (!(c >= ZERO && c <= NINE)) throw NOT_SCANNED;
      let exponent = 0;
      do {
        if (exponent < 100_000) exponent = exponent * 10 + (c - ZERO);
        c = ++p < end ? bytes[p]! : -1;
      } while (c >= ZERO && c <= NINE);
      scale += negativeExponent ? -exponent : exponent;
    }
    this.pos = p;
    const magnitude = decimalMagnitude(mantissa, digits, scale, bytes, negative ? start + 1 : start, p);
    if (!Number.isNaN(magnitude)) return negative ? -magnitude : magnitude;
    return Number(this.body.toString('latin1', start, p));
  }

  /** The literal `null` at pos. */
  null(): void {
    this.literal(NULL_BYTES);
  }

  private literal(word: Uint8Array): void {
    const bytes = this.bytes;
    const p = this.pos;
    if (p + word.length > this.end) throw NOT_SCANNED;
    for (let k = 0; k < word.length; k++) if (bytes[p + k] !== word[k]) throw NOT_SCANNED;
    this.pos = p + word.length;
  }

  /** An array of strings at pos (its `[`); returns how many it holds. */
  stringArray(): number {
    this.pos++;
    if (this.next() === CLOSE_BRACKET) {
      this.pos++;
      return 0;
    }
    let n = 0;
    do {
      if (this.next() !== QUOTE) throw NOT_SCANNED;
      this.string();
      n++;
    } while (this.more(CLOSE_BRACKET));
    return n;
  }

  /** A string or null (→ '') after whitespace, as a JS string. */
  optionalString(strings: ProtoReader): string {
    if (this.next() === QUOTE) return this.stringValue(strings);
    this.null();
    return '';
  }

  /** A number or null (→ 0) after whitespace. */
  optionalNumber(): number {
    if (this.next() === LOWER_N) {
      this.null();
      return 0;
    }
    return this.number();
  }

  /** An array of strings or null (→ []) after whitespace, as JS strings. */
  optionalStringList(strings: ProtoReader): string[] {
    if (this.next() !== OPEN_BRACKET) {
      this.null();
      return [];
    }
    this.pos++;
    if (this.next() === CLOSE_BRACKET) {
      this.pos++;
      return [];
    }
    let n = 0;
    do {
      this.next();
      scratchStrings[n++] = this.stringValue(strings);
    } while (this.more(CLOSE_BRACKET));
    // Copied out at their exact size (a list grown by push keeps spare room for the life of the series).
    const list = scratchStrings.slice(0, n);
    if (n > SCRATCH_KEEP) scratchStrings.length = 0;
    return list;
  }

  /** How many strings an array of strings or null (→ 0) after whitespace holds, passed without decoding them. */
  optionalStringCount(): number {
    if (this.next() === OPEN_BRACKET) return this.stringArray();
    this.null();
    return 0;
  }

  /** Any JSON value at pos (after whitespace), checked and skipped. */
  value(depth: number): void {
    const c = this.next();
    switch (c) {
      case QUOTE:
        this.string();
        return;
      case OPEN_BRACE:
        if (depth >= MAX_DEPTH) throw NOT_SCANNED;
        this.pos++;
        if (this.next() === CLOSE_BRACE) {
          this.pos++;
          return;
        }
        do {
          if (this.next() !== QUOTE) throw NOT_SCANNED;
          this.string();
          this.expect(COLON);
          this.value(depth + 1);
        } while (this.more(CLOSE_BRACE));
        return;
      case OPEN_BRACKET:
        if (depth >= MAX_DEPTH) throw NOT_SCANNED;
        this.pos++;
        if (this.next() === CLOSE_BRACKET) {
          this.pos++;
          return;
        }
        do this.value(depth + 1);
        while (this.more(CLOSE_BRACKET));
        return;
      case LOWER_N:
        this.literal(NULL_BYTES);
        return;
      case 0x74: // t
        this.literal(TRUE_BYTES);
        return;
      case 0x66: // f
        this.literal(FALSE_BYTES);
        return;
      default:
        this.number();
    }
  }

  /**
   * A member's key at pos (after whitespace) and the colon after it. A key with escapes is not taken (JSON.parse
   * would read "\u006detric" as metric).
   */
  key(): void {
    if (this.next() !== QUOTE) throw NOT_SCANNED;
    this.keyStart = this.pos + 1;
    this.string();
    if (this.escaped) throw NOT_SCANNED;
    this.keyEnd = this.pos - 1;
    this.expect(COLON);
  }

  /** Whether the last key is `name`. */
  keyIs(name: KeyName): boolean {
    const start = this.keyStart;
    if (this.keyEnd - start !== name.length) return false;
    const view = this.view;
    const offsets = name.offsets;
    const words = name.words;
    for (let k = 0; k < offsets.length; k++) if (view.getInt32(start + offsets[k]!, true) !== words[k]) return false;
    return true;
  }
}
