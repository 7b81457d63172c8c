// promdog's HTTP APIs as the console uses them: every request carries the signed-in tenant's key as
// `Authorization: Bearer`, so promdog answers with that tenant's data only.
import type { Labels } from './format.js';
import type { HistogramJson } from './histogram.js';
import type { ConsoleSession as Session, EventsAnswer, HostsAnswer } from '../../src/console/api-types.js';

const KEY_STORAGE = 'promdog.apiKey';

export type {
  ConsoleSession as Session,
  EventRow,
  EventsAnswer,
  HostRow,
  HostsAnswer,
} from '../../src/console/api-types.js';

/** A series of a range result: its float samples, its native histogram samples, or both, as Prometheus writes it. */
export interface MatrixSeries {
  metric: Labels;
  /** Left out when the series has no float sample. */
  values?: [number, string][];
  /** Left out when the series has no histogram sample. */
  histograms?: [number, HistogramJson][];
}

/** A sample of an instant vector: a float (`value`) or a native histogram (`histogram`). */
export interface VectorSample {
  metric: Labels;
  value?: [number, string];
  histogram?: [number, HistogramJson];
}

export type QueryData =
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

export interface QueryAnswer<D extends QueryData = QueryData> {
  data: D;
  warnings: string[];
  infos: string[];
}

/** An alert as `/api/v1/rules` and `/api/v1/alerts` show it (Prometheus' JSON): times RFC 3339, value as text. */
export interface AlertJson {
  labels: Labels;
  annotations: Labels;
  state: 'pending' | 'firing';
  activeAt: string;
  keepFiringSince?: string;
  /** Go's 'e' format (`2e+01`), `NaN`, `+Inf`, `-Inf`. */
  value: string;
}

export type RuleHealth = 'ok' | 'err' | 'unknown';

interface RuleJsonCommon {
  name: string;
  query: string;
  health: RuleHealth;
  lastError?: string;
  /** Seconds. */
  evaluationTime: number;
  /** RFC 3339; `0001-01-01T00:00:00Z` before the first evaluation. */
  lastEvaluation: string;
}

export interface AlertingRuleJson extends RuleJsonCommon {
  type: 'alerting';
  state: 'inactive' | 'pending' | 'firing';
  /** `for`, seconds. */
  duration: number;
  /** `keep_firing_for`, seconds. */
  keepFiringFor: number;
  labels: Labels;
  annotations: Labels;
  alerts: AlertJson[] | null;
}

export interface RecordingRuleJson extends RuleJsonCommon {
  type: 'recording';
  labels?: Labels;
}

export type RuleJson = AlertingRuleJson | RecordingRuleJson;

export interface RuleGroupJson {
  name: string;
  /** The rule file, or the ruler API namespace. */
  file: string;
  rules: RuleJson[];
  /** Seconds. */
  interval: number;
  limit: number;
  evaluationTime: number;
  lastEvaluation: string;
}

/** `/api/v1/rules`: `warnings` say when the rule files did not reload (the previous rules still run). */
export interface RulesAnswer {
  groups: RuleGroupJson[];
  warnings: string[];
}

/** An error answer: `message` is the API's own `error` text, shown to the user as it is. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorType: string,
  ) {
    super(message);
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

/** Called when a request is refused with 401 while signed in (the key was rotated or removed). */
let onUnauthorized: (message: string) => void = () => {};
export function setUnauthorizedHandler(fn: (message: string) => void): void {
  onUnauthorized = fn;
}

/**
 * fetch with the signed-in key; the Fetch API's own signature, so codemirror-promql can use it as its fetchFn.
 * No credentials: the key is the only one, and a 401 with `WWW-Authenticate: Basic` (the query API sends it for
 * Grafana) then never opens the browser's password prompt (Fetch standard, "HTTP-network-or-cache fetch": the
 * prompt needs credentials included).
 */
export function authorizedFetch(
  input: RequestInfo | URL,
  init: RequestInit = {},
  key = storedKey(),
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key) headers.set('authorization', `Bearer ${key}`);
  return fetch(input, { ...init, headers, credentials: 'omit' });
}

async function call<T>(path: string, init: RequestInit, key?: string | null): Promise<T> {
  const res = await authorizedFetch(path, init, key === undefined ? storedKey() : key);
  const text = await res.text();
  let body: { status?: string; error?: string; errorType?: string } & Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(`HTTP ${res.status}: ${text.slice(0, 300) || res.statusText}`, res.status, 'http');
  }
  if (!res.ok || body.status === 'error') {
    const err = new ApiError(body.error ?? `HTTP ${res.status}`, res.status, body.errorType ?? 'http');
    if (res.status === 401 && key === undefined) onUnauthorized(err.message);
    throw err;
  }
  return body as T;
}

/** GET /console/api/session with a candidate key (null: none, for --no-auth). */
export function fetchSession(key: string | null): Promise<Session> {
  return call<Session>('/console/api/session', {}, key);
}

export function fetchHosts(windowSeconds: number, signal?: AbortSignal): Promise<HostsAnswer> {
  return call<HostsAnswer>(`/console/api/hosts?window=${windowSeconds}`, signal ? { signal } : {});
}

/** GET /console/api/events: `params` are its filters (from, to, source, host, tag, priority, alert_type, text...). */
export function fetchEvents(params: Record<string, string>, signal?: AbortSignal): Promise<EventsAnswer> {
  return call<EventsAnswer>(`/console/api/events?${new URLSearchParams(params)}`, signal ? { signal } : {});
}

/** GET /api/v1/rules with the alerts inline; `type: 'alert'` leaves out recording rules. */
export function fetchRules(params: { type?: 'alert' }, signal?: AbortSignal): Promise<RulesAnswer> {
  return call<{ data: { groups: RuleGroupJson[] }; warnings?: string[] }>(
    `/api/v1/rules?${new URLSearchParams(params)}`,
    signal ? { signal } : {},
  ).then((r) => ({ groups: r.data.groups, warnings: r.warnings ?? [] }));
}

/** GET /api/v1/alerts: the tenant's pending and firing alerts. */
export function fetchAlerts(signal?: AbortSignal): Promise<AlertJson[]> {
  return call<{ data: { alerts: AlertJson[] } }>('/api/v1/alerts', signal ? { signal } : {}).then((r) => r.data.alerts);
}

function promPost<D extends QueryData>(
  path: string,
  params: Record<string, string | number>,
  signal?: AbortSignal,
): Promise<QueryAnswer<D>> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) body.set(k, String(v));
  return call<{ data: D; warnings?: string[]; infos?: string[] }>(path, {
    method: 'POST',
    body,
    ...(signal ? { signal } : {}),
  }).then((r) => ({
    data: r.data,
    warnings: r.warnings ?? [],
    infos: r.infos ?? [],
  }));
}

/** /api/v1/query_range; times and step in seconds. */
export function queryRange(query: string, startS: number, endS: number, stepS: number, signal?: AbortSignal) {
  return promPost<Extract<QueryData, { resultType: 'matrix' }>>(
    '/api/v1/query_range',
    { query, start: startS, end: endS, step: stepS },
    signal,
  );
}

/** /api/v1/query at `timeS` (seconds). */
export function queryInstant(query: string, timeS: number, signal?: AbortSignal) {
  return promPost('/api/v1/query', { query, time: timeS }, signal);
}
