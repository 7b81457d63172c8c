import { parentPort } from 'node:worker_threads';
import { DecodeError, type DecodedPayload } from '../model/datadog.js';
import { BadBodyError, PayloadTooLargeError, decompressBody, type BodyLimits } from './body.js';
import { transferList, type TransferableSeriesBatch } from './decoders/batch-transfer.js';
import { decodeMetricsV3 } from './decoders/metrics-v3.js';
import { decodeSeriesV1Json } from './decoders/series-v1-json.js';
import { decodeSeriesV2 } from './decoders/series-v2.js';
import type { DecodeFormat, DecodeJob, DecodeOutcome } from './decode-pool.js';

// A decode worker (see decode-pool.ts): decompresses and scans series bodies off the main thread. A scanned body
// goes back as typed arrays (moved, not copied); a body only the JSON.parse path takes goes back as its series.

const DECODERS: Record<DecodeFormat, (body: Buffer, limits: BodyLimits) => DecodedPayload> = {
  'v1-json': decodeSeriesV1Json,
  v2: decodeSeriesV2,
  v3: decodeMetricsV3,
};

const port = parentPort!;

port.on('message', (job: DecodeJob) => {
  void run(job).then(
    (outcome) => port.postMessage(outcome, outcome.ok && outcome.batch ? transferList(outcome.batch) : []),
    (err: unknown) => port.postMessage(failure(job.id, err)),
  );
});

async function run(job: DecodeJob): Promise<DecodeOutcome> {
  const body = await decompressBody(
    Buffer.from(job.compressed.buffer, job.compressed.byteOffset, job.compressed.byteLength),
    job.encoding,
    job.limits,
  );
  const payload = DECODERS[job.format](body, job.limits);
  const batch = payload.seriesBatch as TransferableSeriesBatch | undefined;
  if (batch !== undefined)
    return {
      id: job.id,
      ok: true,
      decompressedBytes: body.length,
      batch: batch.toTransfer(),
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
