import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';

// The tenant of an HTTP request, in one place for the Datadog intake, the query API and the console: where the API
// key comes from, the tenant it names, and the tenant recorded on the request for the `tenant` label of
// promdog_http_requests_total (the server's onResponse hook reads it). The Datadog Agent and clients send
// `DD-API-KEY` (any case) or `?api_key=`; query clients (Grafana, curl) may instead use `Authorization: Bearer <key>`
// or basic auth with the key as password.

/** Looks a key up (TenantRegistry). */
export interface TenantKeys {
  tenantForKey(key: string | undefined): string | undefined;
}

/** The tenant a request's key names, undefined for a missing or unknown key; a tenant found is recorded. */
export type ResolveTenant = (req: FastifyRequest) => string | undefined;

export interface RequestTenants {
  /** Datadog intake requests: the key in `DD-API-KEY` or `api_key`. */
  intake: ResolveTenant;
  /** Query API and console requests: the intake's sources plus `Authorization: Bearer` and basic auth. */
  query: ResolveTenant;
}

/** What the query API and the console answer a request without a known key (401). */
export const MISSING_KEY_MESSAGE =
  'missing or unknown API key: send the tenant key as "Authorization: Bearer <key>", as the basic-auth password, or in a DD-API-KEY header';

// Weak: nothing outlives the request.
const tenantOfRequest = new WeakMap<FastifyRequest, string>();

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function intakeApiKey(headers: IncomingHttpHeaders, query: Record<string, unknown>): string | undefined {
  const h = first(headers['dd-api-key']);
  if (h) return h.trim();
  const q = query.api_key;
  return typeof q === 'string' && q ? q : undefined;
}

function anyApiKey(headers: IncomingHttpHeaders, query: Record<string, unknown>): string | undefined {
  const auth = first(headers.authorization);
  if (auth) {
    const sp = auth.indexOf(' ');
    const scheme = sp > 0 ? auth.slice(0, sp).toLowerCase() : '';
    const cred = sp > 0 ? auth.slice(sp + 1).trim() : '';
    if (scheme === 'bearer' && cred) return cred;
    if (scheme === 'basic' && cred) {
      const decoded = Buffer.from(cred, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon >= 0 ? decoded.slice(colon + 1) : '';
      if (password) return password;
    }
  }
  return intakeApiKey(headers, query);
}

/** Resolvers over `keys`; with noAuth every request is tenant `default`. */
export function requestTenants(keys: TenantKeys, noAuth: boolean): RequestTenants {
  const resolve = (
    req: FastifyRequest,
    key: (headers: IncomingHttpHeaders, query: Record<string, unknown>) => string | undefined,
  ) => {
    const tenant = noAuth ? 'default' : keys.tenantForKey(key(req.headers, req.query as Record<string, unknown>));
    if (tenant) tenantOfRequest.set(req, tenant);
    return tenant;
  };
  return {
    intake: (req) => resolve(req, intakeApiKey),
    query: (req) => resolve(req, anyApiKey),
  };
}

/** The recorded tenant, '' when the request presented no known key or the route takes none (404s, /metrics). */
export function requestTenant(req: FastifyRequest): string {
  return tenantOfRequest.get(req) ?? '';
}
