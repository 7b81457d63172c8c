import { init as zstdInit, compress as zstdCompress } from '@bokuweb/zstd-wasm';

// zstd for test and benchmark bodies, through the reference implementation (compiled to WebAssembly), not promdog's
// decoder. Every user goes through here: initialising the WebAssembly module a second time in one process makes
// the compressions after it produce invalid frames.

let ready: Promise<void> | undefined;

/** Loads the compressor, once per process. */
export function zstdReady(): Promise<void> {
  ready ??= zstdInit();
  return ready;
}

/** `raw` as one zstd frame; only after zstdReady() resolved. */
export function zstdSync(raw: Uint8Array, level = 3): Buffer {
  return Buffer.from(zstdCompress(raw, level));
}

/** `raw` as one zstd frame. */
export async function zstd(raw: Uint8Array, level = 3): Promise<Buffer> {
  await zstdReady();
  return zstdSync(raw, level);
}

/**
 * A body as the Agent's v3 serializer sends it: each part (the payload header, then each column) compressed on its
 * own and the frames concatenated, which a zstd decoder reads as one stream.
 */
export async function zstdFrames(parts: readonly Uint8Array[]): Promise<Buffer> {
  await zstdReady();
  return Buffer.concat(parts.map((p) => zstdSync(p)));
}
