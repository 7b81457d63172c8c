// Prometheus' HTTP query API (web/api/v1/api.go) over a tenant's Querier, so Grafana's Prometheus data source,
// promtool and curl work unchanged. Answers are Prometheus' JSON envelopes with its HTTP codes; the request's API
// key picks the tenant, and a tenant only ever reads its own Querier.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Label, MetricMetadata } from '../model/prometheus.js';
import type { LabelMatcher, Querier, SeriesData } from '../model/storage.js';
import type { Registry } from 'prom-client';
import { MISSING_KEY_MESSAGE, type ResolveTenant } from '../tenants/request-tenant.js';
import { Engine, PromQLError, queryResultJson, type EngineOptions, type RawResult } from '../promql/engine.js';
import { parseDurationParam } from '../promql/format.js';
import { compareLabels, labelsKey } from '../model/labels.js';
import { parseExpr, ParseError } from '../promql/parser.js';
import { ConcurrencyLimiter } from './limiter.js';
import { queryApiMetrics, type QueryApiMetrics } from './metrics.js';
import {
  ApiError, badData, durationParam, invalidParam, limitParam, MAX_TIME_MS, MIN_TIME_MS, parseMatchers, readParams,
  requiredTimeParam, timeParam, type Params,
} from './params.js';
import { prettyExpr } from './printer.js';
import { exportLine, labelsJson } from './export.js';

/** `/api/v1/status/buildinfo`: the fields Prometheus answers (no `features` map: that marks Mimir/Cortex to Grafana). */
export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  goVersion: string;
}

/** Raw samples for `/api/v1/export`. A Querier's `select` already is one (see `querierExportSource`). */
export interface ExportSource {
  exportSeries(matchers: LabelMatcher[], mint: number, maxt: number): Promise<SeriesData[]>;
}

export interface QueryApiLimits {
  /** Samples a query may hold in memory (fetched plus intermediate results), like Prometheus' --query.max-samples. */
  maxSamples: number;
  /** Longest query evaluation, like --query.timeout; the `timeout` parameter may only lower it. */
  timeoutMs: number;
  /** Data-reading requests running at once, like --query.max-concurrency. */
  maxConcurrent: number;
  /** Requests waiting for a slot beyond maxConcurrent (each at most its timeout); more are refused with 503. Default 4 × maxConcurrent. */
  maxQueued?: number;
  /** Points per series of a range query. Default 11 000 (Prometheus' fixed limit). */
  maxPointsPerSeries?: number;
  /** Form-encoded POST bodies. Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface QueryApiDeps {
  querierFor(tenant: string): Querier;
  /** The tenant whose key the request presents (RequestTenants.query). */
  resolveTenant: ResolveTenant;
  /** Metric metadata of a tenant for `/api/v1/metadata`. Default: none. */
  metadataFor?(tenant: string): Promise<MetricMetadata[]>;
  /** Raw-sample source for `/api/v1/export`. Default: the tenant's Querier. */
  exportSourceFor?(tenant: string): ExportSource;
  /** Where the `promdog_query_*` families are declared. */
  registry: Registry;
  limits: QueryApiLimits;
  /** Engine settings other than the limits. Defaults: lookback 5m, subquery step 1m. */
  engine?: Pick<Partial<EngineOptions>, 'lookbackDeltaMs' | 'defaultSubqueryStepMs'>;
  buildInfo?: Partial<BuildInfo>;
  /** Clock for default query times (ms). Default Date.now. */
  now?: () => number;
  /**
   * Register `POST /api/v1/series` (Prometheus: form-encoded series query). Default true. The Datadog intake owns
   * that route for JSON bodies; when it does, pass false and hand form-encoded POSTs to `QueryApi.seriesHandler`.
   */
  registerSeriesPost?: boolean;
}

export interface QueryApi {
  /** The `/api/v1/series` handler (GET or form-encoded POST), for a route the caller registers itself. */
  seriesHandler(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
}

export function querierExportSource(q: Querier): ExportSource {
  return { exportSeries: (matchers, mint, maxt) => q.select(matchers, mint, maxt) };
}

const DEFAULT_LOOKBACK_MS = 5 * 60_000;
const DEFAULT_MAX_BODY_BYTES = 1 << 20;
const PROMETHEUS_MAX_POINTS = 11_000;
const TRUNCATED = 'results truncated due to limit';

/** A successful answer: the `data` JSON text plus annotations. */
interface Answer {
  data: string;
  warnings?: string[];
  infos?: string[];
}

interface Ctx {
  req: FastifyRequest;
  params: Params;
  tenant: string;
  /** performance.now() at arrival. */
  arrivedAt: number;
  /** Time spent waiting for a concurrency slot (ms). */
  queuedMs: number;
}

/** Counts what a query reads from storage and when its last fetch finished (for `stats`). */
class CountingQuerier implements Querier {
  samples = 0;
  lastFetchEnd = 0;

