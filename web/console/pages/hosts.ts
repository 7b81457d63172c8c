// Hosts: every host of the signed-in tenant, from the Agent's host metadata (tags, agent version, OS) and from
// the `instance` label of its series (GET /console/api/hosts). `#/hosts?filter=…&window=1h`.
import { fetchHosts, type HostRow } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { ago, formatDuration, parseDuration, timeText } from '../format.js';
import { replaceParams, routeHref } from '../router.js';
import { refresher, showLoadError, type PageFactory } from './page.js';

const WINDOWS = [900, 3600, 21600, 86400];
const DEFAULT_WINDOW = 900;
const REFRESH_MS = 30_000;

export const hostsPage: PageFactory = (root, { session, params }) => {
  const askedWindow = parseDuration(params.get('window') ?? '');
  let windowS = askedWindow !== undefined && WINDOWS.includes(askedWindow) ? askedWindow : DEFAULT_WINDOW;
  let hosts: HostRow[] = [];
  let loaded = false;

  const filterInput = h('input', {
    type: 'search',
    id: 'host-filter',
    placeholder: 'Filter by host, tag, OS or version',
    value: params.get('filter') ?? '',
    oninput: () => {
      syncUrl();
      render();
    },
  });
  const windowSelect = h(
    'select',
    {
      id: 'series-window',
      onchange: () => {
        windowS = Number(windowSelect.value);
        syncUrl();
        timer.now();
      },
    },
    ...WINDOWS.map((s) => h('option', { value: s, selected: s === windowS }, formatDuration(s))),
  );
  const status = h('span', { class: 'status' });
  const errorBox = h('pre', { class: 'error', hidden: true });
  const notes = h('div', { class: 'notes' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'data', id: 'hosts-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Host'),
        h('th', {}, 'Tags'),
        h('th', {}, 'Agent'),
        h('th', {}, 'OS'),
        h('th', {}, 'Last seen'),
        h('th', { class: 'num' }, 'Series'),
      ),
    ),
    tbody,
  );
  const empty = h('div', { class: 'empty', hidden: true });

  replaceChildren(
    root,
    h(
      'section',
      { class: 'page hosts' },
      h(
        'div',
        { class: 'toolbar' },
        h('h1', {}, 'Hosts'),
        filterInput,
        // Gateway mode has no store to count series in.
        h('label', { hidden: session.mode === 'gateway' }, 'Series seen in the last ', windowSelect),
        status,
      ),
      errorBox,
      notes,
      h('div', { class: 'table-wrap' }, table),
      empty,
    ),
  );

  const matches = (r: HostRow, words: string[]) => {
    const text = [r.host, r.os, r.agentVersion, ...r.tags].join(' ').toLowerCase();
    return words.every((w) => text.includes(w));
  };

  function render(): void {
    const words = filterInput.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = hosts.filter((r) => matches(r, words));
    const now = Date.now();
    tbody.replaceChildren(
      ...shown.map((r) =>
        h(
          'tr',
          { 'data-host': r.host },
          h('td', { class: 'mono' }, r.host),
          h('td', {}, ...r.tags.map((t) => h('span', { class: 'chip' }, t))),
          h('td', {}, r.agentVersion || '–'),
          h('td', {}, r.os || '–'),
          h('td', { title: lastSeenDetail(r) }, r.lastSeenMs > 0 ? ago(r.lastSeenMs, now) : '–'),
          h(
            'td',
            { class: 'num' },
            r.series === null
              ? '–'
              : h(
                  'a',
                  {
                    href: routeHref('explore', {
                      expr: `count by (__name__) ({instance=${JSON.stringify(r.host)}})`,
                      tab: 'table',
                    }),
                  },
                  String(r.series),
                ),
          ),
        ),
      ),
    );
    table.dataset.rows = String(shown.length);
    empty.hidden = !loaded || shown.length > 0;
    empty.textContent =
      hosts.length === 0
        ? 'No hosts yet: none sent host metadata or series to this tenant.'
        : 'No host matches the filter.';
    status.textContent = loaded ? `${shown.length} of ${hosts.length} hosts` : 'Loading…';
  }

  const syncUrl = () => {
    const p = new URLSearchParams();
    if (filterInput.value !== '') p.set('filter', filterInput.value);
    if (windowS !== DEFAULT_WINDOW) p.set('window', formatDuration(windowS));
    replaceParams('hosts', p);
  };

  const timer = refresher(async (signal) => {
    try {
      const answer = await fetchHosts(windowS, signal);
      hosts = answer.hosts;
      loaded = true;
      errorBox.hidden = true;
      notes.replaceChildren(...answer.warnings.map((w) => h('div', { class: 'note' }, w)));
      render();
    } catch (e) {
      showLoadError(errorBox, e);
    }
  }, REFRESH_MS);
  render();

  return { unmount: () => timer.stop() };
};

function lastSeenDetail(r: HostRow): string {
  const parts: string[] = [];
  if (r.metadataSeenMs !== null) parts.push(`metadata: ${timeText(r.metadataSeenMs)}`);
  if (r.seriesSeenMs !== null) parts.push(`newest sample: ${timeText(r.seriesSeenMs)}`);
  return parts.join('\n');
}
