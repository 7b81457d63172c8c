import type { IncomingHttpHeaders } from 'node:http';

// Where a request's API key comes from. The Datadog Agent and clients send `DD-API-KEY` (any case) or `?api_key=`;
// query clients (Grafana, curl) may instead use `Authorization: Bearer <key>` or basic auth with the key as password.

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function intakeApiKey(headers: IncomingHttpHeaders, query: Record<string, unknown>): string | undefined {
  const h = first(headers['dd-api-key']);
  if (h) return h.trim();
  const q = query['api_key'];
  return typeof q === 'string' && q ? q : undefined;
}

/** Intake sources plus `Authorization: Bearer <key>` and `Authorization: Basic <user:key>`. */
export function anyApiKey(headers: IncomingHttpHeaders, query: Record<string, unknown>): string | undefined {
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