  constructor(private readonly inner: Querier) {}

  async select(matchers: LabelMatcher[], mint: number, maxt: number): Promise<SeriesData[]> {
    const series = await this.inner.select(matchers, mint, maxt);
    for (const s of series) this.samples += s.timestamps.length;
    this.lastFetchEnd = performance.now();
    return series;
  }

  series(matchers: LabelMatcher[], mint: number, maxt: number): Promise<Label[][]> {
    return this.inner.series(matchers, mint, maxt);
  }

  labelNames(matchers: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    return this.inner.labelNames(matchers, mint, maxt);
  }

  labelValues(name: string, matchers: LabelMatcher[], mint: number, maxt: number): Promise<string[]> {
    return this.inner.labelValues(name, matchers, mint, maxt);
  }
}

/** Prometheus' name escaping for label names in URL paths (`U__` + `_` → `__`, other characters `_<hex>_`). */
export function unescapeLabelName(name: string): string {
  if (!name.startsWith('U__')) return name;
  const body = name.slice(3);
  let out = '';
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c !== '_') {
      if (!/[a-zA-Z0-9]/.test(c)) return name;
      out += c;
      i++;
      continue;
    }
    if (body[i + 1] === '_') {
      out += '_';
      i += 2;
      continue;
    }
    const end = body.indexOf('_', i + 1);
    const hex = end > i + 1 ? body.slice(i + 1, end) : '';
    if (!/^[0-9a-fA-F]+$/.test(hex)) return name;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff) return name;
    out += String.fromCodePoint(cp);
    i = end + 1;
  }
  return out;
}

function errorStatus(e: PromQLError): { status: number; type: string; reason?: string } {
  switch (e.type) {
    case 'bad_data':
      return { status: 400, type: 'bad_data' };
    case 'too_many_samples':
      return { status: 422, type: 'execution', reason: 'too_many_samples' };
    case 'timeout':
      return { status: 503, type: 'timeout', reason: 'timeout' };
    case 'canceled':
      return { status: 499, type: 'canceled' };
    case 'unavailable':
      return { status: 503, type: 'unavailable' };
    case 'internal':
      return { status: 500, type: 'internal' };
    default:
      return { status: 422, type: 'execution' };
  }
}

/** Engine errors as API errors; parse and type errors name the `query` parameter like Prometheus. */
function engineError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof PromQLError) {
    const { status, type, reason } = errorStatus(e);
    const msg = type === 'bad_data' ? `invalid parameter "query": ${e.message}` : e.message;
    return new ApiError(type, msg, status, reason);
  }
  // A storage failure (Prometheus: ErrStorage → internal).
  return new ApiError('internal', (e as Error).message ?? String(e), 500);
}

function truncate(raw: RawResult, limit: number): boolean {
  if (limit > 0 && (raw.resultType === 'vector' || raw.resultType === 'matrix') && raw.series.length > limit) {
    raw.series = raw.series.slice(0, limit);
    return true;
  }
  return false;
}

function resultPoints(raw: RawResult): number {
  if (raw.resultType !== 'vector' && raw.resultType !== 'matrix') return 1;
  let n = 0;
  for (const s of raw.series) n += s.timestamps.length;
  return n;
}

