// The web console's server side: the browser bundle built by scripts/build-console.mjs (dist/console), read into
// memory at start and served from there, and the console's own JSON endpoints. Everything else the console shows
// comes from the Prometheus query API (src/api/query-api.ts) with the signed-in tenant's key.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { HostInfo } from '../mapping/host-tags.js';
import type { Querier } from '../model/storage.js';
import { parseDurationParam } from '../promql/format.js';
import { MISSING_KEY_MESSAGE, type ResolveTenant } from '../tenants/request-tenant.js';
import { listHosts } from './hosts.js';
import type { EventReader } from '../events/store.js';
import { EventSearchError } from '../events/search.js';
import { EventParamError, readEvents } from './events.js';
import type { ConsoleSession } from './api-types.js';

export interface ConsoleDeps {
  /** The tenant whose key the request presents, like the query API's (RequestTenants.query). */
  resolveTenant: ResolveTenant;
  /** The tenant's Querier in embedded-store mode; undefined in gateway mode. */
  querierFor: ((tenant: string) => Querier) | undefined;
  /** Why the tenant's data cannot be queried (gateway mode without a query URL for it); undefined when it can. */
  queryUnavailable?: (tenant: string) => string | undefined;
  hostTags: { hosts(tenant: string): HostInfo[] };
  /**
   * Gateway replicas: the tenant's host metadata any replica received, read back from the backend's host info
   * series; listed with this replica's own.
   */
  hostInfoFor?: (tenant: string) => Promise<HostInfo[]>;
  /** The event store (both modes). */
  events: EventReader;
  /** promdog's version, shown by the console. */
  version: string;
  /** The built bundle: index.html and assets/. Default: dist/console beside the compiled server. */
  bundleDir?: string;
  /** Clock (ms). Default Date.now. */
  now?: () => number;
}

/** A file of the bundle as served: the body, its gzip form (made on first use), and validators. */
interface Asset {
  body: Buffer;
  /** null until first asked for; undefined when gzip does not make it smaller. */
  gzip: Buffer | undefined | null;
  contentType: string;
  etag: string;
  cacheControl: string;
}

const DEFAULT_BUNDLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));
const ASSET_PREFIX = '/console/assets/';
const DEFAULT_HOSTS_WINDOW_MS = 15 * 60_000;
const MAX_HOSTS_WINDOW_MS = 24 * 3600_000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// CodeMirror and uPlot set inline styles (CodeMirror also adds <style> elements), hence 'unsafe-inline' for styles
// only; scripts come from the bundle alone.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const GATEWAY_NOTICE =
  'promdog runs in gateway mode (--remote-write-url): series are in the remote-write target, so they are not counted here';

function toAsset(body: Buffer, file: string, cacheControl: string): Asset {
  return {
    body,
    gzip: null,
    contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    cacheControl,
  };
}

/** Reads the bundle; throws (ENOENT) when it was not built. */
function loadBundle(dir: string): { index: Asset; assets: Map<string, Asset> } {
  // index.html names the hashed asset files, so it is revalidated on every load; the assets never change.
  const index = toAsset(readFileSync(join(dir, 'index.html')), 'index.html', 'no-cache');
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(join(dir, 'assets'))) {
    assets.set(name, toAsset(readFileSync(join(dir, 'assets', name)), name, 'public, max-age=31536000, immutable'));
  }
  return { index, assets };
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  reply
    .header('content-type', a.contentType)
    .header('cache-control', a.cacheControl)
    .header('etag', a.etag)
    .header('vary', 'accept-encoding');
  reply.header('x-content-type-options', 'nosniff');
  const inm = req.headers['if-none-match'];
  if (inm?.split(',').some((t) => t.trim() === a.etag || t.trim() === '*')) return reply.code(304).send();
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    // Compressed when first asked for rather than at start: the source maps alone take ~0.4 s.
    if (a.gzip === null) {
      const gz = gzipSync(a.body, { level: 9 });
      a.gzip = gz.length < a.body.length ? gz : undefined;
    }
    if (a.gzip) return reply.header('content-encoding', 'gzip').send(a.gzip);
  }
  return reply.send(a.body);
}

