// Hosts: every host of the signed-in tenant, from the Agent's host metadata (tags, agent version, OS) and from
// the `instance` label of its series (GET /console/api/hosts). `#/hosts?filter=…&window=1h`; with `&host=<name>`
// (a host's name is a link) a panel shows what the Agent's metadata says about that host and its recent events.
import { fetchEvents, fetchHosts, type EventRow, type HostRow } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { eventItem } from '../event-view.js';
import { ago, formatDuration, parseDuration, timeText } from '../format.js';
import { replaceParams, routeHref } from '../router.js';
import { refresher, showLoadError, type PageFactory } from './page.js';

const WINDOWS = [900, 3600, 21600, 86400];
const DEFAULT_WINDOW = 900;
const REFRESH_MS = 30_000;
/** A host's recent events: at most this many, of the last 7 days. */
const HOST_EVENTS = 10;
const HOST_EVENTS_RANGE_S = 7 * 86400;

export const hostsPage: PageFactory = (root, { session, params }) => {
  const askedWindow = parseDuration(params.get('window') ?? '');
  let windowS = askedWindow !== undefined && WINDOWS.includes(askedWindow) ? askedWindow : DEFAULT_WINDOW;
  let hosts: HostRow[] = [];
  let loaded = false;
  const selected = params.get('host') ?? '';
  let hostEvents: EventRow[] = [];

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
  const detail = h('section', { class: 'panel host-detail', id: 'host-detail', hidden: selected === '' });

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
      detail,
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
          h('td', { class: 'mono' }, h('a', { href: hrefWith({ host: r.host }) }, r.host)),
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
    if (selected !== '') renderDetail();
  }

  /** What the metadata says about the selected host, its series, and its recent events. */
  function renderDetail(): void {
    const r = hosts.find((x) => x.host === selected);
    const now = Date.now();
    const row = (label: string, ...value: (Node | string)[]) => [h('dt', {}, label), h('dd', {}, ...value)];
    replaceChildren(
      detail,
      h(
        'div',
        { class: 'detail-head' },
        h('h2', { class: 'mono' }, selected),
        h('a', { href: hrefWith({ host: '' }), id: 'host-detail-close' }, 'Close'),
      ),
      r
        ? h(
            'dl',
            { class: 'facts' },
            ...row('Agent version', r.agentVersion || '–'),
            ...row('OS', r.os || '–'),
            ...row('Host tags', ...(r.tags.length ? r.tags.map((t) => h('span', { class: 'chip' }, t)) : ['–'])),
            ...row('Metadata received', r.metadataSeenMs === null ? 'never' : ago(r.metadataSeenMs, now)),
            ...row('Newest sample', r.seriesSeenMs === null ? '–' : ago(r.seriesSeenMs, now)),
            ...row('Last seen', r.lastSeenMs > 0 ? `${ago(r.lastSeenMs, now)} (${timeText(r.lastSeenMs)})` : '–'),
          )
        : h('div', { class: 'empty' }, loaded ? 'No metadata or series of this host in the window.' : 'Loading…'),
      h(
        'h2',
        {},
        'Recent events ',
        h('a', { href: routeHref('events', { host: selected, range: '7d' }) }, '(all events of this host)'),
      ),
      h(
        'div',
        { class: 'event-list', id: 'host-events', 'data-rows': hostEvents.length },
        ...hostEvents.map((e) => eventItem(e, now)),
      ),
      hostEvents.length === 0 && loaded ? h('div', { class: 'empty' }, 'No events in the last 7 days.') : null,
    );
  }

  /** This page's params with some changed ('' removes one). */
  function paramsWith(changes: Record<string, string>): URLSearchParams {
    const p = new URLSearchParams();
    if (filterInput.value !== '') p.set('filter', filterInput.value);
    if (windowS !== DEFAULT_WINDOW) p.set('window', formatDuration(windowS));
    if (selected !== '') p.set('host', selected);
    for (const [k, v] of Object.entries(changes)) {
      if (v === '') p.delete(k);
      else p.set(k, v);
    }
    return p;
  }
  const hrefWith = (changes: Record<string, string>) => routeHref('hosts', paramsWith(changes));
  const syncUrl = () => replaceParams('hosts', paramsWith({}));

  const timer = refresher(async (signal) => {
    try {
      const [answer, events] = await Promise.all([
        fetchHosts(windowS, signal),
        selected === ''
          ? undefined
          : fetchEvents(
              { host: selected, limit: String(HOST_EVENTS), from: String(Date.now() - HOST_EVENTS_RANGE_S * 1000) },
              signal,
            ),
      ]);
      hostEvents = events?.events ?? [];
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
