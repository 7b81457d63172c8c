// Events: the signed-in tenant's event stream, newest first, from every way events come in (the Agent, DogStatsD,
// the events API), filtered by source, host, tag, priority, alert type and text (GET /console/api/events). The URL
// carries the filters — `#/events?range=24h&source=jenkins&host=web-1&tag=env:prod&priority=low&alert_type=error&
// text=deploy` — and `#/events?id=<id>` shows one event (the `url` the events API hands out).
import { fetchEvents, type EventRow } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { ALERT_TYPES, eventItem } from '../event-view.js';
import { formatDuration, parseDuration } from '../format.js';
import { replaceParams, routeHref } from '../router.js';
import { refresher, showLoadError, type PageFactory } from './page.js';

const RANGES = [3600, 21600, 86400, 172800, 604800];
const DEFAULT_RANGE = 86400;
const PAGE_SIZE = 100;
const REFRESH_MS = 30_000;
/** Typing in a filter box reloads once it pauses this long. */
const TYPING_MS = 300;

/** The filter inputs, by the URL parameter (and API parameter) each sets. */
const TEXT_FILTERS = [
  { param: 'text', id: 'event-text', placeholder: 'Text in title or body' },
  { param: 'source', id: 'event-source', placeholder: 'Source' },
  { param: 'host', id: 'event-host', placeholder: 'Host' },
  { param: 'tag', id: 'event-tag', placeholder: 'Tags (env:prod,team:a)' },
] as const;

export const eventsPage: PageFactory = (root, { params }) => {
  const askedRange = parseDuration(params.get('range') ?? '');
  let rangeS = askedRange !== undefined && RANGES.includes(askedRange) ? askedRange : DEFAULT_RANGE;
  const onlyId = params.get('id') ?? '';
  let events: EventRow[] = [];
  let next: string | null = null;
  let loaded = false;
  let typingTimer: number | undefined;

  const reloadSoon = () => {
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(() => timer.now(), TYPING_MS);
  };
  const textInputs = TEXT_FILTERS.map((f) =>
    h('input', {
      type: 'search',
      id: f.id,
      'data-param': f.param,
      placeholder: f.placeholder,
      value: params.get(f.param) ?? '',
      oninput: () => {
        syncUrl();
        reloadSoon();
      },
    }),
  );
  const select = (id: string, param: string, options: string[], label: string) =>
    h(
      'select',
      {
        id,
        'data-param': param,
        onchange: () => {
          syncUrl();
          timer.now();
        },
      },
      h('option', { value: '' }, label),
      ...options.map((o) => h('option', { value: o, selected: params.get(param) === o }, o)),
    );
  const prioritySelect = select('event-priority', 'priority', ['normal', 'low'], 'Any priority');
  const alertSelect = select('event-alert-type', 'alert_type', ALERT_TYPES, 'Any alert type');
  const rangeSelect = h(
    'select',
    {
      id: 'event-range',
      onchange: () => {
        rangeS = Number(rangeSelect.value);
        syncUrl();
        timer.now();
      },
    },
    ...RANGES.map((s) => h('option', { value: s, selected: s === rangeS }, `Last ${formatDuration(s)}`)),
  );
  const filters: (HTMLInputElement | HTMLSelectElement)[] = [...textInputs, prioritySelect, alertSelect];

  const status = h('span', { class: 'status', id: 'events-status' });
  const errorBox = h('pre', { class: 'error', hidden: true });
  const single = h(
    'div',
    { class: 'notice', id: 'single-event', hidden: onlyId === '' },
    'One event, as linked. ',
    h('a', { href: routeHref('events') }, 'Show all events'),
  );
  const list = h('div', { class: 'event-list', id: 'events-list' });
  const empty = h('div', { class: 'empty', hidden: true });
  const more = h(
    'button',
    { type: 'button', id: 'events-more', hidden: true, onclick: () => void loadMore() },
    'Load older events',
  );

  replaceChildren(
    root,
    h(
      'section',
      { class: 'page events' },
      h('div', { class: 'toolbar' }, h('h1', {}, 'Events'), rangeSelect, status),
      h('div', { class: 'toolbar filters', hidden: onlyId !== '' }, ...filters),
      single,
      errorBox,
      list,
      empty,
      more,
    ),
  );

  /** The API parameters of the filters shown, plus the range. */
  const apiParams = (): Record<string, string> => {
    if (onlyId !== '') return { id: onlyId };
    const p: Record<string, string> = { from: String(Date.now() - rangeS * 1000), limit: String(PAGE_SIZE) };
    for (const f of filters) if (f.value.trim() !== '') p[f.dataset.param!] = f.value.trim();
    return p;
  };

  const syncUrl = () => {
    const p = new URLSearchParams();
    if (rangeS !== DEFAULT_RANGE) p.set('range', formatDuration(rangeS));
    for (const f of filters) if (f.value.trim() !== '') p.set(f.dataset.param!, f.value.trim());
    replaceParams('events', p);
  };

  function render(): void {
    const now = Date.now();
    list.replaceChildren(...events.map((e) => eventItem(e, now)));
    list.dataset.rows = String(events.length);
    more.hidden = next === null;
    empty.hidden = !loaded || events.length > 0;
    empty.textContent =
      onlyId !== '' ? 'No such event (it may be past the retention).' : 'No event matches in this time range.';
    const n = `${events.length}${next ? '+' : ''}`;
    status.textContent = loaded ? `${n} event${n === '1' ? '' : 's'}` : 'Loading…';
  }

  async function loadMore(): Promise<void> {
    if (next === null) return;
    try {
      const answer = await fetchEvents({ ...apiParams(), cursor: next });
      events = [...events, ...answer.events];
      next = answer.next;
      render();
    } catch (e) {
      showLoadError(errorBox, e);
    }
  }

  // A refresh reloads the first page only while no older page was loaded (it would drop them).
  const timer = refresher(
    async (signal) => {
      try {
        const answer = await fetchEvents(apiParams(), signal);
        events = answer.events;
        next = answer.next;
        loaded = true;
        errorBox.hidden = true;
        render();
      } catch (e) {
        showLoadError(errorBox, e);
      }
    },
    () => (events.length > PAGE_SIZE ? 0 : REFRESH_MS),
  );
  render();

  return {
    unmount: () => {
      window.clearTimeout(typingTimer);
      timer.stop();
    },
  };
};
