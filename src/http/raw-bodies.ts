import type { FastifyInstance, FastifyRequest } from 'fastify';

// promdog's routes get every request body as the raw stream, whatever its Content-Type: the Datadog intake enforces
// its size limits while decompressing (and does not trust Content-Type), and the query API reads form bodies itself
// with its own limit. Fastify's parsers would buffer or refuse bodies before either could.

/** Hands every body to the routes unread, as `req.body` (a Readable). */
export function acceptRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
}

/**
 * Whether a request body is form-encoded. Also how a shared `POST /api/v1/series` route tells Prometheus' series
 * query (Grafana POSTs it, falling back to GET only on 405) from the Datadog intake's JSON series.
 */
export function isFormRequest(req: FastifyRequest): boolean {
  return (
    (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded'
  );
}
