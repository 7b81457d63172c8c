import { emptyPayload, type DDSeries, type DecodedPayload, type IdentitySeriesBatch } from '../../model/datadog.js';

// A scanned series batch (IdentitySeriesBatch) as plain typed arrays, so a worker thread can decompress and scan a
// body and hand the result to the main thread without copying it object by object (intake/decode-pool.ts).

export interface SeriesBatchTransfer {
  encoding: IdentitySeriesBatch['encoding'];
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
export interface TransferableSeriesBatch extends IdentitySeriesBatch {
  toTransfer(): SeriesBatchTransfer;
  /** Every series with its strings. */
  decodeAll(): DDSeries[];
}

/**
 * What both scanners' batches hold: the body, its points, and two tables whose layout each encoding defines
 * (`index`, `extra`; see the subclasses). A batch is either empty, for a scan in this thread to fill (the tables
 * then grow by doubling from `sizes`), or made from a transfer (its tables and points as they were sent).
 */
export abstract class ScannedSeriesBatch {
  abstract readonly encoding: IdentitySeriesBatch['encoding'];
  count = 0;
  readonly timestamps: number[];
  readonly values: number[];
  protected index: Int32Array;
  protected extra: Int32Array;
  protected readonly view: DataView;

  protected constructor(
    protected readonly body: Buffer,
    from: SeriesBatchTransfer | undefined,
    sizes: { index: number; extra: number },
  ) {
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (from) {
      this.count = from.count;
      this.index = from.index;
      this.extra = from.extra;
      this.timestamps = Array.from(from.timestamps);
      this.values = Array.from(from.values);
    } else {
      this.index = new Int32Array(sizes.index);
      this.extra = new Int32Array(sizes.extra);
      this.timestamps = [];
      this.values = [];
    }
  }

  /** How much of each table holds data. */
  protected abstract used(): { index: number; extra: number };

  toTransfer(): SeriesBatchTransfer {
    const used = this.used();
    return {
      encoding: this.encoding,
      count: this.count,
      body: ownedBytes(this.body),
      index: this.index.slice(0, used.index),
      extra: this.extra.slice(0, used.extra),
      timestamps: Float64Array.from(this.timestamps),
      values: Float64Array.from(this.values),
    };
  }
}

/** The body a transfer carries, as a Buffer over the same memory. */
export function transferredBody(t: SeriesBatchTransfer): Buffer {
  return Buffer.from(t.body.buffer, t.body.byteOffset, t.body.byteLength);
}

/** The payload of a scanned batch: `series` is decoded on first read (the mapper reads `seriesBatch`). */
export function batchPayload(batch: TransferableSeriesBatch): DecodedPayload {
  const out = emptyPayload();
  out.seriesBatch = batch;
  // Read-only: the mapper maps seriesBatch, so a replaced `series` would be silently ignored.
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
