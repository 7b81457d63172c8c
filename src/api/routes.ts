// The query API on HTTP: each route resolves the tenant from the request's key, reads the parameters (query string
// and form body), waits for a slot when it reads data, calls its QueryApi method (in gateway mode the data endpoints'
// BackendQueryApi method instead) and answers Prometheus' JSON envelope, or the backend's answer as it is, counting
// every answer in the promdog_query_* families.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { MISSING_KEY_MESSAGE, type ResolveTenant } from '../tenants/request-tenant.js';
import { queryConcurrencyLimiter, type ConcurrencyLimiter } from './limiter.js';
import { queryApiMetrics } from './metrics.js';
import { ApiError, readParams, type Params } from './params.js';
import { asApiError, QueryApi, type QueryApiOptions, type QueryApiResult, type RequestTiming } from './query-api.js';
import type { RulesApi } from './rules-api.js';
import { BackendAnswer, type DataEndpoints } from './backend-proxy.js';

export interface QueryApiDeps extends QueryApiOptions {
  /** The tenant whose key the request presents (RequestTenants.query). */
  resolveTenant: ResolveTenant;
  /** Where the `promdog_query_*` families are declared. */
  registry: Registry;
  /**
   * Register `POST /api/v1/series` (Prometheus: form-encoded series query). Default true. The Datadog intake owns
   * that route for JSON bodies; when it does, pass false and hand form-encoded POSTs to `seriesHandler`.
   */
  registerSeriesPost?: boolean;
  /** Serves `/api/v1/rules` and `/api/v1/alerts` when given. */
  rules?: RulesApi;
  /** Gateway mode: the data endpoints, forwarded to the tenant's query backend (BackendQueryApi). */
  backend?: DataEndpoints;
  /** The admission of data reads, when shared (with the ruler); default one of the limits' own. */
  limiter?: ConcurrencyLimiter;
}

export interface QueryApiRoutes {
  /** The `/api/v1/series` handler (GET or form-encoded POST), for a route the caller registers itself. */
  seriesHandler(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
}

/** What an endpoint gets from its request. */
interface Call {
  req: FastifyRequest;
  params: Params;
  tenant: string;
  timing: RequestTiming;
  /** Aborted when the client closes the connection before its answer: the query stops and frees its slot. */
  signal: AbortSignal;
}

/** A signal aborted when the client goes away before the response is written. */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

const DEFAULT_MAX_BODY_BYTES = 1 << 20;
const LOGGED_REFUSALS = new Set(['too_many_samples', 'too_many_points', 'too_deep', 'timeout']);

/** Needs the server's raw request bodies (acceptRawBodies): form bodies are read here, with their own size limit. */
export function registerQueryApi(app: FastifyInstance, deps: QueryApiDeps): QueryApiRoutes {
  const api = new QueryApi(deps);
  const data: DataEndpoints = deps.backend ?? api;
  // Cheap in the store, but a round trip in gateway mode: there they take a slot like the other forwarded requests.
  const backendGated = deps.backend !== undefined;
  const limits = deps.limits;
  const maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const limiter = deps.limiter ?? queryConcurrencyLimiter(limits);
  const m = queryApiMetrics(deps.registry);
  limiter.onChange(() => {
    m.inFlight.set(limiter.inFlight);
    m.queued.set(limiter.waiting);
  });

  const send = (
    reply: FastifyReply,
    endpoint: string,
    arrivedAt: number,
    status: number,
    body: string | Readable,
    contentType = 'application/json',
  ) => {
    m.requests.inc({ endpoint, code: String(status) });
    m.duration.observe({ endpoint }, (performance.now() - arrivedAt) / 1000);
    return reply.code(status).header('content-type', contentType).send(body);
  };

  const sendError = (reply: FastifyReply, endpoint: string, arrivedAt: number, err: ApiError) => {
    if (err.rejectReason) m.rejected.inc({ reason: err.rejectReason });
    if (err.status === 413) reply.header('connection', 'close');
    if (err.status === 401) reply.header('www-authenticate', 'Basic realm="promdog"');
    if (err.status === 503) reply.header('retry-after', '1');
    return send(
      reply,
      endpoint,
      arrivedAt,
      err.status,
      JSON.stringify({ status: 'error', errorType: err.errorType, error: err.message }),
    );
  };

  /** An endpoint's handler: authentication, parameters, admission (for data reads), the envelope and counting. */
  const handler =
    (endpoint: string, gated: boolean, call: (c: Call) => Promise<QueryApiResult | Readable | BackendAnswer>) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const arrivedAt = performance.now();
      const signal = clientGone(reply);
      let release: (() => void) | undefined;
      try {
        const tenant = deps.resolveTenant(req);
        if (!tenant) throw new ApiError('unauthorized', MISSING_KEY_MESSAGE, 401, 'unauthorized');
        const params = await readParams(req, maxBodyBytes);
        if (gated) release = await limiter.acquire(tenant, limits.timeoutMs, signal);
        const answer = await call({
          req,
          params,
          tenant,
          timing: { arrivedAt, queuedMs: performance.now() - arrivedAt },
          signal,
        });
        if (answer instanceof Readable) {
          // The slot is held until the stream is written out or cut off (client gone, timeout), not only started:
          // a client reading slowly keeps its export's samples in memory as long.
          const held = release;
          release = undefined;
          if (held) {
            if (signal.aborted) held();
            else reply.raw.once('close', held);
            answer.once('close', held);
          }
          return send(reply, endpoint, arrivedAt, 200, answer, 'application/stream+json; charset=utf-8');
        }
        if (answer instanceof BackendAnswer) {
          if (answer.retryAfter) reply.header('retry-after', answer.retryAfter);
          return send(reply, endpoint, arrivedAt, answer.status, answer.body, answer.contentType);
        }
        let body = `{"status":"success","data":${answer.data}`;
        if (answer.warnings && answer.warnings.length > 0) body += `,"warnings":${JSON.stringify(answer.warnings)}`;
        if (answer.infos && answer.infos.length > 0) body += `,"infos":${JSON.stringify(answer.infos)}`;
        return send(reply, endpoint, arrivedAt, 200, `${body}}`);
      } catch (e) {
        if (!(e instanceof ApiError)) req.log.error({ err: e, endpoint }, 'query API request failed');
        const err = asApiError(e);
        // Refusals by a query limit say which; the flood of 503s a full queue answers is counted, not logged.
        if (err.rejectReason && LOGGED_REFUSALS.has(err.rejectReason))
          req.log.warn({ endpoint, tenant: deps.resolveTenant(req), reason: err.rejectReason }, err.message);
        return sendError(reply, endpoint, arrivedAt, err);
      } finally {
        release?.();
      }
    };

