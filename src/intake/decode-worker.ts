import { parentPort } from 'node:worker_threads';
import { DecodeError, type DecodedPayload } from '../model/datadog.js';
import { BadBodyError, PayloadTooLargeError, decompressBody, type BodyLimits } from './body.js';
import { transferList, type TransferableSeriesBatch } from './decoders/batch-transfer.js';
import { decodeMetricsV3 } from './decoders/metrics-v3.js';
import { decodeSeriesV1Json } from './decoders/series-v1-json.js';
import { decodeSeriesV2 } from './decoders/series-v2.js';
import type { DecodeFormat, DecodeJob, DecodeOutcome, SpareBody } from './decode-pool.js';

// A decode worker (see decode-pool.ts): decompresses and scans series bodies off the main thread. A scanned body
// goes back as typed arrays (moved, not copied); a body only the JSON.parse path takes goes back as its series.
// The main thread moves a body's memory back here once it is done with it (SpareBody), and the next bodies are
// decompressed into it: a body left to the main thread's collector stayed there until its next scavenge, ~30
// requests later with its 64 MiB young generation — tens of MiB of bodies no request used any more.

const DECODERS: Record<DecodeFormat, (body: Buffer, limits: BodyLimits) => DecodedPayload> = {
  'v1-json': decodeSeriesV1Json,
  v2: decodeSeriesV2,
  v3: decodeMetricsV3,
};

/** Bodies' buffers this worker keeps for the next bodies, in all: those of several Agent requests in flight. */
const MAX_SPARE_BYTES = 16 << 20;

/** Buffers the main thread gave back, for the next bodies. */
class SpareBuffers {
  private readonly buffers: ArrayBuffer[] = [];
  private bytes = 0;

  /** Keeps `b` for a later body; the smallest ones go first when they are too many. */
  add(b: ArrayBuffer): void {
    this.buffers.push(b);
    this.bytes += b.byteLength;
    while (this.bytes > MAX_SPARE_BYTES) {
      let smallest = 0;
      for (let i = 1; i < this.buffers.length; i++)
        if (this.buffers[i]!.byteLength < this.buffers[smallest]!.byteLength) smallest = i;
      this.bytes -= this.buffers.splice(smallest, 1)[0]!.byteLength;
    }
  }

  /**
   * A buffer of `bytes` bytes, over the smallest spare that holds them and is not much larger, or over a new one
   * with room for a body an eighth larger (the next body of the same client is about as large).
   */
  readonly take = (bytes: number): Buffer => {
    let best = -1;
    for (let i = 0; i < this.buffers.length; i++) {
      const n = this.buffers[i]!.byteLength;
      if (n >= bytes && n <= 2 * bytes + (64 << 10) && (best < 0 || n < this.buffers[best]!.byteLength)) best = i;
    }
    if (best < 0) return Buffer.from(Buffer.allocUnsafeSlow(bytes + (bytes >>> 3)).buffer, 0, bytes);
    const b = this.buffers.splice(best, 1)[0]!;
    this.bytes -= b.byteLength;
    return Buffer.from(b, 0, bytes);
  };
}

const spares = new SpareBuffers();
const port = parentPort!;

port.on('message', (message: DecodeJob | SpareBody) => {
  if ('spare' in message) return spares.add(message.spare);
  const job = message;
  void run(job).then(
    (outcome) => port.postMessage(outcome, outcome.ok && outcome.batch ? transferList(outcome.batch) : []),
    (err: unknown) => port.postMessage(failure(job.id, err)),
  );
});

async function run(job: DecodeJob): Promise<DecodeOutcome> {
  // Whatever the body's buffer is — one of this worker's or, uncompressed, the job's — it is this job's alone.
  const body = await decompressBody(
    Buffer.from(job.compressed.buffer, job.compressed.byteOffset, job.compressed.byteLength),
    job.encoding,
    job.limits,
    spares.take,
  );
  const payload = DECODERS[job.format](body, job.limits);
  const batch = payload.seriesBatch as TransferableSeriesBatch | undefined;
  if (batch !== undefined)
    return {
      id: job.id,
      ok: true,
      decompressedBytes: body.length,
      batch: batch.toTransfer(true),
      sketches: payload.sketches,
    };
  return { id: job.id, ok: true, decompressedBytes: body.length, series: payload.series };
}

function failure(id: number, err: unknown): DecodeOutcome {
  const message = err instanceof Error ? err.message : String(err);
  const kind =
    err instanceof PayloadTooLargeError
      ? 'too_large'
      : err instanceof BadBodyError
        ? 'bad_body'
        : err instanceof DecodeError
          ? 'decode'
          : 'internal';
  return { id, ok: false, kind, message };
}
