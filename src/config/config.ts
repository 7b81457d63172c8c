import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { availableParallelism, totalmem } from 'node:os';
import { createSecureContext } from 'node:tls';
import { getHeapStatistics } from 'node:v8';
import { gatewayProblems } from './gateway-backends.js';

// `promdog serve` configuration. Precedence: command-line flag > PROMDOG_<FLAG> environment variable > YAML
// `--config` file > default. docs/configuration.md documents every key.

/** An outgoing HTTP endpoint: URL, extra headers, credentials, TLS trust, per-request timeout. */
export interface HttpTargetConfig {
  url: string;
  headers: Record<string, string>;
  basicAuth?: { username: string; password: string };
  bearerToken?: string;
  tlsCaFile?: string;
  tlsInsecureSkipVerify: boolean;
  timeoutMs: number;
}

/** A remote-write target or query URL: an endpoint that tells tenants apart by a header. */
export interface TenantBackendConfig extends HttpTargetConfig {
  /** Header carrying the tenant name; '' sends none. */
  tenantHeader: string;
  /**
   * `allow_mixed_tenants`: the operator accepts that several tenants' data meet here without a tenant header (one
   * Prometheus for everyone). Without it such a configuration is refused (mixed-tenants.ts).
   */
  allowMixedTenants: boolean;
}

export type RemoteWriteTargetConfig = TenantBackendConfig;

/** The Prometheus-compatible query API of gateway mode (--query-url): what the ruler and the query API read. */
export interface QueryUrlConfig extends TenantBackendConfig {
  /** Longest answer relayed to a query API client; longer ones are cut (`max_response_bytes`). */
  maxResponseBytes: number;
}

export type AlertmanagerConfig = HttpTargetConfig;

/** A tenant's own ruler settings. */
export interface TenantRulesConfig {
  /** Rule file patterns (globs). */
  ruleFiles: string[];
  /** Replaces the global Alertmanagers for this tenant when set. */
  alertmanagers?: AlertmanagerConfig[];
  /** Added to (and overriding) the global external labels for this tenant. */
  externalLabels: Record<string, string>;
}

/**
 * The default rule pack's monitors (`rules.default_pack`, docs/alerting.md): each can be turned off; durations in
 * ms; thresholds are fractions (0.9 = 90 %) except the load per core.
 */
export interface DefaultPackConfig {
  /** Evaluation interval of the pack's group; default rules.evaluation_interval. */
  intervalMs: number;
  hostNotReporting: { enabled: boolean; noDataMs: number; forMs: number; seenWithinMs: number };
  serviceCheck: { enabled: boolean; forMs: number };
  agentCheck: { enabled: boolean; forMs: number };
  diskInUse: { enabled: boolean; above: number; forMs: number };
  loadPerCore: { enabled: boolean; above: number; forMs: number };
  memoryUsable: { enabled: boolean; below: number; forMs: number };
}

export interface TenantConfig {
  name: string;
  /** Keys configured for the tenant; empty when its keys live in the data dir only. */
  apiKeys: string[];
  rules?: TenantRulesConfig;
  /** Gateway mode: the tenant's own remote-write targets, instead of the default ones (`remote_write`). */
  remoteWrite?: RemoteWriteTargetConfig[];
  /** Gateway mode: the tenant's own query API, instead of the default one (`query_url`). */
  queryUrl?: QueryUrlConfig;
  /** The tenant's own samples per second and burst (`limits` of the tenant), each over the global one. */
  samplesRate?: Partial<SamplesRateConfig>;
}

/** Samples per second a tenant may send (0 = no bound) and how many at once after a quiet spell. */
export interface SamplesRateConfig {
  samplesPerSecond: number;
  burst: number;
}

