// A client of a Prometheus-compatible HTTP query API (Prometheus, VictoriaMetrics, Mimir's /prometheus, Thanos
// Query): what gateway mode reads, where promdog has no store of its own. The ruler's instant queries go as
// form-encoded POSTs to <url>/api/v1/query and come back with raw numbers (timestamps in ms), the shape the PromQL
// engine gives; every failure (timeout, refused connection, an error answer) rejects with what happened. The query
// API's requests are forwarded as they are and their answers handed back unread (`forward`). Every request carries
// the tenant in the configured header (X-Scope-OrgID by default) and the configured credentials, never a promdog
// key nor any header of the client promdog serves.
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { type OutgoingEndpoint, type OutgoingHttpOptions, outgoingEndpoint } from '../http/outgoing.js';
import type { Label } from '../model/prometheus.js';
import type { RawResult, RawSeries } from '../promql/engine.js';

export interface QueryClientOptions extends OutgoingHttpOptions {
  /** Base URL of the API, e.g. http://prometheus:9090 or http://mimir:8080/prometheus. */
  url: string;
  /** Header carrying the tenant name; '' sends none. */
  tenantHeader: string;
  /** Per query, from sending to the end of the answer. */
  timeoutMs: number;
  /** Longest answer read; longer ones fail. Default 64 MiB. */
  maxResponseBytes?: number;
  userAgent?: string;
}

/** Why a request failed: no answer in time, no connection, or an answer that is not what was asked for. */
export type QueryFailure = 'timeout' | 'unreachable' | 'answer';

export class QueryClientError extends Error {
  override name = 'QueryClientError';
  constructor(
    message: string,
    readonly failure: QueryFailure = 'answer',
  ) {
    super(message);
  }
}

/** A query API request as promdog received it: `endpoint` under /api/v1/ (`query`, `label/job/values`...). */
export interface ForwardedRequest {
  method: 'GET' | 'POST';
  endpoint: string;
  /** Sent as the query string (GET) or a form-encoded body (POST). */
  params: URLSearchParams;
}

/** The backend's answer, its body not yet read (the caller reads or destroys it). */
export interface BackendResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** The URL asked, without credentials or query string, for messages. */
  endpoint: string;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

type ApiSample = [number, string];
interface ApiAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: string[];
  infos?: string[];
  data?: { resultType?: string; result?: unknown };
}

