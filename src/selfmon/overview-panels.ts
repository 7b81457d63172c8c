// The "DD API / Overview" dashboard, defined once: the web console draws these panels from the system tenant and
// docs/grafana/dd-api-overview.json is generated from them, so both show the same queries. Plain data, no imports:
// the console's browser bundle includes this file.

export type PanelUnit = 'reqps' | 'short' | 'bytes' | 'seconds' | 'percentunit' | 'samplesps' | 'alertsps';

export interface OverviewPanel {
  /** Stable id (DOM ids, Grafana panel ids are derived from the order). */
  id: string;
  title: string;
  /** One PromQL query per drawn series set, evaluated as a range query over the system tenant. */
  queries: { expr: string; legend: string }[];
  unit: PanelUnit;
  /** Logarithmic y axis (POSTs/s by status code, as in the article's screenshot). */
  logScale?: boolean;
  description: string;
  /**
   * Only meaningful in one mode: `store` (embedded store, the default) or `gateway` (--remote-write-url). In the
   * other mode its metrics do not exist and the panel draws nothing. Absent: both modes.
   */
  mode?: 'store' | 'gateway';
}

/** `histogram_quantile` of a promdog histogram family, by the given labels. */
const quantile = (q: number, family: string, by: string) =>
  `histogram_quantile(${q}, sum by (le, ${by}) (rate(${family}_bucket[1m])))`;

/** The ten rule groups (by tenant) with the most increase of a per-group counter over 5 minutes. */
const topGroups = (family: string) => `topk(10, sum by (tenant, rule_group) (increase(${family}[5m])))`;

