// Explore: a PromQL editor over the signed-in tenant's data, with a graph (range query) and a table (instant
// query); the graph can mark the tenant's events (optionally those matching an event search) with their title and
// text on hover. The URL carries the state — `#/explore?expr=…&range=1h&step=30s&tab=graph&events=1&events_q=…` —
// so a reload or a shared link runs the same query.
import { fetchEvents, queryInstant, queryRange, ApiError, type QueryData } from '../api.js';
import { matrixToSeries, TimeChart, type ChartMark } from '../chart.js';
import { alertClass, eventTip } from '../event-view.js';
import { h, replaceChildren } from '../dom.js';
import { createPromQLEditor } from '../editor.js';
import { formatDuration, formatValue, parseDuration, seriesName } from '../format.js';
import { replaceParams } from '../router.js';
import { errorText, isAbort, RANGES, unqueryablePage, type PageFactory } from './page.js';

type Tab = 'graph' | 'table';
const DEFAULT_RANGE = 3600;
/** Rows a table shows; more would make the page slow, and the API can limit results anyway. */
const MAX_ROWS = 1000;
/** Events marked on a graph at most (the newest). */
const MAX_MARKS = 500;

/** Prometheus' UI default: about 250 points over the range, at least 1 s. */
function autoStep(rangeS: number): number {
  return Math.max(1, Math.floor(rangeS / 250));
}

