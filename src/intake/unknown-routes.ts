import { Counter, type Registry } from 'prom-client';

// Requests no route takes are answered 404, which the Agent retries forever: for the data it sends there, nothing is
// ever stored. So they are never silent: counted per path on /metrics (promdog_http_unknown_routes_total) and logged
// at warn once per path per hour with what to change (docs/operations.md). The path label is bounded: a path under
// the prefixes Datadog clients send to is kept with ids and query strings taken out; any other path, and any path
// once MAX_PATHS distinct ones were counted, is `other`.

/** The part of a pino logger this needs. */
export interface UnknownRouteLogger {
  warn(obj: object, msg: string): void;
}

/** Prefixes of the paths the Agent, its sibling agents and Datadog's API clients send to. */
const DATADOG_PREFIXES = ['/api/', '/intake', '/support/', '/v1/input'];
/** Distinct paths counted before any new one becomes `other`. */
export const MAX_PATHS = 100;
/** Segments of a path kept; deeper ones are dropped. */
const MAX_SEGMENTS = 6;
const LOG_EVERY_MS = 60 * 60 * 1000;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** Segments that name one thing rather than a route: numbers, hex and UUID ids, anything long or unusual. */
const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const PLAIN_SEGMENT = /^[A-Za-z0-9._-]{1,32}$/;

/**
 * The path label of a request URL: `/api/v1/events/123?x=1` → `/api/v1/events/:id`; `other` outside the Datadog
 * prefixes.
 */
export function unknownRoutePath(url: string): string {
  const path = url.split(/[?#]/, 1)[0]!;
  if (!DATADOG_PREFIXES.some((p) => path.startsWith(p) || `${path}/` === p)) return 'other';
  const segments = path.split('/').filter((s) => s !== '');
  const kept = segments.slice(0, MAX_SEGMENTS).map((s) => (ID_SEGMENT.test(s) || !PLAIN_SEGMENT.test(s) ? ':id' : s));
  return `/${kept.join('/')}${segments.length > MAX_SEGMENTS ? '/…' : ''}`;
}

/** What to change when the Agent sends to `path`, by the product that uses it. */
const ADVICE: [RegExp, string][] = [
  [
    /^\/api\/intake\/metrics\/v3beta\//,
    'it is the v3 beta route: set serializer_experimental_use_v3_api.series.use_beta: false (promdog serves /api/intake/metrics/v3/series)',
  ],
  [
    /^\/api\/intake\/metrics\//,
    'upgrade promdog, or keep the Agent on the series API promdog serves (use_v3_api.series.enabled: false sends /api/v2/series)',
  ],
  [
    /^(\/api\/v2\/logs|\/v1\/input)/,
    'promdog takes no logs: set logs_enabled: false, or point logs_config.logs_dd_url at a logs backend',
  ],
  [
    /^\/api\/(v0\.2\/traces|v0\.2\/stats|v2\/profile|v2\/apmtelemetry)/,
    'promdog takes no APM data: set apm_config.enabled: false, or point apm_config.apm_dd_url elsewhere',
  ],
  [
    /^\/api\/(v1\/collector|v1\/container|v1\/discovery|v1\/connections|v2\/proclcycle)/,
    'promdog takes no process, container or network data: turn those collectors off, or point process_config.process_dd_url elsewhere',
  ],
  [
    /^\/api\/(v1\/orchestrator|v2\/orch)/,
    'promdog takes no orchestrator data: set orchestrator_explorer.enabled: false, or point orchestrator_explorer.orchestrator_dd_url elsewhere',
  ],
];
const GENERIC_ADVICE =
  'upgrade promdog if a newer release serves it, or turn off the Agent feature that sends it or point its *_dd_url elsewhere';

export function unknownRouteAdvice(path: string): string {
  for (const [re, advice] of ADVICE) if (re.test(path)) return advice;
  return GENERIC_ADVICE;
}

export class UnknownRoutes {
  private readonly counter: Counter<'method' | 'path'>;
  private readonly paths = new Set<string>();
  private readonly loggedAt = new Map<string, number>();

  constructor(
    registry: Registry,
    private readonly logger: UnknownRouteLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.counter = new Counter({
      name: 'promdog_http_unknown_routes_total',
      help:
        'Requests to routes promdog does not serve (answered 404), by method and path: Datadog paths with ids as ' +
        `:id, any other path as "other", and "other" too once ${MAX_PATHS} paths were counted.`,
      labelNames: ['method', 'path'] as const,
      registers: [registry],
    });
  }

  /** Counts a request no route took and logs it once per path per hour. Returns its path label. */
  observe(method: string, url: string): string {
    let path = unknownRoutePath(url);
    if (!this.paths.has(path)) {
      if (this.paths.size >= MAX_PATHS) path = 'other';
      else this.paths.add(path);
    }
    const m = METHODS.has(method) ? method : 'other';
    this.counter.inc({ method: m, path });
    const now = this.now();
    const last = this.loggedAt.get(path);
    if (last === undefined || now - last >= LOG_EVERY_MS) {
      this.loggedAt.set(path, now);
      if (path === 'other')
        this.logger.warn(
          { method: m, path, example: url.slice(0, 200) },
          'request to a path no Datadog client uses answered 404 (counted as path="other" in promdog_http_unknown_routes_total; logged once an hour)',
        );
      else
        this.logger.warn(
          { method: m, path },
          `Agent route ${m} ${path} is not served by promdog (404, which the Agent retries: its data is not stored); ` +
            `${unknownRouteAdvice(path)} (logged once an hour per path)`,
        );
    }
    return path;
  }
}
