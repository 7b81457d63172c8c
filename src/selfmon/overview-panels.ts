// The "DD API / Overview" dashboard, defined once: the web console draws these panels from the system tenant and
// docs/grafana/dd-api-overview.json is generated from them, so both show the same queries. Plain data, no imports:
// the console's browser bundle includes this file.

export type PanelUnit = 'reqps' | 'short' | 'bytes' | 'seconds' | 'percentunit' | 'samplesps';

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
}

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
    description: 'Datadog intake requests per second, by tenant, route template and HTTP status code.',
  },
];
