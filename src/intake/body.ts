import { createGunzip, createInflate, createInflateRaw, type Inflate, type Gunzip, type InflateRaw } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Decompress as ZstdDecompress } from 'fzstd';

// Reads a request body and undoes its Content-Encoding with both size limits enforced while reading: a body over
// the compressed limit is refused as soon as it passes it, and decompression stops as soon as the output passes the
// decompressed limit, so a decompression bomb never allocates more than the limit (plus one block).

export interface BodyLimits {
  maxCompressedBytes: number;
  maxDecompressedBytes: number;
}

export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}
export class UnsupportedEncodingError extends Error {
  override name = 'UnsupportedEncodingError';
}
/** The body is not valid for its Content-Encoding (corrupt gzip/zlib/zstd stream) or ended early. */
export class BadBodyError extends Error {
  override name = 'BadBodyError';
}

export type BodyEncoding = 'identity' | 'deflate' | 'gzip' | 'zstd';

/** Content-Encoding header → codec. zstd1 is how the public API client names zstd. */
export function parseContentEncoding(header: string | undefined): BodyEncoding {
  const v = (header ?? '').trim().toLowerCase();
  switch (v) {
    case '':
    case 'identity':
      return 'identity';
    case 'deflate':
      return 'deflate';
    case 'gzip':
    case 'x-gzip':
      return 'gzip';
    case 'zstd':
    case 'zstd1':
      return 'zstd';
    default:
      throw new UnsupportedEncodingError(
        `unsupported Content-Encoding "${header}" (supported: deflate, gzip, zstd, identity)`,
      );
  }
}

/**
 * Collects the raw body, refusing it as soon as it passes `max` bytes. The stream is paused, not destroyed, so the
 * 413 can still be written on the same socket (the route answers with `Connection: close`).
 */