export const OVERVIEW_PANELS: readonly OverviewPanel[] = [
  {
    id: 'posts-by-code',
    title: 'POSTs/s by tenant, route and status code',
    queries: [
      {
        expr: 'sum by (tenant, route, code) (rate(promdog_http_requests_total{method="POST"}[1m]))',
        legend: '{{tenant}} {{route}} {{code}}',
      },
    ],
    unit: 'reqps',
    logScale: true,
    description:
      'Datadog intake requests per second, by tenant, route template and HTTP status code. 202 = stored; 403 (no tenant: ' +
      'missing or unknown API key), 400, 413, 415 are dropped by the Agent, 503 it retries.',
  },
  {
    id: 'samples-accepted',
    title: 'Samples/s accepted by tenant',
    queries: [{ expr: 'sum by (tenant) (rate(promdog_samples_accepted_total[1m]))', legend: '{{tenant}}' }],
    unit: 'samplesps',
    description:
      "Samples made durable per second (in the store's WAL, or acknowledged by every remote-write target), by tenant.",
  },
  {
    id: 'samples-rejected',
    title: 'Samples/s rejected by tenant and reason',
    queries: [
      { expr: 'sum by (tenant, reason) (rate(promdog_samples_rejected_total[1m]))', legend: '{{tenant}} {{reason}}' },
    ],
    unit: 'samplesps',
    description:
      'Samples received but not stored per second, by tenant and reason (too_old, too_far_in_future, series_limit, ' +
      'invalid_value, sink_unavailable, ...; see docs/operations.md).',
  },
  {
    id: 'requests-rejected',
    title: 'Requests/s refused by route and reason',
    queries: [
      { expr: 'sum by (route, reason) (rate(promdog_requests_rejected_total[1m]))', legend: '{{route}} {{reason}}' },
    ],
    unit: 'reqps',
    description:
      'Intake requests refused before their data was stored: forbidden (API key), too_large, unsupported_encoding, bad_body, decode, unavailable, rejected.',
  },
  {
    id: 'unknown-routes',
    title: 'Unknown routes: requests/s by method and path (404)',
    queries: [
      {
        expr: 'sum by (method, path) (rate(promdog_http_unknown_routes_total[5m]))',
        legend: '{{method}} {{path}}',
      },
    ],
    unit: 'reqps',
    description:
      'Requests to routes promdog does not serve, answered 404. The Agent retries a 404 forever, so what it sends there ' +
      'is never stored: the log says what to change (docs/operations.md). Datadog paths are shown with ids as :id; ' +
      'any other path as "other".',
  },
  {
    id: 'request-latency',
    title: 'Request latency by route (p50, p90, p99)',
    queries: [
      { expr: quantile(0.5, 'promdog_http_request_duration_seconds', 'route'), legend: 'p50 {{route}}' },
      { expr: quantile(0.9, 'promdog_http_request_duration_seconds', 'route'), legend: 'p90 {{route}}' },
      { expr: quantile(0.99, 'promdog_http_request_duration_seconds', 'route'), legend: 'p99 {{route}}' },
    ],
    unit: 'seconds',
    description:
      'Time from request start to response, by route template (intake answers only once the data is durable).',
  },
  {
    id: 'payload-sizes',
    title: 'Intake payload sizes (p50, p99)',
    queries: [
      { expr: quantile(0.5, 'promdog_payload_bytes', 'stage'), legend: 'p50 {{stage}}' },
      { expr: quantile(0.99, 'promdog_payload_bytes', 'stage'), legend: 'p99 {{stage}}' },
    ],
    unit: 'bytes',
    description: 'Request bodies as received (compressed) and after their Content-Encoding was decoded (decompressed).',
  },
  {
    id: 'process-cpu',
    title: 'Process CPU',
    queries: [{ expr: 'rate(promdog_process_cpu_seconds_total[1m])', legend: '{{instance}}' }],
    unit: 'percentunit',
    description: 'CPU time per second of the promdog process (100% = one core).',
  },
  {
    id: 'process-memory',
    title: 'Process memory',
    queries: [
      { expr: 'promdog_process_resident_memory_bytes', legend: 'RSS {{instance}}' },
      { expr: 'promdog_nodejs_heap_size_total_bytes', legend: 'heap total {{instance}}' },
      { expr: 'promdog_nodejs_heap_size_used_bytes', legend: 'heap used {{instance}}' },
    ],
    unit: 'bytes',
    description: 'Resident memory of the process and the size of the JavaScript heap.',
  },
  {
    id: 'store-series',
    title: 'Store: active series by tenant',
    queries: [{ expr: 'sum by (tenant) (promdog_store_head_series)', legend: '{{tenant}}' }],
    unit: 'short',
    description: "Series in the embedded store's head (the in-memory part), by tenant.",
    mode: 'store',
  },
  {
    id: 'store-disk',
    title: 'Store: disk and WAL bytes by tenant',
    queries: [
      { expr: 'sum by (tenant) (promdog_store_disk_bytes)', legend: 'disk {{tenant}}' },
      { expr: 'sum by (tenant) (promdog_store_wal_bytes)', legend: 'WAL {{tenant}}' },
    ],
    unit: 'bytes',
    description: 'Bytes the embedded store keeps on disk (blocks and write-ahead log) and of that the WAL, by tenant.',
    mode: 'store',
  },
  {
    id: 'remote-write-requests',
    title: 'Remote write: requests/s by outcome, retries/s',
    queries: [
      {
        expr: 'sum by (target, outcome) (rate(promdog_remote_write_requests_total[1m]))',
        legend: '{{outcome}} {{target}}',
      },
      { expr: 'sum by (target) (rate(promdog_remote_write_retries_total[1m]))', legend: 'retries {{target}}' },
    ],
    unit: 'reqps',
    description:
      'Remote-write attempts per second by target and outcome (2xx, 4xx, 5xx, 429, network, timeout, tls), and how many ' +
      'of them were retries.',
    mode: 'gateway',
  },
  {
    id: 'remote-write-latency',
    title: 'Remote write: attempt latency (p50, p99)',
    queries: [
      { expr: quantile(0.5, 'promdog_remote_write_duration_seconds', 'target'), legend: 'p50 {{target}}' },
      { expr: quantile(0.99, 'promdog_remote_write_duration_seconds', 'target'), legend: 'p99 {{target}}' },
    ],
    unit: 'seconds',
    description: 'Duration of one remote-write HTTP attempt, by target.',
    mode: 'gateway',
  },
  {
    id: 'rule-group-duration',
    title: 'Rule groups: last evaluation duration (slowest 10)',
    queries: [{ expr: 'topk(10, promdog_rule_group_last_duration_seconds)', legend: '{{tenant}} {{rule_group}}' }],
    unit: 'seconds',
    description:
      'How long the last evaluation of each rule group took (rule_group is "<file or namespace>;<group>"), the 10 ' +
      'slowest at each point. A group that takes longer than its interval misses iterations.',
  },
  {
    id: 'rule-failures',
    title: 'Rule evaluation failures in 5 min by group (top 10)',
    queries: [{ expr: topGroups('promdog_rule_evaluation_failures_total'), legend: '{{tenant}} {{rule_group}}' }],
    unit: 'short',
    description:
      'Rule evaluations that failed (query errors, samples the store refused) over the last 5 minutes, for the 10 ' +
      "groups with the most. The console's Rules page shows each rule's last error.",
  },
  {
    id: 'rule-iterations-missed',
    title: 'Rule group iterations missed in 5 min (top 10)',
    queries: [{ expr: topGroups('promdog_rule_group_iterations_missed_total'), legend: '{{tenant}} {{rule_group}}' }],
    unit: 'short',
    description:
      'Evaluations a group skipped over the last 5 minutes because its previous one still ran at its next slot ' +
      '(the group takes longer than its interval), for the 10 groups with the most.',
  },
  {
    id: 'rule-alerts',
    title: 'Alerts by tenant and state',
    queries: [{ expr: 'sum by (tenant, state) (promdog_rule_alerts)', legend: '{{tenant}} {{state}}' }],
    unit: 'short',
    description: "Pending and firing alerts the ruler holds, by tenant. The console's Alerts page lists them.",
  },
  {
    id: 'notifications',
    title: 'Notifications/s sent, failed and dropped by tenant',
    queries: [
      { expr: 'sum by (tenant) (rate(promdog_notifications_sent_total[5m]))', legend: 'sent {{tenant}}' },
      { expr: 'sum by (tenant) (rate(promdog_notifications_errors_total[5m]))', legend: 'failed {{tenant}}' },
      { expr: 'sum by (tenant) (rate(promdog_notifications_dropped_total[5m]))', legend: 'dropped {{tenant}}' },
    ],
    unit: 'alertsps',
    description:
      'Alerts sent to Alertmanagers per second (failed attempts included, as Prometheus counts them), those whose ' +
      'request failed (non-2xx answer, network error, timeout), and those dropped (no Alertmanager took their ' +
      'batch, the queue was full).',
  },
  {
    id: 'notification-queue',
    title: 'Notification queue: length and capacity by tenant',
    queries: [
      { expr: 'sum by (tenant) (promdog_notifications_queue_length)', legend: 'queued {{tenant}}' },
      { expr: 'sum by (tenant) (promdog_notifications_queue_capacity)', legend: 'capacity {{tenant}}' },
    ],
    unit: 'short',
    description:
      'Alerts waiting to be sent to the Alertmanagers, and how many the queue holds; when it is full the oldest ' +
      'are dropped.',
  },
];
