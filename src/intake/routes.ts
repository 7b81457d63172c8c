import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { DecodeError, type DecodedPayload } from '../model/datadog.js';
import { SinkRejectedError, SinkUnavailableError } from '../sinks/sink.js';
import type { Registry } from 'prom-client';
import type { ResolveTenant } from '../tenants/request-tenant.js';
import {
  BadBodyError,
  PayloadTooLargeError,
  UnsupportedEncodingError,
  decompressBody,
  parseContentEncoding,
  readCompressedBody,
  type BodyLimits,
} from './body.js';
import type { DecodeFormat, DecodePool } from './decode-pool.js';
import { isFormRequest } from '../http/raw-bodies.js';
import type { IngestKind, IngestOutcome, IngestPipeline } from './pipeline.js';
import { intakeMetrics, type IntakeMetrics } from './metrics.js';
import { RateLimitedError } from './ingest-rate.js';
import { decodeSeriesV1Json } from './decoders/series-v1-json.js';
import { decodeSeriesV2 } from './decoders/series-v2.js';
import { decodeMetricsV3 } from './decoders/metrics-v3.js';
import { decodeSketches } from './decoders/sketches-proto.js';
import { decodeDistributionPoints } from './decoders/distribution-points.js';
import { decodeCheckRun } from './decoders/check-run.js';
import { decodeIntake } from './decoders/intake.js';
import { decodeEvent, decodeEventV2 } from './decoders/events.js';
import { v1CreateAnswer, v2CreateAnswer } from './event-json.js';
import { decodeInventories } from './decoders/inventories.js';

// The Datadog intake routes (docs/datadog-protocol.md). Content-Type is not trusted: each route has one decoder; the
// v2 series decoder tells protobuf from JSON by the body itself.

interface IntakeRoute {
  path: string;
  kind: IngestKind;
  /** v3 holds what its body expands to to the decompressed-size limit; the others read only the body. */
  decode: (body: Buffer, limits: BodyLimits) => DecodedPayload;
  /** Series routes: large bodies are decompressed and decoded by the decode pool's workers, in this format. */
  worker?: DecodeFormat;
  /**
   * v1 routes answer {"status":"ok"}, v2, v3 and sketches {"errors":[]} (what the Agent and clients expect); the
   * events API's routes answer the stored event (`event-v1`, `event-v2`).
   */
  reply: 'v1' | 'v2' | 'event-v1' | 'event-v2';
}

export const INTAKE_ROUTES: IntakeRoute[] = [
  { path: '/api/v2/series', kind: 'series', decode: decodeSeriesV2, worker: 'v2', reply: 'v2' },
  { path: '/api/v1/series', kind: 'series', decode: decodeSeriesV1Json, worker: 'v1-json', reply: 'v1' },
  { path: '/api/beta/sketches', kind: 'sketch', decode: decodeSketches, reply: 'v2' },
  // One columnar format for both: a body may hold series and sketches alike (told apart by each metric's type).
  { path: '/api/intake/metrics/v3/series', kind: 'series', decode: decodeMetricsV3, worker: 'v3', reply: 'v2' },
  { path: '/api/intake/metrics/v3/sketches', kind: 'sketch', decode: decodeMetricsV3, worker: 'v3', reply: 'v2' },
  { path: '/api/v1/distribution_points', kind: 'distribution', decode: decodeDistributionPoints, reply: 'v1' },
  { path: '/api/v1/check_run', kind: 'service_check', decode: decodeCheckRun, reply: 'v1' },
  { path: '/intake/', kind: 'metadata', decode: decodeIntake, reply: 'v1' },
  { path: '/api/v1/events', kind: 'event', decode: decodeEvent, reply: 'event-v1' },
  { path: '/api/v2/events', kind: 'event', decode: decodeEventV2, reply: 'event-v2' },
  { path: '/api/v1/metadata', kind: 'metadata', decode: decodeInventories, reply: 'v1' },
];

export interface IntakeDeps {
  /** Form-encoded POSTs to /api/v1/series are Prometheus series lookups (Grafana's default), not Datadog data. */
  formSeriesHandler?: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
  /** The tenant of an intake request (RequestTenants.intake). */
  resolveTenant: ResolveTenant;
  limits: BodyLimits & { requestTimeoutMs: number };
  pipeline: IngestPipeline;
  /** Where the routes declare the intake's `promdog_*` families. */
  registry: Registry;
  /** Worker threads for series bodies; without it every body is decoded on the main thread. */
  decodePool?: DecodePool;
}

/**
 * Smaller bodies are decoded on the main thread: the round trip to a worker (~0.1 ms) would cost more than it
 * saves. An Agent flush of a few hundred series is already larger.
 */
const DECODE_IN_WORKER_MIN_BYTES = 8 * 1024;

const FORBIDDEN = { errors: ['Forbidden'] };

function eventRefusal(outcome: IngestOutcome): string {
  const r = outcome.events.rejected[0];
  return r ? `event not stored (${r.reason}): ${r.detail}` : 'no event in the body';
}

/** First non-whitespace byte is `{` or `[`. */
function startsLikeJson(body: Buffer): boolean {
  for (const b of body) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b || b === 0x5b;
  }
  return false;
}

