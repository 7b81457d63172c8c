// Gateway mode's data endpoints: promdog keeps no samples, so `query`, `query_range`, `series`, `labels`, label
// values, `metadata` and `query_exemplars` go to the tenant's query backend (--query-url, or its own
// tenants.<name>.query_url) with the tenant in the backend's tenant header, and the backend's answer comes back as it
// is, streamed, errors included. The client's own headers (its promdog key, an X-Scope-OrgID of its choosing) never
// reach the backend: the query client builds every request from the configuration alone.
//
// Bounds: the backend's timeout (query_url.timeout), the answer's size (query_url.max_response_bytes: refused with a
// 422 when the backend says its length or the answer ends within its first 64 KiB, cut when it streams past it) and
// the query API's concurrency slots, which forwarded requests take like queries. A backend that does not answer is a 502 (no connection) or 504 (no
// answer in time) with Prometheus' error envelope; an answer that is not the API's JSON (a proxy's HTML page, a
// wrong URL) is put in that envelope with the backend's status.
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import type { Counter } from 'prom-client';
import { startOfBody } from '../http/outgoing.js';
import { QueryClientError, type BackendResponse, type QueryClient } from '../query-client/query-client.js';
import { ApiError, type Params } from './params.js';
import type { QueryApiResult, RequestTiming } from './query-api.js';

/** A backend's answer to hand to the client as it is. */
export class BackendAnswer {
  constructor(
    readonly status: number,
    readonly contentType: string,
    readonly body: Readable,
    /** The backend's Retry-After, passed on with a 429 or 503. */
    readonly retryAfter: string | undefined,
  ) {}
}

/** The data endpoints, as the routes call them: the embedded store's (QueryApi) or the backend's (BackendQueryApi). */
export interface DataEndpoints {
  query(
    p: Params,
    tenant: string,
    timing?: RequestTiming,
    signal?: AbortSignal,
  ): Promise<QueryApiResult | BackendAnswer>;
  queryRange(
    p: Params,
    tenant: string,
    timing?: RequestTiming,
    signal?: AbortSignal,
  ): Promise<QueryApiResult | BackendAnswer>;
  series(
    p: Params,
    tenant: string,
    timing?: RequestTiming,
    signal?: AbortSignal,
  ): Promise<QueryApiResult | BackendAnswer>;
  labels(
    p: Params,
    tenant: string,
    timing?: RequestTiming,
    signal?: AbortSignal,
  ): Promise<QueryApiResult | BackendAnswer>;
  labelValues(
    name: string,
    p: Params,
    tenant: string,
    timing?: RequestTiming,
    signal?: AbortSignal,
  ): Promise<QueryApiResult | BackendAnswer>;
  metadata(p: Params, tenant: string): Promise<QueryApiResult | BackendAnswer>;
  queryExemplars(p: Params, tenant: string): Promise<QueryApiResult | BackendAnswer>;
}

export interface TenantQueryBackends {
  /** The tenant's query backend, or why it has none (answered to the client as it is). */
  backendFor(tenant: string): QueryClient | { unavailable: string };
}

/** The part of a pino logger the proxy uses. */
export interface ProxyLogger {
  warn(obj: object, msg: string): void;
}

export interface BackendQueryApiDeps {
  backends: TenantQueryBackends;
  /** promdog_query_rejected_total: answers cut for their size count as `response_too_large`. */
  rejected: Counter<'reason'>;
  logger: ProxyLogger;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Prometheus' errorType for an error status a backend answered without the API's envelope. */
function errorTypeOf(status: number): string {
  if (status === 422) return 'execution';
  if (status === 503 || status === 502 || status === 429) return 'unavailable';
  if (status === 504) return 'timeout';
  if (status >= 500) return 'internal';
  return 'bad_data';
}

function sizeLimitMessage(endpoint: string, limit: number, size: string): string {
  return (
    `the answer of the query backend (${endpoint}) is ${size} than the limit of ${limit} bytes ` +
    '(query_url.max_response_bytes): ask for less (a narrower selector or match[], a shorter range, a larger step, limit=)'
  );
}

/**
 * What is read of an answer before its status goes out: an answer that ends within it is checked whole, so a
 * too-large one gets its 422; a longer one streams, and is cut if it runs past the limit.
 */
const HEAD_BYTES = 64 * 1024;

interface BodyHead {
  chunks: Buffer[];
  size: number;
  /** The whole body is in `chunks`. */
  ended: boolean;
}

/** Reads until the body ends or `bytes` are in, then leaves the body paused with the rest unread. */
function readHead(body: Readable, bytes: number): Promise<BodyHead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.pause();
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= bytes) {
        stop();
        resolve({ chunks, size, ended: false });
      }
    };
    const onEnd = () => {
      stop();
      resolve({ chunks, size, ended: true });
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
  });
}

