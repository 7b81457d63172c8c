// A fastify app set up like promdog's server (raw body streams for every content type) serving the query API over
// in-memory queriers, on a free loopback port.
import Fastify, { type FastifyInstance } from 'fastify';
import type { MetricMetadata } from '../../src/model/prometheus.js';
import type { Querier } from '../../src/model/storage.js';
import { MemoryQuerier } from '../support/memory-querier.js';
import { Registry } from 'prom-client';
import { registerQueryApi, type QueryApiDeps } from '../../src/api/routes.js';
import type { QueryApiLimits } from '../../src/api/query-api.js';
import { requestTenants } from '../../src/tenants/request-tenant.js';
import { acceptRawBodies } from '../../src/http/raw-bodies.js';
import { freePort } from '../support/ports.js';

export interface ApiServer {
  app: FastifyInstance;
  url: string;
  registry: Registry;
  close(): Promise<void>;
}

export const DEFAULT_LIMITS: QueryApiLimits = { maxSamples: 50_000_000, timeoutMs: 120_000, maxConcurrent: 4 };

export interface ApiServerOptions {
  /** tenant → API key; default none (use noAuth). */
  keys?: Record<string, string>;
  noAuth?: boolean;
  queriers: Record<string, Querier>;
  limits?: Partial<QueryApiLimits>;
  metadata?: Record<string, MetricMetadata[]>;
  extra?: Partial<QueryApiDeps>;
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } }) as unknown as FastifyInstance;
  // The server's body handling (src/server/app.ts): every body arrives as a raw stream.
  acceptRawBodies(app);
  const byKey = new Map(Object.entries(opts.keys ?? {}).map(([tenant, key]) => [key, tenant]));
  const registry = new Registry();
  const empty = new MemoryQuerier();
  registerQueryApi(app, {
    querierFor: (t) => opts.queriers[t] ?? empty,
    resolveTenant: requestTenants({ tenantForKey: (k) => (k ? byKey.get(k) : undefined) }, opts.noAuth ?? false).query,
    metadataFor: async (t) => opts.metadata?.[t] ?? [],
    registry,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    ...opts.extra,
  });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  return { app, url: `http://127.0.0.1:${port}`, registry, close: () => app.close() };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

export async function getJson(url: string, init?: RequestInit): Promise<JsonResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

/** POST a form-encoded body. */
export function postForm(
  url: string,
  form: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  return getJson(url, {
    method: 'POST',
    body: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

export function qs(params: Record<string, string | string[] | number>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, String(x));
  return u.toString();
}