export interface ServeConfig {
  listen: { host: string; port: number };
  dataDir: string;
  remoteWrite: RemoteWriteTargetConfig[];
  /** UDP `HOST:PORT`, validated. */
  dogstatsdListen?: string;
  dogstatsdSocket?: string;
  dogstatsd: {
    tenant: string;
    hostname?: string;
    histogramAggregates?: string[];
    histogramPercentiles?: number[];
    maxContexts?: number;
    recvBufferSize?: number;
  };
  tls?: {
    certFile: string;
    keyFile: string;
    /** The oldest protocol version accepted. */
    minVersion: TlsVersion;
    /** OpenSSL cipher list: TLS 1.3 suites by their TLS_ names, TLS 1.2 ones by OpenSSL's. */
    ciphers: string;
  };
  noAuth: boolean;
  tenants: TenantConfig[];
  retentionMs: number;
  logLevel: string;
  limits: {
    maxCompressedBodyBytes: number;
    maxDecompressedBodyBytes: number;
    /** How long an intake request may take before it is answered 503; well under the Agent's 20 s timeout. */
    requestTimeoutMs: number;
    /** Worker threads that decompress and decode series bodies; 0 decodes on the main thread. */
    decodeWorkers: number;
    /** Datadog series, distributions and service checks one request may hold; 0 = no bound. */
    maxSeriesPerRequest: number;
    /** Bounds on each series, where set (the mapper's defaults elsewhere); 0 turns one off. */
    series: {
      maxMetricNameLength?: number;
      maxTagsPerSeries?: number;
      maxLabelNamesPerSeries?: number;
      maxLabelNameLength?: number;
      maxLabelValueLength?: number;
    };
    /** Open client connections at most; past it new ones are closed at once. */
    maxConnections: number;
    /** A connection must have sent its request headers this long after it opened or its last request began. */
    headerTimeoutMs: number;
    /** A keep-alive connection idle this long between requests is closed. */
    idleTimeoutMs: number;
    /** Every tenant's samples per second and burst, where given; a tenant's own go over them (samplesRateOf). */
    samplesRate: Partial<SamplesRateConfig>;
  };
  storage: {
    outOfOrderWindowMs: number;
    /** 0 = unlimited; default defaultMaxActiveSeriesPerTenant(). */
    maxActiveSeriesPerTenant: number;
  };
  query: {
    maxSamples: number;
    timeoutMs: number;
    maxConcurrent: number;
    /** Of one tenant; default a quarter of maxConcurrent (the query API decides). */
    maxConcurrentPerTenant?: number;
    lookbackDeltaMs: number;
  };
  mapping: {
    keepUtf8Names: boolean;
    quantiles?: number[];
    /** What a Datadog distribution point becomes; default the mapper's (quantiles). */
    distributions?: DistributionsConfig;
    seriesCacheSize?: number;
    seriesCacheIdleMs?: number;
  };
  selfmon: {
    /** How often promdog writes its own metrics into the `system` tenant; 0 = never. */
    scrapeIntervalMs: number;
  };
  rules: {
    /** Rule file patterns of tenant `default` (--rule-file); other tenants' are in `tenants`. */
    files: string[];
    evaluationIntervalMs: number;
    /** The default rule pack (--default-rules). */
    defaultRules: boolean;
    /** Its monitors' settings. */
    defaultPack: DefaultPackConfig;
    /** External labels of every tenant's alerts and templates; a tenant's own are added over them. */
    externalLabels: Record<string, string>;
    /** Prometheus --rules.alert.for-outage-tolerance. */
    forOutageToleranceMs: number;
    /** Prometheus --rules.alert.for-grace-period. */
    forGracePeriodMs: number;
    /** Prometheus --rules.alert.resend-delay. */
    resendDelayMs: number;
  };
  /** Alertmanagers of every tenant without its own list (--alertmanager-url). */
  alertmanagers: AlertmanagerConfig[];
  /** Gateway mode's query source of every tenant without its own (--query-url): the ruler's and the query API's. */
  queryUrl?: QueryUrlConfig;
  /** The URL promdog is reached at, for alerts' generator links (--external-url); default the listen URL. */
  externalUrl?: string;
  events: {
    /** How long events are kept; default the store's --retention. */
    retentionMs: number;
    /** Bytes of event segments per tenant; past it the oldest go. */
    maxBytesPerTenant: number;
  };
}

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** `mapping.distributions`: quantile gauges, a native histogram, or both. */
export type DistributionsConfig = 'quantiles' | 'native_histogram' | 'both';
const DISTRIBUTIONS: readonly DistributionsConfig[] = ['quantiles', 'native_histogram', 'both'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const MiB = 1024 * 1024;

export const DEFAULTS = {
  listen: '0.0.0.0:9099',
  dataDir: './data',
  retention: '15d',
  logLevel: 'info',
  maxCompressedBodyBytes: 10 * MiB,
  maxDecompressedBodyBytes: 64 * MiB,
  requestTimeout: '15s',
  remoteWriteTimeout: '5s',
  tenantHeader: 'X-Scope-OrgID',
  outOfOrderWindow: '10m',
  // Points held at once: a step of an instant-vector series (9 bytes) or a fetched sample (16 bytes); 20M keeps one
  // query under ~300 MiB. Prometheus' 50M counts only values present.
  queryMaxSamples: 20_000_000,
  queryTimeout: '2m',
  queryMaxConcurrency: 20,
  lookbackDelta: '5m',
  selfScrapeInterval: '15s',
  ruleEvaluationInterval: '1m',
  forOutageTolerance: '1h',
  forGracePeriod: '10m',
  resendDelay: '1m',
  alertmanagerTimeout: '10s',
  queryUrlTimeout: '2m',
  queryUrlMaxResponseBytes: 64 * MiB,
  eventsMaxBytesPerTenant: 1024 * MiB,
  maxSeriesPerRequest: 100_000,
  maxConnections: 4096,
  headerTimeout: '10s',
  idleTimeout: '72s',
  /**
   * A burst not configured holds this many seconds of the tenant's samples per second: above the Agent's 15 s
   * flush interval, so an Agent sending steadily under the rate posts each flush at once (Mimir's default is 20 s).
   */
  samplesBurstSeconds: 20,
  tlsMinVersion: 'TLSv1.2',
  /** TLS 1.3's suites, then TLS 1.2's with forward secrecy (ECDHE) and authenticated encryption (GCM, ChaCha20). */
  tlsCiphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
} as const;

/** The default rule pack's settings as `rules.default_pack` spells them (docs/alerting.md explains each). */
export const DEFAULT_PACK_DEFAULTS = {
  host_not_reporting: { no_data: '3m', for: '2m', seen_within: '1h' },
  service_check: { for: '0s' },
  agent_check: { for: '5m' },
  disk_in_use: { above: 0.9, for: '5m' },
  load_per_core: { above: 1.5, for: '10m' },
  memory_usable: { below: 0.1, for: '5m' },
} as const;

export function parseHostPort(v: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(v.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${what}: expected HOST:PORT, got "${v}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Durations like `15d`, `1h30m`, `500ms`, `10s`, or a bare number of seconds. */
/** Decode workers for this machine: every core but the one the main thread uses, at least 1, at most 4. */
export function defaultDecodeWorkers(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

export function parseDurationMs(v: string | number, what: string): number {
  if (typeof v === 'number') return v * 1000;
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
    y: 31_536_000_000,
  };
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length || s.length === 0)
    throw new ConfigError(`${what}: invalid duration "${v}" (examples: 15d, 1h30m, 500ms)`);
  return total;
}

function parseBytes(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.floor(v);
  if (typeof v === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(v.trim());
    if (m) {
      const mult: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: MiB, gb: 1e9, gib: 1024 * MiB };
      return Math.floor(Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()]!);
    }
  }
  throw new ConfigError(`${what}: expected a size in bytes (e.g. 10MiB), got ${JSON.stringify(v)}`);
}

/** Memory an active series takes, with room to spare (~2.8 KiB of heap measured for an Agent series of 8 labels). */
const ACTIVE_SERIES_BYTES = 4096;

/**
 * The default active-series limit of each tenant: half of the memory the process may use (the V8 heap limit, or the
 * machine's or container's memory when smaller) at ACTIVE_SERIES_BYTES each, in thousands.
 */
export function defaultMaxActiveSeriesPerTenant(
  heapLimit = getHeapStatistics().heap_size_limit,
  memory = usableMemory(),
): number {
  return Math.max(1000, Math.floor(Math.min(heapLimit, memory) / 2 / ACTIVE_SERIES_BYTES / 1000) * 1000);
}

