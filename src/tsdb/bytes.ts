// Byte buffers with the varints and little-endian numbers the block index and WAL payloads are written in.

/** Growable byte buffer with varint writers. */
export class ByteWriter {
  buf: Uint8Array;
  len = 0;
  constructor(initialBytes = 1 << 16) {
    this.buf = new Uint8Array(initialBytes);
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
  uvarint(x: number): void {
    this.ensure(10);
    while (x >= 0x80) {
      this.buf[this.len++] = (x % 128) | 0x80;
      x = Math.floor(x / 128);
    }
    this.buf[this.len++] = x;
  }
  varint(x: number): void {
    this.uvarint(x >= 0 ? x * 2 : -x * 2 - 1);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u8(x: number): void {
    this.ensure(1);
    this.buf[this.len++] = x;
  }
  u32(x: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.len, x, true);
    this.len += 4;
  }
  f64(x: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, x, true);
    this.len += 8;
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

export class ByteReader {
  off = 0;
  constructor(readonly buf: Uint8Array) {}
  uvarint(): number {
    let x = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.off++]!;
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 128;
    }
  }
  varint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  u8(): number {
    return this.buf[this.off++]!;
  }
  f64(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength).getFloat64(this.off, true);
    this.off += 8;
    return v;
  }
}
