import { readFileSync } from 'node:fs';

// What promdog's outgoing HTTP clients share (remote-write targets, Alertmanagers, query backends): a configured URL, credentials,
// extra headers and TLS trust turned into what an undici Pool needs, and the start of an error response for logs.

export interface OutgoingHttpOptions {
  /** Extra request headers (names are case-insensitive); they override the client's defaults and the auth. */
  headers?: Record<string, string>;
  /** Also taken from credentials in the URL (`http://user:pass@host`) when not set. */
  basicAuth?: { username: string; password: string };
  bearerToken?: string;
  /** PEM file of the CA(s) that sign the server's certificate, besides the system's. */
  tlsCaFile?: string;
  tlsInsecureSkipVerify?: boolean;
}

export interface OutgoingEndpoint {
  /** The URL without credentials (safe for logs and labels). */
  url: URL;
  /** Lower-cased names: the client's defaults, then authorization, then the configured headers. */
  headers: Record<string, string>;
  /** undici `connect` options. */
  connect: { ca?: string; rejectUnauthorized?: boolean };
}

/**
 * Validates an http(s) URL and the options. Throws on a mistake, worded `<client>: invalid <role> URL "…"` and
 * `<client> <role> <url>: …`, e.g. `remote write: invalid target URL "x"`.
 */
export function outgoingEndpoint(
  client: string,
  role: string,
  rawUrl: string,
  opts: OutgoingHttpOptions,
  defaultHeaders: Record<string, string>,
): OutgoingEndpoint {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new Error(`${client}: invalid ${role} URL "${rawUrl}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${client}: ${role} URL must be http(s): "${rawUrl}"`);
  let basicAuth = opts.basicAuth;
  if (url.username || url.password) {
    basicAuth ??= { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    url.username = '';
    url.password = '';
  }
  if (basicAuth && opts.bearerToken)
    throw new Error(`${client} ${role} ${url}: set basic auth or a bearer token, not both`);

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(defaultHeaders)) headers[k.toLowerCase()] = v;
  if (basicAuth)
    headers.authorization = `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64')}`;
  if (opts.bearerToken) headers.authorization = `Bearer ${opts.bearerToken}`;
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;

  const connect: OutgoingEndpoint['connect'] = {};
  if (opts.tlsCaFile) connect.ca = readFileSync(opts.tlsCaFile, 'utf8');
  if (opts.tlsInsecureSkipVerify) connect.rejectUnauthorized = false;
  return { url, headers, connect };
}

/** The first `maxBytes` of a response body as text; the rest is not read (the connection is dropped if long). */
export async function startOfBody(body: AsyncIterable<Buffer> & { destroy(): void }, maxBytes = 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8').trim();
}