/** The machine's memory, or the container's (cgroup) limit when it is smaller. */
function usableMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}

/** `TLS1.2`, `TLS1.3` (or Node's spelling, `TLSv1.2`) as Node's TLS version. */
function parseTlsVersion(v: string, what: string): TlsVersion {
  const m = /^TLSv?1\.([23])$/i.exec(v.trim());
  if (!m) throw new ConfigError(`${what}: expected TLS1.2 or TLS1.3, got "${v}"`);
  return m[1] === '2' ? 'TLSv1.2' : 'TLSv1.3';
}

/** An OpenSSL cipher list, refused here when OpenSSL knows none of it. */
function parseTlsCiphers(v: string, what: string): string {
  try {
    createSecureContext({ ciphers: v });
  } catch (e) {
    throw new ConfigError(`${what}: ${(e as Error).message} in "${v}"`);
  }
  return v;
}

function parseBool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(1|true|yes|on)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(0|false|no|off|)$/i.test(v)) return false;
  throw new ConfigError(`${what}: expected true or false, got ${JSON.stringify(v)}`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${where}.${key}: expected a string`);
  return v;
}

function checkKeys(o: Obj, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (known: ${allowed.join(', ')})`);
  }
}

export const TENANT_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;

const HTTP_TARGET_KEYS = ['url', 'headers', 'basic_auth', 'bearer_token', 'tls', 'timeout'];

/** An outgoing HTTP endpoint: a bare URL or {url, headers, basic_auth, bearer_token, tls, timeout, ...extraKeys}. */
function parseHttpTarget(
  v: unknown,
  where: string,
  defaultTimeout: string,
  extraKeys: string[] = [],
): { target: HttpTargetConfig; fields: Obj } {
  if (typeof v === 'string') v = { url: v };
  if (!isObj(v)) throw new ConfigError(`${where}: expected a URL or an object with url`);
  checkKeys(v, [...HTTP_TARGET_KEYS, ...extraKeys], where);
  const url = str(v, 'url', where);
  if (!url) throw new ConfigError(`${where}.url is required`);
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`${where}.url: not an http(s) URL: "${url}"`);
  }
  const headers: Record<string, string> = {};
  if (v.headers !== undefined) {
    if (!isObj(v.headers)) throw new ConfigError(`${where}.headers: expected a map of header: value`);
    for (const [k, hv] of Object.entries(v.headers)) headers[k] = String(hv);
  }
  const target: HttpTargetConfig = {
    url,
    headers,
    tlsInsecureSkipVerify: false,
    timeoutMs: parseDurationMs((v.timeout as string | undefined) ?? defaultTimeout, `${where}.timeout`),
  };
  if (v.basic_auth !== undefined) {
    if (!isObj(v.basic_auth)) throw new ConfigError(`${where}.basic_auth: expected {username, password}`);
    target.basicAuth = {
      username: str(v.basic_auth, 'username', `${where}.basic_auth`) ?? '',
      password: str(v.basic_auth, 'password', `${where}.basic_auth`) ?? '',
    };
  }
  const bearer = str(v, 'bearer_token', where);
  if (bearer) target.bearerToken = bearer;
  if (v.tls !== undefined) {
    if (!isObj(v.tls)) throw new ConfigError(`${where}.tls: expected {ca_file, insecure_skip_verify}`);
    checkKeys(v.tls, ['ca_file', 'insecure_skip_verify'], `${where}.tls`);
    const ca = str(v.tls, 'ca_file', `${where}.tls`);
    if (ca) target.tlsCaFile = ca;
    if (v.tls.insecure_skip_verify !== undefined)
      target.tlsInsecureSkipVerify = parseBool(v.tls.insecure_skip_verify, `${where}.tls.insecure_skip_verify`);
  }
  return { target, fields: v };
}

const TENANT_BACKEND_KEYS = ['tenant_header', 'allow_mixed_tenants'];

/** The tenant header (default X-Scope-OrgID) and allow_mixed_tenants of a remote-write target or query URL. */
function tenantBackend(target: HttpTargetConfig, fields: Obj, where: string): TenantBackendConfig {
  return {
    ...target,
    tenantHeader: str(fields, 'tenant_header', where) ?? DEFAULTS.tenantHeader,
    allowMixedTenants: parseBool(fields.allow_mixed_tenants ?? false, `${where}.allow_mixed_tenants`),
  };
}

function parseRemoteWrite(v: unknown, where: string): RemoteWriteTargetConfig {
  const { target, fields } = parseHttpTarget(v, where, DEFAULTS.remoteWriteTimeout, TENANT_BACKEND_KEYS);
  return tenantBackend(target, fields, where);
}

function parseRemoteWriteList(v: unknown, where: string): RemoteWriteTargetConfig[] {
  if (!Array.isArray(v)) throw new ConfigError(`${where}: expected a list of targets`);
  return v.map((t, i) => parseRemoteWrite(t, `${where}[${i}]`));
}

function parseQueryUrl(v: unknown, where: string): QueryUrlConfig {
  const { target, fields } = parseHttpTarget(v, where, DEFAULTS.queryUrlTimeout, [
    ...TENANT_BACKEND_KEYS,
    'max_response_bytes',
  ]);
  return {
    ...tenantBackend(target, fields, where),
    maxResponseBytes: parseBytes(
      fields.max_response_bytes ?? DEFAULTS.queryUrlMaxResponseBytes,
      `${where}.max_response_bytes`,
    ),
  };
}

function parseAlertmanagers(v: unknown, where: string): AlertmanagerConfig[] {
  if (!Array.isArray(v)) throw new ConfigError(`${where}: expected a list of Alertmanagers`);
  return v.map((a, i) => parseHttpTarget(a, `${where}[${i}]`, DEFAULTS.alertmanagerTimeout).target);
}