/** A sample value as the API writes it ("NaN", "+Inf", "-Inf", "1e+308"...). */
function sampleValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function labelsOf(metric: Record<string, string>): Label[] {
  return Object.entries(metric)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const ms = (seconds: number) => Math.round(seconds * 1000);

/** The API's answer in the engine's result shape: raw numbers, a vector's series with one sample each. */
function decodeResult(answer: ApiAnswer): RawResult {
  const notes = { warnings: answer.warnings ?? [], infos: answer.infos ?? [] };
  const data = answer.data ?? {};
  const result = data.result;
  switch (data.resultType) {
    case 'vector':
      return {
        resultType: 'vector',
        series: (result as { metric: Record<string, string>; value: ApiSample }[]).map(
          (s): RawSeries => ({
            labels: labelsOf(s.metric),
            timestamps: [ms(s.value[0])],
            values: [sampleValue(s.value[1])],
          }),
        ),
        ...notes,
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        series: (result as { metric: Record<string, string>; values: ApiSample[] }[]).map(
          (s): RawSeries => ({
            labels: labelsOf(s.metric),
            timestamps: s.values.map((p) => ms(p[0])),
            values: s.values.map((p) => sampleValue(p[1])),
          }),
        ),
        ...notes,
      };
    case 'scalar': {
      const [t, v] = result as ApiSample;
      return { resultType: 'scalar', time: ms(t), value: sampleValue(v), ...notes };
    }
    case 'string': {
      const [t, v] = result as [number, string];
      return { resultType: 'string', time: ms(t), value: v, ...notes };
    }
    default:
      throw new QueryClientError(`unexpected result type ${JSON.stringify(data.resultType)}`);
  }
}

export class QueryClient {
  /** The query endpoint without credentials, for messages. */
  readonly endpoint: string;
  /** The API's base: `<origin><path prefix>`, without credentials. */
  readonly baseUrl: string;
  private readonly basePath: string;
  private readonly pool: Pool;
  /** Accept, user agent, credentials and the configured headers (lower-cased names). */
  private readonly headers: Record<string, string>;
  private readonly tenantHeader: string;
  readonly maxResponseBytes: number;

  constructor(private readonly opts: QueryClientOptions) {
    let endpoint: OutgoingEndpoint;
    try {
      endpoint = outgoingEndpoint('query client', 'query', opts.url, opts, {
        accept: 'application/json',
        'user-agent': opts.userAgent ?? 'promdog',
      });
    } catch (err) {
      throw new QueryClientError((err as Error).message);
    }
    const { url, headers, connect } = endpoint;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.baseUrl = `${url.origin}${this.basePath}`;
    this.endpoint = `${this.baseUrl}/api/v1/query`;
    this.headers = headers;
    this.tenantHeader = opts.tenantHeader.toLowerCase();
    this.maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.pool = new Pool(url.origin, { connections: 16, connect, keepAliveTimeout: 30_000 });
  }

  /** `expr` at `timeMs` for `tenant`. Rejects with QueryClientError saying what failed. */
  async instantQuery(tenant: string, expr: string, timeMs: number): Promise<RawResult> {
    const params = new URLSearchParams({ query: expr, time: (timeMs / 1000).toFixed(3) });
    const res = await this.forward(tenant, { method: 'POST', endpoint: 'query', params });
    let text: string;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.maxResponseBytes) {
          res.body.destroy();
          throw new QueryClientError(`answer larger than ${this.maxResponseBytes} bytes`);
        }
        chunks.push(chunk);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      const failure = this.failureOf(err);
      const why = failure === 'timeout' ? this.timedOut() : (err as Error).message;
      throw new QueryClientError(`query ${this.endpoint} failed: ${why}`, failure);
    }
    const status = res.status;
    let answer: ApiAnswer;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      throw new QueryClientError(`query ${this.endpoint}: HTTP ${status}: ${text.slice(0, 300).trim()}`);
    }
    if (status < 200 || status >= 300 || answer.status !== 'success') {
      const what = answer.errorType ? `${answer.errorType}: ${answer.error ?? ''}` : text.slice(0, 300).trim();
      throw new QueryClientError(`query ${this.endpoint}: HTTP ${status}: ${what}`);
    }
    return decodeResult(answer);
  }

  /**
   * Sends a query API request for `tenant` and resolves once the answer's status and headers are in. The timeout
   * covers the body too: past it the body stream fails. Rejects with QueryClientError when no answer came.
   */
  async forward(tenant: string, req: ForwardedRequest): Promise<BackendResponse> {
    const path = `${this.basePath}/api/v1/${req.endpoint}`;
    const endpoint = `${this.baseUrl}/api/v1/${req.endpoint}`;
    const headers = this.tenantHeader ? { ...this.headers, [this.tenantHeader]: tenant } : { ...this.headers };
    const query = req.params.toString();
    if (req.method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded';
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new QueryClientError(this.timedOut(), 'timeout')), this.opts.timeoutMs);
    try {
      const res = await this.pool.request({
        method: req.method,
        path: req.method === 'GET' && query !== '' ? `${path}?${query}` : path,
        headers,
        ...(req.method === 'POST' ? { body: query } : {}),
        signal: abort.signal,
      });
      res.body.once('close', () => clearTimeout(timer));
      return { status: res.statusCode, headers: res.headers, body: res.body, endpoint };
    } catch (err) {
      clearTimeout(timer);
      const why = abort.signal.aborted ? this.timedOut() : (err as Error).message;
      throw new QueryClientError(`query ${endpoint} failed: ${why}`, abort.signal.aborted ? 'timeout' : 'unreachable');
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private timedOut(): string {
    return `timed out after ${this.opts.timeoutMs} ms`;
  }

  /** A body read that failed: cut by the timeout (its reason), or by the connection. */
  private failureOf(err: unknown): QueryFailure {
    return err instanceof QueryClientError ? err.failure : 'unreachable';
  }
}
