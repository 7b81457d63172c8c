import { DecodeError } from '../../model/datadog.js';
import { doubled } from './identity-runs.js';

// The columns of an intake_v3 `MetricData` message (agent-payload proto/metrics/intake_v3.proto; docs/datadog-
// protocol.md): each column is one length-delimited field holding packed values, read here through a cursor that
// names the column and the entry in every error. Column bytes are never copied: cursors walk the request body.

/** The columns' field numbers, by their names in the .proto (error messages use these names). */
export const V3_COLUMNS = {
  dictNameStr: 1,
  dictTagStr: 2,
  dictTagsets: 3,
  dictResourceStr: 4,
  dictResourceLen: 5,
  dictResourceType: 6,
  dictResourceName: 7,
  dictSourceTypeName: 8,
  dictOriginInfo: 9,
  types: 10,
  nameRefs: 11,
  tagsetRefs: 12,
  resourcesRefs: 13,
  intervals: 14,
  numPoints: 15,
  timestamps: 16,
  valsSint64: 17,
  valsFloat32: 18,
  valsFloat64: 19,
  sketchNumBins: 20,
  sketchBinKeys: 21,
  sketchBinCnts: 22,
  sourceTypeNameRefs: 23,
  originInfoRefs: 24,
  dictUnitStr: 25,
  unitRefs: 26,
} as const;

/** Field number → column name. */
export const COLUMN_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(V3_COLUMNS).map(([name, field]) => [field, name]),
);

/** Largest column field number (the .proto's numbering has no gaps up to it). */
export const LAST_COLUMN = 26;

const TWO_POW_32 = 4294967296;

/**
 * A cursor over one column's bytes [start, end) of the body; an absent column is an empty one. Reads only move `pos`:
 * an error works out which entry it is about from the bytes (`metricData.nameRefs[12]: truncated varint at byte
 * 345`), so the hot path keeps no count.
 */
export class V3Column {
  pos: number;
  /** Bytes per entry of a fixed-width column (set by countFixed); 0 for varints. */
  private width = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    readonly name: string,
    readonly start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The number of the entry that starts at `at`. */
  private entryAt(at: number): number {
    if (this.width > 0) return (at - this.start) / this.width;
    let n = 0;
    for (let p = this.start; p < at; p++) if (this.bytes[p]! < 0x80) n++;
    return n;
  }

  /** Where the entry that ends at `pos` starts. */
  private lastStart(): number {
    if (this.width > 0) return this.pos - this.width;
    let p = this.pos - 1;
    while (p > this.start && this.bytes[p - 1]! >= 0x80) p--;
    return p;
  }

  /** Fails reading the entry that starts at `at` (the next one, by default). */
  fail(what: string, at = this.pos): never {
    throw new DecodeError(`metricData.${this.name}[${this.entryAt(at)}]: ${what} at byte ${at}`);
  }

  /** The entry read last, as errors name it: `metricData.nameRefs[3] (byte 345)`. */
  lastPlace(): string {
    const at = this.lastStart();
    return `metricData.${this.name}[${this.entryAt(at)}] (byte ${at})`;
  }

  /** Fails over the value of the entry read last. */
  failLast(what: string): never {
    const at = this.lastStart();
    throw new DecodeError(`metricData.${this.name}[${this.entryAt(at)}]: ${what} at byte ${at}`);
  }

  /**
   * Varints in [from, end): bytes without the continuation bit. Checks that the last one is complete; a varint too
   * long is caught when read.
   */
  countVarints(from = this.start): number {
    const bytes = this.bytes;
    let n = 0;
    for (let p = from; p < this.end; p++) if (bytes[p]! < 0x80) n++;
    if (this.end > from && bytes[this.end - 1]! >= 0x80) this.fail('truncated varint', this.lastVarintStart());
    return n;
  }

  private lastVarintStart(): number {
    let p = this.end - 1;
    while (p > this.start && this.bytes[p - 1]! >= 0x80) p--;
    return p;
  }

  /** Fixed-width values in the column; its length must be a whole number of them. */
  countFixed(width: 4 | 8): number {
    const len = this.end - this.start;
    if (len % width !== 0)
      throw new DecodeError(
        `metricData.${this.name}: ${len} bytes is not a whole number of ${width}-byte values (column at byte ${this.start})`,
      );
    this.width = width;
    return len / width;
  }

  /** An unsigned varint (uint64, int64 and uint32 columns) as a number: exact below 2^53. */
  uvarint(): number {
    const p = this.pos;
    if (p < this.end) {
      const b = this.bytes[p]!;
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
    }
    return this.uvarintSlow();
  }

  private uvarintSlow(): number {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let v = 0;
    for (let i = 0; ; i++) {
      if (pos >= this.end) this.fail('truncated varint', start);
      const b = bytes[pos++]!;
      // The tenth byte holds bit 63 only, and ends the varint.
      if (i === 9 && b > 1) this.fail(b >= 0x80 ? 'varint longer than 10 bytes' : 'varint overflows 64 bits', start);
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else v += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) {
        this.pos = pos;
        return v + (lo >>> 0);
      }
    }
  }

  /** A zigzag-encoded varint (sint64, sint32). Values beyond 2^53 are approximate, their sign exact. */
  sint64(): number {
    const p = this.pos;
    if (p < this.end) {
      const b = this.bytes[p]!;
      if (b < 0x80) {
        this.pos = p + 1;
        return (b >>> 1) ^ -(b & 1);
      }
    }
    return this.sint64Slow();
  }

  private sint64Slow(): number {
    // Bit 0 of the first byte is the sign: exact even where the magnitude is not.
    const negative = this.pos < this.end && (this.bytes[this.pos]! & 1) === 1;
    const u = this.uvarintSlow();
    const half = u < TWO_POW_32 ? u >>> 1 : Math.floor(u / 2);
    return negative ? -half - 1 : half;
  }

  /** A little-endian IEEE 754 single (float columns). */
  float32(): number {
    const p = this.pos;
    if (this.end - p < 4) this.fail('truncated float', p);
    this.pos = p + 4;
    return this.view.getFloat32(p, true);
  }

  /** A little-endian IEEE 754 double (double columns). */
  float64(): number {
    const p = this.pos;
    if (this.end - p < 8) this.fail('truncated double', p);
    this.pos = p + 8;
    return this.view.getFloat64(p, true);
  }
}

/**
 * A string dictionary column (a run of uvarint length + bytes): [start, end) of each string in the body, entry 0 the
 * implicit empty string, so entry k of the dictionary is at [2k, 2k + 1].
 */
export function readStringDictionary(col: V3Column): Int32Array {
  let out: Int32Array = new Int32Array(2 + Math.min(64, 2 * (col.end - col.start)));
  let n = 2;
  while (!col.done) {
    const at = col.pos;
    const len = col.uvarint();
    const stop = col.pos + len;
    if (stop > col.end)
      throw new DecodeError(
        `metricData.${col.name}[${n >>> 1}]: string of ${len} bytes runs past the end of the column (byte ${col.end}) at byte ${at}`,
      );
    if (n + 2 > out.length) out = doubled(out);
    out[n++] = col.pos;
    out[n++] = stop;
    col.pos = stop;
  }
  return out.subarray(0, n);
}