function parseLabels(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new ConfigError(`${where}: expected a map of label: value`);
  const out: Record<string, string> = {};
  for (const [k, lv] of Object.entries(v)) {
    if (k === '' || k === '__name__') throw new ConfigError(`${where}: invalid label name "${k}"`);
    if (typeof lv === 'object' && lv !== null) throw new ConfigError(`${where}.${k}: expected a string`);
    out[k] = String(lv ?? '');
  }
  return out;
}

function stringList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new ConfigError(`${where}: expected a list of strings`);
  return v as string[];
}

/**
 * `rules.default_pack`: per monitor `enabled` and its threshold and durations, each defaulting to
 * DEFAULT_PACK_DEFAULTS; `interval` defaults to the rules' evaluation interval.
 */
function parseDefaultPack(v: unknown, evaluationIntervalMs: number): DefaultPackConfig {
  const where = 'rules.default_pack';
  if (v !== undefined && v !== null && !isObj(v))
    throw new ConfigError(`${where}: expected a map of monitor: settings`);
  const pack: Obj = v ?? {};
  checkKeys(pack, ['interval', ...Object.keys(DEFAULT_PACK_DEFAULTS)], where);
  /** One monitor's settings, each looked up with its default. */
  const monitor = <M extends keyof typeof DEFAULT_PACK_DEFAULTS>(name: M) => {
    const at = `${where}.${name}`;
    const own = pack[name] ?? {};
    if (!isObj(own)) throw new ConfigError(`${at}: expected a map of setting: value`);
    const defaults: Obj = DEFAULT_PACK_DEFAULTS[name];
    checkKeys(own, ['enabled', ...Object.keys(defaults)], at);
    const duration = (key: string): number => parseDurationMs(String(own[key] ?? defaults[key]), `${at}.${key}`);
    const number = (key: string, ok: (n: number) => boolean, expected: string): number => {
      const n = own[key] ?? defaults[key];
      if (typeof n !== 'number' || !ok(n))
        throw new ConfigError(`${at}.${key}: expected ${expected}, got ${JSON.stringify(n)}`);
      return n;
    };
    const fraction = (key: string, example: string) =>
      number(key, (n) => n > 0 && n < 1, `a fraction between 0 and 1 (${example})`);
    return { enabled: parseBool(own.enabled ?? true, `${at}.enabled`), duration, number, fraction };
  };
  const host = monitor('host_not_reporting');
  const hostNotReporting = {
    enabled: host.enabled,
    noDataMs: host.duration('no_data'),
    forMs: host.duration('for'),
    seenWithinMs: host.duration('seen_within'),
  };
  if (!(hostNotReporting.noDataMs > 0))
    throw new ConfigError(`${where}.host_not_reporting.no_data: must be longer than 0`);
  if (hostNotReporting.seenWithinMs <= hostNotReporting.noDataMs)
    throw new ConfigError(
      `${where}.host_not_reporting.seen_within: must be longer than no_data, or no host can be both seen and silent`,
    );
  const service = monitor('service_check');
  const agent = monitor('agent_check');
  const disk = monitor('disk_in_use');
  const load = monitor('load_per_core');
  const memory = monitor('memory_usable');
  const intervalMs =
    pack.interval === undefined ? evaluationIntervalMs : parseDurationMs(String(pack.interval), `${where}.interval`);
  if (!(intervalMs > 0)) throw new ConfigError(`${where}.interval: must be longer than 0`);
  return {
    intervalMs,
    hostNotReporting,
    serviceCheck: { enabled: service.enabled, forMs: service.duration('for') },
    agentCheck: { enabled: agent.enabled, forMs: agent.duration('for') },
    diskInUse: {
      enabled: disk.enabled,
      above: disk.fraction('above', '0.9 = 90 % in use'),
      forMs: disk.duration('for'),
    },
    loadPerCore: {
      enabled: load.enabled,
      above: load.number(
        'above',
        (n) => n > 0 && Number.isFinite(n),
        'a number of runnable processes per core above 0',
      ),
      forMs: load.duration('for'),
    },
    memoryUsable: {
      enabled: memory.enabled,
      below: memory.fraction('below', '0.1 = 10 % of the memory usable'),
      forMs: memory.duration('for'),
    },
  };
}

const TENANT_KEYS = [
  'name',
  'api_keys',
  'rule_files',
  'alertmanagers',
  'external_labels',
  'remote_write',
  'query_url',
  'limits',
];
const SAMPLES_RATE_KEYS = ['samples_per_second', 'samples_burst'];

/** `samples_per_second` and `samples_burst` of a `limits` map, where given: non-negative and positive integers. */
function parseSamplesRate(o: Obj, where: string): Partial<SamplesRateConfig> {
  const out: Partial<SamplesRateConfig> = {};
  const int = (key: string, min: number): number => {
    const n = Number(o[key]);
    if (!Number.isInteger(n) || n < min)
      throw new ConfigError(
        `${where}.${key}: expected a ${min === 0 ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(o[key])}`,
      );
    return n;
  };
  if (o.samples_per_second !== undefined) out.samplesPerSecond = int('samples_per_second', 0);
  if (o.samples_burst !== undefined) out.burst = int('samples_burst', 1);
  return out;
}

/**
 * A tenant's samples per second: its own `limits`, each key over the global one; undefined when not bounded. A
 * burst not given holds DEFAULTS.samplesBurstSeconds of the rate.
 */
export function samplesRateOf(
  cfg: Pick<ServeConfig, 'limits' | 'tenants'>,
  tenant: string,
): SamplesRateConfig | undefined {
  const own = cfg.tenants.find((t) => t.name === tenant)?.samplesRate;
  const global = cfg.limits.samplesRate;
  const samplesPerSecond = own?.samplesPerSecond ?? global.samplesPerSecond ?? 0;
  if (samplesPerSecond === 0) return undefined;
  // The global burst goes with the global rate: a tenant with its own rate and no burst gets the default one.
  const burst =
    own?.burst ??
    (own?.samplesPerSecond === undefined ? global.burst : undefined) ??
    samplesPerSecond * DEFAULTS.samplesBurstSeconds;
  return { samplesPerSecond, burst };
}

/**
 * `tenants`: a list of {name, api_keys, rule_files, alertmanagers, external_labels, remote_write, query_url}, or a
 * map of name → the same without name. Relative rule file patterns are taken from the config file's directory, as
 * Prometheus does.
 */
