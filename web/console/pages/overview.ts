// "DD API / Overview": promdog's own metrics, scraped into the system tenant, drawn from OVERVIEW_PANELS (the same
// definitions docs/grafana/dd-api-overview.json is generated from). Every query goes out with the signed-in key,
// so another tenant's key sees that tenant's data only (normally none of these families). In gateway mode the
// queries reach the system tenant's query backend, where the self-scrape was remote-written.
import { OVERVIEW_PANELS, type OverviewPanel } from '../../../src/selfmon/overview-panels.js';
import { queryRange } from '../api.js';
import { matrixToSeries, TimeChart, type ChartSeries } from '../chart.js';
import { h, replaceChildren } from '../dom.js';
import { legendOf, parseDuration } from '../format.js';
import { replaceParams } from '../router.js';
import { errorText, isAbort, refresher, unqueryablePage, type PageFactory } from './page.js';

const RANGE_CHOICES = [
  { label: '15m', seconds: 900 },
  { label: '1h', seconds: 3600 },
  { label: '6h', seconds: 21600 },
  { label: '24h', seconds: 86400 },
];
const DEFAULT_RANGE = RANGE_CHOICES[1]!;
const REFRESH_MS = 15_000;
/** Points per series a panel asks for: enough for a smooth line, few enough to stay fast at 24h. */
const POINTS = 240;

interface PanelView {
  panel: OverviewPanel;
  chart: TimeChart | undefined;
  error: HTMLElement;
}

export const overviewPage: PageFactory = (root, { session, params }) => {
  const unqueryable = unqueryablePage(root, session, 'overview', 'DD API / Overview');
  if (unqueryable) return unqueryable;
  const asked = parseDuration(params.get('range') ?? '');
  let range = RANGE_CHOICES.find((r) => r.seconds === asked) ?? DEFAULT_RANGE;
  let auto = params.get('refresh') !== 'off';
  const status = h('span', { class: 'status' });
  const rangeButtons = RANGE_CHOICES.map((r) =>
    h('button', { type: 'button', class: 'seg', 'data-range': r.label, onclick: () => setRange(r) }, r.label),
  );
  const autoBox = h('input', {
    type: 'checkbox',
    id: 'auto-refresh',
    checked: auto,
    onchange: () => setAuto(autoBox.checked),
  });

  const views: PanelView[] = OVERVIEW_PANELS.map((panel) => ({
    panel,
    chart: undefined,
    error: h('div', { class: 'panel-error' }),
  }));
  const grid = h('div', { class: 'panels' });
  for (const v of views) {
    const chartEl = h('div', { 'data-panel': v.panel.id });
    const otherMode = v.panel.mode !== undefined && v.panel.mode !== session.mode;
    grid.append(
      h(
        'div',
        { class: 'panel', id: `panel-${v.panel.id}` },
        h(
          'h2',
          { title: v.panel.description },
          v.panel.title,
          v.panel.logScale ? h('span', { class: 'tag' }, 'log') : null,
        ),
        otherMode
          ? h(
              'div',
              { class: 'panel-note' },
              `Only in ${v.panel.mode === 'store' ? 'embedded-store' : 'gateway'} mode; promdog runs in ${session.mode} mode.`,
            )
          : chartEl,
        v.error,
      ),
    );
    if (!otherMode)
      v.chart = new TimeChart(chartEl, { unit: v.panel.unit, logScale: v.panel.logScale ?? false, height: 220 });
  }

  replaceChildren(
    root,
    h(
      'section',
      { class: 'page overview' },
      h(
        'div',
        { class: 'toolbar' },
        h('h1', {}, 'DD API / Overview'),
        h('div', { class: 'segmented' }, ...rangeButtons),
        h('label', { class: 'check' }, autoBox, ` Auto refresh (${REFRESH_MS / 1000} s)`),
        status,
      ),
      session.tenant === 'system'
        ? null
        : h(
            'div',
            { class: 'notice', id: 'tenant-notice' },
            `Signed in as tenant “${session.tenant}”. This dashboard is meant for the system tenant, where promdog writes its own metrics; `,
            `it only ever shows the signed-in tenant's data. Sign in with the key in tenant-api-token-system to see promdog's self-monitoring.`,
          ),
      grid,
    ),
  );

  const load = async (signal: AbortSignal) => {
    const endS = Math.floor(Date.now() / 1000);
    const startS = endS - range.seconds;
    const stepS = Math.max(5, Math.ceil(range.seconds / POINTS));
    status.textContent = 'Loading…';
    await Promise.all(
      views.map(async (v) => {
        if (!v.chart) return;
        try {
          const parts = await Promise.all(
            v.panel.queries.map(async (q) => {
              const r = await queryRange(q.expr, startS, endS, stepS, signal);
              return matrixToSeries(r.data.result, (m) => legendOf(q.legend, m));
            }),
          );
          const series: ChartSeries[] = parts.flat();
          v.chart.update(series, startS, endS);
          v.error.textContent = '';
        } catch (e) {
          if (isAbort(e)) return;
          v.error.textContent = errorText(e);
        }
      }),
    );
    if (!signal.aborted) status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  };
  const timer = refresher(load, () => (auto ? REFRESH_MS : 0));

  const syncUrl = () => {
    const p = new URLSearchParams({ range: range.label });
    if (!auto) p.set('refresh', 'off');
    replaceParams('overview', p);
    for (const b of rangeButtons) b.classList.toggle('active', b.dataset.range === range.label);
  };
  const setRange = (r: (typeof RANGE_CHOICES)[number]) => {
    range = r;
    syncUrl();
    timer.now();
  };
  const setAuto = (on: boolean) => {
    auto = on;
    syncUrl();
    if (on) timer.now();
  };
  syncUrl();

  return {
    unmount: () => {
      timer.stop();
      for (const v of views) v.chart?.destroy();
    },
  };
};
