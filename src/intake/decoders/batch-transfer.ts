import { emptyPayload, type DDProtoSeriesBatch, type DDSeries, type DecodedPayload } from '../../model/datadog.js';

// A scanned series batch (DDProtoSeriesBatch) as plain typed arrays, so a worker thread can decompress and scan a
// body and hand the result to the main thread without copying it object by object (intake/decode-pool.ts).

export interface SeriesBatchTransfer {
  encoding: DDProtoSeriesBatch['encoding'];
  count: number;
  /** The decompressed body the identities and strings are read from. */
  body: Uint8Array;
  /** The scanner's per-series table (v2 protobuf: message bounds, first run and point; v1 JSON: object bounds). */
  index: Int32Array;
  /** The second table (v2 protobuf: identity runs; v1 JSON: each series' first point). */
  extra: Int32Array;
  timestamps: Float64Array;
  values: Float64Array;
}

/** A batch that can be moved to another thread. Both scanners' batches are. */
export interface TransferableSeriesBatch extends DDProtoSeriesBatch {
  toTransfer(): SeriesBatchTransfer;
  /** Every series with its strings. */
  decodeAll(): DDSeries[];
}

/** The payload of a scanned batch: `series` is decoded on first read (the mapper reads `protoSeries`). */
export function batchPayload(batch: TransferableSeriesBatch): DecodedPayload {
  const out = emptyPayload();
  out.protoSeries = batch;
  // Read-only: the mapper maps protoSeries, so a replaced `series` would be silently ignored.
  let decoded: DDSeries[] | null = null;
  Object.defineProperty(out, 'series', { enumerable: true, get: (): DDSeries[] => (decoded ??= batch.decodeAll()) });
  return out;
}

/** The ArrayBuffers of a transfer, for postMessage's transfer list (each array owns its buffer). */
export function transferList(t: SeriesBatchTransfer): ArrayBuffer[] {
  return [t.body, t.index, t.extra, t.timestamps, t.values].map((a) => a.buffer as ArrayBuffer);
}

/**
 * `bytes` in an array that owns its whole ArrayBuffer: a Buffer may be a slice of Node's shared pool, and
 * transferring that would take the pool away from every other Buffer in it.
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}