function parseTenants(v: unknown, configDir: string): TenantConfig[] {
  if (v === undefined || v === null) return [];
  let entries: [string, unknown][];
  if (Array.isArray(v)) entries = v.map((t, i) => [`tenants[${i}]`, t]);
  else if (isObj(v))
    entries = Object.entries(v).map(([name, t]) => [`tenants.${name}`, { ...(isObj(t) ? t : {}), name }]);
  else throw new ConfigError('tenants: expected a list of {name, api_keys, ...} or a map of name: {api_keys, ...}');
  const seen = new Set<string>();
  return entries.map(([where, t]) => {
    if (!isObj(t)) throw new ConfigError(`${where}: expected {name, api_keys}`);
    checkKeys(t, TENANT_KEYS, where);
    const name = str(t, 'name', where);
    if (!name || !TENANT_NAME_RE.test(name)) throw new ConfigError(`${where}.name: must match ${TENANT_NAME_RE}`);
    if (seen.has(name)) throw new ConfigError(`${where}.name: tenant "${name}" declared twice`);
    seen.add(name);
    const keys = t.api_keys ?? [];
    const settingsOnly = t.api_keys === undefined;
    if (
      !Array.isArray(keys) ||
      (!settingsOnly && keys.length === 0) ||
      keys.some((k) => typeof k !== 'string' || k.length < 8)
    ) {
      throw new ConfigError(`${where}.api_keys: expected a non-empty list of keys of at least 8 characters`);
    }
    const rules: TenantRulesConfig = {
      ruleFiles: stringList(t.rule_files, `${where}.rule_files`).map((f) => resolve(configDir, f)),
      externalLabels: parseLabels(t.external_labels, `${where}.external_labels`),
    };
    if (t.alertmanagers !== undefined && t.alertmanagers !== null)
      rules.alertmanagers = parseAlertmanagers(t.alertmanagers, `${where}.alertmanagers`);
    const tenant: TenantConfig = { name, apiKeys: keys as string[], rules };
    if (t.remote_write !== undefined && t.remote_write !== null) {
      tenant.remoteWrite = parseRemoteWriteList(t.remote_write, `${where}.remote_write`);
      if (tenant.remoteWrite.length === 0)
        throw new ConfigError(
          `${where}.remote_write: expected at least one target (leave it out for the default ones)`,
        );
    }
    if (t.query_url !== undefined && t.query_url !== null)
      tenant.queryUrl = parseQueryUrl(t.query_url, `${where}.query_url`);
    if (t.limits !== undefined && t.limits !== null) {
      if (!isObj(t.limits)) throw new ConfigError(`${where}.limits: expected {samples_per_second, samples_burst}`);
      checkKeys(t.limits, SAMPLES_RATE_KEYS, `${where}.limits`);
      tenant.samplesRate = parseSamplesRate(t.limits, `${where}.limits`);
    }
    return tenant;
  });
}

