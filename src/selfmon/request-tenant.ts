import type { FastifyRequest } from 'fastify';

// The tenant a request's API key resolved to, for the `tenant` label of promdog_http_requests_total. The routes
// that authenticate note it here; the server's onResponse hook reads it. Weak: nothing outlives the request.

const tenantOfRequest = new WeakMap<FastifyRequest, string>();

export function noteRequestTenant(req: FastifyRequest, tenant: string): void {
  tenantOfRequest.set(req, tenant);
}

/** The noted tenant, '' when the request presented no known key or the route takes none (404s, /metrics). */
export function requestTenant(req: FastifyRequest): string {
  return tenantOfRequest.get(req) ?? '';
}