export const explorePage: PageFactory = (root, { session, params }) => {
  const unqueryable = unqueryablePage(root, session, 'explore', 'Explore');
  if (unqueryable) return unqueryable;
  let tab: Tab = params.get('tab') === 'table' ? 'table' : 'graph';
  const askedRange = parseDuration(params.get('range') ?? '');
  let rangeS = askedRange !== undefined && askedRange > 0 ? askedRange : DEFAULT_RANGE;
  let inFlight: AbortController | undefined;

  const editorHost = h('div', { class: 'editor', id: 'expr-editor' });
  const runButton = h('button', { type: 'button', class: 'primary', id: 'run', onclick: () => editor.run() }, 'Run');
  const tabButtons = (['graph', 'table'] as const).map((t) =>
    h(
      'button',
      { type: 'button', class: 'seg', 'data-tab': t, onclick: () => setTab(t) },
      t === 'graph' ? 'Graph' : 'Table',
    ),
  );
  const rangeOptions = RANGES.some((r) => r.seconds === rangeS)
    ? RANGES
    : [...RANGES, { label: formatDuration(rangeS), seconds: rangeS }];
  const rangeSelect = h(
    'select',
    {
      id: 'range',
      onchange: () => {
        rangeS = Number(rangeSelect.value);
        void run();
      },
    },
    ...rangeOptions.map((r) => h('option', { value: r.seconds, selected: r.seconds === rangeS }, r.label)),
  );
  const stepInput = h('input', { id: 'step', size: 8, value: params.get('step') ?? '', onchange: () => void run() });
  const eventsToggle = h('input', {
    type: 'checkbox',
    id: 'show-events',
    checked: params.get('events') === '1',
    onchange: () => void run(),
  });
  const eventsQuery = h('input', {
    type: 'search',
    id: 'events-query',
    placeholder: 'Event search (source:x env:prod text)',
    value: params.get('events_q') ?? '',
    onchange: () => void run(),
  });
  const status = h('span', { class: 'status', id: 'query-status' });
  const errorBox = h('pre', { class: 'error', id: 'query-error', hidden: true });
  const notes = h('div', { class: 'notes', id: 'query-notes' });
  const graphEl = h('div', { id: 'graph' });
  const tableEl = h('div', { id: 'table-view', class: 'table-wrap' });
  const chart = new TimeChart(graphEl, { unit: 'short', height: 360 });

  replaceChildren(
    root,
    h(
      'section',
      { class: 'page explore' },
      h('div', { class: 'query-row' }, editorHost, runButton),
      h(
        'div',
        { class: 'toolbar' },
        h('div', { class: 'segmented' }, ...tabButtons),
        h('label', { class: 'graph-only' }, 'Range ', rangeSelect),
        h('label', { class: 'graph-only' }, 'Step ', stepInput),
        h('label', { class: 'graph-only check' }, eventsToggle, 'Events'),
        h('span', { class: 'graph-only events-only' }, eventsQuery),
        status,
      ),
      errorBox,
      notes,
      graphEl,
      tableEl,
    ),
  );
  const editor = createPromQLEditor(editorHost, params.get('expr') ?? '', () => void run());

  const showTab = () => {
    for (const b of tabButtons) b.classList.toggle('active', b.dataset.tab === tab);
    graphEl.hidden = tab !== 'graph';
    tableEl.hidden = tab !== 'table';
    for (const el of root.querySelectorAll<HTMLElement>('.graph-only')) el.hidden = tab !== 'graph';
    for (const el of root.querySelectorAll<HTMLElement>('.events-only')) el.hidden ||= !eventsToggle.checked;
    stepInput.placeholder = `auto (${formatDuration(autoStep(rangeS))})`;
  };

  const setTab = (t: Tab) => {
    tab = t;
    void run();
  };

  const showError = (msg: string) => {
    errorBox.textContent = msg;
    errorBox.hidden = msg === '';
  };

  async function run(): Promise<void> {
    const expr = editor.value().trim();
    const p = new URLSearchParams({ expr, range: formatDuration(rangeS), tab });
    if (stepInput.value.trim() !== '') p.set('step', stepInput.value.trim());
    if (eventsToggle.checked) p.set('events', '1');
    if (eventsToggle.checked && eventsQuery.value.trim() !== '') p.set('events_q', eventsQuery.value.trim());
    replaceParams('explore', p);
    showTab();
    if (expr === '') return;
    inFlight?.abort();
    const ctl = (inFlight = new AbortController());
    showError('');
    notes.replaceChildren();
    status.textContent = 'Running…';
    const started = performance.now();
    try {
      const nowS = Date.now() / 1000;
      if (tab === 'graph') {
        const stepText = stepInput.value.trim();
        const stepS = stepText === '' ? autoStep(rangeS) : parseDuration(stepText);
        if (stepS === undefined || stepS <= 0)
          throw new ApiError(`invalid step "${stepText}": use a duration like 30s, 5m or 1h`, 400, 'bad_data');
        const endS = Math.floor(nowS);
        const [r, marks] = await Promise.all([
          queryRange(expr, endS - rangeS, endS, stepS, ctl.signal),
          eventMarks(endS - rangeS, endS, ctl.signal),
        ]);
        chart.update(matrixToSeries(r.data.result, seriesName), endS - rangeS, endS);
        chart.setMarks(marks.marks);
        showNotes([...r.warnings, ...r.infos, ...marks.notes]);
        status.textContent = `${r.data.result.length} series · step ${formatDuration(stepS)} · ${Math.round(performance.now() - started)} ms`;
      } else {
        const r = await queryInstant(expr, nowS, ctl.signal);
        const rows = renderTable(r.data);
        showNotes([...r.warnings, ...r.infos]);
        status.textContent = `${rows} result${rows === 1 ? '' : 's'} · ${Math.round(performance.now() - started)} ms`;
      }
    } catch (e) {
      if (isAbort(e)) return;
      status.textContent = '';
      showError(errorText(e));
      if (tab === 'graph') {
        // An empty chart over the range asked for (not over the epoch).
        const endS = Math.floor(Date.now() / 1000);
        chart.update([], endS - rangeS, endS);
        chart.setMarks([]);
      } else renderTable(undefined);
    }
  }

  /** The events to mark over [startS, endS] when the toggle is on; a failure is a note, not the graph's error. */
  const eventMarks = async (
    startS: number,
    endS: number,
    signal: AbortSignal,
  ): Promise<{ marks: ChartMark[]; notes: string[] }> => {
    if (!eventsToggle.checked) return { marks: [], notes: [] };
    const p: Record<string, string> = {
      from: String(startS * 1000),
      to: String(endS * 1000),
      limit: String(MAX_MARKS),
    };
    if (eventsQuery.value.trim() !== '') p.q = eventsQuery.value.trim();
    try {
      const answer = await fetchEvents(p, signal);
      return {
        marks: answer.events.map((e) => ({
          timeS: e.timeMs / 1000,
          key: e.id,
          className: alertClass(e.alertType),
          tip: () => eventTip(e),
        })),
        notes: answer.next ? [`Marking the newest ${MAX_MARKS} events of the range`] : [],
      };
    } catch (e) {
      if (isAbort(e)) throw e;
      return { marks: [], notes: [`Events not marked: ${errorText(e)}`] };
    }
  };

  const showNotes = (messages: string[]) => {
    notes.replaceChildren(...messages.map((m) => h('div', { class: 'note' }, m)));
  };

  /** Fills the table; returns the number of results. */
  const renderTable = (data: QueryData | undefined): number => {
    const rows: [string, string][] = [];
    if (data?.resultType === 'vector')
      for (const s of data.result) rows.push([seriesName(s.metric), formatSample(s.value[1])]);
    else if (data?.resultType === 'matrix') {
      for (const s of data.result)
        rows.push([seriesName(s.metric), s.values.map((v) => `${formatSample(v[1])} @${v[0]}`).join('\n')]);
    } else if (data) rows.push([data.resultType, data.result[1]]);
    const shown = rows.slice(0, MAX_ROWS);
    const table = h(
      'table',
      { class: 'data', id: 'result-table', 'data-rows': rows.length },
      h('thead', {}, h('tr', {}, h('th', {}, 'Series'), h('th', { class: 'num' }, 'Value'))),
      h(
        'tbody',
        {},
        ...shown.map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'num mono' }, v))),
      ),
    );
    replaceChildren(
      tableEl,
      table,
      rows.length === 0 && data ? h('div', { class: 'empty' }, 'No data') : null,
      rows.length > shown.length
        ? h('div', { class: 'note' }, `Showing ${shown.length} of ${rows.length} results`)
        : null,
    );
    return rows.length;
  };

  showTab();
  if (editor.value().trim() !== '') void run();
  else editor.focus();

  return {
    unmount: () => {
      inFlight?.abort();
      chart.destroy();
      editor.destroy();
    },
  };
};

/** A sample value as the API sends it (a string), shown as the number it is; exact digits kept. */
function formatSample(v: string): string {
  const n = Number(v);
  return Number.isFinite(n) && Math.abs(n) >= 1e6 ? `${v} (${formatValue(n)})` : v;
}
