// Test support, not used by promdog itself: an independent, minimal protobuf reader for remote-write requests, so
// tests check the encoder (and what reaches a target) against the wire format rather than against the encoder.
import assert from 'node:assert/strict';
import { uncompressSync } from 'snappy';
import type { BucketSpan, FloatHistogram } from '../../src/model/histogram.js';
import type { PromSeries } from '../../src/model/prometheus.js';

/** Each message as { fieldNumber: values[] }: varints as bigint, fixed64 and length-delimited as bytes. */
type Fields = Map<number, Array<bigint | Buffer>>;

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    assert.ok(b !== undefined, 'varint runs past the end');
    v |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [v, pos];
    shift += 7n;
    assert.ok(shift < 70n, 'varint longer than 10 bytes');
  }
}

function readMessage(buf: Buffer): Fields {
  const fields: Fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value: bigint | Buffer;
    if (wire === 0) [value, pos] = readVarint(buf, p1);
    else if (wire === 1) {
      value = buf.subarray(p1, p1 + 8);
      pos = p1 + 8;
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, p1);
      value = buf.subarray(p2, p2 + Number(len));
      pos = p2 + Number(len);
    } else assert.fail(`unexpected wire type ${wire}`);
    assert.ok(pos <= buf.length, 'field runs past the end of its message');
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

const bytesOf = (f: Fields, n: number) => (f.get(n) ?? []) as Buffer[];
const str = (f: Fields, n: number) => {
  const v = bytesOf(f, n);
  assert.ok(v.length <= 1);
  return v[0]?.toString('utf8') ?? '';
};

export interface DecodedWriteRequest {
  series: PromSeries[];
  metadata: Array<{ type: number; family: string; help: string; unit: string }>;
}

/** Decode an uncompressed WriteRequest; assertion errors on anything malformed. */
export function decodeWriteRequest(buf: Buffer): DecodedWriteRequest {
  const req = readMessage(buf);
  assert.deepEqual(
    [...req.keys()].filter((k) => k !== 1 && k !== 3),
    [],
    'only fields 1 and 3 in WriteRequest',
  );
  const series = bytesOf(req, 1).map((tsBuf) => {
    const ts = readMessage(tsBuf);
    assert.deepEqual(
      [...ts.keys()].filter((k) => k !== 1 && k !== 2 && k !== 4),
      [],
      'only fields 1, 2 and 4 in TimeSeries',
    );
    const labels = bytesOf(ts, 1).map((l) => {
      const lf = readMessage(l);
      return { name: str(lf, 1), value: str(lf, 2) };
    });
    const timestamps: number[] = [];
    const values: number[] = [];
    for (const sBuf of bytesOf(ts, 2)) {
      const sf = readMessage(sBuf);
      values.push((sf.get(1)![0] as Buffer).readDoubleLE(0));
      timestamps.push(Number(BigInt.asIntN(64, sf.get(2)![0] as bigint)));
    }
    const histogramMessages = bytesOf(ts, 4);
    if (histogramMessages.length === 0) return { labels, timestamps, values };
    const histograms = { timestamps: [] as number[], histograms: [] as FloatHistogram[] };
    for (const hBuf of histogramMessages) {
      const { t, h, integer } = decodeHistogram(hBuf);
      histograms.timestamps.push(t);
      histograms.histograms.push(h);
      kinds.set(h, integer ? 'integer' : 'float');
    }
    return { labels, timestamps, values, histograms };
  });
  const metadata = bytesOf(req, 3).map((mBuf) => {
    const mf = readMessage(mBuf);
    return {
      type: Number((mf.get(1)?.[0] as bigint | undefined) ?? 0n),
      family: str(mf, 2),
      help: str(mf, 4),
      unit: str(mf, 5),
    };
  });
  return { series, metadata };
}

const kinds = new WeakMap<FloatHistogram, 'integer' | 'float'>();

/** How a decoded histogram was sent: an integer histogram (bucket deltas) or a float one (absolute counts). */
export function histogramKind(h: FloatHistogram): 'integer' | 'float' {
  return kinds.get(h)!;
}

const unzigzag = (v: bigint): number => Number(v & 1n ? -((v + 1n) >> 1n) : v >> 1n);
const one = (f: Fields, n: number): bigint | Buffer | undefined => {
  const v = f.get(n);
  assert.ok(v === undefined || v.length === 1, `field ${n} repeated`);
  return v?.[0];
};
const double = (f: Fields, n: number): number | undefined => (one(f, n) as Buffer | undefined)?.readDoubleLE(0);

function packedVarints(bufs: Buffer[]): bigint[] {
  const out: bigint[] = [];
  for (const b of bufs) {
    let pos = 0;
    while (pos < b.length) {
      const [v, next] = readVarint(b, pos);
      out.push(v);
      pos = next;
    }
  }
  return out;
}

function packedDoubles(bufs: Buffer[]): number[] {
  const out: number[] = [];
  for (const b of bufs) for (let pos = 0; pos < b.length; pos += 8) out.push(b.readDoubleLE(pos));
  return out;
}

function spans(bufs: Buffer[]): BucketSpan[] {
  return bufs.map((b) => {
    const f = readMessage(b);
    return { offset: unzigzag((one(f, 1) as bigint | undefined) ?? 0n), length: Number(one(f, 2) ?? 0n) };
  });
}

/** Bucket counts from an integer histogram's deltas (each from the bucket before, the first from 0). */
function undelta(bufs: Buffer[]): number[] {
  let count = 0;
  return packedVarints(bufs).map((d) => (count += unzigzag(d)));
}

/** A Histogram message; exactly one member of each oneof (count, zero count) set, and of the same kind. */
function decodeHistogram(buf: Buffer): { t: number; h: FloatHistogram; integer: boolean } {
  const f = readMessage(buf);
  const integer = f.has(1);
  assert.notEqual(f.has(1), f.has(2), 'count: exactly one of count_int and count_float');
  assert.notEqual(f.has(6), f.has(7), 'zero count: exactly one of zero_count_int and zero_count_float');
  assert.equal(f.has(6), integer, 'count and zero count of the same kind');
  if (integer) assert.ok(!f.has(10) && !f.has(13), 'an integer histogram has no float counts');
  else assert.ok(!f.has(9) && !f.has(12), 'a float histogram has no deltas');
  const h: FloatHistogram = {
    counterResetHint: Number(one(f, 14) ?? 0n),
    schema: unzigzag((one(f, 4) as bigint | undefined) ?? 0n),
    zeroThreshold: double(f, 5) ?? 0,
    zeroCount: integer ? Number(one(f, 6)) : double(f, 7)!,
    count: integer ? Number(one(f, 1)) : double(f, 2)!,
    sum: double(f, 3) ?? 0,
    positiveSpans: spans(bytesOf(f, 11)),
    positiveBuckets: integer ? undelta(bytesOf(f, 12)) : packedDoubles(bytesOf(f, 13)),
    negativeSpans: spans(bytesOf(f, 8)),
    negativeBuckets: integer ? undelta(bytesOf(f, 9)) : packedDoubles(bytesOf(f, 10)),
    customValues: packedDoubles(bytesOf(f, 16)),
  };
  return { t: Number(BigInt.asIntN(64, (one(f, 15) as bigint | undefined) ?? 0n)), h, integer };
}

/** Decode a remote-write HTTP body (snappy block format around a WriteRequest). */
export function decodeRemoteWriteBody(body: Buffer): DecodedWriteRequest {
  return decodeWriteRequest(uncompressSync(body) as Buffer);
}
