// Protobuf varints as the remote-write encoder writes them: unsigned, int64 (negatives in ten bytes) and zigzag.

/** Bytes of a varint; negative int64 values take 10 (two's complement, sign-extended). */
export function varintSize(v: number): number {
  if (v < 0) return 10;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 0x800000000) return 5;
  if (v < 0x40000000000) return 6;
  if (v < 0x2000000000000) return 7;
  return 8; // < 2^56 covers every safe integer
}

export function writeVarint(buf: Buffer, pos: number, v: number): number {
  if (v < 0) return writeNegativeVarint(buf, pos, v);
  // `v & 0x7f` is exact for any safe integer: ToInt32 keeps the low 32 bits.
  while (v > 0x7fffffff) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = (v - (v & 0x7f)) / 128;
  }
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

// Timestamps before 1970: rare enough to take BigInt's allocation.
function writeNegativeVarint(buf: Buffer, pos: number, v: number): number {
  let u = BigInt.asUintN(64, BigInt(v));
  for (let i = 0; i < 9; i++) {
    buf[pos++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
}

/** A sint32/sint64 value as its zigzag varint's unsigned value (arithmetic, not bitwise: any safe integer). */
export function zigzag(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}
