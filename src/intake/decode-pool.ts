import { Worker } from 'node:worker_threads';
import { DecodeError, emptyPayload, type DDSeries, type DDSketch, type DecodedPayload } from '../model/datadog.js';
import { BadBodyError, PayloadTooLargeError, type BodyEncoding, type BodyLimits } from './body.js';
import {
  batchPayload,
  transferredBody,
  type SeriesBatchTransfer,
  type TransferableSeriesBatch,
} from './decoders/batch-transfer.js';
import { V3SeriesBatch } from './decoders/metrics-v3-batch.js';
import { V1JsonSeriesBatch } from './decoders/series-v1-json.js';
import { ProtoSeriesBatch } from './decoders/series-v2-proto.js';

// Series bodies (the bulk of Agent traffic) are decompressed and scanned in worker threads, so the main thread
// only maps and stores: on two cores the store bench spent ~25 % of the main thread in the JSON scan, inflate and
// body buffers. What comes back is the scanner's typed arrays and the body, moved (not copied); the mapper reads
// identities and decodes strings from them exactly as if the main thread had scanned the body.

/** Which decoder a body takes: the route's. */
export type DecodeFormat = 'v1-json' | 'v2' | 'v3';

export interface DecodeJob {
  id: number;
  format: DecodeFormat;
  encoding: BodyEncoding;
  limits: BodyLimits;
  compressed: Uint8Array;
}

export type DecodeOutcome =
  | {
      id: number;
      ok: true;
      decompressedBytes: number;
      batch: SeriesBatchTransfer;
      series?: undefined;
      /** v3 bodies carry sketches beside their series. */
      sketches: DDSketch[];
    }
  | { id: number; ok: true; decompressedBytes: number; series: DDSeries[]; batch?: undefined }
  | { id: number; ok: false; kind: 'too_large' | 'bad_body' | 'decode' | 'internal'; message: string };

export interface Decoded {
  payload: DecodedPayload;
  decompressedBytes: number;
}

interface Pending {
  resolve: (d: Decoded) => void;
  reject: (e: Error) => void;
}

class DecodeWorker {
  readonly pending = new Map<number, Pending>();
  readonly worker: Worker;

  constructor(onExit: (w: DecodeWorker, err: Error) => void) {
    // The worker's objects are few and short-lived (its bodies are off-heap buffers): a small young generation, not
    // the main thread's (cli/launch.ts), which V8 would otherwise apply to this isolate too.
    this.worker = new Worker(new URL('./decode-worker.js', import.meta.url), {
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    // The HTTP server keeps the process alive while there is work; a pool left behind by a failed start must not.
    this.worker.unref();
    this.worker.on('message', (o: DecodeOutcome) => {
      const p = this.pending.get(o.id);
      if (p === undefined) return;
      this.pending.delete(o.id);
      if (!o.ok) p.reject(errorOf(o.kind, o.message));
      else p.resolve({ payload: payloadOf(o), decompressedBytes: o.decompressedBytes });
    });
    this.worker.on('error', (err) => onExit(this, err));
    this.worker.on('exit', (code) => onExit(this, new Error(`decode worker exited with code ${code}`)));
  }
}

function payloadOf(o: Extract<DecodeOutcome, { ok: true }>): DecodedPayload {
  if (o.batch === undefined) return { ...emptyPayload(), series: o.series };
  const payload = batchPayload(batchOf(o.batch));
  payload.sketches = o.sketches;
  return payload;
}

/** The batch a worker scanned, over the memory it moved here. */
function batchOf(t: SeriesBatchTransfer): TransferableSeriesBatch {
  const body = transferredBody(t);
  switch (t.encoding) {
    case 'v1-json':
      return new V1JsonSeriesBatch(body, t);
    case 'v2-protobuf':
      return new ProtoSeriesBatch(body, t);
    case 'v3-columnar':
      return new V3SeriesBatch(body, t);
  }
}

/** The error the main-thread decoder would have thrown, so routes answer the same status and message. */
function errorOf(kind: Extract<DecodeOutcome, { ok: false }>['kind'], message: string): Error {
  switch (kind) {
    case 'too_large':
      return new PayloadTooLargeError(message);
    case 'bad_body':
      return new BadBodyError(message);
    case 'decode':
      return new DecodeError(message);
    default:
      return new Error(`decode worker: ${message}`);
  }
}

export class DecodePool {
  private readonly workers: DecodeWorker[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  private spawn(): DecodeWorker {
    return new DecodeWorker((w, err) => {
      // A worker that died takes its jobs with it: they fail (500, the Agent retries), a fresh worker takes its place.
      for (const p of w.pending.values()) p.reject(err);
      w.pending.clear();
      const at = this.workers.indexOf(w);
      if (at >= 0 && !this.closed) this.workers[at] = this.spawn();
    });
  }

  /** Decompresses and decodes `compressed` in the least busy worker. Throws what readBody and the decoder would. */
  decode(format: DecodeFormat, compressed: Buffer, encoding: BodyEncoding, limits: BodyLimits): Promise<Decoded> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    let w = this.workers[0]!;
    for (const c of this.workers) if (c.pending.size < w.pending.size) w = c;
    const id = this.nextId++;
    // A copy the worker owns (request chunks may share an ArrayBuffer with other data); moved, not cloned.
    const own = new Uint8Array(compressed);
    const job: DecodeJob = { id, format, encoding, limits, compressed: own };
    return new Promise<Decoded>((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.worker.postMessage(job, [own.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
