// Test support, not used by promdog itself: an independent, minimal protobuf reader for remote-write requests, so
// tests check the encoder (and what reaches a target) against the wire format rather than against the encoder.
import assert from 'node:assert/strict';
import { uncompressSync } from 'snappy';
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
    return { labels, timestamps, values };
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

/** Decode a remote-write HTTP body (snappy block format around a WriteRequest). */
export function decodeRemoteWriteBody(body: Buffer): DecodedWriteRequest {
  return decodeWriteRequest(uncompressSync(body) as Buffer);
}
