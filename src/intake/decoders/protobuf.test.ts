import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../model/datadog.js';
import { ProtoReader, rethrowInMessage, rethrowInPath } from './protobuf.js';
import { ProtoWriter } from '../../../test/support/proto-writer.js';
import { assertDecodeError } from '../../../test/support/decoder-testing.js';

function reader(bytes: number[] | Buffer): ProtoReader {
  return new ProtoReader(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
}

function varintBytes(n: number): Buffer {
  return new ProtoWriter().varint(n).finish();
}

describe('ProtoReader varints', () => {
  test('uint32 reads one- to five-byte varints and keeps the low 32 bits of longer ones', () => {
    for (const n of [0, 1, 127, 128, 300, 16384, 2 ** 31, 2 ** 32 - 1]) {
      const r = reader(varintBytes(n));
      assert.equal(r.uint32(r.length), n);
      assert.equal(r.pos, r.length);
    }
    const r = reader(varintBytes(2 ** 35 + 5));
    assert.equal(r.uint32(r.length), 5);
    assert.equal(r.pos, r.length, 'the whole varint is consumed');
  });

  test('int64 reads positive values up to 2^53 and negative two’s complement values', () => {
    const values = [
      0,
      1,
      127,
      1_677_840_590,
      2 ** 35,
      2 ** 49 - 1,
      2 ** 49,
      2 ** 53 - 1,
      -1,
      -2,
      -(2 ** 31),
      -1_234_567_890_123,
      -(2 ** 53) + 1,
    ];
    for (const n of values) {
      const bytes = varintBytes(n);
      // Exactly the varint (slow path near the end) and with trailing room (fast path).
      for (const buf of [bytes, Buffer.concat([bytes, Buffer.alloc(12)])]) {
        const r = reader(buf);
        assert.equal(r.int64(r.length), n, `int64 ${n}`);
        assert.equal(r.pos, bytes.length);
      }
    }
    assert.equal(varintBytes(-1).length, 10, 'negative int64 takes ten bytes');
  });

  test('sint32 undoes zigzag', () => {
    const w = new ProtoWriter();
    const values = [0, -1, 1, -2, 2, 123456, -123456, 2 ** 31 - 1, -(2 ** 31)];
    for (const v of values) w.sint32Field(1, v);
    const r = reader(w.finish());
    for (const v of values) {
      assert.equal(r.tag(r.length), 8);
      assert.equal(r.sint32(r.length), v);
    }
  });

  test('doubles are little-endian IEEE 754, NaN and -0 included', () => {
    for (const v of [0, -0, 1.5, -2.25e-300, 1e308, Infinity, -Infinity, NaN]) {
      const buf = Buffer.alloc(8);
      buf.writeDoubleLE(v);
      const r = reader(buf);
      assert.ok(Object.is(r.double(8), v), `double ${v}`);
    }
  });
});

describe('ProtoReader skips unknown fields of every wire type', () => {
  test('varint, fixed64, length-delimited, fixed32 and (nested) groups', () => {
    const w = new ProtoWriter()
      .varintField(100, 2 ** 40)
      .varintField(101, -5)
      .doubleField(102, 3.5)
      .stringField(103, 'skipped')
      .fixed32Field(104, 7)
      .group(105, (g) =>
        g
          .varintField(1, 1)
          .group(2, (g2) => g2.stringField(3, 'deep').fixed32Field(4, 1))
          .doubleField(5, 1),
      )
      .stringField(1, 'kept');
    const r = reader(w.finish());
    for (let i = 0; i < 6; i++) r.skip(r.tag(r.length), r.length);
    assert.equal(r.tag(r.length), (1 << 3) | 2);
    assert.equal(r.string(r.length), 'kept');
    assert.equal(r.pos, r.length);
  });
});

describe('ProtoReader errors name the byte offset', () => {
  test('truncated varint', () => {
    const r = reader([0x08, 0x96]);
    r.tag(2);
    assertDecodeError(() => r.uint32(2), /^truncated varint at byte 1$/);
    assertDecodeError(() => reader([0xff, 0xff]).int64(2), /^truncated varint at byte 0$/);
  });

  test('varint over ten bytes', () => {
    const bytes = new Array<number>(11).fill(0xff);
    assertDecodeError(() => reader(bytes).uint32(11), /varint longer than 10 bytes at byte 0/);
    assertDecodeError(() => reader([...bytes, 1]).int64(12), /varint longer than 10 bytes at byte 0/);
    const r = reader([0x08, ...bytes]);
    assertDecodeError(() => r.skip(r.tag(12), 12), /varint longer than 10 bytes at byte 1/);
  });

  test('a length that runs past its message', () => {
    const r = reader([0x0a, 0x05, 0x61, 0x62]);
    r.tag(4);
    assertDecodeError(() => r.string(4), /length 5 runs past the end of its message \(byte 4\) at byte 1/);
  });

  test('truncated fixed64 and fixed32', () => {
    assertDecodeError(() => reader([0, 0, 0]).double(3), /truncated fixed64 at byte 0/);
    const r = reader([0x0d, 1, 2]);
    assertDecodeError(() => r.skip(r.tag(3), 3), /truncated fixed32 at byte 1/);
  });

  test('invalid wire types, field number 0 and stray or mismatched end-group tags', () => {
    let r = reader([0x0e, 0]);
    assertDecodeError(() => r.skip(r.tag(2), 2), /invalid wire type 6 at byte 0/);
    r = reader([0x00, 0]);
    assertDecodeError(() => r.skip(r.tag(2), 2), /invalid field number 0 at byte 0/);
    r = reader([0x0c]);
    assertDecodeError(() => r.skip(r.tag(1), 1), /unexpected end-group tag for field 1 at byte 0/);
    const mismatched = new ProtoWriter().tag(1, 3).tag(2, 4).finish();
    r = reader(mismatched);
    assertDecodeError(() => r.skip(r.tag(r.length), r.length), /end-group tag for field 2 closes group 1 at byte 1/);
    const unterminated = new ProtoWriter().tag(1, 3).varintField(2, 5).finish();
    r = reader(unterminated);
    assertDecodeError(() => r.skip(r.tag(r.length), r.length), /unterminated group \(field 1\) at byte 0/);
  });

  test('deeply nested groups are refused without recursion', () => {
    const w = new ProtoWriter();
    for (let i = 0; i < 100_000; i++) w.tag(1, 3);
    const r = reader(w.finish());
    assertDecodeError(() => r.skip(r.tag(r.length), r.length), /groups nested deeper than 64/);
  });

  test('paths compose from the innermost segment outwards', () => {
    assert.throws(
      () => {
        try {
          try {
            reader([0x80]).uint32(1);
          } catch (e) {
            rethrowInPath(e, 'points[1]');
          }
        } catch (e) {
          try {
            rethrowInPath(e, 'series[3]');
          } catch (e2) {
            rethrowInMessage(e2, 'MetricPayload');
          }
        }
      },
      (err: unknown) =>
        err instanceof DecodeError && err.message === 'MetricPayload: series[3].points[1]: truncated varint at byte 0',
    );
    assert.throws(() => rethrowInPath(new TypeError('x'), 'a'), TypeError, 'other errors pass through unchanged');
  });
});

describe('ProtoReader strings', () => {
  function encodeStrings(strings: string[]): Buffer {
    const w = new ProtoWriter();
    for (const s of strings) w.stringField(1, s);
    return w.finish();
  }
  function decodeStrings(buf: Buffer): string[] {
    const r = reader(buf);
    const out: string[] = [];
    while (r.pos < r.length) {
      r.tag(r.length);
      out.push(r.string(r.length));
    }
    return out;
  }

  test('UTF-8, short, long and repeated strings decode exactly, across cache hits, collisions and evictions', () => {
    const strings = [
      '',
      'a',
      'é',
      'ab',
      'abc',
      '€',
      'host',
      'dévice',
      'env:prod',
      'env:prox',
      'xnv:prod',
      '日本語のタグ:値',
      'x'.repeat(56),
      'y'.repeat(57),
      'z'.repeat(300),
    ];
    // Same length, same ends and middle: only the bytes in between differ (collide in the cache's slot choice).
    for (let i = 0; i < 40; i++)
      strings.push(`tag:${String.fromCharCode(97 + (i % 26))}${i < 26 ? '' : 'Z'}-middle-${'0123456789'[i % 10]}-end`);
    // Same length and same first, middle and last four bytes: one cache set, more strings than its two ways.
    const sameSet = ['0000', '1111', '2222', '3333', '4444'].map((x) => `head${x}midd${x}tail`);
    for (let i = 0; i < 5; i++) strings.push(...sameSet, sameSet[0]!, sameSet[4 - i]!);
    // Far more distinct strings than the cache holds, then the first ones again.
    const many = Array.from({ length: 40_000 }, (_, i) => `metric.name.${i}:${(i * 7919) % 10007}`);
    const all = [...strings, ...strings, ...many, ...strings, ...many.slice(0, 100)];
    assert.deepEqual(decodeStrings(encodeStrings(all)), all);
  });

  test('invalid UTF-8 is replaced, not refused (Buffer#toString semantics)', () => {
    const buf = Buffer.from([0x0a, 0x04, 0x61, 0xff, 0xfe, 0x62]);
    assert.deepEqual(decodeStrings(buf), ['a\ufffd\ufffdb']);
  });
});