function reject(
  metrics: IntakeMetrics,
  reply: FastifyReply,
  route: string,
  code: number,
  reason: string,
  message: string,
) {
  metrics.requestsRejected.inc({ route, reason });
  return reply.code(code).send({ errors: [message] });
}

/** Needs the server's raw request bodies (acceptRawBodies): the handlers enforce size limits while decompressing. */
export function registerIntakeRoutes(app: FastifyInstance, deps: IntakeDeps): void {
  const metrics = intakeMetrics(deps.registry);

  /** The tenant of an intake request, or undefined after answering 403. */
  const authenticate = (req: FastifyRequest, reply: FastifyReply, route: string): string | undefined => {
    const tenant = deps.resolveTenant(req);
    if (tenant) return tenant;
    metrics.requestsRejected.inc({ route, reason: 'forbidden' });
    void reply.code(403).send(FORBIDDEN);
    return undefined;
  };

  for (const route of INTAKE_ROUTES) {
    app.post(route.path, async (req, reply) => {
      const deadline = Date.now() + deps.limits.requestTimeoutMs;
      // A form-encoded, uncompressed POST to /api/v1/series may be Grafana's series lookup (its default) — or
      // Datadog JSON sent with curl's default Content-Type. The body decides, so it is read before choosing.
      const maybeLookup =
        route.path === '/api/v1/series' &&
        deps.formSeriesHandler !== undefined &&
        isFormRequest(req) &&
        !req.headers['content-encoding'];
      let tenant = maybeLookup ? undefined : authenticate(req, reply, route.path);
      if (!maybeLookup && !tenant) return reply;
      let payload: DecodedPayload;
      try {
        const encoding = parseContentEncoding(req.headers['content-encoding']);
        const stream = (req.body as Readable | undefined) ?? req.raw;
        const compressed = await readCompressedBody(stream, deps.limits);
        const observe = (stage: 'compressed' | 'decompressed', bytes: number) =>
          metrics.payloadBytes.observe({ route: route.path, stage }, bytes);
        if (
          route.worker !== undefined &&
          deps.decodePool !== undefined &&
          !maybeLookup &&
          compressed.length >= DECODE_IN_WORKER_MIN_BYTES
        ) {
          observe('compressed', compressed.length);
          const decoded = await deps.decodePool.decode(route.worker, compressed, encoding, deps.limits);
          observe('decompressed', decoded.decompressedBytes);
          payload = decoded.payload;
          metrics.bodiesDecoded.inc({ route: route.path, thread: 'worker' });
        } else {
          const body = await decompressBody(compressed, encoding, deps.limits);
          if (maybeLookup) {
            if (!startsLikeJson(body)) {
              req.body = Readable.from([body]);
              return deps.formSeriesHandler!(req, reply);
            }
            tenant = authenticate(req, reply, route.path);
            if (!tenant) return reply;
          }
          observe('compressed', compressed.length);
          observe('decompressed', body.length);
          payload = route.decode(body, deps.limits);
          metrics.bodiesDecoded.inc({ route: route.path, thread: 'main' });
        }
      } catch (e) {
        if (e instanceof UnsupportedEncodingError)
          return reject(metrics, reply, route.path, 415, 'unsupported_encoding', e.message);
        if (e instanceof PayloadTooLargeError) {
          // The rest of an oversized body is not read: close the connection instead of draining it.
          reply.header('connection', 'close');
          return reject(metrics, reply, route.path, 413, 'too_large', e.message);
        }
        if (e instanceof BadBodyError) return reject(metrics, reply, route.path, 400, 'bad_body', e.message);
        if (e instanceof DecodeError) return reject(metrics, reply, route.path, 400, 'decode', e.message);
        throw e;
      }
      let outcome: IngestOutcome;
      try {
        outcome = await deps.pipeline.ingest(tenant!, route.kind, payload, deadline);
      } catch (e) {
        if (e instanceof SinkUnavailableError) {
          reply.header('retry-after', String(Math.max(1, Math.ceil(e.retryAfterSeconds))));
          return reject(metrics, reply, route.path, 503, 'unavailable', e.message);
        }
        if (e instanceof SinkRejectedError) return reject(metrics, reply, route.path, 400, 'rejected', e.message);
        if (e instanceof RateLimitedError) {
          reply.header('retry-after', String(Math.max(1, Math.ceil(e.retryAfterSeconds))));
          return reject(metrics, reply, route.path, 429, 'rate_limited', e.message);
        }
        throw e;
      }
      if (outcome.everySeriesRefused !== undefined)
        return reject(metrics, reply, route.path, 400, 'limits', outcome.everySeriesRefused);
      if (route.reply === 'v1' || route.reply === 'v2')
        return reply.code(202).send(route.reply === 'v1' ? { status: 'ok' } : { errors: [] });
      // The events API posts one event: refused (too old...), it is a 400 saying why.
      const stored = outcome.events.stored[0];
      if (!stored) return reject(metrics, reply, route.path, 400, 'rejected', eventRefusal(outcome));
      const base = `${req.protocol}://${req.host}`;
      return reply
        .code(202)
        .send(route.reply === 'event-v1' ? v1CreateAnswer(stored, base) : v2CreateAnswer(stored, base));
    });
  }

  const validate = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!authenticate(req, reply, '/api/v1/validate')) return reply;
    return reply.code(200).send({ valid: true });
  };
  app.get('/api/v1/validate', validate);
  app.post('/api/v1/validate', validate);
}