export function registerQueryApi(app: FastifyInstance, deps: QueryApiDeps): QueryApi {
  const limits = deps.limits;
  const maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxPoints = limits.maxPointsPerSeries ?? PROMETHEUS_MAX_POINTS;
  const lookbackDeltaMs = deps.engine?.lookbackDeltaMs ?? DEFAULT_LOOKBACK_MS;
  const defaultSubqueryStepMs = deps.engine?.defaultSubqueryStepMs;
  const now = deps.now ?? Date.now;
  const limiter = new ConcurrencyLimiter(limits.maxConcurrent, limits.maxQueued ?? 4 * limits.maxConcurrent);
  const m: QueryApiMetrics = queryApiMetrics(deps.registry);
  const buildInfo: BuildInfo = {
    // Grafana reads `version` as the Prometheus version it talks to (feature detection): promdog implements the
    // API and PromQL of Prometheus 3.5. The server passes promdog's own version in `revision` (deps.buildInfo).
    version: '3.5.0',
    revision: 'promdog',
    branch: 'promdog',
    buildUser: 'promdog',
    buildDate: '',
    goVersion: `node${process.versions.node}`,
    ...deps.buildInfo,
  };

  const send = (reply: FastifyReply, endpoint: string, arrivedAt: number, status: number, body: string | Readable, contentType = 'application/json') => {
    m.requests.inc({ endpoint, code: String(status) });
    m.duration.observe({ endpoint }, (performance.now() - arrivedAt) / 1000);
    return reply.code(status).header('content-type', contentType).send(body);
  };

  const sendError = (reply: FastifyReply, endpoint: string, arrivedAt: number, err: ApiError) => {
    if (err.rejectReason) m.rejected.inc({ reason: err.rejectReason });
    if (err.status === 413) reply.header('connection', 'close');
    if (err.status === 401) reply.header('www-authenticate', 'Basic realm="promdog"');
    if (err.status === 503) reply.header('retry-after', '1');
    return send(reply, endpoint, arrivedAt, err.status, JSON.stringify({ status: 'error', errorType: err.errorType, error: err.message }));
  };

  /** Wraps an endpoint: authentication, parameters, admission (for data reads), the envelope and counting. */
  const handler = (endpoint: string, gated: boolean, fn: (ctx: Ctx) => Promise<Answer | Readable>) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const arrivedAt = performance.now();
      let release: (() => void) | undefined;
      try {
        const tenant = deps.resolveTenant(req);
        if (!tenant) {
          throw new ApiError(
            'unauthorized',
            MISSING_KEY_MESSAGE,
            401,
            'unauthorized',
          );
        }
        const params = await readParams(req, maxBodyBytes);
        if (gated) {
          const admission = limiter.acquire(limits.timeoutMs);
          m.queued.set(limiter.waiting);
          try {
            release = await admission;
          } finally {
            m.queued.set(limiter.waiting);
          }
          m.inFlight.set(limiter.inFlight);
        }
        const answer = await fn({ req, params, tenant, arrivedAt, queuedMs: performance.now() - arrivedAt });
        if (answer instanceof Readable) return send(reply, endpoint, arrivedAt, 200, answer, 'application/stream+json; charset=utf-8');
        let body = `{"status":"success","data":${answer.data}`;
        if (answer.warnings && answer.warnings.length > 0) body += `,"warnings":${JSON.stringify(answer.warnings)}`;
        if (answer.infos && answer.infos.length > 0) body += `,"infos":${JSON.stringify(answer.infos)}`;
        return send(reply, endpoint, arrivedAt, 200, body + '}');
      } catch (e) {
        if (!(e instanceof ApiError)) req.log.error({ err: e, endpoint }, 'query API request failed');
        return sendError(reply, endpoint, arrivedAt, engineError(e));
      } finally {
        if (release) {
          release();
          m.inFlight.set(limiter.inFlight);
        }
      }
    };

  /** Shared by instant and range queries: parameters, the engine run with limits, truncation and stats. */
  const runQuery = async (ctx: Ctx, run: (engine: Engine, q: Querier, lookbackMs: number | undefined) => Promise<RawResult>): Promise<Answer> => {
    const p = ctx.params;
    const limit = limitParam(p);
    let timeoutMs = limits.timeoutMs;
    if (p.get('timeout') !== '') timeoutMs = Math.min(timeoutMs, durationParam(p, 'timeout'));
    let lookbackMs: number | undefined;
    if (p.get('lookback_delta') !== '') {
      try {
        lookbackMs = parseDurationParam(p.get('lookback_delta'));
      } catch (e) {
        throw badData(`error parsing lookback delta duration: ${(e as Error).message}`);
      }
    }
    // Time spent queueing counts against the query's timeout.
    const remainingMs = Math.max(0, timeoutMs - ctx.queuedMs);
    const engine = new Engine({
      lookbackDeltaMs,
      maxSamples: limits.maxSamples,
      timeoutMs: remainingMs,
      ...(defaultSubqueryStepMs !== undefined ? { defaultSubqueryStepMs } : {}),
    });
    const querier = new CountingQuerier(deps.querierFor(ctx.tenant));
    const evalStart = performance.now();
    let raw: RawResult;
    try {
      raw = await run(engine, querier, lookbackMs);
    } catch (e) {
      throw engineError(e);
    }
    const evalEnd = performance.now();
    const warnings = [...raw.warnings];
    if (truncate(raw, limit)) warnings.push(TRUNCATED);
    let data = queryResultJson(raw);
    if (p.get('stats') !== '') {
      // Prometheus' BuiltinStats shape. Samples are those fetched from storage (Prometheus counts the samples in
      // each step's window); the peak is the larger of that and the result (promdog fetches everything first).
      const prep = querier.lastFetchEnd > 0 ? (querier.lastFetchEnd - evalStart) / 1000 : 0;
      const evalTotal = (evalEnd - evalStart) / 1000;
      const stats = {
        timings: {
          evalTotalTime: evalTotal,
          resultSortTime: 0,
          queryPreparationTime: prep,
          innerEvalTime: Math.max(0, evalTotal - prep),
          execQueueTime: ctx.queuedMs / 1000,
          execTotalTime: (performance.now() - ctx.arrivedAt) / 1000,
        },
        samples: {
          totalQueryableSamples: querier.samples,
          peakSamples: Math.max(querier.samples, resultPoints(raw)),
        },
      };
      data = `${data.slice(0, -1)},"stats":${JSON.stringify(stats)}}`;
    }
    return { data, warnings, infos: raw.infos };
  };

  const query = handler('query', true, (ctx) => {
    const timeMs = timeParam(ctx.params, 'time', now());
    return runQuery(ctx, (engine, q, lookbackMs) =>
      engine.instantQueryRaw(q, ctx.params.get('query'), timeMs, lookbackMs !== undefined ? { lookbackDeltaMs: lookbackMs } : undefined),
    );
  });

  const queryRange = handler('query_range', true, (ctx) => {
    const p = ctx.params;
    const start = requiredTimeParam(p, 'start');
    const end = requiredTimeParam(p, 'end');
    if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
    const step = durationParam(p, 'step');
    if (step <= 0) throw invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    // For safety, Prometheus limits the points per series (60s resolution for a week, 1h for a year).
    if (Math.floor((end - start) / step) > maxPoints) {
      throw new ApiError(
        'bad_data',
        `exceeded maximum resolution of ${maxPoints.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`,
        400,
        'too_many_points',
      );
    }
    return runQuery(ctx, (engine, q, lookbackMs) =>
      engine.rangeQueryRaw(q, p.get('query'), start, end, step, lookbackMs !== undefined ? { lookbackDeltaMs: lookbackMs } : undefined),
    );
  });

  /** start/end (defaults: all time) and the parsed `match[]` sets of the metadata endpoints. */
  const rangeAndMatchers = (p: Params) => {
    const limit = limitParam(p);
    const start = timeParam(p, 'start', MIN_TIME_MS);
    const end = timeParam(p, 'end', MAX_TIME_MS);
    return { limit, start, end, sets: parseMatchers(p.all('match[]')) };
  };

  const series = handler('series', true, async (ctx) => {
    const p = ctx.params;
    if (p.all('match[]').length === 0) throw badData('no match[] parameter provided');
    const limit = limitParam(p);
    const start = timeParam(p, 'start', MIN_TIME_MS);
    const end = timeParam(p, 'end', MAX_TIME_MS);
    let sets: LabelMatcher[][];
    try {
      sets = parseMatchers(p.all('match[]'));
    } catch (e) {
      throw e instanceof ApiError ? invalidParam('match[]', e.message) : e;
    }
    const q = deps.querierFor(ctx.tenant);
    const found = new Map<string, Label[]>();
    for (const set of sets) {
      for (const labels of await q.series(set, start, end)) {
        const key = labelsKey(labels);
        if (!found.has(key)) found.set(key, labels);
      }
    }
    let list = [...found.values()].sort(compareLabels);
    const warnings: string[] = [];
    if (limit > 0 && list.length > limit) {
      list = list.slice(0, limit);
      warnings.push(TRUNCATED);
    }
    return { data: `[${list.map(labelsJson).join(',')}]`, warnings };
  });

  const stringList = (values: string[], limit: number): Answer => {
    const warnings: string[] = [];
    if (limit > 0 && values.length > limit) {
      values = values.slice(0, limit);
      warnings.push(TRUNCATED);
    }
    return { data: JSON.stringify(values), warnings };
  };

  const labels = handler('labels', true, async (ctx) => {
    const { limit, start, end, sets } = rangeAndMatchers(ctx.params);
    const q = deps.querierFor(ctx.tenant);
    const names = new Set<string>();
    for (const set of sets.length > 0 ? sets : [[]]) for (const n of await q.labelNames(set, start, end)) names.add(n);
    return stringList([...names].sort(), limit);
  });

  const labelValues = handler('label_values', true, async (ctx) => {
    const name = unescapeLabelName((ctx.req.params as { name: string }).name);
    if (name === '') throw badData(`invalid label name: ${JSON.stringify(name)}`);
    const { limit, start, end, sets } = rangeAndMatchers(ctx.params);
    const q = deps.querierFor(ctx.tenant);
    const values = new Set<string>();
    for (const set of sets.length > 0 ? sets : [[]]) for (const v of await q.labelValues(name, set, start, end)) values.add(v);
    return stringList([...values].sort(), limit);
  });

  const metadata = handler('metadata', false, async (ctx) => {
    const p = ctx.params;
    const intParam = (name: string) => {
      const v = p.get(name);
      if (v === '') return -1;
      if (!/^[+-]?\d+$/.test(v)) throw badData(`${name} must be a number`);
      return Number(v);
    };
    const limit = intParam('limit');
    const limitPerMetric = intParam('limit_per_metric');
    const metric = p.get('metric');
    const all = deps.metadataFor ? await deps.metadataFor(ctx.tenant) : [];
    const byName = new Map<string, Map<string, { type: string; help: string; unit: string }>>();
    for (const md of all) {
      if (metric !== '' && md.metricFamilyName !== metric) continue;
      let entries = byName.get(md.metricFamilyName);
      if (limitPerMetric > 0 && entries && entries.size >= limitPerMetric) continue;
      if (!entries) byName.set(md.metricFamilyName, (entries = new Map()));
      entries.set(`${md.type}\u0000${md.help}\u0000${md.unit}`, { type: md.type, help: md.help, unit: md.unit });
    }
    const out: Record<string, { type: string; help: string; unit: string }[]> = {};
    for (const name of [...byName.keys()].sort()) {
      if (limit >= 0 && Object.keys(out).length >= limit) break;
      out[name] = [...byName.get(name)!.values()];
    }
    return { data: JSON.stringify(out) };
  });

  const buildinfo = handler('buildinfo', false, async () => ({ data: JSON.stringify(buildInfo) }));

  const exemplars = handler('query_exemplars', false, async (ctx) => {
    const p = ctx.params;
    const start = timeParam(p, 'start', MIN_TIME_MS);
    const end = timeParam(p, 'end', MAX_TIME_MS);
    if (end < start) throw badData('end timestamp must not be before start timestamp');
    try {
      parseExpr(p.get('query'));
    } catch (e) {
      if (e instanceof ParseError) throw badData(e.message);
      throw e;
    }
    // promdog stores no exemplars.
    return { data: '[]' };
  });

  const formatQuery = handler('format_query', false, async (ctx) => {
    try {
      return { data: JSON.stringify(prettyExpr(parseExpr(ctx.params.get('query')))) };
    } catch (e) {
      if (e instanceof ParseError) throw invalidParam('query', e.message);
      throw e;
    }
  });

  const exportRaw = handler('export', true, async (ctx) => {
    const p = ctx.params;
    if (p.all('match[]').length === 0) throw badData('no match[] parameter provided');
    const start = timeParam(p, 'start', MIN_TIME_MS);
    const end = timeParam(p, 'end', now());
    const sets = parseMatchers(p.all('match[]'));
    const source = deps.exportSourceFor ? deps.exportSourceFor(ctx.tenant) : querierExportSource(deps.querierFor(ctx.tenant));
    const seen = new Set<string>();
    const all: SeriesData[] = [];
    for (const set of sets) {
      for (const s of await source.exportSeries(set, start, end)) {
        const key = labelsKey(s.labels);
        if (seen.has(key)) continue;
        seen.add(key);
        all.push(s);
      }
    }
    all.sort((a, b) => compareLabels(a.labels, b.labels));
    return Readable.from((function* () {
      for (const s of all) if (s.timestamps.length > 0) yield exportLine(s);
    })());
  });

  const both = ['GET', 'POST'] as const;
  app.route({ method: [...both], url: '/api/v1/query', handler: query });
  app.route({ method: [...both], url: '/api/v1/query_range', handler: queryRange });
  app.get('/api/v1/series', series);
  if (deps.registerSeriesPost ?? true) app.post('/api/v1/series', series);
  app.route({ method: [...both], url: '/api/v1/labels', handler: labels });
  app.get('/api/v1/label/:name/values', labelValues);
  app.get('/api/v1/metadata', metadata);
  app.get('/api/v1/status/buildinfo', buildinfo);
  app.route({ method: [...both], url: '/api/v1/query_exemplars', handler: exemplars });
  app.route({ method: [...both], url: '/api/v1/format_query', handler: formatQuery });
  app.route({ method: [...both], url: '/api/v1/export', handler: exportRaw });
  return { seriesHandler: series };
}