/** Passes bytes through until `limit`; past it the stream fails (the client's connection is cut). */
class SizeLimit extends Transform {
  private size = 0;

  constructor(
    private readonly limit: number,
    private readonly onExceeded: () => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) done(this.onExceeded());
    else done(null, chunk);
  }
}

export class BackendQueryApi implements DataEndpoints {
  constructor(private readonly deps: BackendQueryApiDeps) {}

  query(p: Params, tenant: string): Promise<BackendAnswer> {
    return this.forward(tenant, 'POST', 'query', p);
  }

  queryRange(p: Params, tenant: string): Promise<BackendAnswer> {
    return this.forward(tenant, 'POST', 'query_range', p);
  }

  series(p: Params, tenant: string): Promise<BackendAnswer> {
    return this.forward(tenant, 'POST', 'series', p);
  }

  labels(p: Params, tenant: string): Promise<BackendAnswer> {
    return this.forward(tenant, 'POST', 'labels', p);
  }

  /** GET, as Prometheus serves it (no POST route); the name as the client sent it, escaping included. */
  labelValues(name: string, p: Params, tenant: string): Promise<BackendAnswer> {
    return this.forward(tenant, 'GET', `label/${encodeURIComponent(name)}/values`, p);
  }

  /** GET, as Prometheus serves it. */
  metadata(p: Params, tenant: string): Promise<BackendAnswer> {
    return this.forward(tenant, 'GET', 'metadata', p);
  }

  queryExemplars(p: Params, tenant: string): Promise<BackendAnswer> {
    return this.forward(tenant, 'POST', 'query_exemplars', p);
  }

  /** Where Prometheus takes POST, a form-encoded POST whatever the client used: a long query may not fit a URL. */
  private async forward(tenant: string, method: 'GET' | 'POST', endpoint: string, p: Params): Promise<BackendAnswer> {
    const backend = this.deps.backends.backendFor(tenant);
    if ('unavailable' in backend) throw new ApiError('unavailable', backend.unavailable, 503, 'no_query_url');
    let res: BackendResponse;
    try {
      res = await backend.forward(tenant, { method, endpoint, params: p.toSearchParams() });
    } catch (e) {
      throw noAnswer(e);
    }
    const limit = backend.maxResponseBytes;
    const tooLarge = (size: string) =>
      new ApiError('execution', sizeLimitMessage(res.endpoint, limit, size), 422, 'response_too_large');
    const length = Number(first(res.headers['content-length']) ?? Number.NaN);
    if (length > limit) {
      res.body.destroy();
      throw tooLarge(`${length} bytes, larger`);
    }
    const contentType = first(res.headers['content-type']) ?? '';
    if (!/^application\/json\b/i.test(contentType)) {
      let text: string;
      try {
        text = await startOfBody(res.body, 300);
      } catch (e) {
        throw noAnswer(e);
      }
      throw new ApiError(
        res.status >= 400 ? errorTypeOf(res.status) : 'unavailable',
        `the query backend (${res.endpoint}) answered HTTP ${res.status}${contentType ? ` (${contentType})` : ''}, ` +
          `not the Prometheus API's JSON: ${text || '(empty)'}`,
        res.status >= 400 ? res.status : 502,
      );
    }
    let head: BodyHead;
    try {
      head = await readHead(res.body, HEAD_BYTES);
    } catch (e) {
      throw noAnswer(e);
    }
    if (head.size > limit) {
      res.body.destroy();
      throw tooLarge(head.ended ? `${head.size} bytes, larger` : 'larger');
    }
    const retryAfter = first(res.headers['retry-after']);
    if (head.ended) return new BackendAnswer(res.status, contentType, Readable.from(head.chunks), retryAfter);
    const bounded = new SizeLimit(limit, () => {
      this.deps.rejected.inc({ reason: 'response_too_large' });
      this.deps.logger.warn(
        { tenant, endpoint: res.endpoint, limit },
        'query backend answer cut at query_url.max_response_bytes',
      );
      return new Error(sizeLimitMessage(res.endpoint, limit, 'larger'));
    });
    for (const chunk of head.chunks) bounded.write(chunk);
    // Either end failing (the limit, the backend's timeout, the client gone) ends the other.
    pipeline(res.body, bounded, () => {});
    return new BackendAnswer(res.status, contentType, bounded, retryAfter);
  }
}

/** No answer from the backend: no connection (502) or none in time (504). */
function noAnswer(e: unknown): ApiError {
  const message = `the query backend did not answer: ${(e as Error).message}`;
  if (e instanceof QueryClientError && e.failure === 'timeout')
    return new ApiError('timeout', `${message} (query_url.timeout)`, 504);
  return new ApiError('unavailable', message, 502);
}
