// Prometheus' HTTP query API (web/api/v1/api.go) over a tenant's Querier, so Grafana's Prometheus data source,
// promtool and curl work unchanged. One method per endpoint: it takes the request's parameters and tenant, checks the
// parameters like Prometheus and returns the `data` of the answer (or throws an ApiError); routes.ts puts it on HTTP
// with Prometheus' JSON envelope and codes. A tenant only ever reads its own Querier.
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Label, MetricMetadata } from '../model/prometheus.js';
import type {
  LabelMatcher,
  Querier,
  ReadHints,
  SelectHints,
  SeriesColumns,
  SeriesData,
  SeriesHints,
} from '../model/storage.js';
import { columnSamples, seriesDataOf } from '../model/series-columns.js';
import {
  Engine,
  PromQLError,
  queryResultJson,
  type EngineOptions,
  type QueryOptions,
  type RawResult,
} from '../promql/engine.js';
import { parseDurationParam } from '../promql/format.js';
import { compareLabels, labelsKey } from '../model/labels.js';
import { parseExpr, ParseError } from '../promql/parser.js';
import {
  ApiError,
  badData,
  durationParam,
  invalidParam,
  limitParam,
  MAX_TIME_MS,
  MIN_TIME_MS,
  parseFailure,
  parseMatchers,
  requiredTimeParam,
  timeParam,
  type Params,
} from './params.js';
import { prettyExpr } from '../promql/printer.js';
import { exportLine, labelsJson } from './export.js';

/** `/api/v1/status/buildinfo`: the fields Prometheus answers, and Mimir's where a Mimir API is served too. */
export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  goVersion: string;
  /** Mimir's: what Grafana checks, with `features`, before it offers to edit the server's rules. */
  application?: string;
  features?: Record<string, 'true' | 'false'>;
}

/** Raw samples for `/api/v1/export`. A Querier's `select` already is one. */
export interface ExportSource {
  exportSeries(matchers: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints): Promise<SeriesData[]>;
}

export interface QueryApiLimits {
  /** Samples a query may hold in memory (fetched plus intermediate results), like Prometheus' --query.max-samples. */
  maxSamples: number;
  /** Longest query evaluation, like --query.timeout; the `timeout` parameter may only lower it. */
  timeoutMs: number;
  /** Data-reading requests running at once, like --query.max-concurrency. */
  maxConcurrent: number;
  /** Data-reading requests of one tenant running at once. Default a quarter of maxConcurrent (at least 1). */
  maxConcurrentPerTenant?: number;
  /** Requests waiting for a slot (each at most its timeout); more are refused with 503. Default 4 × maxConcurrent. */
  maxQueued?: number;
  /** Requests of one tenant waiting for a slot; more are refused with 503. Default 4 × maxConcurrentPerTenant. */
  maxQueuedPerTenant?: number;
  /** Points per series of a range query. Default 11 000 (Prometheus' fixed limit). */
  maxPointsPerSeries?: number;
  /** Form-encoded POST bodies. Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface QueryApiOptions {
  querierFor(tenant: string): Querier;
  /** Metric metadata of a tenant for `/api/v1/metadata`. Default: none. */
  metadataFor?(tenant: string): Promise<MetricMetadata[]>;
  /** Raw-sample source for `/api/v1/export`. Default: the tenant's Querier. */
  exportSourceFor?(tenant: string): ExportSource;
  limits: QueryApiLimits;
  /** Engine settings other than the limits. Defaults: lookback 5m, subquery step 1m. */
  engine?: Pick<Partial<EngineOptions>, 'lookbackDeltaMs' | 'defaultSubqueryStepMs'>;
  buildInfo?: Partial<BuildInfo>;
  /** Clock for default query times (ms). Default Date.now. */
  now?: () => number;
}

/** A successful answer: the `data` JSON text plus annotations. */
export interface QueryApiResult {
  data: string;
  warnings?: string[];
  infos?: string[];
}

/** When a request arrived (performance.now()) and how long it waited for a concurrency slot (ms). */
export interface RequestTiming {
  arrivedAt: number;
  queuedMs: number;
}