const FLAG_SPEC = {
  listen: { type: 'string' },
  'data-dir': { type: 'string' },
  'remote-write-url': { type: 'string', multiple: true },
  'dogstatsd-listen': { type: 'string' },
  'dogstatsd-socket': { type: 'string' },
  'dogstatsd-tenant': { type: 'string' },
  config: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-min-version': { type: 'string' },
  'tls-ciphers': { type: 'string' },
  'max-connections': { type: 'string' },
  'no-auth': { type: 'boolean' },
  retention: { type: 'string' },
  'query-max-samples': { type: 'string' },
  'query-timeout': { type: 'string' },
  'query-max-concurrency': { type: 'string' },
  'query-max-concurrency-per-tenant': { type: 'string' },
  'log-level': { type: 'string' },
  'self-scrape-interval': { type: 'string' },
  'rule-file': { type: 'string', multiple: true },
  'rule-evaluation-interval': { type: 'string' },
  'alertmanager-url': { type: 'string', multiple: true },
  'query-url': { type: 'string' },
  'external-url': { type: 'string' },
  'default-rules': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const SERVE_USAGE = `Usage: promdog serve [flags]

Flags (each also settable as PROMDOG_<FLAG> in the environment, e.g. PROMDOG_DATA_DIR, and in the --config YAML):
  --listen HOST:PORT           HTTP listener: Datadog intake, query API, console, /metrics (default ${DEFAULTS.listen})
  --data-dir DIR               embedded store, tenant keys and host-tag cache (default ${DEFAULTS.dataDir})
  --remote-write-url URL       gateway mode: remote-write samples to this Prometheus endpoint (repeatable;
                               env: comma-separated)
  --dogstatsd-listen HOST:PORT DogStatsD over UDP (off unless given)
  --dogstatsd-socket PATH      DogStatsD over a unix datagram socket (off unless given)
  --dogstatsd-tenant NAME      tenant DogStatsD data is written to (default "default")
  --config FILE                YAML configuration (tenants, remote-write targets, limits, mapping)
  --tls-cert FILE --tls-key FILE  serve HTTPS
  --tls-min-version VERSION    oldest TLS version accepted: TLS1.2 or TLS1.3 (default TLS1.2)
  --tls-ciphers LIST           OpenSSL cipher list (default: TLS 1.3's suites and TLS 1.2's ECDHE with AES-GCM or
                               ChaCha20-Poly1305)
  --max-connections N          open client connections at most; past it new ones are closed (default ${DEFAULTS.maxConnections})
  --no-auth                    accept requests without an API key; all data goes to tenant "default"
  --retention DURATION         embedded store retention (default ${DEFAULTS.retention})
  --query-max-samples N        points one query may hold at once: samples fetched plus a slot per step of every
                               series of every intermediate result (default ${DEFAULTS.queryMaxSamples})
  --query-timeout DURATION     query time limit (default ${DEFAULTS.queryTimeout})
  --query-max-concurrency N    queries evaluated at once; more wait in a bounded queue (default ${DEFAULTS.queryMaxConcurrency})
  --query-max-concurrency-per-tenant N  queries of one tenant evaluated at once; its others wait in its own queue,
                               taking turns with other tenants' (default a quarter of --query-max-concurrency)
  --log-level LEVEL            trace, debug, info, warn, error (default ${DEFAULTS.logLevel})
  --self-scrape-interval DURATION  write promdog's own metrics into tenant "system" this often; 0 turns it off
                               (default ${DEFAULTS.selfScrapeInterval})
  --rule-file PATH             Prometheus rule file (glob allowed) of tenant "default"; repeatable (env:
                               comma-separated); other tenants' in the --config YAML
  --rule-evaluation-interval DURATION  interval of rule groups that set none (default ${DEFAULTS.ruleEvaluationInterval})
  --alertmanager-url URL       Alertmanager to send alerts to (API v2); repeatable (env: comma-separated)
  --query-url URL              gateway mode: the backend's Prometheus-compatible query API, which promdog's
                               query API, console and rules read (per tenant in the --config YAML)
  --external-url URL           the URL promdog is reached at, for alert links (default: the listen URL)
  --default-rules BOOL         load the default rule pack for every tenant but "system" (default true)
`;

/** Builds the serve configuration from argv (after `serve`), the environment and the YAML file. */
export function loadServeConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeConfig & { help: boolean } {
  let flags: Record<string, unknown>;
  try {
    flags = parseArgs({ args: argv, options: FLAG_SPEC, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${SERVE_USAGE}`);
  }
  const envOf = (flag: string) => env[`PROMDOG_${flag.toUpperCase().replace(/-/g, '_')}`];
  const configFile = (flags.config as string | undefined) ?? envOf('config');
  let file: Obj = {};
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`--config: cannot read ${configFile}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new ConfigError(`--config ${configFile}: invalid YAML: ${(e as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined && !isObj(parsed))
      throw new ConfigError(`--config ${configFile}: expected a mapping at the top level`);
    file = (parsed as Obj) ?? {};
    checkKeys(
      file,
      [
        'listen',
        'data_dir',
        'remote_write',
        'dogstatsd_listen',
        'dogstatsd_socket',
        'dogstatsd',
        'tls',
        'no_auth',
        'tenants',
        'retention',
        'log_level',
        'limits',
        'mapping',
        'storage',
        'query',
        'selfmon',
        'rules',
        'alertmanagers',
        'query_url',
        'external_url',
        'events',
      ],
      configFile,
    );
  }
  const configDir = configFile ? dirname(resolve(configFile)) : process.cwd();
  // flag > env > file; `fileKey` is the YAML name of the same setting.
  const pick = (flag: string, fileKey: string): unknown => flags[flag] ?? envOf(flag) ?? file[fileKey];

  const rwFlag = flags['remote-write-url'] as string[] | undefined;
  const rwEnv = envOf('remote-write-url');
  let remoteWrite: RemoteWriteTargetConfig[];
  if (rwFlag?.length) remoteWrite = rwFlag.map((u) => parseRemoteWrite(u, '--remote-write-url'));
  else if (rwEnv)
    remoteWrite = rwEnv
      .split(',')
      .filter(Boolean)
      .map((u) => parseRemoteWrite(u, 'PROMDOG_REMOTE_WRITE_URL'));
  else if (file.remote_write !== undefined) remoteWrite = parseRemoteWriteList(file.remote_write, 'remote_write');
  else remoteWrite = [];

  const fileTls = isObj(file.tls) ? file.tls : {};
  const certFile =
    (flags['tls-cert'] as string | undefined) ?? envOf('tls-cert') ?? (fileTls.cert_file as string | undefined);
  const keyFile =
    (flags['tls-key'] as string | undefined) ?? envOf('tls-key') ?? (fileTls.key_file as string | undefined);
  if (Boolean(certFile) !== Boolean(keyFile)) throw new ConfigError('--tls-cert and --tls-key go together');
  checkKeys(fileTls, ['cert_file', 'key_file', 'min_version', 'ciphers'], 'tls');
  const tlsMinVersion = parseTlsVersion(
    String(
      (flags['tls-min-version'] as string | undefined) ??
        envOf('tls-min-version') ??
        fileTls.min_version ??
        DEFAULTS.tlsMinVersion,
    ),
    '--tls-min-version',
  );
  const tlsCiphers = parseTlsCiphers(
    String(
      (flags['tls-ciphers'] as string | undefined) ?? envOf('tls-ciphers') ?? fileTls.ciphers ?? DEFAULTS.tlsCiphers,
    ),
    '--tls-ciphers',
  );

  const limits = isObj(file.limits) ? file.limits : {};
  checkKeys(
    limits,
    [
      'max_compressed_body_bytes',
      'max_decompressed_body_bytes',
      'request_timeout',
      'decode_workers',
      'max_series_per_request',
      'max_metric_name_length',
      'max_tags_per_series',
      'max_label_names_per_series',
      'max_label_name_length',
      'max_label_value_length',
      'max_connections',
      'header_timeout',
      'idle_timeout',
      ...SAMPLES_RATE_KEYS,
    ],
    'limits',
  );
  const storageCfg = isObj(file.storage) ? file.storage : {};
  checkKeys(storageCfg, ['out_of_order_window', 'max_active_series_per_tenant'], 'storage');
  const queryCfg = isObj(file.query) ? file.query : {};
  checkKeys(
    queryCfg,
    ['max_samples', 'timeout', 'max_concurrency', 'max_concurrency_per_tenant', 'lookback_delta'],
    'query',
  );
  const perTenantConcurrency =
    pick('query-max-concurrency-per-tenant', '') ?? queryCfg.max_concurrency_per_tenant ?? undefined;
  const positiveDuration = (v: unknown, what: string): number => {
    const ms = parseDurationMs(String(v), what);
    if (!(ms > 0)) throw new ConfigError(`${what}: must be longer than 0`);
    return ms;
  };
  const positiveInt = (v: unknown, what: string, allowZero = false): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
      throw new ConfigError(
        `${what}: expected a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}`,
      );
    return n;
  };
  const mapping = isObj(file.mapping) ? file.mapping : {};
  const selfmon = isObj(file.selfmon) ? file.selfmon : {};
  checkKeys(selfmon, ['scrape_interval'], 'selfmon');
  checkKeys(
    mapping,
    ['keep_utf8_names', 'quantiles', 'distributions', 'series_cache_size', 'series_cache_idle'],
    'mapping',
  );
  const eventsCfg = isObj(file.events) ? file.events : {};
  checkKeys(eventsCfg, ['retention', 'max_bytes_per_tenant'], 'events');
  const retentionMs = parseDurationMs(String(pick('retention', 'retention') ?? DEFAULTS.retention), '--retention');

  const dsdListen = pick('dogstatsd-listen', 'dogstatsd_listen') as string | undefined;
  const dsd = isObj(file.dogstatsd) ? file.dogstatsd : {};
  checkKeys(
    dsd,
    ['tenant', 'hostname', 'histogram_aggregates', 'histogram_percentiles', 'max_contexts', 'recv_buffer_size'],
    'dogstatsd',
  );
  const dsdTenant = String(
    (flags['dogstatsd-tenant'] as string | undefined) ?? envOf('dogstatsd-tenant') ?? dsd.tenant ?? 'default',
  );
  if (!TENANT_NAME_RE.test(dsdTenant)) throw new ConfigError(`--dogstatsd-tenant: must match ${TENANT_NAME_RE}`);
  const strList = (v: unknown, what: string): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw new ConfigError(`${what}: expected a list`);
    return v.map(String);
  };
  const dsdSocket = pick('dogstatsd-socket', 'dogstatsd_socket') as string | undefined;
  const rulesCfg = isObj(file.rules) ? file.rules : {};
  checkKeys(
    rulesCfg,
    [
      'files',
      'evaluation_interval',
      'default_rules',
      'default_pack',
      'external_labels',
      'for_outage_tolerance',
      'for_grace_period',
      'resend_delay',
    ],
    'rules',
  );
  const listFlag = (flag: string): string[] | undefined => {
    const fromFlag = flags[flag] as string[] | undefined;
    if (fromFlag?.length) return fromFlag;
    const fromEnv = envOf(flag);
    return fromEnv ? fromEnv.split(',').filter(Boolean) : undefined;
  };
  const ruleFiles =
    listFlag('rule-file') ?? stringList(rulesCfg.files, 'rules.files').map((f) => resolve(configDir, f));
  const amUrls = listFlag('alertmanager-url');
  const alertmanagers = amUrls
    ? parseAlertmanagers(amUrls, '--alertmanager-url')
    : file.alertmanagers !== undefined && file.alertmanagers !== null
      ? parseAlertmanagers(file.alertmanagers, 'alertmanagers')
      : [];
  const queryUrl = (flags['query-url'] as string | undefined) ?? envOf('query-url') ?? file.query_url;
  const externalUrl = (pick('external-url', 'external_url') as string | undefined) || undefined;
  if (externalUrl !== undefined) {
    try {
      const u = new URL(externalUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new ConfigError(`--external-url: not an http(s) URL: "${externalUrl}"`);
    }
  }
  const evaluationIntervalMs = positiveDuration(
    pick('rule-evaluation-interval', '') ?? rulesCfg.evaluation_interval ?? DEFAULTS.ruleEvaluationInterval,
    '--rule-evaluation-interval',
  );
  const cfg: ServeConfig & { help: boolean } = {
    help: Boolean(flags.help),
    listen: parseHostPort(String(pick('listen', 'listen') ?? DEFAULTS.listen), '--listen'),
    dataDir: String(pick('data-dir', 'data_dir') ?? DEFAULTS.dataDir),
    remoteWrite,
    noAuth: parseBool(pick('no-auth', 'no_auth') ?? false, '--no-auth'),
    tenants: parseTenants(file.tenants, configDir),
    retentionMs,
    logLevel: String(pick('log-level', 'log_level') ?? DEFAULTS.logLevel),
    limits: {
      maxCompressedBodyBytes: parseBytes(
        limits.max_compressed_body_bytes ?? DEFAULTS.maxCompressedBodyBytes,
        'limits.max_compressed_body_bytes',
      ),
      maxDecompressedBodyBytes: parseBytes(
        limits.max_decompressed_body_bytes ?? DEFAULTS.maxDecompressedBodyBytes,
        'limits.max_decompressed_body_bytes',
      ),
      requestTimeoutMs: parseDurationMs(
        String(limits.request_timeout ?? DEFAULTS.requestTimeout),
        'limits.request_timeout',
      ),
      decodeWorkers: positiveInt(limits.decode_workers ?? defaultDecodeWorkers(), 'limits.decode_workers', true),
      maxSeriesPerRequest: positiveInt(
        limits.max_series_per_request ?? DEFAULTS.maxSeriesPerRequest,
        'limits.max_series_per_request',
        true,
      ),
      series: {},
      maxConnections: positiveInt(
        pick('max-connections', '') ?? limits.max_connections ?? DEFAULTS.maxConnections,
        '--max-connections',
      ),
      headerTimeoutMs: positiveDuration(limits.header_timeout ?? DEFAULTS.headerTimeout, 'limits.header_timeout'),
      idleTimeoutMs: positiveDuration(limits.idle_timeout ?? DEFAULTS.idleTimeout, 'limits.idle_timeout'),
      samplesRate: parseSamplesRate(limits, 'limits'),
    },
    mapping: { keepUtf8Names: parseBool(mapping.keep_utf8_names ?? false, 'mapping.keep_utf8_names') },
    storage: {
      outOfOrderWindowMs: parseDurationMs(
        String(storageCfg.out_of_order_window ?? DEFAULTS.outOfOrderWindow),
        'storage.out_of_order_window',
      ),
      maxActiveSeriesPerTenant: positiveInt(
        storageCfg.max_active_series_per_tenant ?? defaultMaxActiveSeriesPerTenant(),
        'storage.max_active_series_per_tenant',
        true,
      ),
    },
    query: {
      maxSamples: positiveInt(
        pick('query-max-samples', '') ?? queryCfg.max_samples ?? DEFAULTS.queryMaxSamples,
        '--query-max-samples',
      ),
      timeoutMs: parseDurationMs(
        String(pick('query-timeout', '') ?? queryCfg.timeout ?? DEFAULTS.queryTimeout),
        '--query-timeout',
      ),
      maxConcurrent: positiveInt(
        pick('query-max-concurrency', '') ?? queryCfg.max_concurrency ?? DEFAULTS.queryMaxConcurrency,
        '--query-max-concurrency',
      ),
      ...(perTenantConcurrency !== undefined
        ? { maxConcurrentPerTenant: positiveInt(perTenantConcurrency, '--query-max-concurrency-per-tenant') }
        : {}),
      lookbackDeltaMs: parseDurationMs(
        String(queryCfg.lookback_delta ?? DEFAULTS.lookbackDelta),
        'query.lookback_delta',
      ),
    },
    dogstatsd: { tenant: dsdTenant },
    selfmon: {
      scrapeIntervalMs: parseDurationMs(
        String(pick('self-scrape-interval', '') ?? selfmon.scrape_interval ?? DEFAULTS.selfScrapeInterval),
        '--self-scrape-interval',
      ),
    },
    rules: {
      files: ruleFiles,
      evaluationIntervalMs,
      defaultRules: parseBool(pick('default-rules', '') ?? rulesCfg.default_rules ?? true, '--default-rules'),
      defaultPack: parseDefaultPack(rulesCfg.default_pack, evaluationIntervalMs),
      externalLabels: parseLabels(rulesCfg.external_labels, 'rules.external_labels'),
      forOutageToleranceMs: parseDurationMs(
        String(rulesCfg.for_outage_tolerance ?? DEFAULTS.forOutageTolerance),
        'rules.for_outage_tolerance',
      ),
      forGracePeriodMs: parseDurationMs(
        String(rulesCfg.for_grace_period ?? DEFAULTS.forGracePeriod),
        'rules.for_grace_period',
      ),
      resendDelayMs: parseDurationMs(String(rulesCfg.resend_delay ?? DEFAULTS.resendDelay), 'rules.resend_delay'),
    },
    alertmanagers,
    events: {
      retentionMs:
        eventsCfg.retention === undefined
          ? retentionMs
          : parseDurationMs(String(eventsCfg.retention), 'events.retention'),
      maxBytesPerTenant: parseBytes(
        eventsCfg.max_bytes_per_tenant ?? DEFAULTS.eventsMaxBytesPerTenant,
        'events.max_bytes_per_tenant',
      ),
    },
  };
  if (cfg.events.retentionMs <= 0) throw new ConfigError('events.retention: must be more than 0');
  if (queryUrl !== undefined && queryUrl !== null) cfg.queryUrl = parseQueryUrl(queryUrl, 'query_url');
  if (externalUrl !== undefined) cfg.externalUrl = externalUrl;
  if (mapping.quantiles !== undefined) {
    if (
      !Array.isArray(mapping.quantiles) ||
      mapping.quantiles.some((q) => typeof q !== 'number' || !(q >= 0 && q <= 1))
    ) {
      throw new ConfigError('mapping.quantiles: expected a list of numbers in [0, 1]');
    }
    cfg.mapping.quantiles = mapping.quantiles as number[];
  }
  if (mapping.distributions !== undefined) {
    const mode = mapping.distributions as DistributionsConfig;
    if (!DISTRIBUTIONS.includes(mode))
      throw new ConfigError(
        `mapping.distributions: expected one of ${DISTRIBUTIONS.join(', ')}, got ${JSON.stringify(mode)}`,
      );
    cfg.mapping.distributions = mode;
  }
  if (mapping.series_cache_size !== undefined) {
    const n = Number(mapping.series_cache_size);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError('mapping.series_cache_size: expected a positive integer');
    cfg.mapping.seriesCacheSize = n;
  }
  if (mapping.series_cache_idle !== undefined) {
    cfg.mapping.seriesCacheIdleMs = parseDurationMs(String(mapping.series_cache_idle), 'mapping.series_cache_idle');
  }
  const seriesLimitKeys = [
    ['max_metric_name_length', 'maxMetricNameLength'],
    ['max_tags_per_series', 'maxTagsPerSeries'],
    ['max_label_names_per_series', 'maxLabelNamesPerSeries'],
    ['max_label_name_length', 'maxLabelNameLength'],
    ['max_label_value_length', 'maxLabelValueLength'],
  ] as const;
  for (const [key, field] of seriesLimitKeys)
    if (limits[key] !== undefined) cfg.limits.series[field] = positiveInt(limits[key], `limits.${key}`, true);
  if (typeof dsd.hostname === 'string') cfg.dogstatsd.hostname = dsd.hostname;
  const aggregates = strList(dsd.histogram_aggregates, 'dogstatsd.histogram_aggregates');
  if (aggregates) cfg.dogstatsd.histogramAggregates = aggregates;
  const percentiles = strList(dsd.histogram_percentiles, 'dogstatsd.histogram_percentiles')?.map((p) => {
    const n = Number(p);
    if (!(n > 0 && n < 1)) throw new ConfigError(`dogstatsd.histogram_percentiles: ${p} is not in (0, 1)`);
    return n;
  });
  if (percentiles) cfg.dogstatsd.histogramPercentiles = percentiles;
  if (dsd.max_contexts !== undefined) cfg.dogstatsd.maxContexts = Math.floor(Number(dsd.max_contexts));
  if (dsd.recv_buffer_size !== undefined)
    cfg.dogstatsd.recvBufferSize = parseBytes(dsd.recv_buffer_size, 'dogstatsd.recv_buffer_size');
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(cfg.logLevel))
    throw new ConfigError(`--log-level: unknown level "${cfg.logLevel}"`);
  if (dsdListen) {
    parseHostPort(dsdListen, '--dogstatsd-listen');
    cfg.dogstatsdListen = dsdListen;
  }
  if (dsdSocket) cfg.dogstatsdSocket = dsdSocket;
  if (certFile && keyFile) cfg.tls = { certFile, keyFile, minVersion: tlsMinVersion, ciphers: tlsCiphers };
  const problems = gatewayProblems(cfg);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return cfg;
}
