// Service checks: the current status of every check and host, with the last hour as a strip of one cell per
// minute. Data: `datadog_service_check_status` (docs/mapping.md "Service checks": 0 OK, 1 WARNING, 2 CRITICAL,
// 3 UNKNOWN), a range query for the history and `timestamp()` for when each check last reported.
import { queryInstant, queryRange, type MatrixSeries } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { ago, seriesIdentity, timeText } from '../format.js';
import { replaceParams } from '../router.js';
import { refresher, showLoadError, unqueryablePage, type PageFactory } from './page.js';

const METRIC = 'datadog_service_check_status';
const HISTORY_S = 3600;
const STEP_S = 60;
const REFRESH_MS = 30_000;
const STATUS_NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
/** Labels shown in their own columns, or the same on every row. */
const OWN_COLUMNS = new Set(['__name__', 'check', 'instance', 'job']);

interface CheckRow {
  check: string;
  host: string;
  tags: string[];
  /** One status per step over the last hour, null where the check did not report (within the 5 min lookback). */
  history: (number | null)[];
  /** The status at the last step (now); null when the check has not reported for longer than the lookback. */
  current: number | null;
  /** When it last reported (s), known while it is current. */
  lastReportS: number | null;
}

function statusName(v: number | null): string {
  return v === null ? 'STALE' : (STATUS_NAMES[v] ?? 'UNKNOWN');
}

function toRow(s: MatrixSeries, steps: number[], lastReports: Map<string, number>): CheckRow {
  const byTime = new Map((s.values ?? []).map(([t, v]) => [t, Number(v)]));
  const history = steps.map((t) => byTime.get(t) ?? null);
  return {
    check: s.metric.check ?? '',
    host: s.metric.instance ?? '',
    tags: Object.keys(s.metric)
      .filter((k) => !OWN_COLUMNS.has(k))
      .sort()
      .map((k) => `${k}:${s.metric[k]}`),
    history,
    current: history[history.length - 1] ?? null,
    lastReportS: lastReports.get(seriesIdentity(s.metric)) ?? null,
  };
}

/** Worst first (CRITICAL, WARNING, UNKNOWN, OK), then by check and host. */
function severity(v: number | null): number {
  return v === 2 ? 0 : v === 1 ? 1 : v === 3 ? 2 : v === 0 ? 3 : 4;
}

export const checksPage: PageFactory = (root, { session, params }) => {
  const unqueryable = unqueryablePage(root, session, 'checks', 'Service checks');
  if (unqueryable) return unqueryable;
  let rows: CheckRow[] = [];
  let stepTimes: number[] = [];
  let loaded = false;
  const filterInput = h('input', {
    type: 'search',
    id: 'check-filter',
    placeholder: 'Filter by check, host or tag',
    value: params.get('filter') ?? '',
    oninput: () => {
      replaceParams('checks', new URLSearchParams(filterInput.value ? { filter: filterInput.value } : {}));
      render();
    },
  });
  const summary = h('div', { class: 'summary', id: 'check-summary' });
  const status = h('span', { class: 'status' });
  const errorBox = h('pre', { class: 'error', hidden: true });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'data', id: 'checks-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Status'),
        h('th', {}, 'Check'),
        h('th', {}, 'Host'),
        h('th', {}, 'Tags'),
        h('th', {}, 'Last hour'),
        h('th', {}, 'Last reported'),
      ),
    ),
    tbody,
  );
  const empty = h('div', { class: 'empty', hidden: true });
  replaceChildren(
    root,
    h(
      'section',
      { class: 'page checks' },
      h('div', { class: 'toolbar' }, h('h1', {}, 'Service checks'), filterInput, status),
      summary,
      errorBox,
      h('div', { class: 'table-wrap' }, table),
      empty,
    ),
  );

  function render(): void {
    const words = filterInput.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = rows.filter((r) => {
      const text = [r.check, r.host, ...r.tags].join(' ').toLowerCase();
      return words.every((w) => text.includes(w));
    });
    const counts = [0, 0, 0, 0];
    for (const r of shown) if (r.current !== null && r.current >= 0 && r.current <= 3) counts[r.current]!++;
    summary.replaceChildren(
      ...STATUS_NAMES.map((n, i) =>
        h('span', { class: `badge status-${n}`, 'data-count': counts[i]! }, `${n} ${counts[i]}`),
      ),
    );
    const nowMs = Date.now();
    tbody.replaceChildren(
      ...shown.map((r) => {
        const current = statusName(r.current);
        return h(
          'tr',
          { 'data-check': r.check, 'data-host': r.host, 'data-status': current },
          h('td', {}, h('span', { class: `badge status-${current}` }, current)),
          h('td', { class: 'mono' }, r.check),
          h('td', { class: 'mono' }, r.host),
          h('td', {}, ...r.tags.map((t) => h('span', { class: 'chip' }, t))),
          h(
            'td',
            {},
            h(
              'div',
              { class: 'strip' },
              ...r.history.map((v, i) =>
                h('span', {
                  class: `cell status-${statusName(v)}`,
                  title: `${new Date(stepTimes[i]! * 1000).toLocaleTimeString()}: ${statusName(v)}`,
                }),
              ),
            ),
          ),
          h(
            'td',
            { title: r.lastReportS === null ? 'not within the last 5 minutes' : timeText(r.lastReportS * 1000) },
            r.lastReportS === null ? 'over 5 min ago' : ago(r.lastReportS * 1000, nowMs),
          ),
        );
      }),
    );
    table.dataset.rows = String(shown.length);
    empty.hidden = !loaded || shown.length > 0;
    empty.textContent = rows.length === 0 ? 'No service checks in the last hour.' : 'No check matches the filter.';
    status.textContent = loaded ? `${shown.length} of ${rows.length} checks` : 'Loading…';
  }

  const timer = refresher(async (signal) => {
    const endS = Math.floor(Date.now() / 1000);
    const startS = endS - HISTORY_S;
    try {
      const [history, stamps] = await Promise.all([
        queryRange(METRIC, startS, endS, STEP_S, signal),
        queryInstant(`timestamp(${METRIC})`, endS, signal),
      ]);
      const lastReports = new Map<string, number>();
      if (stamps.data.resultType === 'vector')
        for (const s of stamps.data.result) lastReports.set(seriesIdentity(s.metric), Number(s.value?.[1]));
      stepTimes = [];
      for (let t = startS; t <= endS; t += STEP_S) stepTimes.push(t);
      rows = history.data.result
        .map((s) => toRow(s, stepTimes, lastReports))
        .sort(
          (a, b) =>
            severity(a.current) - severity(b.current) || a.check.localeCompare(b.check) || a.host.localeCompare(b.host),
        );
      loaded = true;
      errorBox.hidden = true;
      render();
    } catch (e) {
      showLoadError(errorBox, e);
    }
  }, REFRESH_MS);
  render();

  return { unmount: () => timer.stop() };
};