const DEFAULT_LOOKBACK_MS = 5 * 60_000;
const PROMETHEUS_MAX_POINTS = 11_000;
const TRUNCATED = 'results truncated due to limit';

const arrivedNow = (): RequestTiming => ({ arrivedAt: performance.now(), queuedMs: 0 });

/**
 * What stops a storage read of the metadata endpoints and export, as the engine's signal stops a query: the request's
 * timeout (its time in the queue counted) or its client going away. Cleared when the read (or the export's stream)
 * is over.
 */
class ReadDeadline {
  private readonly stop = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly gone = () =>
    this.stop.abort(new ApiError('canceled', 'query canceled: the client went away', 499, 'canceled'));

  constructor(
    timeoutMs: number,
    private readonly client: AbortSignal | undefined,
  ) {
    const expire = () => this.stop.abort(new ApiError('timeout', 'query timed out in storage read', 503, 'timeout'));
    this.timer = setTimeout(expire, Math.max(0, timeoutMs));
    if (timeoutMs <= 0) expire();
    if (client?.aborted) this.gone();
    client?.addEventListener('abort', this.gone);
  }

  get signal(): AbortSignal {
    return this.stop.signal;
  }

  clear(): void {
    clearTimeout(this.timer);
    this.client?.removeEventListener('abort', this.gone);
  }

  /** Runs `read` bounded by the deadline, cleared after. */
  static async run<T>(timeoutMs: number, client: AbortSignal | undefined, read: (signal: AbortSignal) => Promise<T>) {
    const d = new ReadDeadline(timeoutMs, client);
    try {
      return await read(d.signal);
    } finally {
      d.clear();
    }
  }
}

/** Counts what a query reads from storage and when its last fetch finished (for `stats`). */
class CountingQuerier implements Querier {
  samples = 0;
  lastFetchEnd = 0;

  constructor(private readonly inner: Querier) {}

  async select(matchers: LabelMatcher[], mint: number, maxt: number, hints?: SelectHints): Promise<SeriesColumns> {
    const series = await this.inner.select(matchers, mint, maxt, hints);
    this.samples += columnSamples(series);
    this.lastFetchEnd = performance.now();
    return series;
  }

  series(matchers: LabelMatcher[], mint: number, maxt: number, hints?: SeriesHints): Promise<Label[][]> {
    return this.inner.series(matchers, mint, maxt, hints);
  }

  labelNames(matchers: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints): Promise<string[]> {
    return this.inner.labelNames(matchers, mint, maxt, hints);
  }

  labelValues(
    name: string,
    matchers: LabelMatcher[],
    mint: number,
    maxt: number,
    hints?: ReadHints,
  ): Promise<string[]> {
    return this.inner.labelValues(name, matchers, mint, maxt, hints);
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
      return { status: 499, type: 'canceled', reason: 'canceled' };
    case 'unavailable':
      return { status: 503, type: 'unavailable' };
    case 'internal':
      return { status: 500, type: 'internal' };
    default:
      return { status: 422, type: 'execution' };
  }
}