function readCompressed(stream: Readable, max: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        cleanup();
        stream.pause();
        reject(new PayloadTooLargeError(`request body exceeds the compressed size limit of ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks);
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new BadBodyError(`request body could not be read: ${e.message}`));
    };
    const onAborted = () => onError(new Error('client closed the connection before the body ended'));
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('aborted', onAborted);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('aborted', onAborted);
  });
}

function tooLargeDecompressed(max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`request body exceeds the decompressed size limit of ${max} bytes`);
}

/** zlib's header check (RFC 1950): CM = 8 and the 16-bit header a multiple of 31. Raw deflate is accepted too. */
function looksZlibWrapped(first: Buffer | undefined): boolean {
  if (!first || first.length < 2) return true;
  return (first[0]! & 0x0f) === 8 && ((first[0]! << 8) | first[1]!) % 31 === 0;
}

/** Compressed input is fed to the codecs this much at a time, so the output limit is checked as it grows. */
const INPUT_SLICE_BYTES = 64 * 1024;

/**
 * zlib's output chunk for a body of `compressedBytes`: room for ~8× expansion (JSON and protobuf metric payloads
 * deflate ~8-15×), 16 KiB to 1 MiB. zlib's default of 16 KiB cut a 2 MB Agent body into ~130 chunks, each a
 * thread-pool round trip, a 'data' event and a buffer: 8.2 ms of CPU per body against 3.7 ms with 1 MiB chunks
 * (`node dist/src/intake/body.bench.js`).
 */
export function inflateChunkBytes(compressedBytes: number): number {
  let size = 1 << 14;
  while (size < compressedBytes * 8 && size < 1 << 20) size <<= 1;
  return size;
}

function inflateZlib(compressed: Buffer, encoding: 'deflate' | 'gzip', max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let stream: Inflate | Gunzip | InflateRaw;
    const opts = { chunkSize: inflateChunkBytes(compressed.length) };
    if (encoding === 'gzip') stream = createGunzip(opts);
    else stream = looksZlibWrapped(compressed) ? createInflate(opts) : createInflateRaw(opts);
    const out: Buffer[] = [];
    let total = 0;
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      stream.destroy();
      reject(err);
    };
    stream.on('data', (c: Buffer) => {
      total += c.length;
      if (total > max) return fail(tooLargeDecompressed(max));
      out.push(c);
    });
    stream.on('error', (e: Error) => fail(new BadBodyError(`invalid ${encoding} body: ${e.message}`)));
    stream.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(out, total));
    });
    // Written in slices so a bomb stops at the limit instead of being inflated from one huge input.
    (async () => {
      for (let i = 0; i < compressed.length; i += INPUT_SLICE_BYTES) {
        if (done) return;
        if (!stream.write(compressed.subarray(i, i + INPUT_SLICE_BYTES)))
          await new Promise<void>((r) => stream.once('drain', r));
      }
      if (!done) stream.end();
    })().catch(fail);
  });
}

/**
 * Walks the zstd frames and block headers (cheap: no decoding) and refuses frames whose header alone promises more
 * than `max` bytes — a declared content size or window over the limit. fzstd allocates a declared single-segment
 * content size up front (a 16 KiB bomb declaring 512 MiB took 590 MiB of RSS and 25 s), so this must run first.
 * Malformed headers are left to the decoder, which reports them.
 */
function checkZstdFrameHeaders(buf: Buffer, max: number): void {
  let pos = 0;
  while (pos + 4 <= buf.length) {
    const magic = buf.readUInt32LE(pos);
    pos += 4;
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // Skippable frame: 4-byte length, then that many bytes.
      if (pos + 4 > buf.length) return;
      pos += 4 + buf.readUInt32LE(pos);
      continue;
    }
    if (magic !== 0xfd2fb528 || pos >= buf.length) return;
    const fhd = buf[pos++]!;
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd >> 5) & 1;
    const hasChecksum = (fhd >> 2) & 1;
    const dictIdBytes = [0, 1, 2, 4][fhd & 3]!;
    let window = 0;
    if (!singleSegment) {
      const wd = buf[pos++] ?? 0;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    pos += dictIdBytes;
    const fcsBytes = [singleSegment, 2, 4, 8][fcsFlag]!;
    let contentSize = -1;
    if (fcsBytes > 0 && pos + fcsBytes <= buf.length) {
      if (fcsBytes === 1) contentSize = buf[pos]!;
      else if (fcsBytes === 2) contentSize = buf.readUInt16LE(pos) + 256;
      else if (fcsBytes === 4) contentSize = buf.readUInt32LE(pos);
      else contentSize = Number(buf.readBigUInt64LE(pos));
    }
    pos += fcsBytes;
    if (contentSize > max || window > max) throw tooLargeDecompressed(max);
    // Blocks: 3-byte header (last flag, type, size); RLE blocks carry 1 byte, raw and compressed ones `size` bytes.
    for (;;) {
      if (pos + 3 > buf.length) return;
      const h = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16);
      pos += 3;
      const type = (h >> 1) & 3;
      pos += type === 1 ? 1 : h >>> 3;
      if (h & 1) break;
    }
    if (hasChecksum) pos += 4;
  }
}

function inflateZstd(input: Buffer, max: number): Buffer {
  checkZstdFrameHeaders(input, max);
  const out: Uint8Array[] = [];
  let total = 0;
  const d = new ZstdDecompress((c) => {
    total += c.length;
    if (total > max) throw tooLargeDecompressed(max);
    // fzstd may reuse its window buffer for the next block, so keep a copy.
    out.push(c.slice());
  });
  try {
    // Pushed in slices so output is checked against the limit as it grows.
    if (input.length === 0) d.push(new Uint8Array(0), true);
    for (let i = 0; i < input.length; i += INPUT_SLICE_BYTES)
      d.push(input.subarray(i, i + INPUT_SLICE_BYTES), i + INPUT_SLICE_BYTES >= input.length);
  } catch (e) {
    if (e instanceof PayloadTooLargeError) throw e;
    throw new BadBodyError(`invalid zstd body: ${(e as Error).message}`);
  }
  return Buffer.concat(out, total);
}

/** The body as sent, in one buffer, refused past limits.maxCompressedBytes. Throws PayloadTooLargeError. */
export async function readCompressedBody(stream: Readable, limits: BodyLimits): Promise<Buffer> {
  const chunks = await readCompressed(stream, limits.maxCompressedBytes);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** The body decompressed, refused past limits.maxDecompressedBytes. Throws PayloadTooLargeError, BadBodyError. */
export async function decompressBody(compressed: Buffer, encoding: BodyEncoding, limits: BodyLimits): Promise<Buffer> {
  if (encoding === 'identity') {
    if (compressed.length > limits.maxDecompressedBytes) throw tooLargeDecompressed(limits.maxDecompressedBytes);
    return compressed;
  }
  if (compressed.length === 0) return Buffer.alloc(0);
  return encoding === 'zstd'
    ? inflateZstd(compressed, limits.maxDecompressedBytes)
    : await inflateZlib(compressed, encoding, limits.maxDecompressedBytes);
}