function notBuiltPage(dir: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>promdog console not built</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>The promdog web console is not built</h1>
<p>promdog could not read the console bundle in <code>${dir.replace(/[<>&]/g, '')}</code>. Build it with
<code>npm run build</code> (or <code>node scripts/build-console.mjs</code>) and restart promdog.</p>
<p>The Datadog intake, the query API and <code>/metrics</code> work without it.</p></body></html>\n`;
}

/** Prometheus' error envelope, as the query API answers it. */
function apiError(reply: FastifyReply, status: number, errorType: string, error: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json')
    .header('cache-control', 'no-store')
    .send(JSON.stringify({ status: 'error', errorType, error }));
}

/** Serves the console at `/` with its assets under /console/assets/, and the console's JSON endpoints. */
export function registerConsole(app: FastifyInstance, deps: ConsoleDeps): void {
  const dir = deps.bundleDir ?? DEFAULT_BUNDLE_DIR;
  const now = deps.now ?? Date.now;
  let bundle: ReturnType<typeof loadBundle> | undefined;
  try {
    bundle = loadBundle(dir);
  } catch (err) {
    app.log.warn(
      { err: (err as Error).message, dir },
      'web console not built: / shows how to build it (npm run build)',
    );
  }

  app.get('/', async (req, reply) => {
    if (!bundle)
      return reply
        .code(503)
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(notBuiltPage(dir));
    reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer');
    return sendAsset(req, reply, bundle.index);
  });

  app.get(`${ASSET_PREFIX}:file`, async (req, reply) => {
    const asset = bundle?.assets.get((req.params as { file: string }).file);
    if (!asset) return reply.callNotFound();
    return sendAsset(req, reply, asset);
  });

  /** The signed-in tenant, or a 401 like the query API's (without WWW-Authenticate: no browser password prompt). */
  const signedIn = (req: FastifyRequest, reply: FastifyReply): string | undefined => {
    const tenant = deps.resolveTenant(req);
    if (!tenant) {
      apiError(reply, 401, 'unauthorized', MISSING_KEY_MESSAGE);
    }
    return tenant;
  };

  app.get('/console/api/session', async (req, reply) => {
    const tenant = signedIn(req, reply);
    if (!tenant) return reply;
    const session: ConsoleSession = {
      tenant,
      mode: deps.querierFor ? 'store' : 'gateway',
      version: deps.version,
      queryUnavailable: deps.queryUnavailable?.(tenant) ?? null,
    };
    return reply.header('cache-control', 'no-store').send(session);
  });

  app.get('/console/api/hosts', async (req, reply) => {
    const tenant = signedIn(req, reply);
    if (!tenant) return reply;
    const windowParam = (req.query as Record<string, unknown>).window;
    let windowMs = DEFAULT_HOSTS_WINDOW_MS;
    if (typeof windowParam === 'string' && windowParam !== '') {
      try {
        windowMs = parseDurationParam(windowParam);
      } catch (e) {
        return apiError(reply, 400, 'bad_data', `invalid parameter "window": ${(e as Error).message}`);
      }
      if (windowMs <= 0 || windowMs > MAX_HOSTS_WINDOW_MS)
        return apiError(reply, 400, 'bad_data', 'invalid parameter "window": must be more than 0 and at most 24h');
    }
    const metadata = deps.hostTags.hosts(tenant);
    const warnings: string[] = [];
    if (deps.hostInfoFor) {
      try {
        metadata.push(...(await deps.hostInfoFor(tenant)));
      } catch (e) {
        warnings.push(
          `host metadata other replicas received could not be read from the query backend: ${(e as Error).message}`,
        );
      }
    }
    const answer = await listHosts({
      metadata,
      querier: deps.querierFor?.(tenant),
      nowMs: now(),
      windowMs,
      gatewayNotice: GATEWAY_NOTICE,
    });
    answer.warnings.push(...warnings);
    return reply.header('cache-control', 'no-store').send(answer);
  });

  app.get('/console/api/events', async (req, reply) => {
    const tenant = signedIn(req, reply);
    if (!tenant) return reply;
    try {
      const answer = await readEvents(deps.events, tenant, req.query as Record<string, unknown>, now());
      return reply.header('cache-control', 'no-store').send(answer);
    } catch (e) {
      if (e instanceof EventParamError) return apiError(reply, 400, 'bad_data', e.message);
      if (e instanceof EventSearchError) return apiError(reply, 400, 'bad_data', `invalid parameter "q": ${e.message}`);
      throw e;
    }
  });
}
