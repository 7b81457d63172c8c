import { OVERVIEW_PANELS, type OverviewPanel, type PanelUnit } from './overview-panels.js';

// docs/grafana/dd-api-overview.json, generated from OVERVIEW_PANELS (`node scripts/gen-grafana-dashboard.mjs`) so the
// Grafana dashboard and the console's Overview cannot drift apart. Grafana 10+ dashboard JSON: timeseries panels
// over a `datasource` variable (pick the Prometheus data source that carries the system tenant's key).

export const DASHBOARD_UID = 'promdog-dd-api-overview';

/** Grafana unit ids (Grafana's value formats; `count:` is a custom unit with K/M scaling). */
const GRAFANA_UNITS: Record<PanelUnit, string> = {
  reqps: 'reqps',
  short: 'short',
  bytes: 'bytes',
  seconds: 's',
  percentunit: 'percentunit',
  samplesps: 'count:samples/s',
  alertsps: 'count:alerts/s',
};

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;
const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function panelJson(p: OverviewPanel, index: number): object {
  const title =
    p.mode === undefined ? p.title : `${p.title} (${p.mode === 'store' ? 'embedded store' : 'gateway mode'})`;
  return {
    id: index + 1,
    type: 'timeseries',
    title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { h: PANEL_HEIGHT, w: PANEL_WIDTH, x: (index % 2) * PANEL_WIDTH, y: Math.floor(index / 2) * PANEL_HEIGHT },
    targets: p.queries.map((q, i) => ({
      refId: REF_IDS[i],
      datasource: DATASOURCE,
      editorMode: 'code',
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
    })),
    fieldConfig: {
      defaults: {
        unit: GRAFANA_UNITS[p.unit],
        ...(p.logScale ? {} : { min: 0 }),
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: 10,
          showPoints: 'never',
          spanNulls: false,
          scaleDistribution: p.logScale ? { type: 'log', log: 10 } : { type: 'linear' },
        },
      },
      overrides: [],
    },
    options: {
      legend: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

export function grafanaDashboard(): object {
  return {
    uid: DASHBOARD_UID,
    title: 'DD API / Overview',
    description:
      "promdog's self-monitoring (the system tenant): intake requests, samples, latency, process, store, remote write, rules and notifications.",
    tags: ['promdog'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    timezone: 'browser',
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source (system tenant)',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
          refresh: 1,
          regex: '',
          options: [],
        },
      ],
    },
    annotations: { list: [] },
    links: [],
    panels: OVERVIEW_PANELS.map(panelJson),
  };
}

/** The dashboard file's exact text (what the generator writes and the test compares). */
export function grafanaDashboardJson(): string {
  return `${JSON.stringify(grafanaDashboard(), null, 2)}\n`;
}