  const getAndPost = (url: string, h: ReturnType<typeof handler>) =>
    app.route({ method: ['GET', 'POST'], url, handler: h });
  const series = handler('series', true, (c) => data.series(c.params, c.tenant, c.timing, c.signal));
  getAndPost(
    '/api/v1/query',
    handler('query', true, (c) => data.query(c.params, c.tenant, c.timing, c.signal)),
  );
  getAndPost(
    '/api/v1/query_range',
    handler('query_range', true, (c) => data.queryRange(c.params, c.tenant, c.timing, c.signal)),
  );
  app.get('/api/v1/series', series);
  if (deps.registerSeriesPost ?? true) app.post('/api/v1/series', series);
  getAndPost(
    '/api/v1/labels',
    handler('labels', true, (c) => data.labels(c.params, c.tenant, c.timing, c.signal)),
  );
  const labelName = (req: FastifyRequest) => (req.params as { name: string }).name;
  app.get(
    '/api/v1/label/:name/values',
    handler('label_values', true, (c) => data.labelValues(labelName(c.req), c.params, c.tenant, c.timing, c.signal)),
  );
  app.get(
    '/api/v1/metadata',
    handler('metadata', backendGated, (c) => data.metadata(c.params, c.tenant)),
  );
  app.get(
    '/api/v1/status/buildinfo',
    handler('buildinfo', false, () => api.buildinfo()),
  );
  getAndPost(
    '/api/v1/query_exemplars',
    handler('query_exemplars', backendGated, (c) => data.queryExemplars(c.params, c.tenant)),
  );
  getAndPost(
    '/api/v1/format_query',
    handler('format_query', false, (c) => api.formatQuery(c.params)),
  );
  getAndPost(
    '/api/v1/export',
    handler('export', true, (c) => api.export(c.params, c.tenant, c.timing, c.signal)),
  );
  const rules = deps.rules;
  if (rules) {
    app.get(
      '/api/v1/rules',
      handler('rules', false, async (c) => rules.rules(c.params, c.tenant)),
    );
    app.get(
      '/api/v1/alerts',
      handler('alerts', false, async (c) => rules.alerts(c.tenant)),
    );
  }
  return { seriesHandler: series };
}
