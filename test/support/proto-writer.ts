// A tiny protobuf encoder that builds Agent-like payloads (MetricPayload, SketchPayload) for tests, benchmarks and
// load generators. Not used on the intake path. The high-level encoders omit zero-valued fields like the Agent's
// protobuf marshaller does; the low-level writer can produce anything (unknown fields, groups, unpacked repeats).
import { DDSketchBuilder } from '../../src/mapping/ddsketch.js';

export class ProtoWriter {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** A varint of a non-negative integer up to 2^53, or of a negative one as 10-byte two's complement (int64). */
  varint(n: number): this {
    if (!Number.isInteger(n)) throw new RangeError(`varint of a non-integer: ${n}`);
    this.ensure(10);
    if (n < 0) {
      let v = BigInt.asUintN(64, BigInt(n));
      while (v >= 0x80n) {
        this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.buf[this.len++] = Number(v);
      return this;
    }
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  varintField(field: number, n: number): this {
    return this.tag(field, 0).varint(n);
  }

  sint32Field(field: number, n: number): this {
    return this.varintField(field, zigzag32(n));
  }

  doubleField(field: number, v: number): this {
    this.tag(field, 1);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.len);
    this.len += 8;
    return this;
  }

  fixed32Field(field: number, v: number): this {
    this.tag(field, 5);
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
    return this;
  }

  bytesField(field: number, bytes: Uint8Array): this {
    return this.tag(field, 2).varint(bytes.length).raw(bytes);
  }

  stringField(field: number, s: string): this {
    return this.bytesField(field, Buffer.from(s, 'utf8'));
  }

  /** A length-delimited sub-message written by `body`. */
  message(field: number, body: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    body(inner);
    return this.bytesField(field, inner.finish());
  }

  /** A (deprecated) group: start-group tag, fields, end-group tag. */
  group(field: number, body: (w: ProtoWriter) => void): this {
    this.tag(field, 3);
    body(this);
    return this.tag(field, 4);
  }

  /** Packed repeated varints (already zigzagged where the type needs it). */
  packedVarints(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }
}

export function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

export interface MetricPointInput {
  timestamp: number;
  value: number;
}

export interface MetricSeriesInput {
  metric: string;
  /** MetricType enum: 0 unspecified, 1 count, 2 rate, 3 gauge. */
  type?: number;
  resources?: { type: string; name: string }[];
  tags?: string[];
  points?: MetricPointInput[];
  unit?: string;
  sourceTypeName?: string;
  interval?: number;
  /** Writes `Metadata{ Origin{ origin_product=4 } }` (field 9) like recent agents do. */
  originProduct?: number;
}

/** MetricPayload bytes as the Agent writes them: fields in field-number order, zero values omitted. */
export function encodeMetricPayload(series: readonly MetricSeriesInput[]): Buffer {
  const w = new ProtoWriter();
  for (const s of series) w.message(1, (m) => writeMetricSeries(m, s));
  return w.finish();
}

export function writeMetricSeries(m: ProtoWriter, s: MetricSeriesInput): void {
  for (const r of s.resources ?? []) {
    m.message(1, (rw) => {
      if (r.type) rw.stringField(1, r.type);
      if (r.name) rw.stringField(2, r.name);
    });
  }
  if (s.metric) m.stringField(2, s.metric);
  for (const t of s.tags ?? []) m.stringField(3, t);
  for (const p of s.points ?? []) {
    m.message(4, (pw) => {
      if (p.value !== 0 || Object.is(p.value, -0)) pw.doubleField(1, p.value);
      if (p.timestamp) pw.varintField(2, p.timestamp);
    });
  }
  if (s.type) m.varintField(5, s.type);
  if (s.unit) m.stringField(6, s.unit);
  if (s.sourceTypeName) m.stringField(7, s.sourceTypeName);
  if (s.interval) m.varintField(8, s.interval);
  if (s.originProduct) m.message(9, (md) => md.message(1, (o) => o.varintField(4, s.originProduct!)));
}

export interface DogsketchInput {
  ts: number;
  cnt: number;
  min: number;
  max: number;
  avg: number;
  sum: number;
  k: number[];
  n: number[];
}

/** The dogsketch of `values` at `ts` (seconds), binned as the Agent's DDSketch bins them. */
export function dogsketchOf(values: Iterable<number>, ts: number): DogsketchInput {
  const b = new DDSketchBuilder();
  for (const v of values) b.add(v);
  const p = b.toPoint(ts);
  return { ts, cnt: p.cnt, min: p.min, max: p.max, avg: p.avg, sum: p.sum, k: p.keys, n: p.counts };
}

export interface SketchInput {
  metric: string;
  host?: string;
  tags?: string[];
  dogsketches: DogsketchInput[];
}

/** SketchPayload bytes as the Agent writes them (packed k and n, zero values omitted). */
export function encodeSketchPayload(sketches: readonly SketchInput[]): Buffer {
  const w = new ProtoWriter();
  for (const s of sketches) w.message(1, (m) => writeSketch(m, s));
  return w.finish();
}

export function writeSketch(m: ProtoWriter, s: SketchInput): void {
  if (s.metric) m.stringField(1, s.metric);
  if (s.host) m.stringField(2, s.host);
  for (const t of s.tags ?? []) m.stringField(4, t);
  for (const d of s.dogsketches) m.message(7, (dw) => writeDogsketch(dw, d));
}

export function writeDogsketch(w: ProtoWriter, d: DogsketchInput): void {
  if (d.ts) w.varintField(1, d.ts);
  if (d.cnt) w.varintField(2, d.cnt);
  if (d.min) w.doubleField(3, d.min);
  if (d.max) w.doubleField(4, d.max);
  if (d.avg) w.doubleField(5, d.avg);
  if (d.sum) w.doubleField(6, d.sum);
  if (d.k.length) w.packedVarints(7, d.k.map(zigzag32));
  if (d.n.length) w.packedVarints(8, d.n);
}
