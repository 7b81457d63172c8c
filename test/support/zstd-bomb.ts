// A zstd decompression bomb built by hand: one frame of RLE blocks (4 bytes each on the wire, 128 KiB each when
// decoded), so a 512 MiB bomb is 16 KiB and costs nothing to make. `declareSize` writes the content size into the
// frame header (single-segment frame), which tempts a decoder into allocating it all up front.

const BLOCK = 128 * 1024;

export function zstdBomb(decodedBytes: number, opts: { declareSize?: boolean } = {}): Buffer {
  const blocks = Math.ceil(decodedBytes / BLOCK);
  const header: number[] = [0x28, 0xb5, 0x2f, 0xfd];
  if (opts.declareSize) {
    header.push(0b1110_0000); // FCS field 8 bytes, single segment
    const size = BigInt(decodedBytes);
    for (let i = 0n; i < 8n; i++) header.push(Number((size >> (8n * i)) & 0xffn));
  } else {
    header.push(0x00, 0x38); // no content size; window descriptor: 2^17 = 128 KiB
  }
  const out = Buffer.alloc(header.length + blocks * 4);
  Buffer.from(header).copy(out);
  let pos = header.length;
  for (let b = 0; b < blocks; b++) {
    const size = b === blocks - 1 ? decodedBytes - b * BLOCK : BLOCK;
    const last = b === blocks - 1 ? 1 : 0;
    const h = last | (1 << 1) | (size << 3); // RLE block
    out[pos++] = h & 0xff;
    out[pos++] = (h >> 8) & 0xff;
    out[pos++] = (h >> 16) & 0xff;
    out[pos++] = 0x41; // the repeated byte: 'A'
  }
  return out;
}