/** Any failure as an API error; the engine's parse and type errors name the `query` parameter like Prometheus. */
export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof PromQLError) {
    const { status, type, reason } = errorStatus(e);
    const msg = type === 'bad_data' ? `invalid parameter "query": ${e.message}` : e.message;
    return new ApiError(type, msg, status, e.limit ?? reason);
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

/** `values` cut to `limit` (0: no limit), with Prometheus' warning when cut. */
function stringList(values: string[], limit: number): QueryApiResult {
  const warnings: string[] = [];
  if (limit > 0 && values.length > limit) {
    values = values.slice(0, limit);
    warnings.push(TRUNCATED);
  }
  return { data: JSON.stringify(values), warnings };
}

/** start/end (defaults: all time) and the parsed `match[]` sets of the metadata endpoints. */
function rangeAndMatchers(p: Params) {
  const limit = limitParam(p);
  const start = timeParam(p, 'start', MIN_TIME_MS);
  const end = timeParam(p, 'end', MAX_TIME_MS);
  return { limit, start, end, sets: parseMatchers(p.all('match[]')) };
}

export class QueryApi {
  private readonly buildInfo: BuildInfo;
  private readonly now: () => number;

  constructor(private readonly opts: QueryApiOptions) {
    this.now = opts.now ?? Date.now;
    this.buildInfo = {
      // Grafana reads `version` as the Prometheus version it talks to (feature detection): promdog implements the
      // API and PromQL of Prometheus 3.5. The server passes promdog's own version in `revision` (opts.buildInfo).
      version: '3.5.0',
      revision: 'promdog',
      branch: 'promdog',
      buildUser: 'promdog',
      buildDate: '',
      goVersion: `node${process.versions.node}`,
      ...opts.buildInfo,
    };
  }

  /** `/api/v1/query`: `query` at `time` (default now). */
  async query(
    p: Params,
    tenant: string,
    timing: RequestTiming = arrivedNow(),
    signal?: AbortSignal,
  ): Promise<QueryApiResult> {
    const timeMs = timeParam(p, 'time', this.now());
    return this.runQuery(p, tenant, timing, signal, (engine, q, opts) =>
      engine.instantQueryRaw(q, p.get('query'), timeMs, opts),
    );
  }

  /** `/api/v1/query_range`: `query` from `start` to `end` every `step`. */
  async queryRange(
    p: Params,
    tenant: string,
    timing: RequestTiming = arrivedNow(),
    signal?: AbortSignal,
  ): Promise<QueryApiResult> {
    const start = requiredTimeParam(p, 'start');
    const end = requiredTimeParam(p, 'end');
    if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
    const step = durationParam(p, 'step');
    if (step <= 0)
      throw invalidParam(
        'step',
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    // For safety, Prometheus limits the points per series (60s resolution for a week, 1h for a year).
    const maxPoints = this.opts.limits.maxPointsPerSeries ?? PROMETHEUS_MAX_POINTS;
    if (Math.floor((end - start) / step) > maxPoints) {
      throw new ApiError(
        'bad_data',
        `exceeded maximum resolution of ${maxPoints.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`,
        400,
        'too_many_points',
      );
    }
    return this.runQuery(p, tenant, timing, signal, (engine, q, opts) =>
      engine.rangeQueryRaw(q, p.get('query'), start, end, step, opts),
    );
  }

  /** `/api/v1/series`: the label sets matching any `match[]`, sorted. */
  async series(
    p: Params,
    tenant: string,
    timing: RequestTiming = arrivedNow(),
    signal?: AbortSignal,
  ): Promise<QueryApiResult> {
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
    const q = this.opts.querierFor(tenant);
    let list = await ReadDeadline.run(this.timeoutMs(p, timing), signal, async (stop) => {
      // With a limit, each set's first limit + 1 (one more tells there are more): the first `limit` of the union are
      // among them. The store then selects instead of sorting every matching series.
      const hints = limit > 0 ? { limit: limit + 1, signal: stop } : { signal: stop };
      // One set's answer is sorted and unique already; several are merged.
      if (sets.length === 1) return q.series(sets[0]!, start, end, hints);
      const found = new Map<string, Label[]>();
      for (const set of sets) {
        for (const labels of await q.series(set, start, end, hints)) {
          const key = labelsKey(labels);
          if (!found.has(key)) found.set(key, labels);
        }
      }
      return [...found.values()].sort(compareLabels);
    });
    const warnings: string[] = [];
    if (limit > 0 && list.length > limit) {
      list = list.slice(0, limit);
      warnings.push(TRUNCATED);
    }
    return { data: `[${list.map(labelsJson).join(',')}]`, warnings };
  }

  /** `/api/v1/labels`: label names, of the series matching `match[]` when given. */
  async labels(
    p: Params,
    tenant: string,
    timing: RequestTiming = arrivedNow(),
    signal?: AbortSignal,
  ): Promise<QueryApiResult> {
    const { limit, start, end, sets } = rangeAndMatchers(p);
    const q = this.opts.querierFor(tenant);
    const names = new Set<string>();
    await ReadDeadline.run(this.timeoutMs(p, timing), signal, async (stop) => {
      for (const set of sets.length > 0 ? sets : [[]])
        for (const n of await q.labelNames(set, start, end, { signal: stop })) names.add(n);
    });
    return stringList([...names].sort(), limit);
  }

  /** `/api/v1/label/<name>/values`, `name` as it is in the path (Prometheus' `U__` escaping allowed). */
  async labelValues(
    name: string,
    p: Params,
    tenant: string,
    timing: RequestTiming = arrivedNow(),
    signal?: AbortSignal,
  ): Promise<QueryApiResult> {
    const label = unescapeLabelName(name);
    if (label === '') throw badData(`invalid label name: ${JSON.stringify(label)}`);
    const { limit, start, end, sets } = rangeAndMatchers(p);
    const q = this.opts.querierFor(tenant);
    const values = new Set<string>();
    await ReadDeadline.run(this.timeoutMs(p, timing), signal, async (stop) => {
      for (const set of sets.length > 0 ? sets : [[]])
        for (const v of await q.labelValues(label, set, start, end, { signal: stop })) values.add(v);
    });
    return stringList([...values].sort(), limit);
  }

  /** `/api/v1/metadata`: type, help and unit by metric name. */
  async metadata(p: Params, tenant: string): Promise<QueryApiResult> {
    const intParam = (name: string) => {
      const v = p.get(name);
      if (v === '') return -1;
      if (!/^[+-]?\d+$/.test(v)) throw badData(`${name} must be a number`);
      return Number(v);
    };
    const limit = intParam('limit');
    const limitPerMetric = intParam('limit_per_metric');
    const metric = p.get('metric');
    const all = this.opts.metadataFor ? await this.opts.metadataFor(tenant) : [];
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
  }

  /** `/api/v1/status/buildinfo`. */
  async buildinfo(): Promise<QueryApiResult> {
    return { data: JSON.stringify(this.buildInfo) };
  }

  /** `/api/v1/query_exemplars`: the parameters are checked; promdog stores no exemplars. */
  async queryExemplars(p: Params): Promise<QueryApiResult> {
    const start = timeParam(p, 'start', MIN_TIME_MS);
    const end = timeParam(p, 'end', MAX_TIME_MS);
    if (end < start) throw badData('end timestamp must not be before start timestamp');
    try {
      parseExpr(p.get('query'));
    } catch (e) {
      if (e instanceof ParseError) throw parseFailure(e);
      throw e;
    }
    return { data: '[]' };
  }

  /** `/api/v1/format_query`: `query` pretty-printed like Prometheus. */
  async formatQuery(p: Params): Promise<QueryApiResult> {
    try {
      return { data: JSON.stringify(prettyExpr(parseExpr(p.get('query')))) };
    } catch (e) {
      if (e instanceof ParseError) throw parseFailure(e, 'query');
      throw e;
    }
  }

  /**
   * `/api/v1/export`: the raw samples of the series matching `match[]`, one JSON line per series, sorted. The
   * request's timeout bounds the read and the stream: a client that stops reading is cut off at it.
   */
  async export(
    p: Params,
    tenant: string,
    timing: RequestTiming = arrivedNow(),
    signal?: AbortSignal,
  ): Promise<Readable> {
    if (p.all('match[]').length === 0) throw badData('no match[] parameter provided');
    const start = timeParam(p, 'start', MIN_TIME_MS);
    const end = timeParam(p, 'end', this.now());
    const sets = parseMatchers(p.all('match[]'));
    const source = this.opts.exportSourceFor?.(tenant) ?? this.querierExportSource(tenant);
    const deadline = new ReadDeadline(this.timeoutMs(p, timing), signal);
    const seen = new Set<string>();
    const all: SeriesData[] = [];
    try {
      for (const set of sets) {
        for (const s of await source.exportSeries(set, start, end, { signal: deadline.signal })) {
          const key = labelsKey(s.labels);
          if (seen.has(key)) continue;
          seen.add(key);
          all.push(s);
        }
      }
    } catch (e) {
      deadline.clear();
      throw e;
    }
    all.sort((a, b) => compareLabels(a.labels, b.labels));
    const stream = Readable.from(
      (function* () {
        // A series with native histogram samples only is exported too (its float arrays empty).
        for (const s of all)
          if (s.timestamps.length > 0 || (s.histograms?.timestamps.length ?? 0) > 0) yield exportLine(s);
      })(),
    );
    const cut = () => stream.destroy(deadline.signal.reason);
    deadline.signal.addEventListener('abort', cut);
    stream.once('close', () => {
      deadline.signal.removeEventListener('abort', cut);
      deadline.clear();
    });
    return stream;
  }

  private querierExportSource(tenant: string): ExportSource {
    const q = this.opts.querierFor(tenant);
    return {
      exportSeries: async (matchers, mint, maxt, hints) => seriesDataOf(await q.select(matchers, mint, maxt, hints)),
    };
  }

  /** The request's time limit: --query-timeout, lowered by its `timeout` parameter, less its time in the queue. */
  private timeoutMs(p: Params, timing: RequestTiming): number {
    let timeoutMs = this.opts.limits.timeoutMs;
    if (p.get('timeout') !== '') timeoutMs = Math.min(timeoutMs, durationParam(p, 'timeout'));
    return timeoutMs - timing.queuedMs;
  }

  /** Shared by instant and range queries: parameters, the engine run with limits, truncation and stats. */
  private async runQuery(
    p: Params,
    tenant: string,
    timing: RequestTiming,
    signal: AbortSignal | undefined,
    run: (engine: Engine, q: Querier, opts: QueryOptions) => Promise<RawResult>,
  ): Promise<QueryApiResult> {
    const limits = this.opts.limits;
    const limit = limitParam(p);
    const opts: QueryOptions = signal ? { signal } : {};
    if (p.get('lookback_delta') !== '') {
      try {
        opts.lookbackDeltaMs = parseDurationParam(p.get('lookback_delta'));
      } catch (e) {
        throw badData(`error parsing lookback delta duration: ${(e as Error).message}`);
      }
    }
    const defaultSubqueryStepMs = this.opts.engine?.defaultSubqueryStepMs;
    const engine = new Engine({
      lookbackDeltaMs: this.opts.engine?.lookbackDeltaMs ?? DEFAULT_LOOKBACK_MS,
      maxSamples: limits.maxSamples,
      // Time spent queueing counts against the query's timeout.
      timeoutMs: Math.max(0, this.timeoutMs(p, timing)),
      ...(defaultSubqueryStepMs !== undefined ? { defaultSubqueryStepMs } : {}),
    });
    const querier = new CountingQuerier(this.opts.querierFor(tenant));
    const evalStart = performance.now();
    let raw: RawResult;
    try {
      raw = await run(engine, querier, opts);
    } catch (e) {
      throw asApiError(e);
    }
    const evalEnd = performance.now();
    const warnings = [...raw.warnings];
    if (truncate(raw, limit)) warnings.push(TRUNCATED);
    let data = queryResultJson(raw);
    if (p.get('stats') !== '') {
      // Prometheus' BuiltinStats shape. Samples are those fetched from storage (Prometheus counts the samples in
      // each step's window, one per series and step for an instant selector, which is all an instant query reads);
      // the peak is the larger of that and the result (promdog fetches everything first).
      const prep = querier.lastFetchEnd > 0 ? (querier.lastFetchEnd - evalStart) / 1000 : 0;
      const evalTotal = (evalEnd - evalStart) / 1000;
      const stats = {
        timings: {
          evalTotalTime: evalTotal,
          resultSortTime: 0,
          queryPreparationTime: prep,
          innerEvalTime: Math.max(0, evalTotal - prep),
          execQueueTime: timing.queuedMs / 1000,
          execTotalTime: (performance.now() - timing.arrivedAt) / 1000,
        },
        samples: {
          totalQueryableSamples: querier.samples,
          peakSamples: Math.max(querier.samples, resultPoints(raw)),
        },
      };
      data = `${data.slice(0, -1)},"stats":${JSON.stringify(stats)}}`;
    }
    return { data, warnings, infos: raw.infos };
  }
}
